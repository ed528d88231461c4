//! The `native` runtime: workloads are processes on the node, each started by a shim (see
//! [`shim`]) in its own process group, with stdout/stderr in `output.log` of the instance folder.
//!
//! Why a shim: the workload must outlive the agent and be adopted by the next one. The shim is
//! the workload's parent, so the workload is always reaped and its exit code lands in
//! `exit_code`. The runtime watches the shim, not the workload: its own child through tokio's
//! child wait, an adopted one (after an agent restart) through a pidfd. Both are OS events;
//! nothing is polled.
//!
//! A workload with a control interface finds its folder (the FIFOs `input` and `output`) in
//! the environment variable [`CONTROL_INTERFACE_ENV`], `ANKAIOS_CONTROL_INTERFACE`.
//!
//! Each instance is contained (see [`contain`]): delete and restart stop every process it
//! started, `setsid` children included. A workload is started only when no live instance of it
//! exists (see `launch`).
//!
//! # Layout
//! - [`contain`]: the instance's cgroup (or the shim as subreaper), detected at start.
//! - [`files`]: the instance folder's bookkeeping files, shared with the shim.
//! - [`shim`]: the shim's logic (the agent binary dispatches `__shim` to it).
//! - `identity`: telling the shim a `pids` file names from any other process.
//! - `launch`: starting a shim, or adopting one a previous agent started.
//! - [`volumes`]: claimed volumes as folders under the run folder.
//! - [`records`], [`logfile`]: the shim cuts output into bounded records and rotates the log.
//! - `logs`, `tail`: streaming, tailing and following the log across a rotation.
//! - `watch`: spawning and watching shims.

pub mod contain;
pub mod files;
mod identity;
mod launch;
pub mod logfile;
mod logs;
pub mod records;
pub mod shim;
mod tail;
pub mod volumes;
mod watch;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use ank_model::exec_state::{ExecState, Failed};
use ank_model::redact::parse_runtime_config;
use ank_model::runtime_config::{NativeConfig, NATIVE};
use ank_model::{ExecutionState, WorkloadInstanceName};
use async_trait::async_trait;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::runtime::{
    LogOptions, LogStream, Runtime, RuntimeError, StateSink, StateUpdate, WorkloadSpec,
};
pub use watch::ShimCommand;

/// The environment variable that holds a workload's control-interface folder (the one with
/// the FIFOs `input` and `output`), set only when the workload has one.
pub const CONTROL_INTERFACE_ENV: &str = "ANKAIOS_CONTROL_INTERFACE";

/// How long a stopped workload gets between SIGTERM and SIGKILL by default.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(5);

/// What the native runtime needs to know about the node.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// The agent's run folder; instances live in `<run_folder>/<agent>_io/<workload>.<id>/`.
    pub run_folder: PathBuf,
    /// How to start a shim.
    pub shim: ShimCommand,
    /// Time between SIGTERM and SIGKILL on stop.
    pub grace_period: Duration,
    /// How instances are contained ([`contain::detect`] finds the node's).
    pub containment: contain::Containment,
    /// The cap of each instance's log, passed to its shim in `native.json`.
    pub log: logfile::LogLimits,
}

/// The `native` runtime.
pub struct ProcessRuntime {
    config: ProcessConfig,
    sink: StateSink,
    /// Instances started or adopted by this agent. An entry stays after its shim has exited
    /// (so a later `start` is a restart, not an adoption) until `stop` removes it.
    instances: Mutex<HashMap<WorkloadInstanceName, watch::Handle>>,
    /// The shim watchers; cancelled on shutdown (the workloads keep running).
    tasks: Mutex<JoinSet<()>>,
    cancel: CancellationToken,
    /// The run folder, canonical: what names this agent's cgroups (see [`contain`]).
    cgroup_scope: PathBuf,
}

impl ProcessRuntime {
    /// A runtime that reports into `sink`.
    pub fn new(config: ProcessConfig, sink: StateSink) -> Self {
        ProcessRuntime {
            cgroup_scope: std::fs::canonicalize(&config.run_folder)
                .unwrap_or_else(|_| config.run_folder.clone()),
            config,
            sink,
            instances: Mutex::default(),
            tasks: Mutex::default(),
            cancel: CancellationToken::new(),
        }
    }

    fn dir_of(&self, instance: &WorkloadInstanceName) -> PathBuf {
        self.config
            .run_folder
            .join(format!("{}_io", instance.agent_name))
            .join(instance.folder_name())
    }

    fn report(&self, instance: &WorkloadInstanceName, state: ExecutionState) {
        let _ = self.sink.send(StateUpdate {
            instance: instance.clone(),
            state,
        });
    }

    fn handle(&self, instance: &WorkloadInstanceName) -> Option<watch::Handle> {
        self.instances.lock().ok()?.get(instance).cloned()
    }

    fn insert(&self, instance: &WorkloadInstanceName, handle: watch::Handle) {
        if let Ok(mut map) = self.instances.lock() {
            map.insert(instance.clone(), handle);
        }
    }

