//! Field masks over the complete state, as Ankaios uses them: dotted paths with the serde
//! (camelCase) names (`desiredState.workloads.nginx`, `workloadStates.agent_A`), where a `*`
//! segment matches every key at that level. Filtering, masked updates of the desired state and
//! the altered-field paths of events all work on the `serde_json::Value` of the state.
//!
//! A mask is split on every `.`, as Ankaios splits it, so `desiredState.workloads.x.y` names the
//! field `y` of the workload `x`, never a workload `x.y` (which validation refuses): such a name
//! is filtered or updated only by a mask above it (`desiredState.workloads`). Masks are
//! hostile input (workloads send them): every function here is total, with no panic on any text.

use serde_json::{Map, Value};

use crate::{CompleteState, State};

/// The first segment of every desired-state path.
pub const DESIRED_STATE: &str = "desiredState";
/// The first segment of every effective-state path.
pub const EFFECTIVE_STATE: &str = "effectiveState";
/// The first segment of every execution-state path (`workloadStates.<agent>.<workload>.<id>`).
pub const WORKLOAD_STATES: &str = "workloadStates";
/// The first segment of every agent path (`agents.<agent>.status`).
pub const AGENTS: &str = "agents";

/// A masked update that cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum MaskError {
    /// An update mask points outside `desiredState`.
    #[error("update mask '{0}' does not start with 'desiredState'")]
    OutsideDesiredState(String),
    /// The state after the update is not a state any more (e.g. half a workload).
    #[error("the state after applying the update masks is invalid: {0}")]
    Invalid(#[source] serde_json::Error),
    /// The state could not be turned into a JSON value.
    #[error("cannot serialize the state: {0}")]
    Serialize(#[source] serde_json::Error),
}

type Result<T, E = MaskError> = std::result::Result<T, E>;

/// Field paths changed between two complete states: what an event carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlteredFields {
    /// Paths present only in the new state.
    pub added: Vec<String>,
    /// Paths present in both with different values.
    pub updated: Vec<String>,
    /// Paths present only in the old state.
    pub removed: Vec<String>,
}

impl AlteredFields {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }

    /// Keeps the paths a subscriber with `masks` may see (all for empty masks). A path below a
    /// mask is kept as it is; a path above a mask (a whole agent added while the mask names one
    /// of its workloads) is narrowed to the mask's concrete paths in `old` (removed) or `new`.
    pub fn filtered(&self, masks: &[String], old: &Value, new: &Value) -> AlteredFields {
        if masks.is_empty() {
            return self.clone();
        }
        let masks = with_implied(masks);
        let keep = |paths: &[String], source: &Value| {
            let mut out = Unique::default();
            let mut push = |path: String| out.push(path);
            for path in paths {
                let segments: Vec<&str> = path.split('.').collect();
                for mask in &masks {
                    let mask: Vec<&str> = mask.split('.').collect();
                    if covers(&mask, &segments) {
                        push(path.clone());
                    } else if covers(&segments, &mask) {
                        for p in expand(source, &mask) {
                            push(p.join("."));
                        }
                    }
                }
            }
            out.items
        };
        AlteredFields {
            added: keep(&self.added, new),
            updated: keep(&self.updated, new),
            removed: keep(&self.removed, old),
        }
    }
}

/// `masks` plus `<section>.apiVersion` when one of them starts with `desiredState` or
/// `effectiveState`: Ankaios always shows the API version of a state it shows.
fn with_implied(masks: &[String]) -> Vec<String> {
    let mut implied = Vec::new();
    for section in [DESIRED_STATE, EFFECTIVE_STATE] {
        let api_version = format!("{section}.apiVersion");
        let wanted = masks.iter().any(|m| m.split('.').next() == Some(section));
        if wanted && !masks.contains(&api_version) {
            implied.push(api_version);
        }
    }
    implied.extend(masks.iter().cloned());
    implied
}

/// Whether `prefix` (which may hold `*`) matches the first segments of `path`.
fn covers(prefix: &[&str], path: &[&str]) -> bool {
    prefix.len() <= path.len()
        && prefix
            .iter()
            .zip(path)
            .all(|(m, p)| *m == "*" || *p == "*" || m == p)
}

