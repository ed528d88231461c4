//! The `podman-kube` runtime: `podman kube play` of the workload's manifest, `podman kube down`
//! on stop. Pods keep their manifest names; the instance's pod IDs are kept in a volume named
//! `<instance>.pods` (as Ankaios names it) so a restarted agent finds and adopts them. The
//! instance's state is derived from its pods' containers; restarts are the agent's business.

mod control_interface;
mod play;
mod track;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use ank_model::runtime_config::{PodmanKubeConfig, PODMAN_KUBE};
use ank_model::WorkloadInstanceName;
use async_trait::async_trait;

pub use control_interface::mount_control_interface;
pub use play::{pod_ids, pods_volumes, PODS_LABEL, PODS_VOLUME_SUFFIX};

use crate::podman_cli::{argv, log_stream, Podman, INSTANCE_LABEL};
use crate::{LogOptions, LogStream, Runtime, RuntimeError, StateSink, WorkloadSpec};
use track::{Teardown, Tracker};

/// The manifest's file in the instance folder.
const MANIFEST_FILE: &str = "manifest.yaml";

/// Runs `podman-kube` workloads. Build it with [`PodmanKubeRuntime::new`].
pub struct PodmanKubeRuntime {
    podman: Podman,
    tracker: Arc<Tracker>,
    events: tokio::task::JoinHandle<()>,
}

impl PodmanKubeRuntime {
    /// A runtime reporting into `sink`, sharing `podman`'s events watcher.
    pub fn new(sink: StateSink, podman: &Podman) -> Self {
        let tracker = Arc::new(Tracker::new(sink, podman.watcher.clone()));
        let events = tokio::spawn(tracker.clone().follow(podman.watcher.subscribe()));
        PodmanKubeRuntime {
            podman: podman.clone(),
            tracker,
            events,
        }
    }

    fn parse(runtime_config: &str) -> Result<PodmanKubeConfig, RuntimeError> {
        let config: PodmanKubeConfig = serde_yaml_ng::from_str(runtime_config)
            .map_err(|e| RuntimeError::InvalidConfig(e.to_string()))?;
        if config.manifest.trim().is_empty() {
            return Err(RuntimeError::InvalidConfig(
                "manifest must not be empty".into(),
            ));
        }
        Ok(config)
    }

    /// `kube down` of the manifest, else (no manifest, or it failed) `pod rm -f` of the pods.
    async fn take_down(&self, teardown: &Teardown) -> Result<(), RuntimeError> {
        if let Some(manifest) = teardown.manifest.as_ref().filter(|m| m.exists()) {
            let mut args = teardown.general_options.clone();
            args.extend(argv(["kube", "down"]));
            args.extend(teardown.down_options.iter().cloned());
            args.push(manifest.display().to_string());
            let out = self.podman.run(&args).await?;
            if out.success {
                return Ok(());
            }
            tracing::debug!(error = %out.message(), "kube down failed; removing the pods directly");
        }
        if teardown.pods.is_empty() {
            return Ok(());
        }
        let timeout = self.podman.stop_timeout.as_secs().to_string();
        let mut args = teardown.general_options.clone();
        args.extend(argv(["pod", "rm", "-f", "--ignore", "-t", &timeout]));
        args.extend(teardown.pods.iter().cloned());
        let out = self.podman.run(&args).await?;
        if out.success {
            Ok(())
        } else {
            Err(RuntimeError::StopFailed(out.message()))
        }
    }

    /// Creates the `<instance>.pods` volume that lists the pods, replacing a stale one.
    async fn record_pods(
        &self,
        general_options: &[String],
        name: &str,
        pods: &[String],
    ) -> Result<(), RuntimeError> {
        let mut args = general_options.to_vec();
        let (instance_label, pods_label) = (
            format!("{INSTANCE_LABEL}={name}"),
            format!("{PODS_LABEL}={}", pods.join(",")),
        );
        let volume = format!("{name}{PODS_VOLUME_SUFFIX}");
        args.extend(argv([
            "volume",
            "create",
            "--label",
            &instance_label,
            "--label",
            &pods_label,
            &volume,
        ]));
        let mut out = self.podman.run(&args).await?;
        if !out.success && out.stderr.contains("already exists") {
            self.remove_volume(general_options, name).await?;
            out = self.podman.run(&args).await?;
        }
        if out.success {
            Ok(())
        } else {
            Err(RuntimeError::StartFailed(out.message()))
        }
    }

    async fn remove_volume(
        &self,
        general_options: &[String],
        name: &str,
    ) -> Result<(), RuntimeError> {
        let mut args = general_options.to_vec();
        let volume = format!("{name}{PODS_VOLUME_SUFFIX}");
        args.extend(argv(["volume", "rm", "-f", &volume]));
        let out = self.podman.run(&args).await?;
        if out.success || out.stderr.contains("no such volume") {
            Ok(())
        } else {
            Err(RuntimeError::StopFailed(out.message()))
        }
    }

