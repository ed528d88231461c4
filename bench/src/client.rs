//! The gRPC calls the benchmark makes, and a local mirror of the complete state kept current
//! from the server's events (so waiting for a state costs no polling).

use ank_model::proto::anchorage::cli_connection_client::CliConnectionClient;
use ank_model::proto::ank_base as pb;
use ank_model::{CompleteState, State};
use ank_transport::{Dialer, Pem, PemSettings, Security};
use anyhow::{bail, Context};
use std::time::Duration;

use crate::procs::Transport;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::Streaming;

/// A connection to `ank-server`'s CLI service.
pub struct Client {
    inner: CliConnectionClient<Channel>,
}

impl Client {
    /// Connects as `ank` does, over `transport` (no retry).
    pub async fn connect_over(url: &str, transport: &Transport) -> anyhow::Result<Self> {
        let security = match transport {
            Transport::Plain => Security::Insecure,
            Transport::Mtls(certs) => Security::Mtls(
                PemSettings {
                    ca: Some(Pem::File(certs.ca.clone())),
                    crt: Some(Pem::File(certs.cli.crt.clone())),
                    key: Some(Pem::File(certs.cli.key.clone())),
                }
                .load()?,
            ),
        };
        let channel = Dialer::new(url, &security, Duration::from_secs(5))?
            .connect()
            .await?;
        Ok(Client {
            inner: CliConnectionClient::new(channel),
        })
    }

    /// The complete state, filtered by `masks` (empty: everything).
    pub async fn complete_state(&mut self, masks: &[&str]) -> anyhow::Result<CompleteState> {
        let response = self
            .inner
            .request(request(complete_state_request(masks, false)))
            .await?;
        match response.into_inner().response_content {
            Some(pb::response::ResponseContent::CompleteStateResponse(r)) => {
                Ok(r.complete_state.unwrap_or_default().try_into()?)
            }
            other => bail!("unexpected answer {other:?}"),
        }
    }

    /// Replaces the masked parts of the desired state with `state`'s.
    pub async fn update(&mut self, state: State, masks: Vec<String>) -> anyhow::Result<()> {
        let content = pb::request::RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
            new_state: Some(pb::CompleteState {
                desired_state: Some(state.into()),
                ..Default::default()
            }),
            update_mask: masks,
            dry_run: false,
        });
        let response = self.inner.request(request(content)).await?;
        match response.into_inner().response_content {
            Some(pb::response::ResponseContent::UpdateStateSuccess(_)) => Ok(()),
            Some(pb::response::ResponseContent::Error(e)) => {
                bail!("update rejected: {}", e.message)
            }
            other => bail!("unexpected answer {other:?}"),
        }
    }

    /// Subscribes to events under `masks`; the first answer fills the mirror.
    pub async fn watch(&mut self, masks: &[&str]) -> anyhow::Result<Watch> {
        let mut stream = self
            .inner
            .subscribe(request(complete_state_request(masks, true)))
            .await?
            .into_inner();
        let first = next_state(&mut stream).await?.0;
        Ok(Watch {
            stream,
            mirror: first,
        })
    }
}

/// An event subscription and the state it keeps current.
pub struct Watch {
    stream: Streaming<pb::Response>,
    /// The complete state as the events have told it so far.
    pub mirror: CompleteState,
}

impl Watch {
    /// Waits for events until `done(mirror)` holds.
    pub async fn until(
        &mut self,
        mut done: impl FnMut(&CompleteState) -> bool,
    ) -> anyhow::Result<()> {
        while !done(&self.mirror) {
            let (update, altered) = next_state(&mut self.stream).await?;
            merge(&mut self.mirror, update, altered.as_ref());
        }
        Ok(())
    }

    /// Waits for one event, folds it into the mirror and returns what it carried: for
    /// waits over many workloads, where re-checking all of them per event would be O(N²).
    pub async fn step(&mut self) -> anyhow::Result<CompleteState> {
        let (update, altered) = next_state(&mut self.stream).await?;
        merge(&mut self.mirror, update.clone(), altered.as_ref());
        Ok(update)
    }
}

fn request(content: pb::request::RequestContent) -> pb::Request {
    pb::Request {
        request_id: "bench".into(),
        request_content: Some(content),
    }
}

fn complete_state_request(masks: &[&str], subscribe: bool) -> pb::request::RequestContent {
    pb::request::RequestContent::CompleteStateRequest(pb::CompleteStateRequest {
        field_mask: masks.iter().map(|m| m.to_string()).collect(),
        subscribe_for_events: subscribe,
    })
}

async fn next_state(
    stream: &mut Streaming<pb::Response>,
) -> anyhow::Result<(CompleteState, Option<pb::AlteredFields>)> {
    let message = stream.next().await.context("event stream ended")??;
    match message.response_content {
        Some(pb::response::ResponseContent::CompleteStateResponse(r)) => Ok((
            r.complete_state.unwrap_or_default().try_into()?,
            r.altered_fields,
        )),
        other => bail!("unexpected event {other:?}"),
    }
}

/// Folds an event into the mirror: values present in the event replace the mirror's, and
/// removed workload-state or agent paths are dropped.
fn merge(mirror: &mut CompleteState, update: CompleteState, altered: Option<&pb::AlteredFields>) {
    for (agent, workloads) in update.workload_states {
        let mine = mirror.workload_states.entry(agent).or_default();
        for (name, ids) in workloads {
            mine.entry(name).or_default().extend(ids);
        }
    }
    mirror.agents.extend(update.agents);
    let Some(altered) = altered else { return };
    for path in &altered.removed_fields {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["workloadStates", agent, name, id] => {
                if let Some(ids) = mirror
                    .workload_states
                    .get_mut(*agent)
                    .and_then(|w| w.get_mut(*name))
                {
                    ids.remove(*id);
                    if ids.is_empty() {
                        if let Some(w) = mirror.workload_states.get_mut(*agent) {
                            w.remove(*name);
                        }
                    }
                }
            }
            ["workloadStates", agent, name] => {
                if let Some(w) = mirror.workload_states.get_mut(*agent) {
                    w.remove(*name);
                }
            }
            ["agents", agent] => {
                mirror.agents.remove(*agent);
            }
            _ => {}
        }
    }
}

/// Whether workload `name` has an instance in `Running(Ok)`.
pub fn is_running(state: &CompleteState, name: &str) -> bool {
    state
        .workload_states
        .values()
        .filter_map(|w| w.get(name))
        .flat_map(|ids| ids.values())
        .any(|s| s.state == ank_model::exec_state::ExecState::Running)
}

/// Whether workload `name` has no state left.
pub fn is_gone(state: &CompleteState, name: &str) -> bool {
    state
        .workload_states
        .values()
        .all(|w| w.get(name).is_none_or(|ids| ids.is_empty()))
}
