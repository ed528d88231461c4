//! Redaction inside a `podman-kube` manifest: every document parsed, a Secret's `data` and
//! `stringData` and every container `env[].value` hidden; ConfigMaps and the rest kept.

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

use super::{hide, key_text, redact_map_values, Found, UNPARSABLE_MANIFEST};

/// A multi-document Kubernetes manifest with Secret data and container env values redacted.
pub(super) fn redact_manifest(text: &str, found: &mut Found) -> String {
    // Every document, or none when one does not parse (or nests too deep to try).
    let docs: Result<Vec<Value>, _> = crate::yaml::check_nesting(text).and_then(|()| {
        serde_yaml_ng::Deserializer::from_str(text)
            .map(Value::deserialize)
            .collect()
    });
    let Ok(docs) = docs else {
        found.scalars.push(text.to_owned());
        found.site("", || text.to_owned());
        return UNPARSABLE_MANIFEST.to_owned();
    };
    let mut out = Vec::with_capacity(docs.len());
    for (i, mut doc) in docs.into_iter().enumerate() {
        found.under(format!("#{i}"), |found| redact_kube(&mut doc, found));
        match serde_yaml_ng::to_string(&doc) {
            Ok(text) => out.push(text),
            Err(_) => return UNPARSABLE_MANIFEST.to_owned(),
        }
    }
    out.join("---\n")
}

/// Walks a Kubernetes object (any kind, `List`s included): a Secret's `data` and `stringData`,
/// and every `env` list's `value`s. Keys match regardless of case, as Go's JSON decoding that
/// Podman's Kubernetes types go through matches them.
fn redact_kube(value: &mut Value, found: &mut Found) {
    match value {
        Value::Mapping(map) => {
            let secret = is_secret(map);
            for (key, v) in map.iter_mut() {
                found.under(key_text(key), |found| {
                    if secret && (is_key(key, "data") || is_key(key, "stringData")) {
                        redact_map_values(untag(v), found);
                    } else if is_key(key, "env") {
                        if let Value::Sequence(env) = untag(v) {
                            env.iter_mut().for_each(|var| redact_env_var(var, found));
                        }
                    }
                    redact_kube(v, found);
                });
            }
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                found.under(i.to_string(), |found| redact_kube(v, found));
            }
        }
        Value::Tagged(tagged) => redact_kube(&mut tagged.value, found),
        _ => {}
    }
}

/// One `env` entry: its `value`, found by the entry's name (not its index, so that adding a
/// variable does not move the others); an entry that is no mapping whole.
fn redact_env_var(var: &mut Value, found: &mut Found) {
    match untag(var) {
        Value::Mapping(var) => {
            let name = var
                .iter()
                .find(|(key, _)| is_key(key, "name"))
                .map_or_else(String::new, |(_, name)| key_text(name));
            found.under(format!("env:{name}"), |found| {
                var.iter_mut()
                    .filter(|(key, _)| is_key(key, "value"))
                    .for_each(|(_, v)| hide("value", v, found));
            });
        }
        other => hide("env", other, found),
    }
}

/// The value under any YAML tags (`!x value`).
fn untag(mut value: &mut Value) -> &mut Value {
    while let Value::Tagged(tagged) = value {
        value = &mut tagged.value;
    }
    value
}

fn is_key(key: &Value, name: &str) -> bool {
    matches!(key, Value::String(k) if k.eq_ignore_ascii_case(name))
}

fn is_secret(map: &Mapping) -> bool {
    map.iter().any(|(key, kind)| {
        let mut kind = kind;
        while let Value::Tagged(tagged) = kind {
            kind = &tagged.value;
        }
        is_key(key, "kind") && matches!(kind, Value::String(k) if k.eq_ignore_ascii_case("Secret"))
    })
}
