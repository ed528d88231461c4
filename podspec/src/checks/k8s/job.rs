//! `batch/v1` `validateJobSpec` beyond `checks`' restart policy: counters, completion mode,
//! per-index backoff, pod failure and success policies, replacement policy, selector and
//! `managedBy`.

use std::collections::HashSet;

use k8s_openapi::api::batch::v1::{JobSpec, PodFailurePolicy};

use super::{grammar, say, scheduling};
use crate::finding::{Path, Sink};
use crate::rules::K8S_JOB as RULE;

/// `maxParallelismForIndexedJob`, `maxFailedIndexesLimitForIndexedJobs`.
const MAX_INDEXED: i64 = 100_000;
/// `maxPodFailurePolicyRules`, `maxPodFailurePolicyOnPodConditionsPatterns`.
const MAX_RULES: usize = 20;
/// `maxPodFailurePolicyOnExitCodesValues`.
const MAX_EXIT_CODES: usize = 255;

/// Checks the Job `spec` at `at`.
pub(super) fn check(spec: &JobSpec, at: &Path, sink: &mut Sink) {
    for (field, value) in [
        ("parallelism", spec.parallelism),
        ("completions", spec.completions),
        ("backoffLimit", spec.backoff_limit),
        ("ttlSecondsAfterFinished", spec.ttl_seconds_after_finished),
        ("backoffLimitPerIndex", spec.backoff_limit_per_index),
        ("maxFailedIndexes", spec.max_failed_indexes),
    ] {
        say::non_negative(sink, RULE, || at.key(field), value.map(i64::from));
    }
    say::non_negative(
        sink,
        RULE,
        || at.key("activeDeadlineSeconds"),
        spec.active_deadline_seconds,
    );
    let mode = spec.completion_mode.as_deref();
    say::one_of(
        sink,
        RULE,
        || at.key("completionMode"),
        mode,
        &["NonIndexed", "Indexed"],
    );
    let indexed = mode == Some("Indexed");
    if indexed {
        if spec.completions.is_none() {
            say::required(
                sink,
                RULE,
                at.key("completions"),
                "when completion mode is Indexed",
            );
        }
        if let Some(p) = spec.parallelism.map(i64::from).filter(|p| *p > MAX_INDEXED) {
            say::invalid(
                sink,
                RULE,
                at.key("parallelism"),
                p,
                "must be less than or equal to 100000 when completion mode is Indexed",
            );
        }
    }
    if let Some(c) = spec
        .completions
        .filter(|c| spec.backoff_limit_per_index.is_some() && i64::from(*c) > MAX_INDEXED)
    {
        say::invalid(
            sink,
            RULE,
            at.key("completions"),
            c,
            "must be less than or equal to 100000 when backoffLimitPerIndex is specified",
        );
    }
    if spec.backoff_limit_per_index.is_some() && !indexed {
        say::forbidden(
            sink,
            RULE,
            at.key("backoffLimitPerIndex"),
            "requires indexed completion mode",
        );
    }
    if let Some(max) = spec.max_failed_indexes {
        if spec.backoff_limit_per_index.is_none() {
            say::required(
                sink,
                RULE,
                at.key("backoffLimitPerIndex"),
                "when maxFailedIndexes is specified",
            );
        }
        if i64::from(max) > MAX_INDEXED {
            say::invalid(
                sink,
                RULE,
                at.key("maxFailedIndexes"),
                max,
                "must be less than or equal to 100000",
            );
        } else if spec.completions.is_some_and(|c| max > c) {
            say::invalid(
                sink,
                RULE,
                at.key("maxFailedIndexes"),
                max,
                "must be less than or equal to completions",
            );
        }
    }
    let replacement = spec.pod_replacement_policy.as_deref();
    say::one_of(
        sink,
        RULE,
        || at.key("podReplacementPolicy"),
        replacement,
        &["TerminatingOrFailed", "Failed"],
    );
    if let Some(policy) = &spec.pod_failure_policy {
        if replacement.is_some_and(|r| r != "Failed") {
            say::unsupported(
                sink,
                RULE,
                at.key("podReplacementPolicy"),
                replacement.unwrap_or_default(),
                &["Failed"],
            );
        }
        let restart = spec
            .template
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.as_deref());
        if restart != Some("Never") {
            say::unsupported(
                sink,
                RULE,
                at.key("template").key("spec").key("restartPolicy"),
                restart.unwrap_or_default(),
                &["Never"],
            );
        }
        failure_policy(policy, spec, &at.key("podFailurePolicy"), sink);
    }
    if let Some(s) = &spec.success_policy {
        let here = at.key("successPolicy");
        if !indexed {
            say::invalid(
                sink,
                RULE,
                at.key("completionMode"),
                say::quoted(mode.unwrap_or("NonIndexed")),
                "requires indexed completion mode",
            );
        }
        if s.rules.is_empty() || s.rules.len() > MAX_RULES {
            say::invalid(
                sink,
                RULE,
                here.key("rules"),
                s.rules.len(),
                "must have between 1 and 20 rules",
            );
        }
        for (i, r) in s.rules.iter().enumerate() {
            if r.succeeded_count.is_none() && r.succeeded_indexes.is_none() {
                say::required(
                    sink,
                    RULE,
                    here.key("rules").idx(i),
                    "at least one of succeededCount or succeededIndexes must be specified",
                );
            }
            say::non_negative(
                sink,
                RULE,
                || here.key("rules").idx(i).key("succeededCount"),
                r.succeeded_count.map(i64::from),
            );
        }
    }
    match (spec.manual_selector == Some(true), &spec.selector) {
        (true, None) => say::required(sink, RULE, at.key("selector"), ""),
        (false, Some(_)) => say::invalid(
            sink,
            RULE,
            at.key("selector"),
            "{…}",
            "`selector` will be auto-generated",
        ),
        (_, Some(s)) => scheduling::selector_with(s, &at.key("selector"), RULE, false, sink),
        (false, None) => {}
    }
    if let Some(m) = spec.managed_by.as_deref() {
        let (domain, path) = m.split_once('/').unwrap_or(("", m));
        if m.len() > 63 {
            sink.error(
                RULE,
                at.key("managedBy"),
                "too long: may not be more than 63 bytes",
            );
        } else if domain.is_empty() || path.is_empty() || grammar::subdomain(domain).is_some() {
            say::invalid_str(
                sink,
                RULE,
                at.key("managedBy"),
                m,
                "must be a domain-prefixed path (such as \"acme.io/foo\")",
            );
        }
    }
}

