//! Thousands of state reports at once: the real `ank-server` and one `ank-agent` run 5 000
//! native workloads (`/bin/true`, `restartPolicy: NEVER`, so they end `Succeeded(Ok)` and no
//! process stays alive; applied 500 per file, since a debug server validating one update of
//! 5 000 can stall its connections), then one `ank apply -d` of all the files deletes them all
//! in one update. Every `Removed` must reach the server (none dropped on a full link), so the
//! wait returns and `ank get workloads` is empty. `ANCHORAGE_SCALE_WORKLOADS` sets another
//! count.

mod e2e_support;

use std::time::{Duration, Instant};

use e2e_support::{describe, Cluster};

/// How long each of the apply and the delete may take (debug build, 2 loaded cores).
const BUDGET: Duration = Duration::from_secs(300);
/// `--response-timeout` (ms): a debug server validates, renders and saves 5 000 workloads
/// before it answers.
const RESPONSE_TIMEOUT: &str = "120000";
/// `--dead-link-timeout` of the server and the agent.
const DEAD_LINK: &str = "60s";

fn count() -> usize {
    std::env::var("ANCHORAGE_SCALE_WORKLOADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000)
}

/// Workloads per manifest file (and per apply).
const PER_FILE: usize = 500;

fn manifest(workloads: std::ops::Range<usize>) -> String {
    let mut text = String::from("apiVersion: v1\nworkloads:\n");
    for i in workloads {
        text += &format!(
            "  w{i:05}:\n    runtime: native\n    agent: agent_A\n    restartPolicy: NEVER\n    runtimeConfig: |\n      command: [/bin/true]\n"
        );
    }
    text
}

/// The workloads table's rows (without its header).
fn rows(table: &str) -> Vec<&str> {
    table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn deleting_thousands_of_workloads_at_once_reports_every_removal() {
    let n = count();
    // A debug build on a loaded machine can be busy with 5 000 workloads for longer than the
    // default 5 s dead-link time (and its 2.5 s keepalive); a dropped session is not what this
    // test is about.
    let mut c = Cluster::start_with(&["--dead-link-timeout", DEAD_LINK]);
    c.start_agent_with(
        "agent_A",
        "zone=a",
        &[],
        &["--dead-link-timeout", DEAD_LINK],
    );
    std::fs::create_dir(c.dir.path().join("many")).expect("manifest folder");
    let started = Instant::now();
    for first in (0..n).step_by(PER_FILE) {
        let workloads = first..(first + PER_FILE).min(n);
        let file = c.write(&format!("many/{first:05}.yaml"), &manifest(workloads));
        let out = c.ank_within(
            &["-q", "--response-timeout", RESPONSE_TIMEOUT, "apply", &file],
            BUDGET,
        );
        assert!(out.status.success(), "apply {file}: {}", describe(&out));
    }
    eprintln!("apply of {n} workloads settled in {:?}", started.elapsed());
    let table = c.ank_within(
        &["--response-timeout", RESPONSE_TIMEOUT, "get", "workloads"],
        BUDGET,
    );
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    let done = rows(&table)
        .iter()
        .filter(|r| r.contains("Succeeded(Ok)"))
        .count();
    assert_eq!(done, n, "every workload ran to Succeeded(Ok):\n{table}");

    let deleting = Instant::now();
    let out = c.ank_within(
        &[
            "-q",
            "--response-timeout",
            RESPONSE_TIMEOUT,
            "apply",
            "-d",
            &c.path("many"),
        ],
        BUDGET,
    );
    assert!(
        out.status.success(),
        "apply -d: {}\n{}",
        describe(&out),
        String::from_utf8_lossy(&c.ank(&["get", "workloads"]).stdout)
    );
    eprintln!(
        "apply -d of {n} workloads returned in {:?}",
        deleting.elapsed()
    );
    let table = c.ank_within(
        &["--response-timeout", RESPONSE_TIMEOUT, "get", "workloads"],
        BUDGET,
    );
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert_eq!(rows(&table), Vec::<&str>::new(), "every workload Removed");

    let agent_log = std::fs::read_to_string(c.dir.path().join("agent_A.log")).unwrap_or_default();
    assert!(
        !agent_log.contains("dropping"),
        "the agent dropped something:\n{agent_log}"
    );
    c.kill_agent("agent_A");
}
