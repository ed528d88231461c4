//! The parking assistant's control workload, on Ankaios' Rust SDK (`ankaios_sdk`), unchanged.
//!
//! It subscribes to the config item `parking` and keeps the workload `parking_assistant` in the
//! desired state exactly while `parking` is `"true"`: parking begins, the assistant starts;
//! parking ends (or the config item goes), the assistant is deleted.
//!
//! Environment: `PARKING_AGENT` (where the assistant runs, default `agent_A`) and
//! `PARKING_IMAGE` (its image, default `localhost/busybox:latest`).
//!
//! The control interface access it needs (see `../manifest.yaml`): read
//! `desiredState.configs.parking`, read and write `desiredState.workloads.parking_assistant`.

use std::process::ExitCode;

use ankaios_sdk::{Ankaios, AnkaiosError, EventEntry, Workload};

/// The config item that tells whether the vehicle is parking.
const CONFIG: &str = "parking";
/// The workload started while parking.
const ASSISTANT: &str = "parking_assistant";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Whether the state in an event says the vehicle is parking.
fn parking(event: &EventEntry) -> bool {
    matches!(
        event.complete_state.get_configs().get(CONFIG),
        Some(serde_yaml::Value::String(value)) if value == "true"
    )
}

fn assistant(agent: &str, image: &str) -> Result<Workload, AnkaiosError> {
    Workload::builder()
        .workload_name(ASSISTANT)
        .agent_name(agent)
        .runtime("podman")
        .restart_policy("NEVER")
        .runtime_config(format!(
            "image: {image}\n\
             commandArgs: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo parking assistant active; \
             while true; do sleep 1; done\"]\n"
        ))
        .build()
}

async fn run() -> Result<(), AnkaiosError> {
    let agent = env_or("PARKING_AGENT", "agent_A");
    let image = env_or("PARKING_IMAGE", "localhost/busybox:latest");

    let mut ank = Ankaios::new().await?;
    println!("parking-control (rust): connected");

    let mut events = ank
        .register_event(vec![format!("desiredState.configs.{CONFIG}")])
        .await?;
    println!("parking-control (rust): watching desiredState.configs.{CONFIG}");

    // The first entry is the state at subscription time, then one per change.
    let mut last = None;
    while let Some(event) = events.events_receiver.recv().await {
        let now = parking(&event);
        if last == Some(now) {
            continue;
        }
        if now {
            let done = ank.apply_workload(assistant(&agent, &image)?).await?;
            println!(
                "parking-control (rust): parking began: started {ASSISTANT} ({} added)",
                done.added_workloads.len()
            );
        } else {
            let done = ank.delete_workload(ASSISTANT.to_owned()).await?;
            println!(
                "parking-control (rust): not parking: deleted {ASSISTANT} ({} deleted)",
                done.deleted_workloads.len()
            );
        }
        last = Some(now);
    }
    println!("parking-control (rust): the event stream ended");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("parking-control (rust): {err}");
            ExitCode::FAILURE
        }
    }
}
