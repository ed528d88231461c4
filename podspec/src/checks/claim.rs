//! PersistentVolumeClaims: a claim's name becomes a Podman volume name (and, for native pods, a
//! folder name under the agent's data folder), so both the claim documents and the pods'
//! `persistentVolumeClaim.claimName`s must be DNS-1123 subdomains: no `/`, no `..`.

use k8s_openapi::api::core::v1::PodSpec;

use super::names;
use crate::finding::{Path, Sink};
use crate::rules;

/// The Ankaios workload a claim document becomes (`pvc-<name>`, dots as dashes).
pub(crate) fn workload_name(claim: &str) -> String {
    format!("pvc-{}", names::to_ankaios(claim))
}

/// The claim's workload name must be an Ankaios name; `name` is already a checked subdomain.
pub(crate) fn check_claim_name(name: &str, at: &Path, sink: &mut Sink) {
    if let Some(message) = names::ankaios_name(&workload_name(name)) {
        sink.error(rules::ANKAIOS_NAME, at.key("metadata").key("name"), message);
    }
}

/// Each `volumes[*].persistentVolumeClaim.claimName` of `spec` (at `at`) is a claim's name.
pub(crate) fn check_claim_refs(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let Some(claim) = &v.persistent_volume_claim else {
            continue;
        };
        if let Some(message) = names::dns1123_subdomain(&claim.claim_name) {
            let here = at
                .key("volumes")
                .idx(i)
                .key("persistentVolumeClaim")
                .key("claimName");
            sink.error(rules::VOLUME, here, format!("claimName {message}"));
        }
    }
}

/// The claims `spec` mounts, in volume order.
pub(crate) fn claims_of(spec: &PodSpec) -> impl Iterator<Item = &str> {
    spec.volumes
        .iter()
        .flatten()
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.as_str())
}
