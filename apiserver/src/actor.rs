//! The one task that owns the server's state. gRPC handlers send it [`Event`]s; it never awaits
//! anything but its inbox (and the render of an update, in `pending.rs`, in the same `select!`),
//! so no lock is ever held and every answer is a non-blocking send.
//! Agent-facing bookkeeping lives here; request handling in `requests.rs`.

use std::collections::{BTreeMap, BTreeSet};

use ank_model::assign::DeletedWorkload;
use ank_model::exec_state::{ExecState, Pending};
use ank_model::mask;
use ank_model::proto::anchorage::{self as apb, from_server::FromServerEnum};
use ank_model::{
    AddCondition, AgentAttributes, AgentStatus, CompleteState, ExecutionState, State,
    WorkloadStates,
};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::agents::{AgentTx, Agents};
use crate::durability::Durability;
use crate::events::{AgentMessage, AgentReader, Event, Subscriptions};
use crate::limits::StateLimits;
use crate::logs::Logs;
use crate::pending::Updates;
use crate::publish::{Change, Published};
use crate::state::{Desired, Instance, Plan, UpdateError};
use crate::state_file::Saved;

/// The server's state and its connections.
pub struct Actor {
    pub(crate) desired: Desired,
    pub(crate) states: WorkloadStates,
    /// Connected agents' tags and load: `agents` of the complete state.
    pub(crate) attrs: BTreeMap<String, AgentAttributes>,
    pub(crate) agents: Agents,
    pub(crate) subs: Subscriptions,
    pub(crate) logs: Logs,
    /// Execution states changed while handling the current event; broadcast to all agents
    /// at its end.
    pub(crate) changed: Vec<apb::WorkloadState>,
    /// What subscribers last heard, as far as the next diff needs it.
    pub(crate) published: Published,
    /// Agents whose `workloadStates` or `agents` entry changed since the last publish: an
    /// agent's report is diffed within these entries only, so its cost follows that agent's
    /// workloads, not the cluster's.
    pub(crate) dirty: BTreeSet<String>,
    /// The tasks reading the agents' request streams; aborted when the actor ends.
    readers: JoinSet<()>,
    /// The state file, or the grace agents get without one.
    pub(crate) durability: Durability,
    /// Updates rendering off the actor, and those waiting behind them.
    pub(crate) updates: Updates,
}

impl Actor {
    /// An actor holding the startup manifest (rejected like an invalid update).
    pub fn new(startup: State) -> Result<Actor, UpdateError> {
        let saved = Saved {
            desired_state: startup,
            ..Saved::default()
        };
        Actor::start(saved, Durability::default(), StateLimits::default())
    }

    /// An actor holding `saved` (a loaded state file or the startup manifest), rejected like
    /// an invalid update; every later update is held to `limits`.
    pub fn start(
        saved: Saved,
        durability: Durability,
        limits: StateLimits,
    ) -> Result<Actor, UpdateError> {
        let mut actor = Actor {
            desired: Desired::default(),
            states: WorkloadStates::new(),
            attrs: BTreeMap::new(),
            agents: Agents::default(),
            subs: Subscriptions::default(),
            logs: Logs::default(),
            changed: Vec::new(),
            published: Published::default(),
            dirty: BTreeSet::new(),
            readers: JoinSet::new(),
            durability,
            updates: Updates::default(),
        };
        actor.desired.placements = saved.placements;
        actor.desired.limits = limits;
        let plan = actor.desired.plan(saved.desired_state, &actor.attrs)?;
        actor.apply(plan);
        actor.changed.clear();
        Ok(actor)
    }

