//! The Podman calls behind adoption and tear-down: the bookkeeping volumes written, read and
//! removed, a [`Teardown`] rebuilt from them when the agent knows an instance only by its
//! volumes, and an instance taken down (`kube down`, else `pod rm -f` of its pods).

use std::collections::BTreeMap;
use std::path::Path;

use ank_model::redact::{scrub, secret_values};
use ank_model::runtime_config::PODMAN_KUBE;
use ank_model::WorkloadInstanceName;

use super::claims;
use super::track::{Secrets, Teardown};
use super::volumes::{self, config_volume, pods_volume, read_volumes, Bookkeeping};
use super::{write, PodmanKubeRuntime};
use crate::podman_cli::argv;
use crate::RuntimeError;

impl PodmanKubeRuntime {
    /// `kube down` of the manifest, else (no manifest, or it failed) `pod rm -f` of the pods.
    pub(super) async fn take_down(&self, teardown: &Teardown) -> Result<(), RuntimeError> {
        if let Some(manifest) = teardown.manifest.as_ref().filter(|m| m.exists()) {
            let mut args = teardown.general_options.clone();
            args.extend(argv(["kube", "down"]));
            args.extend(teardown.down_options.iter().cloned());
            args.push(manifest.display().to_string());
            let out = self.podman.run(&args).await?;
            if out.success {
                return Ok(());
            }
            let error = scrub(&out.message(), &teardown.secrets.0);
            tracing::debug!(%error, "kube down failed; removing the pods directly");
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

    /// Creates a bookkeeping volume holding `encoded`, replacing a stale one of the same name.
    pub(super) async fn write_volume(
        &self,
        volume: &str,
        encoded: &str,
    ) -> Result<(), RuntimeError> {
        let args = volumes::create_args(volume, encoded);
        let mut out = self.podman.run(&args).await?;
        if !out.success && out.stderr.contains("already exists") {
            let rm = argv(["volume", "rm", "-f", volume]);
            let removed = self.podman.run(&rm).await?;
            if !removed.success {
                return Err(RuntimeError::StartFailed(removed.message()));
            }
            out = self.podman.run(&args).await?;
        }
        if out.success {
            Ok(())
        } else {
            Err(RuntimeError::StartFailed(out.message()))
        }
    }

    /// Removes both bookkeeping volumes (`-f` succeeds when they are gone already).
    pub(super) async fn remove_volumes(
        &self,
        instance: &WorkloadInstanceName,
    ) -> Result<(), RuntimeError> {
        let (config, pods) = (config_volume(instance), pods_volume(instance));
        let out = self
            .podman
            .run(&argv(["volume", "rm", "-f", &config, &pods]))
            .await?;
        if out.success {
            Ok(())
        } else {
            Err(RuntimeError::StopFailed(out.message()))
        }
    }

    /// The bookkeeping volumes of every instance of `agent` on the node.
    pub(super) async fn read_bookkeeping(
        &self,
        agent: &str,
    ) -> Result<BTreeMap<WorkloadInstanceName, Bookkeeping>, RuntimeError> {
        let out = self
            .podman
            .run(&argv(["volume", "ls", "--format", "json"]))
            .await?;
        if !out.success {
            return Err(RuntimeError::io(
                "podman volume ls",
                std::io::Error::other(out.message()),
            ));
        }
        read_volumes(&out.stdout, agent)
            .map_err(|e| RuntimeError::io("podman volume ls", std::io::Error::other(e)))
    }

    /// How to take down an instance known only by its volumes: the `.config` volume's
    /// runtimeConfig gives the options and the manifest (written to `scratch` for `kube down`),
    /// the `.pods` volume the pods. Fails, naming the volumes, only when neither can be read.
    pub(super) fn teardown_from(
        instance: &WorkloadInstanceName,
        found: &Bookkeeping,
        scratch: &Path,
    ) -> Result<Teardown, RuntimeError> {
        let errors: Vec<String> = found.errors().map(ToString::to_string).collect();
        for error in &errors {
            tracing::warn!(%instance, %error, "unreadable bookkeeping volume");
        }
        let mut teardown = Teardown {
            pods: found.pods().map(<[String]>::to_vec).unwrap_or_default(),
            ..Teardown::default()
        };
        match found.config().map(Self::parse) {
            Some(Ok(config)) => {
                let raw = found.config().unwrap_or_default();
                teardown.secrets = Secrets(secret_values(PODMAN_KUBE, raw));
                teardown.claims = claims::claim_only(&config.manifest).unwrap_or_default();
                write(scratch, &config.manifest)?;
                teardown.general_options = config.general_options;
                teardown.down_options = config.down_options;
                teardown.manifest = Some(scratch.to_owned());
            }
            Some(Err(e)) => {
                tracing::warn!(%instance, error = %e, "unusable runtimeConfig in the config volume")
            }
            None => {}
        }
        if teardown.manifest.is_none() && found.pods().is_none() && !errors.is_empty() {
            return Err(RuntimeError::StopFailed(errors.join("; ")));
        }
        Ok(teardown)
    }

    /// Whether every pod still exists (`podman pod exists`).
    pub(super) async fn pods_exist(
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
