//! Starting a native instance: adopting the shim a previous agent left (only once it is
//! verified, see `identity`), or writing a fresh spec and spawning a new shim.
//!
//! One copy, always: a fresh shim is spawned only when no live instance exists. A verified
//! shim is adopted; a locked `native.json` nobody can verify refuses the start; and the
//! instance's cgroup must be empty: what is still in it (left by a shim killed with SIGKILL,
//! or a live shim whose folder was removed) is a life of this instance no verified shim
//! vouches for, so it is killed before the new shim starts, never run beside it.

use std::path::Path;

use ank_model::runtime_config::NativeConfig;
use ank_model::{ExecutionState, WorkloadInstanceName};

use super::contain::{Cgroup, ContainError};
use super::files::{self, ShimSpec};
use super::{exit_state, instance_of, volumes, watch, ProcessRuntime, CONTROL_INTERFACE_ENV};
use crate::runtime::{RuntimeError, WorkloadSpec};

impl ProcessRuntime {
    /// Adopts what a previous agent left in `dir`; `None` when there is nothing to adopt.
    pub(super) fn adopt(
        &self,
        instance: &WorkloadInstanceName,
        dir: &Path,
        report: bool,
    ) -> Option<watch::Handle> {
        if !files::exists(dir, files::SPEC) {
            return None;
        }
        if let Some((pidfd, pids)) = watch::open_shim(dir, &self.config.shim.cmdline(dir)) {
            let handle = watch::Handle::new(dir, Some(pids));
            if report {
                self.report(instance, ExecutionState::running());
            }
            self.spawn_watcher(instance, watch::Shim::Adopted(pidfd), &handle);
            return Some(handle);
        }
        let code = files::read_number(dir, files::EXIT_CODE)?;
        let handle = watch::Handle::exited(dir);
        if report {
            self.report(instance, exit_state(Some(code)));
        }
        Some(handle)
    }

    pub(super) async fn spawn_fresh(
        &self,
        spec: &WorkloadSpec,
        config: &NativeConfig,
    ) -> Result<(), RuntimeError> {
        let dir = &spec.instance_dir;
        // Before anything runs: a refused claim starts nothing.
        let claims = volumes::claim_env(&self.config.run_folder, &config.volumes)?;
        watch::kill_stale(dir);
        let cgroup = self
            .fresh_cgroup(&spec.instance)
            .await
            .map_err(|e| RuntimeError::StartFailed(e.to_string()))?;
        files::remove_all_but_log(dir);
        let mut env: Vec<(String, String)> = config.env.clone().into_iter().collect();
        env.retain(|(k, _)| !config.volumes.contains_key(k));
        env.extend(claims);
        if let Some(ci) = &spec.control_interface_dir {
            env.retain(|(k, _)| k != CONTROL_INTERFACE_ENV);
            env.push((
                CONTROL_INTERFACE_ENV.to_owned(),
                ci.to_string_lossy().into_owned(),
            ));
        }
        let shim_spec = ShimSpec {
            argv: config.argv().cloned().collect(),
            env,
            working_dir: config
                .working_dir
                .clone()
                .unwrap_or_else(|| dir.to_string_lossy().into_owned()),
            cgroup,
            log: self.config.log,
        };
        let json = serde_json::to_string(&shim_spec)
            .map_err(|e| RuntimeError::StartFailed(e.to_string()))?;
        // Written in place: nothing reads it before the shim is spawned below.
        files::write_spec(dir, &json)
            .map_err(|e| RuntimeError::io(format!("cannot write {}", files::SPEC), e))?;
        let child = match self.config.shim.spawn(dir).await {
            Ok(child) => child,
            Err(e) => {
                files::remove_all_but_log(dir);
                return Err(e);
            }
        };
        // Our own unreaped child: its pid is certain, so `pids` is believed if it names it.
        let pids = files::read_pids(dir).filter(|p| child.id() == u32::try_from(p.shim).ok());
        let handle = watch::Handle::new(dir, pids);
        self.report(&spec.instance, ExecutionState::running());
        self.spawn_watcher(&spec.instance, watch::Shim::Child(child), &handle);
        self.insert(&spec.instance, handle);
        Ok(())
    }

    /// The cgroup of `instance`; `None` without cgroups.
    pub(super) fn cgroup_of(&self, instance: &WorkloadInstanceName) -> Option<Cgroup> {
        self.config.containment.cgroup(instance, &self.cgroup_scope)
    }

    /// The instance's cgroup, emptied (see the module docs) and created; `None` without cgroups.
    async fn fresh_cgroup(
        &self,
        instance: &WorkloadInstanceName,
    ) -> Result<Option<Cgroup>, ContainError> {
        let Some(cgroup) = self.cgroup_of(instance) else {
            return Ok(None);
        };
        let name = instance.to_string();
        blocking(move || {
            let left = cgroup.procs();
            if !left.is_empty() {
                tracing::warn!(instance = name, pids = ?left, "killing a previous life of the instance");
            }
            cgroup.kill()?;
            cgroup.create()?;
            Ok(Some(cgroup))
        })
        .await
    }

    /// Kills what is left in the instance's cgroup and, with `remove`, removes it.
    pub(super) async fn empty_cgroup(
        &self,
        instance: &WorkloadInstanceName,
        remove: bool,
    ) -> Result<(), ContainError> {
        let Some(cgroup) = self.cgroup_of(instance) else {
            return Ok(());
        };
        blocking(move || {
            if remove {
                cgroup.remove()
            } else {
                cgroup.kill()
            }
        })
        .await
    }

    /// The instances of `agent` whose cgroup has processes in it.
    pub(super) async fn contained_instances(&self, agent: &str) -> Vec<WorkloadInstanceName> {
        let Some((folder, kind)) = self
            .config
            .containment
            .agent_folder(agent, &self.cgroup_scope)
        else {
            return Vec::new();
        };
        let agent = agent.to_owned();
        let found = blocking(move || {
            let mut found = Vec::new();
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let cgroup = Cgroup {
                    path: entry.path(),
                    kind,
                };
                if entry.path().is_dir() && cgroup.populated() {
                    found.extend(instance_of(&agent, &name));
                }
            }
            Ok(found)
        });
        found.await.unwrap_or_default()
    }
}

/// Runs cgroupfs work (writes and short sleeps) off the agent's event loop.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ContainError> + Send + 'static,
) -> Result<T, ContainError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(ContainError::Io {
            path: std::path::PathBuf::new(),
            what: "run cgroup work",
            source: std::io::Error::other(e.to_string()),
        })
    })
}
