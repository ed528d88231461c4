//! A pod (bare, or a Deployment/Job template) as one `podman-kube` workload whose manifest is
//! the normalised pod, followed by the ConfigMaps and Secrets it references.

use ank_model::runtime_config::{PodmanKubeConfig, PODMAN_KUBE};
use ank_model::state::trim_runtime_config;
use ank_model::{RestartPolicy, Workload};
use k8s_openapi::api::core::v1::{Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::ProvidedMap;
use crate::checks::refs::pod_refs;
use crate::checks::to_ankaios;
use crate::finding::Path;

/// The workload for pod `name` (already suffixed for Deployment replicas).
///
/// The normalised pod gets `restartPolicy: Never`: Anchorage, not podman, owns restarts (the
/// workload's `restartPolicy` carries the pod's), so that the agent sees every exit and reports
/// `Succeeded`/`Failed` the way Ankaios does instead of podman restarting the pod behind its back.
pub(super) fn workload(
    name: &str,
    meta: &ObjectMeta,
    spec: &PodSpec,
    provided: &ProvidedMap,
) -> (String, Workload) {
    let mut workload = base(meta, spec);
    let mut normalised = spec.clone();
    normalised.restart_policy = Some("Never".to_owned());
    // Podman 4.3's `kube play` dereferences a secret volume's `optional` unchecked and crashes
    // without it; Kubernetes' default is false.
    for v in normalised.volumes.iter_mut().flatten() {
        if let Some(secret) = v.secret.as_mut() {
            secret.optional.get_or_insert(false);
        }
    }
    let pod = Pod {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: meta.labels.clone(),
            annotations: meta.annotations.clone(),
            ..ObjectMeta::default()
        },
        spec: Some(normalised),
        status: None,
    };
    // Serializing a k8s-openapi object cannot fail: it has only strings, numbers and maps.
    let mut manifest = serde_yaml_ng::to_string(&pod).unwrap_or_default();
    let mut appended = std::collections::BTreeSet::new();
    for r in pod_refs(spec, &Path::root()) {
        let Some(p) = provided.get(&(r.target, r.name.clone())) else {
            continue;
        };
        if appended.insert((r.target, r.name.clone())) {
            manifest.push_str("---\n");
            manifest.push_str(&p.yaml);
            workload.configs.insert(p.key.clone(), p.key.clone());
        }
    }
    let config = PodmanKubeConfig {
        manifest,
        ..PodmanKubeConfig::default()
    };
    workload.runtime = PODMAN_KUBE.to_owned();
    // Trimmed as Ankaios stores every runtimeConfig it reads.
    workload.runtime_config =
        trim_runtime_config(serde_yaml_ng::to_string(&config).unwrap_or_default());
    (to_ankaios(name), workload)
}

/// What every translated workload shares: agent, node selector, restart policy and tags.
pub(super) fn base(meta: &ObjectMeta, spec: &PodSpec) -> Workload {
    Workload {
        agent: spec.node_name.clone().unwrap_or_default(),
        node_selector: spec.node_selector.clone().unwrap_or_default(),
        restart_policy: restart_policy(spec.restart_policy.as_deref()),
        tags: meta.labels.clone().unwrap_or_default(),
        ..Workload::default()
    }
}

/// Kubernetes' restart policy as Ankaios'; a pod without one restarts `Always`.
fn restart_policy(policy: Option<&str>) -> RestartPolicy {
    match policy {
        Some("Never") => RestartPolicy::Never,
        Some("OnFailure") => RestartPolicy::OnFailure,
        _ => RestartPolicy::Always,
    }
}
