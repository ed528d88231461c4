//! Starting a native instance: adopting the shim a previous agent left (only once it is
//! verified, see `identity`), or writing a fresh spec and spawning a new shim.

use std::path::Path;

use ank_model::runtime_config::NativeConfig;
use ank_model::{ExecutionState, WorkloadInstanceName};

use super::files::{self, ShimSpec};
use super::{exit_state, watch, ProcessRuntime, CONTROL_INTERFACE_ENV};
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
        watch::kill_stale(dir);
        files::remove_all_but_log(dir);
        let mut env: Vec<(String, String)> = config.env.clone().into_iter().collect();
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
}
