//! End to end containment of native workloads (issue 12, point 4): the real server and agent,
//! a workload whose child leaves its session with `setsid`. `ank delete` ends that child too;
//! a delete after the shim itself was killed with SIGKILL, a restart by policy, and a restart
//! of the agent after both agent and shim were killed leave no process of the earlier life. Cgroups need root: skipped otherwise.

mod e2e_support;

use std::path::Path;
use std::time::{Duration, Instant};

use e2e_support::{alive, read_pid, Cluster};

fn root() -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: cgroups need root (CI runs as root)");
    false
}

/// A native workload `name` that records its pid in `<name>.pid` and starts a `setsid` child
/// that records its own in `<name>.escaped.pid`; both then sleep.
fn escaping(c: &Cluster, name: &str, policy: &str) -> String {
    let script = c.write(
        &format!("{name}.sh"),
        &format!(
            "echo $$ > {}\nsetsid sh -c 'echo $$ > {}; exec sleep 1000' &\nexec sleep 1000\n",
            c.path(&format!("{name}.pid")),
            c.path(&format!("{name}.escaped.pid")),
        ),
    );
    format!(
        "apiVersion: v1\nworkloads:\n  {name}:\n    runtime: native\n    agent: agent_A\n    restartPolicy: {policy}\n    runtimeConfig: |\n      command: [sh, {script}]\n"
    )
}

/// Field `n` (1-based) of `/proc/<pid>/stat`.
fn stat_field(pid: u32, n: usize) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    rest.split_whitespace().nth(n - 3)?.parse().ok()
}

