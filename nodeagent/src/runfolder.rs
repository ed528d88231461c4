//! The run folder: `<run_folder>/<agent>_io/<workload>.<id>/` per instance. The default run
//! folder is created world-writable (Ankaios does the same); a folder given explicitly must exist.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ank_model::WorkloadInstanceName;

/// Why the run folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RunFolderError {
    /// A folder given explicitly does not exist.
    #[error("run folder '{0}' does not exist")]
    Missing(PathBuf),
    /// Creating a folder failed.
    #[error("cannot create run folder '{path}'")]
    Create {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// `$TMPDIR/ankaios` (`/tmp/ankaios` without TMPDIR).
pub fn default_run_folder() -> PathBuf {
    std::env::temp_dir().join("ankaios")
}

/// Checks (or, for the default one, creates) the run folder and the agent's `<agent>_io`.
pub fn prepare(
    run_folder: &Path,
    is_default: bool,
    agent: &str,
) -> Result<PathBuf, RunFolderError> {
    let create = |path: &Path| {
        fs::create_dir_all(path).map_err(|source| RunFolderError::Create {
            path: path.to_owned(),
            source,
        })
    };
    if !run_folder.is_dir() {
        if !is_default {
            return Err(RunFolderError::Missing(run_folder.to_owned()));
        }
        create(run_folder)?;
        fs::set_permissions(run_folder, fs::Permissions::from_mode(0o777)).map_err(|source| {
            RunFolderError::Create {
                path: run_folder.to_owned(),
                source,
            }
        })?;
    }
    let agent_dir = agent_dir(run_folder, agent);
    create(&agent_dir)?;
    Ok(agent_dir)
}

/// `<run_folder>/<agent>_io`.
pub fn agent_dir(run_folder: &Path, agent: &str) -> PathBuf {
    run_folder.join(format!("{agent}_io"))
}

/// `<run_folder>/<agent>_io/<workload>.<id>`.
pub fn instance_dir(run_folder: &Path, instance: &WorkloadInstanceName) -> PathBuf {
    agent_dir(run_folder, &instance.agent_name).join(instance.folder_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folder_is_created_and_explicit_one_must_exist() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = tmp.path().join("nope");
        assert!(matches!(
            prepare(&missing, false, "a"),
            Err(RunFolderError::Missing(_))
        ));
        let dir = prepare(&missing, true, "a").expect("created");
        assert_eq!(dir, missing.join("a_io"));
        let mode = fs::metadata(&missing).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o777);
    }
}
