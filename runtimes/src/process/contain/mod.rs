//! Containment of native workloads: everything a workload starts, `setsid` children included,
//! is found and killed on delete and restart. Owns the choice of mechanism and the naming of
//! each instance's cgroup.
//!
//! Three mechanisms, the first the node offers is used (detected once at agent start, see
//! [`detect`]):
//! - **cgroup v2**: `<agent's own cgroup>/ankaios/<agent>.<run>/<workload>.<id>` on the cgroup2
//!   mount (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on a hybrid node), killed with
//!   `cgroup.kill`, else by freezing it and SIGKILLing each member until it is empty;
//! - **cgroup v1**: the same path in the `freezer` hierarchy (frozen while its members are
//!   killed), else the `pids` one (members killed until none is left);
//! - **subreaper**: no usable cgroup; the shim, a child subreaper, kills every descendant it
//!   has when its workload ends. A process that escaped a shim killed with SIGKILL is then out
//!   of reach (only its process group is, see `identity`).
//!
//! The shim moves itself into the cgroup before it starts the workload, so nothing the workload
//! starts is ever outside it; when the workload ends the shim moves back to the agent's own
//! cgroup, kills what is left and removes the cgroup. The runtime kills and removes it too on stop and before a fresh
//! start, which covers a shim that was itself killed. Paths are built from single components
//! checked by [`component`]; no `/` or `..` can reach them.

mod cgroup;
mod detect;
pub mod reaper;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use ank_model::WorkloadInstanceName;
use serde::{Deserialize, Serialize};

pub use cgroup::ContainError;
pub use detect::{detect, detect_in, Preference};

/// Which cgroup interface a node has, and how its cgroups are killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// cgroup v2; `kill`: `cgroup.kill` exists (Linux 5.14), else freeze and kill.
    V2 {
        /// Whether `cgroup.kill` exists.
        kill: bool,
    },
    /// cgroup v1; `freezer`: the freezer hierarchy, else the pids one.
    V1 {
        /// Whether the hierarchy is the freezer one.
        freezer: bool,
    },
}

/// How native workloads are contained on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Containment {
    /// Each instance in its own cgroup below `base`.
    Cgroups {
        /// `<mount>/<agent's own cgroup>/ankaios`.
        base: PathBuf,
        /// The interface.
        kind: Kind,
    },
    /// The shim as child subreaper.
    Subreaper,
}

/// One instance's cgroup; the runtime hands it to the shim in `native.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cgroup {
    /// The cgroup's folder.
    pub path: PathBuf,
    /// Its interface.
    pub kind: Kind,
}

impl Cgroup {
    /// Whether this is a cgroup the runtime could have named for the instance folder `dir`:
    /// an absolute path of plain components whose last is the folder's name. The shim checks
    /// it before it joins (and later kills) the cgroup `native.json` names.
    pub fn is_for(&self, dir: &Path) -> bool {
        use std::path::Component;
        let plain = self.path.is_absolute()
            && self
                .path
                .components()
                .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
        plain && self.path.file_name().is_some() && self.path.file_name() == dir.file_name()
    }
}

impl Containment {
    /// One line for the agent's log.
    pub fn describe(&self) -> String {
        match self {
            Containment::Cgroups { base, kind } => {
                let how = match kind {
                    Kind::V2 { kill: true } => "cgroup v2, killed with cgroup.kill",
                    Kind::V2 { kill: false } => "cgroup v2, frozen and killed",
                    Kind::V1 { freezer: true } => "cgroup v1 freezer, frozen and killed",
                    Kind::V1 { freezer: false } => "cgroup v1 pids, killed until empty",
                };
                format!("{how}, below {}", base.display())
            }
            Containment::Subreaper => {
                "no usable cgroup: the shim as child subreaper kills its descendants".into()
            }
        }
    }

    /// The folder of the instance cgroups of `agent` on `run_folder`: `<base>/<agent>.<run>`;
    /// `None` without cgroups or for a bad name.
    pub fn agent_folder(&self, agent: &str, run_folder: &Path) -> Option<(PathBuf, Kind)> {
        match self {
            Containment::Cgroups { base, kind } => {
                let name = format!("{agent}.{:016x}", fnv1a(run_folder.as_os_str().as_bytes()));
                Some((base.join(component(&name)?), *kind))
            }
            Containment::Subreaper => None,
        }
    }

    /// The cgroup of `instance`: `<base>/<agent>.<run>/<workload>.<id>`.
    pub fn cgroup(&self, instance: &WorkloadInstanceName, run_folder: &Path) -> Option<Cgroup> {
        let (folder, kind) = self.agent_folder(&instance.agent_name, run_folder)?;
        let name = instance.folder_name();
        Some(Cgroup {
            path: folder.join(component(&name)?),
            kind,
        })
    }
}

/// FNV-1a, 64 bits: a stable short name for a run folder or server URL (not a security
/// boundary: it only keeps unrelated agents apart).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `name` if it is usable as one path component: `[A-Za-z0-9_.-]`, not starting with a dot
/// (so neither `.` nor `..`), at most 255 bytes.
pub fn component(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    ok.then_some(name)
}

#[cfg(test)]
mod tests;
