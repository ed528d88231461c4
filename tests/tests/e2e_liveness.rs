//! Liveness with the real binaries: an agent frozen with SIGSTOP (its TCP connection open,
//! nothing answered) is shown `AgentDisconnected` within the dead-link time and comes back
//! after SIGCONT; a frozen server makes the agent apply the workloads' `disconnectPolicy`.

mod e2e_support;

use std::time::{Duration, Instant};

use e2e_support::{alive, read_pid, row, signal, Cluster};

/// The dead-link time both ends are given here (short, so the test is).
const DEAD_LINK: Duration = Duration::from_secs(2);
/// Polling `ank` and scheduling on a loaded machine.
const SLACK: Duration = Duration::from_secs(2);

fn native(name: &str, policy: &str, pid_file: &str) -> String {
    format!(
        "  {name}:\n    agent: agent_A\n    runtime: native\n{policy}    runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {pid_file}; exec sleep 300']\n"
    )
}

fn state(c: &Cluster, workload: &str) -> Option<String> {
    let out = c.ank(&["get", "workloads"]);
    let table = String::from_utf8_lossy(&out.stdout);
    row(&table, workload).and_then(|r| r.get(3).map(|s| (*s).to_owned()))
}

fn running(c: &Cluster, workloads: &[&str]) {
    c.eventually("workloads running", &["get", "workloads"], |t| {
        workloads
            .iter()
            .all(|w| row(t, w).and_then(|r| r.get(3).copied()) == Some("Running(Ok)"))
    });
}

fn cluster(agent_dead_link: &str) -> Cluster {
    let mut c = Cluster::start_with(&["--dead-link-timeout", "2s"]);
    let args = ["--dead-link-timeout", agent_dead_link];
    c.start_agent_with("agent_A", "zone=front", &[], &args);
    c
}

#[test]
fn a_frozen_agent_is_shown_disconnected_and_back_after_sigcont() {
    let c = cluster("2s");
    let pid_file = c.path("front.pid");
    let manifest = format!(
        "apiVersion: v1\nworkloads:\n{}",
        native("front", "", &pid_file)
    );
    c.ank_ok(&["apply", &c.write("m.yaml", &manifest)]);
    running(&c, &["front"]);
    let pid = read_pid(pid_file.as_ref()).expect("pid");

    let agent = c.agent_pid("agent_A");
    signal(agent, "STOP");
    let frozen = Instant::now();
    while state(&c, "front").as_deref() != Some("AgentDisconnected") {
        assert!(
            frozen.elapsed() < DEAD_LINK + SLACK,
            "not AgentDisconnected after {:?}\n{}",
            frozen.elapsed(),
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(frozen.elapsed() >= DEAD_LINK / 2, "{:?}", frozen.elapsed());
    assert!(
        alive(pid),
        "the workload keeps running (disconnectPolicy keep)"
    );

    signal(agent, "CONT");
    running(&c, &["front"]);
    assert_eq!(
        read_pid(pid_file.as_ref()),
        Some(pid),
        "adopted, not restarted"
    );
}

#[test]
fn an_agent_cut_off_from_a_frozen_server_applies_the_disconnect_policy() {
    let c = cluster("1s");
    let (keep_pid, stop_pid) = (c.path("keeper.pid"), c.path("stopper.pid"));
    let policy = "    disconnectPolicy: {action: stop, after: 1s}\n";
    let manifest = format!(
        "apiVersion: v1\nworkloads:\n{}{}",
        native("keeper", "", &keep_pid),
        native("stopper", policy, &stop_pid)
    );
    c.ank_ok(&["apply", &c.write("m.yaml", &manifest)]);
    running(&c, &["keeper", "stopper"]);
    let kept = read_pid(keep_pid.as_ref()).expect("pid");
    let stopped = read_pid(stop_pid.as_ref()).expect("pid");

    signal(c.server_pid(), "STOP");
    let frozen = Instant::now();
    // The agent's dead-link time (1 s), then the policy's 1 s, then the stop.
    while alive(stopped) {
        assert!(
            frozen.elapsed() < Duration::from_secs(2) + SLACK * 2,
            "still running after {:?}\n{}",
            frozen.elapsed(),
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        frozen.elapsed() >= Duration::from_secs(2),
        "{:?}",
        frozen.elapsed()
    );
    assert!(
        alive(kept),
        "a workload with the default policy keeps running"
    );

    // Back: the server's view wins, and it wants both.
    signal(c.server_pid(), "CONT");
    running(&c, &["keeper", "stopper"]);
    assert_eq!(read_pid(keep_pid.as_ref()), Some(kept));
    let restarted = read_pid(stop_pid.as_ref()).expect("pid");
    assert_ne!(restarted, stopped, "started again");
    assert!(alive(restarted));
}
