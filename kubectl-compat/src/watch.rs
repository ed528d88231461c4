//! Waiting for workloads, event-driven: subscribe to state events, keep a local copy of the
//! complete state up to date with each event, and stop once every expectation holds. `ank
//! apply`, `run`, `delete` and `wait` use it.
//!
//! This module owns what is printed while waiting after an update, as Ankaios prints it:
//! [`APPLIED`], then the wait table ([`crate::table::wait_table`]) of the workloads concerned,
//! with a spinner slot before each state that still moves. On a terminal the table is redrawn
//! in place and the spinner turns (`|/-\`); otherwise every new version of the table is printed
//! whole, followed by a blank line, so a log shows each step (`Pending(Initial)` →
//! `Pending(Starting)` → `Running(Ok)`). An instance that vanished while it was shown (deleted,
//! or replaced by an update) stays in the table as `Removed`, with an empty RUNTIME, as Ankaios
//! shows it.
//!
//! To see every step, [`Watch::start`] subscribes *before* the update is sent, and each event
//! is applied to the local state ([`apply_event`]) instead of reading the state again (which
//! would skip the steps in between). The versions before the update shows in the state are
//! not shown ([`Progress::after_update`]).
//!
//! [`Progress`] is the pure part (states in, rows and "done" out), so the tables can be tested
//! against a sequence of complete states; [`wait_for`] drives it from the server.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::time::Duration;

use ank_model::exec_state::{ExecState, Pending};
use ank_model::{CompleteState, WorkloadInstanceName};
use futures::{FutureExt, Stream, StreamExt};

use crate::client::{Client, ClientError, StateEvent, UpdateOutcome};
use crate::table::{wait_table, workload_rows, WorkloadRow};

/// Printed after a successful update, before the wait table (the blank line included).
pub const APPLIED: &str = "Successfully applied the manifest(s).\n\
    Waiting for workload(s) to reach desired states (press Ctrl+C to interrupt).\n\n";

/// Printed after a successful update when no workload is to be waited for.
pub const APPLIED_ONLY: &str = "Successfully applied the manifest(s).\n";

/// How long the states may not show the update before they are shown anyway.
const REVEAL_AFTER: Duration = Duration::from_secs(1);

/// The spinner's turns on a terminal; the non-terminal output shows the first one only.
const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

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

