//! One function per reported figure. Each starts its own server and agents and stops them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ank_model::State;
use anyhow::{bail, Context};

use crate::client::{is_gone, is_running, Client};
use crate::control;
use crate::procs::{
    descendants_pss_kib, idle_cpu_percent, rss_pss_kib, start_agent, start_agent_over,
    start_server, start_server_over, Transport,
};
use crate::Settings;

const SERVER_STARTS: usize = 7;

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The value below which `q` of the sorted samples lie.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub(crate) fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    percentile(&samples, 0.5)
}

/// Retries connecting until the server answers a state request.
pub(crate) async fn first_answer(url: &str) -> anyhow::Result<Client> {
    first_answer_over(url, &Transport::Plain).await
}

/// Retries connecting over `transport` until the server answers a state request.
async fn first_answer_over(url: &str, transport: &Transport) -> anyhow::Result<Client> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut client) = Client::connect_over(url, transport).await {
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

/// One start of a server and an agent: (server start → first answer, listening after, agent
/// start → registered).
async fn start_once(
    s: &Settings,
    run_folder: &Path,
    transport: &Transport,
) -> anyhow::Result<(Duration, Duration, Duration)> {
    let (_server, url, started) = start_server_over(&s.bin_dir, transport)?;
    let listening = started.elapsed();
    let mut client = first_answer_over(&url, transport).await?;
    let answered = started.elapsed();
    let mut watch = client.watch(&["agents"]).await?;
    let started = Instant::now();
    let _agent = start_agent_over(&s.bin_dir, "agent_A", &url, run_folder, transport)?;
    watch.until(|st| st.agents.contains_key("agent_A")).await?;
    Ok((answered, listening, started.elapsed()))
}

/// Server and agent start-up to first answer, then their idle footprint.
pub async fn startup_and_idle(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let (mut server_times, mut agent_times) = (Vec::new(), Vec::new());
    let mut listening_times = Vec::new();
    for i in 0..SERVER_STARTS {
        let folder = run_root.join(format!("startup{i}"));
        let (answered, listening, agent) = start_once(s, &folder, &Transport::Plain).await?;
        server_times.push(answered);
        listening_times.push(listening);
        agent_times.push(agent);
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

/// A server and an agent with one client watching, for apply latencies.
struct ApplyRig {
    _server: crate::procs::Proc,
    _agent: crate::procs::Proc,
    client: Client,
    watch: crate::client::Watch,
}

impl ApplyRig {
    async fn start(s: &Settings, run_folder: &Path, transport: &Transport) -> anyhow::Result<Self> {
        let (server, url, _) = start_server_over(&s.bin_dir, transport)?;
        let mut client = first_answer_over(&url, transport).await?;
        let mut watch = client.watch(&["workloadStates", "agents"]).await?;
        let agent = start_agent_over(&s.bin_dir, "agent_A", &url, run_folder, transport)?;
        watch.until(|st| st.agents.contains_key("agent_A")).await?;
        Ok(ApplyRig {
            _server: server,
            _agent: agent,
            client,
            watch,
        })
    }

    /// apply → `Running(Ok)` of workload `one_<i>`, then its delete (not timed).
    async fn once(&mut self, i: usize) -> anyhow::Result<Duration> {
        let name = format!("one_{i}");
        let mask = vec![format!("desiredState.workloads.{name}")];
        let mut state = State::new();
        state
            .workloads
            .insert(name.clone(), native_workload("agent_A"));
        let started = Instant::now();
        self.client.update(state, mask.clone()).await?;
        self.watch.until(|st| is_running(st, &name)).await?;
        let elapsed = started.elapsed();
        self.client.update(State::new(), mask).await?;
        self.watch.until(|st| is_gone(st, &name)).await?;
        Ok(elapsed)
    }
}

/// apply → `Running(Ok)` of one native workload, `s.runs` times.
pub async fn one_workload_latency(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let mut rig = ApplyRig::start(s, &run_root.join("one"), &Transport::Plain).await?;
    let mut samples = Vec::with_capacity(s.runs);
    for i in 0..s.runs {
        samples.push(rig.once(i).await?);
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

/// Start-up and apply latency with mTLS as a ratio to `-k`: the two alternate, start for
/// start and apply for apply, so both see the same machine.
pub async fn tls_ratio(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let mtls = Transport::Mtls(crate::certs::make(&run_root.join("certs"))?);
    let transports = [Transport::Plain, mtls];
    let mut starts: [Vec<(Duration, Duration)>; 2] = Default::default();
    for i in 0..SERVER_STARTS {
        for (t, transport) in transports.iter().enumerate() {
            let folder = run_root.join(format!("tls-start{t}-{i}"));
            let (answered, _, agent) = start_once(s, &folder, transport).await?;
            starts[t].push((answered, agent));
        }
    }
    let mut rigs = Vec::new();
    for (t, transport) in transports.iter().enumerate() {
        rigs.push(ApplyRig::start(s, &run_root.join(format!("tls-one{t}")), transport).await?);
    }
    let mut applies: [Vec<Duration>; 2] = Default::default();
    for i in 0..s.runs {
        for (t, rig) in rigs.iter_mut().enumerate() {
            applies[t].push(rig.once(i).await?);
        }
    }
    let pick = |t: usize, f: fn(&(Duration, Duration)) -> Duration| {
        median(starts[t].iter().map(f).collect())
    };
    let figures = [
        (
            "server start-up to first answer",
            pick(0, |x| x.0),
            pick(1, |x| x.0),
        ),
        (
            "agent start-up to registered",
            pick(0, |x| x.1),
            pick(1, |x| x.1),
        ),
        (
            "apply -> Running(Ok)",
            median(applies[0].clone()),
            median(applies[1].clone()),
        ),
    ];
    for (what, plain, tls) in figures {
        println!(
            "mTLS vs -k, {what}: median {:.2} ms vs {:.2} ms, ratio {:.2}",
            ms(tls),
            ms(plain),
            tls.as_secs_f64() / plain.as_secs_f64()
        );
    }
    println!(
        "  ({SERVER_STARTS} starts and {} applies each, alternating; ED25519 certificates)",
        s.runs
    );
    Ok(())
}

/// Waits until no agent has a child process left: a freshly connected agent lists the node
/// with `podman ps` and `podman volume ls`, which would otherwise share the CPU with the
/// apply being measured (their cost shows in the start-up figures instead).
pub(crate) async fn settle(agents: &[crate::procs::Proc]) -> anyhow::Result<()> {
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

/// Requests timed through the control interface and over gRPC.
const ROUND_TRIPS: usize = 1000;
/// Workloads applied and deleted while one control-interface subscriber counts events.
const EVENT_WORKLOADS: usize = 200;

/// The control interface as a workload sees it: the round trip of a `CompleteStateRequest`
/// (mask `workloadStates`) through the FIFOs next to the same request over the CLI's gRPC,
/// and the events per second one control-interface subscriber receives while
/// [`EVENT_WORKLOADS`] workloads are applied and deleted.
pub async fn control_interface(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    let run_folder = run_root.join("control");
    let (_server, url, _) = start_server(&s.bin_dir)?;
    let mut client = first_answer(&url).await?;
    let mut watch = client.watch(&["workloadStates", "agents"]).await?;
    let _agent = start_agent(&s.bin_dir, "agent_A", &url, &run_folder)?;
    watch.until(|st| st.agents.contains_key("agent_A")).await?;

    let mut workload = native_workload("agent_A");
    workload.control_interface_access.allow_rules = vec![ank_model::AccessRule::StateRule {
        operation: ank_model::ReadWrite::ReadWrite,
        filter_masks: vec!["*".into()],
    }];
    let mut state = State::new();
    state.workloads.insert("controller".into(), workload);
    let controller_mask = vec!["desiredState.workloads.controller".to_owned()];
    client.update(state, controller_mask.clone()).await?;
    watch.until(|st| is_running(st, "controller")).await?;
    let id = watch.mirror.workload_states["agent_A"]["controller"]
        .keys()
        .next()
        .context("the controller's instance")?
        .clone();
    let dir = control::folder(&run_folder, "agent_A", "controller", &id);
    control::wait_for_fifos(&dir).await?;
    let mut ctl = control::Control::connect(&dir).await?;

    let (mut through_fifos, mut over_grpc) = (Vec::new(), Vec::new());
    for i in 0..ROUND_TRIPS + 20 {
        let started = Instant::now();
        ctl.request(&i.to_string(), control::get(&["workloadStates"], false))
            .await?;
        let response = ctl.response().await?;
        let elapsed = started.elapsed();
        if response.request_id != i.to_string() {
            bail!("answer to {} for request {i}", response.request_id);
        }
        control::state_of(response)?;
        let started = Instant::now();
        client.complete_state(&["workloadStates"]).await?;
        let grpc = started.elapsed();
        // The first ones warm up both paths.
        if i >= 20 {
            through_fifos.push(elapsed);
            over_grpc.push(grpc);
        }
    }
    through_fifos.sort();
    over_grpc.sort();
    let (fifo_p50, grpc_p50) = (percentile(&through_fifos, 0.5), percentile(&over_grpc, 0.5));
    println!(
        "get-state round trip (mask workloadStates): control interface p50 {:.3} ms, p99 {:.3} ms; \
         CLI gRPC p50 {:.3} ms, p99 {:.3} ms; ratio of p50s {:.2} ({ROUND_TRIPS} runs each, alternating)",
        ms(fifo_p50),
        ms(percentile(&through_fifos, 0.99)),
        ms(grpc_p50),
        ms(percentile(&over_grpc, 0.99)),
        fifo_p50.as_secs_f64() / grpc_p50.as_secs_f64()
    );

    // Events: one subscriber on the control interface, K workloads applied, then deleted.
    ctl.request("events", control::get(&["workloadStates"], true))
        .await?;
    let (mut mirror, altered) = control::state_of(ctl.response().await?)?;
    if altered.is_some() {
        bail!("the first answer to a subscription is no event");
    }
    let names: Vec<String> = (0..EVENT_WORKLOADS).map(|i| format!("ev_{i}")).collect();
    let mut state = State::new();
    for name in &names {
        state
            .workloads
            .insert(name.clone(), native_workload("agent_A"));
    }
    let masks: Vec<String> = names
        .iter()
        .map(|n| format!("desiredState.workloads.{n}"))
        .collect();
    let (mut events, mut paths) = (0usize, 0usize);
    let started = Instant::now();
    client.update(state, masks.clone()).await?;
    let mut phase_running = true;
    loop {
        let response = ctl.response().await?;
        if response.request_id != "events" {
            bail!("unexpected answer to {}", response.request_id);
        }
        let (update, altered) = control::state_of(response)?;
        let altered = altered.context("an event")?;
        events += 1;
        paths += altered.added_fields.len()
            + altered.updated_fields.len()
            + altered.removed_fields.len();
        for (agent, workloads) in update.workload_states {
            let mine = mirror.workload_states.entry(agent).or_default();
            for (name, ids) in workloads {
                mine.entry(name).or_default().extend(ids);
            }
        }
        for path in &altered.removed_fields {
            if let ["workloadStates", agent, name] = path.split('.').collect::<Vec<_>>()[..] {
                if let Some(w) = mirror.workload_states.get_mut(agent) {
                    w.remove(name);
                }
            }
        }
        if phase_running && names.iter().all(|n| is_running(&mirror, n)) {
            phase_running = false;
            client.update(State::new(), masks.clone()).await?;
        } else if !phase_running && names.iter().all(|n| is_gone(&mirror, n)) {
            break;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "events to one control-interface subscriber, {EVENT_WORKLOADS} workloads applied \
         then deleted: {events} events ({paths} altered fields) in {:.0} ms: \
         {:.0} events/s, {:.0} altered fields/s",
        ms(elapsed),
        events as f64 / elapsed.as_secs_f64(),
        paths as f64 / elapsed.as_secs_f64()
    );
    client.update(State::new(), controller_mask).await?;
    watch.until(|st| is_gone(st, "controller")).await?;
    Ok(())
}
