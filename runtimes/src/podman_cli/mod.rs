//! What the `podman` and `podman-kube` runtimes share: the [`CommandRunner`] seam to the
//! `podman` binary, Podman's JSON, the one `podman events` [`PodmanWatcher`] and log streams.
//!
//! An agent builds one [`Podman`] and hands it to both runtimes, so there is one events
//! process per agent.

mod json;
mod logs;
mod runner;
mod watcher;

#[cfg(test)]
pub(crate) mod fake;

use std::sync::Arc;
use std::time::Duration;

pub use json::{parse_event, parse_ps, EventKind, PodmanEvent, PsContainer, INSTANCE_LABEL};
pub use logs::{log_args, log_stream};
pub use runner::{loggable, CommandOutput, CommandRunner, LineStream, PodmanCommand};
pub use watcher::{ContainerRecord, ContainerState, PodmanWatcher, WatchEvent, REMOVE_GRACE};

use ank_model::validate::{is_valid_agent_name, is_valid_workload_name};
use ank_model::WorkloadInstanceName;

use crate::RuntimeError;

/// How the agent runs Podman.
#[derive(Debug, Clone)]
pub struct PodmanOptions {
    /// The `podman` program (looked up in `PATH`).
    pub program: String,
    /// Extra environment for every `podman` call, e.g. `CONTAINERS_CONF`; the agent's own
    /// environment is inherited anyway.
    pub env: Vec<(String, String)>,
    /// How long `stop` waits after SIGTERM before SIGKILL (`podman rm -f -t`).
    pub stop_timeout: Duration,
}

impl Default for PodmanOptions {
    fn default() -> Self {
        PodmanOptions {
            program: "podman".to_owned(),
            env: Vec::new(),
            // Shorter than Podman's 10 s: `sleep`-like PID 1s ignore SIGTERM, and a delete should
            // not hang the agent; matches what `podman kube down` takes here.
            stop_timeout: Duration::from_secs(3),
        }
    }
}

/// The shared Podman handle: the command runner plus the events watcher. Cheap to clone.
#[derive(Clone)]
pub struct Podman {
    pub(crate) runner: Arc<dyn CommandRunner>,
    pub(crate) watcher: Arc<PodmanWatcher>,
    pub(crate) stop_timeout: Duration,
}

impl Podman {
    /// Runs the real `podman`; the events watcher starts with the first podman workload.
    pub fn new(options: PodmanOptions) -> Self {
        let runner = Arc::new(PodmanCommand {
            program: options.program,
            env: options.env,
        });
        Self::with_runner(runner, options.stop_timeout)
    }

    /// Runs podman through `runner` (a fake in tests).
    pub fn with_runner(runner: Arc<dyn CommandRunner>, stop_timeout: Duration) -> Self {
        let watcher = PodmanWatcher::new(runner.clone());
        Podman {
            runner,
            watcher,
            stop_timeout,
        }
    }

    /// Runs podman; a non-zero exit is `Ok` with `success == false`.
    pub(crate) async fn run(&self, args: &[String]) -> Result<CommandOutput, RuntimeError> {
        self.runner.run(args).await.map_err(|e| {
            RuntimeError::io(
                format!(
                    "cannot run podman {}",
                    args.first().map_or("", String::as_str)
                ),
                e,
            )
        })
    }
}

/// Turns `&str`s into an argv.
pub(crate) fn argv<'a>(parts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    parts.into_iter().map(str::to_owned).collect()
}

/// `name` as an instance name of `agent`: `<workload>.<id>.<agent>` with a valid workload name
/// and a 64-digit lower-case hex id (the SHA-256 of a runtimeConfig), as Ankaios names
/// containers and bookkeeping volumes. Anything else on the node is not ours.
pub fn instance_of(name: &str, agent: &str) -> Option<WorkloadInstanceName> {
    let instance = WorkloadInstanceName::parse(name)?;
    let id_ok = instance.id.len() == 64
        && instance
            .id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (id_ok
        && instance.agent_name == agent
        && is_valid_agent_name(agent)
        && is_valid_workload_name(&instance.workload_name))
    .then_some(instance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_of_an_agent() {
        let id = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let name = format!("web.{id}.agent_A");
        let parsed = instance_of(&name, "agent_A").expect("an instance of agent_A");
        assert_eq!(parsed.to_string(), name);
        for other in [
            format!("web.{id}.agent_B"),
            format!("web.{id}.agent_A.pods"),
            format!("w.b.{id}.agent_A"),
            format!("web.{}.agent_A", id.to_uppercase()),
            format!("web.{}.agent_A", &id[1..]),
            "web.abc.agent_A".to_owned(),
            "e2ep-life-pod-first".to_owned(),
            format!(".{id}.agent_A"),
        ] {
            assert_eq!(instance_of(&other, "agent_A"), None, "{other}");
        }
    }
}
