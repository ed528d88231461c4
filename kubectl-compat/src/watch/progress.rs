//! The pure part of a wait: complete states in, the rows to show (with whether each still
//! moves) and whether every expectation holds out.

use std::collections::{BTreeMap, BTreeSet};

use ank_model::exec_state::ExecState;
use ank_model::WorkloadInstanceName;

use super::goal::{expectations, row_settled, Expectation, Snapshot};
use crate::client::UpdateOutcome;
use crate::table::{wait_table, WorkloadRow};

/// The rows of one step of the wait, each with whether it still moves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// Every expectation holds.
    pub done: bool,
    /// The rows shown, sorted by name, agent and instance, and whether each still moves.
    pub rows: Vec<(WorkloadRow, bool)>,
}

impl View {
    /// The wait table with `spinner` in the slot of the rows that still move.
    pub fn table(&self, spinner: char) -> String {
        let rows: Vec<(WorkloadRow, Option<char>)> = self
            .rows
            .iter()
            .map(|(row, moving)| (row.clone(), moving.then_some(spinner)))
            .collect();
        wait_table(&rows)
    }
}

/// How the local state shows that it took in the update: until it does, nothing is shown.
/// The server publishes the update's own change (desired state, first states of the added
/// instances) after it answered; an instance it removes shows the update once its agent acted
/// on it (a new state, or gone), as the first table of Ankaios' `ank delete` shows it.
#[derive(Debug, Clone, Default)]
struct Update {
    /// Workloads the update puts in the desired state.
    applied: Vec<String>,
    /// Workloads it takes out.
    deleted: Vec<String>,
    /// Instances it adds on an agent (the server reports their first state with the update).
    added: Vec<WorkloadInstanceName>,
    /// Instances it removes.
    removing: Vec<WorkloadInstanceName>,
    /// The states of the removed instances in the first state seen (from before the update).
    before: Option<BTreeMap<RowKey, String>>,
}

/// A row's workload, agent and instance id.
type RowKey = (String, String, String);

fn key(row: &WorkloadRow) -> RowKey {
    (row.name.clone(), row.agent.clone(), row.instance_id.clone())
}

fn instance_key(i: &WorkloadInstanceName) -> RowKey {
    (i.workload_name.clone(), i.agent_name.clone(), i.id.clone())
}

impl Update {
    /// Whether `snapshot` shows the update; the first snapshot seen gives the states before.
    fn visible_in(&mut self, snapshot: &Snapshot) -> bool {
        let rows: BTreeMap<RowKey, String> = snapshot
            .rows
            .iter()
            .map(|r| {
                (
                    key(r),
                    format!("{} {}", r.execution_state, r.additional_info),
                )
            })
            .collect();
        let before = self.before.get_or_insert_with(|| rows.clone());
        let acted_on = |i: &&WorkloadInstanceName| {
            let k = instance_key(i);
            rows.get(&k).is_none_or(|now| before.get(&k) != Some(now))
        };
        self.applied.iter().all(|w| snapshot.desired.contains(w))
            && !self.deleted.iter().any(|w| snapshot.desired.contains(w))
            && self
                .added
                .iter()
                .filter(|i| !i.agent_name.is_empty())
                .all(|i| rows.contains_key(&instance_key(i)))
            && self.removing.iter().all(|i| acted_on(&i))
    }
}

/// The pure state of a wait: the expectations, the workloads shown, the instances seen so far
/// (shown as `Removed` once they vanish), and the update to see before anything is shown.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub(super) expectations: Vec<Expectation>,
    shown: Vec<String>,
    seen: BTreeMap<RowKey, WorkloadRow>,
    update: Option<Update>,
}

impl Progress {
    /// Waits for `expectations`, showing the rows of the `shown` workloads; `removing` are
    /// instances shown as `Removed` once gone even if never seen.
    pub fn new(
        expectations: Vec<Expectation>,
        shown: Vec<String>,
        removing: &[WorkloadInstanceName],
    ) -> Progress {
        let mut progress = Progress {
            expectations,
            shown,
            ..Progress::default()
        };
        for i in removing {
            let row = WorkloadRow {
                name: i.workload_name.clone(),
                agent: i.agent_name.clone(),
                instance_id: i.id.clone(),
                ..WorkloadRow::default()
            };
            progress.remember(row);
        }
        progress
    }

    /// The wait after an update of the workloads `names` (added or updated, or with `delete`
    /// deleted) that the server answered with `outcome`; the states from before the update
    /// shows in the local state are not shown.
    pub fn after_update(names: Vec<String>, outcome: &UpdateOutcome, delete: bool) -> Progress {
        let update = Update {
            applied: if delete { Vec::new() } else { names.clone() },
            deleted: if delete { names.clone() } else { Vec::new() },
            added: outcome.added.clone(),
            removing: outcome.deleted.clone(),
            before: None,
        };
        let expectations = expectations(&names, outcome, delete);
        Progress {
            update: Some(update),
            ..Progress::new(expectations, names, &outcome.deleted)
        }
    }

    /// True when nothing is to be waited for.
    pub fn is_empty(&self) -> bool {
        self.expectations.is_empty()
    }

    /// Shows the states from now on even if the update does not show in them (an agent that
    /// does not act on a removal would otherwise leave the screen empty).
    pub fn reveal(&mut self) {
        self.update = None;
    }

    /// True while the update does not show in the states seen.
    pub fn hidden(&self) -> bool {
        self.update.is_some()
    }

    fn remember(&mut self, row: WorkloadRow) {
        if self.shown.contains(&row.name) && !row.instance_id.is_empty() {
            self.seen.insert(key(&row), row);
        }
    }

    /// Takes the next state: whether every expectation holds, and the rows to show (none
    /// while the state does not show the update yet).
    pub fn observe(&mut self, snapshot: &Snapshot) -> View {
        if let Some(update) = &mut self.update {
            if !update.visible_in(snapshot) {
                return View::default();
            }
            self.update = None;
        }
        let done = self.expectations.iter().all(|e| e.holds(snapshot));
        let live: Vec<&WorkloadRow> = snapshot
            .rows
            .iter()
            .filter(|r| self.shown.contains(&r.name))
            .collect();
        let mut rows: Vec<(WorkloadRow, bool)> = live
            .iter()
            .map(|r| ((*r).clone(), self.moving(r, &snapshot.connected)))
            .collect();
        let present: BTreeSet<RowKey> = live.iter().map(|r| key(r)).collect();
        for (k, row) in &self.seen {
            if !present.contains(k) {
                rows.push((removed(row), false));
            }
        }
        for row in live {
            self.remember(row.clone());
        }
        rows.sort_by_key(|(r, _)| key(r));
        View { done, rows }
    }

    /// A live row still moves while an expectation about it is not met (a row no expectation
    /// names moves until it settles).
    fn moving(&self, row: &WorkloadRow, connected: &BTreeSet<String>) -> bool {
        let mut mine = self
            .expectations
            .iter()
            .filter(|e| e.concerns(row))
            .peekable();
        if mine.peek().is_none() {
            return !row_settled(row, connected);
        }
        mine.any(|e| !e.met_by(row, connected))
    }
}

/// The row of an instance that is gone: its name and agent, `Removed`, nothing else.
fn removed(row: &WorkloadRow) -> WorkloadRow {
    WorkloadRow {
        name: row.name.clone(),
        agent: row.agent.clone(),
        state: Some(ExecState::Removed),
        execution_state: ExecState::Removed.to_string(),
        instance_id: row.instance_id.clone(),
        ..WorkloadRow::default()
    }
}
