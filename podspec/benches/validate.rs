//! `cargo bench -p podspec`: validates a generated file of 10 000+ pods on one thread and prints
//! pods per second and peak memory (VmHWM). The goal is at least 50 000 pods/s.

use std::fmt::Write as _;
use std::time::Instant;

use podspec::{validate_file, Options};

const PODS: usize = 20_000;

/// A minimal pod (11 lines), the shape of most generated manifests.
fn generate_small(pods: usize) -> String {
    let mut text = String::with_capacity(pods * 200);
    for i in 0..pods {
        let _ = write!(
            text,
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-{i}\n  labels: {{app: web}}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    ports: [{{containerPort: 80}}]\n"
        );
    }
    text
}

/// A realistic pod (45 lines): two containers, ports, env, resources, mounts and a probe.
fn generate(pods: usize) -> String {
    let mut text = String::with_capacity(pods * 600);
    for i in 0..pods {
        let _ = write!(
            text,
            "---
apiVersion: v1
kind: Pod
metadata:
  name: web-{i}
  labels:
    app: web
    tier: frontend
spec:
  nodeName: agent_{agent}
  restartPolicy: Always
  containers:
  - name: app
    image: registry.example.com/team/web:1.{i}
    imagePullPolicy: IfNotPresent
    command: [/bin/web, --port, \"8080\"]
    ports:
    - containerPort: 8080
      name: http
    env:
    - name: MODE
      value: production
    resources:
      requests: {{cpu: 100m, memory: 64Mi}}
      limits: {{cpu: 500m, memory: 128Mi}}
    volumeMounts:
    - name: data
      mountPath: /data
    livenessProbe:
      httpGet: {{path: /healthz, port: 8080}}
  - name: sidecar
    image: busybox:1.36
    command: [sleep, infinity]
  volumes:
  - name: data
    emptyDir: {{}}
",
            agent = i % 8
        );
    }
    text
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `runs` timings of `f`, in seconds, fastest first.
fn timings(runs: usize, mut f: impl FnMut()) -> Vec<f64> {
    let mut secs: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    secs
}

/// Best of three runs of `f`, in seconds.
fn best_of_3(f: impl FnMut()) -> f64 {
    timings(3, f)[0]
}

fn run(label: &str, text: &str) {
    let options = Options::default();
    let warm = validate_file(text, &options);
    assert_eq!(warm.len(), PODS);
    let dirty = warm.iter().find(|r| !r.findings.is_empty());
    assert!(dirty.is_none(), "{dirty:?}");
    // Shared machines are noisy: the median of 9 runs, and the best as the rate on a quiet core.
    let runs = timings(9, || assert_eq!(validate_file(text, &options).len(), PODS));
    let (best, median) = (runs[0], runs[runs.len() / 2]);
    // For scale, what the general YAML readers take just to read the file, without any checks:
    // saphyr-parser's events (the fallback of the lean reader); libyaml's events as
    // serde_yaml_ng loads them (skipped with `IgnoredAny`); libyaml + a `Value` per document.
    let saphyr = best_of_3(|| {
        let events = saphyr_parser::Parser::new_from_str(text).count();
        assert!(events > PODS);
    });
    let libyaml = best_of_3(|| {
        let docs = serde_yaml_ng::Deserializer::from_str(text)
            .filter_map(|d| <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d).ok())
            .count();
        assert_eq!(docs, PODS);
    });
    let value = best_of_3(|| {
        let docs = serde_yaml_ng::Deserializer::from_str(text)
            .filter_map(|d| <serde_yaml_ng::Value as serde::Deserialize>::deserialize(d).ok())
            .count();
        assert_eq!(docs, PODS);
    });
    let mib = text.len() as f64 / 1048576.0;
    let rate = |secs: f64| PODS as f64 / secs;
    println!(
        "{label}: {PODS} pods ({mib:.1} MiB): validate_file median {:.0} pods/s ({:.1} MiB/s), best {:.0} pods/s",
        rate(median),
        mib / median,
        rate(best),
    );
    println!(
        "  reading alone, for scale: saphyr events {:.0} pods/s; libyaml events {:.0} pods/s; libyaml + Value {:.0} pods/s",
        rate(saphyr),
        rate(libyaml),
        rate(value)
    );
}

fn main() {
    run("small pods", &generate_small(PODS));
    run("realistic pods", &generate(PODS));
    match peak_memory_kib() {
        Some(kib) => println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak memory: unavailable (no /proc/self/status)"),
    }
}
