//! The one conversion layer between the domain types and the generated protobuf types.
//! Proto → domain can fail (an enum number this version does not know); domain → proto cannot.

use crate::api;
use crate::exec_state::{ExecState, Failed, Pending, Stopping};
use crate::mask::AlteredFields;
use crate::proto::ank_base as pb;
use crate::{
    AccessRule, AddCondition, AgentAttributes, AgentStatus, CompleteState, ConfigItem,
    ControlInterfaceAccess, DisconnectPolicy, ExecutionState, File, ReadWrite, RestartPolicy,
    State, Workload, WorkloadInstanceName,
};

/// A protobuf message this version cannot turn into a domain value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvertError {
    /// An enum field carries a number this version does not know.
    #[error("unknown {what} value {value}")]
    UnknownEnum {
        /// The enum's name.
        what: &'static str,
        /// The number received.
        value: i32,
    },
    /// A oneof that must be set is empty.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// A message that has no place where it arrived (a second ServerHello).
    #[error("unexpected {0}")]
    Unexpected(&'static str),
    /// A request carried inside another message is not a request.
    #[error(transparent)]
    Request(Box<InvalidRequest>),
    /// A workload's `disconnectPolicy` is not one.
    #[error(transparent)]
    DisconnectPolicy(#[from] crate::disconnect::DisconnectPolicyError),
}

type Result<T, E = ConvertError> = std::result::Result<T, E>;

mod agent;
mod request;
pub use agent::{
    instance_state_from_pb, instance_state_to_pb, server_hello_from_pb, server_message_from_pb,
};

/// What a wire request asks of a workload's access rules (see [`crate::access::Asks`]): the
/// agent judges the requests it reads from a control interface before converting them.
impl<'a> From<&'a pb::Request> for crate::access::Asks<'a> {
    fn from(request: &'a pb::Request) -> Self {
        use crate::access::Asks;
        use pb::request::RequestContent as C;
        match &request.request_content {
            Some(C::CompleteStateRequest(r)) => Asks::Read(&r.field_mask),
            Some(C::UpdateStateRequest(r)) => Asks::Write(&r.update_mask),
            Some(C::LogsRequest(r)) => Asks::Logs(
                r.workload_names
                    .iter()
                    .map(|n| n.workload_name.as_str())
                    .collect(),
            ),
            Some(C::LogsCancelRequest(_) | C::EventsCancelRequest(_)) => Asks::Cancel,
            None => Asks::Nothing,
        }
    }
}

// ----- desired state -----

impl From<State> for pb::State {
    fn from(state: State) -> Self {
        pb::State {
            api_version: state.api_version,
            workloads: Some(pb::WorkloadMap {
                workloads: state
                    .workloads
                    .into_iter()
                    .map(|(name, w)| (name, w.into()))
                    .collect(),
            }),
            configs: Some(pb::ConfigMap {
                configs: state
                    .configs
                    .into_iter()
                    .map(|(k, v)| (k, v.into()))
                    .collect(),
            }),
        }
    }
}

impl TryFrom<pb::State> for State {
    type Error = ConvertError;
    fn try_from(state: pb::State) -> Result<Self> {
        Ok(State {
            api_version: state.api_version,
            workloads: state
                .workloads
                .unwrap_or_default()
                .workloads
                .into_iter()
                .map(|(name, w)| Ok((name, w.try_into()?)))
                .collect::<Result<_>>()?,
            configs: state
                .configs
                .unwrap_or_default()
                .configs
                .into_iter()
                .map(|(k, v)| Ok((k, v.try_into()?)))
                .collect::<Result<_>>()?,
        })
    }
}

impl From<Workload> for pb::Workload {
    fn from(w: Workload) -> Self {
        pb::Workload {
            agent: Some(w.agent),
            restart_policy: Some(restart_policy_to_pb(w.restart_policy) as i32),
            dependencies: Some(pb::Dependencies {
                dependencies: w
                    .dependencies
                    .into_iter()
                    .map(|(k, v)| (k, add_condition_to_pb(v) as i32))
                    .collect(),
            }),
            tags: Some(pb::Tags { tags: w.tags }),
            runtime: Some(w.runtime),
            runtime_config: Some(w.runtime_config),
            control_interface_access: Some(w.control_interface_access.into()),
            configs: Some(pb::ConfigMappings { configs: w.configs }),
            files: Some(pb::Files {
                files: w.files.into_iter().map(Into::into).collect(),
            }),
            node_selector: w.node_selector,
            disconnect_policy: disconnect_policy_to_pb(w.disconnect_policy),
        }
    }
}

