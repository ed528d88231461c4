//! Claimed volumes of native workloads: claim `c` is the folder `<run folder>/volumes/<c>`,
//! created 0700 on first use through the private-folder helpers (an existing one must be a
//! real directory of the agent's, never a symlink) and kept after the workload, as a claim
//! outlives its pods. The process finds it in the environment variable the runtimeConfig's
//! `volumes` names, since a native process cannot have it mounted at a path.

use std::collections::BTreeMap;
use std::path::Path;

use ank_model::runtime_config::is_claim_name;

use crate::private;
use crate::RuntimeError;

/// The folder under the run folder holding every claim's folder.
pub const VOLUMES_DIR: &str = "volumes";

/// `(variable, folder)` for each claimed volume of `volumes` (variable → claim), creating the
/// folders that are missing.
pub fn claim_env(
    run_folder: &Path,
    volumes: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, RuntimeError> {
    if volumes.is_empty() {
        return Ok(Vec::new());
    }
    // Validated by the server too; checked again, before anything is created, as it becomes a
    // path here.
    if let Some(claim) = volumes.values().find(|c| !is_claim_name(c)) {
        return Err(RuntimeError::InvalidConfig(format!(
            "volume claim {claim:?} is not a dns-1123 subdomain"
        )));
    }
    let root = run_folder.join(VOLUMES_DIR);
    private::ensure_dir(&root).map_err(|e| RuntimeError::StartFailed(e.to_string()))?;
    let mut env = Vec::with_capacity(volumes.len());
    for (variable, claim) in volumes {
        let folder = root.join(claim);
        private::ensure_dir(&folder).map_err(|e| RuntimeError::StartFailed(e.to_string()))?;
        env.push((variable.clone(), folder.to_string_lossy().into_owned()));
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn claims_become_private_folders_named_in_the_environment() {
        let run = tempfile::tempdir().expect("tempdir");
        let volumes = [("DATA".to_owned(), "db-data".to_owned())].into();
        let env = claim_env(run.path(), &volumes).expect("created");
        let folder = run.path().join("volumes/db-data");
        assert_eq!(env, [("DATA".to_owned(), folder.display().to_string())]);
        let mode = std::fs::metadata(&folder)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::write(folder.join("kept"), "x").expect("write");
        assert_eq!(claim_env(run.path(), &volumes).expect("again"), env);
        assert!(
            folder.join("kept").exists(),
            "an existing claim folder is reused"
        );
    }

    #[test]
    fn hostile_claims_and_planted_symlinks_are_refused() {
        let run = tempfile::tempdir().expect("tempdir");
        for claim in ["../escape", "a/b", "-x", ""] {
            let volumes = [("V".to_owned(), claim.to_owned())].into();
            assert!(claim_env(run.path(), &volumes).is_err(), "{claim:?}");
        }
        assert!(!run.path().join("escape").exists());
        assert!(
            !run.path().join("volumes").exists(),
            "nothing is created for a refusal"
        );
        let elsewhere = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(run.path().join("volumes")).expect("mkdir");
        std::os::unix::fs::symlink(elsewhere.path(), run.path().join("volumes/data"))
            .expect("symlink");
        let volumes = [("V".to_owned(), "data".to_owned())].into();
        let err = claim_env(run.path(), &volumes).expect_err("a symlink is never followed");
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }
}
