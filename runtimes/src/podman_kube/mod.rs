//! The `podman-kube` runtime: `podman kube play` of the workload's manifest, `podman kube down`
//! on stop. Pods keep their manifest names. Each instance keeps Ankaios' two bookkeeping
//! volumes ([`volumes`]: `<instance>.config` with its runtimeConfig, `<instance>.pods` with its
//! pod IDs), so a restarted agent, or one that follows Ankaios on the node, adopts its pods and
//! can take down an instance even without its run folder. The instance's state is derived from
//! its pods' containers; restarts are the agent's business. Files cannot be mounted into pods:
//! such a workload is refused before anything is created.
//!
//! A manifest of PersistentVolumeClaims only is a claim workload (`claims`): its play creates
//! the named volumes (an existing one is the claim's, kept from an earlier life) and its stop
//! removes them; no other stop removes a named volume.
//!
//! This file starts, stops and lists instances; `bookkeeping` holds the Podman calls on the
//! volumes and the tear-down, `track` the instances' states.

mod bookkeeping;
mod claims;
mod control_interface;
mod play;
mod track;
pub mod volumes;

#[cfg(test)]
mod claim_tests;
#[cfg(test)]
mod secret_tests;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use ank_model::redact::{parse_runtime_config, scrub, secret_values};
use ank_model::runtime_config::{PodmanKubeConfig, PODMAN_KUBE};
use ank_model::{File, WorkloadInstanceName};
use async_trait::async_trait;

pub use control_interface::mount_control_interface;
pub use play::pod_ids;
pub use volumes::{
    config_volume, pods_volume, read_volumes, Bookkeeping, VolumeError, CONFIG_VOLUME_SUFFIX,
    DATA_LABEL, PODS_VOLUME_SUFFIX,
};

use crate::podman_cli::{argv, log_stream, Podman};
use crate::{LogOptions, LogStream, Runtime, RuntimeError, StateSink, WorkloadSpec};
use track::{Secrets, Stopping, Teardown, Tracker};

/// The manifest's file in the instance folder.
const MANIFEST_FILE: &str = "manifest.yaml";

