//! End to end, issue 13: a 20 KB manifest with nested `{{#each}}` over 1 000 config items is
//! refused fast by `ank apply` (and `ank validate`), with the workload and field named, while
//! `ank get state` keeps answering and SIGTERM still stops the server; two big applies that
//! together pass the state limit: the second is refused naming it, `ank get state` still
//! works and a restarted agent reconnects and runs its workload.

mod e2e_support;

use std::thread;
use std::time::{Duration, Instant};

use e2e_support::{alive, describe, row, signal, Cluster};

/// About 20 KB: a list of 1 000 config items and each inside each inside each over it.
fn nested_each_manifest() -> String {
    let items: Vec<String> = (0..1000).map(|i| format!("'config-item-{i:04}'")).collect();
    format!(
        "apiVersion: v1\nworkloads:\n  big:\n    runtime: native\n    agent: agent_A\n    \
         configs: {{l: list}}\n    runtimeConfig: |\n      command: [echo, \
         '{{{{#each l}}}}{{{{#each @root.l}}}}{{{{#each @root.l}}}}{{{{this}}}}\
         {{{{/each}}}}{{{{/each}}}}{{{{/each}}}}']\nconfigs:\n  list: [{}]\n",
        items.join(", ")
    )
}

/// A native workload on agent_A with `kib` KiB of environment (in 100 KiB variables, under
/// the kernel's 128 KiB per string): counted twice in the state (desired and effective).
fn big_manifest(name: &str, kib: usize) -> String {
    let env: Vec<String> = (0..kib / 100)
        .map(|i| format!("        V{i}: '{}'\n", "a".repeat(100 * 1024)))
        .collect();
    format!(
        "apiVersion: v1\nworkloads:\n  {name}:\n    runtime: native\n    agent: agent_A\n    \
         runtimeConfig: |\n      command: [sleep, '300']\n      env:\n{}",
        env.concat()
    )
}

/// The error names the workload and field, and the limit that stopped the render.
fn assert_refused_for_rendering(err: &str) {
    assert!(
        err.contains("workloads.big.runtimeConfig: rendering stopped:")
            && err.contains("over the limit of"),
        "{err}"
    );
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_nested_each_manifest_is_refused_fast_and_the_server_keeps_serving() {
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=front");
    let manifest = nested_each_manifest();
    assert!(
        (15_000..25_000).contains(&manifest.len()),
        "{}",
        manifest.len()
    );
    let file = c.write("nested.yaml", &manifest);

    // `ank apply` renders the manifest as it checks it: refused before anything is sent.
    let started = Instant::now();
    let out = c.ank(&["--no-wait", "apply", &file]);
    let took = started.elapsed();
    assert!(!out.status.success(), "{}", describe(&out));
    assert_refused_for_rendering(&stderr(&out));
    eprintln!("ank apply refused after {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");

    // `ank set state` sends it unchecked: the server refuses it, and `get state` keeps
    // answering meanwhile.
    let set_state = [
        "set",
        "state",
        "desiredState.workloads.big",
        "desiredState.configs",
        &file,
    ];
    let reads = thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut slowest = Duration::ZERO;
            for _ in 0..10 {
                let started = Instant::now();
                let out = c.ank(&["get", "state", "-o", "json", "desiredState.apiVersion"]);
                assert!(out.status.success(), "{}", describe(&out));
                slowest = slowest.max(started.elapsed());
            }
            slowest
        });
        let started = Instant::now();
        let out = c.ank(&set_state);
        let took = started.elapsed();
        assert!(!out.status.success(), "{}", describe(&out));
        assert_refused_for_rendering(&stderr(&out));
        eprintln!("ank set state refused by the server after {took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
        reader.join().expect("reader")
    });
    eprintln!("slowest concurrent `ank get state`: {reads:?}");
    let state = c.ank_ok(&["get", "state", "-o", "json"]);
    assert!(!state.contains("\"big\""), "{state}");

    // `ank validate` renders within the same limits: it fails fast too.
    let started = Instant::now();
    let out = c.ank(&["validate", "-f", &file]);
    let took = started.elapsed();
    assert!(!out.status.success(), "{}", describe(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(all.contains("rendering stopped"), "{all}");
    eprintln!("ank validate refused after {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");

    // SIGTERM stops the server promptly, even while it renders such an update.
    let pid = c.server_pid();
    let started = thread::scope(|scope| {
        let pending = scope.spawn(|| c.ank(&set_state));
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        signal(pid, "TERM");
        while alive(pid) && started.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(20));
        }
        let out = pending.join().expect("ank set state");
        assert!(!out.status.success(), "{}", describe(&out));
        started
    });
    eprintln!("server stopped {:?} after SIGTERM", started.elapsed());
    assert!(!alive(pid), "the server ignores SIGTERM\n{}", c.logs());
}

#[test]
fn two_big_applies_over_the_state_limit_the_second_is_refused_naming_it() {
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=front");
    let first = c.write("big1.yaml", &big_manifest("big1", 700));
    let second = c.write("big2.yaml", &big_manifest("big2", 700));
    c.ank_ok(&["--no-wait", "apply", &first]);
    let out = c.ank(&["--no-wait", "apply", &second]);
    assert!(!out.status.success(), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the desired state would be 2.")
            && err.contains("over the limit of 2 MiB (--max-state-size)"),
        "{err}"
    );

    // The whole state still reads, big as it is.
    let state = c.ank_ok(&["get", "state", "-o", "json"]);
    assert!(
        state.contains("\"big1\"") && !state.contains("\"big2\""),
        "{}",
        &state[..200.min(state.len())]
    );
    let running =
        |table: &str| row(table, "big1").is_some_and(|r| r.get(3) == Some(&"Running(Ok)"));
    c.eventually("big1 runs", &["get", "workloads"], running);

    // A restarted agent reconnects: its hello carries the big workload, which it adopts.
    c.kill_agent("agent_A");
    c.start_agent("agent_A", "zone=front");
    c.eventually(
        "big1 runs after the restart",
        &["get", "workloads"],
        running,
    );
    c.ank_ok(&["get", "state", "-o", "json", "workloadStates"]);
}
