//! The bookkeeping files of a native instance inside its instance folder, shared by the shim
//! (which writes them) and the runtime (which reads them to adopt and to report exits).
//!
//! A folder holds a native instance when it contains [`SPEC`]; the shim holds an exclusive
//! `flock` on that file for its whole life, which is how a restarted agent tells a live shim
//! from a dead one without trusting a pid that may have been reused. Starting a workload
//! creates three files (spec, pids, log): on ext4 each new inode costs a bitmap search, which
//! dominated the agent's profile when it started a thousand workloads.

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::contain::Cgroup;
pub use super::identity::Pids;
use super::logfile::LogLimits;
use crate::private;

/// What to run, written (0600: it holds the workload's environment, secrets included) by the
/// runtime before it spawns the shim; locked by the shim.
pub const SPEC: &str = "native.json";
/// [`Pids`], written by the shim once the workload runs. The workload's pid is also its
/// process group id.
pub const PIDS: &str = "pids";
/// The workload's exit code, written atomically when it has ended (128 + signal if killed).
pub const EXIT_CODE: &str = "exit_code";
/// stdout and stderr, one `<RFC 3339 timestamp> <record>` per line (see `records`).
pub const LOG: &str = "output.log";
/// The log before the last rotation (see `logfile`).
pub const LOG_ROTATED: &str = "output.log.1";

/// Names that exist only while the shim rotates the log (a crashed shim may leave them).
pub const ROTATING: [&str; 2] = [".output.log.1.tmp", ".output.log.new"];

/// Every file the runtime removes when it stops an instance.
pub const ALL: [&str; 5] = [SPEC, PIDS, EXIT_CODE, LOG, LOG_ROTATED];

/// The instance folder, if it is the agent's alone (see [`private`]); else logs why.
pub fn open_dir(dir: &Path) -> Option<OwnedFd> {
    private::open_dir(dir)
        .inspect_err(|e| tracing::warn!(error = %e, "not using an instance folder"))
        .ok()
}

/// The [`Pids`] the shim recorded (not yet verified: see [`super::identity`]).
pub fn read_pids(dir: &Path) -> Option<Pids> {
    Pids::parse(&private::read_to_string(&open_dir(dir)?, PIDS).ok()?)
}

/// The workload's pid (its process group), from [`PIDS`].
pub fn read_workload_pid(dir: &Path) -> Option<i32> {
    read_pids(dir).map(|pids| pids.workload)
}

/// The process the shim starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShimSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Variables added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// The working directory.
    pub working_dir: String,
    /// The cgroup the shim joins before starting the workload; `None`: the node has none.
    #[serde(default)]
    pub cgroup: Option<Cgroup>,
    /// The log's size cap (the agent's `log_max_size`); older specs get the default.
    #[serde(default)]
    pub log: LogLimits,
}

/// Reads a file holding one decimal number.
pub fn read_number(dir: &Path, name: &str) -> Option<i32> {
    private::read_to_string(&open_dir(dir)?, name)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Whether `name` exists in `dir` (without following a symlink).
pub fn exists(dir: &Path, name: &str) -> bool {
    open_dir(dir).is_some_and(|fd| private::exists(&fd, name))
}

/// Whether a shim currently holds the lock on `dir`'s spec.
pub fn shim_alive(dir: &Path) -> bool {
    let Some(file) = open_dir(dir).and_then(|fd| private::open_read(&fd, SPEC).ok()) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => false,
        Err(fs::TryLockError::WouldBlock) => true,
        Err(fs::TryLockError::Error(_)) => false,
    }
}

/// Writes the spec, 0600, as a new file (whatever was at its name is removed first).
pub fn write_spec(dir: &Path, json: &str) -> io::Result<()> {
    let fd = private::open_dir(dir).map_err(io::Error::other)?;
    private::remove(&fd, SPEC);
    private::create_new(&fd, SPEC, json.as_bytes()).map(drop)
}

/// Removes the bookkeeping files (not the folder: it belongs to the agent).
pub fn remove_all(dir: &Path) {
    remove_except(dir, &[]);
}

/// Removes the bookkeeping files but keeps the logs, which a restart appends to.
pub fn remove_all_but_log(dir: &Path) {
    remove_except(dir, &[LOG, LOG_ROTATED]);
}

fn remove_except(dir: &Path, keep: &[&str]) {
    let Some(fd) = open_dir(dir) else { return };
    for name in ROTATING {
        private::remove(&fd, name);
    }
    for name in ALL {
        // A kept file that is not a regular one (a symlink, say) goes too: never appended to.
        if !keep.contains(&name) || private::open_read(&fd, name).is_err() {
            private::remove(&fd, name);
        }
    }
}
