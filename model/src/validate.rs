//! The rules a desired state must pass before the server accepts it (and `ank validate`
//! checks offline): api version, names and lengths, cyclic dependencies, config references,
//! templates, runtimeConfig schemas, access rules and files. Every broken rule is reported,
//! not just the first, each with the field path it concerns. Also the [`warnings`]: what is
//! accepted but will not run as written.

use crate::field_path::{FieldPath, Shown};
use crate::redact::parse_runtime_config;
use crate::render::{RenderLimits, Renderer};
use crate::runtime_config::{
    is_claim_name, NativeConfig, PodmanConfig, PodmanKubeConfig, NATIVE, PODMAN, PODMAN_KUBE,
};
use crate::state::{API_VERSION, API_VERSION_V0_1};
use crate::{AccessRule, State, Workload};
use std::collections::BTreeMap;
use std::fmt;

/// The longest workload name Ankaios accepts.
pub const MAX_WORKLOAD_NAME_LEN: usize = 63;

/// `[a-zA-Z0-9_-]+`: the alphabet of workload, agent, config and alias names.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A dotted filter mask whose segments are names or `*` (`desiredState.workloads.*`).
fn is_filter_mask(s: &str) -> bool {
    s.split('.')
        .all(|segment| segment == "*" || is_name(segment))
}

/// One broken rule, with the field path it concerns (`workloads.nginx.dependencies`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Path into the manifest, in segments; displays dotted, list items as `files[0]`.
    pub path: FieldPath,
    /// What is wrong, lower-case, naming the offending value.
    pub message: String,
}

