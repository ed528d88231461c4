//! The fleet scenario (issue 13, "Memory at fleet scale"): one `ank-server`, many real
//! `ank-agent`s (`-k`, loopback, each its own run folder) and N workloads spread over them,
//! for several N, each on a fresh cluster. It prints apply → every workload reported, the
//! server's RSS/PSS idle and after, its memory per workload, its CPU time over the apply, and
//! the agents' PSS (median and sum).
//!
//! The workloads are real but cheap: native `/bin/true <name>` with `restartPolicy: NEVER`, so
//! each one goes through its agent, a shim and an exec, reports `Succeeded(Ok)` and leaves no
//! process behind. Long-lived workloads (`sleep`) would keep a shim and a process per workload
//! alive: 10 000 of them cost the 2-core box more memory and CPU than the server being
//! measured, and the server holds the same state for a `Succeeded` instance as for a
//! `Running` one. The argument makes every runtimeConfig, and so every instance id, distinct,
//! as in a real fleet.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use ank_model::exec_state::ExecState;
use ank_model::{RestartPolicy, State, Workload};
use anyhow::{bail, Context};

use crate::procs::{cpu_ticks, rss_pss_kib, start_agent_with, start_server_with, Proc, Transport};
use crate::scenarios::{first_answer, settle};
use crate::Settings;

/// How long one point may take to report every workload, per workload, beyond a base.
const PER_WORKLOAD: Duration = Duration::from_millis(50);
const BASE: Duration = Duration::from_secs(60);
/// The dead-link time of the server and the agents (default 5 s). The server's actor plans
/// and publishes an update in one step: at 10 000 workloads on a loaded 2-core box that step
/// outlasts HTTP/2 keepalive at the default (dead-link / 2), and every connection drops.
const DEAD_LINK: &str = "30s";
/// 10 000 workloads with their effective state and states take 2.3 MiB, over the default
/// `--max-state-size` (2 MiB, half of the 4 MiB message Ankaios clients accept): the fleet
/// raises it to that message's size.
const MAX_STATE: &str = "4MiB";
/// Linux reports 100 clock ticks per second on every platform we run on.
const TICKS_PER_SECOND: f64 = 100.0;

/// The figures of one point.
struct Point {
    workloads: usize,
    /// apply → its answer (the server's planning step), and → every workload reported.
    acked: Duration,
    elapsed: Duration,
    /// Server RSS and PSS in KiB, idle (agents connected) and after every workload reported.
    idle: (u64, u64),
    after: (u64, u64),
    cpu_seconds: f64,
    /// The agents' PSS in KiB, after.
    agents_pss: Vec<u64>,
    failed: usize,
}

