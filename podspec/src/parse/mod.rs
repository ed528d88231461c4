//! Reading a file: splits it into YAML documents, recognises each one (Kubernetes object, `List`,
//! Ankaios manifest), and deserializes it into k8s-openapi or `ank_model` types in one serde pass
//! that records exact paths of type errors and of fields the schema ignored.
//!
//! Files are read by the fast path: YAML events straight into the typed objects (`fast`), with
//! the events from the lean byte scanner (`lean`) for the plain block style most manifests use,
//! else from saphyr-parser. A document falls back to the `Value` path here when it has
//! something to report; a file neither event reader can vouch for is read entirely by
//! serde_yaml_ng (libyaml), whose messages and positions are the reference.

use k8s_openapi::api::{
    apps::v1::Deployment,
    batch::v1::Job,
    core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Secret},
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::checks::refs::{Ref, Target};
use crate::finding::{Path, Raw, Seg, Severity, Sink};
use crate::{drops, rules, suggest, Options};
use syntax::{has_syntax_error, nesting_bomb, strip_location};

mod de;
mod events;
mod fast;
mod lean;
mod syntax;

/// A resource read from the file, typed when deserialization succeeded.
#[derive(Debug, Clone)]
pub(crate) enum Object {
    /// A `v1/Pod`.
    Pod(Box<Pod>),
    /// An `apps/v1/Deployment`.
    Deployment(Box<Deployment>),
    /// A `batch/v1/Job`.
    Job(Box<Job>),
    /// A `v1/ConfigMap`.
    ConfigMap(Box<ConfigMap>),
    /// A `v1/Secret`.
    Secret(Box<Secret>),
    /// A `v1/PersistentVolumeClaim`: a named volume on the node.
    Claim(Box<PersistentVolumeClaim>),
    /// An Ankaios manifest.
    Ankaios(Box<ank_model::State>),
}

/// One resource of the file with what was found while reading it.
#[derive(Debug)]
pub(crate) struct Resource {
    pub(crate) document: usize,
    pub(crate) item: Option<usize>,
    /// `items[i]` for a list item, so that paths locate within the document.
    pub(crate) prefix: Path,
    pub(crate) kind: String,
    pub(crate) api_version: String,
    pub(crate) name: Option<String>,
    /// `None` when the kind is not translated or the document did not deserialize.
    pub(crate) object: Option<Object>,
    pub(crate) sink: Sink,
    /// What the checks across documents need, taken from `object` right after it is checked, so
    /// that `validate` can drop the object before reading the next document.
    pub(crate) refs: Vec<Ref>,
    /// The ConfigMap or Secret this resource defines.
    pub(crate) defines: Option<(Target, String)>,
    /// The Ankaios workload names and config keys it will produce.
    pub(crate) produced: (Vec<String>, Vec<String>),
}

/// Kinds Kubernetes knows but Anchorage cannot run: accepted by `validate`, refused by `apply`.
const FOREIGN_KINDS: &[&str] = &[
    "Service",
    "Ingress",
    "IngressClass",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "CronJob",
    "PersistentVolume",
    "StorageClass",
    "NetworkPolicy",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "LimitRange",
    "ResourceQuota",
    "Endpoints",
    "EndpointSlice",
    "PriorityClass",
    "CustomResourceDefinition",
    "Node",
    "Event",
];

/// Reads every document of `text` into `out`, running `each` on each resource as soon as its
/// document is read, so that callers need not keep typed objects alive; empty documents give no
/// resource. `fast` is false only in tests, to compare with the reference path.
pub(crate) fn read_file(
    text: &str,
    options: &Options,
    fast: bool,
    out: &mut Vec<Resource>,
    each: &mut dyn FnMut(&mut Resource),
) {
    if fast
        && (read_fast(text, options, Events::Lean, out, each)
            || read_fast(text, options, Events::Saphyr, out, each))
    {
        return;
    }
    read_with_libyaml(text, options, &mut |mut r| {
        each(&mut r);
        out.push(r);
    });
}