/// Waits until `path` holds a live pid other than `old`.
fn fresh_pid(c: &Cluster, path: &Path, old: Option<u32>) -> u32 {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Some(pid) = read_pid(path).filter(|p| Some(*p) != old && alive(*p)) {
            return pid;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no new pid in {}\n{}", path.display(), c.logs());
}

fn gone(pid: u32) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Starts `name` and returns (workload pid, escaped child pid), checking the child left.
fn start(c: &Cluster, name: &str, policy: &str) -> (u32, u32) {
    c.ank_ok(&[
        "apply",
        &c.write(&format!("{name}.yaml"), &escaping(c, name, policy)),
    ]);
    let pids = running(c, name, None);
    let session = stat_field(pids.1, 6);
    assert_eq!(session, Some(pids.1), "the child leads its own session");
    assert_ne!(stat_field(pids.0, 6), session);
    pids
}

fn running(c: &Cluster, name: &str, old: Option<(u32, u32)>) -> (u32, u32) {
    let workload = fresh_pid(
        c,
        Path::new(&c.path(&format!("{name}.pid"))),
        old.map(|o| o.0),
    );
    let escaped = fresh_pid(
        c,
        Path::new(&c.path(&format!("{name}.escaped.pid"))),
        old.map(|o| o.1),
    );
    (workload, escaped)
}

fn kill9(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
}

#[test]
fn delete_ends_a_setsid_child_too() {
    if !root() {
        return;
    }
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=a");
    let (workload, escaped) = start(&c, "escaper", "NEVER");
    assert!(
        c.logs().contains("native workloads contained by cgroup"),
        "{}",
        c.logs()
    );
    c.ank_ok(&["delete", "workload", "escaper"]);
    c.ank_ok(&["wait", "wl", "escaper", "--for=delete", "--timeout", "10s"]);
    assert!(gone(workload), "the workload survived its delete");
    assert!(gone(escaped), "the setsid child survived the delete");
}

#[test]
fn a_killed_shim_leaves_nothing_after_delete_restart_or_agent_restart() {
    if !root() {
        return;
    }
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=a");

    // Delete after the shim was killed: its orphans go with the instance.
    let (workload, escaped) = start(&c, "deleted", "NEVER");
    kill9(stat_field(workload, 4).expect("shim pid"));
    c.eventually("deleted lost", &["get", "workloads"], |t| {
        t.contains("Failed(Lost)")
    });
    assert!(
        alive(workload) && alive(escaped),
        "orphans run until the delete"
    );
    c.ank_ok(&["delete", "workload", "deleted"]);
    c.ank_ok(&["wait", "wl", "deleted", "--for=delete", "--timeout", "10s"]);
    assert!(
        gone(workload) && gone(escaped),
        "orphans survived the delete"
    );

    // A restart by policy (the workload killed: a lost shim is not restarted) leaves nothing of
    // the previous life.
    let old = start(&c, "restarted", "ALWAYS");
    kill9(old.0);
    let new = running(&c, "restarted", Some(old));
    assert!(
        gone(old.0) && gone(old.1),
        "the previous life survived the restart"
    );
    assert!(alive(new.0) && alive(new.1));

    // The agent and the shim killed, the agent started again: one life, the new one.
    let before = new;
    c.kill_agent("agent_A");
    kill9(stat_field(before.0, 4).expect("shim pid"));
    c.start_agent("agent_A", "zone=a");
    let after = running(&c, "restarted", Some(before));
    assert!(
        gone(before.0) && gone(before.1),
        "the earlier life survived the agent restart"
    );
    assert!(alive(after.0) && alive(after.1));
    c.ank_ok(&["delete", "workload", "restarted"]);
    c.ank_ok(&[
        "wait",
        "wl",
        "restarted",
        "--for=delete",
        "--timeout",
        "10s",
    ]);
    assert!(
        gone(after.0) && gone(after.1),
        "the last life survived the delete"
    );
}

/// Runs a second `ank-agent -n agent_A` for the cluster's server on `run` and returns its
/// stderr; it must exit with an error at once.
fn second_agent(c: &Cluster, run: &Path) -> String {
    let out = std::process::Command::new(e2e_support::bin_dir().join("ank-agent"))
        .args(["-k", "-n", "agent_A", "-s", &c.url])
        .arg("-r")
        .arg(run)
        .output()
        .expect("run a second agent");
    assert!(!out.status.success(), "a second agent_A started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_second_agent_of_the_same_name_is_refused_on_the_node() {
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=a");
    let pid = c.agent_pid("agent_A");
    let run = c.dir.path().join("run_agent_A");
    let err = second_agent(&c, &run);
    assert!(
        err.contains(&format!("another ank-agent named 'agent_A' (pid {pid}"))
            && err.contains(&format!("on run folder {}", run.display())),
        "{err}"
    );
    if rustix::process::geteuid().is_root() {
        // Another run folder, the same server: still the same agent twice.
        let other = c.dir.path().join("run_other");
        std::fs::create_dir(&other).expect("run folder");
        let err = second_agent(&c, &other);
        assert!(
            err.contains(&format!("(pid {pid}, run folder {})", run.display()))
                && err.contains(&format!("on this node for server {}", c.url)),
            "{err}"
        );
    }
    let agents = c.ank_ok(&["get", "agents"]);
    assert_eq!(agents.lines().count(), 2, "one agent_A: {agents}");
}

/// Kills the agent, removes its run folder, runs `meanwhile`, starts the agent again.
fn restart_without_run_folder(c: &mut Cluster, meanwhile: impl FnOnce(&Cluster)) {
    c.kill_agent("agent_A");
    std::fs::remove_dir_all(c.dir.path().join("run_agent_A")).expect("remove run folder");
    meanwhile(c);
    c.start_agent("agent_A", "zone=a");
}

#[test]
fn a_live_instance_whose_run_folder_was_removed_is_found_by_its_cgroup() {
    if !root() {
        return;
    }
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=a");
    // Deleted while the agent was down, with no native workload left to run: still found
    // (by its cgroup) and stopped.
    let dropped = start(&c, "dropped", "NEVER");
    restart_without_run_folder(&mut c, |c| {
        c.ank_ok(&["delete", "workload", "dropped"]);
    });
    assert!(
        gone(dropped.0) && gone(dropped.1),
        "a deleted workload still runs"
    );

    // Still wanted: runs once, its earlier life (no folder vouches for it) replaced.
    let kept = start(&c, "kept", "NEVER");
    restart_without_run_folder(&mut c, |_| {});
    let new = running(&c, "kept", Some(kept));
    assert!(gone(kept.0) && gone(kept.1), "two lives of one workload");
    assert!(alive(new.0) && alive(new.1));
    c.eventually("kept running", &["get", "workloads"], |t| {
        t.lines()
            .any(|l| l.starts_with("kept") && l.contains("Running(Ok)"))
    });
}
