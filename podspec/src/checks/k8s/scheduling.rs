//! Where a pod may run: `nodeSelector`, `validateTolerations`, `validateAffinity` (node, pod
//! and anti-affinity) and `validateTopologySpreadConstraints`, plus `ValidateLabelSelector`,
//! which Deployments and Jobs share.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{
    NodeSelectorTerm, PodAffinityTerm, PodSpec, Toleration, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{grammar, say};
use crate::finding::{Path, Sink};
use crate::rules::K8S_SCHEDULING as RULE;

const REQUIRED: &str = "requiredDuringSchedulingIgnoredDuringExecution";
const PREFERRED: &str = "preferredDuringSchedulingIgnoredDuringExecution";

/// Checks the scheduling fields of `spec` at `at`.
pub(super) fn check(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    for (key, value) in spec.node_selector.iter().flatten() {
        let here = || at.key("nodeSelector").key_owned(key);
        say::grammar(sink, RULE, here, key, grammar::qualified);
        say::grammar(sink, RULE, here, value, grammar::label_value);
    }
    for (i, t) in spec.tolerations.iter().flatten().enumerate() {
        toleration(t, &at.key("tolerations").idx(i), sink);
    }
    if let Some(a) = &spec.affinity {
        let at = at.key("affinity");
        if let Some(node) = &a.node_affinity {
            let here = at.key("nodeAffinity");
            if let Some(required) = &node.required_during_scheduling_ignored_during_execution {
                let terms = here.key(REQUIRED).key("nodeSelectorTerms");
                if required.node_selector_terms.is_empty() {
                    say::required(
                        sink,
                        RULE,
                        terms.clone(),
                        "must have at least one node selector term",
                    );
                }
                for (i, term) in required.node_selector_terms.iter().enumerate() {
                    node_term(term, &terms.idx(i), sink);
                }
            }
            for (i, p) in node
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .flatten()
                .enumerate()
            {
                let here = here.key(PREFERRED).idx(i);
                weight(p.weight, &here, sink);
                node_term(&p.preference, &here.key("preference"), sink);
            }
        }
        for (field, required, preferred) in [
            (
                "podAffinity",
                a.pod_affinity.as_ref().and_then(|p| {
                    p.required_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
                a.pod_affinity.as_ref().and_then(|p| {
                    p.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
            ),
            (
                "podAntiAffinity",
                a.pod_anti_affinity.as_ref().and_then(|p| {
                    p.required_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
                a.pod_anti_affinity.as_ref().and_then(|p| {
                    p.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
            ),
        ] {
            pod_terms(required, preferred, &at.key(field), sink);
        }
    }
    spread(spec, at, sink);
}

fn toleration(t: &Toleration, at: &Path, sink: &mut Sink) {
    let key = t.key.as_deref().unwrap_or_default();
    if !key.is_empty() {
        say::grammar(sink, RULE, || at.key("key"), key, grammar::qualified);
    }
    let operator = t.operator.as_deref().unwrap_or_default();
    if key.is_empty() && operator != "Exists" {
        say::invalid_str(
            sink,
            RULE,
            at.key("operator"),
            operator,
            "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
        );
    }
    if t.toleration_seconds.is_some() && t.effect.as_deref() != Some("NoExecute") {
        say::invalid_str(
            sink,
            RULE,
            at.key("effect"),
            t.effect.as_deref().unwrap_or_default(),
            "effect must be 'NoExecute' when `tolerationSeconds` is set",
        );
    }
    let value = t.value.as_deref().unwrap_or_default();
    match operator {
        "" | "Equal" => say::grammar(sink, RULE, || at.key("value"), value, grammar::label_value),
        "Exists" if !value.is_empty() => say::invalid_str(
            sink,
            RULE,
            at.key("operator"),
            value,
            "value must be empty when `operator` is 'Exists'",
        ),
        "Exists" => {}
        other => say::unsupported(sink, RULE, at.key("operator"), other, &["Equal", "Exists"]),
    }
    let effect = t.effect.as_deref().filter(|e| !e.is_empty());
    say::one_of(
        sink,
        RULE,
        || at.key("effect"),
        effect,
        &["NoSchedule", "PreferNoSchedule", "NoExecute"],
    );
}

/// `validateNodeSelectorTerm`.
fn node_term(term: &NodeSelectorTerm, at: &Path, sink: &mut Sink) {
    for (i, r) in term.match_expressions.iter().flatten().enumerate() {
        let here = at.key("matchExpressions").idx(i);
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => say::required(
                sink,
                RULE,
                here.key("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            ),
            "Exists" | "DoesNotExist" if !values.is_empty() => say::forbidden(
                sink,
                RULE,
                here.key("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
            "Gt" | "Lt" if values.len() != 1 || values[0].parse::<i64>().is_err() => say::required(
                sink,
                RULE,
                here.key("values"),
                "must be specified single integer value when `operator` is 'Lt' or 'Gt'",
            ),
            "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
            other => say::unsupported(
                sink,
                RULE,
                here.key("operator"),
                other,
                &["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"],
            ),
        }
        say::grammar(sink, RULE, || here.key("key"), &r.key, grammar::qualified);
    }
    for (i, r) in term.match_fields.iter().flatten().enumerate() {
        let here = at.key("matchFields").idx(i);
        if r.key != "metadata.name" {
            say::unsupported(sink, RULE, here.key("key"), &r.key, &["metadata.name"]);
        }
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" if values.len() != 1 => say::required(
                sink,
                RULE,
                here.key("values"),
                "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
            ),
            "In" | "NotIn" => {}
            other => say::unsupported(sink, RULE, here.key("operator"), other, &["In", "NotIn"]),
        }
    }
}

fn weight(weight: i32, at: &Path, sink: &mut Sink) {
    if !(1..=100).contains(&weight) {
        say::invalid(
            sink,
            RULE,
            at.key("weight"),
            weight,
            "must be in the range 1-100",
        );
    }
}

fn pod_terms(
    required: Option<&Vec<PodAffinityTerm>>,
    preferred: Option<&Vec<WeightedPodAffinityTerm>>,
    at: &Path,
    sink: &mut Sink,
) {
    for (i, term) in required.into_iter().flatten().enumerate() {
        pod_term(term, &at.key(REQUIRED).idx(i), sink);
    }
    for (i, w) in preferred.into_iter().flatten().enumerate() {
        let here = at.key(PREFERRED).idx(i);
        weight(w.weight, &here, sink);
        pod_term(&w.pod_affinity_term, &here.key("podAffinityTerm"), sink);
    }
}

/// `validatePodAffinityTerm`.
fn pod_term(term: &PodAffinityTerm, at: &Path, sink: &mut Sink) {
    if term.topology_key.is_empty() {
        say::required(sink, RULE, at.key("topologyKey"), "can not be empty");
    } else {
        say::grammar(
            sink,
            RULE,
            || at.key("topologyKey"),
            &term.topology_key,
            grammar::qualified,
        );
    }
    if let Some(s) = &term.label_selector {
        selector(s, &at.key("labelSelector"), RULE, sink);
    }
    if let Some(s) = &term.namespace_selector {
        selector(s, &at.key("namespaceSelector"), RULE, sink);
    }
    for (i, ns) in term.namespaces.iter().flatten().enumerate() {
        say::grammar(
            sink,
            RULE,
            || at.key("namespaces").idx(i),
            ns,
            grammar::label,
        );
    }
    for field in ["matchLabelKeys", "mismatchLabelKeys"] {
        let keys = if field == "matchLabelKeys" {
            &term.match_label_keys
        } else {
            &term.mismatch_label_keys
        };
        for (i, k) in keys.iter().flatten().enumerate() {
            say::grammar(sink, RULE, || at.key(field).idx(i), k, grammar::qualified);
        }
    }
}

/// `validateTopologySpreadConstraints`.
fn spread(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    let mut seen = HashSet::new();
    for (i, c) in spec
        .topology_spread_constraints
        .iter()
        .flatten()
        .enumerate()
    {
        let here = at.key("topologySpreadConstraints").idx(i);
        if c.max_skew <= 0 {
            say::invalid(
                sink,
                RULE,
                here.key("maxSkew"),
                c.max_skew,
                "must be greater than zero",
            );
        }
        if c.topology_key.is_empty() {
            say::required(sink, RULE, here.key("topologyKey"), "can not be empty");
        } else {
            say::grammar(
                sink,
                RULE,
                || here.key("topologyKey"),
                &c.topology_key,
                grammar::qualified,
            );
        }
        let when = c.when_unsatisfiable.as_str();
        say::one_of(
            sink,
            RULE,
            || here.key("whenUnsatisfiable"),
            Some(when),
            &["DoNotSchedule", "ScheduleAnyway"],
        );
        if let Some(min) = c.min_domains {
            if min <= 0 {
                say::invalid(
                    sink,
                    RULE,
                    here.key("minDomains"),
                    min,
                    "must be greater than 0",
                );
            } else if when != "DoNotSchedule" {
                say::invalid(
                    sink,
                    RULE,
                    here.key("minDomains"),
                    min,
                    &format!(
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {when}"
                    ),
                );
            }
        }
        if !seen.insert((c.topology_key.as_str(), when)) {
            say::duplicate(
                sink,
                RULE,
                here.key("topologyKey"),
                format!(
                    "{{{}, {}}}",
                    say::quoted(&c.topology_key),
                    say::quoted(when)
                ),
            );
        }
        for (field, value) in [
            ("nodeAffinityPolicy", c.node_affinity_policy.as_deref()),
            ("nodeTaintsPolicy", c.node_taints_policy.as_deref()),
        ] {
            say::one_of(sink, RULE, || here.key(field), value, &["Honor", "Ignore"]);
        }
        if let Some(s) = &c.label_selector {
            selector(s, &here.key("labelSelector"), RULE, sink);
        }
        for (j, k) in c.match_label_keys.iter().flatten().enumerate() {
            let key_at = || here.key("matchLabelKeys").idx(j);
            say::grammar(sink, RULE, key_at, k, grammar::qualified);
            let in_selector = c.label_selector.as_ref().is_some_and(|s| {
                s.match_labels.as_ref().is_some_and(|m| m.contains_key(k))
                    || s.match_expressions.iter().flatten().any(|e| &e.key == k)
            });
            if c.label_selector.is_none() {
                say::forbidden(
                    sink,
                    RULE,
                    key_at(),
                    "must not be specified when labelSelector is not set",
                );
            } else if in_selector {
                say::invalid_str(
                    sink,
                    RULE,
                    key_at(),
                    k,
                    "exists in both matchLabelKeys and labelSelector",
                );
            }
        }
    }
}

/// `ValidateLabelSelector`: keys, values and operators, reported under `rule`.
pub(super) fn selector(s: &LabelSelector, at: &Path, rule: &'static str, sink: &mut Sink) {
    selector_with(s, at, rule, true, sink);
}

/// [`selector`], judging operators only when `operators`.
pub(super) fn selector_with(
    s: &LabelSelector,
    at: &Path,
    rule: &'static str,
    operators: bool,
    sink: &mut Sink,
) {
    for (key, value) in s.match_labels.iter().flatten() {
        let here = || at.key("matchLabels").key_owned(key);
        say::grammar(sink, rule, here, key, grammar::qualified);
        say::grammar(sink, rule, here, value, grammar::label_value);
    }
    for (i, e) in s.match_expressions.iter().flatten().enumerate() {
        let here = at.key("matchExpressions").idx(i);
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => say::required(
                sink,
                rule,
                here.key("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            ),
            "Exists" | "DoesNotExist" if !values.is_empty() => say::forbidden(
                sink,
                rule,
                here.key("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            // An unknown operator of a Deployment's or Job's own selector is `selector`'s.
            _ if !operators => {}
            other => say::unsupported(
                sink,
                rule,
                here.key("operator"),
                other,
                &["DoesNotExist", "Exists", "In", "NotIn"],
            ),
        }
        say::grammar(sink, rule, || here.key("key"), &e.key, grammar::qualified);
        for (j, v) in values.iter().enumerate() {
            say::grammar(
                sink,
                rule,
                || here.key("values").idx(j),
                v,
                grammar::label_value,
            );
        }
    }
}
