//! Checks of a pod spec and its containers, as the API server's `ValidatePodSpec` does them:
//! names, images, ports, env, resources, volume mounts, probes and the restart policy.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::core::v1::{Container, PodSpec, Probe, Volume};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{image, names, quantity};
use crate::finding::{Path, Sink};
use crate::rules;

/// Which object owns the pod spec: it decides the allowed restart policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A bare pod: any policy, `Always` by default.
    Pod,
    /// A Deployment template: only `Always`.
    Deployment,
    /// A Job template: `OnFailure` or `Never`, and it must be set.
    Job,
}

/// True when the pod runs as native processes rather than through podman.
pub(crate) fn is_native(spec: &PodSpec) -> bool {
    spec.runtime_class_name.as_deref() == Some(ank_model::runtime_config::NATIVE)
}

/// Checks `spec`, found at `at`.
pub(crate) fn check_spec(spec: &PodSpec, at: &Path, owner: Owner, sink: &mut Sink) {
    let native = is_native(spec);
    if spec.containers.is_empty() {
        sink.error(
            rules::REQUIRED,
            at.key("containers"),
            "a pod needs at least one container",
        );
    }
    let volumes = check_volumes(spec, at, sink);
    super::claim::check_claim_refs(spec, at, sink);
    let mut container_names = HashSet::new();
    let mut ports = PortSet::default();
    let init = spec.init_containers.as_deref().unwrap_or_default();
    for (list, containers) in [
        ("initContainers", init),
        ("containers", &spec.containers[..]),
    ] {
        for (i, c) in containers.iter().enumerate() {
            let here = at.key(list).idx(i);
            if !container_names.insert(c.name.as_str()) {
                let message = format!("container name {:?} is used twice", c.name);
                sink.error(rules::DUPLICATE_CONTAINER, here.key("name"), message);
            }
            check_container(c, &here, native, &volumes, &mut ports, sink);
        }
    }
    check_restart_policy(
        spec.restart_policy.as_deref(),
        &at.key("restartPolicy"),
        owner,
        sink,
    );
}

fn check_volumes<'s>(spec: &'s PodSpec, at: &Path, sink: &mut Sink) -> HashSet<&'s str> {
    let mut seen = HashSet::new();
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        // Paths are built only for findings: most volumes have none.
        let here = || at.key("volumes").idx(i).key("name");
        if let Some(message) = names::dns1123_label(&v.name) {
            sink.error(rules::DNS1123_NAME, here(), message);
        }
        if !seen.insert(v.name.as_str()) {
            sink.error(
                rules::VOLUME,
                here(),
                format!("volume name {:?} is used twice", v.name),
            );
        }
        let sources = volume_sources(v);
        if sources.len() > 1 {
            let message = format!(
                "volume {:?} may have only one source, not {}",
                v.name,
                sources.join(" and ")
            );
            sink.error(rules::VOLUME, at.key("volumes").idx(i), message);
        }
    }
    seen
}

/// The sources a volume sets. None is fine: Kubernetes defaults such a volume to `emptyDir`
/// before it validates, so only a second source is an error.
fn volume_sources(v: &Volume) -> Vec<&'static str> {
    let all = [
        ("awsElasticBlockStore", v.aws_elastic_block_store.is_some()),
        ("azureDisk", v.azure_disk.is_some()),
        ("azureFile", v.azure_file.is_some()),
        ("cephfs", v.cephfs.is_some()),
        ("cinder", v.cinder.is_some()),
        ("configMap", v.config_map.is_some()),
        ("csi", v.csi.is_some()),
        ("downwardAPI", v.downward_api.is_some()),
        ("emptyDir", v.empty_dir.is_some()),
        ("ephemeral", v.ephemeral.is_some()),
        ("fc", v.fc.is_some()),
        ("flexVolume", v.flex_volume.is_some()),
        ("flocker", v.flocker.is_some()),
        ("gcePersistentDisk", v.gce_persistent_disk.is_some()),
        ("gitRepo", v.git_repo.is_some()),
        ("glusterfs", v.glusterfs.is_some()),
        ("hostPath", v.host_path.is_some()),
        ("image", v.image.is_some()),
        ("iscsi", v.iscsi.is_some()),
        ("nfs", v.nfs.is_some()),
        ("persistentVolumeClaim", v.persistent_volume_claim.is_some()),
        ("photonPersistentDisk", v.photon_persistent_disk.is_some()),
        ("portworxVolume", v.portworx_volume.is_some()),
        ("projected", v.projected.is_some()),
        ("quobyte", v.quobyte.is_some()),
        ("rbd", v.rbd.is_some()),
        ("scaleIO", v.scale_io.is_some()),
        ("secret", v.secret.is_some()),
        ("storageos", v.storageos.is_some()),
        ("vsphereVolume", v.vsphere_volume.is_some()),
    ];
    all.iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect()
}

