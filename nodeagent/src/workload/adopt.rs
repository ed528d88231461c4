//! Reconciling after a (re)connect: the ServerHello's set is the truth. Each runtime lists
//! what it finds on the node in its own background op, so the event loop never waits for a
//! `podman ps`, and native workloads need not wait for Podman at all. On a fresh node (no
//! instance folder in the agent folder) only runtimes with wanted workloads are asked. Until a runtime's
//! listing arrives, its desired instances wait in [`Agent::listing`]; then instances found and
//! desired are adopted (their current state reported, nothing restarted), those found but not
//! desired are stopped, and the rest are started. Instances the agent manages that left the
//! set are deleted at once (or, within the startup grace of a server without a durable state,
//! kept: see `grace`), and every state is reported again, since the server showed them as
//! AgentDisconnected meanwhile.

use std::collections::{BTreeMap, BTreeSet};

use ank_model::assign::ServerHello;
use ank_model::proto::anchorage::ToServer;
use ank_model::WorkloadInstanceName;
use tokio::sync::mpsc;

use crate::agent::{Agent, OpDone};
use crate::runfolder;
use ank_model::assign::{AddedWorkload, DeletedWorkload};

impl Agent {
    pub(crate) fn on_connected(&mut self, sender: mpsc::Sender<ToServer>, hello: ServerHello) {
        self.server = Some(sender);
        self.cancel_disconnect_timers();
        self.start_load_reports();
        let mut desired = BTreeMap::new();
        for d in hello.added {
            if d.instance.agent_name == self.name {
                desired.insert(d.instance.clone(), d);
            } else {
                tracing::warn!(instance = %d.instance, "not this agent's workload");
            }
        }
        for (instance, state) in hello.states {
            self.observe(&instance, &state);
        }
        // Every state again. It supersedes what the last session left unsent, except the
        // `Removed` of instances the agent already forgot and the server does not list, which
        // go first.
        self.outbox.hold();
        for instance in desired.keys() {
            self.outbox.supersede(instance);
        }
        for (name, inst) in &self.instances {
            self.outbox.push(name.clone(), inst.state.clone());
        }
        self.outbox.hold();
        let gone: Vec<_> = self
            .instances
            .keys()
            .filter(|i| !desired.contains_key(*i))
            .cloned()
            .collect();
        self.session += 1;
        self.grace = None;
        if let Some(keep) = hello.keep_unlisted {
            self.begin_grace(keep);
        }
        for instance in gone {
            if !self.keep_unlisted(&instance) {
                self.delete(DeletedWorkload {
                    instance,
                    dependents: BTreeMap::new(),
                });
            }
        }
        self.listing.clear();
        // Nothing of an earlier life can be on a node whose agent folder holds no instance
        // folder, unless a runtime finds instances without them: else a runtime none of whose
        // workloads is wanted is not asked (on a fresh node with Podman, no `podman ps`
        // competes with the agent's start).
        let fresh = !self.has_instance_folders();
        for runtime in self.runtimes.iter() {
            if fresh
                && !runtime.finds_instances_without_folders()
                && !desired.values().any(|d| d.runtime == runtime.name())
            {
                continue;
            }
            let (runtime, agent, session) = (runtime.clone(), self.name.clone(), self.session);
            self.listing.insert(runtime.name(), Vec::new());
            self.ops.spawn(async move {
                let found = runtime.list_instances(&agent).await;
                OpDone::Listed(session, runtime.name(), found.map_err(|e| e.to_string()))
            });
        }
        for d in desired.into_values() {
            self.add_when_listed(d);
        }
    }

    /// Whether the agent folder holds any instance folder (of this life or an earlier one).
    fn has_instance_folders(&self) -> bool {
        let dir = runfolder::agent_dir(&self.run_folder, &self.name);
        std::fs::read_dir(dir)
            .is_ok_and(|mut entries| entries.any(|e| e.is_ok_and(|e| e.path().is_dir())))
    }

    /// Adds an instance now, or once its runtime's listing of the node has arrived.
    pub(crate) fn add_when_listed(&mut self, desired: AddedWorkload) {
        let runs = self.listed_in_grace(&desired);
        match self.listing.get_mut(desired.runtime.as_str()) {
            Some(waiting) => waiting.push(desired),
            None => self.add(desired, runs),
        }
    }

    /// Forgets an instance still waiting for its runtime's listing; false if none was.
    pub(crate) fn forget_waiting(&mut self, instance: &WorkloadInstanceName) -> bool {
        for waiting in self.listing.values_mut() {
            if let Some(at) = waiting.iter().position(|d| d.instance == *instance) {
                waiting.remove(at);
                return true;
            }
        }
        false
    }

    /// A runtime's listing of the node: adopt what is desired, stop what is not, start the
    /// rest. Listings of an earlier session are ignored.
    pub(crate) fn on_listed(
        &mut self,
        session: u64,
        runtime: &'static str,
        found: Result<Vec<WorkloadInstanceName>, String>,
    ) {
        if session != self.session {
            return;
        }
        let Some(waiting) = self.listing.remove(runtime) else {
            return;
        };
        let found: BTreeSet<_> = found
            .unwrap_or_else(|error| {
                tracing::warn!(runtime, error, "cannot list");
                Vec::new()
            })
            .into_iter()
            .collect();
        for instance in &found {
            let desired = waiting.iter().any(|d| d.instance == *instance)
                || self
                    .listing
                    .values()
                    .flatten()
                    .any(|d| d.instance == *instance);
            if !desired && !self.instances.contains_key(instance) {
                // Within a startup grace it stays, unless its workload is listed otherwise.
                let spoken = waiting
                    .iter()
                    .any(|d| d.instance.workload_name == instance.workload_name);
                if spoken || !self.keep_found(runtime, instance) {
                    self.stop_orphan(runtime, instance.clone());
                }
            }
        }
        for d in waiting {
            let adopt = found.contains(&d.instance);
            if adopt && !self.instances.contains_key(&d.instance) {
                tracing::info!(instance = %d.instance, "adopting");
            }
            self.add(d, adopt);
        }
    }

    pub(crate) fn stop_orphan(&mut self, runtime: &str, instance: WorkloadInstanceName) {
        let Some(runtime) = self.runtimes.get(runtime).cloned() else {
            return;
        };
        tracing::info!(%instance, "stopping an instance the server does not want");
        self.ops.spawn(async move {
            let result = runtime.stop(&instance).await.map_err(|e| e.to_string());
            OpDone::OrphanStopped(instance, result)
        });
    }

    pub(crate) fn on_orphan_stopped(
        &mut self,
        instance: &WorkloadInstanceName,
        result: Result<(), String>,
    ) {
        match result {
            Ok(()) => {
                let dir = runfolder::instance_dir(&self.run_folder, instance);
                if !self.instances.contains_key(instance) {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            Err(info) => tracing::warn!(%instance, info, "cannot stop an unwanted instance"),
        }
    }
}
