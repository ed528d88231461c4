//! Mounting the control interface into the `controlInterfaceTarget` (`<pod>/<container>`) of a
//! kube manifest as Ankaios does: in the first document that is the `Pod` named `<pod>` (or the
//! `Deployment` whose pods are `<name>-pod`), a `hostPath` volume, and a volume mount at the
//! Ankaios path in the container named `<container>`. A copy of the manifest gets them, so the
//! user's text is left as written; the documents are joined again with `---\n`. The errors are
//! Ankaios' messages.

use std::path::Path;

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

use crate::podman::CONTROL_INTERFACE_TARGET;
use crate::RuntimeError;

const VOLUME: &str = "control-interface-volume";

/// The error of a workload with allow rules but no `controlInterfaceTarget`.
pub const TARGET_MISSING: &str = "Control interface target not specified in runtime config.";

/// The manifest with the control interface folder `dir` mounted into `target`.
pub fn mount_control_interface(
    manifest: &str,
    target: &str,
    dir: &Path,
) -> Result<String, RuntimeError> {
    let fail = |msg: String| RuntimeError::StartFailed(msg);
    let (pod, container) = match target.split('/').collect::<Vec<_>>()[..] {
        [pod, container] => (pod, container),
        _ => {
            return Err(fail(format!(
                "Invalid control interface target format: '{target}'. \
                 Expected format: '<pod_name>/<container_name>'"
            )))
        }
    };
    // A flow nesting bomb would stall libyaml (quadratic in the depth): refused first.
    ank_model::yaml::check_nesting(manifest).map_err(|e| fail(format!("manifest: {e}")))?;
    let mut docs = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(manifest) {
        docs.push(Value::deserialize(doc).map_err(|e| fail(format!("manifest: {e}")))?);
    }
    let spec = docs
        .iter_mut()
        .find_map(|doc| pod_spec(doc, pod))
        .ok_or_else(|| {
            fail(format!(
                "Cannot add Control Interface. Target pod not found '{pod}'"
            ))
        })?;
    if !mount_into(spec, container, dir) {
        return Err(fail(format!(
            "Cannot add Control Interface. Target container '{container}' not found."
        )));
    }
    let texts = docs
        .iter()
        .map(serde_yaml_ng::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("manifest: {e}")))?;
    Ok(texts.join("---\n"))
}

/// The pod spec of a `Pod` named `pod`, or of a `Deployment` whose pods are named `<name>-pod`.
fn pod_spec<'a>(doc: &'a mut Value, pod: &str) -> Option<&'a mut Value> {
    let kind = doc.get("kind")?.as_str()?.to_owned();
    let name = doc.get("metadata")?.get("name")?.as_str()?.to_owned();
    match kind.as_str() {
        "Pod" if name == pod => doc.get_mut("spec"),
        "Deployment" if format!("{name}-pod") == pod => {
            doc.get_mut("spec")?.get_mut("template")?.get_mut("spec")
        }
        _ => None,
    }
}

fn mount_into(spec: &mut Value, container: &str, dir: &Path) -> bool {
    let Some(containers) = spec.get_mut("containers").and_then(Value::as_sequence_mut) else {
        return false;
    };
    let Some(target) = containers
        .iter_mut()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
    else {
        return false;
    };
    let mount = mapping([
        ("name", VOLUME.into()),
        ("mountPath", CONTROL_INTERFACE_TARGET.into()),
    ]);
    push(target, "volumeMounts", mount);
    let host_path = mapping([
        ("path", dir.display().to_string().into()),
        ("type", "Directory".into()),
    ]);
    let volume = mapping([("name", VOLUME.into()), ("hostPath", host_path)]);
    push(spec, "volumes", volume);
    true
}

fn mapping<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Mapping(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect::<Mapping>(),
    )
}

/// Appends to the list `key` of a mapping, creating it when absent.
fn push(map: &mut Value, key: &str, item: Value) {
    if let Value::Mapping(m) = map {
        let list = m
            .entry(Value::from(key))
            .or_insert_with(|| Value::Sequence(Vec::new()));
        if let Value::Sequence(seq) = list {
            seq.push(item);
        } else {
            *list = Value::Sequence(vec![item]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_nesting_bomb_is_refused_before_parsing() {
        let manifest = format!(
            "kind: Pod\nspec: {}1{}",
            "{a: ".repeat(40_000),
            "}".repeat(40_000)
        );
        let start = std::time::Instant::now();
        let err = mount_control_interface(&manifest, "p/c", Path::new("/ci")).expect_err("a bomb");
        assert!(
            err.to_string()
                .contains("flow nesting is deeper than 256 levels"),
            "{err}"
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn mounts_into_the_target_container_only() {
        let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: x}\n  - {name: b, image: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let out = mount_control_interface(manifest, "p/b", Path::new("/run/ci")).expect("mounts");
        let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&out)
            .map(|d| Value::deserialize(d).expect("yaml"))
            .collect();
        assert_eq!(docs.len(), 2);
        let spec = &docs[0]["spec"];
        assert!(spec["containers"][0].get("volumeMounts").is_none());
        assert_eq!(
            spec["containers"][1]["volumeMounts"][0]["mountPath"],
            CONTROL_INTERFACE_TARGET
        );
        assert_eq!(spec["volumes"][0]["hostPath"]["path"], "/run/ci");
    }

    #[test]
    fn a_deployment_is_found_by_its_pod_name() {
        let manifest = "kind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec: {containers: [{name: c}]}\n";
        let out = mount_control_interface(manifest, "d-pod/c", Path::new("/ci")).expect("mounts");
        let doc: Value = serde_yaml_ng::from_str(&out).expect("yaml");
        let spec = &doc["spec"]["template"]["spec"];
        assert_eq!(spec["volumes"][0]["name"], "control-interface-volume");
        assert_eq!(spec["volumes"][0]["hostPath"]["type"], "Directory");
        assert_eq!(
            spec["containers"][0]["volumeMounts"][0]["mountPath"],
            "/run/ankaios/control_interface"
        );
        assert!(mount_control_interface(manifest, "d/c", Path::new("/ci")).is_err());
    }

    #[test]
    fn bad_targets_fail_with_ankaios_messages() {
        let manifest = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n";
        let error = |target| {
            mount_control_interface(manifest, target, Path::new("/x"))
                .expect_err("fails")
                .to_string()
        };
        let format = |t: &str| {
            format!(
                "Invalid control interface target format: '{t}'. \
                 Expected format: '<pod_name>/<container_name>'"
            )
        };
        assert_eq!(error("nocontainer"), format("nocontainer"));
        assert_eq!(error("p/a/b"), format("p/a/b"));
        assert_eq!(
            error("q/a"),
            "Cannot add Control Interface. Target pod not found 'q'"
        );
        assert_eq!(
            error("p/zz"),
            "Cannot add Control Interface. Target container 'zz' not found."
        );
    }
}