fn check_restart_policy(policy: Option<&str>, at: &Path, owner: Owner, sink: &mut Sink) {
    let allowed: &[&str] = match owner {
        Owner::Pod => &["Always", "OnFailure", "Never"],
        Owner::Deployment => &["Always"],
        Owner::Job => &["OnFailure", "Never"],
    };
    match policy {
        None if owner == Owner::Job => {
            sink.error(
                rules::RESTART_POLICY,
                at.clone(),
                "a job template needs restartPolicy OnFailure or Never",
            );
        }
        Some(p) if !allowed.contains(&p) => {
            let message = format!("restartPolicy {p:?} is not one of {}", allowed.join(", "));
            sink.error(rules::RESTART_POLICY, at.clone(), message);
        }
        _ => {}
    }
}

/// `containerPort`/`protocol` pairs and port names already used in the pod.
#[derive(Default)]
struct PortSet<'s> {
    numbers: HashSet<(i32, &'s str)>,
    names: HashSet<&'s str>,
}

fn check_container<'s>(
    c: &'s Container,
    at: &Path,
    native: bool,
    volumes: &HashSet<&str>,
    ports: &mut PortSet<'s>,
    sink: &mut Sink,
) {
    if c.name.is_empty() {
        sink.error(
            rules::REQUIRED,
            at.key("name"),
            "container name is required",
        );
    } else if let Some(message) = names::dns1123_label(&c.name) {
        sink.error(rules::DNS1123_NAME, at.key("name"), message);
    }
    match c.image.as_deref() {
        None | Some("") if !native => {
            sink.error(rules::REQUIRED, at.key("image"), "image is required")
        }
        Some(image) if !image.is_empty() => {
            if let Some(message) = image::check(image) {
                sink.error(rules::IMAGE_REFERENCE, at.key("image"), message);
            }
        }
        _ => {}
    }
    if native && c.command.as_deref().unwrap_or_default().is_empty() {
        sink.error(
            rules::ANKAIOS_NATIVE,
            at.key("command"),
            "a native container needs a command: there is no image entrypoint",
        );
    }
    if let Some(policy) = c.image_pull_policy.as_deref() {
        if !["Always", "IfNotPresent", "Never"].contains(&policy) {
            let message =
                format!("imagePullPolicy {policy:?} is not one of Always, IfNotPresent, Never");
            sink.error(rules::IMAGE_PULL_POLICY, at.key("imagePullPolicy"), message);
        }
    }
    check_ports(c, at, ports, sink);
    check_env(c, at, sink);
    if let Some(r) = &c.resources {
        check_resources(
            r.limits.as_ref(),
            r.requests.as_ref(),
            &at.key("resources"),
            sink,
        );
    }
    check_mounts(c, at, volumes, sink);
    for (field, probe) in [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ] {
        if let Some(probe) = probe {
            check_probe(probe, &at.key(field), sink);
        }
    }
}

