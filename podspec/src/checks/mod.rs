//! Semantic checks of typed objects, as the Kubernetes API server runs them after decoding, plus
//! the few Anchorage needs to translate (Ankaios names, native commands, references).
//!
//! `pod` owns pod specs and containers, `names` the name grammars, `image` image references,
//! `quantity` resource quantities, `refs` the ConfigMap/Secret references between documents and
//! `claim` the names of PersistentVolumeClaims, and `k8s` the rest of Kubernetes' own pod,
//! Deployment, Job, ConfigMap and Secret validation.

pub(crate) mod claim;
mod image;
pub(crate) mod k8s;
mod names;
mod pod;
mod quantity;
pub(crate) mod refs;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

pub(crate) use names::to_ankaios;
pub(crate) use pod::is_native;

use crate::finding::{Path, Sink};
use crate::parse::Object;
use crate::rules;
use pod::Owner;

/// Runs every check for `object`, which sits at `at` in its document.
pub(crate) fn check(object: &Object, at: &Path, sink: &mut Sink) {
    match object {
        Object::Pod(p) => {
            let name = check_name(&p.metadata, at, sink);
            let spec_at = at.key("spec");
            match &p.spec {
                Some(spec) => {
                    pod::check_spec(spec, &spec_at, Owner::Pod, sink);
                    if let Some(name) = name {
                        check_workload_names(name, 1, spec, &at.key("metadata").key("name"), sink);
                    }
                }
                None => sink.error(
                    rules::REQUIRED,
                    spec_at.key("containers"),
                    "a pod needs at least one container",
                ),
            }
        }
        Object::Deployment(d) => {
            let name = check_name(&d.metadata, at, sink);
            let Some(spec) = &d.spec else {
                sink.error(rules::REQUIRED, at.key("spec"), "spec is required");
                return;
            };
            let replicas = spec.replicas.unwrap_or(1);
            if replicas < 0 {
                sink.error(
                    rules::REPLICAS,
                    at.key("spec").key("replicas"),
                    format!("replicas {replicas} must not be negative"),
                );
            }
            let labels = spec
                .template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref());
            check_selector(
                &spec.selector,
                labels,
                &at.key("spec").key("selector"),
                sink,
            );
            if let Some(meta) = &spec.template.metadata {
                check_labels(meta, &at.key("spec").key("template"), sink);
            }
            check_template(
                spec.template.spec.as_ref(),
                &at.key("spec").key("template"),
                Owner::Deployment,
                sink,
            );
            if let (Some(name), Some(pod)) = (name, &spec.template.spec) {
                check_workload_names(
                    name,
                    replicas.max(1),
                    pod,
                    &at.key("metadata").key("name"),
                    sink,
                );
            }
        }
        Object::Job(j) => {
            let name = check_name(&j.metadata, at, sink);
            let Some(spec) = &j.spec else {
                sink.error(rules::REQUIRED, at.key("spec"), "spec is required");
                return;
            };
            if let Some(selector) = &spec.selector {
                let labels = spec
                    .template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.as_ref());
                check_selector(selector, labels, &at.key("spec").key("selector"), sink);
            }
            if let Some(meta) = &spec.template.metadata {
                check_labels(meta, &at.key("spec").key("template"), sink);
            }
            check_template(
                spec.template.spec.as_ref(),
                &at.key("spec").key("template"),
                Owner::Job,
                sink,
            );
            if let (Some(name), Some(pod)) = (name, &spec.template.spec) {
                check_workload_names(name, 1, pod, &at.key("metadata").key("name"), sink);
            }
        }
        Object::ConfigMap(c) => {
            check_config_name(&c.metadata, at, sink);
            let data = c.data.iter().flatten().map(|(k, _)| ("data", k));
            let binary = c
                .binary_data
                .iter()
                .flatten()
                .map(|(k, _)| ("binaryData", k));
            check_keys(data.chain(binary), at, sink);
        }
        Object::Secret(s) => {
            check_config_name(&s.metadata, at, sink);
            let data = s.data.iter().flatten().map(|(k, _)| ("data", k));
            let string = s
                .string_data
                .iter()
                .flatten()
                .map(|(k, _)| ("stringData", k));
            // `stringData` overrides `data` on write, so a key in both is legal for Secrets.
            let mut seen = std::collections::HashSet::new();
            check_keys(
                data.chain(string).filter(|(_, k)| seen.insert(k.as_str())),
                at,
                sink,
            );
        }
        Object::Claim(c) => {
            if let Some(name) = check_name(&c.metadata, at, sink) {
                claim::check_claim_name(name, at, sink);
            }
        }
        Object::Ankaios(_) => {}
    }
    k8s::check(object, at, sink);
}

