//! One agent per name: the exclusive `flock`s an agent holds for its whole life, so a second
//! agent of the same name refuses to start instead of running every workload a second time.
//!
//! - `<run_folder>/<agent>_io/agent.lock`: always. Two agents of one name on one run folder
//!   would adopt, restart and stop the same instances.
//! - `/run/ankaios/agent-<name>-<server>.lock` (`<server>`: a hash of the server URL), when the
//!   agent may create `/run/ankaios` (root): the same name on another run folder, for the same
//!   server, is the same agent twice. The same name for another server is another cluster
//!   and allowed; its instances' cgroups are kept apart by the run folder (see
//!   `runtimes::process::contain`). An unprivileged agent has only the run folder's lock.
//!
//! Each file holds the holder's pid and run folder, for the refusal message. The kernel drops
//! a lock when its holder dies, `kill -9` included; the files are opened `O_CLOEXEC`, so no
//! shim inherits them.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use runtimes::private::{self, PrivateError};
use runtimes::process::contain::fnv1a;
use rustix::fs::FlockOperation;

/// The node-wide lock folder.
pub const NODE_LOCK_DIR: &str = "/run/ankaios";

/// Why the agent may not start.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another agent holds the lock.
    #[error(
        "another ank-agent named '{agent}' ({holder}) already runs {scope}; stop it first \
         (lock file {path})"
    )]
    Held {
        /// The agent's name.
        agent: String,
        /// `pid N, run folder F` as the other agent wrote it, or `pid unknown`.
        holder: String,
        /// `on run folder F` or `on this node for server U`.
        scope: String,
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file cannot be used.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The lock folder is not the agent's alone.
    #[error(transparent)]
    Private(#[from] PrivateError),
}

/// The locks; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct AgentLock {
    _files: Vec<File>,
}

impl AgentLock {
    /// Takes the run folder's lock and, when `node_dir` can be created, the node-wide one for
    /// `server`.
    pub fn acquire(
        run_folder: &Path,
        agent: &str,
        server: &str,
        node_dir: &Path,
    ) -> Result<AgentLock, LockError> {
        let run_scope = format!("on run folder {}", run_folder.display());
        let agent_dir = private::ensure_dir(&run_folder.join(format!("{agent}_io")))?;
        let mut files = vec![lock(
            &agent_dir,
            "agent.lock",
            agent,
            run_folder,
            run_scope,
        )?];
        match private::ensure_dir(node_dir) {
            Ok(dir) => {
                let name = format!("agent-{agent}-{:016x}.lock", fnv1a(server.as_bytes()));
                let scope = format!("on this node for server {server}");
                files.push(lock(&dir, &name, agent, run_folder, scope)?);
            }
            Err(e) => tracing::debug!(error = %e, "no node-wide agent lock"),
        }
        Ok(AgentLock { _files: files })
    }
}

/// Locks `name` in `dir` (created 0600, never through a symlink) and writes who holds it.
fn lock(
    dir: &std::os::fd::OwnedFd,
    name: &str,
    agent: &str,
    run_folder: &Path,
    scope: String,
) -> Result<File, LockError> {
    let path = PathBuf::from(name);
    let io_err = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    let mut file = private::open_append(dir, name).map_err(io_err)?;
    match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => {
            let holder = private::read_to_string(dir, name)
                .ok()
                .and_then(|text| {
                    let (pid, folder) = text.trim().split_once(' ')?;
                    Some(format!("pid {pid}, run folder {folder}"))
                })
                .unwrap_or_else(|| "pid unknown".into());
            return Err(LockError::Held {
                agent: agent.to_owned(),
                holder,
                scope,
                path,
            });
        }
        Err(e) => return Err(io_err(e.into())),
    }
    file.set_len(0).map_err(io_err)?;
    writeln!(file, "{} {}", std::process::id(), run_folder.display()).map_err(io_err)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Node {
        tmp: tempfile::TempDir,
    }

    impl Node {
        fn new() -> Self {
            Node {
                tmp: tempfile::tempdir().expect("tempdir"),
            }
        }

        fn folder(&self, name: &str) -> PathBuf {
            let path = self.tmp.path().join(name);
            let _ = private::ensure_dir(&path).expect("folder");
            path
        }

        fn acquire(&self, run: &str, agent: &str, server: &str) -> Result<AgentLock, LockError> {
            let node = self.tmp.path().join("node");
            AgentLock::acquire(&self.folder(run), agent, server, &node)
        }
    }

    #[test]
    fn a_second_agent_of_the_name_on_the_run_folder_is_refused_with_the_holders_pid() {
        let node = Node::new();
        let first = node.acquire("run", "A", "http://s:1").expect("first");
        let text = node
            .acquire("run", "A", "http://other:1")
            .expect_err("second")
            .to_string();
        let run = node.tmp.path().join("run");
        assert!(
            text.contains("named 'A'")
                && text.contains(&format!("pid {}", std::process::id()))
                && text.contains(&format!("on run folder {}", run.display())),
            "{text}"
        );
        node.acquire("run", "B", "http://s:1")
            .expect("another name");
        drop(first);
        node.acquire("run", "A", "http://s:1").expect("free again");
    }

    #[test]
    fn the_name_is_one_agent_per_server_on_the_node() {
        let node = Node::new();
        let _first = node.acquire("run1", "A", "http://s:1").expect("first");
        let text = node
            .acquire("run2", "A", "http://s:1")
            .expect_err("same server")
            .to_string();
        assert!(
            text.contains("on this node for server http://s:1")
                && text.contains(&node.tmp.path().join("run1").display().to_string()),
            "{text}"
        );
        node.acquire("run3", "A", "http://t:1")
            .expect("another cluster");
    }

    #[test]
    fn an_unusable_node_folder_leaves_the_run_folder_lock() {
        let node = Node::new();
        let planted = node.tmp.path().join("planted");
        std::os::unix::fs::symlink(node.tmp.path(), &planted).expect("symlink");
        let run = node.folder("run");
        let _first = AgentLock::acquire(&run, "A", "http://s:1", &planted).expect("first");
        assert!(AgentLock::acquire(&run, "A", "http://s:1", &planted).is_err());
    }
}
