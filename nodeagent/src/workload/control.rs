//! The life of one instance, as methods of the agent loop: add → (wait for dependencies) →
//! start (retried with backoff) → runtime states (restart per policy) → delete → (wait for
//! dependents) → stop → `Removed`.

use ank_model::exec_state::{ExecState, Pending, Stopping};
use ank_model::{ExecutionState, WorkloadInstanceName};
use runtimes::StateUpdate;

use super::dependencies::{first_blocking, first_unmet};
use super::restart::{restart_delay, retry_delay, should_restart, QUICK_EXIT};
use super::{Instance, Phase};
use crate::agent::{Agent, OpDone, Timer};
use crate::runfolder;
use ank_model::assign::{AddedWorkload, DeletedWorkload};

/// Ankaios' additional info of `Pending(Starting)`.
pub const STARTING_INFO: &str = "Triggered at runtime.";
/// Ankaios' additional info for a workload whose runtime the agent does not have.
pub const UNSUPPORTED_RUNTIME: &str = "Unsupported Runtime";

impl Agent {
    /// Takes on a new instance; `adopt` starts it at once (it already runs on the node, so its
    /// dependencies were met once) and reports whatever the runtime finds.
    pub(crate) fn add(&mut self, desired: AddedWorkload, adopt: bool) {
        let instance = desired.instance.clone();
        if let Some(existing) = self.instances.get_mut(&instance) {
            if existing.deleting.is_some() {
                existing.readd = Some(Box::new(desired));
            }
            return;
        }
        let dir = runfolder::instance_dir(&self.run_folder, &instance);
        // A folder that is not the agent's alone stays unused: the runtime refuses the start.
        if let Err(e) = runfolder::ensure_instance_dir(&self.run_folder, &instance) {
            tracing::warn!(%instance, error = %e, "cannot use the instance folder");
        }
        self.instances
            .insert(instance.clone(), Instance::new(desired, dir));
        if adopt {
            self.launch(&instance, true);
        } else {
            self.try_launch(&instance);
        }
    }

    /// Starts the instance if its dependencies are met, else shows `Pending(WaitingToStart)`.
    pub(crate) fn try_launch(&mut self, instance: &WorkloadInstanceName) {
        let Some(inst) = self.instances.get(instance) else {
            return;
        };
        if inst.deleting.is_some() || inst.phase != Phase::Waiting {
            return;
        }
        // An update is a delete of the old instance and an add of the new one: the new one
        // waits until the old one is gone, as Ankaios does.
        let older_exists = self.instances.iter().any(|(other, i)| {
            other != instance
                && other.workload_name == instance.workload_name
                && i.deleting.is_some()
        });
        if older_exists || first_unmet(&inst.desired.dependencies, &self.known).is_some() {
            self.set_state(
                instance,
                ExecutionState::new(ExecState::Pending(Pending::WaitingToStart)),
            );
            return;
        }
        self.launch(instance, false);
    }

    /// Asks the runtime to start (or adopt) the instance.
    fn launch(&mut self, instance: &WorkloadInstanceName, adopt: bool) {
        let Some(inst) = self.instances.get(instance) else {
            return;
        };
        // Judged before the state changes, while `inst` is borrowed.
        let verdict = match self.runtimes.get(&inst.desired.runtime).cloned() {
            None => Err(UNSUPPORTED_RUNTIME.to_owned()),
            Some(runtime) => runtime
                .check_config(&inst.desired.runtime_config)
                .and_then(|()| runtime.check_files(&inst.desired.files))
                .map(|()| runtime)
                .map_err(|e| e.to_string()),
        };
        let mut spec = inst.spec();
        let access = inst.desired.control_interface_access.clone();
        if !adopt {
            // As Ankaios reports every start it triggers, even one that fails at once.
            let starting = ExecState::Pending(Pending::Starting);
            self.set_state(instance, ExecutionState::with_info(starting, STARTING_INFO));
        }
        let runtime = match verdict {
            Ok(runtime) => runtime,
            Err(info) => return self.block(instance, info),
        };
        // Before the start, so that the mount source exists. A folder that cannot be made
        // fails this start; the retry tries again.
        let interface = self
            .control_interfaces
            .ensure(instance, &spec.instance_dir, &access)
            .map_err(|e| e.to_string());
        if let Ok(dir) = &interface {
            spec.control_interface_dir.clone_from(dir);
        }
        if let Some(inst) = self.instances.get_mut(instance) {
            inst.phase = Phase::Starting;
            inst.started_at = Some(tokio::time::Instant::now());
        }
        let instance = instance.clone();
        self.ops.spawn(async move {
            let result = match interface {
                Ok(_) => runtime.start(&spec).await.map_err(|e| e.to_string()),
                Err(info) => Err(info),
            };
            OpDone::Started(instance, result)
        });
    }

