//! Kubernetes objects to Ankaios workloads and configs, purely and deterministically: the same
//! file always gives the same `State`. `pod` builds podman-kube workloads, `native` the
//! `runtimeClassName: native` ones, `claim` the PersistentVolumeClaims' volume workloads; this
//! module merges them with Ankaios manifests.

mod claim;
mod native;
mod pod;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ank_model::{AddCondition, ConfigItem, State};
use k8s_openapi::ByteString;

use crate::checks::claim::claims_of;
use crate::checks::refs::{pod_spec, Target};
use crate::checks::{is_native, to_ankaios};
use crate::finding::Path;
use crate::parse::{Object, Resource};
use crate::rules;

/// A ConfigMap or Secret of the file, ready to be referenced by pods.
pub(crate) struct Provided {
    /// The Ankaios config key (and alias) it becomes.
    pub(crate) key: String,
    /// Its normalised YAML, appended to the manifests of podman-kube pods that use it.
    pub(crate) yaml: String,
}

/// What pods may reference, by kind and Kubernetes name.
pub(crate) type ProvidedMap = HashMap<(Target, String), Provided>;

/// Builds the desired state of all resources. Call only when no resource blocks apply.
pub(crate) fn translate(resources: &[Resource]) -> State {
    let mut state = State::new();
    let mut provided = ProvidedMap::new();
    for r in resources {
        match &r.object {
            Some(Object::ConfigMap(c)) => {
                let Some(name) = c.metadata.name.clone() else {
                    continue;
                };
                let mut items = BTreeMap::new();
                for (k, v) in c.data.iter().flatten() {
                    items.insert(k.clone(), ConfigItem::String(v.clone()));
                }
                for (k, v) in c.binary_data.iter().flatten() {
                    items.insert(k.clone(), ConfigItem::String(bytes_text(v)));
                }
                add_config(
                    &mut state,
                    &mut provided,
                    Target::ConfigMap,
                    &name,
                    items,
                    &**c,
                );
            }
            Some(Object::Secret(s)) => {
                let Some(name) = s.metadata.name.clone() else {
                    continue;
                };
                let mut items = BTreeMap::new();
                for (k, v) in s.data.iter().flatten() {
                    items.insert(k.clone(), ConfigItem::String(bytes_text(v)));
                }
                for (k, v) in s.string_data.iter().flatten() {
                    items.insert(k.clone(), ConfigItem::String(v.clone()));
                }
                add_config(
                    &mut state,
                    &mut provided,
                    Target::Secret,
                    &name,
                    items,
                    &**s,
                );
            }
            _ => {}
        }
    }
    let claims: BTreeSet<&str> = resources
        .iter()
        .filter_map(|r| match &r.object {
            Some(Object::Claim(c)) => c.metadata.name.as_deref(),
            _ => None,
        })
        .collect();
    let pods = Pods {
        provided: &provided,
        claims: &claims,
    };
    for r in resources {
        match &r.object {
            Some(Object::Claim(c)) => {
                let Some(name) = &c.metadata.name else {
                    continue;
                };
                let user = resources
                    .iter()
                    .filter_map(|r| r.object.as_ref().and_then(pod_spec).map(|(s, _)| s))
                    .find(|spec| claims_of(spec).any(|c| c == name));
                let (key, workload) = claim::workload(name, c, user);
                state.workloads.insert(key, workload);
            }
            Some(Object::Ankaios(doc)) => {
                state.workloads.extend(doc.workloads.clone());
                state.configs.extend(doc.configs.clone());
            }
            Some(Object::Pod(p)) => {
                if let (Some(name), Some(spec)) = (&p.metadata.name, &p.spec) {
                    add_pod(&mut state, &pods, name, &p.metadata, spec);
                }
            }
            Some(Object::Deployment(d)) => {
                let Some((name, spec)) = d.metadata.name.as_ref().zip(d.spec.as_ref()) else {
                    continue;
                };
                let Some(pod_spec) = &spec.template.spec else {
                    continue;
                };
                let meta = spec.template.metadata.clone().unwrap_or_default();
                for i in 0..spec.replicas.unwrap_or(1).max(0) {
                    add_pod(&mut state, &pods, &format!("{name}-{i}"), &meta, pod_spec);
                }
            }
            Some(Object::Job(j)) => {
                let Some((name, spec)) = j.metadata.name.as_ref().zip(j.spec.as_ref()) else {
                    continue;
                };
                let Some(pod_spec) = &spec.template.spec else {
                    continue;
                };
                let meta = spec.template.metadata.clone().unwrap_or_default();
                add_pod(&mut state, &pods, name, &meta, pod_spec);
            }
            _ => {}
        }
    }
    state
}

fn add_config<T: serde::Serialize>(
    state: &mut State,
    provided: &mut ProvidedMap,
    target: Target,
    name: &str,
    items: BTreeMap<String, ConfigItem>,
    object: &T,
) {
    let key = to_ankaios(name);
    state.configs.insert(key.clone(), ConfigItem::Object(items));
    // Serializing a k8s-openapi object cannot fail: it has only strings, numbers and maps.
    let yaml = serde_yaml_ng::to_string(object).unwrap_or_default();
    provided.insert((target, name.to_owned()), Provided { key, yaml });
}

