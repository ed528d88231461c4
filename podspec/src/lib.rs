//! Kubernetes manifests judged like the API server would, and turned into Ankaios workloads.
//! Pure: no IO, no async, no gRPC. `ank validate` runs [`validate_file`] offline in CI; `ank apply`
//! runs [`translate_file`] and refuses with the same findings when it cannot honour a file.
//!
//! # Layout
//! - [`finding`]: the verdict types (`Finding`, `ResourceReport`, `Options`) and internal paths.
//! - [`rules`]: the stable rule ids.
//! - `parse`: documents → k8s-openapi / `ank_model` types in one serde pass, with exact paths;
//!   clean documents go straight from saphyr events to the typed objects, the others through
//!   serde_yaml_ng's `Value`, which stays the reference for messages.
//! - `drops`: the table of fields podman drops or Anchorage cannot honour.
//! - `checks`: the API server's semantic checks, plus Anchorage's (names, references);
//!   [`catalogue`] lists every Kubernetes rule and what covers it.
//! - `translate`: pods, Deployments, Jobs, ConfigMaps, Secrets and PersistentVolumeClaims →
//!   `ank_model::State`.
//! - `locate`: lazily maps a finding's path to a line and column in the file.
//! - [`claims`]: the claims a translated runtimeConfig defines and mounts (`ank delete -f`).

mod checks;
pub mod claims;
mod drops;
pub mod finding;
mod locate;
mod parse;
pub mod rules;
mod suggest;
mod translate;

#[cfg(test)]
mod tests;

pub use checks::k8s::catalogue;
pub use finding::{Finding, Options, ResourceReport, Severity};

use parse::Resource;

/// Judges every resource of a multi-document YAML (or JSON) file; one report per resource,
/// list items included, empty documents skipped.
pub fn validate_file(text: &str, options: &Options) -> Vec<ResourceReport> {
    let mut resources = read_and_check(text, options, false, true);
    reports(text, &mut resources)
}

/// [`validate_file`] through serde_yaml_ng's `Value` only: the reference the fast path must match.
#[cfg(test)]
pub(crate) fn validate_file_with_libyaml(text: &str, options: &Options) -> Vec<ResourceReport> {
    let mut resources = read_and_check(text, options, false, false);
    reports(text, &mut resources)
}

/// The desired state `ank apply` sends for a file: Ankaios manifests merged with the
/// translated Kubernetes objects. `Err` holds the reports that stop it: those with an error or
/// an `unsupported-field` warning.
pub fn translate_file(
    text: &str,
    options: &Options,
) -> Result<ank_model::State, Vec<ResourceReport>> {
    let mut resources = read_and_check(text, options, true, true);
    let all = reports(text, &mut resources);
    let blocking: Vec<ResourceReport> = all
        .into_iter()
        .filter(ResourceReport::blocks_apply)
        .collect();
    if blocking.is_empty() {
        Ok(translate::translate(&resources))
    } else {
        Err(blocking)
    }
}

/// Reads and checks every resource. Each object is checked as soon as its document is read;
/// unless `keep_objects` (translation needs them), it is then dropped, keeping only what the
/// checks across documents need, so memory grows with the findings rather than the file.
fn read_and_check(text: &str, options: &Options, keep_objects: bool, fast: bool) -> Vec<Resource> {
    let mut resources = Vec::new();
    parse::read_file(text, options, fast, &mut resources, &mut |r| {
        if let Some(object) = &r.object {
            checks::check(object, &r.prefix, &mut r.sink);
            r.refs = checks::refs::refs_of(object, &r.prefix);
            r.defines = checks::refs::defines(object);
            r.produced = translate::produced(object);
        }
        if !keep_objects {
            r.object = None;
        }
    });
    checks::refs::check_file(&mut resources);
    translate::check_duplicates(&mut resources);
    resources
}

/// Turns the resources' raw findings into located reports; the file is re-read for positions
/// only when there is something to locate.
fn reports(text: &str, resources: &mut [Resource]) -> Vec<ResourceReport> {
    let locator = locate::Locator::new(text);
    resources
        .iter_mut()
        .map(|r| {
            let raws = std::mem::take(&mut r.sink.raws);
            let findings = raws
                .into_iter()
                .map(|raw| {
                    let at = raw.at.or_else(|| locator.locate(r.document, &raw.path));
                    Finding {
                        severity: raw.severity,
                        rule: raw.rule,
                        path: raw.path.strip(r.prefix.0.len()).to_string(),
                        message: raw.message,
                        line: at.map(|a| a.0),
                        column: at.map(|a| a.1),
                    }
                })
                .collect();
            ResourceReport {
                document: r.document,
                item: r.item,
                kind: r.kind.clone(),
                api_version: r.api_version.clone(),
                name: r.name.clone(),
                findings,
            }
        })
        .collect()
}
