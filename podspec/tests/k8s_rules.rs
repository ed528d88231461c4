//! Every rule of the catalogue (`podspec::catalogue`) that is marked covered gets a failing
//! example from `k8s_rules.yaml`: a minimal manifest, as a patch over a valid base object, and
//! the finding it must raise (rule id from the catalogue, field path, error). Each area also
//! has a passing example, and `docs/pod-validation.md` must be the catalogue's rendering.

use std::collections::{BTreeMap, BTreeSet};

use podspec::catalogue::{Status, RULES};
use podspec::{validate_file, Options, Severity};
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

/// The case file: failing examples as `[catalogue id, base, patch, expected path]`, and
/// passing ones as `[area, base, patch]`.
#[derive(Deserialize)]
struct Cases {
    failing: Vec<(String, String, Value, String)>,
    passing: Vec<(String, String, Value)>,
}

fn cases() -> Cases {
    let text = include_str!("k8s_rules.yaml");
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("k8s_rules.yaml: {e}"))
}

const POD: &str = "{apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {containers: [{name: app, image: 'nginx:1.27'}]}}";
const DEPLOYMENT: &str = "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: 'nginx:1.27'}]}}}}";
const JOB: &str = "{apiVersion: batch/v1, kind: Job, metadata: {name: once}, spec: {template: {spec: {restartPolicy: Never, containers: [{name: app, image: 'busybox:1.36'}]}}}}";
const CONFIG_MAP: &str = "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {a: b}}";
const SECRET: &str = "{apiVersion: v1, kind: Secret, metadata: {name: sec}, stringData: {a: b}}";
const CLAIM: &str = "{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}";

/// The document of `base` with `patch` merged in where the base name says: `pod`,
/// `deployment`, `job`, `configmap`, `secret` and `pvc` at the root, `spec` into the pod spec, `c0`
/// into the pod's first container, `dspec`/`jspec` into the Deployment's/Job's spec.
fn document(base: &str, patch: &Value) -> Value {
    let (text, at): (&str, &[&str]) = match base {
        "pod" => (POD, &[]),
        "spec" => (POD, &["spec"]),
        "c0" => (POD, &["spec", "containers", "0"]),
        "deployment" => (DEPLOYMENT, &[]),
        "dspec" => (DEPLOYMENT, &["spec"]),
        "job" => (JOB, &[]),
        "jspec" => (JOB, &["spec"]),
        "configmap" => (CONFIG_MAP, &[]),
        "secret" => (SECRET, &[]),
        "pvc" => (CLAIM, &[]),
        other => panic!("unknown base {other}"),
    };
    let mut doc: Value = serde_yaml_ng::from_str(text).expect("bases are YAML");
    let mut target = &mut doc;
    for step in at {
        target = match step.parse::<usize>() {
            Ok(i) => &mut target[i],
            Err(_) => &mut target[*step],
        };
    }
    merge(target, expand(patch.clone()));
    doc
}

/// Deep merge: mappings key by key (`null` deletes), sequences element by element (an empty
/// one replaces), anything else replaces.
fn merge(into: &mut Value, patch: Value) {
    match (into, patch) {
        (Value::Mapping(base), Value::Mapping(patch)) => {
            for (k, v) in patch {
                if v.is_null() {
                    base.remove(&k);
                } else if let Some(slot) = base.get_mut(&k) {
                    merge(slot, v);
                } else {
                    base.insert(k, v);
                }
            }
        }
        (Value::Sequence(base), Value::Sequence(patch)) if !patch.is_empty() => {
            for (i, v) in patch.into_iter().enumerate() {
                match base.get_mut(i) {
                    Some(slot) => merge(slot, v),
                    None => base.push(v),
                }
            }
        }
        (slot, patch) => *slot = patch,
    }
}

