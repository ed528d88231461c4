//! The fate of each field listed in `docs/kubernetes-fields.md`, read from that very table: a
//! pod (or claim) with the row's example is validated and its worst finding must be the fate
//! the row documents, under `podman-kube` and under `native`.

use super::*;
use crate::{rules, Severity};

const DOC: &str = include_str!("../../../docs/kubernetes-fields.md");

/// One table row: field, example, fate under podman-kube, fate under native (`-`: not applicable).
fn rows() -> Vec<[String; 4]> {
    let begin = DOC
        .find("<!-- fields-table: begin -->")
        .expect("table start marker");
    let end = DOC
        .find("<!-- fields-table: end -->")
        .expect("table end marker");
    DOC[begin..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect();
            assert_eq!(cells.len(), 4, "row {l:?} has four cells");
            [
                cells[0].clone(),
                cells[1].clone(),
                cells[2].clone(),
                cells[3].clone(),
            ]
        })
        .collect()
}

/// The document for `field` with `example` set, on the native runtime or not.
fn document(field: &str, example: &str, native: bool) -> String {
    if field.starts_with("claim ") {
        // Kubernetes requires access modes and a storage request: the row's example replaces
        // the base's own line for its key.
        let mut spec = vec![example.to_owned()];
        for base in [
            "accessModes: [ReadWriteOnce]",
            "resources: {requests: {storage: 1Gi}}",
        ] {
            let key = base.split(':').next().unwrap_or_default();
            if !example.starts_with(key) {
                spec.push(base.to_owned());
            }
        }
        return format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  {}\n",
            spec.join("\n  ")
        );
    }
    let (mut spec, mut container) = (String::new(), String::new());
    if field.starts_with("volumes[*].") {
        spec = format!("  volumes:\n  - name: v\n    {example}\n");
    } else if field.starts_with("containers[*].") {
        container = format!("    {example}\n");
    } else {
        spec = format!("  {example}\n");
    }
    let (runtime, program) = if native {
        ("  runtimeClassName: native\n", "    command: [/bin/true]\n")
    } else {
        ("", "    image: nginx:1.27\n")
    };
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {{app: web}}\nspec:\n{runtime}{spec}  containers:\n  - name: app\n{program}{container}")
}

/// `refused`, `warning` or `passes`, from the findings of `yaml` for `field`: a claim's
/// warning must name the row's field, since the base claim's own fields warn too.
fn fate(yaml: &str, field: &str) -> String {
    let reports = validate_file(yaml, &Options::default());
    let findings: Vec<_> = reports.iter().flat_map(|r| &r.findings).collect();
    let refused = findings
        .iter()
        .any(|f| f.severity == Severity::Error || f.rule == rules::UNSUPPORTED);
    let warned = findings.iter().any(|f| {
        f.rule == rules::RUNTIME_DROPS
            && field
                .strip_prefix("claim ")
                .is_none_or(|claim_field| f.path.starts_with(claim_field))
    });
    let fate = match (refused, warned) {
        (true, _) => "refused",
        (false, true) => "warning",
        (false, false) => "passes",
    };
    fate.to_owned()
}

#[test]
fn the_documented_fate_of_every_field_is_what_validation_gives() {
    let rows = rows();
    assert!(rows.len() >= 30, "the table lists {} rows", rows.len());
    for native in [false, true] {
        let baseline = document("nodeName", "nodeName: agent_A", native);
        assert_eq!(fate(&baseline, "nodeName"), "passes", "baseline {baseline}");
    }
    let mut wrong = Vec::new();
    for [field, example, kube, native] in &rows {
        for (is_native, expected) in [(false, kube), (true, native)] {
            if expected == "-" {
                continue;
            }
            let got = fate(&document(field, example, is_native), field);
            if &got != expected {
                let runtime = if is_native { "native" } else { "podman-kube" };
                wrong.push(format!(
                    "{field} ({example}) under {runtime}: documented {expected}, got {got}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/kubernetes-fields.md drifted:\n{}",
        wrong.join("\n")
    );
}
