//! The one `podman events` stream of an agent, shared by both podman runtimes.
//!
//! A [`PodmanWatcher`] owns a task that follows `podman events --format json`, keeps a table of
//! every container's last known state, and broadcasts each change. The task starts with the
//! first tracked podman workload ([`PodmanWatcher::follow`]): an agent without podman workloads
//! runs no `podman events` process, which would cost it about 35 MiB. When the stream dies it is
//! restarted with backoff, from the last event's time, after a `podman ps -a` reconcile; the
//! runtimes then get [`WatchEvent::Resynced`] and recompute their instances from the table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::json::{parse_event, parse_ps, EventKind, PodmanEvent, PsContainer};
use super::runner::CommandRunner;

/// A container's state as the events told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Created, not started yet.
    Created,
    /// Running.
    Running,
    /// Exited with this code.
    Exited(i32),
    /// Removed; the record is gone from the table.
    Removed,
}

/// What the watcher knows about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRecord {
    /// Full container ID.
    pub id: String,
    /// Container name.
    pub name: String,
    /// Its pod, when it has one.
    pub pod_id: Option<String>,
    /// Its labels.
    pub labels: HashMap<String, String>,
    /// Its last known state.
    pub state: ContainerState,
    /// A pod's infra container: not part of a pod's state.
    pub is_infra: bool,
    /// Someone ran `podman stop`/`kill` on it: a `remove` may follow right after `died`.
    pub stop_requested: bool,
}

/// What subscribers hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A container changed; its record after the change.
    Container(ContainerRecord),
    /// A pod was removed (by ID).
    PodRemoved(String),
    /// The table was rebuilt from `podman ps -a` (start, stream gap, lagging subscriber).
    Resynced,
}

/// How long to wait after a container was killed before reporting its exit: `podman rm -f`
/// behind the agent's back shows `died` (137, with no `stop`/`kill` event) some 0.4 s before
/// `remove`, and that must read as `Failed(Lost)`, not first as `Failed(ExecFailed)`.
pub const REMOVE_GRACE: Duration = Duration::from_secs(1);

impl ContainerRecord {
    /// Killed (by a signal, or stopped by someone): a `remove` may be about to follow, so its
    /// exit is reported only after [`REMOVE_GRACE`].
    pub fn maybe_being_removed(&self) -> bool {
        matches!(self.state, ContainerState::Exited(code) if self.stop_requested || !(0..=128).contains(&code))
    }
}

type Table = HashMap<String, ContainerRecord>;

/// Owns the events task; dropping the last handle stops it.
pub struct PodmanWatcher {
    runner: Arc<dyn CommandRunner>,
    table: Arc<Mutex<Table>>,
    tx: broadcast::Sender<WatchEvent>,
    cancel: CancellationToken,
    task: OnceLock<JoinHandle<()>>,
}

impl PodmanWatcher {
    /// A watcher that will follow `podman events` through `runner` once asked to.
    pub fn new(runner: Arc<dyn CommandRunner>) -> Arc<Self> {
        // A broadcast channel allocates all its slots up front (1024 were 172 KiB, most of an
        // idle agent's heap); a subscriber that lags behind 128 changes just resyncs from the
        // table, which is cheap.
        let (tx, _) = broadcast::channel(128);
        Arc::new(PodmanWatcher {
            runner,
            table: Arc::new(Mutex::new(Table::new())),
            tx,
            cancel: CancellationToken::new(),
            task: OnceLock::new(),
        })
    }

    /// Starts following `podman events` unless it already does (needs a tokio runtime). The
    /// stream replays a few seconds and reconciles with `podman ps -a`, so a container created
    /// just before is still seen.
    pub fn follow(&self) {
        self.task.get_or_init(|| {
            tokio::spawn(follow(
                self.runner.clone(),
                self.table.clone(),
                self.tx.clone(),
                self.cancel.clone(),
            ))
        });
    }

    /// Whether the events task has been started.
    pub fn is_following(&self) -> bool {
        self.task.get().is_some()
    }

    /// Receives every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<WatchEvent> {
        self.tx.subscribe()
    }

    /// The records that match `pred`.
    pub fn containers(&self, pred: impl Fn(&ContainerRecord) -> bool) -> Vec<ContainerRecord> {
        lock(&self.table)
            .values()
            .filter(|r| pred(r))
            .cloned()
            .collect()
    }
}

impl Drop for PodmanWatcher {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.get() {
            task.abort();
        }
    }
}

fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    // A panic while holding the lock leaves a table that is still usable: take it.
    table.lock().unwrap_or_else(|e| e.into_inner())
}

