//! `AgentConnection.Session`: reads the agent's hello, hands the session to the actor and
//! forwards the agent's later messages (from a task the actor owns), turned into domain
//! values ([`AgentMessage`]) here, so the actor never reads the agent's wire messages. A
//! session that sends nothing for the dead-link time ends as if its stream had (see
//! [`crate::agents`] for the liveness rules).

use std::time::Duration;

use ank_model::api;
use ank_model::convert::instance_state_from_pb;
use ank_model::proto::anchorage::agent_connection_server::AgentConnection;
use ank_model::proto::anchorage::{to_server::ToServerEnum, FromServer, ToServer};
use ank_model::AgentStatus;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use crate::events::{next_id, AgentMessage, Event, EventTx};
use crate::listener::PeerInfo;

/// The agent service; cheap to clone (a sender to the actor).
#[derive(Debug, Clone)]
pub struct AgentService {
    events: EventTx,
    dead_link: Duration,
}

impl AgentService {
    /// A service forwarding to the actor's inbox that drops sessions silent for `dead_link`.
    pub fn new(events: EventTx, dead_link: Duration) -> Self {
        AgentService { events, dead_link }
    }
}

/// Whether `name` is a valid agent name (`[a-zA-Z0-9_-]+`).
pub fn valid_agent_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// An agent's `Session` response stream: the actor's queue to it.
type SessionStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<FromServer, Status>> + Send>>;

#[tonic::async_trait]
impl AgentConnection for AgentService {
    type SessionStream = SessionStream;

    async fn session(
        &self,
        request: Request<Streaming<ToServer>>,
    ) -> Result<Response<Self::SessionStream>, Status> {
        let peer = request.extensions().get::<PeerInfo>().cloned();
        let mut inbound = request.into_inner();
        let first = inbound.message().await?;
        let Some(ToServerEnum::AgentHello(hello)) = first.and_then(|m| m.to_server_enum) else {
            return Err(Status::invalid_argument(
                "the first message must be an AgentHello",
            ));
        };
        if !valid_agent_name(&hello.agent_name) {
            return Err(Status::invalid_argument(format!(
                "invalid agent name '{}': expected [a-zA-Z0-9_-]+",
                hello.agent_name
            )));
        }
        if let Some(refusal) = certificate_refuses(peer.as_ref(), &hello.agent_name) {
            return Err(refusal);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let session = next_id();
        let reader = read_agent(
            hello.agent_name.clone(),
            session,
            inbound,
            self.events.clone(),
            self.dead_link,
        );
        let event = Event::AgentConnected {
            name: hello.agent_name,
            tags: hello.tags,
            session,
            tx,
            reader: Box::pin(reader),
        };
        self.events
            .send(event)
            .map_err(|_| Status::unavailable("the server is shutting down"))?;
        // The one copy a message needs of its own is made as the stream encodes it.
        let stream = UnboundedReceiverStream::new(rx).map(|m| m.map(Arc::unwrap_or_clone));
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Under mTLS, an agent is admitted only under a name its certificate allows (its CN, or any
/// name with the SAN `*`); the refusal is logged here and told to the agent.
#[allow(clippy::result_large_err)]
fn certificate_refuses(peer: Option<&PeerInfo>, name: &str) -> Option<Status> {
    let peer = peer?;
    let identity = peer.identity.as_ref()?;
    if identity.allows_agent(name) {
        return None;
    }
    let message = format!(
        "the agent name '{name}' is not allowed by the agent's certificate ({}): its CN must be \
         the agent name, or it must carry the SAN '*'",
        identity.describe()
    );
    tracing::warn!("refused an agent from {}: {message}", peer.addr);
    Some(Status::permission_denied(message))
}

/// Forwards an agent's messages to the actor until its stream ends or is silent for
/// `dead_link`, then reports it gone.
pub async fn read_agent(
    name: String,
    session: u64,
    mut inbound: Streaming<ToServer>,
    events: EventTx,
    dead_link: Duration,
) {
    loop {
        let Ok(next) = tokio::time::timeout(dead_link, inbound.message()).await else {
            tracing::warn!(
                agent = name,
                "nothing heard for {dead_link:?}: the link is dead"
            );
            break;
        };
        match next {
            Ok(Some(ToServer {
                to_server_enum: Some(message),
            })) => {
                let Some(message) = domain(&name, message) else {
                    continue;
                };
                let event = Event::FromAgent {
                    name: name.clone(),
                    session,
                    message,
                };
                if events.send(event).is_err() {
                    return;
                }
            }
            Ok(Some(_)) => tracing::debug!(agent = name, "empty message"),
            Ok(None) => break,
            Err(status) => {
                tracing::debug!(agent = name, "agent stream failed: {status}");
                break;
            }
        }
    }
    let _ = events.send(Event::AgentGone { name, session });
}

/// An agent's message as the actor handles it; `None` (logged) for one it cannot read.
fn domain(agent: &str, message: ToServerEnum) -> Option<AgentMessage> {
    Some(match message {
        ToServerEnum::AgentHello(_) => AgentMessage::Hello,
        ToServerEnum::UpdateWorkloadState(update) => AgentMessage::States(
            update
                .workload_states
                .into_iter()
                .filter_map(|state| {
                    instance_state_from_pb(state)
                        .map_err(|e| tracing::warn!(agent, "bad workload state: {e}"))
                        .ok()
                })
                .collect(),
        ),
        ToServerEnum::Request(request) => AgentMessage::Request(api::Request::try_from(request)),
        ToServerEnum::Response(response) => match api::Response::try_from(response) {
            Ok(response) => AgentMessage::Response(response),
            Err(e) => {
                tracing::warn!(agent, "bad response: {e}");
                return None;
            }
        },
        ToServerEnum::Heartbeat(_) => AgentMessage::Heartbeat,
        ToServerEnum::AgentLoadStatus(load) => AgentMessage::Load(AgentStatus {
            cpu_usage: load.cpu_usage,
            free_memory: load.free_memory,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::valid_agent_name;

    #[test]
    fn agent_names() {
        assert!(valid_agent_name("agent_A-1"));
        assert!(!valid_agent_name(""));
        assert!(!valid_agent_name("a.b"));
        assert!(!valid_agent_name("ä"));
    }
}
