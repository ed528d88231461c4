//! Reconciling after a (re)connect: the ServerHello's set is the truth. Instances a runtime
//! finds on the node that are in the set are adopted (their current state reported, nothing
//! restarted); those not in the set are stopped; instances the agent manages that left the set
//! are deleted; the rest are added. Then every state is reported again, since the server showed
//! them as AgentDisconnected meanwhile.

use std::collections::{BTreeMap, BTreeSet};

use ank_model::proto::anchorage::{ServerHello, ToServer};
use ank_model::WorkloadInstanceName;
use tokio::sync::mpsc;

use crate::agent::{Agent, OpDone};
use crate::convert::{self, Deleted, Desired};
use crate::runfolder;

impl Agent {
    pub(crate) async fn on_connected(
        &mut self,
        sender: mpsc::Sender<ToServer>,
        hello: ServerHello,
    ) {
        self.server = Some(sender);
        self.start_load_reports();
        let mut desired = BTreeMap::new();
        for added in hello.added_workloads {
            match Desired::try_from(added) {
                Ok(d) if d.instance.agent_name == self.name => {
                    desired.insert(d.instance.clone(), d);
                }
                Ok(d) => tracing::warn!(instance = %d.instance, "not this agent's workload"),
                Err(e) => tracing::warn!(error = %e, "ignoring an added workload"),
            }
        }
        for state in hello.workload_states {
            if let Ok((instance, state)) = convert::state_from_pb(state) {
                self.observe(&instance, &state);
            }
        }
        self.send(convert::update_states(
            self.instances
                .iter()
                .map(|(name, i)| (name.clone(), i.state.clone())),
        ));
        let gone: Vec<_> = self
            .instances
            .keys()
            .filter(|i| !desired.contains_key(*i))
            .cloned()
            .collect();
        for instance in gone {
            self.delete(Deleted {
                instance,
                dependents: BTreeMap::new(),
            });
        }
        let found = self.list_node().await;
        for (runtime, instance) in &found {
            if !desired.contains_key(instance) && !self.instances.contains_key(instance) {
                self.stop_orphan(runtime, instance.clone());
            }
        }
        let found: BTreeSet<_> = found.into_iter().map(|(_, i)| i).collect();
        for (instance, d) in desired {
            let adopt = found.contains(&instance);
            if adopt && !self.instances.contains_key(&instance) {
                tracing::info!(%instance, "adopting");
            }
            self.add(d, adopt);
        }
    }

    /// Every instance of this agent that some runtime finds on the node.
    async fn list_node(&self) -> Vec<(&'static str, WorkloadInstanceName)> {
        let mut found = Vec::new();
        for runtime in self.runtimes.iter() {
            match runtime.list_instances(&self.name).await {
                Ok(instances) => found.extend(instances.into_iter().map(|i| (runtime.name(), i))),
                Err(e) => tracing::warn!(runtime = runtime.name(), error = %e, "cannot list"),
            }
        }
        found
    }

    fn stop_orphan(&mut self, runtime: &str, instance: WorkloadInstanceName) {
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
