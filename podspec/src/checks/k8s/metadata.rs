//! `ValidateObjectMeta` beyond what `checks` already judges (name, labels, annotation keys):
//! generateName, namespace, total annotation size, finalizers and owner references.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{grammar, say};
use crate::finding::{Path, Sink};
use crate::rules::K8S_METADATA as RULE;

/// `TotalAnnotationSizeLimitB`.
const ANNOTATIONS_MAX: usize = 256 * 1024;
/// Finalizer names that need no domain (`IsStandardFinalizerName`).
const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// Checks the `metadata` of the object at `at`.
pub(super) fn check(meta: &ObjectMeta, at: &Path, sink: &mut Sink) {
    annotations_size(meta, at, sink);
    let at = at.key("metadata");
    if let Some(prefix) = meta.generate_name.as_deref().filter(|p| !p.is_empty()) {
        // `ValidateNameFunc(name, prefix=true)` masks one trailing dash before judging.
        let masked = prefix
            .strip_suffix('-')
            .map_or(prefix.to_owned(), |p| format!("{p}a"));
        say::grammar(
            sink,
            RULE,
            || at.key("generateName"),
            &masked,
            grammar::subdomain,
        );
    }
    if let Some(ns) = meta.namespace.as_deref().filter(|n| !n.is_empty()) {
        say::grammar(sink, RULE, || at.key("namespace"), ns, grammar::label);
    }
    finalizers_and_owners(meta, &at, sink);
}

/// A pod template's metadata: Kubernetes judges its labels and annotations only
/// (`ValidatePodTemplateSpec`), and the labels are `checks`' rule.
pub(super) fn check_template(meta: &ObjectMeta, at: &Path, sink: &mut Sink) {
    annotations_size(meta, at, sink);
}

fn annotations_size(meta: &ObjectMeta, at: &Path, sink: &mut Sink) {
    let size: usize = meta
        .annotations
        .iter()
        .flatten()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if size > ANNOTATIONS_MAX {
        sink.error(
            RULE,
            at.key("metadata").key("annotations"),
            format!("too long: must have at most {ANNOTATIONS_MAX} bytes"),
        );
    }
}

fn finalizers_and_owners(meta: &ObjectMeta, at: &Path, sink: &mut Sink) {
    for (i, f) in meta.finalizers.iter().flatten().enumerate() {
        let here = || at.key("finalizers").idx(i);
        if grammar::qualified(f).is_some() {
            say::grammar(sink, RULE, here, f, grammar::qualified);
        } else if !f.contains('/') && !STANDARD_FINALIZERS.contains(&f.as_str()) {
            say::forbidden(
                sink,
                RULE,
                here(),
                "name is neither a standard finalizer name nor is it fully qualified",
            );
        }
    }
    let mut controllers = 0;
    for (i, o) in meta.owner_references.iter().flatten().enumerate() {
        let here = at.key("ownerReferences").idx(i);
        for (field, value) in [
            ("apiVersion", &o.api_version),
            ("kind", &o.kind),
            ("name", &o.name),
            ("uid", &o.uid),
        ] {
            if value.is_empty() {
                say::required(sink, RULE, here.key(field), "");
            }
        }
        if o.controller == Some(true) {
            controllers += 1;
            if controllers > 1 {
                say::invalid(
                    sink,
                    RULE,
                    here.key("controller"),
                    "true",
                    "only one reference can have Controller set to true",
                );
            }
        }
    }
}
