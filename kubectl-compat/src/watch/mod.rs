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

//!
//! # Layout
//! - `goal`: what must become true ([`Expectation`], [`Goal`]) and what is looked at ([`Snapshot`]).
//! - `progress`: the pure wait ([`Progress`]): states in, the rows to show and "done" out.
//! - `apply`: [`apply_event`], keeping the local copy of the state up to date.

mod apply;
mod goal;
mod progress;

#[cfg(test)]
mod tests;

use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::time::Duration;

use futures::{FutureExt, Stream, StreamExt};

use ank_model::CompleteState;

use crate::client::{Client, ClientError, StateEvent};

pub use apply::apply_event;
pub use goal::{Expectation, Goal, Snapshot};
pub use progress::{Progress, View};

/// Printed after a successful update, before the wait table (the blank line included).
pub const APPLIED: &str = "Successfully applied the manifest(s).\n\
    Waiting for workload(s) to reach desired states (press Ctrl+C to interrupt).\n\n";

/// Printed after a successful update when no workload is to be waited for.
pub const APPLIED_ONLY: &str = "Successfully applied the manifest(s).\n";

/// How long the states may not show the update before they are shown anyway.
const REVEAL_AFTER: Duration = Duration::from_secs(1);

/// The spinner's turns on a terminal; the non-terminal output shows the first one only.
const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

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
