//! Fields that are valid Kubernetes but do not do what they say under Anchorage, as one table of
//! data. `runtime-drops-field` rows are silently ignored by `podman kube play` (or by the
//! translation) and only warn; `unsupported-field` rows cannot be honoured and make apply refuse.
//! Rows are checked on the typed objects (an `Option` field being `Some`), so the table costs a
//! few pointer tests per pod and allocates only for the findings it makes.

use k8s_openapi::api::apps::v1::DeploymentSpec;
use k8s_openapi::api::batch::v1::JobSpec;
use k8s_openapi::api::core::v1::{Container, EnvVar, PersistentVolumeClaimSpec, PodSpec, Volume};

use crate::finding::{Path, Sink};
use crate::rules::{RUNTIME_DROPS as DROPS, UNSUPPORTED};

/// Which part of an object a row's path starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The pod spec of a podman-kube pod (`spec`, or `spec.template.spec`).
    Spec,
    /// Each container and init container of a podman-kube pod.
    Container,
    /// The pod spec of a `runtimeClassName: native` pod.
    NativeSpec,
    /// Each container of a native pod.
    NativeContainer,
    /// The root of a Deployment.
    Deployment,
    /// The root of a Job.
    Job,
    /// The root of a PersistentVolumeClaim.
    Claim,
}

/// Whether a row's field is set, asked of the typed object its path starts from. `Volume` and
/// `Env` rows ask each item of the list their path names with `[*]`.
#[derive(Clone, Copy)]
enum Get {
    Spec(fn(&PodSpec) -> bool),
    Volume(fn(&Volume) -> bool),
    Container(fn(&Container) -> bool),
    Env(fn(&EnvVar) -> bool),
    Deployment(fn(&DeploymentSpec) -> bool),
    Job(fn(&JobSpec) -> bool),
    Claim(fn(&PersistentVolumeClaimSpec) -> bool),
}

/// One row: `path` (relative to the scope, with `[*]` for "every item") is what findings show.
struct Row {
    scope: Scope,
    path: &'static str,
    rule: &'static str,
    why: &'static str,
    get: Get,
}

const fn row(
    scope: Scope,
    path: &'static str,
    rule: &'static str,
    why: &'static str,
    get: Get,
) -> Row {
    Row {
        scope,
        path,
        rule,
        why,
        get,
    }
}

use Scope::*;

