//! Container port rules beyond `checks::pod`'s numbers, names and protocols: `hostIP`,
//! host ports under `hostNetwork`, and `AccumulateUniqueHostPorts` across the pod.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::PodSpec;

use super::{grammar, say};
use crate::finding::{Path, Sink};
use crate::rules::K8S_PORT as RULE;

/// Checks the ports of every container of `spec` at `at`.
pub(super) fn check(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    let host_network = spec.host_network == Some(true);
    let mut host_ports = HashSet::new();
    for (i, c) in spec.containers.iter().enumerate() {
        for (j, p) in c.ports.iter().flatten().enumerate() {
            let here = || at.key("containers").idx(i).key("ports").idx(j);
            let host_ip = p.host_ip.as_deref().unwrap_or_default();
            if !host_ip.is_empty() {
                say::grammar(sink, RULE, || here().key("hostIP"), host_ip, grammar::ip);
            }
            let Some(host_port) = p.host_port.filter(|h| *h != 0) else {
                continue;
            };
            if host_network && host_port != p.container_port {
                say::invalid(
                    sink,
                    RULE,
                    here().key("hostPort"),
                    host_port,
                    "must match `containerPort` when `hostNetwork` is true",
                );
            }
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            if !host_ports.insert((host_ip, protocol, host_port)) {
                say::duplicate(
                    sink,
                    RULE,
                    here().key("hostPort"),
                    format!("{host_port}/{protocol}"),
                );
            }
        }
    }
}
