//! End to end, as an Ankaios automation script does it: `ank get events
//! --include-current-state -o json` is read line by line while a real Podman workload is
//! applied, runs and is deleted; every line must be one JSON event, flushed as it happens.
//!
//! Needs Podman (installed by the project's test command); without it the test is skipped
//! loudly, like the other Podman tests.

mod e2e_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use e2e_support::{bin_dir, describe, Cluster, Proc};
use serde_json::Value;

const AGENT: &str = "agent_ev";
const IMAGE: &str = "localhost/busybox:latest";
const WAIT: Duration = Duration::from_secs(40);

fn conf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/containers.conf")
}

fn podman_usable() -> bool {
    let ok = Command::new("podman")
        .args(["image", "exists", IMAGE])
        .env("CONTAINERS_CONF", conf())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "\n\n!!!!! SKIPPED: podman or {IMAGE} missing: the events system test did not run !!!!!\n\
             !!!!! run scripts/podman-setup.sh (the project's test command does)              !!!!!\n"
        );
    }
    ok
}

/// `ank get events --include-current-state -o json` running against the cluster, its lines
/// delivered through a channel by a reader thread.
struct EventStream {
    _proc: Proc,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl EventStream {
    fn start(c: &Cluster) -> EventStream {
        let mut child = Command::new(bin_dir().join("ank"))
            .args(["-k", "-s", &c.url, "get", "events"])
            .args(["--include-current-state", "-o", "json"])
            .env("HOME", c.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ank get events");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        EventStream {
            _proc: Proc { child },
            lines,
            seen: Vec::new(),
        }
    }

    /// The next event, parsed; every line must be a JSON object with a timestamp and a
    /// completeState.
    fn next(&mut self, c: &Cluster, waiting_for: &str) -> Value {
        let line = self.lines.recv_timeout(WAIT).unwrap_or_else(|_| {
            panic!(
                "no event within {WAIT:?} while waiting for {waiting_for}; seen:\n{}\n{}",
                self.seen.join("\n"),
                c.logs()
            )
        });
        self.seen.push(line.clone());
        let event: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not one JSON event per line ({e}): {line}"));
        assert!(event["timestamp"].is_string(), "{line}");
        assert!(event["completeState"].is_object(), "{line}");
        event
    }

    /// Reads events until `check` accepts one; returns it.
    fn until(&mut self, c: &Cluster, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < WAIT, "{what} not seen within {WAIT:?}");
            let event = self.next(c, what);
            if check(&event) {
                return event;
            }
        }
    }
}

/// The `{state, subState}` of the one instance of `workload` an event's completeState
/// carries, as scripts read it.
fn state_in(event: &Value, workload: &str) -> Option<(String, String)> {
    let ids = event["completeState"]["workloadStates"][AGENT][workload].as_object()?;
    let (_, state) = ids.iter().next()?;
    Some((
        state["state"].as_str()?.to_owned(),
        state["subState"].as_str()?.to_owned(),
    ))
}

fn lists(event: &Value, key: &str) -> Vec<String> {
    event[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_podman_workload_is_followed_through_get_events_from_initial_to_removed() {
    if !podman_usable() {
        return;
    }
    let mut c = Cluster::start();
    let conf = conf().display().to_string();
    c.start_agent_with_env(AGENT, "node=ev", &[("CONTAINERS_CONF", &conf)]);
    let workload = "ev_web";
    let _ = Command::new("podman")
        .args([
            "rm",
            "-f",
            "-t",
            "0",
            "--filter",
            &format!("name=^{workload}\\."),
        ])
        .env("CONTAINERS_CONF", &conf)
        .output();

    let mut events = EventStream::start(&c);
    let current = events.next(&c, "the current state");
    assert!(
        current.get("addedFields").is_none() && current.get("updatedFields").is_none(),
        "the -c event has no field lists: {current}"
    );
    assert_eq!(current["completeState"]["desiredState"]["apiVersion"], "v1");
    assert!(current["completeState"]["agents"][AGENT].is_object());

    let manifest = format!(
        "apiVersion: v1\nworkloads:\n  {workload}:\n    runtime: podman\n    agent: {AGENT}\n    runtimeConfig: |\n      image: {IMAGE}\n      commandArgs: [sh, -c, \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
    );
    let file = c.write("ev.yaml", &manifest);
    let out = c.ank(&["--no-wait", "apply", &file]);
    assert!(out.status.success(), "apply: {}", describe(&out));

    let added = events.until(&c, "the workload added", |e| {
        lists(e, "addedFields").contains(&format!("workloadStates.{AGENT}.{workload}"))
    });
    assert_eq!(
        state_in(&added, workload),
        Some(("Pending".into(), "Initial".into())),
        "{added}"
    );
    assert!(lists(&added, "addedFields").contains(&format!("desiredState.workloads.{workload}")));
    assert!(added["completeState"]["effectiveState"]["workloads"][workload].is_object());

    events.until(&c, "Running(Ok)", |e| {
        state_in(e, workload) == Some(("Running".into(), "Ok".into()))
    });

    let out = c.ank(&["--no-wait", "delete", "workload", workload]);
    assert!(out.status.success(), "delete: {}", describe(&out));
    let gone = events.until(&c, "the workload removed", |e| {
        lists(e, "removedFields").contains(&format!("workloadStates.{AGENT}.{workload}"))
    });
    assert!(
        gone["completeState"]["workloadStates"][AGENT][workload].is_null(),
        "{gone}"
    );
}
