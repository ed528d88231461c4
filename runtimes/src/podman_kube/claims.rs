//! Claim workloads: a manifest made only of PersistentVolumeClaims (how `podspec` translates a
//! claim document) creates named volumes through `kube play` and owns them. Its volumes are
//! removed when the instance stops; a pod's claim volume is never removed by the pod's stop
//! (`kube down` keeps named volumes), as a claim outlives its pods.

use ank_model::runtime_config::is_claim_name;
use serde_yaml_ng::Value;

use super::PodmanKubeRuntime;
use crate::podman_cli::argv;

/// At most this many claims in one manifest: a bound on the `volume rm` argv.
const MAX_CLAIMS: usize = 64;

/// The claims' names when every document of `manifest` is a PersistentVolumeClaim with a
/// DNS-1123 subdomain name; `None` for any other manifest (those are pods, left to Podman).
pub(super) fn claim_only(manifest: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(manifest) {
        let value = <Value as serde::Deserialize>::deserialize(document).ok()?;
        if value.is_null() {
            continue;
        }
        if value.get("kind").and_then(Value::as_str) != Some("PersistentVolumeClaim") {
            return None;
        }
        let name = value.get("metadata")?.get("name")?.as_str()?;
        if !is_claim_name(name) || names.len() == MAX_CLAIMS {
            return None;
        }
        names.push(name.to_owned());
    }
    (!names.is_empty()).then_some(names)
}

impl PodmanKubeRuntime {
    /// Removes the volumes of a stopped claim workload. Podman refuses to remove a volume a
    /// container still uses; that volume is kept, with a warning, rather than failing the stop.
    pub(super) async fn remove_claims(&self, claims: &[String]) {
        for claim in claims {
            let args = argv(["volume", "rm", "--", claim]);
            match self.podman.run(&args).await {
                Ok(out) if out.success || out.stderr.contains("no such volume") => {}
                Ok(out) => {
                    tracing::warn!(%claim, error = %out.message(), "claim volume kept")
                }
                Err(error) => tracing::warn!(%claim, %error, "claim volume kept"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manifests_of_claims_with_plain_names_are_claim_workloads() {
        let claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n";
        assert_eq!(claim_only(claim), Some(vec!["data".to_owned()]));
        let two = format!(
            "{claim}---\n{}",
            claim.replace("name: data", "name: logs.v1")
        );
        assert_eq!(
            claim_only(&two),
            Some(vec!["data".into(), "logs.v1".into()])
        );
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: data\n";
        assert_eq!(claim_only(&format!("{claim}---\n{pod}")), None);
        for hostile in ["--all", "../etc", "a/b", "", "Data", "a..b"] {
            let text = format!("kind: PersistentVolumeClaim\nmetadata:\n  name: {hostile:?}\n");
            assert_eq!(claim_only(&text), None, "{hostile:?}");
        }
        assert_eq!(claim_only(": not yaml ["), None);
        assert_eq!(claim_only(""), None);
    }
}