impl TryFrom<pb::Workload> for Workload {
    type Error = ConvertError;
    fn try_from(w: pb::Workload) -> Result<Self> {
        Ok(Workload {
            agent: w.agent.unwrap_or_default(),
            runtime: w.runtime.unwrap_or_default(),
            restart_policy: restart_policy_from_pb(w.restart_policy.unwrap_or_default())?,
            tags: w.tags.unwrap_or_default().tags,
            dependencies: w
                .dependencies
                .unwrap_or_default()
                .dependencies
                .into_iter()
                .map(|(k, v)| Ok((k, add_condition_from_pb(v)?)))
                .collect::<Result<_>>()?,
            configs: w.configs.unwrap_or_default().configs,
            files: w
                .files
                .unwrap_or_default()
                .files
                .into_iter()
                .map(File::from)
                .collect(),
            control_interface_access: w.control_interface_access.unwrap_or_default().try_into()?,
            runtime_config: crate::state::trim_runtime_config(w.runtime_config.unwrap_or_default()),
            node_selector: w.node_selector,
            disconnect_policy: disconnect_policy_from_pb(w.disconnect_policy)?,
        })
    }
}

/// A disconnect policy on the wire; `None` for the default (keep).
pub fn disconnect_policy_to_pb(policy: DisconnectPolicy) -> Option<pb::DisconnectPolicy> {
    let (action, after) = policy.parts();
    (!policy.is_keep()).then(|| pb::DisconnectPolicy {
        action: action.to_owned(),
        after,
    })
}

/// A disconnect policy from the wire (absent: keep), checked as the manifest's is.
pub fn disconnect_policy_from_pb(policy: Option<pb::DisconnectPolicy>) -> Result<DisconnectPolicy> {
    policy.map_or(Ok(DisconnectPolicy::Keep), |p| {
        Ok(DisconnectPolicy::parse(&p.action, p.after.as_deref())?)
    })
}

/// The protobuf number of a restart policy.
pub fn restart_policy_to_pb(policy: RestartPolicy) -> pb::RestartPolicy {
    match policy {
        RestartPolicy::Never => pb::RestartPolicy::Never,
        RestartPolicy::OnFailure => pb::RestartPolicy::OnFailure,
        RestartPolicy::Always => pb::RestartPolicy::Always,
    }
}

/// The restart policy of a protobuf number.
pub fn restart_policy_from_pb(value: i32) -> Result<RestartPolicy> {
    match pb::RestartPolicy::try_from(value) {
        Ok(pb::RestartPolicy::Never) => Ok(RestartPolicy::Never),
        Ok(pb::RestartPolicy::OnFailure) => Ok(RestartPolicy::OnFailure),
        Ok(pb::RestartPolicy::Always) => Ok(RestartPolicy::Always),
        Err(_) => Err(ConvertError::UnknownEnum {
            what: "restartPolicy",
            value,
        }),
    }
}

/// The protobuf number of an add condition.
pub fn add_condition_to_pb(condition: AddCondition) -> pb::AddCondition {
    match condition {
        AddCondition::Running => pb::AddCondition::AddCondRunning,
        AddCondition::Succeeded => pb::AddCondition::AddCondSucceeded,
        AddCondition::Failed => pb::AddCondition::AddCondFailed,
    }
}

/// The add condition of a protobuf number.
pub fn add_condition_from_pb(value: i32) -> Result<AddCondition> {
    match pb::AddCondition::try_from(value) {
        Ok(pb::AddCondition::AddCondRunning) => Ok(AddCondition::Running),
        Ok(pb::AddCondition::AddCondSucceeded) => Ok(AddCondition::Succeeded),
        Ok(pb::AddCondition::AddCondFailed) => Ok(AddCondition::Failed),
        Err(_) => Err(ConvertError::UnknownEnum {
            what: "addCondition",
            value,
        }),
    }
}