    /// A start that cannot succeed by retrying: `Pending(StartingFailed)`, no retry.
    fn block(&mut self, instance: &WorkloadInstanceName, info: String) {
        tracing::warn!(%instance, info, "cannot start");
        if let Some(inst) = self.instances.get_mut(instance) {
            inst.phase = Phase::Blocked;
        }
        let state = ExecutionState::with_info(ExecState::Pending(Pending::StartingFailed), info);
        self.set_state(instance, state);
    }

    pub(crate) fn on_op_done(&mut self, done: OpDone) {
        match done {
            OpDone::Started(instance, result) => self.on_started(&instance, result),
            OpDone::Stopped(instance, result) => self.on_stopped(&instance, result),
            OpDone::OrphanStopped(instance, result) => self.on_orphan_stopped(&instance, result),
            OpDone::Listed(session, runtime, found) => self.on_listed(session, runtime, found),
        }
    }

    fn on_started(&mut self, instance: &WorkloadInstanceName, result: Result<(), String>) {
        let Some(inst) = self.instances.get_mut(instance) else {
            return;
        };
        match result {
            Ok(()) => {
                inst.phase = Phase::Started;
                inst.failures = 0;
            }
            Err(info) => {
                inst.failures += 1;
                let delay = retry_delay(inst.failures);
                tracing::warn!(%instance, info, ?delay, "start failed, retrying");
                let state = ExecState::Pending(Pending::StartingFailed);
                self.set_state(instance, ExecutionState::with_info(state, info));
                self.schedule(instance, delay, Timer::Launch);
            }
        }
        self.try_stop(instance);
    }

    /// Records a state the runtime saw and applies the restart policy.
    pub(crate) fn on_runtime_state(&mut self, update: StateUpdate) {
        let StateUpdate { instance, state } = update;
        let Some(inst) = self.instances.get_mut(&instance) else {
            return;
        };
        if inst.phase == Phase::Stopping || inst.deleting.is_some() {
            return;
        }
        let ended = state.state.is_terminal();
        let restart = ended && should_restart(inst.desired.restart_policy, state.state);
        if ended {
            inst.phase = Phase::Waiting;
            let quick = inst.started_at.is_some_and(|t| t.elapsed() < QUICK_EXIT);
            inst.quick_exits = if quick { inst.quick_exits + 1 } else { 0 };
        }
        let delay = restart_delay(inst.quick_exits);
        self.set_state(&instance, state);
        if restart {
            tracing::info!(%instance, ?delay, "restarting");
            self.schedule(&instance, delay, Timer::Launch);
        } else if ended {
            // Ended for good: never launched again (dependencies are not re-checked).
            if let Some(inst) = self.instances.get_mut(&instance) {
                inst.phase = Phase::Blocked;
            }
        }
    }

    /// Runs `timer` for the instance after `delay` (at once when zero).
    fn schedule(
        &mut self,
        instance: &WorkloadInstanceName,
        delay: std::time::Duration,
        timer: fn(WorkloadInstanceName, u64) -> Timer,
    ) {
        let Some(inst) = self.instances.get_mut(instance) else {
            return;
        };
        inst.generation += 1;
        inst.phase = Phase::Scheduled;
        let fire = timer(instance.clone(), inst.generation);
        if delay.is_zero() {
            self.on_timer(fire);
        } else {
            self.timers.spawn(async move {
                tokio::time::sleep(delay).await;
                fire
            });
        }
    }

    pub(crate) fn on_timer(&mut self, timer: Timer) {
        let (instance, generation, stop) = match timer {
            Timer::Launch(i, g) => (i, g, false),
            Timer::Stop(i, g) => (i, g, true),
            Timer::GraceOver(session) => return self.on_grace_over(session),
            Timer::CutOff(i, epoch) => return self.on_cut_off(i, epoch),
        };
        let Some(inst) = self.instances.get_mut(&instance) else {
            return;
        };
        if inst.generation != generation || inst.phase != Phase::Scheduled {
            return;
        }
        inst.phase = Phase::Waiting;
        if stop {
            self.try_stop(&instance);
        } else if inst.deleting.is_none() {
            self.launch(&instance, false);
        }
    }

