//! References from pods to ConfigMaps and Secrets. Anchorage can only give a pod the ones that
//! come in the same file (it turns them into Ankaios configs), so a missing one cannot be
//! honoured: Kubernetes would wait for it, `ank apply` refuses.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::PodSpec;

use crate::finding::Path;
use crate::parse::{Object, Resource};
use crate::rules;

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Target {
    /// A ConfigMap.
    ConfigMap,
    /// A Secret.
    Secret,
}

impl Target {
    /// The kind, as written in manifests.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Target::ConfigMap => "ConfigMap",
            Target::Secret => "Secret",
        }
    }
}

/// One reference found in a pod spec.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    pub(crate) target: Target,
    pub(crate) name: String,
    pub(crate) optional: bool,
    pub(crate) path: Path,
}

/// Every ConfigMap/Secret reference of `spec` (at `at`): env, envFrom and volumes.
pub(crate) fn pod_refs(spec: &PodSpec, at: &Path) -> Vec<Ref> {
    let mut out = Vec::new();
    let mut add = |target, name: &str, optional: Option<bool>, path: Path| {
        out.push(Ref {
            target,
            name: name.to_owned(),
            optional: optional.unwrap_or(false),
            path,
        });
    };
    let init = spec.init_containers.as_deref().unwrap_or_default();
    for (list, containers) in [
        ("initContainers", init),
        ("containers", &spec.containers[..]),
    ] {
        for (i, c) in containers.iter().enumerate() {
            let here = || at.key(list).idx(i);
            for (j, e) in c.env.iter().flatten().enumerate() {
                let Some(from) = &e.value_from else { continue };
                let p = here().key("env").idx(j).key("valueFrom");
                if let Some(r) = &from.config_map_key_ref {
                    add(
                        Target::ConfigMap,
                        &r.name,
                        r.optional,
                        p.key("configMapKeyRef").key("name"),
                    );
                }
                if let Some(r) = &from.secret_key_ref {
                    add(
                        Target::Secret,
                        &r.name,
                        r.optional,
                        p.key("secretKeyRef").key("name"),
                    );
                }
            }
            for (j, e) in c.env_from.iter().flatten().enumerate() {
                let p = here().key("envFrom").idx(j);
                if let Some(r) = &e.config_map_ref {
                    add(
                        Target::ConfigMap,
                        &r.name,
                        r.optional,
                        p.key("configMapRef").key("name"),
                    );
                }
                if let Some(r) = &e.secret_ref {
                    add(
                        Target::Secret,
                        &r.name,
                        r.optional,
                        p.key("secretRef").key("name"),
                    );
                }
            }
        }
    }
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let p = at.key("volumes").idx(i);
        if let Some(c) = &v.config_map {
            add(
                Target::ConfigMap,
                &c.name,
                c.optional,
                p.key("configMap").key("name"),
            );
        }
        if let Some(s) = &v.secret {
            let name = s.secret_name.as_deref().unwrap_or_default();
            add(
                Target::Secret,
                name,
                s.optional,
                p.key("secret").key("secretName"),
            );
        }
    }
    out
}

/// The pod spec of a pod-like object and where it sits relative to the object.
pub(crate) fn pod_spec(object: &Object) -> Option<(&PodSpec, Path)> {
    let root = Path::root();
    match object {
        Object::Pod(p) => p.spec.as_ref().map(|s| (s, root.key("spec"))),
        Object::Deployment(d) => d
            .spec
            .as_ref()?
            .template
            .spec
            .as_ref()
            .map(|s| (s, root.key("spec").key("template").key("spec"))),
        Object::Job(j) => j
            .spec
            .as_ref()?
            .template
            .spec
            .as_ref()
            .map(|s| (s, root.key("spec").key("template").key("spec"))),
        _ => None,
    }
}

/// The required and optional references of a pod-like `object` at `prefix`.
pub(crate) fn refs_of(object: &Object, prefix: &Path) -> Vec<Ref> {
    let Some((spec, at)) = pod_spec(object) else {
        return Vec::new();
    };
    let at = Path(prefix.0.iter().chain(&at.0).cloned().collect());
    pod_refs(spec, &at)
}

/// The ConfigMap or Secret `object` defines, if it is one with a name.
pub(crate) fn defines(object: &Object) -> Option<(Target, String)> {
    match object {
        Object::ConfigMap(c) => c.metadata.name.clone().map(|n| (Target::ConfigMap, n)),
        Object::Secret(s) => s.metadata.name.clone().map(|n| (Target::Secret, n)),
        _ => None,
    }
}

/// Warns (`unsupported-field`) about every required reference to an object not in the file.
pub(crate) fn check_file(resources: &mut [Resource]) {
    let defined: HashSet<(Target, String)> =
        resources.iter().filter_map(|r| r.defines.clone()).collect();
    for r in resources.iter_mut() {
        for reference in std::mem::take(&mut r.refs) {
            if reference.optional || defined.contains(&(reference.target, reference.name.clone())) {
                continue;
            }
            let message = format!(
                "{} {:?} is not defined in this file: anchorage can only provide the ones applied with the pod",
                reference.target.kind().to_lowercase(),
                reference.name
            );
            r.sink.warn(rules::UNSUPPORTED, reference.path, message);
        }
    }
}
