//! The one conversion layer between the domain types and the generated protobuf types.
//! Proto → domain can fail (an enum number this version does not know); domain → proto cannot.

use crate::api;
use crate::exec_state::{ExecState, Failed, Pending, Stopping};
use crate::mask::AlteredFields;
use crate::proto::ank_base as pb;
use crate::{
    AccessRule, AddCondition, AgentAttributes, AgentStatus, CompleteState, ConfigItem,
    ControlInterfaceAccess, ExecutionState, File, ReadWrite, RestartPolicy, State, Workload,
    WorkloadInstanceName,
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
}

type Result<T, E = ConvertError> = std::result::Result<T, E>;

mod agent;
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
        })
    }
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

/// Why a wire request is not a domain [`api::Request`]; the `Display` text is the message of
/// the `Error` response, as Ankaios words it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    /// No oneof set.
    #[error("The Request does not contain any content")]
    NoContent,
    /// An `UpdateStateRequest` without `newState`.
    #[error("The UpdateStateRequest does not contain a new state")]
    NoNewState {
        /// Its update masks (a workload's write access is judged on them).
        update_mask: Vec<String>,
    },
    /// An `UpdateStateRequest` whose `newState` this version cannot read.
    #[error("Update rejected: '{source}'")]
    BadNewState {
        /// Its update masks.
        update_mask: Vec<String>,
        /// What is wrong with the state.
        #[source]
        source: ConvertError,
    },
}

impl RequestError {
    /// The update masks of a broken `UpdateStateRequest`; `None` for a request without content.
    pub fn update_mask(&self) -> Option<&[String]> {
        match self {
            RequestError::NoContent => None,
            RequestError::NoNewState { update_mask }
            | RequestError::BadNewState { update_mask, .. } => Some(update_mask),
        }
    }
}

/// A wire request that is not a domain request, with its id (the answer needs it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("request '{id}': {error}")]
pub struct InvalidRequest {
    /// The request's id.
    pub id: String,
    /// What is wrong.
    #[source]
    pub error: RequestError,
}

impl From<api::Request> for pb::Request {
    fn from(r: api::Request) -> Self {
        use pb::request::RequestContent as C;
        let content = match r.content {
            api::RequestContent::UpdateState(u) => {
                let u = *u;
                C::UpdateStateRequest(pb::UpdateStateRequest {
                    new_state: Some(u.new_state.into()),
                    update_mask: u.update_mask,
                    dry_run: u.dry_run,
                })
            }
            api::RequestContent::CompleteState(q) => {
                C::CompleteStateRequest(pb::CompleteStateRequest {
                    field_mask: q.field_mask,
                    subscribe_for_events: q.subscribe,
                })
            }
            api::RequestContent::Logs(l) => C::LogsRequest(l.into()),
            api::RequestContent::LogsCancel => C::LogsCancelRequest(pb::LogsCancelRequest {}),
            api::RequestContent::EventsCancel => C::EventsCancelRequest(pb::EventsCancelRequest {}),
        };
        pb::Request {
            request_id: r.id,
            request_content: Some(content),
        }
    }
}

impl TryFrom<pb::Request> for api::Request {
    type Error = InvalidRequest;
    fn try_from(r: pb::Request) -> Result<Self, InvalidRequest> {
        use pb::request::RequestContent as C;
        let id = r.request_id;
        let content = match r.request_content {
            None => Err(RequestError::NoContent),
            Some(C::UpdateStateRequest(u)) => match u.new_state {
                None => Err(RequestError::NoNewState {
                    update_mask: u.update_mask,
                }),
                Some(state) => match CompleteState::try_from(state) {
                    Ok(new_state) => Ok(api::RequestContent::UpdateState(Box::new(
                        api::UpdateStateRequest {
                            new_state,
                            update_mask: u.update_mask,
                            dry_run: u.dry_run,
                        },
                    ))),
                    Err(source) => Err(RequestError::BadNewState {
                        update_mask: u.update_mask,
                        source,
                    }),
                },
            },
            Some(C::CompleteStateRequest(q)) => Ok(api::RequestContent::CompleteState(
                api::CompleteStateRequest {
                    field_mask: q.field_mask,
                    subscribe: q.subscribe_for_events,
                },
            )),
            Some(C::LogsRequest(l)) => Ok(api::RequestContent::Logs(l.into())),
            Some(C::LogsCancelRequest(_)) => Ok(api::RequestContent::LogsCancel),
            Some(C::EventsCancelRequest(_)) => Ok(api::RequestContent::EventsCancel),
        };
        match content {
            Ok(content) => Ok(api::Request { id, content }),
            Err(error) => Err(InvalidRequest { id, error }),
        }
    }
}

