//! `validateProbe`, `validateLifecycle` and their handlers (`validateExecAction`,
//! `validateHTTPGetAction`, `validateTCPSocketAction`, `validateGRPCAction`,
//! `validateSleepAction`); that a probe has one handler is `checks::pod`'s `probe-handler`.

use k8s_openapi::api::core::v1::{
    Container, ExecAction, HTTPGetAction, LifecycleHandler, Probe, TCPSocketAction,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{grammar, say, Pod};
use crate::finding::{Path, Sink};
use crate::rules::K8S_PROBE as RULE;

/// Checks the probes and lifecycle hooks of container `c` at `at`.
pub(super) fn check(c: &Container, at: &Path, pod: &Pod, sink: &mut Sink) {
    for (field, probe) in [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ] {
        let Some(p) = probe else { continue };
        let here = at.key(field);
        numbers(p, &here, sink);
        if field != "readinessProbe" {
            if let Some(s) = p.success_threshold.filter(|s| *s != 1) {
                say::invalid(sink, RULE, here.key("successThreshold"), s, "must be 1");
            }
        } else if let Some(t) = p.termination_grace_period_seconds {
            say::invalid(
                sink,
                RULE,
                here.key("terminationGracePeriodSeconds"),
                t,
                "must not be set for readinessProbes",
            );
        }
        if let Some(e) = &p.exec {
            exec(e, &here.key("exec"), sink);
        }
        if let Some(h) = &p.http_get {
            http_get(h, &here.key("httpGet"), sink);
        }
        if let Some(t) = &p.tcp_socket {
            tcp_socket(t, &here.key("tcpSocket"), sink);
        }
        if let Some(g) = &p.grpc {
            if !(1..=65535).contains(&g.port) {
                say::invalid(
                    sink,
                    RULE,
                    here.key("grpc").key("port"),
                    g.port,
                    "must be between 1 and 65535, inclusive",
                );
            }
        }
    }
    if let Some(l) = &c.lifecycle {
        for (field, handler) in [("postStart", &l.post_start), ("preStop", &l.pre_stop)] {
            if let Some(h) = handler {
                lifecycle(h, &at.key("lifecycle").key(field), pod, sink);
            }
        }
    }
}

fn numbers(p: &Probe, at: &Path, sink: &mut Sink) {
    for (field, value) in [
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("periodSeconds", p.period_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ] {
        say::non_negative(sink, RULE, || at.key(field), value.map(i64::from));
    }
    say::positive(
        sink,
        RULE,
        || at.key("terminationGracePeriodSeconds"),
        p.termination_grace_period_seconds,
    );
}

fn lifecycle(h: &LifecycleHandler, at: &Path, pod: &Pod, sink: &mut Sink) {
    let count = [
        h.exec.is_some(),
        h.http_get.is_some(),
        h.tcp_socket.is_some(),
        h.sleep.is_some(),
    ]
    .iter()
    .filter(|s| **s)
    .count();
    match count {
        0 => say::required(sink, RULE, at.clone(), "must specify a handler type"),
        1 => {}
        _ => say::forbidden(
            sink,
            RULE,
            at.clone(),
            "may not specify more than 1 handler type",
        ),
    }
    if let Some(e) = &h.exec {
        exec(e, &at.key("exec"), sink);
    }
    if let Some(g) = &h.http_get {
        http_get(g, &at.key("httpGet"), sink);
    }
    if let Some(t) = &h.tcp_socket {
        tcp_socket(t, &at.key("tcpSocket"), sink);
    }
    if let Some(s) = &h.sleep {
        // PodLifecycleSleepActionAllowZero is on by default in 1.33: zero is allowed.
        if !(0..=pod.grace).contains(&s.seconds) {
            say::invalid(
                sink,
                RULE,
                at.key("sleep").key("seconds"),
                s.seconds,
                &format!(
                    "must be non-negative and less than terminationGracePeriodSeconds ({})",
                    pod.grace
                ),
            );
        }
    }
}

fn exec(e: &ExecAction, at: &Path, sink: &mut Sink) {
    if e.command.as_deref().unwrap_or_default().is_empty() {
        say::required(sink, RULE, at.key("command"), "");
    }
}

fn http_get(h: &HTTPGetAction, at: &Path, sink: &mut Sink) {
    port(&h.port, &at.key("port"), sink);
    say::one_of(
        sink,
        RULE,
        || at.key("scheme"),
        h.scheme.as_deref(),
        &["HTTP", "HTTPS"],
    );
    for (i, header) in h.http_headers.iter().flatten().enumerate() {
        let here = || at.key("httpHeaders").idx(i).key("name");
        say::grammar(sink, RULE, here, &header.name, grammar::http_header);
    }
}

fn tcp_socket(t: &TCPSocketAction, at: &Path, sink: &mut Sink) {
    port(&t.port, &at.key("port"), sink);
}

/// `validatePortNumOrName`.
fn port(p: &IntOrString, at: &Path, sink: &mut Sink) {
    match p {
        IntOrString::Int(n) if !(1..=65535).contains(n) => say::invalid(
            sink,
            RULE,
            at.clone(),
            n,
            "must be between 1 and 65535, inclusive",
        ),
        IntOrString::Int(_) => {}
        IntOrString::String(s) => say::grammar(sink, RULE, || at.clone(), s, grammar::port_name),
    }
}
