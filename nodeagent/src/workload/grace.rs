//! The startup grace of a server without a durable desired state. Its hello says how long the
//! agent keeps what it runs that the server does not list (`keepUnlistedMs`): the instances it
//! manages stay managed (their states reported), the ones a runtime finds on the node stay
//! untouched. Each is released at once when the server speaks of its workload (lists it: kept
//! and adopted; lists another instance of it: stopped, as an update would), and whatever is
//! still unlisted when the grace ends is stopped. A delete from the server (it sends those of
//! the grace right after the hello) stops a kept or found instance at once, and one a runtime
//! finds later is not kept. A new session starts over from its hello.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ank_model::assign::{AddedWorkload, DeletedWorkload};
use ank_model::WorkloadInstanceName;

use crate::agent::{Agent, Timer};

/// What a grace keeps; belongs to one session.
#[derive(Debug, Default)]
pub struct Grace {
    /// The session whose hello granted it.
    pub session: u64,
    /// Managed instances the server has not listed.
    pub kept: BTreeSet<WorkloadInstanceName>,
    /// Instances found on the node that the server has not listed, with their runtime.
    pub found: BTreeMap<WorkloadInstanceName, &'static str>,
    /// Instances the server deleted: never kept.
    pub deleted: BTreeSet<WorkloadInstanceName>,
}

impl Agent {
    /// Starts the grace of the current session, ending after `keep`.
    pub(crate) fn begin_grace(&mut self, keep: Duration) {
        let session = self.session;
        tracing::info!(
            ?keep,
            "the server started without a durable state: keeping unlisted workloads"
        );
        self.grace = Some(Grace {
            session,
            ..Grace::default()
        });
        self.timers.spawn(async move {
            tokio::time::sleep(keep).await;
            Timer::GraceOver(session)
        });
    }

    /// Keeps a managed instance the hello did not list; false when there is no grace.
    pub(crate) fn keep_unlisted(&mut self, instance: &WorkloadInstanceName) -> bool {
        let Some(grace) = &mut self.grace else {
            return false;
        };
        // One already being deleted stays deleted.
        if self
            .instances
            .get(instance)
            .is_none_or(|i| i.deleting.is_some())
        {
            return false;
        }
        tracing::info!(%instance, "keeping an unlisted workload until the grace ends");
        grace.kept.insert(instance.clone());
        true
    }

    /// Keeps an instance found on the node that nobody listed; false when there is no grace
    /// or the server already listed another instance of its workload.
    pub(crate) fn keep_found(
        &mut self,
        runtime: &'static str,
        instance: &WorkloadInstanceName,
    ) -> bool {
        let listed = |i: &WorkloadInstanceName| i.workload_name == instance.workload_name;
        let spoken = self.instances.keys().any(listed)
            || self.listing.values().flatten().any(|d| listed(&d.instance));
        let Some(grace) =
            (self.grace.as_mut()).filter(|g| !spoken && !g.deleted.contains(instance))
        else {
            return false;
        };
        tracing::info!(%instance, "keeping an unlisted instance found on the node until the grace ends");
        grace.found.insert(instance.clone(), runtime);
        true
    }

    /// The server deleted `instance`: the grace keeps it no more; one found on the node is
    /// stopped now, one a runtime lists later is not kept. A managed one is the caller's.
    pub(crate) fn deleted_in_grace(&mut self, instance: &WorkloadInstanceName) {
        let Some(grace) = &mut self.grace else {
            return;
        };
        grace.kept.remove(instance);
        grace.deleted.insert(instance.clone());
        if let Some(runtime) = grace.found.remove(instance) {
            if !self.instances.contains_key(instance) {
                self.stop_orphan(runtime, instance.clone());
            }
        }
    }

    /// The server listed `desired`: release what the grace kept of its workload. Returns
    /// whether `desired` itself runs already (kept or found), so it is adopted, not started.
    pub(crate) fn listed_in_grace(&mut self, desired: &AddedWorkload) -> bool {
        let Some(grace) = &mut self.grace else {
            return false;
        };
        let wanted = &desired.instance;
        let same = |i: &WorkloadInstanceName| i.workload_name == wanted.workload_name;
        let kept: Vec<_> = grace.kept.iter().filter(|i| same(i)).cloned().collect();
        let found: Vec<_> = (grace.found.iter())
            .filter(|(i, _)| same(i))
            .map(|(i, r)| (i.clone(), *r))
            .collect();
        grace.kept.retain(|i| !same(i));
        grace.found.retain(|i, _| !same(i));
        let mut runs = false;
        for instance in kept {
            if instance != *wanted {
                self.delete_unlisted(instance);
            } else if let Some(inst) = self.instances.get(&instance) {
                runs = true;
                // The server shows it Pending(Initial) now: tell it the truth again.
                self.outbox.push(instance, inst.state.clone());
            }
        }
        for (instance, runtime) in found {
            if instance == *wanted {
                runs = true;
            } else {
                self.stop_orphan(runtime, instance);
            }
        }
        runs
    }

    /// The grace of `session` is over: stop what is still unlisted.
    pub(crate) fn on_grace_over(&mut self, session: u64) {
        if self.grace.as_ref().is_none_or(|g| g.session != session) {
            return;
        }
        let Some(grace) = self.grace.take() else {
            return;
        };
        let count = grace.kept.len() + grace.found.len();
        if count > 0 {
            tracing::info!(
                count,
                "startup grace over: stopping the workloads still unlisted"
            );
        }
        for instance in grace.kept {
            self.delete_unlisted(instance);
        }
        for (instance, runtime) in grace.found {
            if !self.instances.contains_key(&instance) {
                self.stop_orphan(runtime, instance);
            }
        }
    }

    fn delete_unlisted(&mut self, instance: WorkloadInstanceName) {
        if self
            .instances
            .get(&instance)
            .is_some_and(|i| i.deleting.is_none())
        {
            self.delete(DeletedWorkload {
                instance,
                dependents: BTreeMap::new(),
            });
        }
    }
}
