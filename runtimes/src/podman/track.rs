//! Which instances the `podman` runtime answers for, and their states derived from the
//! watcher's container table.
//!
//! Every change is handled the same way: look the instance's container up in the table and
//! report its state if it differs from the last one reported. That makes replayed or duplicate
//! events harmless, and a `Resynced` just re-evaluates everything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ank_model::exec_state::{ExecState, Failed};
use ank_model::{ExecutionState, WorkloadInstanceName};
use tokio::sync::broadcast;

use crate::podman_cli::{ContainerRecord, ContainerState, PodmanWatcher, WatchEvent, REMOVE_GRACE};
use crate::{StateSink, StateUpdate};

struct Entry {
    instance: WorkloadInstanceName,
    general_options: Vec<String>,
    /// Known once `podman run` returned (or from `list_instances`); until then nothing is
    /// reported, and events of other containers with the same name (an earlier incarnation
    /// being removed) are ignored.
    container_id: Option<String>,
    /// Set by `stop`: nothing more is reported.
    stopping: bool,
    /// The table has shown the container: from then on its absence means `Failed(Lost)`.
    /// Before, the events may simply not have caught up with `podman run`.
    seen: bool,
    last: Option<ExecState>,
}

#[derive(Default)]
struct Inner {
    instances: HashMap<String, Entry>,
    /// Found by `list_instances`: instance → container ID.
    adoptable: HashMap<String, String>,
}

/// The runtime's bookkeeping, shared with its event task.
pub(super) struct Tracker {
    sink: StateSink,
    watcher: Arc<PodmanWatcher>,
    inner: Mutex<Inner>,
}

impl Tracker {
    pub(super) fn new(sink: StateSink, watcher: Arc<PodmanWatcher>) -> Self {
        Tracker {
            sink,
            watcher,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers what `list_instances` found so that `start` adopts instead of starting.
    pub(super) fn adoptable(&self, found: impl IntoIterator<Item = (String, String)>) {
        self.lock().adoptable.extend(found);
    }

    /// Tracks an instance found by `list_instances`; false when it was not found there.
    pub(super) fn adopt(
        self: &Arc<Self>,
        instance: &WorkloadInstanceName,
        general_options: &[String],
    ) -> bool {
        let name = instance.to_string();
        let Some(id) = self.lock().adoptable.remove(&name) else {
            return false;
        };
        self.track(instance, general_options);
        self.started(&name, &id);
        true
    }

    pub(super) fn track(&self, instance: &WorkloadInstanceName, general_options: &[String]) {
        self.watcher.follow();
        let entry = Entry {
            instance: instance.clone(),
            general_options: general_options.to_vec(),
            container_id: None,
            stopping: false,
            seen: false,
            last: None,
        };
        self.lock().instances.insert(instance.to_string(), entry);
    }

    pub(super) fn untrack(&self, name: &str) {
        self.lock().instances.remove(name);
    }

    /// `podman run` returned the container's ID.
    pub(super) fn started(self: &Arc<Self>, name: &str, id: &str) {
        if let Some(entry) = self.lock().instances.get_mut(name) {
            if !id.is_empty() {
                entry.container_id = Some(id.to_owned());
            }
        }
        self.evaluate(name, true);
    }

    /// Silences the instance for good and returns its general options for `podman rm`.
    pub(super) fn stopping(&self, instance: &WorkloadInstanceName) -> Vec<String> {
        let mut inner = self.lock();
        inner.adoptable.remove(&instance.to_string());
        match inner.instances.get_mut(&instance.to_string()) {
            Some(entry) => {
                entry.stopping = true;
                entry.general_options.clone()
            }
            None => Vec::new(),
        }
    }

    pub(super) fn general_options(&self, name: &str) -> Option<Vec<String>> {
        self.lock()
            .instances
            .get(name)
            .map(|e| e.general_options.clone())
    }

    /// The event task: re-evaluates the instance a change is about.
    pub(super) async fn follow(self: Arc<Self>, mut events: broadcast::Receiver<WatchEvent>) {
        loop {
            match events.recv().await {
                Ok(WatchEvent::Container(record)) => self.evaluate(&record.name, true),
                Ok(WatchEvent::PodRemoved(_)) => {}
                Ok(WatchEvent::Resynced) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    let names: Vec<String> = self.lock().instances.keys().cloned().collect();
                    for name in names {
                        self.evaluate(&name, true);
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Reports the instance's state from the table if it changed. With `may_defer`, an exit
    /// caused by someone else's stop is looked at again after [`REMOVE_GRACE`].
    fn evaluate(self: &Arc<Self>, name: &str, may_defer: bool) {
        // The table is read outside the tracker's lock: the two locks are never nested.
        let id = self
            .lock()
            .instances
            .get(name)
            .and_then(|e| e.container_id.clone());
        let Some(id) = id else {
            return;
        };
        let record = self.watcher.containers(|r| r.id == id).pop();
        let mut inner = self.lock();
        let Some(entry) = inner.instances.get_mut(name) else {
            return;
        };
        if entry.stopping || entry.container_id.as_ref() != Some(&id) {
            return;
        }
        let state = match record {
            None if entry.seen => Some(ExecState::Failed(Failed::Lost)),
            None => None,
            Some(record) => {
                entry.seen = true;
                if may_defer && record.maybe_being_removed() {
                    let tracker = self.clone();
                    let name = name.to_owned();
                    // The task ends by itself after the grace period; nothing needs to own it.
                    tokio::spawn(async move {
                        tokio::time::sleep(REMOVE_GRACE).await;
                        tracker.evaluate(&name, false);
                    });
                    return;
                }
                container_state(&record)
            }
        };
        if let Some(state) = state.filter(|s| entry.last != Some(*s)) {
            entry.last = Some(state);
            let _ = self.sink.send(StateUpdate {
                instance: entry.instance.clone(),
                state: ExecutionState::new(state),
            });
        }
    }
}

/// A single container's execution state; `None` while it is only created.
pub(crate) fn container_state(record: &ContainerRecord) -> Option<ExecState> {
    match record.state {
        ContainerState::Created => None,
        ContainerState::Running => Some(ExecState::Running),
        ContainerState::Exited(0) => Some(ExecState::Succeeded),
        ContainerState::Exited(_) => Some(ExecState::Failed(Failed::ExecFailed)),
        ContainerState::Removed => Some(ExecState::Failed(Failed::Lost)),
    }
}
