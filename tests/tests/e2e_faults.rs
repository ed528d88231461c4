//! Faults with the real binaries (issue 12, point 5): `kill -9` of the agent, the server, or
//! both in either order while native workloads run, and of the server while an apply is in
//! flight; a node "rebooted" (agent and workload processes gone, run folder removed); a server
//! frozen beyond the dead-link time. After each, every wanted workload runs exactly once (a
//! `/proc` scan for its marker), adopted ones keep their pid, nothing deleted comes back, and
//! `ank get workloads` is true again within a bound (measured and printed). Needs root
//! (cgroups); skipped otherwise.

mod e2e_support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_support::faults::{
    exactly_once, kill9, kill_all, live, manifest, starts, stat_field, until_agent, until_started,
    until_true,
};
use e2e_support::{bin_dir, signal, Cluster};

/// States must be true this soon after the agent is back (the issue asks for a second).
const AFTER_RECONNECT: Duration = Duration::from_secs(5);
/// From a restart to the agent's reconnect: its backoff is capped at 5 s.
const RECONNECT: Duration = Duration::from_secs(10);
const AGENT_ARGS: [&str; 2] = ["--dead-link-timeout", "2s"];

fn root() -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: cgroups and /proc scans of every process need root (CI runs as root)");
    false
}

/// A cluster whose server keeps a state file and has a 2 s dead-link time, with agent_A; on
/// drop it also kills the workloads (they outlive a killed agent by design).
struct Rig {
    c: Cluster,
    args: Vec<String>,
    _state: tempfile::TempDir,
}

impl Rig {
    fn start() -> Rig {
        let state = tempfile::tempdir().expect("tempdir");
        let file = state
            .path()
            .join("state")
            .to_str()
            .expect("utf-8")
            .to_owned();
        let args = ["--state-file", &file, "--dead-link-timeout", "2s"].map(str::to_owned);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = Cluster::start_with(&refs);
        c.start_agent_with("agent_A", "zone=a", &[], &AGENT_ARGS);
        Rig {
            c,
            args: args.to_vec(),
            _state: state,
        }
    }

    /// Kills the server (if it runs) and starts it again; when.
    fn restart_server(&mut self) -> Instant {
        let refs: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.c.restart_server(&refs);
        Instant::now()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        kill_all(&self.c);
    }
}

/// Starts agent_A again (without waiting for it); when.
fn spawn_agent(c: &mut Cluster) -> Instant {
    let url = c.url.clone();
    let mut args = vec!["-k", "-n", "agent_A", "-t", "zone=a", "-s", &url];
    args.extend(AGENT_ARGS);
    c.spawn_agent("agent_A", &args, &[]);
    Instant::now()
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:02}")).collect()
}

/// Waits for the agent, then the true states; prints and checks the times (from `since`, the
/// last restart or heal), and that `wanted` run exactly once with the pids of `before`
/// (adopted, never started again).
fn recovered(c: &Cluster, what: &str, since: Instant, wanted: &[String], before: &[(String, u32)]) {
    until_agent(c, "agent_A", true);
    let reconnect = since.elapsed();
    let settled = until_true(c, wanted, AFTER_RECONNECT);
    eprintln!(
        "{what}: agent back {} ms after the restart, states true {} ms after that (bound {AFTER_RECONNECT:?})",
        reconnect.as_millis(),
        settled.as_millis()
    );
    assert!(since.elapsed() < RECONNECT + AFTER_RECONNECT);
    std::thread::sleep(Duration::from_millis(500));
    let pids = exactly_once(c, wanted);
    for (name, pid) in before {
        assert_eq!(pids.get(name), Some(pid), "{what}: {name} not adopted");
        assert_eq!(starts(c, name), vec![*pid], "{what}: {name} started twice");
    }
}

/// Applies the workloads `names` from `file` and waits until each runs, once; their pids.
fn apply(c: &Cluster, file: &str, names: &[String]) -> BTreeMap<String, u32> {
    c.ank_ok(&["apply", &c.write(file, &manifest(c, names))]);
    until_started(c, names);
    until_true(c, names, Duration::from_secs(20));
    exactly_once(c, names)
}

#[test]
fn kills_of_agent_server_or_both_keep_each_workload_once() {
    if !root() {
        return;
    }
    let mut rig = Rig::start();
    let mut wanted = names("w", 4);
    let all: Vec<String> = wanted.iter().cloned().chain(names("d", 3)).collect();
    let pids = apply(&rig.c, "all.yaml", &all);
    let delete = |c: &Cluster, wanted: &mut Vec<String>, name: &str| {
        c.ank_ok(&["delete", "workload", name]);
        wanted.retain(|w| w != name);
    };
    wanted.extend(names("d", 3));
    let kept = |wanted: &[String]| -> Vec<(String, u32)> {
        wanted.iter().map(|w| (w.clone(), pids[w])).collect()
    };

    // The agent killed; a delete while it is away reaches it when it is back.
    rig.c.kill_agent("agent_A");
    until_agent(&rig.c, "agent_A", false);
    delete(&rig.c, &mut wanted, "d00");
    let since = spawn_agent(&mut rig.c);
    recovered(&rig.c, "agent killed", since, &wanted, &kept(&wanted));

    // The server killed right after acknowledging a delete: the delete holds.
    delete(&rig.c, &mut wanted, "d01");
    let since = rig.restart_server();
    recovered(&rig.c, "server killed", since, &wanted, &kept(&wanted));

    // Agent, then server; a delete in between; the server back first.
    rig.c.kill_agent("agent_A");
    until_agent(&rig.c, "agent_A", false);
    delete(&rig.c, &mut wanted, "d02");
    signal(rig.c.server_pid(), "KILL");
    rig.restart_server();
    let since = spawn_agent(&mut rig.c);
    recovered(
        &rig.c,
        "agent then server killed",
        since,
        &wanted,
        &kept(&wanted),
    );

    // Server, then agent; the agent back first, finding no server for a while.
    signal(rig.c.server_pid(), "KILL");
    rig.c.kill_agent("agent_A");
    spawn_agent(&mut rig.c);
    std::thread::sleep(Duration::from_secs(1));
    let since = rig.restart_server();
    recovered(
        &rig.c,
        "server then agent killed",
        since,
        &wanted,
        &kept(&wanted),
    );
}

