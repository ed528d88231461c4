//! `AgentConnection.Session`: reads the agent's hello, hands the session to the actor and
//! forwards the agent's later messages (from a task the actor owns).

use ank_model::proto::anchorage::agent_connection_server::AgentConnection;
use ank_model::proto::anchorage::{to_server::ToServerEnum, FromServer, ToServer};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::events::{next_id, Event, EventTx};

/// The agent service; cheap to clone (a sender to the actor).
#[derive(Debug, Clone)]
pub struct AgentService {
    events: EventTx,
}

impl AgentService {
    /// A service forwarding to the actor's inbox.
    pub fn new(events: EventTx) -> Self {
        AgentService { events }
    }
}

/// Whether `name` is a valid agent name (`[a-zA-Z0-9_-]+`).
pub fn valid_agent_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[tonic::async_trait]
impl AgentConnection for AgentService {
    type SessionStream = UnboundedReceiverStream<Result<FromServer, Status>>;

    async fn session(
        &self,
        request: Request<Streaming<ToServer>>,
    ) -> Result<Response<Self::SessionStream>, Status> {
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
        let (tx, rx) = mpsc::unbounded_channel();
        let event = Event::AgentConnected {
            name: hello.agent_name,
            tags: hello.tags,
            session: next_id(),
            tx,
            inbound,
        };
        self.events
            .send(event)
            .map_err(|_| Status::unavailable("the server is shutting down"))?;
        Ok(Response::new(UnboundedReceiverStream::new(rx)))
    }
}

/// Forwards an agent's messages to the actor until its stream ends, then reports it gone.
pub async fn read_agent(
    name: String,
    session: u64,
    mut inbound: Streaming<ToServer>,
    events: EventTx,
) {
    loop {
        match inbound.message().await {
            Ok(Some(ToServer {
                to_server_enum: Some(message),
            })) => {
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
