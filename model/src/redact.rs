//! Secret redaction of a workload's `runtimeConfig`: what `ank describe`, logs and error
//! messages may show of it. Values of environment variables (`native` `env`, `podman`
//! `-e`/`--env`, container `env[].value` in a `podman-kube` manifest) and of Kubernetes Secrets
//! (`data`, `stringData`) become [`REDACTED`]; their names stay visible.
//!
//! The config is parsed into YAML values, redacted and written again, never edited as text:
//! what does not parse is redacted whole. `serde_yaml_ng`'s recursion limit bounds the depth of
//! what the walk below descends into, so hostile input cannot blow the stack.
//!
//! `kube` walks a `podman-kube` manifest; `pair` redacts two versions of a config side by
//! side for `ank diff`, marking the values that changed.

mod kube;
mod pair;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

use crate::runtime_config::{NATIVE, PODMAN, PODMAN_KUBE};
pub use pair::{redact_pair, CHANGED_AFTER, CHANGED_BEFORE};

/// What a secret value is replaced with.
pub const REDACTED: &str = "<redacted>";
/// The whole text of a runtimeConfig that is not YAML.
pub const UNPARSABLE: &str = "<unparsable runtimeConfig redacted>";
/// The whole text of a `podman-kube` manifest that is not YAML.
pub const UNPARSABLE_MANIFEST: &str = "<unparsable manifest redacted>";
/// The whole text of a runtimeConfig of a runtime whose schema Anchorage does not know.
pub const UNKNOWN_RUNTIME: &str = "<runtimeConfig of an unknown runtime redacted>";

/// `config` of a `runtime` workload with every secret value replaced by [`REDACTED`].
pub fn redact_runtime_config(runtime: &str, config: &str) -> String {
    redact_config(runtime, config, &mut Found::default())
}

/// [`redact_runtime_config`], recording what it hides (and how) in `found`.
fn redact_config(runtime: &str, config: &str, found: &mut Found) -> String {
    if config.trim().is_empty() {
        return String::new();
    }
    if ![PODMAN, PODMAN_KUBE, NATIVE].contains(&runtime) {
        return UNKNOWN_RUNTIME.to_owned();
    }
    let Ok(mut value) = crate::yaml::from_str::<Value>(config) else {
        return UNPARSABLE.to_owned();
    };
    redact_value(runtime, &mut value, found);
    serde_yaml_ng::to_string(&value).unwrap_or_else(|_| UNPARSABLE.to_owned())
}

/// The secret values [`redact_runtime_config`] hides (scalars as text), to [`scrub`] them from
/// what a runtime's tool prints; none when `config` does not parse (nothing runs it then).
pub fn secret_values(runtime: &str, config: &str) -> Vec<String> {
    let mut found = Found::default();
    if let Ok(mut value) = crate::yaml::from_str::<Value>(config) {
        redact_value(runtime, &mut value, &mut found);
    }
    found.scalars
}

/// `text` (e.g. a tool's error output) with every occurrence of a non-empty `secrets` value
/// replaced by [`REDACTED`], the longest first where they overlap.
pub fn scrub<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(secret) = secrets.iter().find(|s| rest.starts_with(**s)) {
            out.push_str(REDACTED);
            rest = &rest[secret.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Parses `config` with a runtime's schema; the error quotes no secret value (serde quotes the
/// offending value, so it is taken from the redacted config).
pub fn parse_runtime_config<T: DeserializeOwned>(runtime: &str, config: &str) -> Result<T, String> {
    let original = match crate::yaml::from_str::<T>(config) {
        Ok(parsed) => return Ok(parsed),
        Err(e) => e,
    };
    if let Err(syntax) = crate::yaml::from_str::<Value>(config) {
        // Syntax errors name a position and what was expected, never the content.
        return Err(syntax.to_string());
    }
    match crate::yaml::from_str::<T>(&redact_runtime_config(runtime, config)) {
        Err(redacted) => Err(redacted.to_string()),
        // The offending value was a secret one: say where, not what.
        Ok(_) => Err(match original.location() {
            Some(at) => format!(
                "a secret value has the wrong form at line {} column {}",
                at.line(),
                at.column()
            ),
            None => "a secret value has the wrong form".to_owned(),
        }),
    }
}

/// `podman` arguments with the values of `-e`/`--env` replaced (`K=<redacted>`); for logs and
/// errors that show a command line.
pub fn redact_podman_args(args: &[String]) -> Vec<String> {
    let mut value_next = false;
    args.iter()
        .map(|arg| {
            redact_arg(arg, &mut value_next, &mut Found::default()).unwrap_or_else(|| arg.clone())
        })
        .collect()
}

/// The values of `-e`/`--env` in `podman` arguments, to [`scrub`] them from podman's output.
pub fn podman_env_values(args: &[String]) -> Vec<String> {
    let (mut value_next, mut found) = (false, Found::default());
    for arg in args {
        redact_arg(arg, &mut value_next, &mut found);
    }
    found.scalars
}

/// What a walk hid: the scalars (for [`scrub`]) and, when `by_path` (for [`redact_pair`]
/// only: the other walks need no paths), each hidden value by its path, whose replacement
/// `marker` then chooses.
#[derive(Default)]
struct Found<'a> {
    scalars: Vec<String>,
    by_path: bool,
    /// Where the walk is: keys, indices, env names.
    path: Vec<String>,
    /// How often each path was seen, to tell repeats apart.
    seen: HashMap<String, usize>,
    sites: HashMap<String, String>,
    marker: Option<&'a dyn Fn(&str) -> &'static str>,
}

impl Found<'_> {
    /// Records a hidden value at the current path (under `leaf`); returns its replacement.
    fn site(&mut self, leaf: &str, value: impl FnOnce() -> String) -> &'static str {
        if !self.by_path {
            return REDACTED;
        }
        let base = self.path.join("/") + "/" + leaf;
        // A name given twice (`-e K=1 -e K=2`) is told apart by its order.
        let seen = self.seen.entry(base.clone()).or_default();
        let path = match *seen {
            0 => base,
            n => format!("{base}#{n}"),
        };
        *seen += 1;
        let marker = self.marker.map_or(REDACTED, |marker| marker(&path));
        self.sites.insert(path, value());
        marker
    }

    /// Runs `walk` one level down, under `key`.
    fn under<T>(&mut self, key: impl Into<String>, walk: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push(key.into());
        let out = walk(self);
        self.path.pop();
        out
    }
}

