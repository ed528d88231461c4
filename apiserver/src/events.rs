//! What the actor reacts to (the closed [`Event`] enum), where its answers go ([`Target`],
//! [`ReplyTo`]) and the state-change subscriptions (`subscribeForEvents`).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use ank_model::api::{CompleteStateResponse, Request, Response, ResponseContent};
use ank_model::convert::InvalidRequest;
use ank_model::mask::{self, AlteredFields};
use ank_model::proto::anchorage::from_server::FromServerEnum;
use ank_model::{AgentStatus, CompleteState, ExecutionState, WorkloadInstanceName};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::agents::{AgentTx, Agents};

/// The sending half of a `Subscribe` response stream. Bounded: a client that does not read is
/// dropped rather than buffered without limit, and told so (see [`Target::deliver`]).
pub type ResponseTx = mpsc::Sender<Response>;

/// How many responses a `Subscribe` stream buffers before the client is dropped.
pub const STREAM_BUFFER: usize = 1024;

/// The last answer of a stream whose client fell [`STREAM_BUFFER`] responses behind: what
/// follows would be lost, so the stream ends with this error instead of going silent.
pub const TOO_SLOW: &str =
    "the client did not keep up with the stream (1024 responses unread); the stream is closed: subscribe again";

/// The sending half of the actor's inbox.
pub type EventTx = mpsc::UnboundedSender<Event>;

/// The task that reads an agent's request stream (built at the gRPC edge, owned by the actor).
pub type AgentReader = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Everything that changes or queries the server's state.
pub enum Event {
    /// An agent said hello on a new session.
    AgentConnected {
        /// Its name (already checked against `[a-zA-Z0-9_-]+`).
        name: String,
        /// Its tags.
        tags: BTreeMap<String, String>,
        /// Identifies this session.
        session: u64,
        /// Its response stream.
        tx: AgentTx,
        /// Reads the rest of its request stream into [`Event::FromAgent`]s; run by the actor
        /// once the session is accepted.
        reader: AgentReader,
    },
    /// An agent's request stream ended.
    AgentGone {
        /// Its name.
        name: String,
        /// The session that ended.
        session: u64,
    },
    /// A message an agent sent after its hello.
    FromAgent {
        /// Its name.
        name: String,
        /// Its session.
        session: u64,
        /// The message.
        message: AgentMessage,
    },
    /// A unary `CliConnection.Request`.
    CliRequest {
        /// The request.
        request: Request,
        /// Where the one answer goes.
        reply: oneshot::Sender<Response>,
    },
    /// A `CliConnection.Subscribe` call.
    Subscribe {
        /// The stream's id (see [`Target::Stream`]).
        id: u64,
        /// The request.
        request: Request,
        /// The response stream.
        tx: ResponseTx,
    },
    /// A `Subscribe` stream was dropped by its client (or ended).
    StreamGone {
        /// The stream's id.
        id: u64,
    },
}

/// What an agent says after its hello, read off the wire by `agent_service`.
#[derive(Debug)]
pub enum AgentMessage {
    /// A second hello (ignored).
    Hello,
    /// Execution states of its instances, in the order it sent them.
    States(Vec<(WorkloadInstanceName, ExecutionState)>),
    /// A workload's control-interface request, id `<workload>@<id>`; not trusted: the actor
    /// checks the workload and its access rules first. A request that is not one still needs
    /// an answer, hence the `Err`.
    Request(Result<Request, InvalidRequest>),
    /// An answer to a log request the server sent it.
    Response(Response),
    /// Its node's load.
    Load(AgentStatus),
    /// Nothing but "alive"; answered with the same.
    Heartbeat,
}

/// A fresh id for a session, stream or log request.
pub fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A receiver of several responses: a `Subscribe` stream or a workload behind its agent.
#[derive(Debug, Clone)]
pub enum Target {
    /// A `CliConnection.Subscribe` stream.
    Stream {
        /// Its id.
        id: u64,
        /// Its sender; dropping the last clone ends the stream.
        tx: ResponseTx,
    },
    /// A workload's control interface, answered via `FromServer.response` with its id.
    Agent {
        /// The agent that forwarded the request.
        agent: String,
        /// The workload that asked.
        workload: String,
    },
}

impl Target {
    /// Whether the target goes through `agent`.
    pub fn is_agent(&self, name: &str) -> bool {
        matches!(self, Target::Agent { agent, .. } if agent == name)
    }

    /// Whether the target is workload `name` behind `agent`.
    pub fn is_workload(&self, agent: &str, name: &str) -> bool {
        matches!(self, Target::Agent { agent: a, workload } if a == agent && workload == name)
    }