/// Checks `metadata.name` as an object name; returns it when present.
fn check_name<'m>(meta: &'m ObjectMeta, at: &Path, sink: &mut Sink) -> Option<&'m str> {
    check_labels(meta, at, sink);
    let here = at.key("metadata").key("name");
    match meta.name.as_deref() {
        None | Some("") => {
            let message = if meta.generate_name.is_some() {
                "metadata.name is required: anchorage does not support generateName"
            } else {
                "metadata.name is required"
            };
            sink.error(rules::REQUIRED, here, message);
            None
        }
        Some(name) => {
            if let Some(message) = names::dns1123_subdomain(name) {
                sink.error(rules::DNS1123_NAME, here, message);
            }
            Some(name)
        }
    }
}

/// Label keys and values, and annotation keys, of the `metadata` under `at` (rule `label`).
fn check_labels(meta: &ObjectMeta, at: &Path, sink: &mut Sink) {
    for (key, value) in meta.labels.iter().flatten() {
        let here = || at.key("metadata").key("labels").key_owned(key);
        if let Some(message) = names::qualified_name(key) {
            sink.error(rules::LABEL, here(), format!("label {message}"));
        }
        if let Some(message) = names::label_value(value) {
            sink.error(rules::LABEL, here(), message);
        }
    }
    for key in meta.annotations.iter().flatten().map(|(k, _)| k) {
        if let Some(message) = names::qualified_name(key) {
            let here = at.key("metadata").key("annotations").key_owned(key);
            sink.error(rules::LABEL, here, format!("annotation {message}"));
        }
    }
}

fn check_config_name(meta: &ObjectMeta, at: &Path, sink: &mut Sink) {
    if let Some(name) = check_name(meta, at, sink) {
        if let Some(message) = names::ankaios_name(&to_ankaios(name)) {
            sink.error(rules::ANKAIOS_NAME, at.key("metadata").key("name"), message);
        }
    }
}

/// The workloads a translation will create must have Ankaios names.
fn check_workload_names(
    name: &str,
    count: i32,
    spec: &k8s_openapi::api::core::v1::PodSpec,
    at: &Path,
    sink: &mut Sink,
) {
    let base = to_ankaios(name);
    let mut longest = if count > 1 {
        format!("{base}-{}", count - 1)
    } else {
        base
    };
    if is_native(spec) {
        let widest = spec
            .containers
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        longest = format!("{longest}-{}", "x".repeat(widest));
    }
    if let Some(message) = names::ankaios_name(&longest) {
        sink.error(rules::ANKAIOS_NAME, at.clone(), message);
    }
}

fn check_template(
    spec: Option<&k8s_openapi::api::core::v1::PodSpec>,
    at: &Path,
    owner: Owner,
    sink: &mut Sink,
) {
    match spec {
        Some(spec) => pod::check_spec(spec, &at.key("spec"), owner, sink),
        None => sink.error(
            rules::REQUIRED,
            at.key("spec"),
            "the pod template needs a spec",
        ),
    }
}

fn check_keys<'k>(
    keys: impl Iterator<Item = (&'static str, &'k String)>,
    at: &Path,
    sink: &mut Sink,
) {
    let mut seen = std::collections::HashSet::new();
    for (field, key) in keys {
        let here = at.key(field).key_owned(key);
        if let Some(message) = names::config_key(key) {
            sink.error(rules::CONFIG_KEY, here, message);
        } else if !seen.insert(key.as_str()) {
            sink.error(
                rules::CONFIG_KEY,
                here,
                format!("key {key:?} is in both data and binaryData"),
            );
        }
    }
}

fn check_selector(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
    at: &Path,
    sink: &mut Sink,
) {
    let exprs = selector.match_expressions.as_deref().unwrap_or_default();
    let match_labels = selector.match_labels.as_ref();
    if match_labels.is_none_or(BTreeMap::is_empty) && exprs.is_empty() {
        sink.error(rules::SELECTOR, at.clone(), "selector must not be empty");
        return;
    }
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    for (key, value) in match_labels.into_iter().flatten() {
        if labels.get(key) != Some(value) {
            let message = format!("selector {key}={value} does not match the template labels");
            sink.error(
                rules::SELECTOR,
                at.key("matchLabels").key_owned(key),
                message,
            );
        }
    }
    for (i, e) in exprs.iter().enumerate() {
        let values = e.values.as_deref().unwrap_or_default();
        let has = labels.get(&e.key);
        let ok = match e.operator.as_str() {
            "In" => has.is_some_and(|v| values.contains(v)),
            "NotIn" => has.is_none_or(|v| !values.contains(v)),
            "Exists" => has.is_some(),
            "DoesNotExist" => has.is_none(),
            other => {
                let message =
                    format!("operator {other:?} is not one of In, NotIn, Exists, DoesNotExist");
                sink.error(
                    rules::SELECTOR,
                    at.key("matchExpressions").idx(i).key("operator"),
                    message,
                );
                continue;
            }
        };
        if !ok {
            let message = format!(
                "selector expression on {:?} does not match the template labels",
                e.key
            );
            sink.error(rules::SELECTOR, at.key("matchExpressions").idx(i), message);
        }
    }
}
