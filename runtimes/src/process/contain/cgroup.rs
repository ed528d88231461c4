//! What is done to one instance's cgroup: created, joined by the shim, listed, killed until
//! empty, removed. Blocking (a few writes to cgroupfs and short sleeps): the runtime calls it
//! from `spawn_blocking`, the shim directly.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::{Cgroup, Kind};

/// How long killing a cgroup may take before it is reported as failed.
const KILL_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between looks at a cgroup that is being frozen or emptied.
const STEP: Duration = Duration::from_millis(5);

/// A cgroup could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ContainError {
    /// Talking to cgroupfs failed.
    #[error("cgroup {path}: cannot {what}: {source}")]
    Io {
        /// The cgroup.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Processes were still in it after [`KILL_TIMEOUT`].
    #[error("cgroup {path}: {left} processes left after SIGKILL")]
    NotEmpty {
        /// The cgroup.
        path: PathBuf,
        /// How many.
        left: usize,
    },
}

impl Cgroup {
    fn err(&self, what: &'static str) -> impl FnOnce(io::Error) -> ContainError + '_ {
        move |source| ContainError::Io {
            path: self.path.clone(),
            what,
            source,
        }
    }

    fn write(&self, file: &str, text: &str) -> io::Result<()> {
        std::fs::write(self.path.join(file), text)
    }

    /// Creates the cgroup (and the agent's folder above it); an existing one is fine.
    pub fn create(&self) -> Result<(), ContainError> {
        let mut tries = 3;
        loop {
            if let Some(agent) = self.path.parent() {
                mkdir(agent).map_err(self.err("create its parent"))?;
            }
            match mkdir(&self.path) {
                // The agent's folder was removed by the stop of its last other instance.
                Err(e) if e.kind() == io::ErrorKind::NotFound && tries > 0 => tries -= 1,
                done => return done.map_err(self.err("create it")),
            }
        }
    }

    /// Moves the process `pid` (0: the caller) into the cgroup; its later children are born in it.
    pub fn join(&self, pid: u32) -> Result<(), ContainError> {
        self.write("cgroup.procs", &pid.to_string())
            .map_err(self.err("join it"))
    }

    /// Moves the process `pid` (0: the caller) out, back into the agent's own cgroup (where
    /// the shim was born: `<own>/ankaios/<agent>.<run>/<instance>`), so that the agent's
    /// folder can go with its last instance.
    pub fn leave(&self, pid: u32) -> Result<(), ContainError> {
        let own = self.path.ancestors().nth(3).unwrap_or(&self.path);
        std::fs::write(own.join("cgroup.procs"), pid.to_string()).map_err(self.err("leave it"))
    }

    /// The members' pids; empty if the cgroup is gone.
    pub fn procs(&self) -> Vec<i32> {
        std::fs::read_to_string(self.path.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Whether any process is in it.
    pub fn populated(&self) -> bool {
        !self.procs().is_empty()
    }

    /// SIGKILLs every member until none is left (the caller must not be one).
    pub fn kill(&self) -> Result<(), ContainError> {
        if !self.path.exists() {
            return Ok(());
        }
        let deadline = Instant::now() + KILL_TIMEOUT;
        if self.kind == (Kind::V2 { kill: true }) {
            self.write("cgroup.kill", "1")
                .map_err(self.err("write cgroup.kill"))?;
        }
        loop {
            let members = self.procs();
            if members.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ContainError::NotEmpty {
                    path: self.path.clone(),
                    left: members.len(),
                });
            }
            if self.kind != (Kind::V2 { kill: true }) {
                // Frozen, nobody can fork between the listing and the kills.
                self.freeze(true, deadline);
                for pid in self.procs() {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
                self.freeze(false, deadline);
            }
            std::thread::sleep(STEP);
        }
    }

    /// Freezes or thaws (a no-op in the v1 pids hierarchy); waits for the freeze to settle.
    fn freeze(&self, frozen: bool, deadline: Instant) {
        let (file, value, done): (&str, &str, fn(&str) -> bool) = match (self.kind, frozen) {
            (Kind::V2 { .. }, true) => ("cgroup.freeze", "1", |s| s.contains("frozen 1")),
            (Kind::V2 { .. }, false) => ("cgroup.freeze", "0", |_| true),
            (Kind::V1 { freezer: true }, true) => {
                ("freezer.state", "FROZEN", |s| s.trim() == "FROZEN")
            }
            (Kind::V1 { freezer: true }, false) => ("freezer.state", "THAWED", |_| true),
            (Kind::V1 { freezer: false }, _) => return,
        };
        if self.write(file, value).is_err() {
            return;
        }
        let state = if file == "cgroup.freeze" {
            "cgroup.events"
        } else {
            "freezer.state"
        };
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(self.path.join(state)).unwrap_or_default();
            if done(&text) {
                return;
            }
            std::thread::sleep(STEP);
        }
    }

    /// Kills what is left and removes the cgroup, and the agent's folder above it when that
    /// was its last; a missing one is fine.
    pub fn remove(&self) -> Result<(), ContainError> {
        self.kill()?;
        let deadline = Instant::now() + KILL_TIMEOUT;
        loop {
            match std::fs::remove_dir(&self.path) {
                Ok(()) => {
                    // Busy while another instance (or a shim that left its own) is in it.
                    if let Some(agent) = self.path.parent() {
                        let _ = std::fs::remove_dir(agent);
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                // Members that just died may still be leaving it.
                Err(_) if Instant::now() < deadline => std::thread::sleep(STEP),
                Err(e) => return Err(self.err("remove it")(e)),
            }
        }
    }
}

fn mkdir(path: &Path) -> io::Result<()> {
    match std::fs::create_dir(path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}
