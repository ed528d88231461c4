//! The soak's judge: what the server holds and reports, and which workload processes live
//! (found by the marker in their `argv[0]`), against the soak's own model of the desired state.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use ank_model::exec_state::ExecState;
use ank_model::CompleteState;

use crate::client::Client;
use crate::procs::Transport;

/// The desired state as the soak believes it: workload name → agent.
pub type Desired = BTreeMap<String, String>;

/// What was wrong the last time the cluster was looked at (all empty: converged).
#[derive(Debug, Default)]
pub struct Verdict {
    /// Wanted, yet missing from the server's desired state or not running.
    pub lost: Vec<String>,
    /// Wanted and running more than once.
    pub doubled: Vec<String>,
    /// Not wanted, yet running (or reported).
    pub orphans: Vec<String>,
    /// Agents not connected, or the server not answering.
    pub unreachable: Vec<String>,
    /// The server's desired state (name → agent), when it answered.
    pub server: Option<Desired>,
}

impl Verdict {
    /// Whether nothing was wrong.
    pub fn converged(&self) -> bool {
        self.lost.is_empty()
            && self.doubled.is_empty()
            && self.orphans.is_empty()
            && self.unreachable.is_empty()
    }
}

/// The complete state, or `None` when the server does not answer within 2 s.
pub async fn state(url: &str) -> Option<CompleteState> {
    let ask = async {
        let mut client = Client::connect_over(url, &Transport::Plain).await.ok()?;
        client.complete_state(&[]).await.ok()
    };
    tokio::time::timeout(Duration::from_secs(2), ask)
        .await
        .ok()
        .flatten()
}

/// The workloads in a state's desired state, by name, with their agents.
pub fn desired_of(state: &CompleteState) -> Desired {
    let workloads = &state.desired_state.workloads;
    workloads
        .iter()
        .map(|(name, w)| (name.clone(), w.agent.clone()))
        .collect()
}

/// Looks once: the server's view, the reports and the processes against `want`.
pub async fn look(url: &str, want: &Desired, agents: &[&str], marker: &str) -> Verdict {
    let mut v = Verdict::default();
    let live = live(marker);
    let Some(state) = state(url).await else {
        v.unreachable.push("server".into());
        return v;
    };
    let server = desired_of(&state);
    for agent in agents {
        if !state.agents.contains_key(*agent) {
            v.unreachable.push((*agent).to_owned());
        }
    }
    for (name, agent) in want {
        let running = state
            .workload_states
            .get(agent)
            .and_then(|w| w.get(name))
            .is_some_and(|ids| ids.values().any(|s| s.state == ExecState::Running));
        let copies = live.get(name).copied().unwrap_or(0);
        if !server.contains_key(name) || !running || copies == 0 {
            v.lost.push(name.clone());
        }
        if copies > 1 {
            v.doubled.push(name.clone());
        }
    }
    let reported = state.workload_states.values().flat_map(|w| w.keys());
    let extra: BTreeSet<&String> = live.keys().chain(reported).collect();
    v.orphans = extra
        .into_iter()
        .filter(|n| !want.contains_key(*n))
        .cloned()
        .collect();
    v.server = Some(server);
    v
}

/// Looks until converged or `limit` passed; the last verdict and how long it took.
pub async fn converge(
    url: &str,
    want: &Desired,
    agents: &[&str],
    marker: &str,
    limit: Duration,
) -> (Verdict, Duration) {
    let start = Instant::now();
    loop {
        let v = look(url, want, agents, marker).await;
        if v.converged() || start.elapsed() > limit {
            return (v, start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The live (not zombie) processes whose `argv[0]` starts with `marker`: count by the rest.
pub fn live(marker: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for (name, _) in live_pids(marker) {
        *found.entry(name).or_insert(0) += 1;
    }
    found
}

/// The live processes whose `argv[0]` starts with `marker`: (rest of `argv[0]`, pid).
pub fn live_pids(marker: &str) -> Vec<(String, u32)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        let argv0 = String::from_utf8_lossy(argv0);
        if let Some(name) = argv0.strip_prefix(marker) {
            if !zombie(pid) {
                found.push((name.to_owned(), pid));
            }
        }
    }
    found
}

fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z")
    })
}

/// Starts recorded in `folder` (one file per workload, a line per start): (all, beyond the
/// first of each).
pub fn starts(folder: &Path) -> (usize, usize) {
    let (mut all, mut doubled) = (0, 0);
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let lines = std::fs::read_to_string(entry.path())
            .unwrap_or_default()
            .lines()
            .count();
        all += lines;
        doubled += lines.saturating_sub(1);
    }
    (all, doubled)
}