impl From<api::LogsRequest> for pb::LogsRequest {
    fn from(l: api::LogsRequest) -> Self {
        pb::LogsRequest {
            workload_names: l.names.into_iter().map(Into::into).collect(),
            follow: Some(l.follow),
            tail: l.tail,
            since: l.since,
            until: l.until,
        }
    }
}

impl From<pb::LogsRequest> for api::LogsRequest {
    fn from(l: pb::LogsRequest) -> Self {
        api::LogsRequest {
            names: l.workload_names.into_iter().map(Into::into).collect(),
            follow: l.follow.unwrap_or(false),
            tail: l.tail,
            since: l.since,
            until: l.until,
        }
    }
}

impl From<api::Response> for pb::Response {
    fn from(r: api::Response) -> Self {
        use pb::response::ResponseContent as C;
        let content = match r.content {
            api::ResponseContent::Error(message) => C::Error(pb::Error { message }),
            api::ResponseContent::CompleteState(c) => {
                let c = *c;
                C::CompleteStateResponse(pb::CompleteStateResponse {
                    complete_state: Some(c.state.into()),
                    altered_fields: c.altered.map(|a| pb::AlteredFields {
                        added_fields: a.added,
                        updated_fields: a.updated,
                        removed_fields: a.removed,
                    }),
                })
            }
            api::ResponseContent::UpdateStateSuccess(s) => {
                C::UpdateStateSuccess(pb::UpdateStateSuccess {
                    added_workloads: s.added,
                    deleted_workloads: s.deleted,
                })
            }
            api::ResponseContent::LogsRequestAccepted(names) => {
                C::LogsRequestAccepted(pb::LogsRequestAccepted {
                    workload_names: names.into_iter().map(Into::into).collect(),
                })
            }
            api::ResponseContent::LogEntries(entries) => {
                C::LogEntriesResponse(pb::LogEntriesResponse {
                    log_entries: entries
                        .into_iter()
                        .map(|e| pb::LogEntry {
                            workload_name: Some(e.workload.into()),
                            message: e.message,
                        })
                        .collect(),
                })
            }
            api::ResponseContent::LogsStop(name) => C::LogsStopResponse(pb::LogsStopResponse {
                workload_name: Some(name.into()),
            }),
            api::ResponseContent::LogsCancelAccepted => {
                C::LogsCancelAccepted(pb::LogsCancelAccepted {})
            }
            api::ResponseContent::EventsCancelAccepted => {
                C::EventsCancelAccepted(pb::EventsCancelAccepted {})
            }
        };
        pb::Response {
            request_id: r.id,
            response_content: Some(content),
        }
    }
}