    /// The server deleted the instance: stop it once no dependent needs it.
    pub(crate) fn delete(&mut self, deleted: DeletedWorkload) {
        let DeletedWorkload {
            instance,
            dependents,
        } = deleted;
        let Some(inst) = self.instances.get_mut(&instance) else {
            // Never heard of it (or already gone): tell the server it is gone.
            self.outbox
                .push(instance, ExecutionState::new(ExecState::Removed));
            return;
        };
        inst.deleting = Some(dependents);
        // Deleted again after an add of the same name: that add is void.
        inst.readd = None;
        inst.generation += 1;
        if inst.phase == Phase::Scheduled {
            inst.phase = Phase::Waiting;
        }
        self.try_stop(&instance);
    }

    /// Stops a deleted instance, or shows `Stopping(WaitingToStop)` while a dependent is
    /// pending or running.
    pub(crate) fn try_stop(&mut self, instance: &WorkloadInstanceName) {
        let Some(inst) = self.instances.get(instance) else {
            return;
        };
        let Some(dependents) = &inst.deleting else {
            return;
        };
        if inst.busy() || inst.phase == Phase::Scheduled {
            return;
        }
        if first_blocking(dependents, &self.known).is_some() {
            self.set_state(
                instance,
                ExecutionState::new(ExecState::Stopping(Stopping::WaitingToStop)),
            );
            return;
        }
        let runtime = self.runtimes.get(&inst.desired.runtime).cloned();
        // Ankaios' state for a delete the agent acts on.
        self.set_state(
            instance,
            ExecutionState::new(ExecState::Stopping(Stopping::RequestedAtRuntime)),
        );
        if let Some(inst) = self.instances.get_mut(instance) {
            inst.phase = Phase::Stopping;
        }
        let instance = instance.clone();
        self.ops.spawn(async move {
            let result = match runtime {
                Some(runtime) => runtime.stop(&instance).await.map_err(|e| e.to_string()),
                None => Ok(()),
            };
            OpDone::Stopped(instance, result)
        });
    }

    fn on_stopped(&mut self, instance: &WorkloadInstanceName, result: Result<(), String>) {
        let Some(inst) = self.instances.get_mut(instance) else {
            return;
        };
        match result {
            Ok(()) => {
                let dir = inst.dir.clone();
                let readd = inst.readd.take();
                self.control_interfaces.remove(instance);
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(%instance, error = %e, "cannot remove the instance folder");
                    }
                }
                match readd {
                    // Back at once with its new settings (and a new control interface).
                    Some(desired) => {
                        self.instances.remove(instance);
                        self.add(*desired, false);
                    }
                    None => {
                        self.set_state(instance, ExecutionState::new(ExecState::Removed));
                        self.instances.remove(instance);
                    }
                }
            }
            Err(info) => {
                inst.phase = Phase::Waiting;
                inst.failures += 1;
                let delay = retry_delay(inst.failures);
                tracing::warn!(%instance, info, ?delay, "stop failed, retrying");
                let state = ExecState::Stopping(Stopping::DeleteFailed);
                self.set_state(instance, ExecutionState::with_info(state, info));
                self.schedule(instance, delay, Timer::Stop);
            }
        }
    }

    /// Records and reports a state of one of this agent's instances (if it changed).
    pub(crate) fn set_state(&mut self, instance: &WorkloadInstanceName, state: ExecutionState) {
        let Some(inst) = self.instances.get_mut(instance) else {
            return;
        };
        if inst.state == state {
            return;
        }
        tracing::info!(%instance, state = %state, info = state.additional_info, "state");
        inst.state = state.clone();
        self.known.set(instance, &state);
        self.changes += 1;
        self.outbox.push(instance.clone(), state);
    }

    /// Lets waiting instances move after states changed, until nothing moves any more.
    pub(crate) fn reevaluate(&mut self) {
        for _ in 0..=self.instances.len() {
            let before = self.changes;
            let candidates: Vec<_> = self
                .instances
                .iter()
                // Only what `try_launch` or `try_stop` may move: skipping the stops in flight
                // keeps an event cheap while thousands of instances are being deleted.
                .filter(|(_, i)| {
                    i.phase == Phase::Waiting
                        || (i.deleting.is_some() && !i.busy() && i.phase != Phase::Scheduled)
                })
                .map(|(name, _)| name.clone())
                .collect();
            for instance in candidates {
                self.try_launch(&instance);
                self.try_stop(&instance);
            }
            if self.changes == before {
                return;
            }
        }
    }
}
