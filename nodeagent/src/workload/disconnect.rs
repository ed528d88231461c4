//! The workloads' `disconnectPolicy` while the agent is cut off from the server: when the
//! session drops, each instance with `{action: stop, after: T}` gets a timer; one that fires
//! while the agent is still disconnected stops the instance as a delete would. A reconnect
//! cancels every pending timer (the link epoch moves on), and the server's hello then says
//! what runs: a stopped workload it still wants is started again.

use std::collections::BTreeMap;

use ank_model::assign::DeletedWorkload;
use ank_model::{DisconnectPolicy, WorkloadInstanceName};

use crate::agent::{Agent, Timer};

impl Agent {
    /// The session dropped: starts the stop timers of the instances whose policy asks for it.
    pub(crate) fn start_disconnect_timers(&mut self) {
        self.link_epoch += 1;
        let epoch = self.link_epoch;
        for (instance, inst) in &self.instances {
            let DisconnectPolicy::StopAfter(after) = inst.desired.disconnect_policy else {
                continue;
            };
            if inst.deleting.is_some() {
                continue;
            }
            let fire = Timer::CutOff(instance.clone(), epoch);
            self.timers.spawn(async move {
                tokio::time::sleep(after).await;
                fire
            });
        }
    }

    /// A session is up: pending disconnect timers no longer apply.
    pub(crate) fn cancel_disconnect_timers(&mut self) {
        self.link_epoch += 1;
    }

    /// A disconnect timer fired: stops the instance unless the agent reconnected since.
    pub(crate) fn on_cut_off(&mut self, instance: WorkloadInstanceName, epoch: u64) {
        if epoch != self.link_epoch || self.server.is_some() {
            return;
        }
        let Some(inst) = self.instances.get(&instance) else {
            return;
        };
        if inst.deleting.is_some() {
            return;
        }
        tracing::warn!(%instance, "disconnected too long: stopping it (disconnectPolicy)");
        self.delete(DeletedWorkload {
            instance,
            dependents: BTreeMap::new(),
        });
    }
}
