//! What a wait waits for: one [`Expectation`] per workload or instance, judged on the
//! [`Snapshot`] of a complete state.

use std::collections::BTreeSet;

use ank_model::exec_state::{ExecState, Pending};
use ank_model::{CompleteState, WorkloadInstanceName};

use crate::client::UpdateOutcome;
use crate::table::{workload_rows, WorkloadRow};

/// What must become true of one workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The workload's name.
    pub workload: String,
    /// The instance concerned, when the server named it.
    pub instance: Option<WorkloadInstanceName>,
    /// The condition.
    pub goal: Goal,
}

/// The condition an expectation waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    /// Settled after an apply: Running(Ok), Succeeded(Ok), Failed, Pending(StartingFailed),
    /// NotScheduled, AgentDisconnected, or Pending(Initial) that only something outside this
    /// apply can change (see [`row_settled`]).
    Settled,
    /// Exactly this state (`ank wait --for=state=…`).
    State(ExecState),
    /// No longer shown (deleted).
    Gone,
}

/// What the wait looks at in one complete state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// All rows of the workloads table.
    pub rows: Vec<WorkloadRow>,
    /// The agents in the state's `agents` map.
    pub connected: BTreeSet<String>,
    /// The workloads of the desired state.
    pub desired: BTreeSet<String>,
}

impl Snapshot {
    /// The snapshot of a complete state.
    pub fn of(state: &CompleteState) -> Snapshot {
        Snapshot {
            rows: workload_rows(state),
            connected: state.agents.keys().cloned().collect(),
            desired: state.desired_state.workloads.keys().cloned().collect(),
        }
    }
}

impl Expectation {
    /// True when the expectation is about this row.
    pub(super) fn concerns(&self, row: &WorkloadRow) -> bool {
        row.name == self.workload
            && self
                .instance
                .as_ref()
                .is_none_or(|i| i.id == row.instance_id && i.agent_name == row.agent)
    }

    /// True when the snapshot meets the goal.
    pub fn holds(&self, snapshot: &Snapshot) -> bool {
        let mine: Vec<&WorkloadRow> = snapshot.rows.iter().filter(|r| self.concerns(r)).collect();
        match &self.goal {
            Goal::Gone => mine.is_empty(),
            Goal::Settled | Goal::State(_) => {
                !mine.is_empty() && mine.iter().all(|r| self.met_by(r, &snapshot.connected))
            }
        }
    }

    /// True when this row (one the expectation concerns) is where the goal wants it.
    pub(super) fn met_by(&self, row: &WorkloadRow, connected: &BTreeSet<String>) -> bool {
        match &self.goal {
            Goal::Gone => false,
            Goal::Settled => row_settled(row, connected),
            Goal::State(want) => row.state == Some(*want),
        }
    }
}

/// Whether a row ends `ank apply`'s wait: a settled state, or `Pending(Initial)` that only
/// something outside this apply can change: its agent is not connected (not in `connected`),
/// or the server gave a reason (no connected agent matches its nodeSelector).
pub(super) fn row_settled(row: &WorkloadRow, connected: &BTreeSet<String>) -> bool {
    match row.state {
        Some(ExecState::Pending(Pending::Initial)) => {
            !row.additional_info.is_empty() || !connected.contains(&row.agent)
        }
        Some(state) => settled(state),
        None => false,
    }
}

/// Whether a state ends `ank apply`'s wait.
fn settled(state: ExecState) -> bool {
    matches!(
        state,
        ExecState::Running
            | ExecState::Succeeded
            | ExecState::Failed(_)
            | ExecState::Pending(Pending::StartingFailed)
            | ExecState::NotScheduled
            | ExecState::AgentDisconnected
    )
}

/// Added instances must settle, deleted ones disappear; with `delete`, the workloads `names`
/// must be gone. An instance both deleted and added (updated in place: the same runtimeConfig
/// under other rules, tags or policy) is restarted, so it must settle again.
pub fn expectations(names: &[String], outcome: &UpdateOutcome, delete: bool) -> Vec<Expectation> {
    let mut out: Vec<Expectation> = outcome
        .deleted
        .iter()
        .filter(|i| !outcome.added.contains(i))
        .map(|i| Expectation {
            workload: i.workload_name.clone(),
            instance: Some(i.clone()),
            goal: Goal::Gone,
        })
        .collect();
    for name in names {
        if delete {
            out.push(Expectation {
                workload: name.clone(),
                instance: None,
                goal: Goal::Gone,
            });
            continue;
        }
        let added: Vec<_> = outcome
            .added
            .iter()
            .filter(|i| &i.workload_name == name)
            .collect();
        if added.is_empty() {
            out.push(Expectation {
                workload: name.clone(),
                instance: None,
                goal: Goal::Settled,
            });
        }
        out.extend(added.into_iter().map(|i| Expectation {
            workload: name.clone(),
            instance: Some(i.clone()),
            goal: Goal::Settled,
        }));
    }
    out
}
