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
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What to run, written by the runtime before it spawns the shim; locked by the shim.
pub const SPEC: &str = "native.json";
/// `<shim pid> <workload pid>`, written by the shim once the workload runs. The workload's
/// pid is also its process group id.
pub const PIDS: &str = "pids";
/// The workload's exit code, written atomically when it has ended (128 + signal if killed).
pub const EXIT_CODE: &str = "exit_code";
/// stdout and stderr, one `<RFC 3339 timestamp> <line>` per line.
pub const LOG: &str = "output.log";

/// Every file the runtime removes when it stops an instance.
pub const ALL: [&str; 4] = [SPEC, PIDS, EXIT_CODE, LOG];

/// The shim's and the workload's pids, from [`PIDS`].
pub fn read_pids(dir: &Path) -> Option<(i32, i32)> {
    let text = fs::read_to_string(dir.join(PIDS)).ok()?;
    let (shim, workload) = text.trim().split_once(' ')?;
    Some((shim.parse().ok()?, workload.parse().ok()?))
}

/// The workload's pid (its process group), from [`PIDS`].
pub fn read_workload_pid(dir: &Path) -> Option<i32> {
    read_pids(dir).map(|(_, workload)| workload)
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
}

/// Reads a file holding one decimal number.
pub fn read_number(dir: &Path, name: &str) -> Option<i32> {
    fs::read_to_string(dir.join(name)).ok()?.trim().parse().ok()
}

/// Writes `content` to `dir/name` atomically (temporary file, then rename), so readers that
/// see the file see all of it.
pub fn write_atomic(dir: &Path, name: &str, content: &str) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    fs::write(&tmp, content)?;
    fs::rename(tmp, dir.join(name))
}

/// Whether a shim currently holds the lock on `dir`'s spec.
pub fn shim_alive(dir: &Path) -> bool {
    let Ok(file) = fs::File::open(dir.join(SPEC)) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => false,
        Err(fs::TryLockError::WouldBlock) => true,
        Err(fs::TryLockError::Error(_)) => false,
    }
}

/// Removes the bookkeeping files (not the folder: it belongs to the agent).
pub fn remove_all(dir: &Path) {
    for name in ALL {
        let _ = fs::remove_file(dir.join(name));
    }
}

/// Removes the bookkeeping files but keeps the log, which a restart appends to.
pub fn remove_all_but_log(dir: &Path) {
    for name in ALL.iter().filter(|n| **n != LOG) {
        let _ = fs::remove_file(dir.join(name));
    }
}
