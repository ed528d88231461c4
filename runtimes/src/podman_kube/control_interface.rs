//! Mounting the control interface into the `controlInterfaceTarget` (`<pod>/<container>`) of a
//! kube manifest: a `hostPath` volume plus a volume mount at the Ankaios path, added to a copy
//! of the manifest so the user's text is left as written.

use std::path::Path;

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

use crate::podman::CONTROL_INTERFACE_TARGET;
use crate::RuntimeError;

const VOLUME: &str = "ankaios-control-interface";

/// The manifest with the control interface folder `dir` mounted into `target`.
pub fn mount_control_interface(
    manifest: &str,
    target: &str,
    dir: &Path,
) -> Result<String, RuntimeError> {
    let invalid = |msg: String| RuntimeError::InvalidConfig(msg);
    let (pod, container) = target.split_once('/').ok_or_else(|| {
        invalid(format!(
            "controlInterfaceTarget '{target}' is not <pod>/<container>"
        ))
    })?;
    let mut docs = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(manifest) {
        docs.push(Value::deserialize(doc).map_err(|e| invalid(format!("manifest: {e}")))?);
    }
    let mut found = false;
    for doc in &mut docs {
        if let Some(spec) = pod_spec(doc, pod) {
            found |= mount_into(spec, container, dir);
        }
    }
    if !found {
        return Err(invalid(format!(
            "controlInterfaceTarget '{target}' names no container of the manifest"
        )));
    }
    let mut text = String::new();
    for doc in &docs {
        text.push_str("---\n");
        text.push_str(
            &serde_yaml_ng::to_string(doc).map_err(|e| invalid(format!("manifest: {e}")))?,
        );
    }
    Ok(text)
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
    fn unknown_target_is_invalid() {
        let manifest = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n";
        for target in ["p/zz", "q/a", "nocontainer"] {
            assert!(
                mount_control_interface(manifest, target, Path::new("/x")).is_err(),
                "{target}"
            );
        }
    }
}