/// The table. Anchorage honours nodeName, nodeSelector, restartPolicy, replicas and
/// `runtimeClassName: native`, so they are absent here.
// One row per line keeps the table reviewable as data; rustfmt would spread each over five.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    row(Spec, "affinity", DROPS, "there is no scheduler; use nodeName or nodeSelector", Get::Spec(|s| s.affinity.is_some())),
    row(Spec, "tolerations", DROPS, "agents have no taints", Get::Spec(|s| s.tolerations.is_some())),
    row(Spec, "topologySpreadConstraints", DROPS, "there is no scheduler", Get::Spec(|s| s.topology_spread_constraints.is_some())),
    row(Spec, "priorityClassName", DROPS, "there is no preemption", Get::Spec(|s| s.priority_class_name.is_some())),
    row(Spec, "priority", DROPS, "there is no preemption", Get::Spec(|s| s.priority.is_some())),
    row(Spec, "preemptionPolicy", DROPS, "there is no preemption", Get::Spec(|s| s.preemption_policy.is_some())),
    row(Spec, "schedulerName", DROPS, "there is no scheduler", Get::Spec(|s| s.scheduler_name.is_some())),
    row(Spec, "serviceAccountName", DROPS, "podman has no service accounts", Get::Spec(|s| s.service_account_name.is_some())),
    row(Spec, "serviceAccount", DROPS, "podman has no service accounts", Get::Spec(|s| s.service_account.is_some())),
    row(Spec, "automountServiceAccountToken", DROPS, "podman has no service accounts", Get::Spec(|s| s.automount_service_account_token.is_some())),
    row(Spec, "activeDeadlineSeconds", DROPS, "podman does not enforce deadlines", Get::Spec(|s| s.active_deadline_seconds.is_some())),
    row(Spec, "readinessGates", DROPS, "there are no pod conditions", Get::Spec(|s| s.readiness_gates.is_some())),
    row(Spec, "overhead", DROPS, "podman has no runtime classes", Get::Spec(|s| s.overhead.is_some())),
    row(Spec, "runtimeClassName", DROPS, "only `native` has a meaning; podman ignores the rest", Get::Spec(|s| s.runtime_class_name.is_some())),
    row(Spec, "securityContext.seccompProfile", DROPS, "podman kube play reads seccomp from annotations", Get::Spec(|s| s.security_context.as_ref().is_some_and(|x| x.seccomp_profile.is_some()))),
    row(Spec, "securityContext.appArmorProfile", DROPS, "podman kube play reads apparmor from annotations", Get::Spec(|s| s.security_context.as_ref().is_some_and(|x| x.app_armor_profile.is_some()))),
    row(Spec, "securityContext.windowsOptions", DROPS, "linux only", Get::Spec(|s| s.security_context.as_ref().is_some_and(|x| x.windows_options.is_some()))),
    row(Spec, "securityContext.fsGroupChangePolicy", DROPS, "podman does not chown volumes", Get::Spec(|s| s.security_context.as_ref().is_some_and(|x| x.fs_group_change_policy.is_some()))),
    row(Spec, "os", DROPS, "agents run linux only", Get::Spec(|s| s.os.is_some())),
    row(Spec, "volumes[*].awsElasticBlockStore", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.aws_elastic_block_store.is_some())),
    row(Spec, "volumes[*].gcePersistentDisk", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.gce_persistent_disk.is_some())),
    row(Spec, "volumes[*].azureDisk", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.azure_disk.is_some())),
    row(Spec, "volumes[*].azureFile", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.azure_file.is_some())),
    row(Spec, "volumes[*].cinder", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.cinder.is_some())),
    row(Spec, "volumes[*].vsphereVolume", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.vsphere_volume.is_some())),
    row(Spec, "volumes[*].photonPersistentDisk", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.photon_persistent_disk.is_some())),
    row(Spec, "volumes[*].portworxVolume", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.portworx_volume.is_some())),
    row(Spec, "volumes[*].scaleIO", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.scale_io.is_some())),
    row(Spec, "volumes[*].storageos", UNSUPPORTED, "cloud volumes need a cloud provider", Get::Volume(|v| v.storageos.is_some())),
    row(Spec, "volumes[*].nfs", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.nfs.is_some())),
    row(Spec, "volumes[*].iscsi", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.iscsi.is_some())),
    row(Spec, "volumes[*].cephfs", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.cephfs.is_some())),
    row(Spec, "volumes[*].rbd", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.rbd.is_some())),
    row(Spec, "volumes[*].glusterfs", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.glusterfs.is_some())),
    row(Spec, "volumes[*].fc", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.fc.is_some())),
    row(Spec, "volumes[*].flocker", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.flocker.is_some())),
    row(Spec, "volumes[*].quobyte", UNSUPPORTED, "network volumes are not mounted by anchorage", Get::Volume(|v| v.quobyte.is_some())),
    row(Spec, "volumes[*].csi", UNSUPPORTED, "there are no csi drivers", Get::Volume(|v| v.csi.is_some())),
    row(Spec, "volumes[*].flexVolume", UNSUPPORTED, "there are no volume plugins", Get::Volume(|v| v.flex_volume.is_some())),
    row(Spec, "volumes[*].gitRepo", UNSUPPORTED, "removed from kubernetes; podman ignores it", Get::Volume(|v| v.git_repo.is_some())),
    row(Spec, "volumes[*].ephemeral", UNSUPPORTED, "there is no volume provisioner", Get::Volume(|v| v.ephemeral.is_some())),
    row(Spec, "volumes[*].projected", UNSUPPORTED, "service account tokens and downward api are not provided", Get::Volume(|v| v.projected.is_some())),
    row(Spec, "volumes[*].downwardAPI", UNSUPPORTED, "there is no downward api", Get::Volume(|v| v.downward_api.is_some())),
    row(Spec, "ephemeralContainers", DROPS, "there is no kubectl debug", Get::Spec(|s| s.ephemeral_containers.is_some())),
    row(Container, "lifecycle", DROPS, "podman kube play runs no lifecycle hooks", Get::Container(|c| c.lifecycle.is_some())),
    row(Container, "readinessProbe", DROPS, "nothing routes traffic by readiness", Get::Container(|c| c.readiness_probe.is_some())),
    row(Container, "resizePolicy", DROPS, "there is no in-place resize", Get::Container(|c| c.resize_policy.is_some())),
    row(Container, "terminationMessagePath", DROPS, "there is no termination message", Get::Container(|c| c.termination_message_path.is_some())),
    row(Container, "terminationMessagePolicy", DROPS, "there is no termination message", Get::Container(|c| c.termination_message_policy.is_some())),
    row(Container, "securityContext.seccompProfile", DROPS, "podman kube play reads seccomp from annotations", Get::Container(|c| c.security_context.as_ref().is_some_and(|x| x.seccomp_profile.is_some()))),
    row(Container, "securityContext.appArmorProfile", DROPS, "podman kube play reads apparmor from annotations", Get::Container(|c| c.security_context.as_ref().is_some_and(|x| x.app_armor_profile.is_some()))),
    row(Container, "securityContext.windowsOptions", DROPS, "linux only", Get::Container(|c| c.security_context.as_ref().is_some_and(|x| x.windows_options.is_some()))),
    row(Container, "env[*].valueFrom.fieldRef.fieldPath", UNSUPPORTED, "podman kube play resolves only metadata.name, metadata.uid and one key of metadata.labels or metadata.annotations", Get::Env(|e| e.value_from.as_ref().and_then(|f| f.field_ref.as_ref()).is_some_and(|f| !podman_field_path(&f.field_path)))),
    row(NativeSpec, "volumes", UNSUPPORTED, "native processes get only persistentVolumeClaim volumes; use ankaios files", Get::Spec(|s| s.volumes.iter().flatten().any(|v| v.persistent_volume_claim.is_none()))),
    row(NativeSpec, "initContainers", UNSUPPORTED, "native pods run their containers only", Get::Spec(|s| s.init_containers.is_some())),
    row(NativeSpec, "securityContext", UNSUPPORTED, "native processes run as the agent", Get::Spec(|s| s.security_context.is_some())),
    row(NativeSpec, "hostNetwork", DROPS, "native processes always share the host network", Get::Spec(|s| s.host_network.is_some())),
    row(NativeContainer, "image", DROPS, "native processes run a host program, not an image", Get::Container(|c| c.image.is_some())),
    row(NativeContainer, "ports", DROPS, "native processes bind host ports directly", Get::Container(|c| c.ports.is_some())),
    row(NativeContainer, "volumeMounts", DROPS, "mountPath, subPath and readOnly: a native process finds each claim's folder in $ANKAIOS_VOLUME_<VOLUME NAME>", Get::Container(|c| c.volume_mounts.is_some())),
    row(NativeContainer, "envFrom", UNSUPPORTED, "native processes take env one variable at a time", Get::Container(|c| c.env_from.is_some())),
    row(NativeContainer, "livenessProbe", UNSUPPORTED, "native processes have no probes", Get::Container(|c| c.liveness_probe.is_some())),
    row(NativeContainer, "readinessProbe", UNSUPPORTED, "native processes have no probes", Get::Container(|c| c.readiness_probe.is_some())),
    row(NativeContainer, "startupProbe", UNSUPPORTED, "native processes have no probes", Get::Container(|c| c.startup_probe.is_some())),
    row(NativeContainer, "securityContext", UNSUPPORTED, "native processes run as the agent", Get::Container(|c| c.security_context.is_some())),
    row(NativeContainer, "resources", DROPS, "native processes are not limited", Get::Container(|c| c.resources.is_some())),
    row(NativeContainer, "env[*].valueFrom.fieldRef", UNSUPPORTED, "there is no downward api", Get::Env(|e| e.value_from.as_ref().is_some_and(|f| f.field_ref.is_some()))),
    row(NativeContainer, "env[*].valueFrom.resourceFieldRef", UNSUPPORTED, "there is no downward api", Get::Env(|e| e.value_from.as_ref().is_some_and(|f| f.resource_field_ref.is_some()))),
    row(Deployment, "spec.strategy", DROPS, "replicas are replaced all at once", Get::Deployment(|d| d.strategy.is_some())),
    row(Deployment, "spec.minReadySeconds", DROPS, "there is no rollout", Get::Deployment(|d| d.min_ready_seconds.is_some())),
    row(Deployment, "spec.revisionHistoryLimit", DROPS, "there is no rollout history", Get::Deployment(|d| d.revision_history_limit.is_some())),
    row(Deployment, "spec.progressDeadlineSeconds", DROPS, "there is no rollout", Get::Deployment(|d| d.progress_deadline_seconds.is_some())),
    row(Deployment, "spec.paused", DROPS, "there is no rollout", Get::Deployment(|d| d.paused.is_some())),
    row(Job, "spec.backoffLimit", DROPS, "restarts follow restartPolicy without a limit", Get::Job(|j| j.backoff_limit.is_some())),
    row(Job, "spec.completions", DROPS, "a job runs one pod once", Get::Job(|j| j.completions.is_some())),
    row(Job, "spec.parallelism", DROPS, "a job runs one pod", Get::Job(|j| j.parallelism.is_some())),
    row(Job, "spec.activeDeadlineSeconds", DROPS, "there is no job controller", Get::Job(|j| j.active_deadline_seconds.is_some())),
    row(Job, "spec.ttlSecondsAfterFinished", DROPS, "finished workloads stay until deleted", Get::Job(|j| j.ttl_seconds_after_finished.is_some())),
    row(Job, "spec.podFailurePolicy", DROPS, "there is no job controller", Get::Job(|j| j.pod_failure_policy.is_some())),
    row(Job, "spec.completionMode", DROPS, "there is no job controller", Get::Job(|j| j.completion_mode.is_some())),
    row(Claim, "spec.resources", DROPS, "recorded in the claim workload's tags, not enforced: a podman volume has no size", Get::Claim(|c| c.resources.is_some())),
    row(Claim, "spec.accessModes", DROPS, "recorded in the claim workload's tags, not enforced: a podman volume is local to its node", Get::Claim(|c| c.access_modes.is_some())),
    row(Claim, "spec.storageClassName", DROPS, "podman has no storage classes; use volume.podman.io/driver annotations", Get::Claim(|c| c.storage_class_name.is_some())),
    row(Claim, "spec.volumeMode", DROPS, "a podman volume is always a filesystem", Get::Claim(|c| c.volume_mode.is_some())),
    row(Claim, "spec.volumeName", DROPS, "there are no persistent volumes to bind", Get::Claim(|c| c.volume_name.is_some())),
    row(Claim, "spec.selector", DROPS, "there are no persistent volumes to bind", Get::Claim(|c| c.selector.is_some())),
    row(Claim, "spec.dataSource", DROPS, "a new podman volume starts empty", Get::Claim(|c| c.data_source.is_some())),
    row(Claim, "spec.dataSourceRef", DROPS, "a new podman volume starts empty", Get::Claim(|c| c.data_source_ref.is_some())),
];