/// The event readers of the fast path, leanest first.
#[derive(Debug, Clone, Copy)]
enum Events {
    /// `lean`: the byte scanner for plain block-style YAML.
    Lean,
    /// `fast::documents`: saphyr-parser, for what `lean` leaves.
    Saphyr,
}

impl Events {
    /// Hands each document's events to `each`; false when the file needs a fuller reader.
    fn read(self, text: &str, each: &mut events::OnDocument<'_>) -> bool {
        match self {
            Events::Lean => lean::read(text, each).is_ok(),
            Events::Saphyr => nesting_bomb(text).is_none() && fast::documents(text, each).is_ok(),
        }
    }
}

/// Reads `text` with the fast path on `events`; `false`, with nothing kept in `out`, when the
/// file needs a fuller reader.
fn read_fast(
    text: &str,
    options: &Options,
    events: Events,
    out: &mut Vec<Resource>,
    each: &mut dyn FnMut(&mut Resource),
) -> bool {
    let mut found = Vec::new();
    let read = events.read(text, &mut |document, evs| {
        fast::read_document(document, evs, options, &mut found)?;
        for mut r in found.drain(..) {
            each(&mut r);
            out.push(r);
        }
        Ok(())
    });
    if !read {
        out.clear();
    }
    read
}

/// Each document's events as the lean reader (or saphyr's, when not `lean`) gives them, for
/// the differential tests; `None` when the reader gives up on the file.
#[cfg(test)]
pub(crate) fn events_of(text: &str, lean: bool) -> Option<Vec<String>> {
    let mut docs = Vec::new();
    let events = if lean { Events::Lean } else { Events::Saphyr };
    let read = events.read(text, &mut |document, evs| {
        docs.push(format!("{document}: {evs:?}"));
        Ok(())
    });
    read.then_some(docs)
}

/// Reads every document with serde_yaml_ng into a `Value` first; the reference the fast path
/// must match, and the reader of files with syntax errors.
fn read_with_libyaml(text: &str, options: &Options, each: &mut dyn FnMut(Resource)) {
    let mut out = Vec::new();
    if let Some(at) = nesting_bomb(text) {
        let mut sink = Sink::default();
        let message = format!(
            "flow nesting is deeper than {} levels",
            crate::locate::MAX_DEPTH
        );
        sink.raws.push(Raw {
            severity: Severity::Error,
            rule: rules::YAML_SYNTAX,
            path: Path::root(),
            message,
            at: Some(at),
        });
        each(empty_resource(0, None, Path::root(), sink));
        return;
    }
    let mut last_error: Option<String> = None;
    for (document, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        match Value::deserialize(de) {
            Ok(Value::Null) => {}
            Ok(value) => read_value(document, None, Path::root(), value, options, &mut out),
            Err(err) => {
                let message = err.to_string();
                // libyaml keeps returning its first syntax error, so a repeat means the rest of
                // the file is unreadable; a second check with saphyr catches the first time.
                if last_error.as_deref() == Some(message.as_str()) {
                    break;
                }
                let at = err.location().map(|l| (l.line(), l.column()));
                let mut sink = Sink::default();
                sink.raws.push(Raw {
                    severity: Severity::Error,
                    rule: rules::YAML_SYNTAX,
                    path: Path::root(),
                    message: strip_location(&message),
                    at,
                });
                out.push(empty_resource(document, None, Path::root(), sink));
                if has_syntax_error(text) {
                    break;
                }
                last_error = Some(message);
            }
        }
        out.drain(..).for_each(&mut *each);
    }
    out.drain(..).for_each(each);
}

fn empty_resource(document: usize, item: Option<usize>, prefix: Path, sink: Sink) -> Resource {
    Resource {
        document,
        item,
        prefix,
        kind: String::new(),
        api_version: String::new(),
        name: None,
        object: None,
        sink,
        refs: Vec::new(),
        defines: None,
        produced: (Vec::new(), Vec::new()),
    }
}

