//! The complete state the server holds and `ank get state` shows: the desired state, the
//! workload states reported by agents, and the connected agents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ExecutionState, State};

/// agent → workload → instance id → state, as Ankaios nests them.
pub type WorkloadStates = BTreeMap<String, BTreeMap<String, BTreeMap<String, ExecutionState>>>;

/// Everything the server knows, in the field order of Ankaios' `ank_base.CompleteState`.
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
    /// The desired state as the server applies it (Ankaios 1.1): templates rendered, each
    /// workload on the agent it was placed on, workload `configs` and top-level configs
    /// dropped. `None` where a field mask left it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_state: Option<State>,
}

/// What the server knows of one connected agent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentAttributes {
    /// The tags the agent registered with (`ank-agent -t key=value`); omitted when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
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