/// Expands `${c*N}` strings to `N` copies of `c`, for the size limits.
fn expand(v: Value) -> Value {
    match v {
        Value::String(s) => {
            let repeat = s
                .strip_prefix("${")
                .and_then(|r| r.strip_suffix('}'))
                .and_then(|r| r.split_once('*'))
                .and_then(|(c, n)| Some((c.to_owned(), n.parse::<usize>().ok()?)));
            match repeat {
                Some((c, n)) => Value::String(c.repeat(n)),
                None => Value::String(s),
            }
        }
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(expand).collect()),
        Value::Mapping(m) => Value::Mapping(
            m.into_iter()
                .map(|(k, v)| (k, expand(v)))
                .collect::<Mapping>(),
        ),
        other => other,
    }
}

/// Every finding of `doc` as `(severity, rule, path, message)`.
fn findings(doc: &Value) -> Vec<(Severity, &'static str, String, String)> {
    let text = serde_yaml_ng::to_string(doc).expect("documents serialize");
    validate_file(&text, &Options::default())
        .into_iter()
        .flat_map(|r| r.findings)
        .map(|f| (f.severity, f.rule, f.path, f.message))
        .collect()
}

#[test]
fn catalogue_ids_are_unique_and_well_formed() {
    let mut seen = BTreeSet::new();
    for r in RULES {
        assert!(seen.insert(r.id), "{} is listed twice", r.id);
        assert!(
            r.id.contains('.') && !r.source.is_empty() && !r.path.is_empty(),
            "{}",
            r.id
        );
        if let Status::NotApplicable(reason) = r.status {
            assert!(!reason.is_empty(), "{} needs a reason", r.id);
        }
    }
    assert!(
        RULES.len() >= 150,
        "the catalogue has only {} rules",
        RULES.len()
    );
}

#[test]
fn every_covered_rule_fails_its_example() {
    let cases = cases();
    let covered: BTreeMap<&str, &str> = RULES
        .iter()
        .filter_map(|r| match r.status {
            Status::Covered { finding, .. } => Some((r.id, finding)),
            Status::NotApplicable(_) => None,
        })
        .collect();
    let mut exercised = BTreeSet::new();
    let mut failures = Vec::new();
    for (id, base, patch, path) in &cases.failing {
        let Some(rule) = covered.get(id.as_str()) else {
            failures.push(format!("{id}: not a covered rule of the catalogue"));
            continue;
        };
        exercised.insert(id.as_str());
        let found = findings(&document(base, patch));
        let hit = found
            .iter()
            .any(|(s, r, p, _)| *s == Severity::Error && r == rule && p == path);
        if !hit {
            failures.push(format!(
                "{id}: expected error {rule} at {path}, got {found:#?}"
            ));
        }
    }
    let missing: Vec<&&str> = covered
        .keys()
        .filter(|id| !exercised.contains(**id))
        .collect();
    eprintln!(
        "{} covered rules, each with a failing example:",
        covered.len()
    );
    for (id, rule) in &covered {
        eprintln!("  {id} -> {rule}");
    }
    if !missing.is_empty() {
        failures.push(format!(
            "covered rules without a failing example: {missing:?}"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_area_has_a_passing_example() {
    let cases = cases();
    let mut areas = BTreeSet::new();
    let mut failures = Vec::new();
    for (area, base, patch) in &cases.passing {
        let doc = document(base, patch);
        let errors: Vec<_> = findings(&doc)
            .into_iter()
            .filter(|(s, r, _, _)| *s == Severity::Error || r.starts_with("k8s-"))
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{area}: {errors:#?}"));
        }
        areas.insert(area.as_str());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let wanted: BTreeSet<&str> = RULES
        .iter()
        .filter(|r| matches!(r.status, Status::Covered { .. }))
        .map(|r| r.id.split(['.', '-']).next().unwrap_or_default())
        .collect();
    let missing: Vec<_> = wanted.difference(&areas).collect();
    assert!(
        missing.is_empty(),
        "areas without a passing example: {missing:?}"
    );
}

#[test]
fn the_docs_page_is_the_catalogue() {
    let doc = podspec::catalogue::markdown();
    for r in RULES {
        assert!(
            doc.contains(&format!("`{}`", r.id)),
            "{} missing from the page",
            r.id
        );
    }
    expect_test::expect_file!["../../docs/pod-validation.md"].assert_eq(&doc);
}