    /// Starts a watcher task for a shim, owned by this runtime.
    fn spawn_watcher(
        &self,
        instance: &WorkloadInstanceName,
        shim: watch::Shim,
        handle: &watch::Handle,
    ) {
        let task = watch::watch(
            shim,
            instance.clone(),
            handle.clone(),
            self.sink.clone(),
            self.cancel.clone(),
        );
        if let Ok(mut tasks) = self.tasks.lock() {
            while tasks.try_join_next().is_some() {}
            tasks.spawn(task);
        }
    }
}

/// The state of an ended workload from its exit code (`None`: it vanished without one).
pub fn exit_state(code: Option<i32>) -> ExecutionState {
    match code {
        Some(0) => ExecutionState::succeeded(),
        Some(code) => ExecutionState::with_info(
            ExecState::Failed(Failed::ExecFailed),
            format!("exit code {code}"),
        ),
        None => ExecutionState::with_info(
            ExecState::Failed(Failed::Lost),
            "the shim ended without an exit code",
        ),
    }
}

/// The instance a folder (or cgroup) named `<workload>.<id>` of `agent` holds.
fn instance_of(agent: &str, name: &str) -> Option<WorkloadInstanceName> {
    let (workload, id) = name.split_once('.')?;
    Some(WorkloadInstanceName {
        workload_name: workload.to_owned(),
        agent_name: agent.to_owned(),
        id: id.to_owned(),
    })
}

fn parse_config(runtime_config: &str) -> Result<NativeConfig, RuntimeError> {
    // Not serde's own error: it may quote an env value, and it reaches additionalInfo.
    let config: NativeConfig =
        parse_runtime_config(NATIVE, runtime_config).map_err(RuntimeError::InvalidConfig)?;
    if config.command.is_empty() {
        return Err(RuntimeError::InvalidConfig(
            "command must not be empty".into(),
        ));
    }
    Ok(config)
}

#[async_trait]
impl Runtime for ProcessRuntime {
    fn name(&self) -> &'static str {
        NATIVE
    }

    fn check_config(&self, runtime_config: &str) -> Result<(), RuntimeError> {
        parse_config(runtime_config).map(|_| ())
    }

    async fn list_instances(&self, agent: &str) -> Result<Vec<WorkloadInstanceName>, RuntimeError> {
        // A live cgroup is an instance even if its folder is gone: it is adopted or stopped.
        let mut found = self.contained_instances(agent).await;
        let dir = self.config.run_folder.join(format!("{agent}_io"));
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
            Err(e) => {
                return Err(RuntimeError::io(
                    format!("cannot read {}", dir.display()),
                    e,
                ))
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if files::exists(&entry.path(), files::SPEC) {
                found.extend(instance_of(agent, &name));
            }
        }
        found.sort();
        found.dedup();
        Ok(found)
    }

    fn finds_instances_without_folders(&self) -> bool {
        matches!(
            self.config.containment,
            contain::Containment::Cgroups { .. }
        )
    }

    async fn start(&self, spec: &WorkloadSpec) -> Result<(), RuntimeError> {
        let config = parse_config(&spec.runtime_config)?;
        match self.handle(&spec.instance) {
            Some(handle) if !handle.has_exited() => return Ok(()),
            Some(_) => {}
            None => {
                if let Some(handle) = self.adopt(&spec.instance, &spec.instance_dir, true) {
                    self.insert(&spec.instance, handle);
                    return Ok(());
                }
                // Locked, so alive, but not verifiably ours (an older agent's `pids`, say):
                // a second shim would run the workload twice, and it must not be signalled.
                if files::shim_alive(&spec.instance_dir) {
                    return Err(RuntimeError::StartFailed(
                        "a shim this agent cannot verify still holds the instance; \
                         end it by hand"
                            .into(),
                    ));
                }
            }
        }
        self.spawn_fresh(spec, &config).await
    }

    async fn stop(&self, instance: &WorkloadInstanceName) -> Result<(), RuntimeError> {
        let dir = self.dir_of(instance);
        let handle = self
            .handle(instance)
            .or_else(|| self.adopt(instance, &dir, false));
        let ended = match handle {
            Some(handle) => handle.terminate(self.config.grace_period).await,
            None => Ok(()),
        };
        // What outlived the shim (one killed with SIGKILL, say) goes with the instance; a shim
        // that hangs goes with its cgroup too.
        self.empty_cgroup(instance, true)
            .await
            .map_err(|e| RuntimeError::StopFailed(e.to_string()))?;
        if self.cgroup_of(instance).is_none() {
            ended.map_err(RuntimeError::StopFailed)?;
        }
        files::remove_all(&dir);
        if let Ok(mut map) = self.instances.lock() {
            map.remove(instance);
        }
        Ok(())
    }

    async fn logs(
        &self,
        instance: &WorkloadInstanceName,
        options: &LogOptions,
    ) -> Result<LogStream, RuntimeError> {
        let dir = self.dir_of(instance);
        if !files::exists(&dir, files::LOG) {
            return Err(RuntimeError::NotFound(instance.to_string()));
        }
        logs::open(&dir, options).await
    }

    async fn shutdown(&self) {
        self.cancel.cancel();
        let tasks = match self.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(_) => return,
        };
        tasks.join_all().await;
    }
}
