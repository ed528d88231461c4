//! The fast reader against the reference (serde_yaml_ng's `Value`): on valid manifests, on
//! manifests with findings, and on thousands of mutations of them, both must give the same
//! resources (typed objects included) and the same reports.

use proptest::prelude::*;

use super::render;
use crate::parse::{read_file, Resource};
use crate::{validate_file, validate_file_with_libyaml, Options};

pub(super) const SEEDS: &[&str] = &[
    // In the subset the lean reader knows (see `parse::lean`).
    "apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels:
    app: web
spec:
  nodeName: agent_1  # pinned
  containers:
  - name: app
    image: registry.example.com/team/web:1.2
    command: [/bin/web, --port, \"8080\"]
    ports:
    - containerPort: 8080
      name: http
    env:
    - name: MODE
      value: 'production'
    - {name: CFG, valueFrom: {configMapKeyRef: {name: cfg, key: script}}}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
    volumeMounts:
    - name: data
      mountPath: /data
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      initialDelaySeconds: 3
  volumes:
  - name: data
    emptyDir: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  script: |
    #!/bin/sh

    echo hi
  flags: |-
    -v
---
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {b: c}
",
    "apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: \"frontend\"}
  annotations:
    note: >
      folded text
      over lines
spec:
  nodeName: agent_1
  restartPolicy: Always
  containers:
  - name: app
    image: registry.example.com/team/web:1.2
    imagePullPolicy: IfNotPresent
    command: [/bin/web, --port, \"8080\"]
    args:
    - 'single'
    - plain text over
      two lines
    ports:
    - containerPort: 8080
      name: http
      protocol: TCP
    env:
    - name: MODE
      value: production
    - {name: EMPTY, value: ''}
    - name: CFG
      valueFrom: {configMapKeyRef: {name: cfg, key: k, optional: true}}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
    volumeMounts:
    - name: data
      mountPath: /data
      readOnly: false
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      initialDelaySeconds: 3
  - name: sidecar
    image: busybox:1.36
    command: [sleep, infinity]
    tty: true
    readinessProbe: {exec: {command: [\"true\"]}}
  volumes:
  - name: data
    emptyDir: {}
  - name: cfg
    configMap: {name: cfg, defaultMode: 0644}
...
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  k: v
  script: |
    #!/bin/sh
    echo hi
  num: \"1\"
---
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {a: aGVsbG8=}
stringData: {b: c}
",
    "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  replicas: 3
  strategy: {type: Recreate}
  selector:
    matchLabels: {a: b}
  template:
    metadata:
      labels: {a: b}
    spec:
      containers:
      - name: c
        image: x
        ports: [{containerPort: 80, hostPort: 8080}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: 'x:1', command: [a, b]}]
# a comment
---
apiVersion: v1
kind: List
items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: m}, data: {x: y}}]
---
apiVersion: v1
kind: Service
metadata: {name: svc}
",
    "apiVersion: v1
kind: Pod
metadata:
  name: Bad_Name
  labels: {app: ~, 'x': 1}
spec:
  runtimeClassName: native
  containers:
  - name: app
    imagePullpolicy: Always
    command: [/bin/sh]
    ports: [{containerPort: 80, name: http}]
    env: [{name: A, valueFrom: {configMapKeyRef: {name: cfg, key: k}}}]
    resources: {limits: {cpu: 500m}}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, configMap: {name: cfg}}]
---
apiVersion: v1
workloads: {w: {runtime: podman, runtimeConfig: 'image: x', dependencies: {d-0: ADD_COND_RUNNING}}}
",
];

/// Every resource, typed object included, as the reader leaves it.
fn resources(text: &str, options: &Options, fast: bool) -> String {
    let mut out: Vec<Resource> = Vec::new();
    read_file(text, options, fast, &mut out, &mut |_| {});
    format!("{out:#?}")
}

/// Panics with the text and the first lines where `fast` and `reference` differ.
fn compare(what: &str, text: &str, fast: &str, reference: &str) {
    if fast == reference {
        return;
    }
    let (f, r): (Vec<_>, Vec<_>) = (fast.lines().collect(), reference.lines().collect());
    let first = f.iter().zip(&r).take_while(|(a, b)| a == b).count();
    let from = first.saturating_sub(8);
    panic!(
        "{what} differ for {text:?}\nfast:\n{}\nreference:\n{}",
        f[from..(first + 12).min(f.len())].join("\n"),
        r[from..(first + 12).min(r.len())].join("\n")
    );
}

fn assert_same(text: &str) {
    for strict in [false, true] {
        let options = Options { strict };
        let (fast, reference) = (
            resources(text, &options, true),
            resources(text, &options, false),
        );
        compare("resources", text, &fast, &reference);
        let (fast, reference) = (
            render(&validate_file(text, &options)),
            render(&validate_file_with_libyaml(text, &options)),
        );
        compare("reports", text, &fast, &reference);
    }
}

#[test]
fn seeds_read_the_same() {
    for seed in SEEDS {
        assert_same(seed);
    }
    assert_same(&SEEDS.concat());
}

#[test]
fn odd_files_read_the_same() {
    for text in [
        "",
        "\n",
        "# only a comment\n",
        "---\n",
        "---\n---\n...\n",
        "~\n",
        "a: &x 1\nb: *x\n",
        "%YAML 1.1\n---\nkind: Pod\n",
        "\u{feff}kind: Pod\n",
        "kind: Pod\nkind: Pod\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\n",
        "apiVersion: v1\nkind: Pod\nspec: {x: 99999999999999999999999}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: !!str 1}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: 1}\n",
        "apiVersion: v1\nkind: Pod\n? [a]\n: b\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n",
        "- a\n- b\n",
        "kind: Pod\r\napiVersion: v1\r\nmetadata:\r\n  name: a\r\n",
    ] {
        assert_same(text);
    }
}

use super::support::mutate;

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_manifests_read_the_same(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(vec![
            ' ', '\n', ':', '-', '[', ']', '{', '}', ',', '\'', '"', '#', 'a', 'Z', '0', '1', '.',
            '&', '*', '!', '|', '>', '?', '%', '\t', '\r', '~', '\\', 'é',
        ])), 1..6),
    ) {
        assert_same(&mutate(SEEDS[seed], &edits));
    }
}
