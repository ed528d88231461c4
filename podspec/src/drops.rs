//! Fields that are valid Kubernetes but do not do what they say under Anchorage, as one table of
//! data. `runtime-drops-field` rows are silently ignored by `podman kube play` (or by the
//! translation) and only warn; `unsupported-field` rows cannot be honoured and make apply refuse.

use serde_yaml_ng::Value;

use crate::finding::{Path, Seg, Sink};
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
}

/// One row: `path` may use `[*]` for "every item".
struct Row {
    scope: Scope,
    path: &'static str,
    rule: &'static str,
    why: &'static str,
}

const fn row(scope: Scope, path: &'static str, rule: &'static str, why: &'static str) -> Row {
    Row {
        scope,
        path,
        rule,
        why,
    }
}

use Scope::*;

/// The table. Anchorage honours nodeName, nodeSelector, restartPolicy, replicas and
/// `runtimeClassName: native`, so they are absent here.
// One row per line keeps the table reviewable as data; rustfmt would spread each over five.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    row(Spec, "affinity", DROPS, "there is no scheduler; use nodeName or nodeSelector"),
    row(Spec, "tolerations", DROPS, "agents have no taints"),
    row(Spec, "topologySpreadConstraints", DROPS, "there is no scheduler"),
    row(Spec, "priorityClassName", DROPS, "there is no preemption"),
    row(Spec, "priority", DROPS, "there is no preemption"),
    row(Spec, "preemptionPolicy", DROPS, "there is no preemption"),
    row(Spec, "schedulerName", DROPS, "there is no scheduler"),
    row(Spec, "serviceAccountName", DROPS, "podman has no service accounts"),
    row(Spec, "serviceAccount", DROPS, "podman has no service accounts"),
    row(Spec, "automountServiceAccountToken", DROPS, "podman has no service accounts"),
    row(Spec, "activeDeadlineSeconds", DROPS, "podman does not enforce deadlines"),
    row(Spec, "readinessGates", DROPS, "there are no pod conditions"),
    row(Spec, "overhead", DROPS, "podman has no runtime classes"),
    row(Spec, "runtimeClassName", DROPS, "only `native` has a meaning; podman ignores the rest"),
    row(Spec, "securityContext.seccompProfile", DROPS, "podman kube play reads seccomp from annotations"),
    row(Spec, "securityContext.appArmorProfile", DROPS, "podman kube play reads apparmor from annotations"),
    row(Spec, "securityContext.windowsOptions", DROPS, "linux only"),
    row(Spec, "securityContext.fsGroupChangePolicy", DROPS, "podman does not chown volumes"),
    row(Spec, "os", DROPS, "agents run linux only"),
    row(Spec, "volumes[*].awsElasticBlockStore", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].gcePersistentDisk", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].azureDisk", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].azureFile", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].cinder", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].vsphereVolume", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].photonPersistentDisk", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].portworxVolume", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].scaleIO", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].storageos", UNSUPPORTED, "cloud volumes need a cloud provider"),
    row(Spec, "volumes[*].nfs", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].iscsi", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].cephfs", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].rbd", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].glusterfs", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].fc", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].flocker", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].quobyte", UNSUPPORTED, "network volumes are not mounted by anchorage"),
    row(Spec, "volumes[*].csi", UNSUPPORTED, "there are no csi drivers"),
    row(Spec, "volumes[*].flexVolume", UNSUPPORTED, "there are no volume plugins"),
    row(Spec, "volumes[*].gitRepo", UNSUPPORTED, "removed from kubernetes; podman ignores it"),
    row(Spec, "volumes[*].ephemeral", UNSUPPORTED, "there is no volume provisioner"),
    row(Spec, "volumes[*].persistentVolumeClaim", UNSUPPORTED, "there are no persistent volume claims"),
    row(Spec, "volumes[*].projected", UNSUPPORTED, "service account tokens and downward api are not provided"),
    row(Spec, "volumes[*].downwardAPI", UNSUPPORTED, "there is no downward api"),
    row(Spec, "ephemeralContainers", UNSUPPORTED, "there is no kubectl debug"),
    row(Container, "lifecycle", DROPS, "podman kube play runs no lifecycle hooks"),
    row(Container, "readinessProbe", DROPS, "nothing routes traffic by readiness"),
    row(Container, "resizePolicy", DROPS, "there is no in-place resize"),
    row(Container, "terminationMessagePath", DROPS, "there is no termination message"),
    row(Container, "terminationMessagePolicy", DROPS, "there is no termination message"),
    row(Container, "securityContext.seccompProfile", DROPS, "podman kube play reads seccomp from annotations"),
    row(Container, "securityContext.appArmorProfile", DROPS, "podman kube play reads apparmor from annotations"),
    row(Container, "securityContext.windowsOptions", DROPS, "linux only"),
    row(Container, "env[*].valueFrom.fieldRef", UNSUPPORTED, "there is no downward api"),
    row(Container, "env[*].valueFrom.resourceFieldRef", UNSUPPORTED, "there is no downward api"),
    row(NativeSpec, "volumes", UNSUPPORTED, "native processes get no volumes; use ankaios files"),
    row(NativeSpec, "initContainers", UNSUPPORTED, "native pods run their containers only"),
    row(NativeSpec, "securityContext", UNSUPPORTED, "native processes run as the agent"),
    row(NativeSpec, "hostNetwork", DROPS, "native processes always share the host network"),
    row(NativeContainer, "image", DROPS, "native processes run a host program, not an image"),
    row(NativeContainer, "ports", DROPS, "native processes bind host ports directly"),
    row(NativeContainer, "volumeMounts", UNSUPPORTED, "native processes get no volumes"),
    row(NativeContainer, "envFrom", UNSUPPORTED, "native processes take env one variable at a time"),
    row(NativeContainer, "livenessProbe", UNSUPPORTED, "native processes have no probes"),
    row(NativeContainer, "readinessProbe", UNSUPPORTED, "native processes have no probes"),
    row(NativeContainer, "startupProbe", UNSUPPORTED, "native processes have no probes"),
    row(NativeContainer, "securityContext", UNSUPPORTED, "native processes run as the agent"),
    row(NativeContainer, "resources", DROPS, "native processes are not limited"),
    row(NativeContainer, "env[*].valueFrom.fieldRef", UNSUPPORTED, "there is no downward api"),
    row(NativeContainer, "env[*].valueFrom.resourceFieldRef", UNSUPPORTED, "there is no downward api"),
    row(Deployment, "spec.strategy", DROPS, "replicas are replaced all at once"),
    row(Deployment, "spec.minReadySeconds", DROPS, "there is no rollout"),
    row(Deployment, "spec.revisionHistoryLimit", DROPS, "there is no rollout history"),
    row(Deployment, "spec.progressDeadlineSeconds", DROPS, "there is no rollout"),
    row(Deployment, "spec.paused", DROPS, "there is no rollout"),
    row(Job, "spec.backoffLimit", DROPS, "restarts follow restartPolicy without a limit"),
    row(Job, "spec.completions", DROPS, "a job runs one pod once"),
    row(Job, "spec.parallelism", DROPS, "a job runs one pod"),
    row(Job, "spec.activeDeadlineSeconds", DROPS, "there is no job controller"),
    row(Job, "spec.ttlSecondsAfterFinished", DROPS, "finished workloads stay until deleted"),
    row(Job, "spec.podFailurePolicy", DROPS, "there is no job controller"),
    row(Job, "spec.completionMode", DROPS, "there is no job controller"),
];

