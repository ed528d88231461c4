//! The connected agents and the channels to their `Session` streams. A name is held by one live
//! session at a time; a session id tells a stale session's end from the current one's.

use std::collections::{BTreeMap, BTreeSet};

use ank_model::proto::anchorage::{from_server::FromServerEnum, FromServer};
use tokio::sync::mpsc;
use tonic::Status;

/// The sending half of an agent's `Session` response stream. Unbounded: the actor never waits,
/// and dropping messages to an agent would desynchronise it.
pub type AgentTx = mpsc::UnboundedSender<Result<FromServer, Status>>;

/// One live agent session.
#[derive(Debug)]
struct Connected {
    session: u64,
    tx: AgentTx,
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
        self.connected
            .insert(name.to_owned(), Connected { session, tx });
        self.seen.insert(name.to_owned());
        Ok(())
    }

    /// Forgets a session; false when `session` is not the agent's current one.
    pub fn disconnect(&mut self, name: &str, session: u64) -> bool {
        match self.connected.get(name) {
            Some(c) if c.session == session => {
                self.connected.remove(name);
                true
            }
            _ => false,
        }
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
        self.connected.get(name).is_some_and(|c| {
            c.tx.send(Ok(FromServer {
                from_server_enum: Some(message),
            }))
            .is_ok()
        })
    }

    /// Sends to every connected agent.
    pub fn broadcast(&self, message: &FromServerEnum) {
        for name in self.connected.keys() {
            self.send(name, message.clone());
        }
    }

    /// Drops every session's sender, which ends the response streams (shutdown).
    pub fn clear(&mut self) {
        self.connected.clear();
    }
}
