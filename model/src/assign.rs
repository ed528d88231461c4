//! What the server assigns an agent and hears back from it, as domain values: a workload to
//! run ([`AddedWorkload`], templates rendered, instance name computed), one to remove
//! ([`DeletedWorkload`]), and the execution state of an instance ([`InstanceState`]).
//! `convert` (feature `grpc`) is the one place that turns them into the `anchorage` wire
//! messages and back.

use std::collections::BTreeMap;

use crate::WorkloadInstanceName;
use crate::{AddCondition, ControlInterfaceAccess, ExecutionState, File, RestartPolicy};

/// A workload as the server assigns it to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedWorkload {
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
    /// The workload's tags.
    pub tags: BTreeMap<String, String>,
    /// Rendered files.
    pub files: Vec<File>,
    /// Who may use the control interface; none exists without allow rules.
    pub control_interface_access: ControlInterfaceAccess,
    /// What the agent does with it while cut off from the server.
    pub disconnect_policy: crate::DisconnectPolicy,
}

/// A delete: the instance and its dependents that must not be pending or running any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedWorkload {
    /// The instance to remove.
    pub instance: WorkloadInstanceName,
    /// Dependents (by workload name) that hold the delete back while pending or running.
    pub dependents: BTreeMap<String, AddCondition>,
}

/// The execution state of one instance, as agents report it and the server broadcasts it.
pub type InstanceState = (WorkloadInstanceName, ExecutionState);

/// The server's first message of a session: the agent's workloads and the states it knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// Every workload the agent is to run.
    pub added: Vec<AddedWorkload>,
    /// The execution states the server knows (for dependencies).
    pub states: Vec<InstanceState>,
    /// Set by a server that started without a durable desired state, within its startup
    /// grace: how much longer the agent keeps the workloads it runs that are not listed
    /// (an operator may still re-apply them). `None`: stop them now, as Ankaios does.
    pub keep_unlisted: Option<std::time::Duration>,
}

/// A message of the server to an agent after its hello, as the agent's loop handles it.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// Workloads to start and to remove.
    Update {
        /// To start.
        added: Vec<AddedWorkload>,
        /// To remove.
        deleted: Vec<DeletedWorkload>,
    },
    /// Execution states of workloads (of any agent).
    States(Vec<InstanceState>),
    /// The answer to a workload's forwarded request (id `<workload>@<id>`).
    Response(crate::api::Response),
    /// Logs a client wants (or a cancel of them), under the server's request id.
    Logs(crate::api::Request),
    /// The server refuses the agent; the session ends.
    Refused(String),
    /// The echo of the agent's heartbeat: the link is alive (handled by the connection).
    Heartbeat,
}
