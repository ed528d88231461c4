//! End to end with native workloads: the real `ank-server`, two `ank-agent`s (`agent_A` with
//! `zone=front`, `agent_B` with `zone=back`) on loopback, driven through `ank` as a user would.

mod e2e_support;

use e2e_support::{alive, describe, read_pid, row, Cluster};

/// A native workload that records its PID, prints a greeting and then sleeps.
fn native(name: &str, placement: &str, pid_file: &str) -> String {
    format!(
        "  {name}:\n    runtime: native\n{placement}    runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {pid_file}; echo hello from {name}; exec sleep 300']\n"
    )
}

fn manifest(c: &Cluster) -> String {
    let mut text = String::from("apiVersion: v1\nworkloads:\n");
    text += &native("front", "    agent: agent_A\n", &c.path("front.pid"));
    text += &native("back", "    agent: agent_B\n", &c.path("back.pid"));
    text += &native(
        "anywhere_back",
        "    nodeSelector:\n      zone: back\n",
        &c.path("anywhere_back.pid"),
    );
    text
}

fn two_agents() -> Cluster {
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=front");
    c.start_agent("agent_B", "zone=back");
    c
}

fn state_of<'a>(table: &'a str, workload: &str) -> Option<(&'a str, &'a str)> {
    row(table, workload).and_then(|r| Some((*r.get(1)?, *r.get(3)?)))
}

#[test]
fn apply_places_native_workloads_then_logs_describe_and_delete() {
    let c = two_agents();
    let file = c.write("demo.yaml", &manifest(&c));
    let out = c.ank(&["apply", &file]);
    assert!(
        out.status.success(),
        "apply: {}\n{}",
        describe(&out),
        c.logs()
    );
    let table = c.ank_ok(&["get", "workloads"]);
    assert!(table.starts_with("WORKLOAD NAME   AGENT"), "{table}");
    assert_eq!(
        state_of(&table, "front"),
        Some(("agent_A", "Running(Ok)")),
        "{table}"
    );
    assert_eq!(
        state_of(&table, "back"),
        Some(("agent_B", "Running(Ok)")),
        "{table}"
    );
    assert_eq!(
        state_of(&table, "anywhere_back"),
        Some(("agent_B", "Running(Ok)")),
        "{table}"
    );
    let names: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["anywhere_back", "back", "front"], "sorted by name");

    // kubectl habits on the same state.
    assert_eq!(c.ank_ok(&["get", "pods"]), table);
    let wide = c.ank_ok(&["get", "workloads", "-o", "wide"]);
    assert!(
        wide.lines()
            .next()
            .is_some_and(|h| h.contains("INSTANCE ID")),
        "{wide}"
    );
    let on_a = c.ank_ok(&["get", "workloads", "-a", "agent_A"]);
    assert!(
        row(&on_a, "front").is_some() && row(&on_a, "back").is_none(),
        "{on_a}"
    );
    // Tags only with -o wide: the plain table has Ankaios' four columns.
    let agents = c.ank_ok(&["get", "agents", "-o", "wide"]);
    let b = agents
        .lines()
        .find(|l| l.starts_with("agent_B"))
        .unwrap_or_default();
    assert!(
        b.split_whitespace().nth(1) == Some("2") && b.trim_end().ends_with("zone=back"),
        "{agents}"
    );
    let json = c.ank_ok(&["get", "state", "-o", "json"]);
    let state: serde_json::Value = serde_json::from_str(&json).expect("get state -o json is JSON");
    assert_eq!(
        state["desiredState"]["workloads"]["anywhere_back"]["nodeSelector"]["zone"],
        "back"
    );
    assert_eq!(
        state["workloadStates"]["agent_A"]["front"]
            .as_object()
            .map(|m| m.len()),
        Some(1)
    );
    let described = c.ank_ok(&["describe", "workload", "front"]);
    assert!(
        described.contains("Agent:           agent_A"),
        "{described}"
    );
    assert!(
        described.contains("State:           Running(Ok)"),
        "{described}"
    );

    let logs = c.eventually(
        "logs of front and back",
        &["logs", "-n", "front", "back"],
        |out| out.contains("front hello from front") && out.contains("back hello from back"),
    );
    assert!(!logs.contains("anywhere_back"), "{logs}");

    let front_pid =
        read_pid(c.dir.path().join("front.pid").as_path()).expect("front wrote its pid");
    let out = c.ank(&["delete", "workload", "front"]);
    assert!(out.status.success(), "delete: {}", describe(&out));
    let table = c.ank_ok(&["get", "workloads"]);
    assert!(
        row(&table, "front").is_none(),
        "front still listed:\n{table}"
    );
    c.eventually("front's process ended", &["get", "agents"], |_| {
        !alive(front_pid)
    });
}

#[test]
fn a_killed_agent_disconnects_and_adopts_its_workloads_when_back() {
    let mut c = two_agents();
    let mut text = String::from("apiVersion: v1\nworkloads:\n");
    text += &native("keeper", "    agent: agent_B\n", &c.path("keeper.pid"));
    let file = c.write("keeper.yaml", &text);
    c.ank_ok(&["apply", &file]);
    let pid_file = c.dir.path().join("keeper.pid");
    let pid = read_pid(&pid_file).expect("keeper wrote its pid");

    c.kill_agent("agent_B");
    c.eventually("keeper AgentDisconnected", &["get", "workloads"], |t| {
        state_of(t, "keeper").is_some_and(|(_, s)| s == "AgentDisconnected")
    });
    assert!(alive(pid), "the workload must survive its agent");

    c.start_agent("agent_B", "zone=back");
    c.eventually("keeper Running(Ok) again", &["get", "workloads"], |t| {
        state_of(t, "keeper") == Some(("agent_B", "Running(Ok)"))
    });
    assert!(alive(pid), "adopted, not restarted: pid {pid} is gone");
    assert_eq!(
        read_pid(&pid_file),
        Some(pid),
        "the workload was started again"
    );
}

