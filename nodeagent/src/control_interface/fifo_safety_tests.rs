//! What others may have planted where the FIFOs go is replaced or refused, never followed.

use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};

use super::*;

#[test]
fn a_symlink_or_file_at_a_fifo_name_is_replaced_and_its_target_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("control_interface");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "keep").expect("victim");
    symlink(&victim, dir.join(INPUT)).expect("plant");
    std::fs::write(dir.join(OUTPUT), "not a fifo").expect("plant");
    create(&dir).expect("created");
    for name in [INPUT, OUTPUT] {
        let meta = std::fs::symlink_metadata(dir.join(name)).expect("fifo");
        assert!(meta.file_type().is_fifo(), "{name}");
    }
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode();
    assert_eq!(mode & 0o7777, 0o700, "made private");
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");
    assert!(std::fs::symlink_metadata(&victim)
        .expect("victim")
        .is_file());
}

#[test]
fn a_folder_writable_by_others_or_a_symlink_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let open = tmp.path().join("open");
    std::fs::create_dir(&open).expect("mkdir");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let err = create(&open).expect_err("refused");
    assert!(err.to_string().contains("0777"), "{err}");
    assert!(!open.join(INPUT).exists());

    let link = tmp.path().join("link");
    symlink(tmp.path(), &link).expect("symlink");
    assert!(create(&link).is_err());
    assert!(
        !tmp.path().join(INPUT).exists(),
        "nothing made through the link"
    );
}

#[tokio::test]
async fn a_symlink_swapped_in_after_creation_is_not_opened() {
    let tmp = tempfile::tempdir().expect("tempdir");
    create(tmp.path()).expect("created");
    let other = tmp.path().join("other");
    nix::unistd::mkfifo(&other, nix::sys::stat::Mode::S_IRWXU).expect("fifo");
    std::fs::remove_file(tmp.path().join(OUTPUT)).expect("rm");
    symlink(&other, tmp.path().join(OUTPUT)).expect("swap");
    assert!(Reader::open(tmp.path()).is_err());
}
