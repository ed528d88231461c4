//! Container fields of `validateContainers`/`validateInitContainers` that no other area owns:
//! termination message policy, resize policy, a container's own restart policy (sidecars),
//! what init containers may not have, and volume devices.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Container, Volume};

use super::{say, Pod};
use crate::finding::{Path, Sink};
use crate::rules::K8S_CONTAINER as RULE;

/// Checks container `c` at `at`; `init` for an init container.
pub(super) fn check(c: &Container, at: &Path, init: bool, pod: &Pod, sink: &mut Sink) {
    say::one_of(
        sink,
        RULE,
        || at.key("terminationMessagePolicy"),
        c.termination_message_policy.as_deref(),
        &["File", "FallbackToLogsOnError"],
    );
    let mut resized = HashSet::new();
    for (i, r) in c.resize_policy.iter().flatten().enumerate() {
        let here = at.key("resizePolicy").idx(i);
        say::one_of(
            sink,
            RULE,
            || here.key("resourceName"),
            Some(&r.resource_name),
            &["cpu", "memory"],
        );
        if !resized.insert(r.resource_name.as_str()) {
            say::duplicate(
                sink,
                RULE,
                here.key("resourceName"),
                say::quoted(&r.resource_name),
            );
        }
        say::one_of(
            sink,
            RULE,
            || here.key("restartPolicy"),
            Some(&r.restart_policy),
            &["NotRequired", "RestartContainer"],
        );
    }
    let sidecar = c.restart_policy.as_deref() == Some("Always");
    match (&c.restart_policy, init) {
        (Some(_), false) => say::forbidden(
            sink,
            RULE,
            at.key("restartPolicy"),
            "may not be set for non-init containers",
        ),
        (Some(p), true) if !sidecar => {
            say::unsupported(sink, RULE, at.key("restartPolicy"), p, &["Always"])
        }
        _ => {}
    }
    if init && !sidecar {
        for (field, set) in [
            ("lifecycle", c.lifecycle.is_some()),
            ("livenessProbe", c.liveness_probe.is_some()),
            ("readinessProbe", c.readiness_probe.is_some()),
            ("startupProbe", c.startup_probe.is_some()),
        ] {
            if set {
                say::forbidden(
                    sink,
                    RULE,
                    at.key(field),
                    "may not be set for init containers without restartPolicy=Always",
                );
            }
        }
    }
    devices(c, at, pod.volumes, sink);
}

/// `validateVolumeDevices`: block devices come from claims, at unique paths no mount uses.
fn devices(c: &Container, at: &Path, volumes: &[Volume], sink: &mut Sink) {
    let mounts = c.volume_mounts.as_deref().unwrap_or_default();
    let mut paths = HashSet::new();
    let mut names = HashSet::new();
    for (i, d) in c.volume_devices.iter().flatten().enumerate() {
        let here = at.key("volumeDevices").idx(i);
        if d.name.is_empty() {
            say::required(sink, RULE, here.key("name"), "");
        } else {
            match volumes.iter().find(|v| v.name == d.name) {
                None => say::not_found(sink, RULE, here.key("name"), &d.name),
                Some(v) if v.persistent_volume_claim.is_none() && v.ephemeral.is_none() => {
                    say::invalid_str(
                        sink,
                        RULE,
                        here.key("name"),
                        &d.name,
                        "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
                    )
                }
                Some(_) => {}
            }
            if !names.insert(d.name.as_str()) {
                say::invalid_str(sink, RULE, here.key("name"), &d.name, "must be unique");
            }
            if mounts.iter().any(|m| m.name == d.name) {
                say::invalid_str(
                    sink,
                    RULE,
                    here.key("name"),
                    &d.name,
                    "must not already exist in volumeMounts",
                );
            }
        }
        if d.device_path.is_empty() {
            say::required(sink, RULE, here.key("devicePath"), "");
            continue;
        }
        if !paths.insert(d.device_path.as_str()) {
            say::invalid_str(
                sink,
                RULE,
                here.key("devicePath"),
                &d.device_path,
                "must be unique",
            );
        }
        if d.device_path.split('/').any(|p| p == "..") {
            say::invalid_str(
                sink,
                RULE,
                here.key("devicePath"),
                &d.device_path,
                "can not contain '..'",
            );
        }
        if mounts.iter().any(|m| m.mount_path == d.device_path) {
            say::invalid_str(
                sink,
                RULE,
                here.key("devicePath"),
                &d.device_path,
                "must not already exist as a path in volumeMounts",
            );
        }
    }
}
