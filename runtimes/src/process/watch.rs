//! Spawning shims and waiting for them to end, as events: a shim this agent spawned is its
//! child (tokio's child wait reaps it); a shim adopted after an agent restart is watched through
//! a pidfd, and init reaps it.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ank_model::WorkloadInstanceName;
use nix::sys::signal::Signal;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch as chan;
use tokio_util::sync::CancellationToken;

use super::files::{self, Pids};
use super::{exit_state, identity};
use crate::runtime::{RuntimeError, StateSink, StateUpdate};

/// How long a shim may take to report `ok`/`err`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for a shim to end after SIGKILL of its workload.
const KILL_TIMEOUT: Duration = Duration::from_secs(5);

/// How to start a shim: `program args… <instance dir>` with extra environment.
#[derive(Debug, Clone)]
pub struct ShimCommand {
    /// The executable (normally the agent's own).
    pub program: PathBuf,
    /// Arguments before the instance folder (normally the hidden subcommand).
    pub args: Vec<String>,
    /// Extra environment of the shim (not of the workload).
    pub env: Vec<(String, String)>,
}

impl ShimCommand {
    /// The running executable with `subcommand`.
    pub fn current_exe(subcommand: &str) -> std::io::Result<Self> {
        Ok(ShimCommand {
            program: std::env::current_exe()?,
            args: vec![subcommand.to_owned()],
            env: Vec::new(),
        })
    }

    /// The command line a shim of `dir` runs with, as `/proc/<pid>/cmdline` shows it.
    pub(crate) fn cmdline(&self, dir: &Path) -> Vec<u8> {
        let parts = std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(std::ffi::OsStr::new));
        identity::shim_cmdline(parts, dir)
    }

    /// Spawns a shim for `dir` and waits for its handshake: `ok <pid>` once the workload runs,
    /// `err <message>` when it could not be started.
    pub(crate) async fn spawn(&self, dir: &Path) -> Result<Child, RuntimeError> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .arg(dir)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                RuntimeError::io(format!("cannot start shim {}", self.program.display()), e)
            })?;
        let Some(stdout) = child.stdout.take() else {
            return Err(RuntimeError::StartFailed("shim has no stdout".into()));
        };
        let mut lines = BufReader::new(stdout).lines();
        let handshake = async {
            // Ignore anything else a shim might print before its answer.
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with("ok ") {
                    return Ok(());
                }
                if let Some(message) = line.strip_prefix("err ") {
                    return Err(message.to_owned());
                }
            }
            Err("the shim ended without starting the workload".to_owned())
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(())) => Ok(child),
            Ok(Err(message)) => {
                let _ = child.wait().await;
                Err(RuntimeError::StartFailed(message))
            }
            Err(_) => {
                let _ = child.kill().await;
                Err(RuntimeError::StartFailed("the shim did not answer".into()))
            }
        }
    }
}

/// A shim being watched.
pub(crate) enum Shim {
    /// Spawned by this agent.
    Child(Child),
    /// Left by a previous agent: a pidfd of it.
    Adopted(AsyncFd<OwnedFd>),
}

/// Opens a pidfd of the shim of `dir` started with `cmdline`; `None` if it is gone or the
/// process `pids` names is not that shim (see [`identity`]).
pub(crate) fn open_shim(dir: &Path, cmdline: &[u8]) -> Option<(AsyncFd<OwnedFd>, Pids)> {
    let pids = files::read_pids(dir)?;
    let fd = identity::verify_shim(&pids, cmdline)?;
    if !files::shim_alive(dir) {
        return None;
    }
    Some((async_fd(fd).ok()?, pids))
}

/// Registers an owned fd with tokio's reactor.
// `AsyncFd::new` is deprecated because an arbitrary `AsRawFd` may change or close its fd behind
// the reactor's back (tokio#8587); an `OwnedFd` moved into the `AsyncFd` cannot, so the safe
// constructor is sound here and spares us `unsafe` (denied in this workspace).
#[allow(deprecated)]
pub(crate) fn async_fd(fd: OwnedFd) -> std::io::Result<AsyncFd<OwnedFd>> {
    AsyncFd::new(fd)
}