/// The concrete paths in `value` that `mask` names, wildcards expanded. Paths that do not exist
/// are left out.
pub fn expand(value: &Value, mask: &[&str]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    expand_into(value, mask, &mut Vec::new(), &mut out);
    out
}

fn expand_into(value: &Value, mask: &[&str], prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some((first, rest)) = mask.split_first() else {
        out.push(prefix.clone());
        return;
    };
    let Value::Object(map) = value else { return };
    let keys: Vec<&String> = if *first == "*" {
        map.keys().collect()
    } else {
        map.get_key_value(*first)
            .map(|(k, _)| k)
            .into_iter()
            .collect()
    };
    for key in keys {
        prefix.push(key.clone());
        expand_into(&map[key], rest, prefix, out);
        prefix.pop();
    }
}

/// The value at a concrete path.
pub fn get<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_object()?.get(key))
}

/// Sets the value at a concrete path, creating (or replacing non-object) parents.
fn set(root: &mut Value, path: &[String], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        *root = new;
        return;
    };
    let mut node = root;
    for key in parents {
        node = object(node).entry(key.clone()).or_insert(Value::Null);
    }
    object(node).insert(last.clone(), new);
}

fn object(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

/// Removes the value at a concrete path, if it is there.
fn remove(root: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        *root = Value::Object(Map::new());
        return;
    };
    let parent = parents
        .iter()
        .try_fold(root, |v, key| v.as_object_mut()?.get_mut(key));
    if let Some(Value::Object(map)) = parent {
        map.remove(last);
    }
}

/// The parts of `state` that `masks` name (all of it for no masks). `desiredState.apiVersion`
/// is added when a mask starts with `desiredState`. As in Ankaios, a result that is not a
/// complete state any more (a mask below an execution state) gives an empty state.
pub fn filter(state: &CompleteState, masks: &[String]) -> CompleteState {
    if masks.is_empty() {
        return state.clone();
    }
    let Ok(full) = serde_json::to_value(state) else {
        return CompleteState::default();
    };
    serde_json::from_value(filter_value(&full, masks)).unwrap_or_default()
}

