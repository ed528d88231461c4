//! The execution states the agent still owes the server. Nothing is dropped and nothing
//! queues without bound. The states of one turn of the agent loop go out as they came, every
//! step (subscribers see `Pending(Starting)` then `Pending(StartingFailed)`, as in Ankaios),
//! when the session queue has room. What it has no room for is held in a backlog where a newer
//! state of an instance replaces its unsent older one, so the backlog holds at most two entries
//! per instance (a `Removed` and a later state of a re-added instance of the same name; a
//! `Removed` is never superseded by anything but another `Removed`). What is delivered is what
//! was pushed, minus superseded entries, in push order: per instance the order is kept, and the
//! last state pushed is the last delivered.

use std::collections::{BTreeMap, HashMap};

use ank_model::exec_state::ExecState;
use ank_model::{ExecutionState, WorkloadInstanceName};

/// Most states in one UpdateWorkloadState message.
pub const MAX_BATCH_STATES: usize = 512;
/// Rough cap of one message's state bytes (names and additional info), far below gRPC's
/// 4 MiB message limit.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// One pending state.
pub type Pending = (WorkloadInstanceName, ExecutionState);

/// Where an instance's pending entries sit in the queue.
#[derive(Debug, Default, Clone, Copy)]
struct Slots {
    /// A pending `Removed`.
    removed: Option<u64>,
    /// A pending state other than `Removed`, pushed after `removed`.
    latest: Option<u64>,
}

/// The outbox; see the module docs.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Held states, older than all of `turn`.
    backlog: Backlog,
    /// The states since the last message, every step.
    turn: Vec<Pending>,
}

impl Outbox {
    /// Queues `state` of `instance` behind everything pending.
    pub fn push(&mut self, instance: WorkloadInstanceName, state: ExecutionState) {
        self.turn.push((instance, state));
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.backlog.is_empty() && self.turn.is_empty()
    }

    /// How many states are pending.
    pub fn len(&self) -> usize {
        self.backlog.len() + self.turn.len()
    }

    /// How many states of this turn (or of the turns since the last message) wait.
    pub fn fresh(&self) -> usize {
        self.turn.len()
    }

    /// How many states are held (at most two per instance).
    pub fn held(&self) -> usize {
        self.backlog.len()
    }

    /// Forgets the held states of `instance`: a new session's server lists it as desired, so
    /// what the agent reports of it next (its start) stands for them.
    pub fn supersede(&mut self, instance: &WorkloadInstanceName) {
        if let Some(slots) = self.backlog.slots.remove(instance) {
            for seq in [slots.removed, slots.latest].into_iter().flatten() {
                self.backlog.queue.remove(&seq);
            }
        }
    }

    /// The link has no room: this turn's states join the backlog, superseding older ones.
    pub fn hold(&mut self) {
        for (instance, state) in self.turn.drain(..) {
            self.backlog.push(instance, state);
        }
    }

    /// Takes the oldest pending states for one message: at most [`MAX_BATCH_STATES`] and about
    /// [`MAX_BATCH_BYTES`], but always at least one when any is pending.
    pub fn take_batch(&mut self) -> Vec<Pending> {
        let mut batch = self.backlog.take_batch();
        let mut bytes: usize = batch.iter().map(size).sum();
        let mut taken = 0;
        for entry in &self.turn {
            let more = size(entry);
            if batch.len() >= MAX_BATCH_STATES
                || (!batch.is_empty() && bytes + more > MAX_BATCH_BYTES)
            {
                break;
            }
            bytes += more;
            taken += 1;
            batch.push(entry.clone());
        }
        self.turn.drain(..taken);
        batch
    }
}

/// About what a state costs in a message.
fn size((name, state): &Pending) -> usize {
    name.workload_name.len()
        + name.agent_name.len()
        + name.id.len()
        + state.additional_info.len()
        + 32
}

/// Held states, coalesced per instance; see the module docs.
#[derive(Debug, Default)]
struct Backlog {
    /// Push order → state.
    queue: BTreeMap<u64, Pending>,
    /// Each instance's entries in `queue`.
    slots: HashMap<WorkloadInstanceName, Slots>,
    next: u64,
}

impl Backlog {
    /// Queues `state` of `instance`, replacing what it supersedes.
    fn push(&mut self, instance: WorkloadInstanceName, state: ExecutionState) {
        let seq = self.next;
        self.next += 1;
        let slots = self.slots.entry(instance.clone()).or_default();
        let removed = state.state == ExecState::Removed;
        let stale = if removed {
            // Whatever came before is over: one `Removed` stands for it all.
            [slots.removed.take(), slots.latest.take()]
        } else {
            [slots.latest.take(), None]
        };
        if removed {
            slots.removed = Some(seq);
        } else {
            slots.latest = Some(seq);
        }
        for old in stale.into_iter().flatten() {
            self.queue.remove(&old);
        }
        self.queue.insert(seq, (instance, state));
    }

    fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn len(&self) -> usize {
        self.queue.len()
    }

    /// The oldest held states, within the batch limits.
    fn take_batch(&mut self) -> Vec<Pending> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < MAX_BATCH_STATES {
            let Some(entry) = self.queue.first_entry() else {
                break;
            };
            let more = size(entry.get());
            if !batch.is_empty() && bytes + more > MAX_BATCH_BYTES {
                break;
            }
            bytes += more;
            let seq = *entry.key();
            let (name, state) = entry.remove();
            self.forget(&name, seq);
            batch.push((name, state));
        }
        batch
    }

    /// Drops the slot of an entry that left the queue.
    fn forget(&mut self, name: &WorkloadInstanceName, seq: u64) {
        let Some(slots) = self.slots.get_mut(name) else {
            return;
        };
        if slots.removed == Some(seq) {
            slots.removed = None;
        }
        if slots.latest == Some(seq) {
            slots.latest = None;
        }
        if slots.removed.is_none() && slots.latest.is_none() {
            self.slots.remove(name);
        }
    }
}

#[cfg(test)]
mod tests;
