//! `ValidateConfigMap` and `ValidateSecret` beyond key names: the 1 MiB size limit and the
//! keys (and JSON) each built-in Secret type requires. `stringData` is merged into `data` before
//! the API server validates, so both count.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};

use super::say;
use crate::finding::{Path, Sink};
use crate::rules::K8S_DATA as RULE;

/// `MaxSecretSize`, which ConfigMaps share.
const MAX_SIZE: usize = 1024 * 1024;

fn too_big(size: usize, at: Path, sink: &mut Sink) {
    if size > MAX_SIZE {
        sink.error(
            RULE,
            at,
            format!("too long: must have at most {MAX_SIZE} bytes"),
        );
    }
}

/// Checks a ConfigMap at `at`.
pub(super) fn config_map(c: &ConfigMap, at: &Path, sink: &mut Sink) {
    let data = c.data.iter().flatten().map(|(k, v)| k.len() + v.len());
    let binary = c
        .binary_data
        .iter()
        .flatten()
        .map(|(k, v)| k.len() + v.0.len());
    too_big(data.chain(binary).sum(), at.key("data"), sink);
}

/// Checks a Secret at `at`.
pub(super) fn secret(s: &Secret, at: &Path, sink: &mut Sink) {
    let mut data: BTreeMap<&str, &[u8]> = s
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.0.as_slice()))
        .collect();
    for (k, v) in s.string_data.iter().flatten() {
        data.insert(k, v.as_bytes());
    }
    too_big(
        data.iter().map(|(k, v)| k.len() + v.len()).sum(),
        at.key("data"),
        sink,
    );
    let key_at = |key: &str| at.key("data").key_owned(key);
    let require = |sink: &mut Sink, key: &str| {
        if !data.contains_key(key) {
            say::required(sink, RULE, key_at(key), "");
        }
    };
    match s.type_.as_deref().unwrap_or("Opaque") {
        "kubernetes.io/service-account-token" => {
            let name = "kubernetes.io/service-account.name";
            let has = s
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.get(name).is_some_and(|v| !v.is_empty()));
            if !has {
                say::required(
                    sink,
                    RULE,
                    at.key("metadata").key("annotations").key_owned(name),
                    "",
                );
            }
        }
        "kubernetes.io/dockercfg" => json(&data, ".dockercfg", at, sink),
        "kubernetes.io/dockerconfigjson" => json(&data, ".dockerconfigjson", at, sink),
        "kubernetes.io/basic-auth"
            if !data.contains_key("username") && !data.contains_key("password") =>
        {
            say::required(sink, RULE, key_at("username"), "");
            say::required(sink, RULE, key_at("password"), "");
        }
        "kubernetes.io/ssh-auth" => require(sink, "ssh-privatekey"),
        "kubernetes.io/tls" => {
            require(sink, "tls.crt");
            require(sink, "tls.key");
        }
        _ => {}
    }
}

/// A Docker config key that must exist and hold a JSON object.
fn json(data: &BTreeMap<&str, &[u8]>, key: &str, at: &Path, sink: &mut Sink) {
    let here = at.key("data").key_owned(key);
    match data.get(key) {
        None => say::required(sink, RULE, here, ""),
        Some(bytes) => {
            if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes).is_err()
            {
                // The contents are secret: Kubernetes redacts them, so do we.
                say::invalid(
                    sink,
                    RULE,
                    here,
                    "\"<secret contents redacted>\"",
                    "must be a valid JSON object",
                );
            }
        }
    }
}