/// [`filter`] on the JSON value of a complete state. The result keeps `full`'s key order
/// (the order Ankaios prints fields in), whatever the order of the masks.
pub fn filter_value(full: &Value, masks: &[String]) -> Value {
    let mut selected = Selection::default();
    for mask in with_implied(masks) {
        let segments: Vec<&str> = mask.split('.').collect();
        for path in expand(full, &segments) {
            selected.insert(&path);
        }
    }
    selected
        .prune(full)
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// The concrete paths a filter keeps, as a tree: a node is `whole` when a path ends there.
#[derive(Debug, Default)]
struct Selection {
    whole: bool,
    children: std::collections::BTreeMap<String, Selection>,
}

impl Selection {
    fn insert(&mut self, path: &[String]) {
        let node = path.iter().fold(self, |node, key| {
            node.children.entry(key.clone()).or_default()
        });
        node.whole = true;
    }

    /// The parts of `value` this selection keeps, in `value`'s order; `None` for nothing.
    fn prune(&self, value: &Value) -> Option<Value> {
        if self.whole {
            return Some(value.clone());
        }
        let Value::Object(map) = value else {
            return None;
        };
        let kept: Map<String, Value> = map
            .iter()
            .filter_map(|(key, v)| Some((key.clone(), self.children.get(key)?.prune(v)?)))
            .collect();
        (!kept.is_empty()).then_some(Value::Object(kept))
    }
}

/// The desired state after an `UpdateStateRequest`: each mask (`desiredState.workloads.nginx`,
/// wildcards allowed) is replaced by `new`'s value at that path, or removed when `new` has none;
/// no masks (or the mask `desiredState`) replace the whole state.
pub fn apply_update(current: &State, new: &State, masks: &[String]) -> Result<State> {
    if masks.is_empty() {
        return Ok(new.clone());
    }
    let mut result = serde_json::to_value(current).map_err(MaskError::Serialize)?;
    let source = serde_json::to_value(new).map_err(MaskError::Serialize)?;
    for mask in masks {
        let mut segments = mask.split('.');
        if segments.next() != Some(DESIRED_STATE) {
            return Err(MaskError::OutsideDesiredState(mask.clone()));
        }
        let segments: Vec<&str> = segments.collect();
        let mut paths = expand(&result, &segments);
        paths.extend(expand(&source, &segments));
        if !segments.contains(&"*") {
            paths.push(segments.iter().map(|s| s.to_string()).collect());
        }
        paths.sort();
        paths.dedup();
        for path in paths {
            match get(&source, &path) {
                Some(v) => set(&mut result, &path, v.clone()),
                None => remove(&mut result, &path),
            }
        }
    }
    serde_json::from_value(result).map_err(MaskError::Invalid)
}

/// The depth down to which an added or removed subtree is reported path by path: below
/// `workloadStates` a workload of an agent (`workloadStates.agent_A.nginx`), as Ankaios
/// reports it; elsewhere the first key that appeared or went.
fn report_depth(path: &[String]) -> usize {
    match path.first().map(String::as_str) {
        Some(WORKLOAD_STATES) => 3,
        _ => 0,
    }
}

/// The paths that differ between two complete states (as JSON values), in document order.
/// Added and removed subtrees are reported at their first key (below `workloadStates`, per
/// workload); updates at the leaf that changed
/// (`workloadStates.agent_A.nginx.<id>.subState`), as Ankaios reports them.
pub fn altered_fields(old: &Value, new: &Value) -> AlteredFields {
    let mut out = AlteredFields::default();
    diff(old, new, &mut Vec::new(), &mut out);
    out
}

fn diff(old: &Value, new: &Value, path: &mut Vec<String>, out: &mut AlteredFields) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            // Ankaios names the changed fields of an execution state last field first
            // (`subState`, `state`, `additionalInfo`); scripts may compare the lists.
            let execution_state = path.len() == 4 && path[0] == WORKLOAD_STATES;
            let keys: Box<dyn Iterator<Item = (&String, &Value)>> = if execution_state {
                Box::new(a.iter().rev())
            } else {
                Box::new(a.iter())
            };
            for (key, va) in keys {
                path.push(key.clone());
                match b.get(key) {
                    Some(vb) => diff(va, vb, path, out),
                    None => whole(va, path, &mut out.removed),
                }
                path.pop();
            }
            for (key, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                path.push(key.clone());
                whole(vb, path, &mut out.added);
                path.pop();
            }
        }
        _ if old != new => out.updated.push(path.join(".")),
        _ => {}
    }
}

/// Reports an added or removed subtree, down to the report depth where there is one.
fn whole(value: &Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if path.len() < report_depth(path) => {
            for (key, v) in map {
                path.push(key.clone());
                whole(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.join(".")),
    }
}

/// The paths whose values an event's `completeState` carries: every altered path, widened to
/// the unit a client can read on its own (a whole execution state, a whole agent status).
/// Removed paths are kept so that the state they belonged to still shows its `apiVersion`.
pub fn event_paths(altered: &AlteredFields) -> Vec<String> {
    let mut out = Unique::default();
    for path in altered
        .added
        .iter()
        .chain(&altered.updated)
        .chain(&altered.removed)
    {
        let segments: Vec<&str> = path.split('.').collect();
        let depth = match segments.first().copied() {
            Some(WORKLOAD_STATES) => 4,
            Some(AGENTS) => 3,
            _ => segments.len(),
        };
        out.push(segments[..depth.min(segments.len())].join("."));
    }
    out.items
}

/// Paths in first-seen order without repeats, in linear time (an event may name thousands).
#[derive(Default)]
struct Unique {
    items: Vec<String>,
    seen: std::collections::HashSet<String>,
}

impl Unique {
    fn push(&mut self, path: String) {
        if self.seen.insert(path.clone()) {
            self.items.push(path);
        }
    }
}

#[cfg(test)]
mod tests;
