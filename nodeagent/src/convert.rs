//! The agent's wire messages (the `anchorage` package) to and from domain values. Anything a
//! peer sends that does not convert is an error the caller logs; it never panics.

use std::collections::BTreeMap;

use ank_model::convert::{add_condition_from_pb, restart_policy_from_pb, ConvertError};
use ank_model::proto::anchorage as pb;
use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::{
    AddCondition, ControlInterfaceAccess, ExecutionState, File, RestartPolicy, WorkloadInstanceName,
};

/// A workload as the server assigns it: rendered, with its instance name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// `<workload>.<id>.<agent>`.
    pub instance: WorkloadInstanceName,
    /// The runtime's name (`native`, `podman`, …).
    pub runtime: String,
    /// The rendered runtimeConfig.
    pub runtime_config: String,
    /// When to restart it.
    pub restart_policy: RestartPolicy,
    /// Workload name -> condition it must meet before this one starts.
    pub dependencies: BTreeMap<String, AddCondition>,
    /// Rendered files.
    pub files: Vec<File>,
    /// Who may use the control interface; none exists without allow rules.
    pub control_interface_access: ControlInterfaceAccess,
}

/// A delete: the instance and its dependents that must not be pending or running any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The instance to remove.
    pub instance: WorkloadInstanceName,
    /// Dependents (by workload name) that hold the delete back while pending or running.
    pub dependents: BTreeMap<String, AddCondition>,
}

fn conditions(map: BTreeMap<String, i32>) -> Result<BTreeMap<String, AddCondition>, ConvertError> {
    map.into_iter()
        .map(|(k, v)| Ok((k, add_condition_from_pb(v)?)))
        .collect()
}

impl TryFrom<pb::AddedWorkload> for Desired {
    type Error = ConvertError;
    fn try_from(w: pb::AddedWorkload) -> Result<Self, ConvertError> {
        Ok(Desired {
            instance: w
                .instance_name
                .ok_or(ConvertError::Missing("instanceName"))?
                .into(),
            runtime: w.runtime,
            runtime_config: w.runtime_config,
            restart_policy: restart_policy_from_pb(w.restart_policy)?,
            dependencies: conditions(w.dependencies)?,
            files: w.files.into_iter().map(File::from).collect(),
            control_interface_access: w
                .control_interface_access
                .map(ControlInterfaceAccess::try_from)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl TryFrom<pb::DeletedWorkload> for Deleted {
    type Error = ConvertError;
    fn try_from(w: pb::DeletedWorkload) -> Result<Self, ConvertError> {
        Ok(Deleted {
            instance: w
                .instance_name
                .ok_or(ConvertError::Missing("instanceName"))?
                .into(),
            dependents: conditions(w.dependencies)?,
        })
    }
}

/// A state of one instance from the wire.
pub fn state_from_pb(
    s: pb::WorkloadState,
) -> Result<(WorkloadInstanceName, ExecutionState), ConvertError> {
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

/// An UpdateWorkloadState message carrying `states`.
pub fn update_states(
    states: impl IntoIterator<Item = (WorkloadInstanceName, ExecutionState)>,
) -> pb::ToServer {
    let workload_states = states
        .into_iter()
        .map(|(instance, state)| pb::WorkloadState {
            instance_name: Some(instance.into()),
            execution_state: Some(state.into()),
        })
        .collect();
    to_server(ToServerEnum::UpdateWorkloadState(pb::UpdateWorkloadState {
        workload_states,
    }))
}

/// Wraps a ToServer oneof.
pub fn to_server(message: ToServerEnum) -> pb::ToServer {
    pb::ToServer {
        to_server_enum: Some(message),
    }
}
