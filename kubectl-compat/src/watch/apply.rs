//! Keeping the local copy of the complete state up to date with a subscription's events.

use ank_model::CompleteState;

use crate::client::StateEvent;

/// Applies one message of a state subscription to the local copy of the complete state, as far
/// as the wait looks at it: instance states, connected agents, and the workloads with their
/// agent and runtime. The first message (no altered fields) is the whole state. An event
/// carries the added and updated parts only, and names the removed paths: instance states
/// come whole (an instance's state is one value), agents matter by name only, a workload comes
/// whole when it is added and field by field when it is updated.
pub fn apply_event(local: &mut CompleteState, event: StateEvent) {
    let Some(altered) = event.altered else {
        *local = event.state;
        return;
    };
    for path in &altered.removed {
        let parts: Vec<&str> = path.split('.').collect();
        let states = &mut local.workload_states;
        match parts.as_slice() {
            ["desiredState"] | ["desiredState", "workloads"] => {
                local.desired_state.workloads.clear();
            }
            ["desiredState", "workloads", name] => {
                local.desired_state.workloads.remove(*name);
            }
            ["workloadStates"] => states.clear(),
            ["workloadStates", agent] => {
                states.remove(*agent);
            }
            ["workloadStates", agent, workload] => {
                if let Some(w) = states.get_mut(*agent) {
                    w.remove(*workload);
                }
            }
            ["workloadStates", agent, workload, id] => {
                if let Some(ids) = states.get_mut(*agent).and_then(|w| w.get_mut(*workload)) {
                    ids.remove(*id);
                }
            }
            ["agents"] => local.agents.clear(),
            ["agents", name] => {
                local.agents.remove(*name);
            }
            _ => {}
        }
    }
    let event = event.state;
    for (agent, workloads) in event.workload_states {
        let mine = local.workload_states.entry(agent).or_default();
        for (workload, ids) in workloads {
            mine.entry(workload).or_default().extend(ids);
        }
    }
    for (name, attributes) in event.agents {
        local.agents.entry(name).or_insert(attributes);
    }
    let workloads = &event.desired_state.workloads;
    for path in altered.added.iter().chain(&altered.updated) {
        let parts: Vec<&str> = path.split('.').collect();
        let mine = &mut local.desired_state.workloads;
        match parts.as_slice() {
            ["desiredState"] | ["desiredState", "workloads"] => mine.clone_from(workloads),
            ["desiredState", "workloads", name] => {
                if let Some(w) = workloads.get(*name) {
                    mine.insert((*name).to_owned(), w.clone());
                }
            }
            ["desiredState", "workloads", name, field @ ("agent" | "runtime"), ..] => {
                if let (Some(mine), Some(new)) = (mine.get_mut(*name), workloads.get(*name)) {
                    if *field == "agent" {
                        mine.agent.clone_from(&new.agent);
                    } else {
                        mine.runtime.clone_from(&new.runtime);
                    }
                }
            }
            _ => {}
        }
    }
}
