//! The seam between the agent and a runtime: what to start, how states come back, logs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use ank_model::{ExecutionState, File, WorkloadInstanceName};
use async_trait::async_trait;
use futures::Stream;
use tokio::sync::mpsc;

/// A state change of one instance, as a runtime observed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateUpdate {
    /// The instance whose state changed.
    pub instance: WorkloadInstanceName,
    /// Its new state.
    pub state: ExecutionState,
}

/// Where runtimes send state changes; the agent owns the receiving end.
pub type StateSink = mpsc::UnboundedSender<StateUpdate>;

/// Everything a runtime needs to start one instance: templates are already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// `<workload>.<id>.<agent>`; containers and bookkeeping are keyed by it.
    pub instance: WorkloadInstanceName,
    /// The rendered runtimeConfig (YAML text, parsed by the runtime).
    pub runtime_config: String,
    /// Rendered files to mount.
    pub files: Vec<File>,
    /// `<run_folder>/<agent>_io/<workload>.<id>/`: the instance's own folder (logs,
    /// bookkeeping, control interface), created by the agent before `start`.
    pub instance_dir: PathBuf,
    /// The host folder of the control interface FIFOs, when the workload has one.
    pub control_interface_dir: Option<PathBuf>,
}

/// What `ank logs` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Keep streaming new lines.
    pub follow: bool,
    /// Only the last N lines.
    pub tail: Option<usize>,
    /// Only lines at or after this RFC 3339 time (or a duration like `10m`).
    pub since: Option<String>,
    /// Only lines before this RFC 3339 time (or a duration like `10m`).
    pub until: Option<String>,
}

/// A stream of log lines (without trailing newline).
pub type LogStream = Pin<Box<dyn Stream<Item = Result<String, RuntimeError>> + Send>>;

/// Why a runtime operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The runtimeConfig does not parse or is incomplete.
    #[error("invalid runtimeConfig: {0}")]
    InvalidConfig(String),
    /// The runtime cannot run the workload as written, whatever the retries (e.g. files on a
    /// runtime that cannot mount them).
    #[error("{0}")]
    Unsupported(String),
    /// The workload could not be started; the message is the runtime's own.
    #[error("{0}")]
    StartFailed(String),
    /// The workload could not be stopped.
    #[error("could not stop: {0}")]
    StopFailed(String),
    /// No such instance on this node.
    #[error("no instance '{0}' on this node")]
    NotFound(String),
    /// The logs could not be read.
    #[error("could not read logs: {0}")]
    Logs(String),
    /// Talking to the OS failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl RuntimeError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        RuntimeError::Io {
            context: context.into(),
            source,
        }
    }
}

/// One kind of runtime. Implementations report every state change of the instances they
/// started or adopted into the [`StateSink`] they were built with, from OS events.
#[async_trait]
pub trait Runtime: Send + Sync + 'static {
    /// The name used in manifests (`runtime: native`).
    fn name(&self) -> &'static str;

    /// Checks a rendered runtimeConfig without starting anything.
    fn check_config(&self, runtime_config: &str) -> Result<(), RuntimeError>;

    /// Checks that the runtime can mount `files` for a workload, without creating anything.
    /// By default every runtime can; one that cannot returns [`RuntimeError::Unsupported`].
    fn check_files(&self, files: &[File]) -> Result<(), RuntimeError> {
        let _ = files;
        Ok(())
    }

    /// Instances of `agent` this runtime finds on the node (still running or exited but not
    /// removed), so that a restarted agent adopts them instead of starting them twice.
    async fn list_instances(&self, agent: &str) -> Result<Vec<WorkloadInstanceName>, RuntimeError>;

    /// Whether [`Runtime::list_instances`] can find instances without the run folder's
    /// instance folders (the native runtime's cgroups): then the agent lists it even on a node
    /// whose run folder is empty, so a removed run folder never hides a live instance.
    fn finds_instances_without_folders(&self) -> bool {
        false
    }

    /// Starts an instance, or adopts it when [`Runtime::list_instances`] found it. Returns once
    /// the runtime has accepted it; `Running(Ok)` and later states arrive through the sink.
    async fn start(&self, spec: &WorkloadSpec) -> Result<(), RuntimeError>;

    /// Stops an instance and removes what it left (container, pod, bookkeeping). Stopping an
    /// instance that is already gone succeeds.
    async fn stop(&self, instance: &WorkloadInstanceName) -> Result<(), RuntimeError>;

    /// The instance's stdout and stderr.
    async fn logs(
        &self,
        instance: &WorkloadInstanceName,
        options: &LogOptions,
    ) -> Result<LogStream, RuntimeError>;

    /// Ends the runtime's own background tasks (not the workloads: they keep running so a
    /// restarted agent can adopt them).
    async fn shutdown(&self) {}
}

/// The runtimes an agent has, by name.
#[derive(Clone, Default)]
pub struct RuntimeRegistry {
    runtimes: HashMap<&'static str, Arc<dyn Runtime>>,
}

impl RuntimeRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a runtime under its own name.
    pub fn register(&mut self, runtime: Arc<dyn Runtime>) {
        self.runtimes.insert(runtime.name(), runtime);
    }

    /// The runtime called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Runtime>> {
        self.runtimes.get(name)
    }

    /// All runtimes.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Runtime>> {
        self.runtimes.values()
    }
}
