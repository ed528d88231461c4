//! End to end, `ank`'s output where Ankaios' is a fact (`ankaios-samples.md`): the wait tables
//! of `ank apply` and `ank delete` with stdout not a terminal, the `get agents`/`get configs`
//! tables, and the refusal of a workload without an agent. The real `ank-server` and one
//! `ank-agent` (`agent_A`, `zone=front`) on loopback; expected text written from the samples.

mod e2e_support;

use e2e_support::{describe, Cluster};

/// What `ank apply`/`delete` print after a successful update, before the first table.
const APPLIED: &str = "Successfully applied the manifest(s).\n\
    Waiting for workload(s) to reach desired states (press Ctrl+C to interrupt).\n\n";

/// The lines, each ending in `\n`: trailing blanks stay visible inside the quotes.
fn lines(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The versions of the wait table in a non-terminal output after [`APPLIED`]: each table is
/// followed by a blank line.
fn versions(stdout: &str) -> Vec<String> {
    let tables = stdout
        .strip_prefix(APPLIED)
        .unwrap_or_else(|| panic!("the output does not start with the announcement:\n{stdout}"));
    assert!(
        tables.ends_with("\n\n"),
        "no blank line after the last table:\n{stdout}"
    );
    tables
        .split_terminator("\n\n")
        .map(|t| format!("{t}\n"))
        .collect()
}

#[test]
fn apply_and_delete_print_every_version_of_the_wait_table() {
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=front");
    let manifest = format!(
        "apiVersion: v1\nworkloads:\n  sleeper:\n    runtime: native\n    agent: agent_A\n    runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {}; exec sleep 300']\n",
        c.path("sleeper.pid")
    );
    let out = c.ank(&["apply", &c.write("sleeper.yaml", &manifest)]);
    assert!(
        out.status.success(),
        "apply: {}\n{}",
        describe(&out),
        c.logs()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tables = versions(&stdout);
    let first = lines(&[
        "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE    ADDITIONAL INFO",
        "sleeper         agent_A   native    | Pending(Initial)                  ",
    ]);
    let last = lines(&[
        "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE   ADDITIONAL INFO",
        "sleeper         agent_A   native      Running(Ok)                      ",
    ]);
    assert_eq!(tables.first(), Some(&first), "{stdout}");
    assert_eq!(tables.last(), Some(&last), "{stdout}");
    assert!(
        tables.windows(2).all(|w| w[0] != w[1]),
        "a version is printed twice:\n{stdout}"
    );

    let out = c.ank(&["delete", "workload", "sleeper"]);
    assert!(
        out.status.success(),
        "delete: {}\n{}",
        describe(&out),
        c.logs()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let removed = lines(&[
        "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE   ADDITIONAL INFO",
        "sleeper         agent_A               Removed                          ",
    ]);
    assert_eq!(versions(&stdout).last(), Some(&removed), "{stdout}");

    let out = c.ank(&["-q", "apply", &c.write("sleeper.yaml", &manifest)]);
    assert!(out.status.success(), "apply -q: {}", describe(&out));
    assert!(out.stdout.is_empty(), "-q prints: {}", describe(&out));
}

#[test]
fn agents_and_configs_tables_have_ankaios_columns() {
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=front");
    c.ank_ok(&[
        "--no-wait",
        "apply",
        &c.write(
            "configs.yaml",
            "apiVersion: v1\nconfigs:\n  web_port:\n    value: '8081'\n",
        ),
    ]);
    assert_eq!(
        c.ank_ok(&["get", "configs"]),
        lines(&["CONFIG  ", "web_port"])
    );

    let agents = c.ank_ok(&["get", "agents"]);
    let table: Vec<&str> = agents.lines().collect();
    assert_eq!(table.len(), 2, "{agents}");
    assert_eq!(
        table[0].trim_end(),
        "NAME      WORKLOADS   CPU USAGE   FREE MEMORY",
        "{agents}"
    );
    assert_eq!(
        table[0].len(),
        table[1].len(),
        "cells are padded:\n{agents}"
    );
    let cells: Vec<&str> = table[1].split_whitespace().collect();
    assert_eq!(cells.first(), Some(&"agent_A"), "{agents}");
    assert_eq!(cells.get(1), Some(&"0"), "{agents}");
    assert!(
        cells.get(2).is_some_and(|c| c.ends_with('%'))
            && cells.get(3).is_some_and(|m| m.ends_with('B')),
        "{agents}"
    );
    let wide = c.ank_ok(&["get", "agents", "-o", "wide"]);
    assert!(
        wide.lines()
            .next()
            .is_some_and(|h| h.ends_with("   TAGS      ")),
        "{wide}"
    );
    assert!(wide.contains("   zone=front\n"), "{wide}");
}

#[test]
fn a_workload_without_agent_fails_before_anything_is_sent() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = home.path().join("m3.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nworkloads:\n  noagent:\n    runtime: podman\n    runtimeConfig: \"\"\n",
    )
    .expect("write m3.yaml");
    let file = file.display().to_string();
    // Nobody listens there: the message proves nothing was sent.
    let out = e2e_support::run_ank("http://127.0.0.1:1", home.path(), &["apply", &file], None);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: Command failed: 'No agent name specified -> use '--agent' option to specify!'\n"
    );
    assert!(out.stdout.is_empty(), "{}", describe(&out));
}

/// The samples' `ank apply m2.yaml` and `ank delete workload job2` (a workload of a runtime
/// no agent has), byte for byte: every step comes from the real server and agent.
#[test]
fn apply_and_delete_of_an_unsupported_runtime_print_the_samples_output() {
    let mut c = Cluster::start();
    c.start_agent("agent_S", "zone=front");
    let m2 = "apiVersion: v1\nworkloads:\n  job2:\n    runtime: unknown-runtime\n    agent: agent_S\n    runtimeConfig: \"\"\n";
    let out = c.ank(&["apply", &c.write("m2.yaml", m2)]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let expected = String::from(APPLIED)
        + &lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE    ADDITIONAL INFO",
            "job2            agent_S   unknown-runtime   | Pending(Initial)                  ",
            "",
            "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE     ADDITIONAL INFO      ",
            "job2            agent_S   unknown-runtime   | Pending(Starting)   Triggered at runtime.",
            "",
            "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE           ADDITIONAL INFO    ",
            "job2            agent_S   unknown-runtime     Pending(StartingFailed)   Unsupported Runtime",
            "",
        ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        expected,
        "{}",
        c.logs()
    );

    let out = c.ank(&["delete", "workload", "job2"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let expected = String::from(APPLIED)
        + &lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE                ADDITIONAL INFO",
            "job2            agent_S             | Stopping(RequestedAtRuntime)                  ",
            "",
            "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE   ADDITIONAL INFO",
            "job2            agent_S               Removed                          ",
            "",
        ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        expected,
        "{}",
        c.logs()
    );
}
