//! `ValidateResourceRequirements` beyond `checks::pod`'s parsing and request ≤ limit: resource
//! names, extended resources and hugepages (requests equal to limits), claims, and the pod's
//! `overhead` list.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{grammar, say, Pod};
use crate::checks::quantity;
use crate::finding::{Path, Sink};
use crate::rules::K8S_RESOURCES as RULE;

/// The value of a quantity, when it parses.
pub(super) fn value(text: &str) -> Option<f64> {
    quantity::parse(text)
}

/// A resource list outside a container (`overhead`): quantities that parse, none negative.
pub(super) fn check_list(
    list: &BTreeMap<String, Quantity>,
    at: &Path,
    rule: &'static str,
    sink: &mut Sink,
) {
    for (name, q) in list {
        let here = || at.key_owned(name);
        say::grammar(sink, rule, here, name, grammar::qualified);
        match value(&q.0) {
            None => say::invalid_str(
                sink,
                rule,
                here(),
                &q.0,
                "must be a valid resource quantity",
            ),
            Some(v) if v < 0.0 => say::invalid_str(
                sink,
                rule,
                here(),
                &q.0,
                "must be greater than or equal to 0",
            ),
            Some(_) => {}
        }
    }
}

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

/// `IsNativeResource`: no domain, or a `kubernetes.io` one.
fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// Checks a container's `resources` at `at`.
pub(super) fn check(r: &ResourceRequirements, at: &Path, pod: &Pod, sink: &mut Sink) {
    let limits = r.limits.as_ref();
    let requests = r.requests.as_ref();
    for (field, list) in [("limits", limits), ("requests", requests)] {
        for (name, q) in list.into_iter().flatten() {
            let here = || at.key(field).key_owned(name);
            if let Some(detail) = grammar::qualified(name) {
                say::invalid_str(sink, RULE, here(), name, &detail);
                continue;
            }
            if !name.contains('/') {
                let standard = ["cpu", "memory", "ephemeral-storage"].contains(&name.as_str())
                    || is_hugepages(name);
                if !standard {
                    say::invalid_str(
                        sink,
                        RULE,
                        here(),
                        name,
                        "must be a standard resource for containers",
                    );
                    continue;
                }
            } else if !is_native(name) {
                if grammar::qualified(&format!("requests.{name}")).is_some()
                    || name.starts_with("requests.")
                {
                    say::invalid_str(
                        sink,
                        RULE,
                        here(),
                        name,
                        "doesn't follow extended resource name standard",
                    );
                    continue;
                }
                if value(&q.0).is_some_and(|v| v.fract() != 0.0) {
                    say::invalid_str(sink, RULE, here(), &q.0, "must be an integer");
                }
            }
        }
    }
    for (name, request) in requests.into_iter().flatten() {
        // Overcommit is allowed only for native resources other than hugepages.
        if is_native(name) && !is_hugepages(name) {
            continue;
        }
        let here = || at.key("requests").key_owned(name);
        match limits.and_then(|l| l.get(name)) {
            None => say::forbidden(
                sink,
                RULE,
                here(),
                "Limit must be set for non overcommitable resources",
            ),
            Some(limit) if value(&limit.0) != value(&request.0) => say::invalid_str(
                sink,
                RULE,
                here(),
                &request.0,
                &format!("must be equal to {name} limit of {}", limit.0),
            ),
            Some(_) => {}
        }
    }
    let has = |f: fn(&str) -> bool| {
        limits
            .into_iter()
            .chain(requests)
            .flatten()
            .any(|(n, _)| f(n))
    };
    if has(is_hugepages) && !has(|n| n == "cpu" || n == "memory") {
        say::forbidden(sink, RULE, at.clone(), "HugePages require cpu or memory");
    }
    let mut claims = HashSet::new();
    for (i, c) in r.claims.iter().flatten().enumerate() {
        let here = at.key("claims").idx(i).key("name");
        if c.name.is_empty() {
            say::required(sink, RULE, here, "");
        } else if !claims.insert((c.name.as_str(), c.request.as_deref())) {
            say::duplicate(sink, RULE, here, say::quoted(&c.name));
        } else if !pod.claims.contains(c.name.as_str()) {
            say::unsupported(
                sink,
                RULE,
                here,
                &c.name,
                &pod.claims.iter().copied().collect::<Vec<_>>(),
            );
        }
    }
}