/// Runs every size in `s.fleet_sizes` over `s.fleet_agents` agents and prints the table; with
/// `--fleet-against DIR`, each size also with `DIR/ank-server` (same agents), alternating, and
/// the ratios of the two.
pub async fn fleet(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    println!(
        "fleet: native /bin/true workloads (restartPolicy NEVER -> Succeeded(Ok)) over {} \
         real ank-agent processes (-k, loopback, --dead-link-timeout {DEAD_LINK}), a fresh \
         cluster per N",
        s.fleet_agents
    );
    println!(
        "{:>6} | {:>11} | {:>9} | {:>14} | {:>14} | {:>9} | {:>10} | {:>16}",
        "N",
        "apply->all",
        "per wl",
        "server RSS",
        "server PSS",
        "B/wl RSS",
        "server CPU",
        "agents PSS"
    );
    println!(
        "{:>6} | {:>11} | {:>9} | {:>14} | {:>14} | {:>9} | {:>10} | {:>16}",
        "", "ms", "ms", "idle->after MiB", "idle->after MiB", "", "s", "median/sum MiB"
    );
    for (i, &n) in s.fleet_sizes.iter().enumerate() {
        let p = point(s, &s.bin_dir, &run_root.join(format!("fleet{i}")), n).await?;
        print_point(&p, "");
        if let Some(other) = &s.fleet_against {
            let q = point(s, other, &run_root.join(format!("fleet{i}b")), n).await?;
            print_point(&q, &format!("  ({})", other.display()));
            let per_workload = |p: &Point| p.after.0.saturating_sub(p.idle.0).max(1) as f64;
            println!(
                "       ratio this/other: B/wl RSS {:.2}, apply->all {:.2}, server CPU {:.2}",
                per_workload(&p) / per_workload(&q),
                p.elapsed.as_secs_f64() / q.elapsed.as_secs_f64(),
                p.cpu_seconds / q.cpu_seconds.max(0.01)
            );
        }
    }
    Ok(())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_point(p: &Point, label: &str) {
    let mut pss = p.agents_pss.clone();
    pss.sort_unstable();
    let median = pss.get(pss.len() / 2).copied().unwrap_or(0);
    let sum: u64 = pss.iter().sum();
    let per_workload = (p.after.0.saturating_sub(p.idle.0) * 1024) / p.workloads.max(1) as u64;
    let ms = p.elapsed.as_secs_f64() * 1000.0;
    println!(
        "{:>6} | {:>11.0} | {:>9.3} | {:>6.1} -> {:>5.1} | {:>6.1} -> {:>5.1} | {:>9} | {:>10.2} | {:>7.2} / {:>6.1}{label}",
        p.workloads,
        ms,
        ms / p.workloads.max(1) as f64,
        mib(p.idle.0),
        mib(p.after.0),
        mib(p.idle.1),
        mib(p.after.1),
        per_workload,
        p.cpu_seconds,
        mib(median),
        mib(sum)
    );
    println!(
        "       (apply answered after {:.0} ms)",
        p.acked.as_secs_f64() * 1000.0
    );
    if p.failed > 0 {
        println!(
            "       ({} workloads ended Failed, counted as reported)",
            p.failed
        );
    }
}

fn workload(agent: String, name: &str) -> Workload {
    Workload {
        agent,
        runtime: "native".into(),
        restart_policy: RestartPolicy::Never,
        runtime_config: format!("command: [/bin/true, {name}]"),
        ..Default::default()
    }
}

/// One fresh cluster with `n` workloads, its server from `server_dir`.
async fn point(s: &Settings, server_dir: &Path, root: &Path, n: usize) -> anyhow::Result<Point> {
    let dead_link = ["--dead-link-timeout", DEAD_LINK];
    let mut flags = dead_link.to_vec();
    if knows_state_limit(server_dir) {
        flags.extend(["--max-state-size", MAX_STATE]);
    }
    let (server, url, _) = start_server_with(server_dir, &Transport::Plain, "127.0.0.1:0", &flags)?;
    let mut client = first_answer(&url).await?;
    let mut watch = client.watch(&["workloadStates", "agents"]).await?;
    let mut agents: Vec<Proc> = Vec::with_capacity(s.fleet_agents);
    for a in 0..s.fleet_agents {
        let name = format!("agent_{a}");
        let folder = root.join(&name);
        let plain = &Transport::Plain;
        agents.push(start_agent_with(
            &s.bin_dir, &name, &url, &folder, plain, &dead_link,
        )?);
    }
    while watch.mirror.agents.len() < s.fleet_agents {
        watch.step().await?;
    }
    settle(&agents).await?;
    // Let the agents' first load reports and the server's allocations after them settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_pss_kib(server.pid())?;

    let mut state = State::new();
    for i in 0..n {
        let name = format!("fleet_{i}");
        let agent = format!("agent_{}", i % s.fleet_agents);
        state.workloads.insert(name.clone(), workload(agent, &name));
    }
    let cpu_before = cpu_ticks(server.pid())?;
    let started = Instant::now();
    client
        .update(state, vec!["desiredState.workloads".into()])
        .await?;
    let acked = started.elapsed();
    let failed = tokio::time::timeout(BASE + PER_WORKLOAD * n as u32, all_ended(&mut watch, n))
        .await
        .with_context(|| format!("not every one of {n} workloads was reported in time"))??;
    let elapsed = started.elapsed();
    let cpu_seconds = (cpu_ticks(server.pid())? - cpu_before) as f64 / TICKS_PER_SECOND;
    let after = rss_pss_kib(server.pid())?;
    let agents_pss = agents
        .iter()
        .map(|a| rss_pss_kib(a.pid()).map(|(_, pss)| pss))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Delete them, so the agents clean their instance folders and cgroups up before they go.
    client
        .update(State::new(), vec!["desiredState.workloads".into()])
        .await?;
    let gone = async {
        while watch.mirror.workload_states.values().any(|w| !w.is_empty()) {
            watch.step().await?;
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(BASE + PER_WORKLOAD * n as u32, gone)
        .await
        .context("the workloads were not all removed in time")??;
    Ok(Point {
        workloads: n,
        acked,
        elapsed,
        idle,
        after,
        cpu_seconds,
        agents_pss,
        failed,
    })
}

/// Waits until each of the `n` workloads has ended (`Succeeded` or `Failed`); returns how many
/// failed. Follows the events' contents only, so a wait costs O(events), not O(N) per event.
async fn all_ended(watch: &mut crate::client::Watch, n: usize) -> anyhow::Result<usize> {
    let mut ended: HashSet<String> = HashSet::with_capacity(n);
    let mut failed = 0;
    while ended.len() < n {
        let update = watch.step().await?;
        for (name, ids) in update.workload_states.into_values().flatten() {
            let Some(state) = ids.values().map(|s| s.state).find(|s| s.is_terminal()) else {
                continue;
            };
            if !name.starts_with("fleet_") {
                bail!("unexpected workload {name}");
            }
            if ended.insert(name) && state != ExecState::Succeeded {
                failed += 1;
            }
        }
    }
    Ok(failed)
}

/// Whether `server_dir`'s `ank-server` has `--max-state-size` (a server before the limits has
/// no limit to raise, and refuses the flag).
fn knows_state_limit(server_dir: &Path) -> bool {
    std::process::Command::new(server_dir.join("ank-server"))
        .arg("--help")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("--max-state-size"))
}
