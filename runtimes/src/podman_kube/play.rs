//! Reading `podman kube play` output and `podman volume ls`, and the `<instance>.pods` volume
//! that records which pods belong to an instance (as Ankaios names it), so that a restarted
//! agent finds them again even without its run folder.

use std::collections::HashMap;

use serde::Deserialize;

/// The label on the `.pods` volume that lists the instance's pod IDs, comma-separated.
pub const PODS_LABEL: &str = "anchorage.pods";

/// The suffix Ankaios gives an instance's bookkeeping volume.
pub const PODS_VOLUME_SUFFIX: &str = ".pods";

/// The pod IDs in `podman kube play` output (`Pod:` / `Container:` / `Volume:` sections,
/// one ID per line).
pub fn pod_ids(play_stdout: &str) -> Vec<String> {
    let mut section = "";
    let mut pods = Vec::new();
    for line in play_stdout.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(header) = line.strip_suffix(':') {
            section = header;
        } else if section == "Pod" && line.chars().all(|c| c.is_ascii_hexdigit()) {
            pods.push(line.to_owned());
        }
    }
    pods
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Volume {
    #[serde(default)]
    name: String,
    #[serde(default)]
    labels: Option<HashMap<String, String>>,
}

/// `(instance name, pod IDs)` of each `.pods` volume in `podman volume ls --format json`.
pub fn pods_volumes(json: &str) -> Result<Vec<(String, Vec<String>)>, serde_json::Error> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let volumes: Option<Vec<Volume>> = serde_json::from_str(json)?;
    Ok(volumes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            let instance = v.name.strip_suffix(PODS_VOLUME_SUFFIX)?.to_owned();
            let pods = v
                .labels?
                .get(PODS_LABEL)?
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            Some((instance, pods))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pod_ids_in_play_output() {
        let out = "Pod:\nf172b366\nContainer:\nb5b976a4\nc0ffee12\n\nPod:\nabc123\nContainer:\n1234\nVolume:\ndata\n";
        assert_eq!(pod_ids(out), ["f172b366", "abc123"]);
        assert!(pod_ids("").is_empty());
    }

    #[test]
    fn reads_pods_volumes() {
        let json = r#"[{"Name":"w.1.a.pods","Labels":{"anchorage.pods":"p1,p2","anchorage.instance":"w.1.a"}},
                       {"Name":"userdata","Labels":{}},{"Name":"x.pods","Labels":null}]"#;
        assert_eq!(
            pods_volumes(json).expect("parses"),
            [("w.1.a".to_owned(), vec!["p1".to_owned(), "p2".to_owned()])]
        );
        assert!(pods_volumes("[]").expect("parses").is_empty());
    }
}