fn str_at<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn read_value(
    document: usize,
    item: Option<usize>,
    prefix: Path,
    value: Value,
    options: &Options,
    out: &mut Vec<Resource>,
) {
    let mut res = empty_resource(document, item, prefix, Sink::default());
    if !value.is_mapping() {
        res.sink.error(
            rules::TYPE_ERROR,
            res.prefix.clone(),
            "a resource must be a mapping",
        );
        out.push(res);
        return;
    }
    res.api_version = str_at(&value, "apiVersion").unwrap_or_default().to_owned();
    res.name = value
        .get("metadata")
        .and_then(|m| str_at(m, "name"))
        .map(str::to_owned);
    let Some(kind) = str_at(&value, "kind").map(str::to_owned) else {
        if item.is_none() && is_ankaios(&value) {
            res.kind = "AnkaiosManifest".to_owned();
            read_ankaios(value, &mut res);
        } else {
            res.sink
                .error(rules::REQUIRED, res.prefix.key("kind"), "kind is required");
        }
        out.push(res);
        return;
    };
    res.kind = kind;
    if res.kind.ends_with("List") && value.get("items").is_some() && item.is_none() {
        read_list(document, value, options, out);
        return;
    }
    if let Some(expected) = api_version_of(&res.kind).filter(|v| *v != res.api_version) {
        let message = format!(
            "apiVersion {:?} is not {expected} for kind {}",
            res.api_version, res.kind
        );
        res.sink
            .error(rules::API_VERSION, res.prefix.key("apiVersion"), message);
        out.push(res);
        return;
    }
    let (prefix, strict) = (res.prefix.clone(), options.strict);
    let sink = &mut res.sink;
    res.object = match res.kind.as_str() {
        "Pod" => typed(value, &prefix, strict, sink).map(Object::Pod),
        "Deployment" => typed(value, &prefix, strict, sink).map(Object::Deployment),
        "Job" => typed(value, &prefix, strict, sink).map(Object::Job),
        "ConfigMap" => typed(value, &prefix, strict, sink).map(Object::ConfigMap),
        "Secret" => typed(value, &prefix, strict, sink).map(Object::Secret),
        "PersistentVolumeClaim" => typed(value, &prefix, strict, sink).map(Object::Claim),
        other if FOREIGN_KINDS.contains(&other) => {
            let message = format!("kind {other} is valid kubernetes but anchorage cannot run it");
            sink.warn(rules::UNSUPPORTED, prefix.key("kind"), message);
            None
        }
        other => {
            sink.error(
                rules::UNSUPPORTED_KIND,
                prefix.key("kind"),
                format!("unsupported kind {other:?}"),
            );
            None
        }
    };
    if let Some(object) = &res.object {
        check_drops(object, &res.prefix, &mut res.sink);
    }
    out.push(res);
}

/// Runs the drops table on a typed object; its warnings go before those of the serde pass
/// (unknown fields), in the order of the table.
fn check_drops(object: &Object, prefix: &Path, sink: &mut Sink) {
    let target = match object {
        Object::Pod(p) => p.spec.as_ref().map(drops::Target::Pod),
        Object::Deployment(d) => d.spec.as_ref().map(drops::Target::Deployment),
        Object::Job(j) => j.spec.as_ref().map(drops::Target::Job),
        Object::Claim(c) => c.spec.as_ref().map(drops::Target::Claim),
        _ => None,
    };
    let Some(target) = target else { return };
    let mut found = Sink::default();
    drops::check(target, prefix, &mut found);
    sink.raws.splice(0..0, found.raws);
}

/// The one API version k8s-openapi decodes for each kind Anchorage translates.
fn api_version_of(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" | "ConfigMap" | "Secret" | "PersistentVolumeClaim" => Some("v1"),
        "Deployment" => Some("apps/v1"),
        "Job" => Some("batch/v1"),
        _ => None,
    }
}

fn is_ankaios(value: &Value) -> bool {
    matches!(
        str_at(value, "apiVersion"),
        Some(ank_model::state::API_VERSION | ank_model::state::API_VERSION_V0_1)
    ) || value.get("workloads").is_some()
        || value.get("configs").is_some()
}

