//! The instances a server without a state file deleted within its startup grace. An agent that
//! connects within the grace keeps what its hello does not list; a deleted instance is not
//! listed either, so the agent hears its delete right after the hello (issue 12: none that was
//! deleted comes back). Bounded, and forgotten when the grace ends.

use std::collections::BTreeMap;

use ank_model::WorkloadInstanceName;

/// At most this many are remembered; the oldest are forgotten first.
pub const CAP: usize = 10_000;

/// Deleted instances, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Tombstones {
    /// Instance -> its age stamp.
    by_instance: BTreeMap<WorkloadInstanceName, u64>,
    /// Age stamp -> instance.
    by_age: BTreeMap<u64, WorkloadInstanceName>,
    next: u64,
    /// Whether the cap was reached (warned once).
    overflowed: bool,
}

impl Tombstones {
    /// Remembers a deleted instance (as the newest); forgets the oldest beyond [`CAP`].
    pub fn bury(&mut self, instance: &WorkloadInstanceName) {
        self.raise(instance);
        self.by_age.insert(self.next, instance.clone());
        self.by_instance.insert(instance.clone(), self.next);
        self.next += 1;
        while self.by_instance.len() > CAP {
            let Some((_, oldest)) = self.by_age.pop_first() else {
                break;
            };
            self.by_instance.remove(&oldest);
            if !self.overflowed {
                self.overflowed = true;
                tracing::warn!(
                    instance = %oldest,
                    cap = CAP,
                    "too many deletes within the startup grace: forgetting the oldest, which an \
                     agent connecting now keeps until the grace ends"
                );
            }
        }
    }

    /// The instance is desired again: forgets its delete.
    pub fn raise(&mut self, instance: &WorkloadInstanceName) {
        if let Some(age) = self.by_instance.remove(instance) {
            self.by_age.remove(&age);
        }
    }

    /// The deleted instances of `agent`, oldest first.
    pub fn of_agent<'a>(
        &'a self,
        agent: &'a str,
    ) -> impl Iterator<Item = &'a WorkloadInstanceName> + 'a {
        self.by_age.values().filter(move |i| i.agent_name == agent)
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Tombstones::default();
    }

    /// How many are remembered.
    pub fn len(&self) -> usize {
        self.by_instance.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_instance.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(workload: &str, agent: &str) -> WorkloadInstanceName {
        WorkloadInstanceName {
            workload_name: workload.to_owned(),
            agent_name: agent.to_owned(),
            id: "1234".to_owned(),
        }
    }

    #[test]
    fn a_raised_instance_is_forgotten_and_the_oldest_go_beyond_the_cap() {
        let mut stones = Tombstones::default();
        stones.bury(&instance("a", "A"));
        stones.bury(&instance("b", "B"));
        stones.bury(&instance("a", "A"));
        let of_a: Vec<_> = stones.of_agent("A").collect();
        assert_eq!(of_a, [&instance("a", "A")]);
        stones.raise(&instance("a", "A"));
        assert_eq!(stones.of_agent("A").count(), 0);
        assert_eq!(stones.len(), 1);

        for n in 0..CAP {
            stones.bury(&instance(&format!("w{n}"), "A"));
        }
        assert_eq!(stones.len(), CAP);
        // "b" was the oldest.
        assert_eq!(stones.of_agent("B").count(), 0);
        assert_eq!(
            stones.of_agent("A").next(),
            Some(&instance("w0", "A")),
            "the rest stay in order"
        );
        stones.clear();
        assert!(stones.is_empty());
    }
}
