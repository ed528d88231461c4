//! Workload instance names: `<workload>.<id>.<agent>`, where `id` is the SHA-256 (hex) of the
//! rendered `runtimeConfig`. A changed runtimeConfig therefore gives a new instance, and tools
//! find a workload's files under `<run_folder>/<agent>_io/<workload>.<id>/`.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Identifies one running incarnation of a workload on one agent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadInstanceName {
    /// The workload's name in the desired state.
    pub workload_name: String,
    /// The agent it runs on.
    pub agent_name: String,
    /// The hash of its rendered runtimeConfig.
    pub id: String,
}

impl WorkloadInstanceName {
    /// The instance name of `workload` with `rendered_runtime_config` on `agent`.
    pub fn new(workload: &str, agent: &str, rendered_runtime_config: &str) -> Self {
        WorkloadInstanceName {
            workload_name: workload.to_owned(),
            agent_name: agent.to_owned(),
            id: config_hash(rendered_runtime_config),
        }
    }

    /// Parses `<workload>.<id>.<agent>`; `None` when it has another shape.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '.');
        let (workload, id, agent) = (parts.next()?, parts.next()?, parts.next()?);
        if workload.is_empty() || id.is_empty() || agent.is_empty() {
            return None;
        }
        Some(WorkloadInstanceName {
            workload_name: workload.to_owned(),
            agent_name: agent.to_owned(),
            id: id.to_owned(),
        })
    }

    /// `<workload>.<id>`: the name of the instance's folder under `<run_folder>/<agent>_io/`.
    pub fn folder_name(&self) -> String {
        format!("{}.{}", self.workload_name, self.id)
    }
}

impl fmt::Display for WorkloadInstanceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.workload_name, self.id, self.agent_name)
    }
}

/// SHA-256 of a rendered runtimeConfig, lower-case hex.
pub fn config_hash(rendered_runtime_config: &str) -> String {
    let digest = Sha256::digest(rendered_runtime_config.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_name_is_workload_hash_agent() {
        let name = WorkloadInstanceName::new("nginx", "agent_A", "");
        assert_eq!(
            name.to_string(),
            "nginx.e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.agent_A"
        );
        assert_eq!(WorkloadInstanceName::parse(&name.to_string()), Some(name));
    }

    #[test]
    fn changed_config_gives_a_new_instance() {
        let a = WorkloadInstanceName::new("w", "a", "image: x");
        let b = WorkloadInstanceName::new("w", "a", "image: y");
        assert_ne!(a, b);
    }

    #[test]
    fn malformed_names_do_not_parse() {
        assert_eq!(WorkloadInstanceName::parse("only.two"), None);
        assert_eq!(WorkloadInstanceName::parse("..x"), None);
    }
}
