//! `validateEnv`/`validateEnvVarValueFrom`/`validateEnvFrom` beyond `checks::pod`'s names:
//! exactly one value source, supported field paths, resource selectors and key references.

use k8s_openapi::api::core::v1::{Container, ObjectFieldSelector, ResourceFieldSelector};

use super::{grammar, resources, say, Pod};
use crate::finding::{Path, Sink};
use crate::rules::K8S_ENV as RULE;

/// Field paths an env var may take from the pod (`validEnvDownwardAPIFieldPathExpressions`).
const ENV_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];
/// Field paths a downwardAPI volume file may take (`validVolumeDownwardAPIFieldPathExpressions`).
pub(super) const VOLUME_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.labels",
    "metadata.annotations",
    "metadata.uid",
];

/// Checks the env and envFrom of container `c` at `at`.
pub(super) fn check(c: &Container, at: &Path, pod: &Pod, sink: &mut Sink) {
    for (i, e) in c.env.iter().flatten().enumerate() {
        let Some(from) = &e.value_from else { continue };
        let here = at.key("env").idx(i).key("valueFrom");
        let mut sources = 0;
        if let Some(f) = &from.field_ref {
            sources += 1;
            field_ref(f, &here.key("fieldRef"), ENV_FIELDS, sink);
        }
        if let Some(r) = &from.resource_field_ref {
            sources += 1;
            resource_ref(r, &here.key("resourceFieldRef"), Some(&c.name), pod, sink);
        }
        if let Some(r) = &from.config_map_key_ref {
            sources += 1;
            key_ref(&r.name, &r.key, &here.key("configMapKeyRef"), sink);
        }
        if let Some(r) = &from.secret_key_ref {
            sources += 1;
            key_ref(&r.name, &r.key, &here.key("secretKeyRef"), sink);
        }
        match sources {
            0 => say::invalid(
                sink,
                RULE,
                here,
                "{}",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ),
            1 => {}
            _ => say::invalid(
                sink,
                RULE,
                here,
                "{…}",
                "may not have more than one field specified at a time",
            ),
        }
    }
    for (i, e) in c.env_from.iter().flatten().enumerate() {
        let here = at.key("envFrom").idx(i);
        if let Some(prefix) = e.prefix.as_deref().filter(|p| !p.is_empty()) {
            say::grammar(sink, RULE, || here.key("prefix"), prefix, grammar::env_name);
        }
        let refs = [
            ("configMapRef", e.config_map_ref.as_ref().map(|r| &r.name)),
            ("secretRef", e.secret_ref.as_ref().map(|r| &r.name)),
        ];
        let set = refs.iter().filter(|(_, r)| r.is_some()).count();
        match set {
            0 => say::invalid(
                sink,
                RULE,
                here.clone(),
                "{}",
                "must specify one of: `configMapRef` or `secretRef`",
            ),
            1 => {}
            _ => say::invalid(
                sink,
                RULE,
                here.clone(),
                "{…}",
                "may not have more than one field specified at a time",
            ),
        }
        for (field, name) in refs {
            let Some(name) = name else { continue };
            let name_at = || here.key(field).key("name");
            if name.is_empty() {
                say::required(sink, RULE, name_at(), "");
            } else {
                say::grammar(sink, RULE, name_at, name, grammar::subdomain);
            }
        }
    }
}

/// `validateObjectFieldSelector`: a supported path, or a subscripted label or annotation.
pub(super) fn field_ref(f: &ObjectFieldSelector, at: &Path, allowed: &[&str], sink: &mut Sink) {
    let here = || at.key("fieldPath");
    if f.field_path.is_empty() {
        say::required(sink, RULE, here(), "");
        return;
    }
    if let Some(v) = f
        .api_version
        .as_deref()
        .filter(|v| !v.is_empty() && *v != "v1")
    {
        say::unsupported(sink, RULE, at.key("apiVersion"), v, &["v1"]);
        return;
    }
    let subscript = ["metadata.labels['", "metadata.annotations['"]
        .iter()
        .find_map(|p| f.field_path.strip_prefix(p))
        .and_then(|rest| rest.strip_suffix("']"));
    match subscript {
        Some(key) => {
            let is_label = f.field_path.starts_with("metadata.labels");
            let check = if is_label {
                grammar::qualified
            } else {
                annotation_key
            };
            say::grammar(sink, RULE, here, key, check);
        }
        None if !allowed.contains(&f.field_path.as_str()) => {
            say::unsupported(sink, RULE, here(), &f.field_path, allowed)
        }
        None => {}
    }
}

/// Annotation keys are qualified names, lower-cased (`ValidateAnnotations`).
fn annotation_key(key: &str) -> Option<String> {
    grammar::qualified(&key.to_lowercase())
}

/// Resources a selector may name (`validContainerResourceFieldPathExpressions`), and the
/// hugepages prefixes.
const RESOURCES: &[&str] = &[
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
];

/// `validateContainerResourceFieldSelector`: a known resource of a container of the pod (named
/// explicitly in a volume, `own` in an env var) and a divisor that fits it.
pub(super) fn resource_ref(
    r: &ResourceFieldSelector,
    at: &Path,
    own: Option<&str>,
    pod: &Pod,
    sink: &mut Sink,
) {
    let container = r.container_name.as_deref().filter(|n| !n.is_empty());
    match (container, own) {
        (None, None) => say::required(sink, RULE, at.key("containerName"), ""),
        (Some(name), _) if !pod.containers.contains(name) => {
            say::not_found(sink, RULE, at.key("containerName"), name)
        }
        _ => {}
    }
    let resource = r.resource.as_str();
    let hugepages = ["limits.hugepages-", "requests.hugepages-"]
        .iter()
        .any(|p| resource.starts_with(p));
    if resource.is_empty() {
        say::required(sink, RULE, at.key("resource"), "");
        return;
    }
    if !hugepages && !RESOURCES.contains(&resource) {
        say::unsupported(sink, RULE, at.key("resource"), resource, RESOURCES);
        return;
    }
    let Some(divisor) = &r.divisor else { return };
    let allowed: &[&str] = if resource.ends_with(".cpu") {
        &["1m", "1"]
    } else {
        &[
            "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
        ]
    };
    let value = resources::value(&divisor.0);
    if !allowed
        .iter()
        .any(|a| resources::value(a) == value && value.is_some())
    {
        say::unsupported(sink, RULE, at.key("divisor"), &divisor.0, allowed);
    }
}

/// `validateConfigMapKeySelector`/`validateSecretKeySelector`.
fn key_ref(name: &str, key: &str, at: &Path, sink: &mut Sink) {
    if name.is_empty() {
        say::required(sink, RULE, at.key("name"), "");
    } else {
        say::grammar(sink, RULE, || at.key("name"), name, grammar::subdomain);
    }
    if key.is_empty() {
        say::required(sink, RULE, at.key("key"), "");
    } else {
        say::grammar(sink, RULE, || at.key("key"), key, grammar::config_key);
    }
}
