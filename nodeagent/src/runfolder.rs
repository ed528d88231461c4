//! The run folder: `<run_folder>/<agent>_io/<workload>.<id>/` per instance, the agent's alone.
//!
//! Other local users must not be able to plant symlinks or `pids` files the agent (often root)
//! would follow or believe, so every level is checked by [`runtimes::private`]: a folder the
//! agent creates is 0700; an existing one is used only if it is a real directory (not a
//! symlink) owned by the agent's effective uid and not writable by group or others (0750 is
//! accepted, for a group that may read logs). Otherwise the agent refuses to start, naming the
//! folder, its owner and mode. The default run folder (`$TMPDIR/ankaios`) is created if
//! missing; a folder given with `-r` (or in the config file) must exist, as before.

use std::path::{Path, PathBuf};

use ank_model::WorkloadInstanceName;
use runtimes::private::{self, PrivateError};

/// Why the run folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RunFolderError {
    /// A folder given explicitly does not exist.
    #[error("run folder '{0}' does not exist")]
    Missing(PathBuf),
    /// The folder (or `<agent>_io` in it) is not the agent's alone, or cannot be created.
    #[error("run folder: {0}")]
    Private(#[from] PrivateError),
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
    // `symlink_metadata`: a dangling symlink "exists" too, and is then refused as a symlink.
    if !is_default && std::fs::symlink_metadata(run_folder).is_err() {
        return Err(RunFolderError::Missing(run_folder.to_owned()));
    }
    private::ensure_dir(run_folder)?;
    let agent_dir = agent_dir(run_folder, agent);
    private::ensure_dir(&agent_dir)?;
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

/// Creates (0700) or checks `<agent>_io` and the instance folder in it.
pub fn ensure_instance_dir(
    run_folder: &Path,
    instance: &WorkloadInstanceName,
) -> Result<PathBuf, PrivateError> {
    private::ensure_dir(&agent_dir(run_folder, &instance.agent_name))?;
    let dir = instance_dir(run_folder, instance);
    private::ensure_dir(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::{symlink, PermissionsExt};

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn default_folder_is_created_0700_and_explicit_one_must_exist() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = tmp.path().join("nope");
        assert!(matches!(
            prepare(&missing, false, "a"),
            Err(RunFolderError::Missing(_))
        ));
        let dir = prepare(&missing, true, "a").expect("created");
        assert_eq!(dir, missing.join("a_io"));
        assert_eq!(mode(&missing), 0o700);
        assert_eq!(mode(&dir), 0o700);
        prepare(&missing, false, "a").expect("reused");
    }

    #[test]
    fn a_world_writable_or_symlinked_run_folder_is_refused_with_what_to_do() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let open = tmp.path().join("open");
        fs::create_dir(&open).expect("mkdir");
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).expect("chmod");
        let text = prepare(&open, true, "a").expect_err("refused").to_string();
        assert!(text.contains(&open.display().to_string()), "{text}");
        assert!(
            text.contains("mode 0777") && text.contains("remove it"),
            "{text}"
        );
        assert!(!open.join("a_io").exists(), "nothing created in it");

        let link = tmp.path().join("link");
        let real = tmp.path().join("real");
        fs::create_dir(&real).expect("mkdir");
        symlink(&real, &link).expect("symlink");
        let text = prepare(&link, false, "a").expect_err("refused").to_string();
        assert!(text.contains("symbolic link"), "{text}");
    }

    #[test]
    fn agent_and_instance_folders_must_be_real_and_private() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let run = tmp.path().join("run");
        fs::create_dir(&run).expect("mkdir");
        symlink(tmp.path(), agent_dir(&run, "a")).expect("planted");
        let text = prepare(&run, false, "a").expect_err("refused").to_string();
        assert!(
            text.contains("a_io") && text.contains("symbolic link"),
            "{text}"
        );

        fs::remove_file(agent_dir(&run, "a")).expect("unplant");
        prepare(&run, false, "a").expect("prepared");
        let instance = WorkloadInstanceName::new("w", "a", "cfg");
        symlink(tmp.path(), instance_dir(&run, &instance)).expect("planted");
        assert!(ensure_instance_dir(&run, &instance).is_err());
        fs::remove_file(instance_dir(&run, &instance)).expect("unplant");
        let dir = ensure_instance_dir(&run, &instance).expect("created");
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn a_run_folder_owned_by_someone_else_is_refused() {
        if private::euid() != 0 {
            eprintln!("skipped: chown needs root");
            return;
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let theirs = tmp.path().join("theirs");
        fs::create_dir(&theirs).expect("mkdir");
        fs::set_permissions(&theirs, fs::Permissions::from_mode(0o700)).expect("chmod");
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).expect("chown");
        let text = prepare(&theirs, true, "a")
            .expect_err("refused")
            .to_string();
        assert!(text.contains("owned by uid 65534 with mode 0700"), "{text}");
    }
}