fn read_list(document: usize, value: Value, options: &Options, out: &mut Vec<Resource>) {
    let Value::Mapping(mut map) = value else {
        return;
    };
    let items = map.remove("items");
    let root = Path::root();
    match items {
        Some(Value::Sequence(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                read_value(
                    document,
                    Some(i),
                    root.key("items").idx(i),
                    item,
                    options,
                    out,
                );
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            let mut res = empty_resource(document, None, root.clone(), Sink::default());
            res.sink
                .error(rules::TYPE_ERROR, root.key("items"), "items must be a list");
            out.push(res);
        }
    }
}

fn read_ankaios(value: Value, res: &mut Resource) {
    let Some(state) = typed_with::<ank_model::State>(value, &res.prefix, true, &mut res.sink)
    else {
        return;
    };
    if let Err(errors) = ank_model::validate::validate_state(&state) {
        for e in errors {
            res.sink.error(
                rules::ANKAIOS_VALIDATION,
                res.prefix.join_model(&e.path),
                e.message,
            );
        }
    }
    for w in ank_model::validate::warnings(&state) {
        res.sink.warn(
            rules::ANKAIOS_RUNTIME,
            res.prefix.join_model(&w.path),
            w.message,
        );
    }
    res.object = Some(Object::Ankaios(Box::new(state)));
}

fn typed<T: DeserializeOwned>(
    value: Value,
    prefix: &Path,
    strict: bool,
    sink: &mut Sink,
) -> Option<Box<T>> {
    typed_with(value, prefix, strict, sink).map(Box::new)
}

/// One serde pass: type errors keep their path, ignored fields are reported as unknown.
fn typed_with<T: DeserializeOwned>(
    value: Value,
    prefix: &Path,
    strict: bool,
    sink: &mut Sink,
) -> Option<T> {
    let mut ignored: Vec<Path> = Vec::new();
    let mut record = |p: serde_ignored::Path<'_>| ignored.push(ignored_path(&p));
    let result =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut record));
    let severity = if strict {
        Severity::Error
    } else {
        Severity::Warning
    };
    for path in ignored {
        let Some(Seg::Key(field)) = path.0.last() else {
            continue;
        };
        let mut message = format!("unknown field {field:?}");
        if let Some(better) = suggest::closest(field) {
            message.push_str(&format!(", did you mean {better:?}?"));
        }
        let full = Path(prefix.0.iter().chain(&path.0).cloned().collect());
        sink.push(severity, rules::UNKNOWN_FIELD, full, message);
    }
    match result {
        Ok(t) => Some(t),
        Err(err) => {
            let mut path = prefix.clone();
            for seg in err.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => path.0.push(Seg::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => {
                        path.0.push(Seg::Key(key.clone().into()))
                    }
                    _ => {}
                }
            }
            let message = err.into_inner().to_string();
            // path_to_error has the unknown key in the path already, but not the missing one.
            let with_field = |path: Path, field: &str| match path.0.last() {
                Some(Seg::Key(last)) if last == field => path,
                _ => path.key_owned(field),
            };
            if let Some(field) = between(&message, "missing field `", "`") {
                let message = format!("{field} is required");
                sink.error(rules::REQUIRED, with_field(path, field), message);
            } else if let Some(field) = between(&message, "unknown field `", "`") {
                let message = strip_location(&message);
                sink.error(rules::UNKNOWN_FIELD, with_field(path, field), message);
            } else {
                sink.error(rules::TYPE_ERROR, path, strip_location(&message));
            }
            None
        }
    }
}

fn between<'m>(message: &'m str, start: &str, end: &str) -> Option<&'m str> {
    let rest = &message[message.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

fn ignored_path(path: &serde_ignored::Path<'_>) -> Path {
    let mut segs = Vec::new();
    let mut cur = path;
    loop {
        match cur {
            serde_ignored::Path::Root => break,
            serde_ignored::Path::Seq { parent, index } => {
                segs.push(Seg::Index(*index));
                cur = parent;
            }
            serde_ignored::Path::Map { parent, key } => {
                segs.push(Seg::Key(key.clone().into()));
                cur = parent;
            }
            serde_ignored::Path::Some { parent }
            | serde_ignored::Path::NewtypeStruct { parent }
            | serde_ignored::Path::NewtypeVariant { parent } => cur = parent,
        }
    }
    segs.reverse();
    Path(segs)
}
