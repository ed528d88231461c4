//! Waiting for workloads, event-driven: subscribe to state events, re-read the complete state on
//! each one, and stop once every expectation holds. `ank apply`, `run`, `delete` and `wait` use it;
//! on a terminal the workloads table is redrawn under a spinner while waiting.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use ank_model::exec_state::{ExecState, Pending};
use ank_model::{CompleteState, WorkloadInstanceName};
use futures::{FutureExt, StreamExt};

use crate::client::{Client, ClientError};
use crate::table::{workload_rows, workloads_table, WorkloadRow};

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
    /// NotScheduled, AgentDisconnected, or Pending(Initial) with the server's reason.
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
}

impl Expectation {
    /// True when `rows` (of the current state) meet the goal.
    pub fn holds(&self, rows: &[WorkloadRow]) -> bool {
        let mine = rows.iter().filter(|r| {
            r.name == self.workload
                && self
                    .instance
                    .as_ref()
                    .is_none_or(|i| i.id == r.instance_id && i.agent_name == r.agent)
        });
        let mine: Vec<&WorkloadRow> = mine.collect();
        match &self.goal {
            Goal::Gone => mine.is_empty(),
            Goal::Settled => !mine.is_empty() && mine.iter().all(|r| row_settled(r)),
            Goal::State(want) => !mine.is_empty() && mine.iter().all(|r| r.state == Some(*want)),
        }
    }
}

/// Whether a row ends `ank apply`'s wait: a settled state, or `Pending(Initial)` with a reason
/// from the server (its agent is not connected, no agent matches its nodeSelector), which only
/// something outside this apply can change.
fn row_settled(row: &WorkloadRow) -> bool {
    match row.state {
        Some(ExecState::Pending(Pending::Initial)) => !row.additional_info.is_empty(),
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

/// Waits until every expectation holds; `table` names the workloads to show while waiting
/// (nothing is shown when it is empty or `quiet`).
pub async fn wait_for(
    client: &mut Client,
    expectations: &[Expectation],
    table: &[String],
    quiet: bool,
    timeout: Option<Duration>,
) -> Result<CompleteState, WatchError> {
    let tty = std::io::stdout().is_terminal() && !quiet && !table.is_empty();
    let mut drawn = 0usize;
    let mut events = client.events(&[]).await?;
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let mut state = client.complete_state(&[]).await?;
    let mut frame = 0usize;
    loop {
        let rows = workload_rows(&state);
        if expectations.iter().all(|e| e.holds(&rows)) {
            if tty {
                clear(drawn);
            }
            if !quiet && !table.is_empty() {
                print!("{}", workloads_table(&shown(rows, table), false));
            }
            return Ok(state);
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(_)) => {
                    // A burst of events (1 000 workloads starting) costs one read, not 1 000.
                    while let Some(Some(Ok(_))) = events.next().now_or_never() {}
                    state = client.complete_state(&[]).await?
                }
                Some(Err(e)) => return Err(e.into()),
                None => return Err(WatchError::StreamEnded),
            },
            _ = tick.tick(), if tty => {
                clear(drawn);
                drawn = draw(&shown(rows, table), frame);
                frame += 1;
            }
            _ = sleep_until(deadline) => {
                if tty {
                    clear(drawn);
                }
                let pending: Vec<&str> = expectations
                    .iter()
                    .filter(|e| !e.holds(&rows))
                    .map(|e| e.workload.as_str())
                    .collect();
                return Err(WatchError::Timeout(format!("workloads/{}", pending.join(", workloads/"))));
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

fn shown(rows: Vec<WorkloadRow>, names: &[String]) -> Vec<WorkloadRow> {
    rows.into_iter()
        .filter(|r| names.contains(&r.name))
        .collect()
}

/// Draws the table and a spinner line; returns the number of lines written.
fn draw(rows: &[WorkloadRow], frame: usize) -> usize {
    const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let text = workloads_table(rows, false);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{text}{} waiting for workloads to reach their target state",
        SPINNER[frame % SPINNER.len()]
    );
    let _ = out.flush();
    text.lines().count() + 1
}

/// Moves the cursor up over the last drawing and clears to the end of the screen.
fn clear(lines: usize) {
    if lines > 0 {
        print!("\x1b[{lines}A\x1b[J");
        let _ = std::io::stdout().flush();
    }
}

#[cfg(test)]
mod tests {
    use ank_model::exec_state::Failed;

    use super::*;

    fn row(name: &str, id: &str, state: Option<ExecState>) -> WorkloadRow {
        WorkloadRow {
            name: name.into(),
            agent: "agent_A".into(),
            runtime: "native".into(),
            state,
            execution_state: String::new(),
            additional_info: String::new(),
            instance_id: id.into(),
            tags: String::new(),
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
        assert!(!e.holds(&[]));
        assert!(!e.holds(&[row("w", "1", Some(ExecState::Pending(Pending::Starting)))]));
        assert!(e.holds(&[row("w", "1", Some(ExecState::Running))]));
        assert!(e.holds(&[row("w", "1", Some(ExecState::Failed(Failed::ExecFailed)))]));
        assert!(e.holds(&[row("w", "", Some(ExecState::NotScheduled))]));
        assert!(!e.holds(&[row("w", "1", Some(ExecState::Pending(Pending::Initial)))]));
        let mut unplaced = row("w", "1", Some(ExecState::Pending(Pending::Initial)));
        unplaced.additional_info = "no connected agent matches nodeSelector zone=back".into();
        assert!(e.holds(&[unplaced]));
    }

    #[test]
    fn an_instance_goal_ignores_other_instances() {
        let rows = [
            row("w", "old", Some(ExecState::Running)),
            row("w", "new", Some(ExecState::Pending(Pending::Initial))),
        ];
        assert!(!expect(Goal::Settled, Some("new")).holds(&rows));
        assert!(!expect(Goal::Gone, Some("old")).holds(&rows));
        assert!(expect(Goal::Gone, Some("other")).holds(&rows));
    }

    #[test]
    fn exact_state_goal() {
        let e = expect(Goal::State(ExecState::Running), None);
        assert!(e.holds(&[row("w", "1", Some(ExecState::Running))]));
        assert!(!e.holds(&[row("w", "1", Some(ExecState::Succeeded))]));
    }
}
