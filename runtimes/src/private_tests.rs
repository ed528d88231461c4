//! Real folders and files in a temporary directory.

use std::os::unix::fs::{symlink, PermissionsExt};

use super::*;

/// The permission bits of `path` itself (a symlink is not followed).
pub(crate) fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_missing_folder_is_created_0700_and_an_existing_private_one_is_used() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    ensure_dir(&dir).expect("created");
    assert_eq!(mode(&dir), 0o700);
    ensure_dir(&dir).expect("reused");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).expect("chmod");
    open_dir(&dir).expect("group may read");
}

#[test]
fn group_or_world_writable_folders_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for bits in [0o770, 0o707, 0o1777] {
        let dir = tmp.path().join(format!("d{bits:o}"));
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(bits)).expect("chmod");
        let err = ensure_dir(&dir).expect_err("refused");
        let text = err.to_string();
        assert!(text.contains(&format!("{bits:04o}")), "{text}");
        assert!(text.contains(&dir.display().to_string()), "{text}");
    }
}

#[test]
fn a_symlinked_folder_or_a_file_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).expect("mkdir");
    let link = tmp.path().join("link");
    symlink(&real, &link).expect("symlink");
    let err = ensure_dir(&link).expect_err("refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").expect("file");
    assert!(ensure_dir(&file).is_err());
}

#[test]
fn a_folder_owned_by_someone_else_is_refused() {
    if euid() != 0 {
        eprintln!("skipped: chown needs root");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("nobody");
    std::fs::create_dir(&dir).expect("mkdir");
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).expect("chown");
    let err = open_dir(&dir).expect_err("refused");
    assert!(err.to_string().contains("owned by uid 65534"), "{err}");
}

#[test]
fn files_are_created_0600_and_symlinks_in_their_place_are_not_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("inst");
    let fd = ensure_dir(&dir).expect("dir");
    write_atomic(&fd, "exit_code", "0").expect("written");
    open_append(&fd, "output.log").expect("log");
    create_new(&fd, "native.json", b"{}").expect("spec");
    for name in ["exit_code", "output.log", "native.json"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }

    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "secret").expect("victim");
    for name in ["output.log", "native.json", "pids"] {
        let planted = dir.join(name);
        let _ = std::fs::remove_file(&planted);
        symlink(&victim, &planted).expect("plant");
        assert!(
            open_append(&fd, name).is_err(),
            "{name} appended through a symlink"
        );
        assert!(create_new(&fd, name, b"x").is_err());
        assert!(
            open_read(&fd, name).is_err(),
            "{name} read through a symlink"
        );
        assert!(exists(&fd, name));
    }
    // An atomic write replaces the symlink itself.
    write_atomic(&fd, "pids", "1 2 3 4").expect("replaced");
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "secret");
    remove(&fd, "output.log");
    assert!(victim.exists(), "removing the symlink keeps its target");
}