/// Why a `podman-kube` workload with files does not start.
pub const NO_FILES: &str = "podman-kube workloads cannot mount files";

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
        let config: PodmanKubeConfig = parse_runtime_config(PODMAN_KUBE, runtime_config)
            .map_err(RuntimeError::InvalidConfig)?;
        if config.manifest.trim().is_empty() {
            return Err(RuntimeError::InvalidConfig(
                "manifest must not be empty".into(),
            ));
        }
        Ok(config)
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

    fn check_files(&self, files: &[File]) -> Result<(), RuntimeError> {
        if files.is_empty() {
            Ok(())
        } else {
            Err(RuntimeError::Unsupported(NO_FILES.into()))
        }
    }

    async fn list_instances(&self, agent: &str) -> Result<Vec<WorkloadInstanceName>, RuntimeError> {
        let found = self.read_bookkeeping(agent).await?;
        for (instance, bookkeeping) in &found {
            for error in bookkeeping.errors() {
                tracing::warn!(%instance, %error, "unreadable bookkeeping volume");
            }
        }
        let names = found.keys().cloned().collect();
        self.tracker
            .adoptable(found.into_iter().map(|(i, b)| (i.to_string(), b)));
        Ok(names)
    }

    async fn start(&self, spec: &WorkloadSpec) -> Result<(), RuntimeError> {
        let config = Self::parse(&spec.runtime_config)?;
        // Before anything is written: a refused workload leaves nothing on the host.
        self.check_files(&spec.files)?;
        let name = spec.instance.to_string();
        let manifest_path = spec.instance_dir.join(MANIFEST_FILE);
        let mut teardown = Teardown {
            general_options: config.general_options.clone(),
            down_options: config.down_options.clone(),
            manifest: Some(manifest_path.clone()),
            pods: Vec::new(),
            claims: claims::claim_only(&config.manifest).unwrap_or_default(),
            secrets: Secrets(secret_values(PODMAN_KUBE, &spec.runtime_config)),
        };
        let manifest = match (
            &spec.control_interface_dir,
            &config.control_interface_target,
        ) {
            (Some(dir), Some(target)) => mount_control_interface(&config.manifest, target, dir)?,
            (Some(_), None) => {
                return Err(RuntimeError::StartFailed(
                    control_interface::TARGET_MISSING.to_owned(),
                ))
            }
            (None, _) => config.manifest.clone(),
        };
        write(&manifest_path, &manifest)?;
        if let Some(found) = self.tracker.take_adoptable(&name) {
            if let Some(pods) = found.pods() {
                let exist = self.pods_exist(&config.general_options, pods).await?;
                teardown.pods = pods.to_vec();
                // A claim workload has no pods to watch: its volume exists, it runs.
                let played = pods.is_empty();
                self.tracker.track(&spec.instance, teardown, !exist, played);
                return Ok(());
            }
            // No readable pod list: play again; leftovers of the manifest are replaced below.
            for error in found.errors() {
                tracing::warn!(instance = %name, %error, "cannot adopt");
            }
        }
        let mut args = config.general_options.clone();
        args.extend(argv(["kube", "play"]));
        args.extend(config.play_options.iter().cloned());
        args.push(manifest_path.display().to_string());
        // The runtimeConfig is recorded alongside the play, so that even a play this agent does
        // not live to see the end of can be taken down by a later one.
        let (config_volume, encoded) = (
            config_volume(&spec.instance),
            volumes::encode(&spec.runtime_config),
        );
        let (recorded, out) = tokio::join!(
            self.write_volume(&config_volume, &encoded),
            self.podman.run(&args)
        );
        let mut out = out?;
        if !out.success && !teardown.claims.is_empty() && out.stderr.contains("already exists") {
            // The claim's volume outlived an earlier instance, or a pod created it on first use.
            out.success = true;
        }
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
            // Podman may quote the manifest line it refused, a Secret's value among them.
            let message = scrub(&out.message(), &teardown.secrets.0);
            return Err(RuntimeError::StartFailed(message));
        }
        teardown.pods = pod_ids(&out.stdout);
        self.tracker
            .track(&spec.instance, teardown.clone(), false, true);
        // After `track`, so the first state is not delayed by the volume.
        recorded?;
        self.write_volume(
            &pods_volume(&spec.instance),
            &volumes::encode_pods(&teardown.pods),
        )
        .await
    }

    async fn stop(&self, instance: &WorkloadInstanceName) -> Result<(), RuntimeError> {
        let name = instance.to_string();
        let mut claims = Vec::new();
        let found = match self.tracker.stopping(&name) {
            Stopping::Known(teardown) => {
                self.take_down(&teardown).await?;
                claims = teardown.claims;
                None
            }
            Stopping::Found(found) => Some(found),
            // Not listed in this life (e.g. the listing failed): its volumes may still tell.
            Stopping::Unknown => {
                let found = self.read_bookkeeping(&instance.agent_name).await?;
                match found.into_iter().find(|(i, _)| i == instance) {
                    Some((_, found)) => Some(found),
                    // Never played (refused, or its start failed before the volume): no trace.
                    None => return Ok(()),
                }
            }
        };
        if let Some(found) = found {
            // A fresh file (created exclusively, mode 0600) for `kube down`: a name derived
            // from the instance in the shared temp folder could be raced or planted.
            let scratch = tempfile::Builder::new()
                .prefix("anchorage-kube-down-")
                .suffix(".yaml")
                .tempfile()
                .map_err(|e| RuntimeError::io("cannot create a scratch manifest", e))?;
            let result = match Self::teardown_from(instance, &found, scratch.path()) {
                Ok(teardown) => {
                    claims = teardown.claims.clone();
                    self.take_down(&teardown).await
                }
                Err(e) => Err(e),
            };
            // Dropping it removes the file.
            drop(scratch);
            result?;
        }
        self.remove_volumes(instance).await?;
        self.remove_claims(&claims).await;
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
