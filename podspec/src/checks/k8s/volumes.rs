//! `validateVolumeSource` and each source's own validator: hostPath, emptyDir, secret,
//! configMap, downwardAPI, projected, persistentVolumeClaim, ephemeral and the network and
//! cloud sources (their required fields). Names, uniqueness and "one source" are
//! `checks::pod`'s `volume` rule.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{DownwardAPIVolumeFile, KeyToPath, Volume};

use super::{env, grammar, say, Pod};
use crate::finding::{Path, Sink};
use crate::rules::K8S_VOLUME as RULE;

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
const ACCESS_MODES: &[&str] = &[
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
    if let Some(n) = &v.nfs {
        let here = at.key("nfs");
        need(sink, &here, "server", &n.server);
        if n.path.is_empty() {
            say::required(sink, RULE, here.key("path"), "");
        } else if !n.path.starts_with('/') {
            say::invalid_str(
                sink,
                RULE,
                here.key("path"),
                &n.path,
                "must be an absolute path",
            );
        }
    }
    if let Some(s) = &v.iscsi {
        let here = at.key("iscsi");
        need(sink, &here, "targetPortal", &s.target_portal);
        need(sink, &here, "iqn", &s.iqn);
        for (field, value) in [
            ("iqn", Some(s.iqn.as_str())),
            ("initiatorName", s.initiator_name.as_deref()),
        ] {
            let value = value.unwrap_or_default();
            if !value.is_empty()
                && !["iqn.", "eui.", "naa."]
                    .iter()
                    .any(|p| value.starts_with(p))
            {
                say::invalid_str(
                    sink,
                    RULE,
                    here.key(field),
                    value,
                    "must be valid format starting with iqn, eui, or naa",
                );
            }
        }
        if !(0..=255).contains(&s.lun) {
            say::invalid(
                sink,
                RULE,
                here.key("lun"),
                s.lun,
                "must be between 0 and 255, inclusive",
            );
        }
        let chap = s.chap_auth_discovery == Some(true) || s.chap_auth_session == Some(true);
        if chap && s.secret_ref.is_none() {
            say::required(
                sink,
                RULE,
                here.key("secretRef"),
                "CHAP authentication needs a secret",
            );
        }
    }
    if let Some(g) = &v.git_repo {
        let here = at.key("gitRepo");
        need(sink, &here, "repository", &g.repository);
        if let Some(d) = g.directory.as_deref().filter(|d| !d.is_empty()) {
            say::grammar(
                sink,
                RULE,
                || here.key("directory"),
                d,
                grammar::descending_path,
            );
        }
    }
    if let Some(r) = &v.rbd {
        let here = at.key("rbd");
        if r.monitors.is_empty() {
            say::required(sink, RULE, here.key("monitors"), "");
        }
        need(sink, &here, "image", &r.image);
    }
    if v.cephfs.as_ref().is_some_and(|c| c.monitors.is_empty()) {
        say::required(sink, RULE, at.key("cephfs").key("monitors"), "");
    }
    if let Some(g) = &v.glusterfs {
        let here = at.key("glusterfs");
        need(sink, &here, "endpoints", &g.endpoints);
        need(sink, &here, "path", &g.path);
    }
    if let Some(f) = &v.fc {
        let here = at.key("fc");
        let wwns = f.target_wwns.as_deref().unwrap_or_default();
        let wwids = f.wwids.as_deref().unwrap_or_default();
        match (wwns.is_empty(), wwids.is_empty()) {
            (true, true) => say::required(
                sink,
                RULE,
                here.key("targetWWNs"),
                "must specify either targetWWNs or wwids, but not both",
            ),
            (false, false) => say::invalid(
                sink,
                RULE,
                here.key("targetWWNs"),
                format!("{wwns:?}"),
                "targetWWNs and wwids can not be specified simultaneously",
            ),
            (false, true) => match f.lun {
                None => say::required(
                    sink,
                    RULE,
                    here.key("lun"),
                    "lun is required if targetWWNs is specified",
                ),
                Some(l) if !(0..=255).contains(&l) => say::invalid(
                    sink,
                    RULE,
                    here.key("lun"),
                    l,
                    "must be between 0 and 255, inclusive",
                ),
                Some(_) => {}
            },
            (true, false) => {}
        }
    }
    if let Some(c) = &v.csi {
        let here = at.key("csi");
        if c.driver.is_empty() {
            say::required(sink, RULE, here.key("driver"), "");
        } else if c.driver.len() > 63 {
            sink.error(
                RULE,
                here.key("driver"),
                "too long: may not be more than 63 bytes",
            );
        } else {
            say::grammar(
                sink,
                RULE,
                || here.key("driver"),
                &c.driver.to_lowercase(),
                grammar::subdomain,
            );
        }
    }
    if let Some(f) = &v.flex_volume {
        need(sink, &at.key("flexVolume"), "driver", &f.driver);
    }
    for (source, field, value) in [
        (
            "cinder",
            "volumeID",
            v.cinder.as_ref().map(|c| &c.volume_id),
        ),
        (
            "awsElasticBlockStore",
            "volumeID",
            v.aws_elastic_block_store.as_ref().map(|c| &c.volume_id),
        ),
        (
            "gcePersistentDisk",
            "pdName",
            v.gce_persistent_disk.as_ref().map(|c| &c.pd_name),
        ),
        (
            "azureDisk",
            "diskName",
            v.azure_disk.as_ref().map(|c| &c.disk_name),
        ),
        (
            "azureDisk",
            "diskURI",
            v.azure_disk.as_ref().map(|c| &c.disk_uri),
        ),
        (
            "azureFile",
            "secretName",
            v.azure_file.as_ref().map(|c| &c.secret_name),
        ),
        (
            "azureFile",
            "shareName",
            v.azure_file.as_ref().map(|c| &c.share_name),
        ),
        (
            "quobyte",
            "registry",
            v.quobyte.as_ref().map(|c| &c.registry),
        ),
        ("quobyte", "volume", v.quobyte.as_ref().map(|c| &c.volume)),
        (
            "vsphereVolume",
            "volumePath",
            v.vsphere_volume.as_ref().map(|c| &c.volume_path),
        ),
        (
            "photonPersistentDisk",
            "pdID",
            v.photon_persistent_disk.as_ref().map(|c| &c.pd_id),
        ),
        (
            "portworxVolume",
            "volumeID",
            v.portworx_volume.as_ref().map(|c| &c.volume_id),
        ),
        (
            "scaleIO",
            "gateway",
            v.scale_io.as_ref().map(|c| &c.gateway),
        ),
        ("scaleIO", "system", v.scale_io.as_ref().map(|c| &c.system)),
    ] {
        if let Some(value) = value {
            need(sink, &at.key(source), field, value);
        }
    }
    if let Some(s) = &v.storageos {
        need(
            sink,
            &at.key("storageos"),
            "volumeName",
            s.volume_name.as_deref().unwrap_or_default(),
        );
    }
    if let Some(f) = &v.flocker {
        let name = f.dataset_name.as_deref().unwrap_or_default();
        let uuid = f.dataset_uuid.as_deref().unwrap_or_default();
        let here = at.key("flocker");
        match (name.is_empty(), uuid.is_empty()) {
            (true, true) => say::required(
                sink,
                RULE,
                here,
                "one of datasetName and datasetUUID is required",
            ),
            (false, false) => say::invalid(
                sink,
                RULE,
                here,
                "{…}",
                "resource cannot have datasetName and datasetUUID at the same time",
            ),
            _ => {}
        }
    }
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