/// What the file provides to its pods: ConfigMaps and Secrets, and the claims it defines.
struct Pods<'a> {
    provided: &'a ProvidedMap,
    claims: &'a BTreeSet<&'a str>,
}

fn add_pod(
    state: &mut State,
    pods: &Pods<'_>,
    name: &str,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: &k8s_openapi::api::core::v1::PodSpec,
) {
    if is_native(spec) {
        native::workloads(name, meta, spec, pods.provided, &mut state.workloads);
    } else {
        let (key, mut workload) = pod::workload(name, meta, spec, pods.provided);
        // A claim of the same file is created first, and (as Ankaios orders deletes by
        // dependencies) removed only after its pods are down.
        for used in claims_of(spec).filter(|c| pods.claims.contains(c)) {
            let dependency = claim::workload_name(used);
            workload
                .dependencies
                .insert(dependency, AddCondition::Running);
        }
        state.workloads.insert(key, workload);
    }
}

/// Secret and binary data as text when it is UTF-8, else as base64 (how Kubernetes writes it).
fn bytes_text(bytes: &ByteString) -> String {
    match std::str::from_utf8(&bytes.0) {
        Ok(text) => text.to_owned(),
        Err(_) => match serde_json::to_value(bytes) {
            Ok(serde_json::Value::String(b64)) => b64,
            _ => String::new(),
        },
    }
}

/// The Ankaios workload names and config keys each resource will produce.
pub(crate) fn produced(object: &Object) -> (Vec<String>, Vec<String>) {
    use k8s_openapi::api::core::v1::PodSpec;
    // A native pod gives one workload per container, others one per pod.
    let expand = |pods: Vec<String>, spec: &PodSpec| -> Vec<String> {
        if !is_native(spec) {
            return pods;
        }
        let mut out = Vec::new();
        for pod in &pods {
            out.extend(spec.containers.iter().map(|c| format!("{pod}-{}", c.name)));
        }
        out
    };
    let template = |spec: Option<&k8s_openapi::api::core::v1::PodTemplateSpec>| {
        spec.and_then(|t| t.spec.clone())
    };
    match object {
        Object::Ankaios(s) => (
            s.workloads.keys().cloned().collect(),
            s.configs.keys().cloned().collect(),
        ),
        Object::Pod(p) => match (&p.metadata.name, &p.spec) {
            (Some(n), Some(spec)) => (expand(vec![to_ankaios(n)], spec), vec![]),
            _ => (vec![], vec![]),
        },
        Object::Deployment(d) => match (
            &d.metadata.name,
            template(d.spec.as_ref().map(|s| &s.template)),
        ) {
            (Some(n), Some(t)) => {
                let count = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                let pods = (0..count.max(0))
                    .map(|i| format!("{}-{i}", to_ankaios(n)))
                    .collect();
                (expand(pods, &t), vec![])
            }
            _ => (vec![], vec![]),
        },
        Object::Job(j) => match (
            &j.metadata.name,
            template(j.spec.as_ref().map(|s| &s.template)),
        ) {
            (Some(n), Some(t)) => (expand(vec![to_ankaios(n)], &t), vec![]),
            _ => (vec![], vec![]),
        },
        Object::ConfigMap(c) => (
            vec![],
            c.metadata.name.iter().map(|n| to_ankaios(n)).collect(),
        ),
        Object::Secret(s) => (
            vec![],
            s.metadata.name.iter().map(|n| to_ankaios(n)).collect(),
        ),
        Object::Claim(c) => (
            c.metadata
                .name
                .iter()
                .map(|n| claim::workload_name(n))
                .collect(),
            vec![],
        ),
    }
}

/// Reports workloads and configs that two resources of the file would both define.
pub(crate) fn check_duplicates(resources: &mut [Resource]) {
    // Name → index of the first resource producing it; messages are built only for duplicates.
    let mut workloads: HashMap<String, usize> = HashMap::new();
    let mut configs: HashMap<String, usize> = HashMap::new();
    let describe = |r: &Resource| {
        format!(
            "{} {} in document {}",
            r.kind,
            r.name.as_deref().unwrap_or("-"),
            r.document
        )
    };
    for index in 0..resources.len() {
        let (w, c) = std::mem::take(&mut resources[index].produced);
        let ankaios = resources[index].kind == "AnkaiosManifest";
        for (names, seen, what, field) in [
            (w, &mut workloads, "workload", "workloads"),
            (c, &mut configs, "config", "configs"),
        ] {
            for name in names {
                if let Some(&first) = seen.get(&name) {
                    let first = describe(&resources[first]);
                    let r = &mut resources[index];
                    let path = if ankaios {
                        Path::root().key(field).key_owned(&name)
                    } else {
                        r.prefix.key("metadata").key("name")
                    };
                    let message = format!("{what} {name:?} is already defined by {first}");
                    r.sink.error(rules::ANKAIOS_DUPLICATE, path, message);
                } else {
                    seen.insert(name, index);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
