//! The shim's side of containment: after its workload ended, kill whatever the workload left,
//! through its cgroup or, without one, as child subreaper by walking `/proc` for descendants,
//! then reap what was re-parented to the shim.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::Cgroup;
use crate::process::identity;

/// How long the shim spends killing and reaping the workload's leftovers.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Kills everything the workload left (the shim itself excepted) and reaps it; with a cgroup
/// the shim leaves it first and removes it afterwards.
pub fn kill_leftovers(cgroup: Option<&Cgroup>) {
    match cgroup {
        Some(cgroup) => {
            if let Err(e) = cgroup.leave(0).and_then(|()| cgroup.remove()) {
                eprintln!("{e}");
            }
            reap(Instant::now() + CLEANUP_TIMEOUT);
        }
        None => kill_descendants(),
    }
}

/// SIGKILLs every descendant of this process until none is left: the workload's orphans were
/// re-parented here (the shim is a child subreaper), so all of them are found by ppid.
fn kill_descendants() {
    let deadline = Instant::now() + CLEANUP_TIMEOUT;
    let me = std::process::id();
    #[allow(clippy::cast_possible_wrap)] // pids fit in i32
    let me = me as i32;
    loop {
        let found = descendants_of(me);
        if found.is_empty() || Instant::now() > deadline {
            break;
        }
        for pid in found {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        reap(Instant::now() + Duration::from_millis(50));
    }
    reap(Instant::now());
}

/// The live descendants of `root`, from the ppid of every process in `/proc`.
pub fn descendants_of(root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if let Some(stat) = identity::stat_of(&pid.to_string()) {
            children.entry(stat.ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for child in children.remove(&pid).unwrap_or_default() {
            found.push(child);
            todo.push(child);
        }
    }
    found
}

/// Reaps the shim's dead children until it has none, or until `deadline` while some live.
fn reap(deadline: Instant) {
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {
                if Instant::now() > deadline {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}
