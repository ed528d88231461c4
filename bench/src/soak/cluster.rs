//! The soak's processes: one server (with a state file, restarted on the same address) and
//! the agents, each killed and started again at will, and the native workloads it applies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ank_model::{State, Workload};

use super::check::{self, Desired};
use crate::client::Client;
use crate::procs::{start_agent_with, start_server_with, Proc, Transport};

/// The agents of the soak.
pub const AGENTS: [&str; 2] = ["agent_A", "agent_B"];
/// Both ends' dead-link time.
const DEAD_LINK: &str = "2s";

/// The running cluster.
pub struct Cluster {
    bin_dir: PathBuf,
    root: PathBuf,
    address: String,
    /// `http://ADDRESS`.
    pub url: String,
    server: Option<Proc>,
    agents: BTreeMap<String, Proc>,
    /// The `argv[0]` prefix of this soak's workload processes.
    pub marker: String,
    /// One file per workload; each start appends its pid.
    pub starts_dir: PathBuf,
}

impl Cluster {
    /// Starts the server and the agents in `root`.
    pub async fn start(bin_dir: &Path, root: &Path) -> anyhow::Result<Cluster> {
        let starts_dir = root.join("starts");
        std::fs::create_dir_all(&starts_dir)?;
        let mut c = Cluster {
            bin_dir: bin_dir.to_owned(),
            root: root.to_owned(),
            address: "127.0.0.1:0".into(),
            url: String::new(),
            server: None,
            agents: BTreeMap::new(),
            marker: format!("anksoak-{}-", std::process::id()),
            starts_dir,
        };
        c.start_server().await?;
        for agent in AGENTS {
            c.start_agent(agent)?;
        }
        Ok(c)
    }

    /// Starts the server (again, on the address it had).
    pub async fn start_server(&mut self) -> anyhow::Result<()> {
        let state = self.root.join("state");
        let state = state.to_string_lossy();
        let args = ["--state-file", &state, "--dead-link-timeout", DEAD_LINK];
        let (server, url, _) =
            start_server_with(&self.bin_dir, &Transport::Plain, &self.address, &args)?;
        self.address = url.trim_start_matches("http://").to_owned();
        self.url = url;
        self.server = Some(server);
        Ok(())
    }

    /// `kill -9` of the server (reaped).
    pub fn kill_server(&mut self) {
        self.server = None;
    }

    /// Starts `agent` (again, on its run folder), without waiting for it to connect.
    pub fn start_agent(&mut self, agent: &str) -> anyhow::Result<()> {
        let run = self.root.join(format!("run_{agent}"));
        let args = ["--dead-link-timeout", DEAD_LINK];
        let proc = start_agent_with(
            &self.bin_dir,
            agent,
            &self.url,
            &run,
            &Transport::Plain,
            &args,
        )?;
        self.agents.insert(agent.to_owned(), proc);
        Ok(())
    }

    /// `kill -9` of `agent` (reaped); its workloads keep running.
    pub fn kill_agent(&mut self, agent: &str) {
        self.agents.remove(agent);
    }

    /// `("server", pid)` while it runs.
    pub fn server_pid(&self) -> Option<(&'static str, u32)> {
        self.server.as_ref().map(|s| ("server", s.pid()))
    }

    /// `(agent, pid)` while it runs.
    pub fn agent_pid(&self, agent: &'static str) -> Option<(&'static str, u32)> {
        self.agents.get(agent).map(|a| (agent, a.pid()))
    }

    /// Deletes every workload and waits (10 s at most) until their processes are gone; kills
    /// what is left.
    pub async fn teardown(&mut self) {
        if let Ok(mut client) = Client::connect_over(&self.url, &Transport::Plain).await {
            let _ = client
                .update(State::new(), vec!["desiredState.workloads".into()])
                .await;
        }
        let start = Instant::now();
        while !check::live(&self.marker).is_empty() && start.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.agents.clear();
        self.server = None;
        for (_, pid) in check::live_pids(&self.marker) {
            signal(pid, "KILL");
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.agents.clear();
        for (_, pid) in check::live_pids(&self.marker) {
            signal(pid, "KILL");
        }
    }
}

/// A native workload `name` on `agent` that records each start in `starts/<name>` and sleeps
/// under the marker.
pub fn workload(name: &str, agent: &str, starts: &Path, marker: &str) -> Workload {
    let file = starts.join(name);
    Workload {
        agent: agent.into(),
        runtime: "native".into(),
        runtime_config: format!(
            "command: [bash, -c, 'echo $$ >> {}; exec -a {marker}{name} sleep 100000']\n",
            file.display()
        ),
        ..Default::default()
    }
}

/// The desired state of a server that was just started (retried for 10 s).
pub async fn desired_after_restart(url: &str) -> Option<Desired> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Some(state) = check::state(url).await {
            return Some(check::desired_of(&state));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Waits (5 s at most) until the server lists `agent` as connected, or not.
pub async fn until_agent(url: &str, agent: &str, listed: bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        let state = check::state(url).await;
        if state.is_some_and(|s| s.agents.contains_key(agent) == listed) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `kill -SIGNAL PID`, errors ignored (the process may be gone).
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}
