//! The execution states the actor keeps (`workloadStates`: agent → workload → id → state):
//! recording them, dropping `Removed` ones, and queueing every change for the agents.

use ank_model::convert::instance_state_to_pb;
use ank_model::exec_state::ExecState;
use ank_model::proto::anchorage as apb;
use ank_model::{ExecutionState, WorkloadInstanceName};

use crate::actor::Actor;

impl Actor {
    /// Records a state (dropping it for `Removed`) and queues it for the agents if it changed.
    pub(crate) fn set_state(&mut self, instance: &WorkloadInstanceName, state: ExecutionState) {
        let agent = instance.agent_name.clone();
        let wl = instance.workload_name.clone();
        self.published.note_states(&self.states, &agent, &wl);
        let changed = if state.state == ExecState::Removed {
            let removed = (self.states.get_mut(&agent))
                .and_then(|w| w.get_mut(&wl))
                .and_then(|ids| ids.remove(&instance.id))
                .is_some();
            if let Some(workloads) = self.states.get_mut(&agent) {
                workloads.retain(|_, ids| !ids.is_empty());
                if workloads.is_empty() {
                    self.states.remove(&agent);
                }
            }
            removed
        } else {
            let ids = self.states.entry(agent).or_default().entry(wl).or_default();
            ids.insert(instance.id.clone(), state.clone()).as_ref() != Some(&state)
        };
        if changed {
            self.dirty.insert(instance.agent_name.clone());
            self.changed
                .push(instance_state_to_pb((instance.clone(), state)));
        }
    }

    pub(crate) fn instance_names_of(&self, agent: &str) -> Vec<WorkloadInstanceName> {
        let Some(workloads) = self.states.get(agent) else {
            return Vec::new();
        };
        workloads
            .iter()
            .flat_map(|(wl, ids)| {
                ids.keys().map(move |id| WorkloadInstanceName {
                    workload_name: wl.clone(),
                    agent_name: agent.to_owned(),
                    id: id.clone(),
                })
            })
            .collect()
    }

    pub(crate) fn all_states(&self) -> Vec<apb::WorkloadState> {
        let mut out = Vec::new();
        for (agent, workloads) in &self.states {
            for (wl, ids) in workloads {
                for (id, state) in ids {
                    let name = WorkloadInstanceName {
                        workload_name: wl.clone(),
                        agent_name: agent.clone(),
                        id: id.clone(),
                    };
                    out.push(instance_state_to_pb((name, state.clone())));
                }
            }
        }
        out
    }
}