    /// Handles events until `shutdown` is cancelled. Dropping the actor then drops every
    /// response sender, which ends all agent and subscriber streams.
    pub async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<Event>,
        shutdown: CancellationToken,
    ) {
        loop {
            let forget_at = self.durability.tombstones_until();
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = sleep_until(forget_at), if forget_at.is_some() => self.durability.end_grace(),
                event = inbox.recv() => match event {
                    Some(event) => self.handle(event),
                    None => break,
                },
                done = self.updates.rendered(), if self.updates.is_rendering() => {
                    self.update_rendered(done)
                }
                Some(done) = self.readers.join_next(), if !self.readers.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!("agent reader task failed: {e}");
                    }
                }
            }
        }
        self.agents.clear();
    }

    /// The parts of the complete state that `masks` can select (all of it for none), as
    /// `ank get state` shows them once filtered. SDKs poll
    /// `workloadStates` every 100 ms while waiting: such a read must not copy and render
    /// the whole desired state just to filter it away.
    pub fn complete_for(&self, masks: &[String]) -> CompleteState {
        let wants = |section: &str| {
            masks.is_empty()
                || masks
                    .iter()
                    .any(|m| matches!(m.split('.').next(), Some(first) if first == section || first == "*"))
        };
        CompleteState {
            desired_state: if wants(mask::DESIRED_STATE) {
                self.desired.state.clone()
            } else {
                State::default()
            },
            workload_states: if wants(mask::WORKLOAD_STATES) {
                self.states.clone()
            } else {
                WorkloadStates::new()
            },
            agents: if wants(mask::AGENTS) {
                self.attrs.clone()
            } else {
                BTreeMap::new()
            },
            effective_state: wants(mask::EFFECTIVE_STATE).then(|| self.desired.effective()),
        }
    }

    fn handle(&mut self, event: Event) {
        let change = change_of(&event);
        match event {
            Event::AgentConnected {
                name,
                tags,
                session,
                tx,
                reader,
            } => self.agent_connected(name, tags, session, tx, reader),
            Event::AgentGone { name, session } => self.agent_gone(&name, session),
            Event::FromAgent {
                name,
                session,
                message,
            } => self.agent_message(name, session, message),
            Event::CliRequest { request, reply } => {
                self.request(request, crate::events::ReplyTo::Once(reply))
            }
            Event::Subscribe { id, request, tx } => self.subscribe(id, request, tx),
            Event::StreamGone { id } => self.stream_gone(id),
        }
        self.settle(change);
    }

    /// Ends handling a change: broadcasts the execution states it set to all agents and tells
    /// subscribers.
    pub(crate) fn settle(&mut self, change: Change) {
        if !self.changed.is_empty() {
            self.agents
                .broadcast_states(std::mem::take(&mut self.changed));
        }
        self.publish(change);
    }

    fn agent_connected(
        &mut self,
        name: String,
        tags: BTreeMap<String, String>,
        session: u64,
        tx: AgentTx,
        reader: AgentReader,
    ) {
        // A session silent past two heartbeats is stale: the new one replaces it.
        if let Some(stale) = self.agents.stale_session(&name) {
            tracing::warn!(agent = name, "a new session replaces a silent one");
            self.agent_gone(&name, stale);
        }
        if let Err(tx) = self.agents.connect(&name, session, tx) {
            tracing::warn!(
                agent = name,
                "refused a second session of a connected agent"
            );
            let reason = format!("an agent named '{name}' is already connected");
            let refused = FromServerEnum::ConnectionRefused(apb::ConnectionRefused { reason });
            let _ = tx.send(Ok(std::sync::Arc::new(apb::FromServer {
                from_server_enum: Some(refused),
            })));
            return;
        }
        tracing::info!(agent = name, "agent connected");
        self.dirty.insert(name.clone());
        self.attrs.insert(
            name.clone(),
            AgentAttributes {
                tags,
                status: AgentStatus::default(),
            },
        );
        let reader = self.readers.spawn(reader);
        self.agents.set_reader(&name, reader);
        let mine: Vec<_> = self.desired.instances_of(&name).cloned().collect();
        for instance in &mine {
            self.set_state(
                &instance.name,
                ExecutionState::new(ExecState::Pending(Pending::Initial)),
            );
        }
        let hello = apb::ServerHello {
            added_workloads: mine.iter().map(|i| i.to_added().into()).collect(),
            workload_states: self.all_states(),
            keep_unlisted_ms: self.durability.keep_unlisted_ms(),
        };
        self.agents.send(&name, FromServerEnum::ServerHello(hello));
        self.send_grace_deletes(&name, &mine);
        // Workloads waiting for a matching agent may now be placed.
        match self.desired.plan(self.desired.state.clone(), &self.attrs) {
            Ok(plan) => {
                // New placements are kept on a best effort: a workload placed again after a
                // restart is no error.
                if plan.placements != self.desired.placements {
                    if let Err(e) = self.persist(&plan) {
                        tracing::warn!("placements not saved: {e}");
                    }
                }
                self.apply(plan)
            }
            Err(e) => tracing::error!("rescheduling failed: {e}"),
        }
    }

    /// Within the startup grace, the agent would keep what it runs that its hello does not
    /// list: it must stop at once what was deleted, so it hears those deletes now.
    fn send_grace_deletes(&mut self, name: &str, listed: &[Instance]) {
        let deleted_workloads: Vec<_> = (self.durability.deleted_of(name).into_iter())
            .filter(|d| !listed.iter().any(|l| l.name == *d))
            .map(|instance| {
                DeletedWorkload {
                    instance,
                    // Deleted already: nothing may hold it back any more.
                    dependents: BTreeMap::new(),
                }
                .into()
            })
            .collect();
        if deleted_workloads.is_empty() {
            return;
        }
        tracing::info!(
            agent = name,
            count = deleted_workloads.len(),
            "telling the agent what was deleted within the startup grace"
        );
        let update = apb::UpdateWorkload {
            deleted_workloads,
            ..apb::UpdateWorkload::default()
        };
        self.agents
            .send(name, FromServerEnum::UpdateWorkload(update));
    }

    fn agent_gone(&mut self, name: &str, session: u64) {
        if !self.agents.disconnect(name, session) {
            return;
        }
        tracing::info!(agent = name, "agent disconnected");
        self.attrs.remove(name);
        self.dirty.insert(name.to_owned());
        let known: Vec<_> = self
            .desired
            .instances_of(name)
            .map(|i| i.name.clone())
            .collect();
        let reported: Vec<_> = self.instance_names_of(name);
        for instance in reported.into_iter().filter(|i| !known.contains(i)) {
            self.set_state(&instance, ExecutionState::new(ExecState::Removed));
        }
        for instance in known {
            self.set_state(&instance, ExecutionState::new(ExecState::AgentDisconnected));
        }
        self.subs.remove(|target, _| target.is_agent(name));
        self.logs
            .end(&self.agents, |_, (target, _)| target.is_agent(name));
        self.logs.agent_gone(&self.agents, name);
    }

    fn agent_message(&mut self, name: String, session: u64, message: AgentMessage) {
        if !self.agents.is_current(&name, session) {
            return;
        }
        self.agents.heard(&name);
        match message {
            AgentMessage::Heartbeat => {
                let echo = FromServerEnum::Heartbeat(apb::Heartbeat {});
                self.agents.send(&name, echo);
            }
            AgentMessage::Hello => tracing::warn!(agent = name, "ignored a second hello"),
            AgentMessage::States(states) => {
                // An agent batches the states of one turn of its loop; subscribers still see
                // each step of an instance (Starting, then StartingFailed), as Ankaios sends
                // them one by one: a second state of an instance publishes the first.
                let mut in_batch = std::collections::HashSet::new();
                for (instance, exec) in states {
                    if instance.agent_name != name {
                        tracing::warn!(agent = name, %instance, "state of another agent");
                        continue;
                    }
                    if !in_batch.insert(instance.clone()) {
                        self.publish(Change::Runtime);
                        in_batch.clear();
                        in_batch.insert(instance.clone());
                    }
                    self.set_state(&instance, exec)
                }
            }
            AgentMessage::Request(request) => self.workload_request(name, request),
            AgentMessage::Response(response) => {
                self.logs.on_agent_response(&self.agents, &name, response)
            }
            AgentMessage::Load(status) => {
                if let Some(attrs) = self.attrs.get_mut(&name) {
                    attrs.status = status;
                    self.dirty.insert(name);
                }
            }
        }
    }

    /// Makes a plan current: tells the agents what to start and stop and sets the states the
    /// server knows itself (`Pending(Initial)`, `AgentDisconnected`, `NotScheduled`).
    pub(crate) fn apply(&mut self, plan: Plan) {
        self.durability.note(&plan);
        let mut updates: BTreeMap<String, apb::UpdateWorkload> = BTreeMap::new();
        for old in &plan.deleted {
            match old.agent() {
                Some(agent) if self.agents.is_connected(agent) => {
                    let dependents = dependents_of(&self.desired.state, &old.name.workload_name);
                    updates
                        .entry(agent.to_owned())
                        .or_default()
                        .deleted_workloads
                        .push(
                            DeletedWorkload {
                                instance: old.name.clone(),
                                dependents,
                            }
                            .into(),
                        );
                }
                _ => self.set_state(&old.name, ExecutionState::new(ExecState::Removed)),
            }
            // A workload's subscriptions and log requests end with its instance (spec §3).
            if let Some(agent) = old.agent() {
                let workload = &old.name.workload_name;
                self.subs.remove(|t, _| t.is_workload(agent, workload));
                self.logs
                    .end(&self.agents, |_, (t, _)| t.is_workload(agent, workload));
            }
        }
        for new in &plan.added {
            let state = match (&new.unscheduled, new.agent()) {
                (Some(state), _) => state.clone(),
                (None, Some(agent)) if self.agents.is_connected(agent) => {
                    let added = &mut updates.entry(agent.to_owned()).or_default().added_workloads;
                    added.push(new.to_added().into());
                    ExecutionState::new(ExecState::Pending(Pending::Initial))
                }
                (None, Some(agent)) if self.agents.was_seen(agent) => {
                    ExecutionState::new(ExecState::AgentDisconnected)
                }
                // As in Ankaios: waiting for its agent, with nothing more to say.
                (None, _) => ExecutionState::new(ExecState::Pending(Pending::Initial)),
            };
            self.set_state(&new.name, state);
        }
        self.published.note_desired(&mut self.desired);
        self.desired.apply(plan);
        for (agent, update) in updates {
            self.agents
                .send(&agent, FromServerEnum::UpdateWorkload(update));
        }
    }
}

