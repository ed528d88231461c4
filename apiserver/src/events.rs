//! What the actor reacts to (the closed [`Event`] enum), where its answers go ([`Target`],
//! [`ReplyTo`]) and the state-change subscriptions (`subscribeForEvents`).

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use ank_model::mask::{self, AlteredFields};
use ank_model::proto::anchorage::{from_server::FromServerEnum, to_server::ToServerEnum, ToServer};
use ank_model::proto::ank_base as pb;
use ank_model::CompleteState;
use futures::Stream;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

use crate::agents::{AgentTx, Agents};

/// The sending half of a `Subscribe` response stream. Bounded: a client that does not read is
/// dropped rather than buffered without limit.
pub type ResponseTx = mpsc::Sender<Result<pb::Response, Status>>;

/// How many responses a `Subscribe` stream buffers before the client is dropped.
pub const STREAM_BUFFER: usize = 1024;

/// The sending half of the actor's inbox.
pub type EventTx = mpsc::UnboundedSender<Event>;

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
        /// The rest of its request stream, read by a task the actor owns.
        inbound: Streaming<ToServer>,
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
        message: ToServerEnum,
    },
    /// A unary `CliConnection.Request`.
    CliRequest {
        /// The request.
        request: pb::Request,
        /// Where the one answer goes.
        reply: oneshot::Sender<pb::Response>,
    },
    /// A `CliConnection.Subscribe` call.
    Subscribe {
        /// The stream's id (see [`Target::Stream`]).
        id: u64,
        /// The request.
        request: pb::Request,
        /// The response stream.
        tx: ResponseTx,
    },
    /// A `Subscribe` stream was dropped by its client (or ended).
    StreamGone {
        /// The stream's id.
        id: u64,
    },
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
    },
}

impl Target {
    /// Whether the target goes through `agent`.
    pub fn is_agent(&self, name: &str) -> bool {
        matches!(self, Target::Agent { agent } if agent == name)
    }

    /// Whether the target is the stream `id`.
    pub fn is_stream(&self, stream: u64) -> bool {
        matches!(self, Target::Stream { id, .. } if *id == stream)
    }

    /// Sends a response; false when the receiver is gone (or too slow).
    pub fn deliver(&self, agents: &Agents, response: pb::Response) -> bool {
        match self {
            Target::Stream { tx, .. } => tx.try_send(Ok(response)).is_ok(),
            Target::Agent { agent } => agents.send(agent, FromServerEnum::Response(response)),
        }
    }
}

/// Where the answer to one request goes.
#[derive(Debug)]
pub enum ReplyTo {
    /// A unary call: exactly one response.
    Once(oneshot::Sender<pb::Response>),
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

/// A `CompleteStateResponse` for `masks`, marked as an event when `altered` is given.
pub fn state_response(request_id: &str, state: &CompleteState, masks: &[String]) -> pb::Response {
    response(
        request_id,
        pb::response::ResponseContent::CompleteStateResponse(pb::CompleteStateResponse {
            complete_state: Some(mask::filter(state, masks).into()),
            altered_fields: None,
        }),
    )
}

fn event(id: &str, new: &Value, altered: AlteredFields) -> pb::Response {
    // As in Ankaios, the event's state holds just the altered parts (removed ones leave only
    // their state's apiVersion), so its size follows the change, not the cluster.
    let parts: CompleteState =
        serde_json::from_value(mask::filter_value(new, &mask::event_paths(&altered)))
            .unwrap_or_default();
    let mut response = state_response(id, &parts, &[]);
    if let Some(pb::response::ResponseContent::CompleteStateResponse(r)) =
        response.response_content.as_mut()
    {
        r.altered_fields = Some(pb::AlteredFields {
            added_fields: altered.added,
            updated_fields: altered.updated,
            removed_fields: altered.removed,
        });
    }
    response
}

/// A response with an id.
pub fn response(request_id: &str, content: pb::response::ResponseContent) -> pb::Response {
    pb::Response {
        request_id: request_id.to_owned(),
        response_content: Some(content),
    }
}

/// An `Error` response.
pub fn error(request_id: &str, message: impl Into<String>) -> pb::Response {
    response(
        request_id,
        pb::response::ResponseContent::Error(pb::Error {
            message: message.into(),
        }),
    )
}

/// A `Subscribe` response stream that tells the actor when the client drops it, so that
/// subscriptions and log requests end with it (a drop guard, no polling).
pub struct GuardedStream {
    inner: ReceiverStream<Result<pb::Response, Status>>,
    id: u64,
    events: EventTx,
}

impl GuardedStream {
    /// Wraps the receiving half of stream `id`.
    pub fn new(rx: mpsc::Receiver<Result<pb::Response, Status>>, id: u64, events: EventTx) -> Self {
        GuardedStream {
            inner: ReceiverStream::new(rx),
            id,
            events,
        }
    }
}

impl Stream for GuardedStream {
    type Item = Result<pb::Response, Status>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        // The actor may be gone already (shutdown); then there is nothing to clean up.
        let _ = self.events.send(Event::StreamGone { id: self.id });
    }
}
