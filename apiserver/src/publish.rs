//! What subscribers are told after each event: the altered fields between the complete state
//! they last heard and the current one, computed without keeping a copy of the whole state.
//!
//! While anyone subscribes, the actor keeps only what an event *changes*: the old entry of
//! each `workloadStates.<agent>.<workload>` it touches ([`Published::note_states`]), the
//! desired state and instances an update replaces ([`Published::note_desired`]), and the
//! `agents` section as JSON (one entry per agent, small). The diff then runs over old and new
//! values of just those parts, so the memory held for events does not grow with the number of
//! workloads, and an agent's report costs what it changed, not the cluster.

use std::collections::{BTreeMap, BTreeSet};

use ank_model::{ExecutionState, State, WorkloadStates};
use serde_json::{Map, Value};

use crate::actor::Actor;
use crate::state::{Desired, Instance};

/// The complete state's sections, as the diff names them.
const DESIRED_STATE: &str = "desiredState";
const WORKLOAD_STATES: &str = "workloadStates";
const AGENTS: &str = "agents";
const EFFECTIVE_STATE: &str = "effectiveState";

/// One workload's instances on one agent (`workloadStates.<agent>.<workload>`).
type Instances = BTreeMap<String, ExecutionState>;

/// What subscribers last heard, as far as it is still needed; owned by the actor.
#[derive(Debug, Default)]
pub struct Published {
    /// Whether subscribers have been told the current state: changes are noted from then on.
    active: bool,
    /// The `agents` section as subscribers last saw it (sorted, as serialized).
    agents: BTreeMap<String, Value>,
    /// The entries of `workloadStates` changed since the last publish, as they were before
    /// (`None`: absent), by (agent, workload).
    states: BTreeMap<(String, String), Option<Instances>>,
    /// The desired state and instances before the first update since the last publish.
    desired: Option<(State, BTreeMap<String, Instance>)>,
}

impl Published {
    /// Whether changes are noted (someone subscribes).
    pub fn active(&self) -> bool {
        self.active
    }

    /// Remembers the entry `workloadStates.<agent>.<workload>` before its first change since
    /// the last publish.
    pub fn note_states(&mut self, states: &WorkloadStates, agent: &str, workload: &str) {
        if !self.active {
            return;
        }
        let key = (agent.to_owned(), workload.to_owned());
        if let std::collections::btree_map::Entry::Vacant(entry) = self.states.entry(key) {
            entry.insert(states.get(agent).and_then(|w| w.get(workload)).cloned());
        }
    }

    /// Takes the desired state and instances an update is about to replace, the first time
    /// since the last publish (the update overwrites both anyway).
    pub fn note_desired(&mut self, desired: &mut Desired) {
        if self.active && self.desired.is_none() {
            self.desired = Some((
                std::mem::take(&mut desired.state),
                std::mem::take(&mut desired.instances),
            ));
        }
    }

    fn reset(&mut self) {
        *self = Published::default();
    }
}

/// Which part of the complete state handling an event can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Reads and stream bookkeeping: nothing, so they cost subscribers nothing.
    Nothing,
    /// Agent sessions and reports: `workloadStates` and `agents` only.
    Runtime,
    /// State updates: everything.
    All,
}

impl Actor {
    /// Tells subscribers what changed since they last heard; notes changes only while
    /// someone subscribes. Only the noted `workloadStates` entries, the `agents` entries of
    /// the agents touched ([`Actor::dirty`], all of them for [`Change::All`]) and, after an
    /// update, the desired and effective states are serialized and diffed.
    pub(crate) fn publish(&mut self, change: Change) {
        if self.subs.is_empty() {
            self.published.reset();
            self.dirty.clear();
            return;
        }
        if !self.published.active {
            self.published = Published {
                active: true,
                agents: self.agents_now(None).into_iter().collect(),
                ..Published::default()
            };
            self.dirty.clear();
            return;
        }
        // What a `Nothing` event marked (it should mark nothing) waits for the next change.
        let dirty = match change {
            Change::Nothing => return,
            Change::Runtime => Some(std::mem::take(&mut self.dirty)),
            Change::All => {
                self.dirty.clear();
                None
            }
        };
        let (mut old, mut new) = (Map::new(), Map::new());
        let before = (self.published.desired.take()).map(|(state, instances)| Desired {
            state,
            instances,
            ..Desired::default()
        });
        // The sections in the complete state's order.
        if let Some(before) = &before {
            old.insert(DESIRED_STATE.into(), to_value(&before.state));
            new.insert(DESIRED_STATE.into(), to_value(&self.desired.state));
        }
        let (states_old, states_new) = self.state_parts();
        old.insert(WORKLOAD_STATES.into(), Value::Object(states_old));
        new.insert(WORKLOAD_STATES.into(), Value::Object(states_new));
        let agents_new = self.agents_now(dirty.as_ref());
        let agents_old = match &dirty {
            Some(dirty) => (self.published.agents.iter())
                .filter(|(name, _)| dirty.contains(*name))
                .map(|(name, v)| (name.clone(), v.clone()))
                .collect(),
            None => std::mem::take(&mut self.published.agents)
                .into_iter()
                .collect(),
        };
        if let Some(dirty) = &dirty {
            self.published
                .agents
                .retain(|name, _| !dirty.contains(name));
        }
        self.published.agents.extend(agents_new.clone());
        old.insert(AGENTS.into(), Value::Object(agents_old));
        new.insert(AGENTS.into(), Value::Object(agents_new));
        if let Some(before) = &before {
            old.insert(EFFECTIVE_STATE.into(), to_value(&before.effective()));
            new.insert(EFFECTIVE_STATE.into(), to_value(&self.desired.effective()));
        }
        self.subs
            .publish(&self.agents, &Value::Object(old), &Value::Object(new));
    }

    /// The noted `workloadStates` entries as they were and as they are, shaped like the
    /// section (agent → workload → instances); an absent entry is left out.
    fn state_parts(&mut self) -> (Map<String, Value>, Map<String, Value>) {
        let (mut old, mut new) = (Map::new(), Map::new());
        for ((agent, workload), was) in std::mem::take(&mut self.published.states) {
            let now = self.states.get(&agent).and_then(|w| w.get(&workload));
            if let Some(was) = was {
                insert(&mut old, &agent, &workload, to_value(&was));
            }
            if let Some(now) = now {
                insert(&mut new, &agent, &workload, to_value(now));
            }
        }
        (old, new)
    }

    /// The `agents` entries of `only` (all for `None`) as JSON.
    fn agents_now(&self, only: Option<&BTreeSet<String>>) -> Map<String, Value> {
        self.attrs
            .iter()
            .filter(|(name, _)| only.is_none_or(|only| only.contains(*name)))
            .map(|(name, attrs)| (name.clone(), to_value(attrs)))
            .collect()
    }
}

/// Puts `value` at `<agent>.<workload>` of a `workloadStates` section.
fn insert(section: &mut Map<String, Value>, agent: &str, workload: &str, value: Value) {
    let entry = section
        .entry(agent.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(workloads) = entry {
        workloads.insert(workload.to_owned(), value);
    }
}

/// Serializes a part of the state; the model's types always serialize.
fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
