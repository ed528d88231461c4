//! The complete state the server holds and `ank get state` shows: the desired state, the
//! workload states reported by agents, and the connected agents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ExecutionState, State};

/// agent → workload → instance id → state, as Ankaios nests them.
pub type WorkloadStates = BTreeMap<String, BTreeMap<String, BTreeMap<String, ExecutionState>>>;

/// Everything the server knows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteState {
    /// What the user asked for.
    #[serde(default)]
    pub desired_state: State,
    /// What the agents report.
    #[serde(default)]
    pub workload_states: WorkloadStates,
    /// Connected agents.
    #[serde(default)]
    pub agents: BTreeMap<String, AgentAttributes>,
}

/// What the server knows of one connected agent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentAttributes {
    /// The tags the agent registered with (`ank-agent -t key=value`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Resource figures the agent reports.
    #[serde(default)]
    pub status: AgentStatus,
}

/// An agent's resource figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatus {
    /// CPU usage of the node in percent.
    pub cpu_usage: u32,
    /// Free memory of the node in bytes.
    pub free_memory: u64,
}
