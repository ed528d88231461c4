//! The `anchorage` messages between server and agents to and from [`crate::assign`] values.

use std::collections::BTreeMap;

use super::{add_condition_from_pb, add_condition_to_pb, restart_policy_from_pb};
use super::{restart_policy_to_pb, ConvertError, Result};
use crate::assign::{AddedWorkload, DeletedWorkload, InstanceState};
use crate::proto::anchorage as apb;
use crate::{AddCondition, ControlInterfaceAccess, File};

fn conditions_from_pb(map: BTreeMap<String, i32>) -> Result<BTreeMap<String, AddCondition>> {
    map.into_iter()
        .map(|(k, v)| Ok((k, add_condition_from_pb(v)?)))
        .collect()
}

fn conditions_to_pb(map: BTreeMap<String, AddCondition>) -> BTreeMap<String, i32> {
    map.into_iter()
        .map(|(k, v)| (k, add_condition_to_pb(v) as i32))
        .collect()
}

impl From<AddedWorkload> for apb::AddedWorkload {
    fn from(w: AddedWorkload) -> Self {
        apb::AddedWorkload {
            instance_name: Some(w.instance.into()),
            runtime: w.runtime,
            runtime_config: w.runtime_config,
            restart_policy: restart_policy_to_pb(w.restart_policy) as i32,
            dependencies: conditions_to_pb(w.dependencies),
            tags: w.tags,
            control_interface_access: Some(w.control_interface_access.into()),
            files: w.files.into_iter().map(Into::into).collect(),
        }
    }
}

impl TryFrom<apb::AddedWorkload> for AddedWorkload {
    type Error = ConvertError;
    fn try_from(w: apb::AddedWorkload) -> Result<Self> {
        Ok(AddedWorkload {
            instance: w
                .instance_name
                .ok_or(ConvertError::Missing("instanceName"))?
                .into(),
            runtime: w.runtime,
            runtime_config: w.runtime_config,
            restart_policy: restart_policy_from_pb(w.restart_policy)?,
            dependencies: conditions_from_pb(w.dependencies)?,
            tags: w.tags,
            files: w.files.into_iter().map(File::from).collect(),
            control_interface_access: w
                .control_interface_access
                .map(ControlInterfaceAccess::try_from)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl From<DeletedWorkload> for apb::DeletedWorkload {
    fn from(w: DeletedWorkload) -> Self {
        apb::DeletedWorkload {
            instance_name: Some(w.instance.into()),
            dependencies: conditions_to_pb(w.dependents),
        }
    }
}

impl TryFrom<apb::DeletedWorkload> for DeletedWorkload {
    type Error = ConvertError;
    fn try_from(w: apb::DeletedWorkload) -> Result<Self> {
        Ok(DeletedWorkload {
            instance: w
                .instance_name
                .ok_or(ConvertError::Missing("instanceName"))?
                .into(),
            dependents: conditions_from_pb(w.dependencies)?,
        })
    }
}

/// One instance's state on the wire.
pub fn instance_state_to_pb((instance, state): InstanceState) -> apb::WorkloadState {
    apb::WorkloadState {
        instance_name: Some(instance.into()),
        execution_state: Some(state.into()),
    }
}

/// One instance's state from the wire; a message missing either part is an error.
pub fn instance_state_from_pb(s: apb::WorkloadState) -> Result<InstanceState> {
    let instance = s
        .instance_name
        .ok_or(ConvertError::Missing("instanceName"))?
        .into();
    let state = s
        .execution_state
        .ok_or(ConvertError::Missing("executionState"))?
        .try_into()?;
    Ok((instance, state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessRule, ExecutionState, ReadWrite, RestartPolicy, WorkloadInstanceName};

    fn instance() -> WorkloadInstanceName {
        WorkloadInstanceName::new("w\"[]é", "agent_A", "image: x")
    }

    #[test]
    fn an_added_workload_survives_the_wire() {
        let added = AddedWorkload {
            instance: instance(),
            runtime: "podman".into(),
            runtime_config: "image: x\n\u{7}".into(),
            restart_policy: RestartPolicy::OnFailure,
            dependencies: [("db".to_owned(), AddCondition::Succeeded)].into(),
            tags: [("k".to_owned(), "v".to_owned())].into(),
            files: vec![File {
                mount_point: "/a".into(),
                data: None,
                binary_data: Some("AAEC".into()),
            }],
            control_interface_access: ControlInterfaceAccess {
                allow_rules: vec![AccessRule::StateRule {
                    operation: ReadWrite::ReadWrite,
                    filter_masks: vec!["*".into()],
                }],
                deny_rules: vec![],
            },
        };
        let back = AddedWorkload::try_from(apb::AddedWorkload::from(added.clone()));
        assert_eq!(back.expect("converts"), added);
    }

    #[test]
    fn a_deleted_workload_and_a_state_survive_the_wire() {
        let deleted = DeletedWorkload {
            instance: instance(),
            dependents: [("web".to_owned(), AddCondition::Running)].into(),
        };
        let back = DeletedWorkload::try_from(apb::DeletedWorkload::from(deleted.clone()));
        assert_eq!(back.expect("converts"), deleted);
        let state = (instance(), ExecutionState::running());
        let back = instance_state_from_pb(instance_state_to_pb(state.clone()));
        assert_eq!(back.expect("converts"), state);
    }

    #[test]
    fn missing_parts_and_unknown_numbers_are_errors() {
        assert!(AddedWorkload::try_from(apb::AddedWorkload::default()).is_err());
        assert!(DeletedWorkload::try_from(apb::DeletedWorkload::default()).is_err());
        assert!(instance_state_from_pb(apb::WorkloadState::default()).is_err());
        let bad = apb::AddedWorkload {
            instance_name: Some(instance().into()),
            restart_policy: 77,
            ..Default::default()
        };
        assert!(AddedWorkload::try_from(bad).is_err());
    }
}
