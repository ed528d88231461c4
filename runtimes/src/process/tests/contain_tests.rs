//! Containment with real processes: a `setsid` child goes with its instance, and a start never
//! runs beside a previous life still in the instance's cgroup. Each [`Node`] gets its own
//! cgroup folder, so tests running in parallel never share instance cgroups.

use std::sync::atomic::{AtomicU32, Ordering};

use nix::sys::signal::Signal;

use super::*;

/// The node's mechanism, with cgroups below a folder of this test node alone.
pub(super) fn private_containment() -> contain::Containment {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    match contain::detect() {
        contain::Containment::Cgroups { base, kind } => {
            let n = NEXT.fetch_add(1, Ordering::SeqCst);
            let base = base.join(format!("test-{}-{n}", std::process::id()));
            match std::fs::create_dir(&base) {
                Ok(()) => contain::Containment::Cgroups { base, kind },
                Err(_) => contain::Containment::Subreaper,
            }
        }
        other => other,
    }
}

impl Drop for Node {
    /// Removes the node's (by now empty) cgroup folders.
    fn drop(&mut self) {
        let contain::Containment::Cgroups { base, .. } = &self.containment else {
            return;
        };
        for agent in std::fs::read_dir(base).into_iter().flatten().flatten() {
            for instance in std::fs::read_dir(agent.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let _ = std::fs::remove_dir(instance.path());
            }
            let _ = std::fs::remove_dir(agent.path());
        }
        let _ = std::fs::remove_dir(base);
    }
}

fn alive(pid: i32) -> bool {
    identity::stat_of(&pid.to_string()).is_some()
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z")
        })
}

/// Waits up to 5 s for `pid` to be gone.
async fn gone(pid: i32) -> bool {
    for _ in 0..500 {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// A workload with a `setsid` child that writes its pid to `escaped.pid` in the run folder.
fn escaping(node: &Node, name: &str) -> (WorkloadSpec, PathBuf) {
    let file = node.run_folder.join(format!("{name}.escaped.pid"));
    let script = format!(
        "setsid sh -c 'echo $$ > {}; exec sleep 1000' & exec sleep 1000",
        file.display()
    );
    (node.spec(name, &script), file)
}

async fn escaped_pid(file: &Path) -> i32 {
    for _ in 0..500 {
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no pid in {}", file.display());
}

#[tokio::test]
async fn stop_kills_a_setsid_child_whatever_the_mechanism() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let (spec, file) = escaping(&node, "escaper");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let escaped = escaped_pid(&file).await;
    let session = identity::stat_of(&escaped.to_string())
        .expect("stat")
        .session;
    assert_eq!(session, escaped, "the child left the workload's session");
    if let Some(cgroup) = rt.cgroup_of(&spec.instance) {
        assert!(cgroup.procs().contains(&escaped), "born in the cgroup");
    }
    rt.stop(&spec.instance).await.expect("stops");
    assert!(gone(escaped).await, "the setsid child survived the stop");
    if let Some(cgroup) = rt.cgroup_of(&spec.instance) {
        assert!(!cgroup.path.exists(), "the cgroup is removed");
    }
}

#[tokio::test]
async fn what_a_killed_shim_left_goes_on_stop() {
    let node = Node::new();
    if matches!(node.containment, contain::Containment::Subreaper) {
        eprintln!(
            "skipped: no usable cgroup (not root?): orphans of a killed shim are out of reach"
        );
        return;
    }
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let (spec, file) = escaping(&node, "orphaned");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let escaped = escaped_pid(&file).await;
    let pids = files::read_pids(&spec.instance_dir).expect("pids");
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pids.shim), Signal::SIGKILL);
    assert_eq!(
        next_state(&mut rx).await.state,
        ExecState::Failed(Failed::Lost)
    );
    assert!(alive(escaped) && alive(pids.workload), "orphans still run");
    rt.stop(&spec.instance).await.expect("stops");
    assert!(
        gone(escaped).await && gone(pids.workload).await,
        "orphans survived the stop"
    );
}

#[tokio::test]
async fn a_start_never_runs_beside_a_previous_life_in_the_cgroup() {
    let node = Node::new();
    let (spec, file) = escaping(&node, "twice");
    let (first, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let Some(cgroup) = first.cgroup_of(&spec.instance) else {
        eprintln!("skipped: no usable cgroup (not root?)");
        return;
    };
    first.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let old_escaped = escaped_pid(&file).await;
    let old = files::read_pids(&spec.instance_dir).expect("pids");
    // The run folder is wiped under the live instance; the agent restarts.
    first.shutdown().await;
    files::remove_all(&spec.instance_dir);
    std::fs::remove_file(&file).expect("pid file");
    let (second, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let listed = second.list_instances("agent_A").await.expect("lists");
    assert_eq!(
        listed,
        std::slice::from_ref(&spec.instance),
        "found by its cgroup"
    );
    second.start(&spec).await.expect("starts again");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let new_escaped = escaped_pid(&file).await;
    for pid in [old.shim, old.workload, old_escaped] {
        assert!(gone(pid).await, "{pid} of the previous life still runs");
    }
    let new = files::read_pids(&spec.instance_dir).expect("pids");
    let mut members = cgroup.procs();
    members.sort_unstable();
    let mut expected = vec![new.shim, new.workload, new_escaped];
    expected.sort_unstable();
    assert_eq!(
        members, expected,
        "one copy: the new shim, its workload and its child"
    );
    second.stop(&spec.instance).await.expect("stops");
    assert!(gone(new_escaped).await);
}

/// Every way of killing a cgroup this node offers (v2 with and without `cgroup.kill`, v1
/// freezer) empties a real one holding a `setsid` child, and removes it.
#[test]
fn each_kill_path_empties_a_real_cgroup() {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let (mounts, own) = (read("/proc/self/mountinfo"), read("/proc/self/cgroup"));
    let mut kinds = Vec::new();
    for prefer in [contain::Preference::V2, contain::Preference::V1] {
        if let contain::Containment::Cgroups { base, kind } =
            contain::detect_in(Path::new("/"), &mounts, &own, prefer)
        {
            kinds.push((base.clone(), kind));
            if kind == (contain::Kind::V2 { kill: true }) {
                kinds.push((base, contain::Kind::V2 { kill: false }));
            }
        }
    }
    if kinds.is_empty() {
        eprintln!("skipped: no usable cgroup (not root?)");
    }
    for (n, (base, kind)) in kinds.into_iter().enumerate() {
        let cgroup = contain::Cgroup {
            // One level down: removing it also removes its (then empty) parent.
            path: base
                .join(format!("test-kill-{}", std::process::id()))
                .join(n.to_string()),
            kind,
        };
        cgroup.create().expect("create");
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "sleep 0.2; setsid sleep 1000 & sleep 1000"])
            .spawn()
            .expect("sh");
        cgroup.join(sh.id()).expect("join");
        let start = std::time::Instant::now();
        while cgroup.procs().len() < 3 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(cgroup.procs().len(), 3, "{kind:?}: sh and both sleeps");
        cgroup.remove().expect("killed and removed");
        assert!(!cgroup.path.exists(), "{kind:?}");
        let _ = sh.wait();
    }
}