async fn follow(
    runner: Arc<dyn CommandRunner>,
    table: Arc<Mutex<Table>>,
    tx: broadcast::Sender<WatchEvent>,
    cancel: CancellationToken,
) {
    // Replaying a few seconds covers what happened while `podman events` was starting; events
    // are applied in order, so a replay converges on the same table.
    let mut since = "5s".to_owned();
    let mut backoff = Duration::from_millis(100);
    loop {
        let args: Vec<String> = [
            "events",
            "--format",
            "json",
            "--filter",
            "type=container",
            "--filter",
            "type=pod",
            "--since",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([since.clone()])
        .collect();
        match runner.stream(&args) {
            Ok(mut stream) => {
                reconcile(runner.as_ref(), &table, &tx).await;
                loop {
                    let line = tokio::select! {
                        () = cancel.cancelled() => return,
                        line = stream.next() => line,
                    };
                    let Some(Ok(line)) = line else { break };
                    let Some(event) = parse_event(&line) else {
                        tracing::debug!(%line, "podman events: not an event");
                        continue;
                    };
                    if !event.time.is_empty() {
                        since.clone_from(&event.time);
                    }
                    backoff = Duration::from_millis(100);
                    if let Some(change) = apply(&mut lock(&table), event) {
                        let _ = tx.send(change);
                    }
                }
                tracing::warn!("podman events stream ended; restarting");
            }
            Err(e) => tracing::warn!(error = %e, "cannot start podman events"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Rebuilds the table from `podman ps -a`; on failure the table is kept as it is.
async fn reconcile(
    runner: &dyn CommandRunner,
    table: &Mutex<Table>,
    tx: &broadcast::Sender<WatchEvent>,
) {
    let args = ["ps", "-a", "--format", "json"].map(String::from);
    let containers = match runner.run(&args).await {
        Ok(out) if out.success => parse_ps(&out.stdout).map_err(|e| e.to_string()),
        Ok(out) => Err(out.message()),
        Err(e) => Err(e.to_string()),
    };
    match containers {
        Ok(containers) => {
            *lock(table) = containers
                .into_iter()
                .map(|c| (c.id.clone(), record_from_ps(c)))
                .collect();
            let _ = tx.send(WatchEvent::Resynced);
        }
        Err(e) => tracing::warn!(error = %e, "podman ps failed; keeping the old table"),
    }
}

fn record_from_ps(c: PsContainer) -> ContainerRecord {
    let state = match c.state.as_str() {
        "running" | "paused" | "stopping" => ContainerState::Running,
        "exited" | "stopped" => ContainerState::Exited(c.exit_code),
        _ => ContainerState::Created,
    };
    ContainerRecord {
        name: c.name().to_owned(),
        id: c.id,
        pod_id: Some(c.pod).filter(|p| !p.is_empty()),
        labels: c.labels.unwrap_or_default(),
        state,
        is_infra: c.is_infra,
        stop_requested: false,
    }
}

/// Applies one event to the table and says what changed, if anything did.
pub(crate) fn apply(table: &mut Table, event: PodmanEvent) -> Option<WatchEvent> {
    match event.kind {
        EventKind::Pod if event.status == "remove" => {
            return Some(WatchEvent::PodRemoved(event.id))
        }
        EventKind::Container => {}
        _ => return None,
    }
    let record = table
        .entry(event.id.clone())
        .or_insert_with(|| ContainerRecord {
            is_infra: event.pod_id.is_some() && event.name.ends_with("-infra"),
            id: event.id.clone(),
            name: event.name.clone(),
            pod_id: event.pod_id.clone(),
            labels: event.labels.clone(),
            state: ContainerState::Created,
            stop_requested: false,
        });
    if record.pod_id.is_none() {
        record.pod_id = event.pod_id;
    }
    match event.status.as_str() {
        "create" => record.state = ContainerState::Created,
        "start" | "restart" | "unpause" => {
            record.state = ContainerState::Running;
            record.stop_requested = false;
        }
        // Podman writes the code with Go's `omitempty`: a missing code is exit 0.
        "died" => record.state = ContainerState::Exited(event.exit_code.unwrap_or(0)),
        "stop" | "kill" => record.stop_requested = true,
        "remove" => {
            let mut gone = table.remove(&event.id)?;
            gone.state = ContainerState::Removed;
            return Some(WatchEvent::Container(gone));
        }
        _ => return None,
    }
    Some(WatchEvent::Container(record.clone()))
}