/// Warns about every table row present in `value`, a document of `kind` at `prefix`.
pub(crate) fn check(kind: &str, value: &Value, prefix: &Path, sink: &mut Sink) {
    let spec_path: &[&str] = match kind {
        "Pod" => &["spec"],
        "Deployment" | "Job" => &["spec", "template", "spec"],
        _ => return,
    };
    let mut spec_prefix = prefix.clone();
    let mut spec = Some(value);
    for key in spec_path {
        spec_prefix = spec_prefix.key(key);
        spec = spec.and_then(|v| v.get(*key));
    }
    let object_scope = if kind == "Deployment" {
        Deployment
    } else {
        Job
    };
    if kind != "Pod" {
        walk_rows(object_scope, value, prefix, sink);
    }
    let Some(spec) = spec else { return };
    let native = spec.get("runtimeClassName").and_then(Value::as_str)
        == Some(ank_model::runtime_config::NATIVE);
    let (spec_scope, container_scope) = if native {
        (NativeSpec, NativeContainer)
    } else {
        (Spec, Container)
    };
    walk_rows(spec_scope, spec, &spec_prefix, sink);
    for list in ["initContainers", "containers"] {
        let Some(Value::Sequence(items)) = spec.get(list) else {
            continue;
        };
        for (i, container) in items.iter().enumerate() {
            walk_rows(
                container_scope,
                container,
                &spec_prefix.key(list).idx(i),
                sink,
            );
        }
    }
}

fn walk_rows(scope: Scope, value: &Value, prefix: &Path, sink: &mut Sink) {
    for row in TABLE.iter().filter(|r| r.scope == scope) {
        let pattern = row.path;
        let mut hits = Vec::new();
        find(value, &mut pattern.split('.'), prefix.clone(), &mut hits);
        for path in hits {
            let field = path.0.last().map_or(String::new(), |s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            });
            let message = if row.rule == DROPS {
                format!("{field} is ignored at runtime: {}", row.why)
            } else {
                format!("{field} is not supported by anchorage: {}", row.why)
            };
            sink.warn(row.rule, path, message);
        }
    }
}

/// Collects the concrete paths that `parts` (with `name[*]` wildcards) reach in `value`.
fn find<'p>(
    value: &Value,
    parts: &mut (impl Iterator<Item = &'p str> + Clone),
    at: Path,
    hits: &mut Vec<Path>,
) {
    let Some(part) = parts.next() else {
        if !value.is_null() {
            hits.push(at);
        }
        return;
    };
    let (key, each) = match part.strip_suffix("[*]") {
        Some(key) => (key, true),
        None => (part, false),
    };
    let Some(child) = value.get(key) else { return };
    if !each {
        find(child, &mut parts.clone(), at.key(key), hits);
    } else if let Value::Sequence(items) = child {
        for (i, item) in items.iter().enumerate() {
            find(item, &mut parts.clone(), at.key(key).idx(i), hits);
        }
    }
}