    /// Whether the target is the stream `id`.
    pub fn is_stream(&self, stream: u64) -> bool {
        matches!(self, Target::Stream { id, .. } if *id == stream)
    }

    /// Sends a response; false when the receiver is gone (or too slow). The actor never
    /// waits for a stream: the last slot of its buffer is kept for the [`TOO_SLOW`] error
    /// that ends the stream of a client that stopped reading, so it never just loses events.
    pub fn deliver(&self, agents: &Agents, response: Response) -> bool {
        match self {
            Target::Stream { tx, .. } if tx.capacity() > 1 => tx.try_send(response).is_ok(),
            Target::Stream { tx, .. } => {
                let _ = tx.try_send(Response::error(response.id, TOO_SLOW));
                false
            }
            Target::Agent { agent, .. } => {
                agents.send(agent, FromServerEnum::Response(response.into()))
            }
        }
    }
}

/// Where the answer to one request goes.
#[derive(Debug)]
pub enum ReplyTo {
    /// A unary call: exactly one response.
    Once(oneshot::Sender<Response>),
    /// A stream that may receive more (events, logs).
    Target(Target),
}

/// One `subscribeForEvents` request.
#[derive(Debug)]
struct Subscription {
    target: Target,
    request_id: String,
    masks: Vec<String>,
}

/// The live subscriptions; owned by the actor.
#[derive(Debug, Default)]
pub struct Subscriptions {
    subs: Vec<Subscription>,
}

impl Subscriptions {
    /// Whether nobody listens (then the actor skips computing diffs).
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// Adds a subscription.
    pub fn add(&mut self, target: Target, request_id: String, masks: Vec<String>) {
        self.subs.push(Subscription {
            target,
            request_id,
            masks,
        });
    }

    /// Removes the subscriptions matching `pred` (ended streams, `EventsCancelRequest`,
    /// disconnected agents); returns whether any were removed.
    pub fn remove(&mut self, pred: impl Fn(&Target, &str) -> bool) -> bool {
        let before = self.subs.len();
        self.subs.retain(|s| !pred(&s.target, &s.request_id));
        self.subs.len() != before
    }

    /// Sends each subscriber the change from `old` to `new` (JSON values of the complete
    /// state), filtered to its masks, when something it sees changed. As in Ankaios, an event
    /// carries only the added and updated parts, not the whole state: its size follows the
    /// change, not the cluster. Subscribers that are gone are dropped.
    pub fn publish(&mut self, agents: &Agents, old: &Value, new: &Value) {
        let altered = mask::altered_fields(old, new);
        if altered.is_empty() {
            return;
        }
        self.subs.retain(|sub| {
            let seen = altered.filtered(&sub.masks, old, new);
            if seen.is_empty() {
                return true;
            }
            sub.target
                .deliver(agents, event(&sub.request_id, new, seen))
        });
    }
}

/// A `CompleteStateResponse` for `masks` (a plain answer, not an event).
pub fn state_response(request_id: &str, state: &CompleteState, masks: &[String]) -> Response {
    Response::new(
        request_id,
        ResponseContent::CompleteState(Box::new(CompleteStateResponse {
            state: mask::filter(state, masks),
            altered: None,
        })),
    )
}

fn event(id: &str, new: &Value, altered: AlteredFields) -> Response {
    // As in Ankaios, the event's state holds just the altered parts (removed ones leave only
    // their state's apiVersion), so its size follows the change, not the cluster.
    let parts: CompleteState =
        serde_json::from_value(mask::filter_value(new, &mask::event_paths(&altered)))
            .unwrap_or_default();
    Response::new(
        id,
        ResponseContent::CompleteState(Box::new(CompleteStateResponse {
            state: parts,
            altered: Some(altered),
        })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client that stops reading gets every response up to the buffer's last slot, then the
    /// error saying why its stream ends; the actor never waits for it.
    #[test]
    fn a_stream_that_falls_behind_ends_with_an_error() {
        let (tx, mut rx) = mpsc::channel(STREAM_BUFFER);
        let target = Target::Stream { id: 1, tx };
        let agents = Agents::default();
        for i in 0..STREAM_BUFFER - 1 {
            assert!(target.deliver(&agents, Response::error("r", i.to_string())));
        }
        assert!(!target.deliver(&agents, Response::error("r", "lost")));
        drop(target);
        for i in 0..STREAM_BUFFER - 1 {
            let response = rx.try_recv().expect("a buffered response");
            assert_eq!(response.content, ResponseContent::Error(i.to_string()));
        }
        let last = rx.try_recv().expect("the closing error");
        assert_eq!(last.id, "r");
        assert_eq!(last.content, ResponseContent::Error(TOO_SLOW.to_owned()));
        assert!(rx.try_recv().is_err(), "the stream ends after the error");
    }
}
