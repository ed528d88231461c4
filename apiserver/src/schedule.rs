//! Placement: which agent runs a workload. An explicit (rendered) `agent` wins; otherwise a
//! `nodeSelector` picks among connected agents whose tags contain every selector pair, the one
//! with the fewest workloads (ties by name). The caller remembers the choice so that a workload
//! does not move when other agents connect.

use std::collections::BTreeMap;

use ank_model::AgentAttributes;

/// Whether `tags` contain every pair of `selector`.
pub fn matches(selector: &BTreeMap<String, String>, tags: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| tags.get(k) == Some(v))
}

/// The connected agent for a workload with `selector`, spread by `load` (workloads per agent).
pub fn pick(
    selector: &BTreeMap<String, String>,
    agents: &BTreeMap<String, AgentAttributes>,
    load: &BTreeMap<String, usize>,
) -> Option<String> {
    agents
        .iter()
        .filter(|(_, attrs)| matches(selector, &attrs.tags))
        .min_by_key(|(name, _)| (load.get(*name).copied().unwrap_or(0), *name))
        .map(|(name, _)| name.clone())
}

/// The additional info of a workload no connected agent matches.
pub fn no_match_reason(selector: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "no connected agent matches nodeSelector {}",
        pairs.join(",")
    )
}

/// Agents and tags for unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A string map of `pairs`.
    pub(crate) fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Connected agents with their tags.
    pub(crate) fn agents(list: &[(&str, &[(&str, &str)])]) -> BTreeMap<String, AgentAttributes> {
        list.iter()
            .map(|(name, tags)| {
                let attrs = AgentAttributes {
                    tags: map(tags),
                    ..AgentAttributes::default()
                };
                (name.to_string(), attrs)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_support::{agents, map};

    #[test]
    fn picks_a_matching_agent_with_the_least_load() {
        let agents = agents(&[
            ("a", &[("zone", "front")]),
            ("b", &[("zone", "front"), ("gpu", "yes")]),
            ("c", &[("zone", "back")]),
        ]);
        let selector = map(&[("zone", "front")]);
        let mut load = BTreeMap::new();
        assert_eq!(pick(&selector, &agents, &load).as_deref(), Some("a"));
        load.insert("a".to_string(), 1);
        assert_eq!(pick(&selector, &agents, &load).as_deref(), Some("b"));
        let gpu = map(&[("zone", "front"), ("gpu", "yes")]);
        assert_eq!(pick(&gpu, &agents, &BTreeMap::new()).as_deref(), Some("b"));
    }

    #[test]
    fn no_match_names_the_selector() {
        let selector = map(&[("zone", "front")]);
        assert_eq!(
            pick(&selector, &agents(&[("a", &[])]), &BTreeMap::new()),
            None
        );
        assert_eq!(
            no_match_reason(&selector),
            "no connected agent matches nodeSelector zone=front"
        );
    }
}
