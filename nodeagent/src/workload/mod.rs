//! Per-instance workload control. The agent loop owns every [`Instance`]; the methods in
//! [`control`] move one through its life (wait for dependencies, start, retry, restart, stop,
//! remove) and [`adopt`] reconciles the node with the server's set after each (re)connect,
//! keeping what it does not list during a server's startup grace ([`grace`]);
//! [`disconnect`] applies the workloads' `disconnectPolicy` while the server is out of reach.
//!
//! Rationale: one actor (the agent loop) instead of one task per instance, because dependency
//! and delete decisions read the states of all instances; with one owner they need no locks and
//! every decision is a plain method call that the unit tests drive through events.

pub mod adopt;
pub mod control;
pub mod dependencies;
pub mod disconnect;
pub mod grace;
pub mod restart;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ank_model::exec_state::{ExecState, Pending};
use ank_model::{AddCondition, ExecutionState};
use runtimes::WorkloadSpec;
use tokio::time::Instant;

use ank_model::assign::AddedWorkload;

/// Where an instance is in its life, as far as the agent drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not launched: waiting for dependencies (or for an older instance of its workload).
    Waiting,
    /// A `start` is in flight.
    Starting,
    /// The runtime has it; its states come from the runtime.
    Started,
    /// A retry, restart or stop-retry timer is pending.
    Scheduled,
    /// Cannot be started (unknown runtime, invalid config); waits for its delete.
    Blocked,
    /// A `stop` is in flight.
    Stopping,
}

/// One workload instance on this agent.
#[derive(Debug)]
pub struct Instance {
    /// What the server wants.
    pub desired: AddedWorkload,
    /// `<run_folder>/<agent>_io/<workload>.<id>`, created before the first start and removed
    /// after the stop.
    pub dir: PathBuf,
    /// The last state reported to the server.
    pub state: ExecutionState,
    /// Where the agent is with it.
    pub phase: Phase,
    /// Set once the server deleted it: the dependents that hold the stop back.
    pub deleting: Option<BTreeMap<String, AddCondition>>,
    /// Bumped whenever pending timers must be ignored.
    pub generation: u64,
    /// Failed starts (or stops) in a row, for the retry backoff.
    pub failures: u32,
    /// Exits soon after a start in a row, for the restart backoff.
    pub quick_exits: u32,
    /// When the last start was issued.
    pub started_at: Option<Instant>,
    /// The same instance added again while being deleted (its tags or access rules changed,
    /// not its runtimeConfig): started again with these settings once stopped.
    pub readd: Option<Box<AddedWorkload>>,
}

impl Instance {
    /// A new instance, not launched yet.
    pub fn new(desired: AddedWorkload, dir: PathBuf) -> Self {
        Instance {
            desired,
            dir,
            state: ExecutionState::new(ExecState::Pending(Pending::Initial)),
            phase: Phase::Waiting,
            deleting: None,
            generation: 0,
            failures: 0,
            quick_exits: 0,
            started_at: None,
            readd: None,
        }
    }

    /// What the runtime needs to start it.
    pub fn spec(&self) -> WorkloadSpec {
        WorkloadSpec {
            instance: self.desired.instance.clone(),
            runtime_config: self.desired.runtime_config.clone(),
            files: self.desired.files.clone(),
            instance_dir: self.dir.clone(),
            control_interface_dir: None,
        }
    }

    /// Whether an operation (start or stop) is in flight.
    pub fn busy(&self) -> bool {
        matches!(self.phase, Phase::Starting | Phase::Stopping)
    }
}