/// `validatePodFailurePolicy`.
fn failure_policy(policy: &PodFailurePolicy, spec: &JobSpec, at: &Path, sink: &mut Sink) {
    let rules_at = at.key("rules");
    if policy.rules.len() > MAX_RULES {
        sink.error(
            RULE,
            rules_at.clone(),
            format!(
                "too many: {}: must have at most {MAX_RULES} items",
                policy.rules.len()
            ),
        );
    }
    let containers: HashSet<&str> = spec
        .template
        .spec
        .iter()
        .flat_map(|s| {
            s.containers
                .iter()
                .chain(s.init_containers.iter().flatten())
        })
        .map(|c| c.name.as_str())
        .collect();
    for (i, rule) in policy.rules.iter().enumerate() {
        let here = rules_at.idx(i);
        say::one_of(
            sink,
            RULE,
            || here.key("action"),
            Some(&rule.action),
            &["Count", "FailIndex", "FailJob", "Ignore"],
        );
        if rule.action == "FailIndex" && spec.backoff_limit_per_index.is_none() {
            say::forbidden(
                sink,
                RULE,
                here.key("action"),
                "requires the backoffLimitPerIndex to be set",
            );
        }
        match (&rule.on_exit_codes, &rule.on_pod_conditions) {
            (Some(_), Some(_)) => say::invalid(
                sink,
                RULE,
                here.clone(),
                "{…}",
                "specifying both OnExitCodes and OnPodConditions is not supported",
            ),
            (None, None) => say::invalid(
                sink,
                RULE,
                here.clone(),
                "{…}",
                "specifying one of OnExitCodes and OnPodConditions is required",
            ),
            _ => {}
        }
        if let Some(codes) = &rule.on_exit_codes {
            let here = here.key("onExitCodes");
            let op = codes.operator.as_str();
            say::one_of(
                sink,
                RULE,
                || here.key("operator"),
                Some(op),
                &["In", "NotIn"],
            );
            if let Some(name) = codes.container_name.as_deref() {
                if !containers.contains(name) {
                    say::invalid_str(
                        sink,
                        RULE,
                        here.key("containerName"),
                        name,
                        "must be one of the container or initContainer names in the pod template",
                    );
                }
            }
            let values = &codes.values;
            if values.is_empty() {
                say::invalid(
                    sink,
                    RULE,
                    here.key("values"),
                    "[]",
                    "at least one value is required",
                );
            } else if values.len() > MAX_EXIT_CODES {
                sink.error(
                    RULE,
                    here.key("values"),
                    format!(
                        "too many: {}: must have at most {MAX_EXIT_CODES} items",
                        values.len()
                    ),
                );
            }
            let mut seen = HashSet::new();
            for (j, v) in values.iter().enumerate() {
                let value_at = here.key("values").idx(j);
                if op == "In" && *v == 0 {
                    say::invalid(
                        sink,
                        RULE,
                        value_at.clone(),
                        v,
                        "must not be 0 for the In operator",
                    );
                }
                if !seen.insert(*v) {
                    say::duplicate(sink, RULE, value_at, v);
                } else if j > 0 && values[j - 1] > *v {
                    say::invalid(sink, RULE, value_at, v, "must be ordered");
                }
            }
        }
        let conditions = rule.on_pod_conditions.as_deref().unwrap_or_default();
        if conditions.len() > MAX_RULES {
            sink.error(
                RULE,
                here.key("onPodConditions"),
                format!(
                    "too many: {}: must have at most {MAX_RULES} items",
                    conditions.len()
                ),
            );
        }
        for (j, c) in conditions.iter().enumerate() {
            let cond = here.key("onPodConditions").idx(j);
            say::one_of(
                sink,
                RULE,
                || cond.key("status"),
                Some(&c.status),
                &["False", "True", "Unknown"],
            );
            if c.type_.is_empty() {
                say::required(sink, RULE, cond.key("type"), "");
            } else {
                say::grammar(
                    sink,
                    RULE,
                    || cond.key("type"),
                    &c.type_,
                    grammar::qualified,
                );
            }
        }
    }
}
