//! What others may have planted in an instance folder is neither followed nor believed, and
//! what the runtime writes there is private.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::CommandExt;

use super::*;
use crate::private::tests::mode;

#[tokio::test]
async fn the_files_of_an_instance_are_0600() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("private", "echo secret");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    assert_eq!(next_state(&mut rx).await, ExecutionState::succeeded());
    // All but the rotated log, which a short log never has (`logfile` checks its mode).
    for name in files::ALL.into_iter().filter(|n| *n != files::LOG_ROTATED) {
        assert_eq!(mode(&spec.instance_dir.join(name)), 0o600, "{name}");
    }
}

#[tokio::test]
async fn symlinks_planted_at_the_log_and_the_spec_are_not_followed() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("planted", "echo out");
    let victim = node.run_folder.join("victim");
    std::fs::write(&victim, "root only\n").expect("victim");
    symlink(&victim, spec.instance_dir.join(files::LOG)).expect("plant log");
    symlink(&victim, spec.instance_dir.join(files::SPEC)).expect("plant spec");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    assert_eq!(next_state(&mut rx).await, ExecutionState::succeeded());
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "root only\n"
    );
    let log = spec.instance_dir.join(files::LOG);
    assert!(std::fs::symlink_metadata(&log).expect("log").is_file());
    assert_eq!(all_logs(&rt, &spec, LogOptions::default()).await, ["out"]);
}

#[tokio::test]
async fn a_pids_file_naming_an_unrelated_process_is_not_believed() {
    let node = Node::new();
    let spec = node.spec("forged", "echo fresh");
    let mut sleep = std::process::Command::new("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .expect("sleep");
    let pid = sleep.id();
    let start = identity::stat_of(&pid.to_string())
        .expect("stat")
        .start_time;
    // A spec without a shim holding it, and pids naming the sleep with its true start time.
    std::fs::write(spec.instance_dir.join(files::SPEC), "{}").expect("spec");
    std::fs::write(
        spec.instance_dir.join(files::PIDS),
        format!("{pid} {pid} {start} {start}\n"),
    )
    .expect("pids");

    // Stop first (adopts what it finds), then start (kills a stale workload first).
    let (rt, mut rx) = node.runtime(Duration::from_millis(200));
    rt.stop(&spec.instance).await.expect("stops");
    std::fs::write(spec.instance_dir.join(files::SPEC), "{}").expect("spec");
    std::fs::write(
        spec.instance_dir.join(files::PIDS),
        format!("{pid} {pid} {start} {start}\n"),
    )
    .expect("pids");
    rt.start(&spec).await.expect("starts fresh");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    assert_eq!(next_state(&mut rx).await, ExecutionState::succeeded());
    assert!(
        sleep.try_wait().expect("wait").is_none(),
        "sleep not signalled"
    );
    let _ = sleep.kill();
    let _ = sleep.wait();
}

#[tokio::test]
async fn an_instance_folder_writable_by_others_is_not_used() {
    let node = Node::new();
    let (rt, _rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("open", "echo never");
    std::fs::set_permissions(&spec.instance_dir, std::fs::Permissions::from_mode(0o777))
        .expect("chmod");
    let err = rt.start(&spec).await.expect_err("refused");
    assert!(err.to_string().contains("0777"), "{err}");
    assert!(!spec.instance_dir.join(files::LOG).exists());
}

#[tokio::test]
async fn a_live_but_unverified_shim_is_neither_adopted_nor_doubled() {
    let node = Node::new();
    let (rt, _rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("legacy", "echo twice");
    // As an older agent left it: a locked spec and a two-field pids file.
    std::fs::write(spec.instance_dir.join(files::SPEC), "{}").expect("spec");
    let lock = std::fs::File::open(spec.instance_dir.join(files::SPEC)).expect("open");
    lock.try_lock().expect("lock");
    std::fs::write(spec.instance_dir.join(files::PIDS), "1234 1235\n").expect("pids");
    let err = rt.start(&spec).await.expect_err("refused");
    assert!(err.to_string().contains("cannot verify"), "{err}");
    assert!(
        !spec.instance_dir.join(files::LOG).exists(),
        "nothing started"
    );
}