/// Kills the process group of a workload whose shim died without an exit code, so that a
/// fresh start never runs it twice, if [`identity::kill_orphaned_workload`] believes `pids`.
pub(crate) fn kill_stale(dir: &Path) {
    if files::shim_alive(dir) || files::exists(dir, files::EXIT_CODE) {
        return;
    }
    if let Some(pids) = files::read_pids(dir) {
        if !identity::kill_orphaned_workload(&pids) {
            tracing::debug!(pid = pids.workload, "no stale workload of ours to kill");
        }
    }
}

/// Shared between the runtime and the instance's watcher task.
#[derive(Clone)]
pub(crate) struct Handle {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// The verified pids of the shim and its workload; `None`: nothing may be signalled.
    pids: Option<Pids>,
    /// Set by `stop`: the exit is then expected and not reported.
    stopping: AtomicBool,
    /// Becomes true when the shim has ended.
    exited: chan::Sender<bool>,
}

impl Handle {
    /// A handle of a live shim whose [`Pids`] were verified.
    pub fn new(dir: &Path, pids: Option<Pids>) -> Self {
        Self::with(dir, pids, false)
    }

    /// A handle of an instance that has already ended.
    pub fn exited(dir: &Path) -> Self {
        Self::with(dir, None, true)
    }

    fn with(dir: &Path, pids: Option<Pids>, exited: bool) -> Self {
        Handle {
            inner: Arc::new(Inner {
                dir: dir.to_owned(),
                pids,
                stopping: AtomicBool::new(false),
                exited: chan::Sender::new(exited),
            }),
        }
    }

    /// Whether the shim has ended.
    pub fn has_exited(&self) -> bool {
        *self.inner.exited.borrow()
    }

    /// SIGTERM to the workload's group, SIGKILL after `grace`; returns once the shim is gone.
    pub async fn terminate(&self, grace: Duration) -> Result<(), String> {
        self.inner.stopping.store(true, Ordering::SeqCst);
        if self.has_exited() {
            return Ok(());
        }
        let mut exited = self.inner.exited.subscribe();
        self.signal(Signal::SIGTERM);
        if tokio::time::timeout(grace, exited.wait_for(|e| *e))
            .await
            .is_ok()
        {
            return Ok(());
        }
        self.signal(Signal::SIGKILL);
        let ended = tokio::time::timeout(KILL_TIMEOUT, exited.wait_for(|e| *e))
            .await
            .is_ok();
        if ended {
            Ok(())
        } else {
            Err("the workload did not end after SIGKILL".into())
        }
    }
}

impl Handle {
    /// Signals the workload's group, if it still is the one the shim started.
    fn signal(&self, signal: Signal) {
        match &self.inner.pids {
            Some(pids) => {
                if !identity::signal_workload(pids, signal) {
                    tracing::debug!(pid = pids.workload, "the workload's group is gone");
                }
            }
            None => tracing::warn!(dir = %self.inner.dir.display(), "no verified pids to signal"),
        }
    }
}

/// Waits for the shim to end, then reports the workload's exit (unless it was stopped).
pub(crate) async fn watch(
    shim: Shim,
    instance: WorkloadInstanceName,
    handle: Handle,
    sink: StateSink,
    cancel: CancellationToken,
) {
    let ended = async move {
        match shim {
            Shim::Child(mut child) => {
                let _ = child.wait().await;
            }
            Shim::Adopted(pidfd) => {
                let _ = pidfd.readable().await;
            }
        }
    };
    tokio::select! {
        () = cancel.cancelled() => return,
        () = ended => {}
    }
    if !handle.inner.stopping.load(Ordering::SeqCst) {
        let code = files::read_number(&handle.inner.dir, files::EXIT_CODE);
        let _ = sink.send(StateUpdate {
            instance,
            state: exit_state(code),
        });
    }
    handle.inner.exited.send_replace(true);
}