/// Replaces `value` (at `leaf`) by [`REDACTED`], recording the scalars it held in `found`.
fn hide(leaf: &str, value: &mut Value, found: &mut Found) {
    collect_scalars(value, &mut found.scalars);
    let marker = found.site(leaf, || serde_yaml_ng::to_string(value).unwrap_or_default());
    *value = Value::String(marker.to_owned());
}

/// A mapping key as a path segment.
fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Tagged(tagged) => key_text(&tagged.value),
        _ => "?".to_owned(),
    }
}

fn collect_scalars(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) => found.push(s.clone()),
        Value::Number(n) => found.push(n.to_string()),
        Value::Bool(b) => found.push(b.to_string()),
        Value::Null => {}
        Value::Sequence(items) => items.iter().for_each(|v| collect_scalars(v, found)),
        Value::Mapping(map) => map.iter().for_each(|(_, v)| collect_scalars(v, found)),
        Value::Tagged(tagged) => collect_scalars(&tagged.value, found),
    }
}

/// Redacts a parsed runtimeConfig of a known runtime in place.
fn redact_value(runtime: &str, value: &mut Value, found: &mut Found) {
    let Value::Mapping(map) = value else {
        // Not the runtime's schema: nothing tells secrets apart.
        hide("", value, found);
        return;
    };
    match runtime {
        PODMAN => {
            if let Some(options) = map.get_mut("commandOptions") {
                found.under("commandOptions", |found| redact_options(options, found));
            }
        }
        PODMAN_KUBE => {
            if let Some(manifest) = map.get_mut("manifest") {
                match manifest {
                    Value::String(text) => {
                        *text = found.under("manifest", |found| kube::redact_manifest(text, found));
                    }
                    other => hide("manifest", other, found),
                }
            }
        }
        _ => {
            if let Some(env) = map.get_mut("env") {
                found.under("env", |found| redact_map_values(env, found));
            }
        }
    }
}

/// Every value of a mapping; anything else whole.
fn redact_map_values(value: &mut Value, found: &mut Found) {
    match value {
        Value::Mapping(map) => map
            .iter_mut()
            .for_each(|(k, v)| hide(&key_text(k), v, found)),
        other => hide("", other, found),
    }
}

/// `commandOptions` of `podman run`: the values of its env options.
fn redact_options(options: &mut Value, found: &mut Found) {
    let Value::Sequence(items) = options else {
        hide("", options, found);
        return;
    };
    let mut value_next = false;
    for (i, item) in items.iter_mut().enumerate() {
        match item {
            Value::String(arg) => {
                if let Some(redacted) = redact_arg(arg, &mut value_next, found) {
                    *arg = redacted;
                }
            }
            other if std::mem::take(&mut value_next) => hide(&i.to_string(), other, found),
            _ => {}
        }
    }
}

/// Boolean short flags of `podman run` that may precede `e` in a cluster (`-ite K=V`).
const SHORT_FLAGS: &str = "diPqt";

/// The redacted form of `arg` when it carries an env value; `value_next` carries "the previous
/// argument was `-e`/`--env`" from one argument to the next.
fn redact_arg(arg: &str, value_next: &mut bool, found: &mut Found) -> Option<String> {
    if std::mem::take(value_next) {
        return Some(redact_assignment(arg, found));
    }
    if matches!(arg, "--env" | "--env-merge") {
        *value_next = true;
        return None;
    }
    for long in ["--env=", "--env-merge="] {
        if let Some(rest) = arg.strip_prefix(long) {
            return Some(format!("{long}{}", redact_assignment(rest, found)));
        }
    }
    let cluster = arg.strip_prefix('-').filter(|c| !c.starts_with('-'))?;
    let e = cluster.find(|c: char| !SHORT_FLAGS.contains(c))?;
    let rest = cluster[e..].strip_prefix('e')?;
    let (prefix, value) = match rest.strip_prefix('=') {
        Some(value) => (&arg[..e + 3], value),
        None => (&arg[..e + 2], rest),
    };
    if value.is_empty() && prefix.len() == e + 2 {
        *value_next = true;
        return None;
    }
    Some(format!("{prefix}{}", redact_assignment(value, found)))
}

/// `K=V` → `K=<redacted>`; a bare `K` (taken from the host's environment) stays.
fn redact_assignment(text: &str, found: &mut Found) -> String {
    match text.split_once('=') {
        Some((name, value)) => {
            found.scalars.push(value.to_owned());
            format!("{name}={}", found.site(name, || value.to_owned()))
        }
        None => text.to_owned(),
    }
}