impl TryFrom<pb::Response> for api::Response {
    type Error = ConvertError;
    fn try_from(r: pb::Response) -> Result<Self> {
        use pb::response::ResponseContent as C;
        let content = match r
            .response_content
            .ok_or(ConvertError::Missing("response content"))?
        {
            C::Error(e) => api::ResponseContent::Error(e.message),
            C::CompleteStateResponse(c) => {
                api::ResponseContent::CompleteState(Box::new(api::CompleteStateResponse {
                    state: c.complete_state.unwrap_or_default().try_into()?,
                    altered: c.altered_fields.map(|a| AlteredFields {
                        added: a.added_fields,
                        updated: a.updated_fields,
                        removed: a.removed_fields,
                    }),
                }))
            }
            C::UpdateStateSuccess(s) => {
                api::ResponseContent::UpdateStateSuccess(api::UpdateStateSuccess {
                    added: s.added_workloads,
                    deleted: s.deleted_workloads,
                })
            }
            C::LogsRequestAccepted(a) => api::ResponseContent::LogsRequestAccepted(
                a.workload_names.into_iter().map(Into::into).collect(),
            ),
            C::LogEntriesResponse(l) => api::ResponseContent::LogEntries(
                l.log_entries
                    .into_iter()
                    .map(|e| {
                        Ok(api::LogEntry {
                            workload: e
                                .workload_name
                                .ok_or(ConvertError::Missing("log entry workload name"))?
                                .into(),
                            message: e.message,
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
            C::LogsStopResponse(s) => api::ResponseContent::LogsStop(
                s.workload_name
                    .ok_or(ConvertError::Missing("logs stop workload name"))?
                    .into(),
            ),
            C::LogsCancelAccepted(_) => api::ResponseContent::LogsCancelAccepted,
            C::EventsCancelAccepted(_) => api::ResponseContent::EventsCancelAccepted,
        };
        Ok(api::Response {
            id: r.request_id,
            content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_execution_state_survives_the_wire() {
        for state in ExecState::ALL {
            let original = ExecutionState::with_info(state, "info");
            let wire: pb::ExecutionState = original.clone().into();
            assert_eq!(ExecutionState::try_from(wire), Ok(original));
        }
    }

    #[test]
    fn a_full_state_survives_the_wire() {
        let yaml = r#"apiVersion: v1
workloads:
  a:
    agent: agent_A
    runtime: native
    restartPolicy: ON_FAILURE
    tags: {x: y}
    dependencies: {b: ADD_COND_SUCCEEDED}
    configs: {c: cfg}
    files: [{mountPoint: /a, data: x}, {mountPoint: /b, binaryData: eA==}]
    controlInterfaceAccess:
      allowRules: [{type: StateRule, operation: ReadWrite, filterMasks: [a.b]}]
      denyRules: [{type: LogRule, workloadNames: [z]}]
    runtimeConfig: "command: [true]"
    nodeSelector: {zone: front}
configs:
  cfg: {k: [v, {w: x}]}
"#;
        let state: State = serde_yaml_ng::from_str(yaml).expect("parses");
        let wire: pb::State = state.clone().into();
        assert_eq!(State::try_from(wire), Ok(state));
    }

    #[test]
    fn unknown_enum_numbers_are_errors_not_panics() {
        let wire = pb::Workload {
            restart_policy: Some(42),
            ..Default::default()
        };
        assert_eq!(
            Workload::try_from(wire),
            Err(ConvertError::UnknownEnum {
                what: "restartPolicy",
                value: 42
            })
        );
    }
}

#[cfg(test)]
mod api_tests {
    //! Requests and responses survive the wire whatever their strings hold.

    use super::*;
    use crate::api::{
        CompleteStateRequest, CompleteStateResponse, LogEntry, LogsRequest, Request,
        RequestContent, Response, ResponseContent, UpdateStateRequest, UpdateStateSuccess,
    };
    use proptest::prelude::*;
    use prost::Message;
    use std::collections::BTreeMap;

    /// Strings a peer may send: quotes, brackets, control characters, non-ASCII, mask and id
    /// separators, the empty string and 10 000 characters.
    fn hostile() -> BoxedStrategy<String> {
        let chars = prop::sample::select(vec![
            '"', '\'', '[', ']', '{', '}', '(', ')', '\0', '\n', '\r', '\t', '\u{1b}', '\u{7f}',
            'ä', '€', '😀', '\u{202e}', '@', '.', '*', '\\', '/', ' ', 'a', 'Z', '0',
        ]);
        prop_oneof![
            4 => prop::collection::vec(chars, 0..24).prop_map(String::from_iter),
            2 => any::<String>(),
            1 => Just(String::new()),
            1 => prop::collection::vec(any::<char>(), 10_000).prop_map(String::from_iter),
        ]
        .boxed()
    }

    fn strings() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(hostile(), 0..4)
    }

    fn map() -> impl Strategy<Value = BTreeMap<String, String>> {
        prop::collection::btree_map(hostile(), hostile(), 0..3)
    }

    fn instance() -> impl Strategy<Value = WorkloadInstanceName> {
        (hostile(), hostile(), hostile()).prop_map(|(workload_name, agent_name, id)| {
            WorkloadInstanceName {
                workload_name,
                agent_name,
                id,
            }
        })
    }

    fn rule() -> impl Strategy<Value = AccessRule> {
        prop_oneof![
            (
                prop::sample::select(vec![
                    ReadWrite::Nothing,
                    ReadWrite::Read,
                    ReadWrite::Write,
                    ReadWrite::ReadWrite
                ]),
                strings()
            )
                .prop_map(|(operation, filter_masks)| AccessRule::StateRule {
                    operation,
                    filter_masks
                }),
            strings().prop_map(|workload_names| AccessRule::LogRule { workload_names }),
        ]
    }

    fn workload() -> impl Strategy<Value = Workload> {
        (
            (hostile(), hostile(), hostile(), map(), map()),
            (
                prop::collection::vec(rule(), 0..3),
                prop::collection::vec(rule(), 0..2),
                (hostile(), hostile(), any::<bool>()),
                map(),
            ),
        )
            .prop_map(
                |(
                    (agent, runtime, runtime_config, tags, configs),
                    (allow_rules, deny_rules, (mount_point, data, binary), node_selector),
                )| {
                    let file = if binary {
                        File {
                            mount_point,
                            data: None,
                            binary_data: Some(data),
                        }
                    } else {
                        File {
                            mount_point,
                            data: Some(data),
                            binary_data: None,
                        }
                    };
                    Workload {
                        agent,
                        runtime,
                        // The domain keeps it trimmed, as every reader does.
                        runtime_config: crate::state::trim_runtime_config(runtime_config),
                        tags,
                        configs,
                        control_interface_access: ControlInterfaceAccess {
                            allow_rules,
                            deny_rules,
                        },
                        files: vec![file],
                        node_selector,
                        ..Workload::default()
                    }
                },
            )
    }

    fn config() -> impl Strategy<Value = ConfigItem> {
        hostile()
            .prop_map(ConfigItem::String)
            .prop_recursive(2, 8, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3).prop_map(ConfigItem::Array),
                    prop::collection::btree_map(hostile(), inner, 0..3)
                        .prop_map(ConfigItem::Object),
                ]
            })
    }

    fn state() -> impl Strategy<Value = State> {
        (
            hostile(),
            prop::collection::btree_map(hostile(), workload(), 0..2),
            prop::collection::btree_map(hostile(), config(), 0..2),
        )
            .prop_map(|(api_version, workloads, configs)| State {
                api_version,
                workloads,
                configs,
            })
    }

    fn complete() -> impl Strategy<Value = CompleteState> {
        let exec = (prop::sample::select(ExecState::ALL.to_vec()), hostile())
            .prop_map(|(state, info)| ExecutionState::with_info(state, info));
        let states = prop::collection::btree_map(
            hostile(),
            prop::collection::btree_map(
                hostile(),
                prop::collection::btree_map(hostile(), exec, 0..2),
                0..2,
            ),
            0..2,
        );
        let agents = prop::collection::btree_map(
            hostile(),
            (map(), any::<u32>(), any::<u64>()).prop_map(|(tags, cpu_usage, free_memory)| {
                AgentAttributes {
                    tags,
                    status: AgentStatus {
                        cpu_usage,
                        free_memory,
                    },
                }
            }),
            0..2,
        );
        (state(), states, agents, prop::option::of(state())).prop_map(
            |(desired_state, workload_states, agents, effective_state)| CompleteState {
                desired_state,
                workload_states,
                agents,
                effective_state,
            },
        )
    }

    fn request() -> impl Strategy<Value = Request> {
        let content = prop_oneof![
            (complete(), strings(), any::<bool>()).prop_map(|(new_state, update_mask, dry_run)| {
                RequestContent::UpdateState(Box::new(UpdateStateRequest {
                    new_state,
                    update_mask,
                    dry_run,
                }))
            }),
            (strings(), any::<bool>()).prop_map(|(field_mask, subscribe)| {
                RequestContent::CompleteState(CompleteStateRequest {
                    field_mask,
                    subscribe,
                })
            }),
            (
                prop::collection::vec(instance(), 0..3),
                any::<bool>(),
                any::<Option<i32>>(),
                prop::option::of(hostile()),
                prop::option::of(hostile()),
            )
                .prop_map(|(names, follow, tail, since, until)| {
                    RequestContent::Logs(LogsRequest {
                        names,
                        follow,
                        tail,
                        since,
                        until,
                    })
                }),
            Just(RequestContent::LogsCancel),
            Just(RequestContent::EventsCancel),
        ];
        (hostile(), content).prop_map(|(id, content)| Request { id, content })
    }

    fn response() -> impl Strategy<Value = Response> {
        let altered = (strings(), strings(), strings()).prop_map(|(added, updated, removed)| {
            crate::mask::AlteredFields {
                added,
                updated,
                removed,
            }
        });
        let content = prop_oneof![
            hostile().prop_map(ResponseContent::Error),
            (complete(), prop::option::of(altered)).prop_map(|(state, altered)| {
                ResponseContent::CompleteState(Box::new(CompleteStateResponse { state, altered }))
            }),
            (strings(), strings()).prop_map(|(added, deleted)| {
                ResponseContent::UpdateStateSuccess(UpdateStateSuccess { added, deleted })
            }),
            prop::collection::vec(instance(), 0..3).prop_map(ResponseContent::LogsRequestAccepted),
            prop::collection::vec(
                (instance(), hostile())
                    .prop_map(|(workload, message)| LogEntry { workload, message }),
                0..3
            )
            .prop_map(ResponseContent::LogEntries),
            instance().prop_map(ResponseContent::LogsStop),
            Just(ResponseContent::LogsCancelAccepted),
            Just(ResponseContent::EventsCancelAccepted),
        ];
        (hostile(), content).prop_map(|(id, content)| Response { id, content })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn requests_survive_the_wire(original in request()) {
            let bytes = pb::Request::from(original.clone()).encode_to_vec();
            let wire = pb::Request::decode(bytes.as_slice()).expect("decodes");
            prop_assert_eq!(Request::try_from(wire), Ok(original));
        }

        #[test]
        fn responses_survive_the_wire(original in response()) {
            let bytes = pb::Response::from(original.clone()).encode_to_vec();
            let wire = pb::Response::decode(bytes.as_slice()).expect("decodes");
            prop_assert_eq!(Response::try_from(wire), Ok(original));
        }
    }

    #[test]
    fn broken_requests_say_what_ankaios_says() {
        let no_content = pb::Request {
            request_id: "r".into(),
            request_content: None,
        };
        let err = Request::try_from(no_content).expect_err("no content");
        assert_eq!(err.id, "r");
        assert_eq!(
            err.error.to_string(),
            "The Request does not contain any content"
        );
        assert_eq!(err.error.update_mask(), None);

        let no_state = pb::Request {
            request_id: "r".into(),
            request_content: Some(pb::request::RequestContent::UpdateStateRequest(
                pb::UpdateStateRequest {
                    new_state: None,
                    update_mask: vec!["desiredState".into()],
                    dry_run: false,
                },
            )),
        };
        let err = Request::try_from(no_state).expect_err("no state");
        assert_eq!(
            err.error.to_string(),
            "The UpdateStateRequest does not contain a new state"
        );
        assert_eq!(
            err.error.update_mask(),
            Some(&["desiredState".to_string()][..])
        );
    }

    #[test]
    fn a_stop_without_a_name_is_an_error_not_a_panic() {
        let wire = pb::Response {
            request_id: "r".into(),
            response_content: Some(pb::response::ResponseContent::LogsStopResponse(
                pb::LogsStopResponse {
                    workload_name: None,
                },
            )),
        };
        assert!(Response::try_from(wire).is_err());
        let empty = pb::Response::default();
        assert_eq!(
            Response::try_from(empty),
            Err(ConvertError::Missing("response content"))
        );
    }
}
