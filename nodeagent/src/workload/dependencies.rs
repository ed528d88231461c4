//! Dependency conditions: when a workload may start (its dependencies' add conditions) and when
//! a deleted one may stop (no dependent pending or running). States come from the server's
//! UpdateWorkloadState (other agents) and from this agent's own instances.

use std::collections::{BTreeMap, HashMap};

use ank_model::exec_state::{ExecState, Failed, Pending};
use ank_model::{AddCondition, ExecutionState, WorkloadInstanceName};

/// The latest known state of each workload, by workload name.
#[derive(Debug, Default)]
pub struct Known {
    states: HashMap<String, (WorkloadInstanceName, ExecState)>,
}

impl Known {
    /// Records a state; `Removed` forgets the instance.
    pub fn set(&mut self, instance: &WorkloadInstanceName, state: &ExecutionState) {
        if state.state == ExecState::Removed {
            if self
                .states
                .get(&instance.workload_name)
                .is_some_and(|(known, _)| known == instance)
            {
                self.states.remove(&instance.workload_name);
            }
            return;
        }
        self.states.insert(
            instance.workload_name.clone(),
            (instance.clone(), state.state),
        );
    }

    /// The state of workload `name`, if known.
    pub fn get(&self, name: &str) -> Option<ExecState> {
        self.states.get(name).map(|(_, s)| *s)
    }
}

/// Whether `state` meets `condition`.
pub fn condition_met(condition: AddCondition, state: ExecState) -> bool {
    match condition {
        AddCondition::Running => state == ExecState::Running,
        AddCondition::Succeeded => state == ExecState::Succeeded,
        AddCondition::Failed => matches!(
            state,
            ExecState::Failed(Failed::ExecFailed) | ExecState::Pending(Pending::StartingFailed)
        ),
    }
}

/// The first dependency whose condition is not met.
pub fn first_unmet<'a>(
    dependencies: &'a BTreeMap<String, AddCondition>,
    known: &Known,
) -> Option<&'a str> {
    dependencies
        .iter()
        .find(|(name, condition)| {
            !known
                .get(name)
                .is_some_and(|s| condition_met(**condition, s))
        })
        .map(|(name, _)| name.as_str())
}

/// The first dependent that holds a delete back: an `ADD_COND_RUNNING` dependent that is
/// still pending or running.
pub fn first_blocking<'a>(
    dependents: &'a BTreeMap<String, AddCondition>,
    known: &Known,
) -> Option<&'a str> {
    dependents
        .iter()
        .filter(|(_, condition)| **condition == AddCondition::Running)
        .find(|(name, _)| {
            known
                .get(name)
                .is_some_and(|s| matches!(s, ExecState::Pending(_) | ExecState::Running))
        })
        .map(|(name, _)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_condition_accepts_exec_failed_and_start_failures() {
        let failed = AddCondition::Failed;
        assert!(condition_met(failed, ExecState::Failed(Failed::ExecFailed)));
        assert!(condition_met(
            failed,
            ExecState::Pending(Pending::StartingFailed)
        ));
        assert!(!condition_met(failed, ExecState::Failed(Failed::Lost)));
        assert!(condition_met(AddCondition::Succeeded, ExecState::Succeeded));
        assert!(!condition_met(AddCondition::Running, ExecState::Succeeded));
    }

    #[test]
    fn removed_forgets_only_the_same_instance() {
        let mut known = Known::default();
        let old = WorkloadInstanceName::new("w", "a", "1");
        let new = WorkloadInstanceName::new("w", "a", "2");
        known.set(&new, &ExecutionState::running());
        known.set(&old, &ExecutionState::new(ExecState::Removed));
        assert_eq!(known.get("w"), Some(ExecState::Running));
        known.set(&new, &ExecutionState::new(ExecState::Removed));
        assert_eq!(known.get("w"), None);
    }
}