#[test]
fn a_server_killed_during_an_apply_keeps_all_or_nothing() {
    if !root() {
        return;
    }
    const N: usize = 20;
    let mut rig = Rig::start();
    let mut wanted: Vec<String> = Vec::new();
    let mut adopted: Vec<(String, u32)> = Vec::new();
    for (round, delay) in [0u64, 40, 120].into_iter().enumerate() {
        let batch = names(&format!("b{round}w"), N);
        let file = rig
            .c
            .write(&format!("b{round}.yaml"), &manifest(&rig.c, &batch));
        let mut apply = Command::new(bin_dir().join("ank"))
            .args(["-k", "-s", &rig.c.url, "apply", &file])
            .env("HOME", rig.c.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ank apply");
        std::thread::sleep(Duration::from_millis(delay));
        signal(rig.c.server_pid(), "KILL");
        let acknowledged = apply.wait().expect("ank apply").success();
        let since = rig.restart_server();
        until_agent(&rig.c, "agent_A", true);
        let desired = rig
            .c
            .ank_ok(&["get", "state", "-o", "json", "desiredState.workloads"]);
        let present = batch
            .iter()
            .filter(|w| desired.contains(&format!("\"{w}\"")))
            .count();
        eprintln!("apply killed after {delay} ms: acknowledged {acknowledged}, {present}/{N} kept");
        assert!(present == 0 || present == N, "a half state: {present}/{N}");
        assert!(!acknowledged || present == N, "an acknowledged update lost");
        if present == 0 {
            // Never forwarded: nothing of it may run, now or a moment later.
            std::thread::sleep(Duration::from_secs(1));
            recovered(&rig.c, "apply not accepted", since, &wanted, &adopted);
        } else {
            let mut all = wanted.clone();
            all.extend(batch.iter().cloned());
            until_started(&rig.c, &batch);
            recovered(&rig.c, "apply accepted", since, &all, &adopted);
        }
        // Applying again converges: each runs once, what ran before is kept.
        rig.c.ank_ok(&["apply", &file]);
        wanted.extend(batch.iter().cloned());
        until_started(&rig.c, &batch);
        until_true(&rig.c, &wanted, Duration::from_secs(20));
        let pids = exactly_once(&rig.c, &wanted);
        for name in &batch {
            assert_eq!(starts(&rig.c, name).len(), 1, "{name} started twice");
            adopted.push((name.clone(), pids[name]));
        }
    }
}

#[test]
fn a_rebooted_node_runs_each_workload_once_again() {
    if !root() {
        return;
    }
    let mut rig = Rig::start();
    let wanted = names("r", 4);
    let before = apply(&rig.c, "r.yaml", &wanted);

    // Power off: the agent, every shim and workload gone, and the run folder with them.
    rig.c.kill_agent("agent_A");
    for pid in before.values() {
        if let Some(shim) = stat_field(*pid, 4) {
            kill9(shim);
        }
        kill9(*pid);
    }
    let start = Instant::now();
    while !live(&rig.c).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            live(&rig.c)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::remove_dir_all(rig.c.dir.path().join("run_agent_A")).expect("remove run folder");
    until_agent(&rig.c, "agent_A", false);

    let since = spawn_agent(&mut rig.c);
    until_started(&rig.c, &wanted);
    recovered(&rig.c, "node rebooted", since, &wanted, &[]);
    for name in &wanted {
        let lives = starts(&rig.c, name);
        assert_eq!(lives.len(), 2, "{name}: starts {lives:?}");
        assert_ne!(lives[1], before[name]);
    }
}

#[test]
fn a_server_frozen_beyond_the_dead_link_time_restarts_nothing() {
    if !root() {
        return;
    }
    let rig = Rig::start();
    let wanted = names("f", 4);
    let pids = apply(&rig.c, "f.yaml", &wanted);
    let before: Vec<(String, u32)> = pids.into_iter().collect();

    let server = rig.c.server_pid();
    signal(server, "STOP");
    std::thread::sleep(Duration::from_millis(3500));
    signal(server, "CONT");
    let since = Instant::now();
    recovered(&rig.c, "server unreachable 3.5 s", since, &wanted, &before);
    // Right after SIGCONT the server may still show what it knew; once both ends have judged
    // the old session (the dead-link time) and the agent is back, still true, still the same.
    std::thread::sleep(Duration::from_millis(2500));
    recovered(&rig.c, "and 2.5 s later", since, &wanted, &before);
}
