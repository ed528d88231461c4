//! `ValidatePersistentVolumeClaim`'s spec rules: access modes (at least one, known ones,
//! `ReadWriteOncePod` alone), the storage request (present and above zero), `volumeMode` and
//! `storageClassName`. The claim's name is judged by `checks::claim`.

use k8s_openapi::api::core::v1::PersistentVolumeClaim;

use super::volumes::ACCESS_MODES;
use super::{grammar, say};
use crate::checks::quantity;
use crate::finding::{Path, Sink};
use crate::rules::K8S_CLAIM as RULE;

/// Checks the spec of `claim` (the document at `at`).
pub(super) fn check(claim: &PersistentVolumeClaim, at: &Path, sink: &mut Sink) {
    let at = at.key("spec");
    let Some(spec) = &claim.spec else {
        say::required(sink, RULE, at, "");
        return;
    };
    let modes = spec.access_modes.as_deref().unwrap_or_default();
    if modes.is_empty() {
        say::required(
            sink,
            RULE,
            at.key("accessModes"),
            "at least 1 access mode is required",
        );
    }
    for (i, mode) in modes.iter().enumerate() {
        if !ACCESS_MODES.contains(&mode.as_str()) {
            say::unsupported(sink, RULE, at.key("accessModes").idx(i), mode, ACCESS_MODES);
        }
    }
    if modes.len() > 1 && modes.iter().any(|m| m == "ReadWriteOncePod") {
        say::forbidden(
            sink,
            RULE,
            at.key("accessModes"),
            "may not use ReadWriteOncePod with other access modes",
        );
    }
    let storage = spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"));
    let storage_at = || at.key("resources").key("requests").key("storage");
    match storage {
        None => say::required(sink, RULE, storage_at(), ""),
        Some(q) => match quantity::parse(&q.0) {
            Some(v) if v > 0.0 => {}
            Some(_) => {
                say::invalid_str(sink, RULE, storage_at(), &q.0, "must be greater than zero")
            }
            None => say::invalid_str(sink, RULE, storage_at(), &q.0, "must be a quantity"),
        },
    }
    if let Some(mode) = &spec.volume_mode {
        if !["Block", "Filesystem"].contains(&mode.as_str()) {
            say::unsupported(
                sink,
                RULE,
                at.key("volumeMode"),
                mode,
                &["Block", "Filesystem"],
            );
        }
    }
    if let Some(class) = spec.storage_class_name.as_deref().filter(|c| !c.is_empty()) {
        say::grammar(
            sink,
            RULE,
            || at.key("storageClassName"),
            class,
            grammar::subdomain,
        );
    }
}