/// Sleeps until `at`; never ends for `None` (its `select!` branch is disabled then).
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The workloads of `state` that depend on `workload` with `ADD_COND_RUNNING`: they must stop
/// before it does.
fn dependents_of(state: &State, workload: &str) -> BTreeMap<String, AddCondition> {
    state
        .workloads
        .iter()
        .filter(|(_, w)| w.dependencies.get(workload) == Some(&AddCondition::Running))
        .map(|(name, _)| (name.clone(), AddCondition::Running))
        .collect()
}

/// What handling `event` can change.
fn change_of(event: &Event) -> Change {
    match event {
        // An update changes the state only once rendered: its commit tells subscribers.
        Event::CliRequest { .. }
        | Event::FromAgent {
            message: AgentMessage::Request(_) | AgentMessage::Heartbeat,
            ..
        }
        | Event::Subscribe { .. }
        | Event::StreamGone { .. } => Change::Nothing,
        // A connecting agent may take workloads waiting for a nodeSelector match: that
        // changes the effective state too.
        Event::AgentConnected { .. } => Change::All,
        Event::AgentGone { .. } | Event::FromAgent { .. } => Change::Runtime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Copying only the sections the masks can reach must not change what they select.
    #[test]
    fn a_masked_read_selects_what_the_whole_state_would() {
        let startup: State = serde_yaml_ng::from_str(
            "apiVersion: v1\nworkloads:\n  w:\n    agent: a\n    runtime: native\n    \
             configs: {c: k}\n    runtimeConfig: 'command: [\"{{c.x}}\"]'\nconfigs:\n  k: {x: y}\n",
        )
        .expect("manifest");
        let actor = Actor::new(startup).expect("valid");
        let whole = actor.complete_for(&[]);
        assert!(whole.effective_state.is_some());
        for masks in [
            &["workloadStates"][..],
            &["desiredState.workloads.w.agent"],
            &["effectiveState.workloads.*.runtimeConfig"],
            &["agents", "desiredState.configs"],
            &["*.workloads"],
        ] {
            let masks: Vec<String> = masks.iter().map(|m| m.to_string()).collect();
            assert_eq!(
                mask::filter(&actor.complete_for(&masks), &masks),
                mask::filter(&whole, &masks),
                "{masks:?}"
            );
        }
        let states_only = actor.complete_for(&["workloadStates".to_owned()]);
        assert!(states_only.desired_state.workloads.is_empty());
        assert!(states_only.effective_state.is_none());
    }
}