/// Whether Podman 4.3's `kube play` resolves this `fieldRef.fieldPath` (it refuses the others,
/// e.g. `spec.nodeName` or `status.podIP`, and the whole pod with them).
fn podman_field_path(path: &str) -> bool {
    // Labels and annotations one key at a time (`metadata.labels['app']`), never the whole map.
    let keyed = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.len() > 4 && rest.starts_with("['") && rest.ends_with("']"))
    };
    path == "metadata.name"
        || path == "metadata.uid"
        || keyed("metadata.labels")
        || keyed("metadata.annotations")
}

/// The object whose fields the table is checked against.
pub(crate) enum Target<'o> {
    /// A pod's spec.
    Pod(&'o PodSpec),
    /// A Deployment's spec and its template's pod spec.
    Deployment(&'o DeploymentSpec),
    /// A Job's spec and its template's pod spec.
    Job(&'o JobSpec),
    /// A PersistentVolumeClaim's spec.
    Claim(&'o PersistentVolumeClaimSpec),
}

/// Warns about every table row set in `target`, an object at `prefix`.
pub(crate) fn check(target: Target<'_>, prefix: &Path, sink: &mut Sink) {
    let (spec, spec_prefix): (Option<&PodSpec>, &[&str]) = match target {
        Target::Pod(spec) => (Some(spec), &["spec"]),
        Target::Deployment(d) => {
            rows(Scope::Deployment, prefix, sink, |get, hit| {
                if let Get::Deployment(f) = get {
                    hit(None, f(d));
                }
            });
            (d.template.spec.as_ref(), &["spec", "template", "spec"])
        }
        Target::Job(j) => {
            rows(Scope::Job, prefix, sink, |get, hit| {
                if let Get::Job(f) = get {
                    hit(None, f(j));
                }
            });
            (j.template.spec.as_ref(), &["spec", "template", "spec"])
        }
        Target::Claim(c) => {
            rows(Scope::Claim, prefix, sink, |get, hit| {
                if let Get::Claim(f) = get {
                    hit(None, f(c));
                }
            });
            return;
        }
    };
    let Some(spec) = spec else { return };
    let mut at = prefix.clone();
    for key in spec_prefix {
        at = at.key(key);
    }
    let native = spec.runtime_class_name.as_deref() == Some(ank_model::runtime_config::NATIVE);
    let (spec_scope, container_scope) = if native {
        (NativeSpec, NativeContainer)
    } else {
        (Spec, Container)
    };
    rows(spec_scope, &at, sink, |get, hit| match get {
        Get::Spec(f) => hit(None, f(spec)),
        Get::Volume(f) => {
            for (i, v) in spec.volumes.iter().flatten().enumerate() {
                hit(Some(i), f(v));
            }
        }
        _ => {}
    });
    let init = spec.init_containers.as_deref().unwrap_or_default();
    for (list, containers) in [
        ("initContainers", init),
        ("containers", &spec.containers[..]),
    ] {
        for (i, c) in containers.iter().enumerate() {
            // The container's path is built only when one of its rows hits.
            let mut here: Option<Path> = None;
            let mut at_container = || here.get_or_insert_with(|| at.key(list).idx(i)).clone();
            let mut pending = Vec::new();
            for row in TABLE.iter().filter(|r| r.scope == container_scope) {
                match row.get {
                    Get::Container(f) if f(c) => pending.push((row, None)),
                    Get::Env(f) => {
                        for (j, e) in c.env.iter().flatten().enumerate() {
                            if f(e) {
                                pending.push((row, Some(j)));
                            }
                        }
                    }
                    _ => {}
                }
            }
            for (row, item) in pending {
                warn(row, &at_container(), item, sink);
            }
        }
    }
}

/// Runs `each` over the rows of `scope`; it calls `hit(item, set)` per list item (or once).
fn rows(
    scope: Scope,
    at: &Path,
    sink: &mut Sink,
    mut each: impl FnMut(Get, &mut dyn FnMut(Option<usize>, bool)),
) {
    for row in TABLE.iter().filter(|r| r.scope == scope) {
        each(row.get, &mut |item, set| {
            if set {
                warn(row, at, item, sink);
            }
        });
    }
}

/// Records the finding of `row`, set at `at` (and at list item `item` when the path has `[*]`).
fn warn(row: &Row, at: &Path, item: Option<usize>, sink: &mut Sink) {
    let mut path = at.clone();
    let (list, rest) = match row.path.split_once("[*].") {
        Some((list, rest)) => (Some(list), rest),
        None => (None, row.path),
    };
    if let Some(list) = list {
        path = path.key(list).idx(item.unwrap_or_default());
    }
    for key in rest.split('.') {
        path = path.key(key);
    }
    let field = rest.rsplit('.').next().unwrap_or(rest);
    let message = if row.rule == DROPS {
        format!("{field} is ignored at runtime: {}", row.why)
    } else {
        format!("{field} is not supported by anchorage: {}", row.why)
    };
    sink.warn(row.rule, path, message);
}
