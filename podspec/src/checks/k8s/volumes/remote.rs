//! The network and cloud volume sources (nfs, iscsi, gitRepo, rbd, glusterfs, fc, csi,
//! flexVolume, storageos, flocker, …): the fields each validator requires. Podman refuses
//! them all (`drops.rs`); these are Kubernetes' own findings, reported alongside.

use k8s_openapi::api::core::v1::Volume;

use super::super::{grammar, say};
use super::need;
use crate::finding::{Path, Sink};
use crate::rules::K8S_VOLUME as RULE;

/// Checks the network or cloud source of `v` at `at`, if it has one.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per volume source, as validateVolumeSource"
)]
pub(super) fn check(v: &Volume, at: &Path, sink: &mut Sink) {
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
