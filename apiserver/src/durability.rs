//! What survives a server restart, and what the agents are told when nothing does.
//!
//! With a state file ([`crate::state_file`]) the desired state is written before an update is
//! acknowledged or forwarded, and loaded at start: it is the truth, agents stop what it does
//! not list. Without one, the server starts empty and its hello asks agents to keep what
//! they run but it does not list until a grace period after its start has passed, so an
//! operator can re-apply before anything stops; what it deletes meanwhile it remembers
//! ([`Tombstones`]) and tells a connecting agent, which would keep it otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ank_model::{State, WorkloadInstanceName};
use tokio::time::Instant;

use crate::actor::Actor;
use crate::state::Plan;
use crate::state_file::{self, Saved, StateFileError};
use crate::tombstones::Tombstones;

/// How the actor keeps its desired state across restarts.
#[derive(Debug, Clone, Default)]
pub struct Durability {
    /// Every accepted update is written here before it is acknowledged.
    pub state_file: Option<PathBuf>,
    /// Without a state file: until when agents keep the workloads the server does not list.
    pub keep_unlisted_until: Option<Instant>,
    /// Within the grace: the instances deleted since the start.
    tombstones: Tombstones,
    /// The bound on the state file (read and written); the default one when `None`.
    max_file_bytes: Option<u64>,
}

impl Durability {
    /// A state file, else a grace of `grace` from now (none when zero).
    pub fn new(state_file: Option<PathBuf>, grace: Duration) -> Self {
        let keep_unlisted_until = match &state_file {
            None if !grace.is_zero() => Some(Instant::now() + grace),
            _ => None,
        };
        Durability {
            state_file,
            keep_unlisted_until,
            tombstones: Tombstones::default(),
            max_file_bytes: None,
        }
    }

    /// Bounds the state file to `max` bytes, read or written.
    pub fn with_max_file_bytes(mut self, max: u64) -> Self {
        self.max_file_bytes = Some(max);
        self
    }

    fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
            .unwrap_or(state_file::DEFAULT_MAX_FILE_BYTES)
    }

    /// What the server starts with: the state file's content unless it holds nothing, else
    /// the startup manifest (which then seeds the file).
    pub fn initial(&self, startup: State) -> Result<(Saved, bool), StateFileError> {
        let seeded = Saved {
            desired_state: startup,
            ..Saved::default()
        };
        let Some(path) = &self.state_file else {
            return Ok((seeded, false));
        };
        state_file::remove_leftovers(path);
        match state_file::load_within(path, self.max_file_bytes())? {
            Some(saved) if !saved.is_empty() => {
                tracing::info!(
                    path = %path.display(),
                    workloads = saved.desired_state.workloads.len(),
                    "loaded the desired state"
                );
                Ok((saved, true))
            }
            _ => Ok((seeded, false)),
        }
    }

    /// The `keepUnlistedMs` of a hello sent now: what is left of the grace.
    pub fn keep_unlisted_ms(&self) -> u64 {
        self.keep_unlisted_until.map_or(0, |until| {
            let left = until.saturating_duration_since(Instant::now());
            u64::try_from(left.as_millis()).unwrap_or(u64::MAX)
        })
    }

    /// Whether the startup grace still lasts.
    fn in_grace(&self) -> bool {
        self.keep_unlisted_until
            .is_some_and(|until| Instant::now() < until)
    }

    /// Within the grace, remembers the instances `plan` deletes and forgets those it adds
    /// (the same instance desired again).
    pub(crate) fn note(&mut self, plan: &Plan) {
        if !self.in_grace() {
            self.end_grace();
            return;
        }
        for old in plan.deleted.iter().filter(|old| old.agent().is_some()) {
            self.tombstones.bury(&old.name);
        }
        for new in &plan.added {
            self.tombstones.raise(&new.name);
        }
    }

    /// The instances of `agent` deleted within the grace (none after it).
    pub fn deleted_of(&mut self, agent: &str) -> Vec<WorkloadInstanceName> {
        if !self.in_grace() {
            self.end_grace();
        }
        self.tombstones.of_agent(agent).cloned().collect()
    }

    /// When the remembered deletes are to be forgotten: the end of the grace, if any are.
    pub fn tombstones_until(&self) -> Option<Instant> {
        self.keep_unlisted_until
            .filter(|_| !self.tombstones.is_empty())
    }

    /// The grace is over: forgets the deletes.
    pub fn end_grace(&mut self) {
        if !self.tombstones.is_empty() {
            tracing::debug!(
                count = self.tombstones.len(),
                "startup grace over: forgetting its deletes"
            );
            self.tombstones.clear();
        }
    }

    /// The state file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.state_file.as_deref()
    }
}

impl Actor {
    /// Writes what `plan` would make current to the state file (if any). The commit point of
    /// an update: it is acknowledged and forwarded only once this succeeded.
    pub(crate) fn persist(&self, plan: &Plan) -> Result<(), StateFileError> {
        self.store(&plan.state, &plan.placements)
    }

    /// Writes the current desired state (the seed of a new state file).
    pub fn persist_current(&self) -> Result<(), StateFileError> {
        self.store(&self.desired.state, &self.desired.placements)
    }

    fn store(
        &self,
        state: &State,
        placements: &BTreeMap<String, String>,
    ) -> Result<(), StateFileError> {
        let Some(path) = self.durability.path() else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        state_file::store_within(path, state, placements, self.durability.max_file_bytes())?;
        tracing::debug!(elapsed = ?started.elapsed(), "state file written");
        Ok(())
    }
}
