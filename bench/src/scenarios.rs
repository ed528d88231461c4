//! One function per reported figure. Each starts its own server and agents and stops them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ank_model::State;
use anyhow::{bail, Context};

use crate::client::{is_gone, is_running, Client};
use crate::procs::{descendants_pss_kib, idle_cpu_percent, rss_pss_kib, start_agent, start_server};
use crate::Settings;

const SERVER_STARTS: usize = 7;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The value below which `q` of the sorted samples lie.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    percentile(&samples, 0.5)
}

/// Retries connecting until the server answers a state request.
async fn first_answer(url: &str) -> anyhow::Result<Client> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut client) = Client::connect(url).await {
            if client.complete_state(&["agents"]).await.is_ok() {
                return Ok(client);
            }
        }
        if Instant::now() > deadline {
            bail!("ank-server did not answer within 10 s");
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// A native workload running `sleep 600`: the program itself, no shell in between, so the
/// figures are the orchestration's cost plus one exec.
fn native_workload(agent: &str) -> ank_model::Workload {
    ank_model::Workload {
        agent: agent.into(),
        runtime: "native".into(),
        runtime_config: "command: [sleep, \"600\"]\n".into(),
        ..Default::default()
    }
}

/// Server and agent start-up to first answer, then their idle footprint.
pub async fn startup_and_idle(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let (mut server_times, mut agent_times) = (Vec::new(), Vec::new());
    let mut listening_times = Vec::new();
    for i in 0..SERVER_STARTS {
        let (_server, url, started) = start_server(&s.bin_dir)?;
        listening_times.push(started.elapsed());
        let mut client = first_answer(&url).await?;
        server_times.push(started.elapsed());
        let mut watch = client.watch(&["agents"]).await?;
        let started = Instant::now();
        let _agent = start_agent(
            &s.bin_dir,
            "agent_A",
            &url,
            &run_root.join(format!("startup{i}")),
        )?;
        watch.until(|st| st.agents.contains_key("agent_A")).await?;
        agent_times.push(started.elapsed());
    }
    println!(
        "server start-up to first answer: median {:.2} ms over {SERVER_STARTS} starts \
         (listening after {:.2} ms)",
        ms(median(server_times)),
        ms(median(listening_times))
    );
    println!(
        "agent start-up to registered:    median {:.2} ms over {SERVER_STARTS} starts",
        ms(median(agent_times))
    );

    let (server, url, _) = start_server(&s.bin_dir)?;
    let mut client = first_answer(&url).await?;
    let mut watch = client.watch(&["agents"]).await?;
    let agent = start_agent(&s.bin_dir, "agent_A", &url, &run_root.join("idle"))?;
    watch.until(|st| st.agents.contains_key("agent_A")).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (name, pid) in [("ank-server", server.pid()), ("ank-agent", agent.pid())] {
        let (rss, pss) = rss_pss_kib(pid)?;
        let cpu = idle_cpu_percent(pid, Duration::from_secs(5)).await?;
        let (children, children_pss) = descendants_pss_kib(pid);
        println!(
            "{name} idle: RSS {:.2} MiB, PSS {:.2} MiB, CPU {cpu:.2} % of a core over 5 s; \
             {children} child processes, PSS {:.2} MiB",
            rss as f64 / 1024.0,
            pss as f64 / 1024.0,
            children_pss as f64 / 1024.0
        );
    }
    Ok(())
}

/// apply → `Running(Ok)` of one native workload, `s.runs` times.
pub async fn one_workload_latency(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let (_server, url, _) = start_server(&s.bin_dir)?;
    let mut client = first_answer(&url).await?;
    let mut watch = client.watch(&["workloadStates", "agents"]).await?;
    let _agent = start_agent(&s.bin_dir, "agent_A", &url, &run_root.join("one"))?;
    watch.until(|st| st.agents.contains_key("agent_A")).await?;
    let mut samples = Vec::with_capacity(s.runs);
    for i in 0..s.runs {
        let name = format!("one_{i}");
        let mask = vec![format!("desiredState.workloads.{name}")];
        let mut state = State::new();
        state
            .workloads
            .insert(name.clone(), native_workload("agent_A"));
        let started = Instant::now();
        client.update(state, mask.clone()).await?;
        watch.until(|st| is_running(st, &name)).await?;
        samples.push(started.elapsed());
        client.update(State::new(), mask).await?;
        watch.until(|st| is_gone(st, &name)).await?;
    }
    samples.sort();
    println!(
        "apply -> Running(Ok), one native workload: p50 {:.2} ms, p99 {:.2} ms over {} runs",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        samples.len()
    );
    Ok(())
}

/// Waits until no agent has a child process left: a freshly connected agent lists the node
/// with `podman ps` and `podman volume ls`, which would otherwise share the CPU with the
/// apply being measured (their cost shows in the start-up figures instead).
async fn settle(agents: &[crate::procs::Proc]) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while agents.iter().any(|a| descendants_pss_kib(a.pid()).0 > 0) {
        if Instant::now() > deadline {
            bail!("the agents still have child processes after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// apply → all `Running(Ok)` for `s.many` native workloads over `s.agents` agents.
pub async fn many_workloads(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let (_server, url, _) = start_server(&s.bin_dir)?;
    let mut client = first_answer(&url).await?;
    let mut watch = client.watch(&["workloadStates", "agents"]).await?;
    let mut agents = Vec::new();
    for a in 0..s.agents {
        agents.push(start_agent(
            &s.bin_dir,
            &format!("agent_{a}"),
            &url,
            &run_root.join(format!("many{a}")),
        )?);
    }
    watch.until(|st| st.agents.len() == s.agents).await?;
    settle(&agents).await?;
    let mut state = State::new();
    for i in 0..s.many {
        state.workloads.insert(
            format!("many_{i}"),
            native_workload(&format!("agent_{}", i % s.agents)),
        );
    }
    let names: Vec<String> = state.workloads.keys().cloned().collect();
    let started = Instant::now();
    client
        .update(state, vec!["desiredState.workloads".into()])
        .await?;
    watch
        .until(|st| names.iter().all(|n| is_running(st, n)))
        .await?;
    let elapsed = started.elapsed();
    println!(
        "apply -> all Running(Ok), {} native workloads over {} agents: {:.0} ms",
        s.many,
        s.agents,
        ms(elapsed)
    );
    client
        .update(State::new(), vec!["desiredState.workloads".into()])
        .await?;
    watch
        .until(|st| names.iter().all(|n| is_gone(st, n)))
        .await?;
    Ok(())
}

const POD: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: bench-pod
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: localhost/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
"#;

fn podman(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("podman")
        .args(args)
        .output()
        .context("running podman")?;
    if !out.status.success() {
        bail!("podman {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// apply → `Running(Ok)` of a one-container pod through `podman-kube`, next to bare
/// `podman kube play` of the same pod. The two alternate, with the agent (and its `podman
/// events`) running throughout, so both see the same machine.
pub async fn podman_kube_ratio(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let runs = 9;
    let pod_file = run_root.join("bench-pod.yaml");
    std::fs::write(&pod_file, POD)?;
    let pod_path = pod_file.to_string_lossy().into_owned();
    let (_server, url, _) = start_server(&s.bin_dir)?;
    let mut client = first_answer(&url).await?;
    let mut watch = client.watch(&["workloadStates", "agents"]).await?;
    let _agent = start_agent(&s.bin_dir, "agent_A", &url, &run_root.join("podman"))?;
    watch.until(|st| st.agents.contains_key("agent_A")).await?;
    let (mut bare, mut ours) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let started = Instant::now();
        podman(&["kube", "play", &pod_path])?;
        bare.push(started.elapsed());
        podman(&["kube", "down", &pod_path])?;

        let name = format!("pod_{i}");
        let mask = vec![format!("desiredState.workloads.{name}")];
        let mut state = State::new();
        let config = ank_model::runtime_config::PodmanKubeConfig {
            manifest: POD.into(),
            ..Default::default()
        };
        state.workloads.insert(
            name.clone(),
            ank_model::Workload {
                agent: "agent_A".into(),
                runtime: "podman-kube".into(),
                runtime_config: serde_yaml_ng::to_string(&config)?,
                ..Default::default()
            },
        );
        let started = Instant::now();
        client.update(state, mask.clone()).await?;
        watch.until(|st| is_running(st, &name)).await?;
        ours.push(started.elapsed());
        client.update(State::new(), mask).await?;
        watch.until(|st| is_gone(st, &name)).await?;
    }
    let (bare, ours) = (median(bare), median(ours));
    println!(
        "one-container pod: bare podman kube play {:.0} ms, Anchorage apply -> Running(Ok) {:.0} ms, ratio {:.3} (medians of {runs}, alternating)",
        ms(bare),
        ms(ours),
        ours.as_secs_f64() / bare.as_secs_f64()
    );
    Ok(())
}
