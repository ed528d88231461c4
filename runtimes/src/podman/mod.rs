//! The `podman` runtime: one container per instance, named after the instance
//! (`<workload>.<id>.<agent>`, as Ankaios names them) and found by that name, so a restarted
//! agent adopts the containers it or Ankaios started. Containers it starts also carry the label
//! `anchorage.instance=<instance>`, for users' filters only. States come from the shared
//! [`PodmanWatcher`] events; a container removed behind the agent's back is `Failed(Lost)`.
//!
//! [`PodmanWatcher`]: crate::podman_cli::PodmanWatcher

mod args;
mod track;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use ank_model::redact::{parse_runtime_config, podman_env_values, scrub};
use ank_model::runtime_config::{PodmanConfig, PODMAN};
use ank_model::WorkloadInstanceName;
use async_trait::async_trait;

pub use args::{run_args, write_files, CONTROL_INTERFACE_TARGET};

use crate::podman_cli::{argv, instance_of, log_stream, parse_ps, Podman};
use crate::{LogOptions, LogStream, Runtime, RuntimeError, StateSink, WorkloadSpec};
use track::Tracker;

/// Runs `podman` workloads. Build it with [`PodmanRuntime::new`]; it owns its event task.
pub struct PodmanRuntime {
    podman: Podman,
    tracker: Arc<Tracker>,
    events: tokio::task::JoinHandle<()>,
}

impl PodmanRuntime {
    /// A runtime reporting into `sink`, sharing `podman`'s events watcher.
    pub fn new(sink: StateSink, podman: &Podman) -> Self {
        let tracker = Arc::new(Tracker::new(sink, podman.watcher.clone()));
        let events = tokio::spawn(tracker.clone().follow(podman.watcher.subscribe()));
        PodmanRuntime {
            podman: podman.clone(),
            tracker,
            events,
        }
    }

    fn parse(runtime_config: &str) -> Result<PodmanConfig, RuntimeError> {
        let config: PodmanConfig =
            parse_runtime_config(PODMAN, runtime_config).map_err(RuntimeError::InvalidConfig)?;
        if config.image.trim().is_empty() {
            return Err(RuntimeError::InvalidConfig(
                "image must not be empty".into(),
            ));
        }
        Ok(config)
    }

    /// `podman rm -f -t N --ignore <name>`: one call that stops (SIGTERM, SIGKILL after the
    /// timeout) and removes, and succeeds when the container is already gone.
    async fn remove(&self, general_options: &[String], name: &str) -> Result<(), RuntimeError> {
        let mut args = general_options.to_vec();
        let timeout = self.podman.stop_timeout.as_secs().to_string();
        args.extend(argv(["rm", "-f", "--ignore", "-t", &timeout, name]));
        let out = self.podman.run(&args).await?;
        if out.success {
            Ok(())
        } else {
            Err(RuntimeError::StopFailed(out.message()))
        }
    }
}

impl Drop for PodmanRuntime {
    fn drop(&mut self) {
        self.events.abort();
    }
}

#[async_trait]
impl Runtime for PodmanRuntime {
    fn name(&self) -> &'static str {
        PODMAN
    }

    fn check_config(&self, runtime_config: &str) -> Result<(), RuntimeError> {
        Self::parse(runtime_config).map(|_| ())
    }

    async fn list_instances(&self, agent: &str) -> Result<Vec<WorkloadInstanceName>, RuntimeError> {
        // By name, as Ankaios finds its containers: this adopts the containers Ankaios started
        // as well as ours. Podman's name filter is a regex; `instance_of` decides.
        let filter = format!("name=\\.{agent}$");
        let out = self
            .podman
            .run(&argv(["ps", "-a", "--format", "json", "--filter", &filter]))
            .await?;
        if !out.success {
            return Err(RuntimeError::Io {
                context: "podman ps".into(),
                source: std::io::Error::other(out.message()),
            });
        }
        let containers =
            parse_ps(&out.stdout).map_err(|e| RuntimeError::io("podman ps output", e.into()))?;
        let mine: Vec<(WorkloadInstanceName, String)> = containers
            .into_iter()
            .filter(|c| c.pod.is_empty())
            .filter_map(|c| Some((instance_of(c.name(), agent)?, c.id)))
            .collect();
        self.tracker
            .adoptable(mine.iter().map(|(name, id)| (name.to_string(), id.clone())));
        let found = mine.into_iter().map(|(name, _)| name).collect();
        Ok(found)
    }

    async fn start(&self, spec: &WorkloadSpec) -> Result<(), RuntimeError> {
        let config = Self::parse(&spec.runtime_config)?;
        let name = spec.instance.to_string();
        if self.tracker.adopt(&spec.instance, &config.general_options) {
            return Ok(());
        }
        let mounts = write_files(&spec.instance_dir, &spec.files)?;
        let args = run_args(
            &config,
            &spec.instance,
            &mounts,
            spec.control_interface_dir.as_deref(),
        );
        self.tracker.track(&spec.instance, &config.general_options);
        let mut out = self.podman.run(&args).await?;
        if !out.success && out.stderr.contains("already in use") {
            // A leftover of an earlier life that nobody adopted: replace it.
            self.tracker.untrack(&name);
            self.remove(&config.general_options, &name).await?;
            self.tracker.track(&spec.instance, &config.general_options);
            out = self.podman.run(&args).await?;
        }
        if !out.success {
            self.tracker.untrack(&name);
            // `run -d` leaves a created container behind when only the start failed.
            if let Err(e) = self.remove(&config.general_options, &name).await {
                tracing::warn!(instance = %name, error = %e, "cannot clean up after a failed start");
            }
            // Podman may quote the argument it refused, an `-e K=V` among them.
            let message = scrub(&out.message(), &podman_env_values(&args));
            return Err(RuntimeError::StartFailed(message));
        }
        let id = out
            .stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        self.tracker.started(&name, id);
        Ok(())
    }

    async fn stop(&self, instance: &WorkloadInstanceName) -> Result<(), RuntimeError> {
        let name = instance.to_string();
        let general_options = self.tracker.stopping(instance);
        self.remove(&general_options, &name).await?;
        self.tracker.untrack(&name);
        Ok(())
    }

    async fn logs(
        &self,
        instance: &WorkloadInstanceName,
        options: &LogOptions,
    ) -> Result<LogStream, RuntimeError> {
        let name = instance.to_string();
        let general_options = self
            .tracker
            .general_options(&name)
            .ok_or_else(|| RuntimeError::NotFound(name.clone()))?;
        log_stream(
            &self.podman.runner,
            &general_options,
            vec![(None, name)],
            options,
        )
    }

    async fn shutdown(&self) {
        self.events.abort();
    }
}
