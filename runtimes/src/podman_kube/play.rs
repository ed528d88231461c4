//! Reading `podman kube play` output: the IDs of the pods it created.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pod_ids_in_play_output() {
        let out = "Pod:\nf172b366\nContainer:\nb5b976a4\nc0ffee12\n\nPod:\nabc123\nContainer:\n1234\nVolume:\ndata\n";
        assert_eq!(pod_ids(out), ["f172b366", "abc123"]);
        assert!(pod_ids("").is_empty());
    }
}
