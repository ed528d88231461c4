//! A PersistentVolumeClaim document as a tiny `podman-kube` workload `pvc-<name>` whose manifest
//! is the claim itself: `podman kube play` of a claim creates the named volume `<name>` (and
//! `kube down` keeps it), so the state stays a plain Ankaios state and the volume lives where
//! Podman keeps volumes.
//!
//! The manifest holds only the claim's name, labels and annotations (Podman reads its
//! `volume.podman.io/*` annotations); size and access modes go into the workload's tags, which
//! are recorded but not part of the instance name, so editing them never replaces the instance
//! (whose stop removes the volume).

use std::collections::BTreeMap;

use ank_model::runtime_config::{PodmanKubeConfig, PODMAN_KUBE};
use ank_model::state::trim_runtime_config;
use ank_model::{RestartPolicy, Workload};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub(crate) use crate::checks::claim::workload_name;

/// The tag recording a claim's `spec.resources.requests.storage`.
pub(crate) const STORAGE_TAG: &str = "anchorage.io/storage";
/// The tag recording a claim's `spec.accessModes`, comma-separated.
pub(crate) const ACCESS_MODES_TAG: &str = "anchorage.io/access-modes";

/// The workload for `claim` (named `name`). `user` is the first pod of the file mounting it: the
/// claim goes to the same agent (or node selector), as a volume is local to its node.
pub(super) fn workload(
    name: &str,
    claim: &PersistentVolumeClaim,
    user: Option<&PodSpec>,
) -> (String, Workload) {
    let minimal = PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: claim.metadata.labels.clone(),
            annotations: claim.metadata.annotations.clone(),
            ..ObjectMeta::default()
        },
        ..PersistentVolumeClaim::default()
    };
    // Serializing a k8s-openapi object cannot fail: it has only strings, numbers and maps.
    let manifest = serde_yaml_ng::to_string(&minimal).unwrap_or_default();
    let config = PodmanKubeConfig {
        manifest,
        ..PodmanKubeConfig::default()
    };
    let mut tags: BTreeMap<String, String> = claim.metadata.labels.clone().unwrap_or_default();
    let spec = claim.spec.as_ref();
    let storage = spec
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"));
    if let Some(storage) = storage {
        tags.insert(STORAGE_TAG.to_owned(), storage.0.clone());
    }
    if let Some(modes) = spec.and_then(|s| s.access_modes.as_ref()) {
        tags.insert(ACCESS_MODES_TAG.to_owned(), modes.join(","));
    }
    let workload = Workload {
        agent: user.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        node_selector: user
            .and_then(|s| s.node_selector.clone())
            .unwrap_or_default(),
        // The volume outlives every pod: nothing to restart, and `Running` means it exists.
        restart_policy: RestartPolicy::Never,
        tags,
        runtime: PODMAN_KUBE.to_owned(),
        runtime_config: trim_runtime_config(serde_yaml_ng::to_string(&config).unwrap_or_default()),
        ..Workload::default()
    };
    (workload_name(name), workload)
}
