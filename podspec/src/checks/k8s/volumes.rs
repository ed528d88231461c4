//! `validateVolumeSource` and each source's own validator: hostPath, emptyDir, secret,
//! configMap, downwardAPI, projected, persistentVolumeClaim, ephemeral and the network and
//! cloud sources (their required fields, in `remote`). Names, uniqueness and "one source" are
//! `checks::pod`'s `volume` rule.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{DownwardAPIVolumeFile, KeyToPath, Volume};

use super::{env, grammar, say, Pod};
use crate::finding::{Path, Sink};
use crate::rules::K8S_VOLUME as RULE;

mod remote;

/// `maxSecretVolumeMode`-style bound of file modes: 0777.
const MAX_MODE: i32 = 0o777;
const HOST_PATH_TYPES: &[&str] = &[
    "",
    "DirectoryOrCreate",
    "Directory",
    "FileOrCreate",
    "File",
    "Socket",
    "CharDevice",
    "BlockDevice",
];
pub(super) const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

/// Checks the sources of every volume of the pod at `at`.
pub(super) fn check(pod: &Pod, at: &Path, sink: &mut Sink) {
    for (i, v) in pod.volumes.iter().enumerate() {
        source(v, &at.key("volumes").idx(i), pod, sink);
    }
}

/// A required string field: `required value` when empty.
/// A required string field at `at.field`.
fn need(sink: &mut Sink, at: &Path, field: &'static str, value: &str) {
    if value.is_empty() {
        say::required(sink, RULE, at.key(field), "");
    }
}

fn mode(sink: &mut Sink, at: impl FnOnce() -> Path, mode: Option<i32>) {
    if let Some(m) = mode.filter(|m| !(0..=MAX_MODE).contains(m)) {
        say::invalid(
            sink,
            RULE,
            at(),
            m,
            "must be a number between 0 and 0777 (octal), both inclusive",
        );
    }
}

fn no_backsteps(sink: &mut Sink, at: &Path, path: &str) {
    if path.split('/').any(|p| p == "..") {
        say::invalid_str(sink, RULE, at.clone(), path, "must not contain '..'");
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one arm per volume source, as validateVolumeSource"
)]
fn source(v: &Volume, at: &Path, pod: &Pod, sink: &mut Sink) {
    if let Some(h) = &v.host_path {
        let here = at.key("hostPath");
        need(sink, &here, "path", &h.path);
        no_backsteps(sink, &here.key("path"), &h.path);
        say::one_of(
            sink,
            RULE,
            || here.key("type"),
            h.type_.as_deref(),
            HOST_PATH_TYPES,
        );
    }
    if let Some(e) = &v.empty_dir {
        let here = at.key("emptyDir");
        let medium = e.medium.as_deref().unwrap_or_default();
        let huge = medium
            .strip_prefix("HugePages-")
            .is_some_and(|s| super::resources::value(s).is_some());
        if !["", "Memory", "HugePages"].contains(&medium) && !huge {
            say::unsupported(
                sink,
                RULE,
                here.key("medium"),
                medium,
                &["", "Memory", "HugePages", "HugePages-<size>"],
            );
        }
        if let Some(limit) = &e.size_limit {
            if super::resources::value(&limit.0).is_none_or(|l| l < 0.0) {
                say::forbidden(
                    sink,
                    RULE,
                    here.key("sizeLimit"),
                    "SizeLimit field must be a valid resource quantity",
                );
            }
        }
    }
    if let Some(s) = &v.secret {
        let here = at.key("secret");
        need(
            sink,
            &here,
            "secretName",
            s.secret_name.as_deref().unwrap_or_default(),
        );
        mode(sink, || here.key("defaultMode"), s.default_mode);
        items(s.items.as_deref(), &here.key("items"), sink, &mut None);
    }
    if let Some(c) = &v.config_map {
        let here = at.key("configMap");
        need(sink, &here, "name", &c.name);
        mode(sink, || here.key("defaultMode"), c.default_mode);
        items(c.items.as_deref(), &here.key("items"), sink, &mut None);
    }
    if let Some(d) = &v.downward_api {
        let here = at.key("downwardAPI");
        mode(sink, || here.key("defaultMode"), d.default_mode);
        downward(d.items.as_deref(), &here.key("items"), pod, sink, &mut None);
    }
    if let Some(p) = &v.projected {
        projected(p, &at.key("projected"), pod, sink);
    }
    if let Some(c) = &v.persistent_volume_claim {
        need(
            sink,
            &at.key("persistentVolumeClaim"),
            "claimName",
            &c.claim_name,
        );
    }
    if let Some(e) = &v.ephemeral {
        let here = at.key("ephemeral").key("volumeClaimTemplate");
        match &e.volume_claim_template {
            None => say::required(sink, RULE, here, ""),
            Some(t) => {
                let spec = here.key("spec");
                let modes = t.spec.access_modes.as_deref().unwrap_or_default();
                if modes.is_empty() {
                    say::required(
                        sink,
                        RULE,
                        spec.key("accessModes"),
                        "at least 1 access mode is required",
                    );
                }
                for (i, m) in modes.iter().enumerate() {
                    say::one_of(
                        sink,
                        RULE,
                        || spec.key("accessModes").idx(i),
                        Some(m),
                        ACCESS_MODES,
                    );
                }
                say::one_of(
                    sink,
                    RULE,
                    || spec.key("volumeMode"),
                    t.spec.volume_mode.as_deref(),
                    &["Block", "Filesystem"],
                );
                let storage = t
                    .spec
                    .resources
                    .as_ref()
                    .and_then(|r| r.requests.as_ref())
                    .and_then(|r| r.get("storage"));
                if storage.is_none() {
                    say::required(
                        sink,
                        RULE,
                        spec.key("resources").key("requests").key("storage"),
                        "",
                    );
                }
            }
        }
    }
    remote::check(v, at, sink);
}