impl From<File> for pb::File {
    fn from(f: File) -> Self {
        use pb::file::FileContent;
        let file_content = match (f.data, f.binary_data) {
            (Some(data), _) => Some(FileContent::Data(data)),
            (None, Some(binary)) => Some(FileContent::BinaryData(binary)),
            (None, None) => None,
        };
        pb::File {
            mount_point: f.mount_point,
            file_content,
        }
    }
}

impl From<pb::File> for File {
    fn from(f: pb::File) -> Self {
        use pb::file::FileContent;
        let (data, binary_data) = match f.file_content {
            Some(FileContent::Data(d)) => (Some(d), None),
            Some(FileContent::BinaryData(b)) => (None, Some(b)),
            None => (None, None),
        };
        File {
            mount_point: f.mount_point,
            data,
            binary_data,
        }
    }
}

impl From<ControlInterfaceAccess> for pb::ControlInterfaceAccess {
    fn from(access: ControlInterfaceAccess) -> Self {
        pb::ControlInterfaceAccess {
            allow_rules: access.allow_rules.into_iter().map(Into::into).collect(),
            deny_rules: access.deny_rules.into_iter().map(Into::into).collect(),
        }
    }
}

impl TryFrom<pb::ControlInterfaceAccess> for ControlInterfaceAccess {
    type Error = ConvertError;
    fn try_from(access: pb::ControlInterfaceAccess) -> Result<Self> {
        let rules = |rules: Vec<pb::AccessRightsRule>| {
            rules
                .into_iter()
                .map(AccessRule::try_from)
                .collect::<Result<Vec<_>>>()
        };
        Ok(ControlInterfaceAccess {
            allow_rules: rules(access.allow_rules)?,
            deny_rules: rules(access.deny_rules)?,
        })
    }
}

impl From<AccessRule> for pb::AccessRightsRule {
    fn from(rule: AccessRule) -> Self {
        use pb::access_rights_rule::AccessRightsRuleEnum as E;
        let rule = match rule {
            AccessRule::StateRule {
                operation,
                filter_masks,
            } => E::StateRule(pb::StateRule {
                operation: match operation {
                    ReadWrite::Nothing => pb::ReadWriteEnum::RwNothing,
                    ReadWrite::Read => pb::ReadWriteEnum::RwRead,
                    ReadWrite::Write => pb::ReadWriteEnum::RwWrite,
                    ReadWrite::ReadWrite => pb::ReadWriteEnum::RwReadWrite,
                } as i32,
                filter_masks,
            }),
            AccessRule::LogRule { workload_names } => E::LogRule(pb::LogRule { workload_names }),
        };
        pb::AccessRightsRule {
            access_rights_rule_enum: Some(rule),
        }
    }
}

impl TryFrom<pb::AccessRightsRule> for AccessRule {
    type Error = ConvertError;
    fn try_from(rule: pb::AccessRightsRule) -> Result<Self> {
        use pb::access_rights_rule::AccessRightsRuleEnum as E;
        match rule.access_rights_rule_enum {
            Some(E::StateRule(r)) => Ok(AccessRule::StateRule {
                operation: match pb::ReadWriteEnum::try_from(r.operation) {
                    Ok(pb::ReadWriteEnum::RwNothing) => ReadWrite::Nothing,
                    Ok(pb::ReadWriteEnum::RwRead) => ReadWrite::Read,
                    Ok(pb::ReadWriteEnum::RwWrite) => ReadWrite::Write,
                    Ok(pb::ReadWriteEnum::RwReadWrite) => ReadWrite::ReadWrite,
                    Err(_) => {
                        return Err(ConvertError::UnknownEnum {
                            what: "operation",
                            value: r.operation,
                        })
                    }
                },
                filter_masks: r.filter_masks,
            }),
            Some(E::LogRule(r)) => Ok(AccessRule::LogRule {
                workload_names: r.workload_names,
            }),
            None => Err(ConvertError::Missing("access rule")),
        }
    }
}

impl From<ConfigItem> for pb::ConfigItem {
    fn from(item: ConfigItem) -> Self {
        use pb::config_item::ConfigItemEnum as E;
        let item = match item {
            ConfigItem::String(s) => E::String(s),
            ConfigItem::Array(values) => E::Array(pb::ConfigArray {
                values: values.into_iter().map(Into::into).collect(),
            }),
            ConfigItem::Object(fields) => E::Object(pb::ConfigObject {
                fields: fields.into_iter().map(|(k, v)| (k, v.into())).collect(),
            }),
        };
        pb::ConfigItem {
            config_item_enum: Some(item),
        }
    }
}

