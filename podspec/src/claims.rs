//! The PersistentVolumeClaims a `podman-kube` runtimeConfig defines (a claim workload's
//! manifest) and mounts (its pods' `persistentVolumeClaim.claimName`s), read from the manifest
//! text so that `ank delete -f` can tell which workloads of the running state use a claim.

use serde_yaml_ng::Value;

/// At most this many documents of one manifest are looked at.
const MAX_DOCUMENTS: usize = 1024;

/// What one runtimeConfig says about claims.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Claims {
    /// Names of the PersistentVolumeClaim documents of its manifest.
    pub defined: Vec<String>,
    /// Claim names its pods (bare, or Deployment/Job templates) mount.
    pub used: Vec<String>,
}

/// The claims of a `podman-kube` runtimeConfig; empty for anything that does not parse.
pub fn claims_in(runtime_config: &str) -> Claims {
    let mut claims = Claims::default();
    let Ok(config) = serde_yaml_ng::from_str::<Value>(runtime_config) else {
        return claims;
    };
    let Some(manifest) = config.get("manifest").and_then(Value::as_str) else {
        return claims;
    };
    for document in serde_yaml_ng::Deserializer::from_str(manifest).take(MAX_DOCUMENTS) {
        let Ok(doc) = <Value as serde::Deserialize>::deserialize(document) else {
            break;
        };
        let name = |v: &Value| v.get("metadata")?.get("name")?.as_str().map(str::to_owned);
        let spec = match doc.get("kind").and_then(Value::as_str) {
            Some("PersistentVolumeClaim") => {
                claims.defined.extend(name(&doc));
                continue;
            }
            Some("Pod") => doc.get("spec"),
            Some("Deployment" | "Job") => doc
                .get("spec")
                .and_then(|s| s.get("template"))
                .and_then(|t| t.get("spec")),
            _ => None,
        };
        let volumes = spec
            .and_then(|s| s.get("volumes"))
            .and_then(Value::as_sequence);
        for volume in volumes.into_iter().flatten() {
            let claim = volume
                .get("persistentVolumeClaim")
                .and_then(|c| c.get("claimName"))
                .and_then(Value::as_str);
            if let Some(claim) = claim.filter(|c| !claims.used.iter().any(|u| u == c)) {
                claims.used.push(claim.to_owned());
            }
        }
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_defined_and_used_by_manifests() {
        let claim = "manifest: |\n  apiVersion: v1\n  kind: PersistentVolumeClaim\n  metadata:\n    name: data\n";
        assert_eq!(claims_in(claim).defined, ["data"]);
        assert!(claims_in(claim).used.is_empty());
        let pod = "manifest: |\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    volumes:\n    - {name: a, persistentVolumeClaim: {claimName: data}}\n    - {name: b, persistentVolumeClaim: {claimName: data}}\n    - {name: c, emptyDir: {}}\n  ---\n  kind: Deployment\n  spec: {template: {spec: {volumes: [{name: d, persistentVolumeClaim: {claimName: logs}}]}}}\n";
        let found = claims_in(pod);
        assert_eq!(found.used, ["data", "logs"]);
        assert!(found.defined.is_empty());
        for garbage in ["", "manifest: 3", ": [", "manifest: \"kind: [\""] {
            assert_eq!(claims_in(garbage), Claims::default(), "{garbage:?}");
        }
    }
}