impl ValidationError {
    fn new(path: FieldPath, message: impl Into<String>) -> Self {
        ValidationError {
            path,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ValidationError {}

/// `workloads.<name>`, the root of every finding about one workload.
fn workload_path(name: &str) -> FieldPath {
    FieldPath::root().key("workloads").key(name)
}

/// Whether `name` is a valid workload name (`[a-zA-Z0-9_-]`, 1..=63 chars).
pub fn is_valid_workload_name(name: &str) -> bool {
    name.len() <= MAX_WORKLOAD_NAME_LEN && is_name(name)
}

/// Whether `name` is a valid agent name (`[a-zA-Z0-9_-]+`).
pub fn is_valid_agent_name(name: &str) -> bool {
    is_name(name)
}

/// Checks every rule; returns all broken ones, in manifest order. Templates render within
/// the default [`RenderLimits`], as the server's defaults.
pub fn validate_state(state: &State) -> Result<(), Vec<ValidationError>> {
    validate_state_with(state, RenderLimits::default())
}

/// [`validate_state`], rendering the templates of all workloads within one budget of `limits`.
pub fn validate_state_with(
    state: &State,
    limits: RenderLimits,
) -> Result<(), Vec<ValidationError>> {
    let renderer = Renderer::new(limits);
    let mut errors = Vec::new();
    check_api_version(&state.api_version, &mut errors);
    for key in state.configs.keys() {
        if !is_name(key) {
            errors.push(ValidationError::new(
                FieldPath::root().key("configs").key(key),
                format!(
                    "invalid config key '{}': use only [a-zA-Z0-9_-]",
                    Shown(key)
                ),
            ));
        }
    }
    for (name, workload) in &state.workloads {
        check_workload(name, workload, state, &renderer, &mut errors);
    }
    check_cycles(state, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_api_version(version: &str, errors: &mut Vec<ValidationError>) {
    if version.is_empty() {
        errors.push(ValidationError::new(
            FieldPath::root().key("apiVersion"),
            format!("apiVersion is missing, expected '{API_VERSION}'"),
        ));
    } else if version != API_VERSION && version != API_VERSION_V0_1 {
        errors.push(ValidationError::new(
            FieldPath::root().key("apiVersion"),
            format!("unsupported apiVersion '{version}', expected '{API_VERSION}'"),
        ));
    }
}

fn check_workload(
    name: &str,
    w: &Workload,
    state: &State,
    renderer: &Renderer,
    errors: &mut Vec<ValidationError>,
) {
    let base = workload_path(name);
    let at = |field: &str| base.clone().key(field);
    if name.len() > MAX_WORKLOAD_NAME_LEN {
        errors.push(ValidationError::new(
            base.clone(),
            format!(
                "workload name '{}' is {} characters long, the maximum is {MAX_WORKLOAD_NAME_LEN}",
                Shown(name),
                name.len()
            ),
        ));
    } else if !is_name(name) {
        errors.push(ValidationError::new(
            base.clone(),
            format!(
                "invalid workload name '{}': use only [a-zA-Z0-9_-]",
                Shown(name)
            ),
        ));
    }
    for dep in w.dependencies.keys() {
        if !is_valid_workload_name(dep) {
            errors.push(ValidationError::new(
                at("dependencies").key(dep),
                format!("invalid dependency name '{}'", Shown(dep)),
            ));
        }
    }
    for (alias, key) in &w.configs {
        if !is_name(alias) {
            errors.push(ValidationError::new(
                at("configs").key(alias),
                format!(
                    "invalid config alias '{}': use only [a-zA-Z0-9_-]",
                    Shown(alias)
                ),
            ));
        }
        if !state.configs.contains_key(key) {
            errors.push(ValidationError::new(
                at("configs").key(alias),
                format!(
                    "config alias '{}' refers to config key '{}', which does not exist",
                    Shown(alias),
                    Shown(key)
                ),
            ));
        }
    }
    check_files(name, w, errors);
    check_access_rules(name, w, errors);
    // Rendering needs every alias to resolve; that was reported above.
    if w.configs
        .values()
        .all(|key| state.configs.contains_key(key))
    {
        match renderer.render_workload(w, &state.configs) {
            Ok(rendered) => {
                if !rendered.agent.is_empty() && !is_valid_agent_name(&rendered.agent) {
                    errors.push(ValidationError::new(
                        at("agent"),
                        format!(
                            "invalid agent name '{}': use only [a-zA-Z0-9_-]",
                            Shown(&rendered.agent)
                        ),
                    ));
                }
                if let Err(message) = check_runtime_config(&w.runtime, &rendered.runtime_config) {
                    errors.push(ValidationError::new(at("runtimeConfig"), message));
                }
            }
            Err(e) => errors.push(ValidationError::new(base.clone().join(&e.field), e.message)),
        }
    }
}

/// Parses a rendered runtimeConfig with its runtime's schema; unknown runtimes pass (their
/// agent reports `Pending(StartingFailed)`, as Ankaios does). The message quotes no secret.
pub fn check_runtime_config(runtime: &str, runtime_config: &str) -> Result<(), String> {
    let result = match runtime {
        PODMAN => parse_runtime_config::<PodmanConfig>(runtime, runtime_config).map(|_| ()),
        PODMAN_KUBE => {
            parse_runtime_config::<PodmanKubeConfig>(runtime, runtime_config).map(|_| ())
        }
        NATIVE => match parse_runtime_config::<NativeConfig>(runtime, runtime_config) {
            Ok(cfg) if cfg.command.is_empty() => {
                return Err("invalid native runtimeConfig: command must not be empty".into())
            }
            Ok(cfg) => match cfg.volumes.values().find(|c| !is_claim_name(c)) {
                Some(claim) => {
                    return Err(format!(
                        "invalid native runtimeConfig: volume claim {claim:?} is not a dns-1123 subdomain"
                    ))
                }
                None => Ok(()),
            },
            other => other.map(|_| ()),
        },
        _ => Ok(()),
    };
    result.map_err(|e| format!("invalid {runtime} runtimeConfig: {e}"))
}

/// What the server accepts but an agent will refuse to run as written (`ank validate` warns):
/// files on a `podman-kube` workload, which Ankaios accepts and its agent refuses to start.
pub fn warnings(state: &State) -> Vec<ValidationError> {
    state
        .workloads
        .iter()
        .filter(|(_, w)| w.runtime == PODMAN_KUBE && !w.files.is_empty())
        .map(|(name, _)| {
            ValidationError::new(
                workload_path(name).key("files"),
                "podman-kube workloads cannot mount files: the agent will not start this workload",
            )
        })
        .collect()
}

/// Native workloads cannot mount files and, being Anchorage's own, are refused at apply time;
/// on `podman-kube` files are accepted as Ankaios does (see [`warnings`]).
fn check_files(name: &str, w: &Workload, errors: &mut Vec<ValidationError>) {
    if !w.files.is_empty() && w.runtime == NATIVE {
        errors.push(ValidationError::new(
            workload_path(name).key("files"),
            format!("runtime '{}' cannot mount files", w.runtime),
        ));
    }
    for (i, file) in w.files.iter().enumerate() {
        let at = workload_path(name).key("files").index(i);
        if !file.mount_point.starts_with('/') {
            errors.push(ValidationError::new(
                at.clone().key("mountPoint"),
                format!("mountPoint '{}' is not an absolute path", file.mount_point),
            ));
        }
        if file.data.is_some() == file.binary_data.is_some() {
            errors.push(ValidationError::new(
                at,
                "a file needs exactly one of data and binaryData",
            ));
        }
    }
}

fn check_access_rules(name: &str, w: &Workload, errors: &mut Vec<ValidationError>) {
    let access = &w.control_interface_access;
    let lists = [
        ("allowRules", &access.allow_rules),
        ("denyRules", &access.deny_rules),
    ];
    for (list, rules) in lists {
        for (i, rule) in rules.iter().enumerate() {
            let at = workload_path(name)
                .key("controlInterfaceAccess")
                .key(list)
                .index(i);
            match rule {
                AccessRule::StateRule { filter_masks, .. } => {
                    for (j, mask) in filter_masks.iter().enumerate() {
                        if mask.is_empty() {
                            errors.push(ValidationError::new(
                                at.clone().key("filterMasks").index(j),
                                "empty filter masks are not allowed in control interface access rules",
                            ));
                        } else if !is_filter_mask(mask) {
                            errors.push(ValidationError::new(
                                at.clone().key("filterMasks").index(j),
                                format!("invalid filter mask '{}'", Shown(mask)),
                            ));
                        }
                    }
                }
                AccessRule::LogRule { workload_names } => {
                    for (j, pattern) in workload_names.iter().enumerate() {
                        let stars = pattern.matches('*').count();
                        let rest = pattern.replace('*', "");
                        let ok = stars <= 1
                            && (rest.is_empty() && stars == 1 || is_valid_workload_name(&rest));
                        if !ok {
                            errors.push(ValidationError::new(
                                at.clone().key("workloadNames").index(j),
                                format!("invalid workload name pattern '{}': a workload name with at most one '*'", Shown(pattern)),
                            ));
                        }
                    }
                }
            }
        }
    }
}

/// Reports each dependency cycle once, as `a -> b -> a`.
fn check_cycles(state: &State, errors: &mut Vec<ValidationError>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unseen,
        OnPath,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = state
        .workloads
        .keys()
        .map(|k| (k.as_str(), Mark::Unseen))
        .collect();
    for (start, workload) in &state.workloads {
        if marks.get(start.as_str()) != Some(&Mark::Unseen) {
            continue;
        }
        // Iterative DFS: a stack of (workload, its dependencies still to visit).
        let mut path: Vec<&str> = vec![start];
        let mut stack = vec![workload.dependencies.keys()];
        marks.insert(start, Mark::OnPath);
        while let Some(deps) = stack.last_mut() {
            match deps.next() {
                Some(dep) => match marks.get(dep.as_str()).copied() {
                    Some(Mark::Unseen) => {
                        // Every marked name is a workload of this state.
                        if let Some(next) = state.workloads.get(dep) {
                            marks.insert(dep, Mark::OnPath);
                            path.push(dep);
                            stack.push(next.dependencies.keys());
                        }
                    }
                    Some(Mark::OnPath) => {
                        let from = path.iter().position(|w| *w == dep.as_str()).unwrap_or(0);
                        let mut cycle: Vec<&str> = path.get(from..).unwrap_or_default().to_vec();
                        cycle.push(dep);
                        let last = path.last().copied().unwrap_or_default();
                        errors.push(ValidationError::new(
                            workload_path(last).key("dependencies"),
                            format!("cyclic dependency: {}", cycle.join(" -> ")),
                        ));
                    }
                    // Done, or a dependency on a workload that is not in this state: it may
                    // be added later, so the dependent simply waits.
                    _ => {}
                },
                None => {
                    stack.pop();
                    if let Some(done) = path.pop() {
                        marks.insert(done, Mark::Done);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