impl TryFrom<pb::ConfigItem> for ConfigItem {
    type Error = ConvertError;
    fn try_from(item: pb::ConfigItem) -> Result<Self> {
        use pb::config_item::ConfigItemEnum as E;
        Ok(match item.config_item_enum {
            Some(E::String(s)) => ConfigItem::String(s),
            Some(E::Array(a)) => ConfigItem::Array(
                a.values
                    .into_iter()
                    .map(ConfigItem::try_from)
                    .collect::<Result<_>>()?,
            ),
            Some(E::Object(o)) => ConfigItem::Object(
                o.fields
                    .into_iter()
                    .map(|(k, v)| Ok((k, v.try_into()?)))
                    .collect::<Result<_>>()?,
            ),
            None => return Err(ConvertError::Missing("config item")),
        })
    }
}

// ----- states -----

impl From<WorkloadInstanceName> for pb::WorkloadInstanceName {
    fn from(n: WorkloadInstanceName) -> Self {
        pb::WorkloadInstanceName {
            workload_name: n.workload_name,
            agent_name: n.agent_name,
            id: n.id,
        }
    }
}

impl From<pb::WorkloadInstanceName> for WorkloadInstanceName {
    fn from(n: pb::WorkloadInstanceName) -> Self {
        WorkloadInstanceName {
            workload_name: n.workload_name,
            agent_name: n.agent_name,
            id: n.id,
        }
    }
}

impl From<ExecutionState> for pb::ExecutionState {
    fn from(s: ExecutionState) -> Self {
        use pb::execution_state::ExecutionStateEnum as E;
        let state = match s.state {
            ExecState::AgentDisconnected => E::AgentDisconnected(0),
            ExecState::Pending(p) => E::Pending(match p {
                Pending::Initial => pb::Pending::Initial,
                Pending::WaitingToStart => pb::Pending::WaitingToStart,
                Pending::Starting => pb::Pending::Starting,
                Pending::StartingFailed => pb::Pending::StartingFailed,
            } as i32),
            ExecState::Running => E::Running(0),
            ExecState::Stopping(st) => E::Stopping(match st {
                Stopping::Stopping => pb::Stopping::Stopping,
                Stopping::WaitingToStop => pb::Stopping::WaitingToStop,
                Stopping::RequestedAtRuntime => pb::Stopping::RequestedAtRuntime,
                Stopping::DeleteFailed => pb::Stopping::DeleteFailed,
            } as i32),
            ExecState::Succeeded => E::Succeeded(0),
            ExecState::Failed(f) => E::Failed(match f {
                Failed::ExecFailed => pb::Failed::ExecFailed,
                Failed::Unknown => pb::Failed::Unknown,
                Failed::Lost => pb::Failed::Lost,
            } as i32),
            ExecState::NotScheduled => E::NotScheduled(0),
            ExecState::Removed => E::Removed(0),
        };
        pb::ExecutionState {
            additional_info: Some(s.additional_info),
            execution_state_enum: Some(state),
        }
    }
}

