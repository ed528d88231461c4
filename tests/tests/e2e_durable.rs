//! End to end: the server killed with SIGKILL while native workloads run, then started again.
//! With `--state-file` it comes back with the same desired state and the agent keeps its
//! workloads (same processes, `Running(Ok)` again); without one, the agent keeps what the
//! empty server does not list through `--startup-grace`, and stops only what was not
//! re-applied, only after it.

mod e2e_support;

use std::time::{Duration, Instant};

use e2e_support::{alive, read_pid, row, Cluster};

/// A native workload on agent_A that records its PID and sleeps.
fn native(name: &str, pid_file: &str) -> String {
    format!(
        "apiVersion: v1\nworkloads:\n  {name}:\n    runtime: native\n    agent: agent_A\n    runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {pid_file}; exec sleep 300']\n"
    )
}

/// Applies `name` and returns the PID it wrote once it runs.
fn run(c: &Cluster, name: &str) -> u32 {
    let file = c.write(
        &format!("{name}.yaml"),
        &native(name, &c.path(&format!("{name}.pid"))),
    );
    c.ank_ok(&["apply", &file]);
    let pid_file = c.dir.path().join(format!("{name}.pid"));
    let start = Instant::now();
    while start.elapsed() < e2e_support::DEADLINE {
        if let Some(pid) = read_pid(&pid_file) {
            return pid;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{name} wrote no pid\n{}", c.logs());
}

fn running(table: &str, workload: &str) -> bool {
    row(table, workload).is_some_and(|r| r.get(3) == Some(&"Running(Ok)"))
}

#[test]
fn with_a_state_file_a_killed_server_comes_back_and_nothing_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let state = state.to_str().expect("utf-8 path");
    let args = ["--state-file", state, "--startup-grace", "0"];
    let mut c = Cluster::start_with(&args);
    c.start_agent("agent_A", "zone=front");
    let one = run(&c, "one");
    let two = run(&c, "two");

    c.restart_server(&args);
    // The desired state is back at once, before the agent reconnects.
    let names = c.ank_ok(&[
        "get",
        "state",
        "-o",
        "json",
        "desiredState.workloads.*.agent",
    ]);
    assert!(
        names.contains("\"one\"") && names.contains("\"two\""),
        "{names}"
    );
    c.eventually("both Running(Ok) again", &["get", "workloads"], |t| {
        running(t, "one") && running(t, "two")
    });
    // Adopted, not restarted: the same processes, and no start wrote its pid again.
    std::thread::sleep(Duration::from_secs(1));
    for (name, pid) in [("one", one), ("two", two)] {
        assert!(alive(pid), "{name} (pid {pid}) is gone\n{}", c.logs());
        let file = c.dir.path().join(format!("{name}.pid"));
        assert_eq!(read_pid(&file), Some(pid), "{name} was started again");
    }
}

#[test]
fn without_a_state_file_the_agent_keeps_its_workloads_through_the_grace() {
    const GRACE: u64 = 8;
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=front");
    let kept = run(&c, "kept");
    let dropped = run(&c, "dropped");

    let grace = GRACE.to_string();
    c.restart_server(&["--startup-grace", &grace]);
    let restarted = Instant::now();
    c.eventually("agent_A back", &["get", "agents"], |out| {
        out.lines().any(|l| l.starts_with("agent_A"))
    });
    // The empty server lists nothing, yet the agent keeps both and reports them.
    let states = c.eventually(
        "the kept workloads reported",
        &["get", "state", "-o", "json", "workloadStates.agent_A"],
        |out| out.contains("\"kept\"") && out.contains("\"dropped\""),
    );
    assert!(alive(kept) && alive(dropped), "{states}\n{}", c.logs());

    // The operator re-applies one of them within the grace: adopted, the same process.
    assert_eq!(run(&c, "kept"), kept);
    c.eventually("kept Running(Ok)", &["get", "workloads"], |t| {
        running(t, "kept")
    });
    assert!(
        restarted.elapsed() < Duration::from_secs(GRACE - 1),
        "too slow to tell the grace apart: {:?}",
        restarted.elapsed()
    );
    assert!(alive(dropped), "stopped within the grace\n{}", c.logs());

    // After the grace, only the one nobody re-applied stops.
    let start = Instant::now();
    while alive(dropped) && start.elapsed() < Duration::from_secs(GRACE + 10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !alive(dropped),
        "still running after the grace\n{}",
        c.logs()
    );
    assert!(
        restarted.elapsed() >= Duration::from_secs(GRACE - 1),
        "stopped {:?} after the restart, before the grace of {GRACE} s",
        restarted.elapsed()
    );
    assert!(alive(kept), "the re-applied workload stopped\n{}", c.logs());
    let file = c.dir.path().join("kept.pid");
    assert_eq!(read_pid(&file), Some(kept), "kept was started again");
}