/// Why waiting stopped early.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The server call failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The event stream ended before the goals were met.
    #[error("the server closed the event stream")]
    StreamEnded,
    /// `--timeout` passed.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// stdout cannot be written.
    #[error("cannot write to stdout")]
    Output(#[from] std::io::Error),
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
    fn concerns(&self, row: &WorkloadRow) -> bool {
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
    fn met_by(&self, row: &WorkloadRow, connected: &BTreeSet<String>) -> bool {
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
fn row_settled(row: &WorkloadRow, connected: &BTreeSet<String>) -> bool {
    match row.state {
        Some(ExecState::Pending(Pending::Initial)) => {
            !row.additional_info.is_empty() || !connected.contains(&row.agent)
        }
        Some(state) => settled(state),
        None => false,
    }
}

/// Whether a state ends `ank apply`'s wait.
pub fn settled(state: ExecState) -> bool {
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
/// must be gone.
pub fn expectations(names: &[String], outcome: &UpdateOutcome, delete: bool) -> Vec<Expectation> {
    let mut out: Vec<Expectation> = outcome
        .deleted
        .iter()
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
    expectations: Vec<Expectation>,
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

/// Applies one message of a state subscription to the local copy of the complete state, as far
/// as the wait looks at it: instance states, connected agents, and the workloads with their
/// agent and runtime. The first message (no altered fields) is the whole state. An event
/// carries the added and updated parts only, and names the removed paths: instance states
/// come whole (an instance's state is one value), agents matter by name only, a workload comes
/// whole when it is added and field by field when it is updated.
pub fn apply_event(local: &mut CompleteState, event: StateEvent) {
    let Some(altered) = event.altered else {
        *local = event.state;
        return;
    };
    for path in &altered.removed {
        let parts: Vec<&str> = path.split('.').collect();
        let states = &mut local.workload_states;
        match parts.as_slice() {
            ["desiredState"] | ["desiredState", "workloads"] => {
                local.desired_state.workloads.clear();
            }
            ["desiredState", "workloads", name] => {
                local.desired_state.workloads.remove(*name);
            }
            ["workloadStates"] => states.clear(),
            ["workloadStates", agent] => {
                states.remove(*agent);
            }
            ["workloadStates", agent, workload] => {
                if let Some(w) = states.get_mut(*agent) {
                    w.remove(*workload);
                }
            }
            ["workloadStates", agent, workload, id] => {
                if let Some(ids) = states.get_mut(*agent).and_then(|w| w.get_mut(*workload)) {
                    ids.remove(*id);
                }
            }
            ["agents"] => local.agents.clear(),
            ["agents", name] => {
                local.agents.remove(*name);
            }
            _ => {}
        }
    }
    let event = event.state;
    for (agent, workloads) in event.workload_states {
        let mine = local.workload_states.entry(agent).or_default();
        for (workload, ids) in workloads {
            mine.entry(workload).or_default().extend(ids);
        }
    }
    for (name, attributes) in event.agents {
        local.agents.entry(name).or_insert(attributes);
    }
    let workloads = &event.desired_state.workloads;
    for path in altered.added.iter().chain(&altered.updated) {
        let parts: Vec<&str> = path.split('.').collect();
        let mine = &mut local.desired_state.workloads;
        match parts.as_slice() {
            ["desiredState"] | ["desiredState", "workloads"] => mine.clone_from(workloads),
            ["desiredState", "workloads", name] => {
                if let Some(w) = workloads.get(*name) {
                    mine.insert((*name).to_owned(), w.clone());
                }
            }
            ["desiredState", "workloads", name, field @ ("agent" | "runtime"), ..] => {
                if let (Some(mine), Some(new)) = (mine.get_mut(*name), workloads.get(*name)) {
                    if *field == "agent" {
                        mine.agent.clone_from(&new.agent);
                    } else {
                        mine.runtime.clone_from(&new.runtime);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The non-terminal output: each version of the table that differs from the previous one,
/// whole, followed by a blank line; the spinner slot shows `|`.
#[derive(Debug, Default)]
pub struct Versions {
    last: String,
}

impl Versions {
    /// The text to print for this view, if the table changed.
    pub fn next(&mut self, view: &View) -> Option<String> {
        if view.rows.is_empty() {
            return None;
        }
        let table = view.table(SPINNER[0]);
        if table == self.last {
            return None;
        }
        self.last.clone_from(&table);
        Some(table + "\n")
    }
}

/// The subscription's messages.
type Events = Pin<Box<dyn Stream<Item = Result<StateEvent, ClientError>>>>;

/// A state subscription and the local copy of the complete state it keeps up to date.
pub struct Watch {
    events: Events,
    state: CompleteState,
}

impl Watch {
    /// Subscribes and takes the current state (the subscription's first message); start it
    /// before sending an update, so that no step of it is missed.
    pub async fn start(client: &mut Client) -> Result<Watch, WatchError> {
        let mut watch = Watch {
            events: Box::pin(client.state_events(&[]).await?),
            state: CompleteState::default(),
        };
        watch.next().await?;
        Ok(watch)
    }

    /// Waits for the next message and applies it.
    async fn next(&mut self) -> Result<(), WatchError> {
        match self.events.next().await {
            Some(event) => {
                apply_event(&mut self.state, event?);
                Ok(())
            }
            None => Err(WatchError::StreamEnded),
        }
    }

    /// Applies the messages that are already there.
    fn drain(&mut self) -> Result<(), WatchError> {
        while let Some(item) = self.events.next().now_or_never() {
            match item {
                Some(event) => apply_event(&mut self.state, event?),
                None => return Err(WatchError::StreamEnded),
            }
        }
        Ok(())
    }
}

/// After a successful update: unless `quiet`, prints [`APPLIED`] (or [`APPLIED_ONLY`] when there
/// is nothing to wait for) and the wait table while waiting; then waits until `progress` is done.
pub async fn wait_after_update(
    watch: Watch,
    progress: Progress,
    quiet: bool,
) -> Result<CompleteState, WatchError> {
    if !quiet {
        let mut out = std::io::stdout().lock();
        out.write_all(
            if progress.is_empty() {
                APPLIED_ONLY
            } else {
                APPLIED
            }
            .as_bytes(),
        )?;
        out.flush()?;
    }
    wait_for(watch, progress, !quiet, None).await
}

/// Where the wait table goes.
enum Screen {
    /// Nowhere.
    Off,
    /// A terminal: redrawn in place; `drawn` lines are on screen.
    Terminal { drawn: usize, frame: usize },
    /// A pipe or file: every new version whole.
    Log(Versions),
}

impl Screen {
    fn show(&mut self, view: &View) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        match self {
            Screen::Off => return Ok(()),
            Screen::Terminal { drawn, frame } => {
                if *drawn > 0 {
                    write!(out, "\x1b[{drawn}A\x1b[J")?;
                }
                let text = if view.rows.is_empty() {
                    String::new()
                } else {
                    view.table(SPINNER[*frame % SPINNER.len()])
                };
                out.write_all(text.as_bytes())?;
                *drawn = text.lines().count();
            }
            Screen::Log(versions) => {
                if let Some(text) = versions.next(view) {
                    out.write_all(text.as_bytes())?;
                }
            }
        }
        out.flush()
    }

    /// Turns the spinner (terminal only).
    fn turn(&mut self) {
        if let Screen::Terminal { frame, .. } = self {
            *frame += 1;
        }
    }
}

/// Waits until `progress` is done; with `show`, prints the wait table as the module doc says.
/// Every event is shown in a log; elsewhere a burst of events (1 000 workloads starting) is
/// taken in whole before the table is drawn again.
pub async fn wait_for(
    mut watch: Watch,
    mut progress: Progress,
    show: bool,
    timeout: Option<Duration>,
) -> Result<CompleteState, WatchError> {
    let tty = std::io::stdout().is_terminal();
    let mut screen = match (show, tty) {
        (false, _) => Screen::Off,
        (true, true) => Screen::Terminal { drawn: 0, frame: 0 },
        (true, false) => Screen::Log(Versions::default()),
    };
    let every_event = matches!(screen, Screen::Log(_));
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let reveal_at = tokio::time::Instant::now() + REVEAL_AFTER;
    loop {
        if !every_event {
            watch.drain()?;
        }
        let snapshot = Snapshot::of(&watch.state);
        let view = progress.observe(&snapshot);
        screen.show(&view)?;
        if view.done {
            return Ok(watch.state);
        }
        // Spinner turns redraw the same view; the next message leaves this loop.
        loop {
            tokio::select! {
                next = watch.next() => {
                    next?;
                    break;
                }
                _ = tick.tick(), if matches!(screen, Screen::Terminal { .. }) => {
                    screen.turn();
                    screen.show(&view)?;
                }
                _ = tokio::time::sleep_until(reveal_at), if progress.hidden() => {
                    progress.reveal();
                    break;
                }
                _ = sleep_until(deadline) => {
                    let pending: Vec<&str> = progress
                        .expectations
                        .iter()
                        .filter(|e| !e.holds(&snapshot))
                        .map(|e| e.workload.as_str())
                        .collect();
                    return Err(WatchError::Timeout(format!(
                        "workloads/{}",
                        pending.join(", workloads/")
                    )));
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use ank_model::exec_state::{Failed, Stopping};

    use super::*;
    use crate::client::UpdateOutcome;
    use crate::table::tests::lines;

    fn row(name: &str, id: &str, state: Option<ExecState>) -> WorkloadRow {
        WorkloadRow {
            name: name.into(),
            agent: "agent_A".into(),
            runtime: "native".into(),
            state,
            instance_id: id.into(),
            ..WorkloadRow::default()
        }
    }

    /// The rows with agent_A connected.
    fn snap(rows: &[WorkloadRow]) -> Snapshot {
        Snapshot {
            rows: rows.to_vec(),
            connected: ["agent_A".to_owned()].into(),
            ..Snapshot::default()
        }
    }

    fn expect(goal: Goal, instance: Option<&str>) -> Expectation {
        Expectation {
            workload: "w".into(),
            instance: instance.map(|id| WorkloadInstanceName {
                workload_name: "w".into(),
                agent_name: "agent_A".into(),
                id: id.into(),
            }),
            goal,
        }
    }

    #[test]
    fn settled_needs_a_target_state() {
        let e = expect(Goal::Settled, None);
        assert!(!e.holds(&snap(&[])));
        assert!(!e.holds(&snap(&[row(
            "w",
            "1",
            Some(ExecState::Pending(Pending::Starting))
        )])));
        assert!(e.holds(&snap(&[row("w", "1", Some(ExecState::Running))])));
        assert!(e.holds(&snap(&[row(
            "w",
            "1",
            Some(ExecState::Failed(Failed::ExecFailed))
        )])));
        assert!(e.holds(&snap(&[row("w", "", Some(ExecState::NotScheduled))])));
        assert!(!e.holds(&snap(&[row(
            "w",
            "1",
            Some(ExecState::Pending(Pending::Initial))
        )])));
        let mut unplaced = row("w", "1", Some(ExecState::Pending(Pending::Initial)));
        unplaced.additional_info = "no connected agent matches nodeSelector zone=back".into();
        assert!(e.holds(&snap(&[unplaced])));
    }

    #[test]
    fn initial_on_an_agent_not_connected_is_settled() {
        let e = expect(Goal::Settled, None);
        let mut away = row("w", "1", Some(ExecState::Pending(Pending::Initial)));
        away.agent = "agent_Z".into();
        let with = |connected: &[&str]| Snapshot {
            rows: vec![away.clone()],
            connected: connected.iter().map(|a| (*a).to_owned()).collect(),
            ..Snapshot::default()
        };
        assert!(e.holds(&with(&["agent_A"])));
        assert!(e.holds(&with(&[])));
        assert!(!e.holds(&with(&["agent_A", "agent_Z"])));
    }

    #[test]
    fn an_instance_goal_ignores_other_instances() {
        let rows = snap(&[
            row("w", "old", Some(ExecState::Running)),
            row("w", "new", Some(ExecState::Pending(Pending::Initial))),
        ]);
        assert!(!expect(Goal::Settled, Some("new")).holds(&rows));
        assert!(!expect(Goal::Gone, Some("old")).holds(&rows));
        assert!(expect(Goal::Gone, Some("other")).holds(&rows));
    }

    #[test]
    fn exact_state_goal() {
        let e = expect(Goal::State(ExecState::Running), None);
        assert!(e.holds(&snap(&[row("w", "1", Some(ExecState::Running))])));
        assert!(!e.holds(&snap(&[row("w", "1", Some(ExecState::Succeeded))])));
    }

    /// `ank apply m2.yaml` with stdout not a terminal (ankaios-samples.md), after [`APPLIED`].
    const SAMPLE_APPLY: &[&str] = &[
        "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE    ADDITIONAL INFO",
        "job2            agent_S   unknown-runtime   | Pending(Initial)                  ",
        "",
        "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE     ADDITIONAL INFO      ",
        "job2            agent_S   unknown-runtime   | Pending(Starting)   Triggered at runtime.",
        "",
        "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE           ADDITIONAL INFO    ",
        "job2            agent_S   unknown-runtime     Pending(StartingFailed)   Unsupported Runtime",
        "",
    ];

    /// `ank delete workload job2` with stdout not a terminal, after [`APPLIED`].
    const SAMPLE_DELETE: &[&str] = &[
        "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE                ADDITIONAL INFO",
        "job2            agent_S             | Stopping(RequestedAtRuntime)                  ",
        "",
        "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE   ADDITIONAL INFO",
        "job2            agent_S               Removed                          ",
        "",
    ];

    const JOB2_ID: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// m2.yaml's job2 on agent_S (connected) in `state(sub)` with `info`; `desired` says
    /// whether it is still in the desired state, `state` None leaves it without a state.
    fn job2(desired: bool, state: Option<(&str, &str, &str)>) -> CompleteState {
        let workloads = if desired {
            r#"{"job2": {"agent": "agent_S", "restartPolicy": "NEVER", "runtime": "unknown-runtime", "runtimeConfig": ""}}"#
        } else {
            "{}"
        };
        let states = match state {
            Some((state, sub, info)) => format!(
                r#"{{"agent_S": {{"job2": {{"{JOB2_ID}": {{"additionalInfo": "{info}", "state": "{state}", "subState": "{sub}"}}}}}}}}"#
            ),
            None => "{}".to_owned(),
        };
        let json = format!(
            r#"{{"desiredState": {{"apiVersion": "v1", "workloads": {workloads}}},
                "workloadStates": {states},
                "agents": {{"agent_S": {{"status": {{"cpuUsage": 3, "freeMemory": 24680841216}}}}}}}}"#
        );
        serde_json::from_str(&json).expect("the test state parses")
    }

    /// `state` with job2's instance `id` on agent_S in `exec`.
    fn with_job2(mut state: CompleteState, id: &str, exec: ExecState) -> CompleteState {
        state
            .workload_states
            .entry("agent_S".into())
            .or_default()
            .entry("job2".into())
            .or_default()
            .insert(id.into(), ank_model::ExecutionState::new(exec));
        state
    }

    fn job2_instance() -> WorkloadInstanceName {
        WorkloadInstanceName {
            workload_name: "job2".into(),
            agent_name: "agent_S".into(),
            id: JOB2_ID.into(),
        }
    }

    /// The wait `ank` sets up after the server's answer for job2: `added` and `deleted`
    /// instances, the workload itself deleted (`ank delete`) or applied.
    fn job2_progress(
        added: &[WorkloadInstanceName],
        deleted: &[WorkloadInstanceName],
        delete: bool,
    ) -> Progress {
        let outcome = UpdateOutcome {
            added: added.to_vec(),
            deleted: deleted.to_vec(),
        };
        Progress::after_update(vec!["job2".to_owned()], &outcome, delete)
    }

    #[test]
    fn the_announcement_matches_the_sample() {
        let expected = lines(&[
            "Successfully applied the manifest(s).",
            "Waiting for workload(s) to reach desired states (press Ctrl+C to interrupt).",
            "",
        ]);
        assert_eq!(APPLIED, expected);
        assert_eq!(APPLIED_ONLY, "Successfully applied the manifest(s).\n");
    }

    /// What `ank apply`/`delete` print after [`APPLIED`] with stdout not a terminal, for this
    /// sequence of states, and whether the wait ended with the last one (and not before).
    fn transcript(mut progress: Progress, states: &[CompleteState]) -> (String, bool) {
        let mut text = String::new();
        let mut versions = Versions::default();
        let mut done_early = false;
        let mut done = false;
        for (i, state) in states.iter().enumerate() {
            let view = progress.observe(&Snapshot::of(state));
            text.extend(versions.next(&view));
            done_early |= view.done && i + 1 < states.len();
            done = view.done;
        }
        (text, done && !done_early)
    }

    /// Asserts that the states make `progress` print `sample` and end the wait with the last.
    fn assert_prints(progress: Progress, states: &[CompleteState], sample: &[&str]) {
        let (text, done_at_the_end) = transcript(progress, states);
        assert_eq!(text, lines(sample));
        assert!(
            done_at_the_end,
            "the wait ends with the last state, not before"
        );
    }

    #[test]
    fn apply_output_matches_the_sample() {
        let progress = job2_progress(&[job2_instance()], &[], false);
        let starting = job2(true, Some(("Pending", "Starting", "Triggered at runtime.")));
        let mut busy_agent = starting.clone();
        if let Some(a) = busy_agent.agents.get_mut("agent_S") {
            a.status.cpu_usage = 2;
        }
        let states = [
            // Before the update: not shown.
            job2(false, None),
            job2(true, Some(("Pending", "Initial", ""))),
            starting,
            busy_agent,
            job2(
                true,
                Some(("Pending", "StartingFailed", "Unsupported Runtime")),
            ),
        ];
        assert_prints(progress, &states, SAMPLE_APPLY);
    }

    #[test]
    fn delete_output_matches_the_sample() {
        let progress = job2_progress(&[], &[job2_instance()], true);
        let failed = Some(("Pending", "StartingFailed", "Unsupported Runtime"));
        let states = [
            // Before the update, and the update without the agent's answer: not shown.
            job2(true, failed),
            job2(false, failed),
            job2(false, Some(("Stopping", "RequestedAtRuntime", ""))),
            job2(false, None),
        ];
        assert_prints(progress, &states, SAMPLE_DELETE);
    }

    #[test]
    fn a_deleted_instance_gone_before_the_first_read_shows_removed() {
        let mut progress = job2_progress(&[], &[job2_instance()], true);
        let view = progress.observe(&Snapshot::of(&job2(false, None)));
        assert!(view.done);
        let expected = lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE   ADDITIONAL INFO",
            "job2            agent_S               Removed                          ",
        ]);
        assert_eq!(view.table('|'), expected);
    }

    #[test]
    fn an_update_shows_the_old_instance_removed_and_the_new_one_settling() {
        let old = WorkloadInstanceName {
            id: "0ld".into(),
            ..job2_instance()
        };
        let mut progress = job2_progress(&[job2_instance()], std::slice::from_ref(&old), false);
        let before = with_job2(job2(true, None), &old.id, ExecState::Running);
        let view = progress.observe(&Snapshot::of(&before));
        assert_eq!(
            view,
            View::default(),
            "the state before the update is not shown"
        );
        let stopping = ExecState::Stopping(Stopping::Stopping);
        let both = with_job2(
            job2(true, Some(("Pending", "Initial", ""))),
            &old.id,
            stopping,
        );
        let view = progress.observe(&Snapshot::of(&both));
        assert!(!view.done);
        let expected = lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE      ADDITIONAL INFO",
            "job2            agent_S   unknown-runtime   - Stopping(Stopping)                  ",
            "job2            agent_S   unknown-runtime   - Pending(Initial)                    ",
        ]);
        assert_eq!(view.table('-'), expected);
        let view = progress.observe(&Snapshot::of(&job2(true, Some(("Running", "Ok", "")))));
        assert!(view.done);
        let expected = lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME             EXECUTION STATE   ADDITIONAL INFO",
            "job2            agent_S                       Removed                          ",
            "job2            agent_S   unknown-runtime     Running(Ok)                      ",
        ]);
        assert_eq!(view.table('-'), expected);
    }

    #[test]
    fn an_update_waits_for_the_new_instance_and_the_old_one_gone() {
        let inst = |id: &str| WorkloadInstanceName {
            workload_name: "web".into(),
            agent_name: "a".into(),
            id: id.into(),
        };
        let outcome = UpdateOutcome {
            added: vec![inst("new")],
            deleted: vec![inst("old")],
        };
        let e = expectations(&["web".into(), "idle".into()], &outcome, false);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].goal, Goal::Gone);
        assert_eq!(e[1].instance.as_ref().map(|i| i.id.as_str()), Some("new"));
        assert_eq!(
            (e[2].workload.as_str(), &e[2].goal),
            ("idle", &Goal::Settled)
        );
    }

    /// One event: the altered parts as JSON, and the altered paths.
    fn event(state: &str, added: &[&str], updated: &[&str], removed: &[&str]) -> StateEvent {
        let paths = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect();
        StateEvent {
            state: serde_json::from_str(state).expect("the event state parses"),
            altered: Some(ank_model::mask::AlteredFields {
                added: paths(added),
                updated: paths(updated),
                removed: paths(removed),
            }),
        }
    }

    /// `workloadStates` with job2 on agent_S in `state(sub)` with `info`, as an event carries it.
    fn job2_state(state: &str, sub: &str, info: &str) -> String {
        format!(
            r#"{{"workloadStates": {{"agent_S": {{"job2": {{"{JOB2_ID}": {{"additionalInfo": "{info}", "state": "{state}", "subState": "{sub}"}}}}}}}}}}"#
        )
    }

    /// The local states after each of `events`, from `start`.
    fn replay(start: CompleteState, events: Vec<StateEvent>) -> Vec<CompleteState> {
        let mut local = start;
        let mut states = vec![local.clone()];
        for e in events {
            apply_event(&mut local, e);
            states.push(local.clone());
        }
        states
    }

    #[test]
    fn the_samples_events_give_the_samples_apply_and_delete_output() {
        // `ank get events -c -o json` of ankaios-samples.md: m2.yaml applied, then deleted.
        let sub = |s: &str| format!("workloadStates.agent_S.job2.{JOB2_ID}.{s}");
        let applied = replay(
            crate::table::tests::sample_state(),
            vec![
                event(
                    r#"{"desiredState": {"apiVersion": "v1", "workloads": {"job2": {"agent": "agent_S", "restartPolicy": "NEVER", "runtime": "unknown-runtime", "runtimeConfig": ""}}},
                        "workloadStates": {"agent_S": {"job2": {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": {"additionalInfo": "", "state": "Pending", "subState": "Initial"}}}}}"#,
                    &[
                        "desiredState.workloads.job2",
                        "workloadStates.agent_S.job2",
                        "effectiveState.workloads.job2",
                    ],
                    &[],
                    &[],
                ),
                event(
                    &job2_state("Pending", "Starting", "Triggered at runtime."),
                    &[],
                    &[&sub("subState"), &sub("additionalInfo")],
                    &[],
                ),
                event(
                    &job2_state("Pending", "StartingFailed", "Unsupported Runtime"),
                    &[],
                    &[&sub("subState"), &sub("additionalInfo")],
                    &[],
                ),
            ],
        );
        assert_prints(
            job2_progress(&[job2_instance()], &[], false),
            &applied,
            SAMPLE_APPLY,
        );

        let before_delete = applied.last().cloned().unwrap_or_default();
        let deleted = replay(
            before_delete,
            vec![
                event(
                    r#"{"agents": {"agent_S": {"status": {"cpuUsage": 2, "freeMemory": 24690167808}}}}"#,
                    &[],
                    &[
                        "agents.agent_S.status.cpuUsage",
                        "agents.agent_S.status.freeMemory",
                    ],
                    &[],
                ),
                event(
                    r#"{"desiredState": {"apiVersion": "v1"}}"#,
                    &[],
                    &[],
                    &[
                        "desiredState.workloads.job2",
                        "effectiveState.workloads.job2",
                    ],
                ),
                event(
                    &job2_state("Stopping", "RequestedAtRuntime", ""),
                    &[],
                    &[&sub("subState"), &sub("state"), &sub("additionalInfo")],
                    &[],
                ),
                event("{}", &[], &[], &["workloadStates.agent_S.job2"]),
            ],
        );
        assert_prints(
            job2_progress(&[], &[job2_instance()], true),
            &deleted,
            SAMPLE_DELETE,
        );
        let end = deleted.last().cloned().unwrap_or_default();
        assert_eq!(
            end.desired_state.workloads.keys().collect::<Vec<_>>(),
            ["job", "web"]
        );
        assert_eq!(end.agents.keys().collect::<Vec<_>>(), ["agent_S"]);
    }

    #[test]
    fn events_change_only_what_they_name() {
        let start = with_job2(job2(true, None), "0ld", ExecState::Running);
        let states = replay(
            start,
            vec![
                // A field of a workload: its other fields stay.
                event(
                    r#"{"desiredState": {"workloads": {"job2": {"runtimeConfig": "x"}}}}"#,
                    &[],
                    &["desiredState.workloads.job2.runtimeConfig"],
                    &[],
                ),
                event(
                    r#"{"desiredState": {"workloads": {"job2": {"agent": "agent_B"}}}}"#,
                    &[],
                    &["desiredState.workloads.job2.agent"],
                    &[],
                ),
                // An instance removed, an agent added, another removed.
                event("{}", &[], &[], &["workloadStates.agent_S.job2.0ld"]),
                event(
                    r#"{"agents": {"agent_B": {"tags": {"zone": "back"}}}}"#,
                    &["agents.agent_B"],
                    &[],
                    &[],
                ),
                event("{}", &[], &[], &["agents.agent_S"]),
            ],
        );
        let end = states.last().cloned().unwrap_or_default();
        let job2 = &end.desired_state.workloads["job2"];
        assert_eq!(
            (job2.agent.as_str(), job2.runtime.as_str()),
            ("agent_B", "unknown-runtime")
        );
        assert_eq!(end.workload_states["agent_S"]["job2"].len(), 0);
        assert_eq!(end.agents.keys().collect::<Vec<_>>(), ["agent_B"]);
        assert_eq!(end.agents["agent_B"].tags["zone"], "back");
        // The first message of a subscription is the whole state.
        let mut local = end;
        apply_event(
            &mut local,
            StateEvent {
                state: CompleteState::default(),
                altered: None,
            },
        );
        assert_eq!(local, CompleteState::default());
    }

    #[test]
    fn an_unchanged_table_is_not_printed_again() {
        let mut versions = Versions::default();
        let view = View {
            done: false,
            rows: vec![(row("w", "1", Some(ExecState::Running)), true)],
        };
        assert!(versions.next(&view).is_some());
        assert_eq!(versions.next(&view), None);
        assert_eq!(versions.next(&View::default()), None);
    }
}
