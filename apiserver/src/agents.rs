//! The connected agents and the channels to their `Session` streams. A name is held by one live
//! session at a time; a session id tells a stale session's end from the current one's.
//!
//! Liveness: agents send a heartbeat at least every [`HEARTBEAT_MAX`]. A session silent for
//! the dead-link time is dropped by its reader (`agent_service`); one silent for more than
//! [`STALE_AFTER`] (two heartbeats missed) is stale, and a new session of its name replaces
//! it. A session heard from more recently is live, and a second one of its name is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ank_model::proto::anchorage::{self as apb, from_server::FromServerEnum, FromServer};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tonic::Status;

/// The longest interval between an agent's heartbeats (`ank-agent` sends one every
/// min(1 s, its dead-link time / 4)).
pub const HEARTBEAT_MAX: Duration = Duration::from_secs(1);
/// Silence after which a session may be replaced by a new one of the same name.
pub const STALE_AFTER: Duration = Duration::from_secs(2);
/// The default time after which a silent session is dropped (`--dead-link-timeout`).
pub const DEFAULT_DEAD_LINK: Duration = Duration::from_secs(5);

/// The most execution states in one `UpdateWorkloadState` to the agents (about 15 KiB).
pub const STATES_PER_MESSAGE: usize = 128;

/// The sending half of an agent's `Session` response stream. Unbounded: the actor never waits,
/// and dropping messages to an agent would desynchronise it. A message is shared (`Arc`) by
/// every agent it is broadcast to and copied only as each stream encodes it, so a burst of
/// state changes costs one copy, not one per agent, while it waits in the queues.
pub type AgentTx = mpsc::UnboundedSender<Result<Arc<FromServer>, Status>>;

/// One live agent session.
#[derive(Debug)]
struct Connected {
    session: u64,
    tx: AgentTx,
    /// When the agent last sent anything on this session.
    heard: Instant,
    /// The task reading its request stream, aborted when the session is dropped.
    reader: Option<AbortHandle>,
}

/// The agents the server knows; owned by the actor.
#[derive(Debug, Default)]
pub struct Agents {
    connected: BTreeMap<String, Connected>,
    /// Agents that were connected at some point (their workloads then show
    /// `AgentDisconnected` instead of `Pending(Initial)` while they are away).
    seen: BTreeSet<String>,
}

impl Agents {
    /// Registers a session; gives the sender back when the name is taken.
    pub fn connect(&mut self, name: &str, session: u64, tx: AgentTx) -> Result<(), AgentTx> {
        if self.connected.contains_key(name) {
            return Err(tx);
        }
        let heard = Instant::now();
        let connected = Connected {
            session,
            tx,
            heard,
            reader: None,
        };
        self.connected.insert(name.to_owned(), connected);
        self.seen.insert(name.to_owned());
        Ok(())
    }

    /// Forgets a session; false when `session` is not the agent's current one.
    pub fn disconnect(&mut self, name: &str, session: u64) -> bool {
        match self.connected.get(name) {
            Some(c) if c.session == session => {
                if let Some(reader) = self.connected.remove(name).and_then(|c| c.reader) {
                    reader.abort();
                }
                true
            }
            _ => false,
        }
    }

    /// Keeps the reader of the agent's session, to close it with the session.
    pub fn set_reader(&mut self, name: &str, reader: AbortHandle) {
        if let Some(c) = self.connected.get_mut(name) {
            c.reader = Some(reader);
        }
    }

    /// Notes that the agent's current session carried a message.
    pub fn heard(&mut self, name: &str) {
        if let Some(c) = self.connected.get_mut(name) {
            c.heard = Instant::now();
        }
    }

    /// The agent's session if it has been silent for more than [`STALE_AFTER`].
    pub fn stale_session(&self, name: &str) -> Option<u64> {
        self.connected
            .get(name)
            .filter(|c| c.heard.elapsed() > STALE_AFTER)
            .map(|c| c.session)
    }

    /// Whether the agent has a live session.
    pub fn is_connected(&self, name: &str) -> bool {
        self.connected.contains_key(name)
    }

    /// Whether `session` is the agent's live session.
    pub fn is_current(&self, name: &str, session: u64) -> bool {
        self.connected
            .get(name)
            .is_some_and(|c| c.session == session)
    }

    /// Whether the agent was ever connected.
    pub fn was_seen(&self, name: &str) -> bool {
        self.seen.contains(name)
    }

    /// Sends to one agent; false when it is not connected or its stream is gone.
    pub fn send(&self, name: &str, message: FromServerEnum) -> bool {
        let message = Arc::new(FromServer {
            from_server_enum: Some(message),
        });
        self.connected
            .get(name)
            .is_some_and(|c| c.tx.send(Ok(message)).is_ok())
    }

    /// Sends to every connected agent, one copy shared by all queues.
    pub fn broadcast(&self, message: FromServerEnum) {
        let message = Arc::new(FromServer {
            from_server_enum: Some(message),
        });
        for c in self.connected.values() {
            let _ = c.tx.send(Ok(Arc::clone(&message)));
        }
    }

    /// Sends execution states to every connected agent, in messages of at most
    /// [`STATES_PER_MESSAGE`]: each stream's encoder keeps a buffer as large as the largest
    /// message it sent, so one message with every state of a 10 000-workload update would
    /// leave a megabyte behind in each of 100 agents' streams.
    pub fn broadcast_states(&self, states: Vec<apb::WorkloadState>) {
        let mut states = states.into_iter().peekable();
        while states.peek().is_some() {
            let workload_states = states.by_ref().take(STATES_PER_MESSAGE).collect();
            let update = apb::UpdateWorkloadState { workload_states };
            self.broadcast(FromServerEnum::UpdateWorkloadState(update));
        }
    }

    /// Drops every session's sender, which ends the response streams (shutdown).
    pub fn clear(&mut self) {
        self.connected.clear();
    }
}