#[test]
fn bad_manifests_are_refused_and_change_nothing() {
    let c = two_agents();
    let mut text = String::from("apiVersion: v1\nworkloads:\n");
    text += &native("stable", "    agent: agent_A\n", &c.path("stable.pid"));
    c.ank_ok(&["--no-wait", "apply", &c.write("stable.yaml", &text)]);
    let before = c.ank_ok(&["get", "state", "desiredState"]);

    let cyclic = "apiVersion: v1\nworkloads:\n  a:\n    runtime: native\n    agent: agent_A\n    dependencies: {b: ADD_COND_RUNNING}\n    runtimeConfig: 'command: [\"true\"]'\n  b:\n    runtime: native\n    agent: agent_A\n    dependencies: {a: ADD_COND_RUNNING}\n    runtimeConfig: 'command: [\"true\"]'\n";
    let unknown_config = "apiVersion: v1\nworkloads:\n  c:\n    runtime: native\n    agent: agent_A\n    configs: {x: no_such_key}\n    runtimeConfig: 'command: [\"true\"]'\n";
    for (name, text) in [
        ("cyclic.yaml", cyclic),
        ("unknown-config.yaml", unknown_config),
    ] {
        let out = c.ank(&["apply", &c.write(name, text)]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", describe(&out));
        assert!(!out.stderr.is_empty(), "{name}: no message on stderr");
        assert!(
            out.stdout.is_empty(),
            "{name}: stdout must stay empty: {}",
            describe(&out)
        );
    }
    // The same cycle sent around podspec: the server itself must refuse it.
    let set = c.write("cyclic-state.yaml", cyclic);
    let out = c.ank(&[
        "set",
        "state",
        "desiredState.workloads.a",
        "desiredState.workloads.b",
        &set,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "server-side: {}",
        describe(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("cycl"),
        "{stderr}"
    );
    assert_eq!(c.ank_ok(&["get", "state", "desiredState"]), before);
}

#[test]
fn kubectl_habits_stdin_dry_run_diff_wait_and_delete_by_file() {
    let c = two_agents();
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kpod\nspec:\n  runtimeClassName: native\n  nodeSelector:\n    zone: front\n  containers:\n  - name: main\n    command: [sh, -c, 'echo $$ > {}; exec sleep 300']\n",
        c.path("kpod.pid")
    );
    let out = c.ank_with_stdin(
        &["apply", "--dry-run=client", "-o", "yaml", "-f", "-"],
        Some(&pod),
    );
    assert!(out.status.success(), "dry run: {}", describe(&out));
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(
        yaml.contains("apiVersion: v1") && yaml.contains("kpod-main:"),
        "{yaml}"
    );
    assert!(yaml.contains("runtime: native"), "{yaml}");
    assert!(
        c.ank_ok(&["get", "workloads"]).lines().count() <= 1,
        "dry run sent something"
    );

    let file = c.write("kpod.yaml", &pod);
    assert_eq!(
        c.ank(&["diff", "-f", &file]).status.code(),
        Some(1),
        "differs before apply"
    );
    let out = c.ank_with_stdin(&["apply", "-f", "-"], Some(&pod));
    assert!(
        out.status.success(),
        "apply -f -: {}\n{}",
        describe(&out),
        c.logs()
    );
    c.ank_ok(&[
        "wait",
        "workload",
        "kpod-main",
        "--for=state=Running(Ok)",
        "--timeout",
        "15s",
    ]);
    let table = c.ank_ok(&["get", "pods"]);
    assert_eq!(
        state_of(&table, "kpod-main"),
        Some(("agent_A", "Running(Ok)")),
        "{table}"
    );
    let out = c.ank(&["diff", "-f", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "equal after apply: {}",
        describe(&out)
    );

    // Ankaios' own verb for one workload, then kubectl's wait for it.
    let run = format!(
        "command: [sh, -c, 'echo $$ > {}; exec sleep 300']",
        c.path("solo.pid")
    );
    c.ank_ok(&[
        "run",
        "workload",
        "solo",
        "--runtime",
        "native",
        "--agent",
        "agent_B",
        "--config",
        &run,
        "--tags",
        "k=v",
    ]);
    c.ank_ok(&["wait", "wl", "solo", "--for=state=Running(Ok)"]);
    c.ank_ok(&["delete", "workload", "solo"]);
    c.ank_ok(&["wait", "wl", "solo", "--for=delete", "--timeout", "5s"]);

    let out = c.ank(&["delete", "-f", &file]);
    assert!(out.status.success(), "delete -f: {}", describe(&out));
    assert!(row(&c.ank_ok(&["get", "workloads"]), "kpod-main").is_none());
}

#[test]
fn an_unreachable_server_is_an_error_with_exit_1() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = e2e_support::run_ank(
        "http://127.0.0.1:1",
        home.path(),
        &["get", "workloads"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot reach ank-server at http://127.0.0.1:1"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
