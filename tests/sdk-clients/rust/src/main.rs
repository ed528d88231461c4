//! A control workload on Ankaios' Rust SDK (`ankaios_sdk` 1.0.1 from crates.io), unchanged, that
//! walks through what an application does with it; `tests/tests/e2e_sdk.rs` runs it in a
//! container.
//!
//! Each step prints one line `sdk-check (rust): <step>: ok <detail>`; the last line is
//! `sdk-check (rust): all steps passed`, and the exit code is 0 only then. A failure prints
//! `sdk-check (rust): FAILED <step>: <error>` and exits 1.
//!
//! Environment: `AGENT` (this workload's agent), `IMAGE` (the image of the workload it
//! applies), `NAME` (the name of that workload, default `sdk_rs_echo`).

use std::collections::HashMap;
use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

use ankaios_sdk::{Ankaios, AnkaiosError, LogResponse, LogsRequest, Manifest, WorkloadStateEnum};
use tokio::time::{timeout, Instant};

const TAG: &str = "sdk-check (rust)";
const WAIT: Duration = Duration::from_secs(20);

/// A failed step: its name and what went wrong.
struct Failed(&'static str, String);

fn at<E: Display>(step: &'static str) -> impl Fn(E) -> Failed {
    move |err| Failed(step, err.to_string())
}

fn say(text: &str) {
    println!("{TAG}: {text}");
}

async fn run() -> Result<(), Failed> {
    let agent = std::env::var("AGENT").map_err(at("environment"))?;
    let image = std::env::var("IMAGE").unwrap_or_else(|_| "localhost/busybox:latest".to_owned());
    let name = std::env::var("NAME").unwrap_or_else(|_| "sdk_rs_echo".to_owned());
    let mask = format!("desiredState.workloads.{name}");

    let mut ank = Ankaios::new_with_timeout(WAIT)
        .await
        .map_err(at("connect"))?;
    say("connect: ok");

    // Only the echo workload is allowed, not all workloads: refused, the connection kept.
    match ank
        .get_state(vec!["desiredState.workloads".to_owned()])
        .await
    {
        Err(AnkaiosError::AnkaiosResponseError(err)) if err.contains("Access denied") => {
            say(&format!("denied: ok {err}"));
        }
        other => {
            return Err(Failed(
                "denied",
                format!("reading all workloads was not refused: {other:?}"),
            ))
        }
    }

    let mut events = ank
        .register_event(vec![mask.clone()])
        .await
        .map_err(at("subscribe"))?;
    let first = timeout(WAIT, events.events_receiver.recv())
        .await
        .map_err(at("subscribe"))?
        .ok_or_else(|| Failed("subscribe", "no initial state".to_owned()))?;
    say(&format!(
        "subscribe: ok initial state has {} workloads",
        first.complete_state.get_workloads().len()
    ));

    let manifest = Manifest::from_string(format!(
        "apiVersion: v1\n\
         workloads:\n  \
           {name}:\n    \
             runtime: podman\n    \
             agent: {agent}\n    \
             restartPolicy: NEVER\n    \
             runtimeConfig: |\n      \
               image: {image}\n      \
               commandArgs: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo hello from {name}; \
                 while true; do sleep 1; done\"]\n"
    ))
    .map_err(at("apply manifest"))?;
    let done = ank
        .apply_manifest(manifest.clone())
        .await
        .map_err(at("apply manifest"))?;
    let added: Vec<_> = done
        .added_workloads
        .iter()
        .filter(|i| i.workload_name == name)
        .cloned()
        .collect();
    let [instance] = added.as_slice() else {
        return Err(Failed(
            "apply manifest",
            format!("expected one added instance of {name}, got {added:?}"),
        ));
    };
    say(&format!(
        "apply manifest: ok added {}.{}.{}",
        instance.workload_name, instance.workload_id, instance.agent_name
    ));

    let deadline = Instant::now() + WAIT;
    let event = loop {
        let event = tokio::time::timeout_at(deadline, events.events_receiver.recv())
            .await
            .map_err(at("event"))?
            .ok_or_else(|| Failed("event", "the event stream ended".to_owned()))?;
        if event.added_fields.contains(&mask) {
            break event;
        }
    };
    say(&format!("event: ok added {:?}", event.added_fields));

    ank.wait_for_workload_to_reach_state(instance.clone(), WorkloadStateEnum::Running)
        .await
        .map_err(at("wait for state"))?;
    say("wait for state: ok running");

    let mut logs = ank
        .request_logs(LogsRequest {
            workload_names: vec![instance.clone()],
            follow: true,
            ..LogsRequest::default()
        })
        .await
        .map_err(at("logs"))?;
    let wanted = format!("hello from {name}");
    let line = 'found: loop {
        let response = tokio::time::timeout_at(deadline + WAIT, logs.logs_receiver.recv())
            .await
            .map_err(at("logs"))?
            .ok_or_else(|| Failed("logs", "the log stream ended".to_owned()))?;
        if let LogResponse::LogEntries(entries) = response {
            if let Some(entry) = entries.iter().find(|e| e.message.contains(&wanted)) {
                break 'found entry.message.trim().to_owned();
            }
        }
    };
    ank.stop_receiving_logs(logs).await.map_err(at("logs"))?;
    say(&format!("logs: ok {line:?}"));

    ank.unregister_event(events)
        .await
        .map_err(at("unsubscribe"))?;
    say("unsubscribe: ok");

    let tags = HashMap::from([("sdk".to_owned(), "rust".to_owned())]);
    ank.set_agent_tags(agent.clone(), tags)
        .await
        .map_err(at("set agent tags"))?;
    let now = ank
        .get_agent(agent.clone())
        .await
        .map_err(at("set agent tags"))?
        .tags;
    if now.get("sdk").map(String::as_str) != Some("rust") {
        return Err(Failed(
            "set agent tags",
            format!("agent {agent} has tags {now:?}"),
        ));
    }
    say(&format!("set agent tags: ok {now:?}"));

    let done = ank
        .delete_manifest(manifest)
        .await
        .map_err(at("delete manifest"))?;
    let deleted: Vec<_> = done
        .deleted_workloads
        .iter()
        .map(|i| &i.workload_name)
        .collect();
    if deleted != [&name] {
        return Err(Failed(
            "delete manifest",
            format!("expected {name} deleted, got {deleted:?}"),
        ));
    }
    say("delete manifest: ok");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            say("all steps passed");
            ExitCode::SUCCESS
        }
        Err(Failed(step, err)) => {
            say(&format!("FAILED {step}: {err}"));
            ExitCode::FAILURE
        }
    }
}