fn check_ports<'s>(c: &'s Container, at: &Path, ports: &mut PortSet<'s>, sink: &mut Sink) {
    for (i, p) in c.ports.iter().flatten().enumerate() {
        let here = || at.key("ports").idx(i);
        if !(1..=65535).contains(&p.container_port) {
            let message = format!(
                "containerPort {} must be between 1 and 65535",
                p.container_port
            );
            sink.error(rules::PORT, here().key("containerPort"), message);
        }
        if let Some(host) = p.host_port.filter(|h| !(0..=65535).contains(h)) {
            sink.error(
                rules::PORT,
                here().key("hostPort"),
                format!("hostPort {host} must be between 0 and 65535"),
            );
        }
        let protocol = p.protocol.as_deref().unwrap_or("TCP");
        if !["TCP", "UDP", "SCTP"].contains(&protocol) {
            sink.error(
                rules::PORT,
                here().key("protocol"),
                format!("protocol {protocol:?} is not one of TCP, UDP, SCTP"),
            );
        }
        if !ports.numbers.insert((p.container_port, protocol)) {
            let message = format!(
                "containerPort {}/{protocol} is used twice in the pod",
                p.container_port
            );
            sink.error(rules::DUPLICATE_PORT, here().key("containerPort"), message);
        }
        if let Some(name) = &p.name {
            if let Some(message) = names::iana_svc_name(name) {
                sink.error(rules::PORT, here().key("name"), message);
            } else if !ports.names.insert(name) {
                sink.error(
                    rules::DUPLICATE_PORT,
                    here().key("name"),
                    format!("port name {name:?} is used twice in the pod"),
                );
            }
        }
    }
}

fn check_env(c: &Container, at: &Path, sink: &mut Sink) {
    for (i, e) in c.env.iter().flatten().enumerate() {
        let here = || at.key("env").idx(i);
        if let Some(message) = names::env_var_name(&e.name) {
            sink.error(rules::ENV_NAME, here().key("name"), message);
        }
        if e.value.as_deref().is_some_and(|v| !v.is_empty()) && e.value_from.is_some() {
            let message = format!("env var {:?} may not have both value and valueFrom", e.name);
            sink.error(rules::ENV_NAME, here().key("valueFrom"), message);
        }
    }
}

type Quantities = BTreeMap<String, Quantity>;

fn check_resources(
    limits: Option<&Quantities>,
    requests: Option<&Quantities>,
    at: &Path,
    sink: &mut Sink,
) {
    let mut parsed = |field: &'static str, map: Option<&Quantities>| -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for (name, q) in map.into_iter().flatten() {
            match quantity::parse(&q.0) {
                Some(v) if v >= 0.0 => {
                    out.insert(name.clone(), v);
                }
                Some(_) => sink.error(
                    rules::QUANTITY,
                    at.key(field).key_owned(name),
                    format!("{name} {:?} must not be negative", q.0),
                ),
                None => sink.error(
                    rules::QUANTITY,
                    at.key(field).key_owned(name),
                    format!("{name} {:?} is not a valid quantity", q.0),
                ),
            }
        }
        out
    };
    let limits = parsed("limits", limits);
    let requests = parsed("requests", requests);
    for (name, request) in &requests {
        if limits.get(name).is_some_and(|limit| request > limit) {
            let message = format!("{name} request must be less than or equal to its limit");
            sink.error(rules::QUANTITY, at.key("requests").key_owned(name), message);
        }
    }
}

fn check_mounts(c: &Container, at: &Path, volumes: &HashSet<&str>, sink: &mut Sink) {
    let mut paths = HashSet::new();
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        let here = || at.key("volumeMounts").idx(i);
        if !volumes.contains(m.name.as_str()) {
            sink.error(
                rules::VOLUME_MOUNT,
                here().key("name"),
                format!("volume {:?} is not defined in spec.volumes", m.name),
            );
        }
        if !m.mount_path.starts_with('/') {
            sink.error(
                rules::VOLUME_MOUNT,
                here().key("mountPath"),
                format!("mountPath {:?} must be absolute", m.mount_path),
            );
        } else if !paths.insert(m.mount_path.as_str()) {
            sink.error(
                rules::VOLUME_MOUNT,
                here().key("mountPath"),
                format!("mountPath {:?} is used twice", m.mount_path),
            );
        }
    }
}

fn check_probe(probe: &Probe, at: &Path, sink: &mut Sink) {
    let handlers = [
        probe.exec.is_some(),
        probe.http_get.is_some(),
        probe.tcp_socket.is_some(),
        probe.grpc.is_some(),
    ];
    match handlers.iter().filter(|h| **h).count() {
        1 => {}
        0 => sink.error(
            rules::PROBE_HANDLER,
            at.clone(),
            "a probe needs one handler: exec, httpGet, tcpSocket or grpc",
        ),
        _ => sink.error(
            rules::PROBE_HANDLER,
            at.clone(),
            "a probe may have only one handler",
        ),
    }
}