impl TryFrom<pb::ExecutionState> for ExecutionState {
    type Error = ConvertError;
    fn try_from(s: pb::ExecutionState) -> Result<Self> {
        use pb::execution_state::ExecutionStateEnum as E;
        let unknown = |what, value| ConvertError::UnknownEnum { what, value };
        let state = match s
            .execution_state_enum
            .ok_or(ConvertError::Missing("execution state"))?
        {
            E::AgentDisconnected(_) => ExecState::AgentDisconnected,
            E::Pending(v) => ExecState::Pending(match pb::Pending::try_from(v) {
                Ok(pb::Pending::Initial) => Pending::Initial,
                Ok(pb::Pending::WaitingToStart) => Pending::WaitingToStart,
                Ok(pb::Pending::Starting) => Pending::Starting,
                Ok(pb::Pending::StartingFailed) => Pending::StartingFailed,
                Err(_) => return Err(unknown("pending", v)),
            }),
            E::Running(_) => ExecState::Running,
            E::Stopping(v) => ExecState::Stopping(match pb::Stopping::try_from(v) {
                Ok(pb::Stopping::Stopping) => Stopping::Stopping,
                Ok(pb::Stopping::WaitingToStop) => Stopping::WaitingToStop,
                Ok(pb::Stopping::RequestedAtRuntime) => Stopping::RequestedAtRuntime,
                Ok(pb::Stopping::DeleteFailed) => Stopping::DeleteFailed,
                Err(_) => return Err(unknown("stopping", v)),
            }),
            E::Succeeded(_) => ExecState::Succeeded,
            E::Failed(v) => ExecState::Failed(match pb::Failed::try_from(v) {
                Ok(pb::Failed::ExecFailed) => Failed::ExecFailed,
                Ok(pb::Failed::Unknown) => Failed::Unknown,
                Ok(pb::Failed::Lost) => Failed::Lost,
                Err(_) => return Err(unknown("failed", v)),
            }),
            E::NotScheduled(_) => ExecState::NotScheduled,
            E::Removed(_) => ExecState::Removed,
        };
        Ok(ExecutionState::with_info(
            state,
            s.additional_info.unwrap_or_default(),
        ))
    }
}

impl From<CompleteState> for pb::CompleteState {
    fn from(c: CompleteState) -> Self {
        pb::CompleteState {
            desired_state: Some(c.desired_state.into()),
            workload_states: Some(pb::WorkloadStatesMap {
                agent_state_map: c
                    .workload_states
                    .into_iter()
                    .map(|(agent, wls)| {
                        let wl_name_state_map = wls
                            .into_iter()
                            .map(|(wl, ids)| {
                                let id_state_map =
                                    ids.into_iter().map(|(id, s)| (id, s.into())).collect();
                                (wl, pb::ExecutionsStatesForId { id_state_map })
                            })
                            .collect();
                        (agent, pb::ExecutionsStatesOfWorkload { wl_name_state_map })
                    })
                    .collect(),
            }),
            agents: Some(pb::AgentMap {
                agents: c
                    .agents
                    .into_iter()
                    .map(|(name, a)| (name, a.into()))
                    .collect(),
            }),
            effective_state: c.effective_state.map(Into::into),
        }
    }
}

impl TryFrom<pb::CompleteState> for CompleteState {
    type Error = ConvertError;
    fn try_from(c: pb::CompleteState) -> Result<Self> {
        let mut workload_states = crate::WorkloadStates::new();
        for (agent, wls) in c.workload_states.unwrap_or_default().agent_state_map {
            let agent_map = workload_states.entry(agent).or_default();
            for (wl, ids) in wls.wl_name_state_map {
                let wl_map = agent_map.entry(wl).or_default();
                for (id, state) in ids.id_state_map {
                    wl_map.insert(id, state.try_into()?);
                }
            }
        }
        Ok(CompleteState {
            desired_state: c.desired_state.unwrap_or_default().try_into()?,
            workload_states,
            effective_state: c.effective_state.map(TryInto::try_into).transpose()?,
            agents: c
                .agents
                .unwrap_or_default()
                .agents
                .into_iter()
                .map(|(name, a)| (name, a.into()))
                .collect(),
        })
    }
}

impl From<AgentAttributes> for pb::AgentAttributes {
    fn from(a: AgentAttributes) -> Self {
        pb::AgentAttributes {
            status: Some(pb::AgentStatus {
                cpu_usage: Some(pb::CpuUsage {
                    cpu_usage: a.status.cpu_usage,
                }),
                free_memory: Some(pb::FreeMemory {
                    free_memory: a.status.free_memory,
                }),
            }),
            tags: Some(pb::Tags { tags: a.tags }),
        }
    }
}

impl From<pb::AgentAttributes> for AgentAttributes {
    fn from(a: pb::AgentAttributes) -> Self {
        let status = a.status.unwrap_or_default();
        AgentAttributes {
            tags: a.tags.unwrap_or_default().tags,
            status: AgentStatus {
                cpu_usage: status.cpu_usage.unwrap_or_default().cpu_usage,
                free_memory: status.free_memory.unwrap_or_default().free_memory,
            },
        }
    }
}

// ----- requests and responses -----

pub use request::{InvalidRequest, RequestError};

#[cfg(test)]
mod tests;
