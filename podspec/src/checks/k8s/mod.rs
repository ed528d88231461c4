//! Kubernetes' own pod validation (`pkg/apis/core/validation`, `apps` and `batch`), rule by
//! rule, for what `checks` did not already judge. [`catalogue`] lists every rule with its
//! source function and whether it is covered here (or by `checks`) or why not.
//!
//! One module per area: `metadata`, `pod` (pod-level fields), `containers`, `ports`, `env`,
//! `resources`, `mounts`, `volumes`, `probes`, `security`, `windows`, `scheduling`, `dns`,
//! `deployment`, `job`, `data` (ConfigMap/Secret) and `pvc` (PersistentVolumeClaim); `say` words findings as Kubernetes'
//! `field.Error`s do and `grammar` holds the name grammars they need.

pub mod catalogue;
mod containers;
mod data;
mod deployment;
mod dns;
mod env;
mod grammar;
mod job;
mod metadata;
mod mounts;
mod pod;
mod ports;
mod probes;
mod pvc;
mod resources;
mod say;
mod scheduling;
mod security;
mod volumes;
mod windows;

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::finding::{Path, Sink};
use crate::parse::Object;

/// What holds the pod spec: decides what `activeDeadlineSeconds` and ephemeral containers mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Template {
    Pod,
    Deployment,
    Job,
}

/// What the container checks need to know about their pod.
struct Pod<'s> {
    volumes: &'s [Volume],
    /// Names of every container, init containers included.
    containers: HashSet<&'s str>,
    /// Names of the pod's resource claims.
    claims: HashSet<&'s str>,
    /// `terminationGracePeriodSeconds`, defaulted to 30 as the API server does.
    grace: i64,
}

/// The init and regular containers of `spec`, with their field names.
fn containers_of(spec: &PodSpec) -> [(&'static str, &[Container]); 2] {
    [
        (
            "initContainers",
            spec.init_containers.as_deref().unwrap_or_default(),
        ),
        ("containers", &spec.containers[..]),
    ]
}

/// Runs every Kubernetes rule of this module for `object` at `at`.
pub(crate) fn check(object: &Object, at: &Path, sink: &mut Sink) {
    match object {
        Object::Pod(p) => {
            metadata::check(&p.metadata, at, sink);
            if let Some(spec) = &p.spec {
                pod_spec(spec, &p.metadata, at, &at.key("spec"), Template::Pod, sink);
            }
        }
        Object::Deployment(d) => {
            metadata::check(&d.metadata, at, sink);
            if let Some(spec) = &d.spec {
                deployment::check(spec, &at.key("spec"), sink);
                template(&spec.template, &at.key("spec"), Template::Deployment, sink);
            }
        }
        Object::Job(j) => {
            metadata::check(&j.metadata, at, sink);
            if let Some(spec) = &j.spec {
                job::check(spec, &at.key("spec"), sink);
                template(&spec.template, &at.key("spec"), Template::Job, sink);
            }
        }
        Object::ConfigMap(c) => {
            metadata::check(&c.metadata, at, sink);
            data::config_map(c, at, sink);
        }
        Object::Secret(s) => {
            metadata::check(&s.metadata, at, sink);
            data::secret(s, at, sink);
        }
        Object::Claim(c) => {
            metadata::check(&c.metadata, at, sink);
            pvc::check(c, at, sink);
        }
        Object::Ankaios(_) => {}
    }
}

fn template(t: &PodTemplateSpec, spec_at: &Path, kind: Template, sink: &mut Sink) {
    let at = spec_at.key("template");
    let empty = ObjectMeta::default();
    let meta = t.metadata.as_ref().unwrap_or(&empty);
    metadata::check_template(meta, &at, sink);
    if let Some(spec) = &t.spec {
        pod_spec(spec, meta, &at, &at.key("spec"), kind, sink);
    }
}

/// Every area's rules for a pod spec at `at`, whose metadata is at `meta_at`.
fn pod_spec(
    spec: &PodSpec,
    meta: &ObjectMeta,
    meta_at: &Path,
    at: &Path,
    kind: Template,
    sink: &mut Sink,
) {
    let pod = Pod {
        volumes: spec.volumes.as_deref().unwrap_or_default(),
        containers: containers_of(spec)
            .iter()
            .flat_map(|(_, cs)| cs.iter().map(|c| c.name.as_str()))
            .collect(),
        claims: spec
            .resource_claims
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect(),
        grace: spec.termination_grace_period_seconds.unwrap_or(30),
    };
    pod::check(spec, at, kind, sink);
    dns::check(spec, at, sink);
    scheduling::check(spec, at, sink);
    ports::check(spec, at, sink);
    security::check(spec, at, sink);
    windows::check(spec, at, sink);
    security::annotations(
        meta.annotations.as_ref(),
        spec,
        &meta_at.key("metadata"),
        sink,
    );
    volumes::check(&pod, at, sink);
    for (list, containers) in containers_of(spec) {
        let init = list == "initContainers";
        for (i, c) in containers.iter().enumerate() {
            let here = at.key(list).idx(i);
            containers::check(c, &here, init, &pod, sink);
            env::check(c, &here, &pod, sink);
            if let Some(r) = &c.resources {
                resources::check(r, &here.key("resources"), &pod, sink);
            }
            mounts::check(c, &here, sink);
            probes::check(c, &here, &pod, sink);
        }
    }
}
