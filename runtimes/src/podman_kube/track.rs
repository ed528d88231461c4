//! Which pods belong to which `podman-kube` instance, and the instance's state derived from
//! its pods' containers in the watcher's table (infra containers ignored).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use ank_model::exec_state::{ExecState, Failed};
use ank_model::{ExecutionState, WorkloadInstanceName};
use tokio::sync::broadcast;

use super::volumes::Bookkeeping;
use crate::podman_cli::{ContainerRecord, ContainerState, PodmanWatcher, WatchEvent, REMOVE_GRACE};
use crate::{StateSink, StateUpdate};

/// What `stop` needs to take an instance down.
#[derive(Debug, Clone, Default)]
pub(super) struct Teardown {
    pub general_options: Vec<String>,
    pub down_options: Vec<String>,
    /// The manifest `kube play` was given, when this agent life wrote or found it.
    pub manifest: Option<PathBuf>,
    pub pods: Vec<String>,
    /// The volumes of a claim workload (`claims::claim_only`), removed when it stops.
    pub claims: Vec<String>,
    /// The runtimeConfig's secret values, scrubbed from what `kube down` prints.
    pub secrets: Secrets,
}

/// Secret values kept to scrub them from podman's output; `Debug` shows only their number.
#[derive(Clone, Default)]
pub(super) struct Secrets(pub Vec<String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} secret values", self.0.len())
    }
}

struct Entry {
    instance: WorkloadInstanceName,
    teardown: Teardown,
    stopping: bool,
    /// Every pod has shown up in the table: from then on a missing pod means `Failed(Lost)`.
    /// Before, the events may simply not have caught up with `kube play`.
    seen: bool,
    /// This runtime's own `kube play` succeeded: the pods' containers were started before it
    /// returned. `podman events` (file logger) trails by up to a quarter second, so until the
    /// pods show up there this is what tells that the instance runs.
    played: bool,
    last: Option<ExecState>,
}

/// What `stop` knows of an instance.
pub(super) enum Stopping {
    /// Started or adopted in this life.
    Known(Teardown),
    /// Found by `list_instances` and never started: only its volumes tell what it is.
    Found(Bookkeeping),
    /// Neither.
    Unknown,
}

#[derive(Default)]
struct Inner {
    instances: HashMap<String, Entry>,
    /// Found by `list_instances`: instance → what its volumes hold.
    adoptable: HashMap<String, Bookkeeping>,
}

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

    pub(super) fn adoptable(&self, found: impl IntoIterator<Item = (String, Bookkeeping)>) {
        self.lock().adoptable.extend(found);
    }

    /// What `list_instances` found of the instance, forgetting it there.
    pub(super) fn take_adoptable(&self, name: &str) -> Option<Bookkeeping> {
        self.lock().adoptable.remove(name)
    }

    /// Starts reporting for an instance whose pods are known; `seen` when they are known to
    /// exist (or to be gone) already.
    pub(super) fn track(
        self: &Arc<Self>,
        instance: &WorkloadInstanceName,
        teardown: Teardown,
        seen: bool,
        played: bool,
    ) {
        self.watcher.follow();
        let name = instance.to_string();
        let entry = Entry {
            instance: instance.clone(),
            teardown,
            stopping: false,
            seen,
            played,
            last: None,
        };
        self.lock().instances.insert(name.clone(), entry);
        self.evaluate(&name, false);
    }

    /// Silences the instance and says what is known to take it down.
    pub(super) fn stopping(&self, name: &str) -> Stopping {
        let mut inner = self.lock();
        if let Some(found) = inner.adoptable.remove(name) {
            return Stopping::Found(found);
        }
        match inner.instances.get_mut(name) {
            Some(entry) => {
                entry.stopping = true;
                Stopping::Known(entry.teardown.clone())
            }
            None => Stopping::Unknown,
        }
    }

    pub(super) fn untrack(&self, name: &str) {
        self.lock().instances.remove(name);
    }

    pub(super) fn teardown(&self, name: &str) -> Option<Teardown> {
        self.lock().instances.get(name).map(|e| e.teardown.clone())
    }

    /// The non-infra containers of the instance's pods.
    pub(super) fn containers(&self, pods: &[String]) -> Vec<ContainerRecord> {
        self.watcher
            .containers(|r| !r.is_infra && r.pod_id.as_ref().is_some_and(|p| pods.contains(p)))
    }

    pub(super) async fn follow(self: Arc<Self>, mut events: broadcast::Receiver<WatchEvent>) {
        loop {
            let pod = match events.recv().await {
                Ok(WatchEvent::Container(record)) => record.pod_id,
                Ok(WatchEvent::PodRemoved(pod)) => Some(pod),
                Ok(WatchEvent::Resynced) | Err(broadcast::error::RecvError::Lagged(_)) => None,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            let names: Vec<String> = self
                .lock()
                .instances
                .iter()
                .filter(|(_, e)| pod.as_ref().is_none_or(|p| e.teardown.pods.contains(p)))
                .map(|(name, _)| name.clone())
                .collect();
            for name in names {
                self.evaluate(&name, true);
            }
        }
    }

    fn evaluate(self: &Arc<Self>, name: &str, may_defer: bool) {
        let Some(pods) = self
            .lock()
            .instances
            .get(name)
            .map(|e| e.teardown.pods.clone())
        else {
            return;
        };
        let all = self
            .watcher
            .containers(|r| r.pod_id.as_ref().is_some_and(|p| pods.contains(p)));
        let pod_gone = pods
            .iter()
            .any(|p| !all.iter().any(|r| r.pod_id.as_ref() == Some(p)));
        let containers: Vec<&ContainerRecord> = all.iter().filter(|r| !r.is_infra).collect();
        if may_defer && containers.iter().any(|r| r.maybe_being_removed()) {
            let tracker = self.clone();
            let name = name.to_owned();
            // Ends by itself after the grace period; nothing needs to own it.
            tokio::spawn(async move {
                tokio::time::sleep(REMOVE_GRACE).await;
                tracker.evaluate(&name, false);
            });
            return;
        }
        let mut inner = self.lock();
        let Some(entry) = inner.instances.get_mut(name) else {
            return;
        };
        if entry.stopping {
            return;
        }
        entry.seen |= !pod_gone;
        let state = match (pod_gone, entry.seen) {
            (true, true) => Some(ExecState::Failed(Failed::Lost)),
            (true, false) if entry.played => Some(ExecState::Running),
            (true, false) => None,
            // Only `create` events seen yet: the `start` ones trail `kube play`'s return.
            (false, _) => pod_state(containers.iter().map(|r| r.state))
                .or_else(|| entry.played.then_some(ExecState::Running)),
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

/// The state of a set of (non-infra) containers: any non-zero exit is `Failed(ExecFailed)`,
/// all exited 0 is `Succeeded`, running ones (beside finished ones) are `Running`; `None` while
/// some are only created or there are none.
pub(crate) fn pod_state(states: impl IntoIterator<Item = ContainerState>) -> Option<ExecState> {
    let (mut any, mut running, mut created) = (false, false, false);
    for state in states {
        any = true;
        match state {
            ContainerState::Exited(0) => {}
            ContainerState::Exited(_) => return Some(ExecState::Failed(Failed::ExecFailed)),
            ContainerState::Removed => return Some(ExecState::Failed(Failed::Lost)),
            ContainerState::Running => running = true,
            ContainerState::Created => created = true,
        }
    }
    match (any, created, running) {
        (false, _, _) | (_, true, _) => None,
        (true, false, true) => Some(ExecState::Running),
        (true, false, false) => Some(ExecState::Succeeded),
    }
}
