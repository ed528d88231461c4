//! Counting the lives of native workloads for the fault tests: each start appends its pid to
//! `<name>.starts` in the cluster's folder and `exec`s `sleep` under an `argv[0]` marker
//! (`ankfault-<cluster>-<name>`), so a `/proc` scan finds every live copy, whoever started it.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{alive, row, Cluster};

/// The marker prefix of this cluster's workloads (unique per cluster folder).
pub fn marker(c: &Cluster) -> String {
    let base = c.dir.path().file_name().map(|n| n.to_string_lossy());
    format!(
        "ankfault-{}-",
        base.unwrap_or_default().trim_start_matches('.')
    )
}

/// A manifest entry for native workload `name` on agent_A that records each start.
pub fn workload(c: &Cluster, name: &str) -> String {
    let starts = c.path(&format!("{name}.starts"));
    format!(
        "  {name}:\n    runtime: native\n    agent: agent_A\n    runtimeConfig: |\n      command: [bash, -c, 'echo $$ >> {starts}; exec -a {}{name} sleep 1000']\n",
        marker(c)
    )
}

/// A manifest of the workloads `names`.
pub fn manifest(c: &Cluster, names: &[String]) -> String {
    let mut text = String::from("apiVersion: v1\nworkloads:\n");
    for name in names {
        text.push_str(&workload(c, name));
    }
    text
}

/// The pids every start of `name` recorded, in order.
pub fn starts(c: &Cluster, name: &str) -> Vec<u32> {
    std::fs::read_to_string(c.dir.path().join(format!("{name}.starts")))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// The live processes carrying the cluster's marker, by workload name.
pub fn live(c: &Cluster) -> BTreeMap<String, Vec<u32>> {
    live_with(&marker(c))
}

/// The live processes whose `argv[0]` starts with `prefix`, by the rest of `argv[0]`.
pub fn live_with(prefix: &str) -> BTreeMap<String, Vec<u32>> {
    let mut found: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        let argv0 = String::from_utf8_lossy(argv0);
        if let Some(name) = argv0.strip_prefix(prefix) {
            if alive(pid) {
                found.entry(name.to_owned()).or_default().push(pid);
            }
        }
    }
    found
}

/// Kills (SIGKILL) every live process of the cluster's workloads; for cleanup.
pub fn kill_all(c: &Cluster) {
    for pid in live(c).into_values().flatten() {
        kill9(pid);
    }
}

/// `kill -9 PID`, errors ignored (it may be gone).
pub fn kill9(pid: u32) {
    let _ = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status();
}

/// Field `n` (1-based) of `/proc/<pid>/stat` (4: the parent).
pub fn stat_field(pid: u32, n: usize) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    rest.split_whitespace().nth(n - 3)?.parse().ok()
}

/// Whether `ank get workloads` shows exactly `running`, each `Running(Ok)`.
pub fn states_true(table: &str, running: &[String]) -> bool {
    let rows = table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    rows == running.len()
        && running
            .iter()
            .all(|w| row(table, w).and_then(|r| r.get(3).copied()) == Some("Running(Ok)"))
}

/// Polls `ank get workloads` until it shows the true states; how long that took.
pub fn until_true(c: &Cluster, running: &[String], bound: Duration) -> Duration {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < bound {
        let out = c.ank(&["get", "workloads"]);
        last = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && states_true(&last, running) {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "states not true within {bound:?}; want {running:?} Running(Ok), last:\n{last}\n{}",
        c.logs()
    );
}

/// Polls `ank get agents` until `agent` is listed (`true`) or not; how long that took.
pub fn until_agent(c: &Cluster, agent: &str, listed: bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let out = c.ank(&["get", "agents"]);
        let text = String::from_utf8_lossy(&out.stdout);
        let shown = text
            .lines()
            .any(|l| l.split_whitespace().next() == Some(agent));
        if out.status.success() && shown == listed {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("agent {agent} listed != {listed} within 20 s\n{}", c.logs());
}

/// Asserts every one of `running` has exactly one live process and the rest of the cluster's
/// workloads none; returns the live pid of each.
pub fn exactly_once(c: &Cluster, running: &[String]) -> BTreeMap<String, u32> {
    let live = live(c);
    let mut pids = BTreeMap::new();
    for name in running {
        let copies = live.get(name).cloned().unwrap_or_default();
        assert_eq!(
            copies.len(),
            1,
            "{name}: live copies {copies:?}\n{}",
            c.logs()
        );
        pids.insert(name.clone(), copies[0]);
    }
    let extra: Vec<_> = live.keys().filter(|n| !running.contains(n)).collect();
    assert!(
        extra.is_empty(),
        "not wanted, yet running: {extra:?}\n{}",
        c.logs()
    );
    pids
}

/// Waits until every one of `names` has recorded a start.
pub fn until_started(c: &Cluster, names: &[String]) {
    let start = Instant::now();
    while names.iter().any(|n| starts(c, n).is_empty()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not all of {names:?} started\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