/// `validateKeyToPath` for each item; `paths` collects them for projected volumes.
fn items(
    items: Option<&[KeyToPath]>,
    at: &Path,
    sink: &mut Sink,
    paths: &mut Option<(&mut HashSet<String>, Path)>,
) {
    for (i, kp) in items.unwrap_or_default().iter().enumerate() {
        let here = at.idx(i);
        need(sink, &here, "key", &kp.key);
        file_path(&kp.path, &here, sink, paths);
        mode(sink, || here.key("mode"), kp.mode);
    }
}

/// A projected file's `path`: required, not reserved, unique across a projected volume.
fn file_path(
    path: &str,
    at: &Path,
    sink: &mut Sink,
    paths: &mut Option<(&mut HashSet<String>, Path)>,
) {
    if path.is_empty() {
        say::required(sink, RULE, at.key("path"), "");
        return;
    }
    say::grammar(
        sink,
        RULE,
        || at.key("path"),
        path,
        grammar::non_reserved_path,
    );
    if let Some((seen, _)) = paths {
        if !seen.insert(path.to_owned()) {
            say::invalid_str(
                sink,
                RULE,
                at.key("path"),
                path,
                "conflicting duplicate paths",
            );
        }
    }
}

/// `validateDownwardAPIVolumeFile` for each item.
fn downward(
    items: Option<&[DownwardAPIVolumeFile]>,
    at: &Path,
    pod: &Pod,
    sink: &mut Sink,
    paths: &mut Option<(&mut HashSet<String>, Path)>,
) {
    for (i, f) in items.unwrap_or_default().iter().enumerate() {
        let here = at.idx(i);
        file_path(&f.path, &here, sink, paths);
        match (&f.field_ref, &f.resource_field_ref) {
            (Some(_), Some(_)) => say::invalid(
                sink,
                RULE,
                here.clone(),
                "{…}",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            ),
            (None, None) => say::required(
                sink,
                RULE,
                here.clone(),
                "one of fieldRef and resourceFieldRef is required",
            ),
            (Some(r), None) => env::field_ref(r, &here.key("fieldRef"), env::VOLUME_FIELDS, sink),
            (None, Some(r)) => env::resource_ref(r, &here.key("resourceFieldRef"), None, pod, sink),
        }
        mode(sink, || here.key("mode"), f.mode);
    }
}

/// `validateProjectedVolumeSource`.
fn projected(
    p: &k8s_openapi::api::core::v1::ProjectedVolumeSource,
    at: &Path,
    pod: &Pod,
    sink: &mut Sink,
) {
    mode(sink, || at.key("defaultMode"), p.default_mode);
    let mut seen = HashSet::new();
    for (i, s) in p.sources.iter().flatten().enumerate() {
        let here = at.key("sources").idx(i);
        let count = [
            s.secret.is_some(),
            s.config_map.is_some(),
            s.downward_api.is_some(),
            s.service_account_token.is_some(),
            s.cluster_trust_bundle.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if count > 1 {
            say::forbidden(
                sink,
                RULE,
                here.clone(),
                "may not specify more than 1 volume type per source",
            );
        }
        let mut paths = Some((&mut seen, here.clone()));
        if let Some(x) = &s.secret {
            need(sink, &here.key("secret"), "name", &x.name);
            items(
                x.items.as_deref(),
                &here.key("secret").key("items"),
                sink,
                &mut paths,
            );
        }
        if let Some(x) = &s.config_map {
            need(sink, &here.key("configMap"), "name", &x.name);
            items(
                x.items.as_deref(),
                &here.key("configMap").key("items"),
                sink,
                &mut paths,
            );
        }
        if let Some(x) = &s.downward_api {
            downward(
                x.items.as_deref(),
                &here.key("downwardAPI").key("items"),
                pod,
                sink,
                &mut paths,
            );
        }
        if let Some(t) = &s.service_account_token {
            let sat = here.key("serviceAccountToken");
            file_path(&t.path, &sat, sink, &mut paths);
            match t.expiration_seconds {
                Some(e) if e < 600 => say::invalid(
                    sink,
                    RULE,
                    sat.key("expirationSeconds"),
                    e,
                    "may not specify a duration less than 10 minutes",
                ),
                Some(e) if e > 1 << 32 => say::invalid(
                    sink,
                    RULE,
                    sat.key("expirationSeconds"),
                    e,
                    "may not specify a duration larger than 2^32 seconds",
                ),
                _ => {}
            }
        }
    }
}
