//! The soak's updates: which workloads to add and delete, and sending them, plainly or with
//! the server killed while the update is in flight.

use std::path::Path;
use std::time::Duration;

use ank_model::State;
use anyhow::bail;

use super::check::Desired;
use super::cluster::{self, Cluster, AGENTS};
use super::{Figures, Rng, MAX_WORKLOADS};
use crate::client::Client;
use crate::procs::Transport;

/// New workloads (1–4, fewer when many run) and deletes (0–2, more when many run).
pub fn pick(
    rng: &mut Rng,
    want: &Desired,
    next: &mut usize,
) -> (Vec<(String, String)>, Vec<String>) {
    let crowded = want.len() >= MAX_WORKLOADS;
    let adds = if crowded { 0 } else { 1 + rng.below(4) };
    let deletes = rng.below(3) + if crowded { 3 } else { 0 };
    let add = (0..adds)
        .map(|_| {
            *next += 1;
            let agent = AGENTS[rng.below(AGENTS.len())];
            (format!("w{:04}", *next), agent.to_owned())
        })
        .collect();
    let names: Vec<&String> = want.keys().collect();
    let mut delete: Vec<String> = (0..deletes.min(names.len()))
        .map(|_| names[rng.below(names.len())].clone())
        .collect();
    delete.sort();
    delete.dedup();
    (add, delete)
}

/// The update adding `add` and deleting `delete`, in one request.
fn request(
    add: &[(String, String)],
    delete: &[String],
    starts: &Path,
    marker: &str,
) -> (State, Vec<String>) {
    let mut state = State::new();
    let mut masks = Vec::new();
    for (name, agent) in add {
        state
            .workloads
            .insert(name.clone(), cluster::workload(name, agent, starts, marker));
        masks.push(format!("desiredState.workloads.{name}"));
    }
    masks.extend(delete.iter().map(|n| format!("desiredState.workloads.{n}")));
    (state, masks)
}

pub async fn update(
    c: &Cluster,
    want: &mut Desired,
    add: &[(String, String)],
    delete: &[String],
    starts: &Path,
) -> anyhow::Result<()> {
    let (state, masks) = request(add, delete, starts, &c.marker);
    Client::connect_over(&c.url, &Transport::Plain)
        .await?
        .update(state, masks)
        .await?;
    want.extend(add.iter().cloned());
    want.retain(|n, _| !delete.contains(n));
    Ok(())
}

/// Sends the update and kills the server `delay` later; after the restart the update must be
/// all there (or, if it was not acknowledged, all absent). What happened, in words.
pub async fn update_in_flight(
    c: &mut Cluster,
    want: &mut Desired,
    f: &mut Figures,
    add: Vec<(String, String)>,
    delete: Vec<String>,
    delay: Duration,
) -> anyhow::Result<String> {
    let (state, masks) = request(&add, &delete, &c.starts_dir, &c.marker);
    let url = c.url.clone();
    let sent = tokio::spawn(async move {
        let mut client = Client::connect_over(&url, &Transport::Plain).await?;
        client.update(state, masks).await
    });
    tokio::time::sleep(delay).await;
    c.kill_server();
    let acknowledged = matches!(sent.await, Ok(Ok(())));
    c.start_server().await?;
    let Some(server) = cluster::desired_after_restart(&c.url).await else {
        bail!("the restarted server does not answer");
    };
    let added = add.iter().filter(|(n, _)| server.contains_key(n)).count();
    let deleted = delete.iter().filter(|n| !server.contains_key(*n)).count();
    let all = added == add.len() && deleted == delete.len();
    let none = added == 0 && deleted == 0;
    let acked = if acknowledged {
        "acknowledged"
    } else {
        "unanswered"
    };
    if all {
        want.extend(add);
        want.retain(|n, _| !delete.contains(n));
        Ok(format!("{acked}, applied"))
    } else if none && !acknowledged {
        Ok(format!("{acked}, not applied"))
    } else {
        f.lost += 1;
        *want = server;
        Ok(format!(
            "{acked}, LOST: {added}/{} added, {deleted}/{} deleted",
            add.len(),
            delete.len()
        ))
    }
}
