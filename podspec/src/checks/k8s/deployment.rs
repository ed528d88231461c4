//! `apps/v1` `ValidateDeploymentSpec` beyond `checks`' selector, replicas and restart policy:
//! the strategy, `maxSurge`/`maxUnavailable`, the counters and the selector's syntax.

use k8s_openapi::api::apps::v1::DeploymentSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{say, scheduling};
use crate::finding::{Path, Sink};
use crate::rules::K8S_DEPLOYMENT as RULE;

/// What the API server defaults `progressDeadlineSeconds` to before validating.
const DEFAULT_PROGRESS_DEADLINE: i32 = 600;

/// Checks the Deployment `spec` at `at`.
pub(super) fn check(spec: &DeploymentSpec, at: &Path, sink: &mut Sink) {
    scheduling::selector_with(&spec.selector, &at.key("selector"), RULE, false, sink);
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    say::non_negative(
        sink,
        RULE,
        || at.key("minReadySeconds"),
        spec.min_ready_seconds.map(i64::from),
    );
    say::non_negative(
        sink,
        RULE,
        || at.key("revisionHistoryLimit"),
        spec.revision_history_limit.map(i64::from),
    );
    let deadline = spec
        .progress_deadline_seconds
        .unwrap_or(DEFAULT_PROGRESS_DEADLINE);
    say::non_negative(
        sink,
        RULE,
        || at.key("progressDeadlineSeconds"),
        Some(i64::from(deadline)),
    );
    if deadline >= 0 && deadline <= min_ready {
        say::invalid(
            sink,
            RULE,
            at.key("progressDeadlineSeconds"),
            deadline,
            "must be greater than minReadySeconds",
        );
    }
    let Some(strategy) = &spec.strategy else {
        return;
    };
    let at = at.key("strategy");
    let kind = strategy.type_.as_deref().unwrap_or("RollingUpdate");
    match (kind, &strategy.rolling_update) {
        ("Recreate", Some(_)) => say::forbidden(
            sink,
            RULE,
            at.key("rollingUpdate"),
            "may not be specified when strategy `type` is 'Recreate'",
        ),
        ("RollingUpdate", Some(r)) => {
            let here = at.key("rollingUpdate");
            let unavailable = r
                .max_unavailable
                .as_ref()
                .map(|v| int_or_percent(v, &here.key("maxUnavailable"), true, sink));
            let surge = r
                .max_surge
                .as_ref()
                .map(|v| int_or_percent(v, &here.key("maxSurge"), false, sink));
            // Unset values default to 25%: only two explicit zeros stop a rollout.
            if unavailable == Some(Some(0)) && surge == Some(Some(0)) {
                say::invalid(
                    sink,
                    RULE,
                    here.key("maxUnavailable"),
                    0,
                    "may not be 0 when `maxSurge` is 0",
                );
            }
        }
        ("Recreate" | "RollingUpdate", None) => {}
        (other, _) => say::unsupported(
            sink,
            RULE,
            at.key("type"),
            other,
            &["Recreate", "RollingUpdate"],
        ),
    }
}

/// `ValidatePositiveIntOrPercent` (and `IsNotMoreThan100Percent` when `at_most_100`); the
/// number when it is valid.
fn int_or_percent(v: &IntOrString, at: &Path, at_most_100: bool, sink: &mut Sink) -> Option<i64> {
    let n = match v {
        IntOrString::Int(n) => i64::from(*n),
        IntOrString::String(s) => {
            let Some(n) = s
                .strip_suffix('%')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<i64>().ok())
            else {
                say::invalid_str(
                    sink,
                    RULE,
                    at.clone(),
                    s,
                    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                );
                return None;
            };
            if at_most_100 && n > 100 {
                say::invalid_str(sink, RULE, at.clone(), s, "must not be greater than 100%");
                return None;
            }
            n
        }
    };
    if n < 0 {
        say::invalid(
            sink,
            RULE,
            at.clone(),
            n,
            "must be greater than or equal to 0",
        );
        return None;
    }
    Some(n)
}