    /// Whether every pod still exists (`podman pod exists`).
    async fn pods_exist(
        &self,
        general_options: &[String],
        pods: &[String],
    ) -> Result<bool, RuntimeError> {
        for pod in pods {
            let mut args = general_options.to_vec();
            args.extend(argv(["pod", "exists", pod]));
            if !self.podman.run(&args).await?.success {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Drop for PodmanKubeRuntime {
    fn drop(&mut self) {
        self.events.abort();
    }
}

#[async_trait]
impl Runtime for PodmanKubeRuntime {
    fn name(&self) -> &'static str {
        PODMAN_KUBE
    }

    fn check_config(&self, runtime_config: &str) -> Result<(), RuntimeError> {
        Self::parse(runtime_config).map(|_| ())
    }

    async fn list_instances(&self, agent: &str) -> Result<Vec<WorkloadInstanceName>, RuntimeError> {
        let filter = format!("label={PODS_LABEL}");
        let out = self
            .podman
            .run(&argv([
                "volume", "ls", "--format", "json", "--filter", &filter,
            ]))
            .await?;
        if !out.success {
            return Err(RuntimeError::io(
                "podman volume ls",
                std::io::Error::other(out.message()),
            ));
        }
        let volumes = pods_volumes(&out.stdout)
            .map_err(|e| RuntimeError::io("podman volume ls output", e.into()))?;
        let mine: Vec<(String, Vec<String>)> = volumes
            .into_iter()
            .filter(|(name, _)| {
                WorkloadInstanceName::parse(name).is_some_and(|n| n.agent_name == agent)
            })
            .collect();
        let found = mine
            .iter()
            .filter_map(|(name, _)| WorkloadInstanceName::parse(name))
            .collect();
        self.tracker.adoptable(mine);
        Ok(found)
    }

    async fn start(&self, spec: &WorkloadSpec) -> Result<(), RuntimeError> {
        let config = Self::parse(&spec.runtime_config)?;
        if !spec.files.is_empty() {
            return Err(RuntimeError::InvalidConfig(
                "podman-kube workloads cannot mount files".into(),
            ));
        }
        let name = spec.instance.to_string();
        let manifest_path = spec.instance_dir.join(MANIFEST_FILE);
        let mut teardown = Teardown {
            general_options: config.general_options.clone(),
            down_options: config.down_options.clone(),
            manifest: Some(manifest_path.clone()),
            pods: Vec::new(),
        };
        let manifest = match (
            &spec.control_interface_dir,
            &config.control_interface_target,
        ) {
            (Some(dir), Some(target)) => mount_control_interface(&config.manifest, target, dir)?,
            _ => config.manifest.clone(),
        };
        write(&manifest_path, &manifest)?;
        if let Some(pods) = self.tracker.take_adoptable(&name) {
            let exist = self.pods_exist(&config.general_options, &pods).await?;
            teardown.pods = pods;
            self.tracker.track(&spec.instance, teardown, !exist, false);
            return Ok(());
        }
        let mut args = config.general_options.clone();
        args.extend(argv(["kube", "play"]));
        args.extend(config.play_options.iter().cloned());
        args.push(manifest_path.display().to_string());
        let mut out = self.podman.run(&args).await?;
        if !out.success && out.stderr.contains("already exists") {
            // Leftovers of an earlier life that nobody adopted: replace them.
            self.take_down(&teardown).await?;
            out = self.podman.run(&args).await?;
        }
        if !out.success {
            // `kube play` may have created some pods before it failed.
            if let Err(e) = self.take_down(&teardown).await {
                tracing::warn!(instance = %name, error = %e, "cannot clean up after a failed kube play");
            }
            return Err(RuntimeError::StartFailed(out.message()));
        }
        teardown.pods = pod_ids(&out.stdout);
        self.tracker
            .track(&spec.instance, teardown.clone(), false, true);
        // After `track`, so the first state is not delayed by the volume.
        self.record_pods(&config.general_options, &name, &teardown.pods)
            .await
    }

    async fn stop(&self, instance: &WorkloadInstanceName) -> Result<(), RuntimeError> {
        let name = instance.to_string();
        let teardown = self.tracker.stopping(&name).unwrap_or_default();
        self.take_down(&teardown).await?;
        self.remove_volume(&teardown.general_options, &name).await?;
        self.tracker.untrack(&name);
        Ok(())
    }

    async fn logs(
        &self,
        instance: &WorkloadInstanceName,
        options: &LogOptions,
    ) -> Result<LogStream, RuntimeError> {
        let name = instance.to_string();
        let teardown = self
            .tracker
            .teardown(&name)
            .ok_or_else(|| RuntimeError::NotFound(name.clone()))?;
        let mut containers: Vec<String> = self
            .tracker
            .containers(&teardown.pods)
            .into_iter()
            .map(|r| r.name)
            .collect();
        containers.sort();
        let targets = containers
            .into_iter()
            .map(|c| (Some(c.clone()), c))
            .collect();
        log_stream(
            &self.podman.runner,
            &teardown.general_options,
            targets,
            options,
        )
    }

    async fn shutdown(&self) {
        self.events.abort();
    }
}

fn write(path: &Path, text: &str) -> Result<(), RuntimeError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| RuntimeError::io(format!("cannot create {}", parent.display()), e))?;
    }
    std::fs::write(path, text)
        .map_err(|e| RuntimeError::io(format!("cannot write {}", path.display()), e))
}
