//! The `sarif` format: SARIF 2.1.0 with one run of the tool `ank`, the rules that fired and one
//! result per finding, located by a relative artifact URI and a 1-based region, so
//! code-scanning UIs annotate the offending line of a pull request.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

use super::input::STDIN_NAME;
use super::report::{describe, severity_name, FileReport};
use super::rules;

/// The schema URL SARIF 2.1.0 consumers expect.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Writes the SARIF log.
pub fn write(out: &mut dyn Write, reports: &[FileReport]) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    serde_json::to_writer_pretty(&mut *out, &to_value(reports, cwd.as_deref()))?;
    writeln!(out)
}

/// The SARIF log as a JSON value; absolute paths under `cwd` become relative URIs.
pub fn to_value(reports: &[FileReport], cwd: Option<&Path>) -> Value {
    let fired: BTreeSet<&str> = reports
        .iter()
        .flat_map(|r| &r.resources)
        .flat_map(|r| &r.findings)
        .map(|f| f.rule)
        .collect();
    let fired: Vec<&str> = fired.into_iter().collect();
    let rule_descriptors: Vec<Value> = fired
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "shortDescription": { "text": rules::describe(id) },
            })
        })
        .collect();
    let mut results = Vec::new();
    for report in reports {
        let uri = artifact_uri(&report.file, cwd);
        for resource in &report.resources {
            for finding in &resource.findings {
                let mut artifact = json!({ "uri": uri });
                if !uri.starts_with("file://") {
                    artifact["uriBaseId"] = json!("%SRCROOT%");
                }
                let mut physical = json!({ "artifactLocation": artifact });
                if let Some(line) = finding.line {
                    let mut region = json!({ "startLine": line.max(1) });
                    if let Some(column) = finding.column {
                        region["startColumn"] = json!(column.max(1));
                    }
                    physical["region"] = region;
                }
                results.push(json!({
                    "ruleId": finding.rule,
                    "ruleIndex": fired.binary_search(&finding.rule).unwrap_or_default(),
                    "level": severity_name(finding.severity),
                    "message": { "text": describe(resource, finding) },
                    "locations": [{ "physicalLocation": physical }],
                }));
            }
        }
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "ank",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rule_descriptors,
                },
            },
            "results": results,
        }],
    })
}

/// A relative, forward-slashed URI for a reported file name (`stdin` for `<stdin>`); a
/// `file://` URI for an absolute path outside the working directory.
fn artifact_uri(file: &str, cwd: Option<&Path>) -> String {
    if file == STDIN_NAME {
        return "stdin".to_owned();
    }
    let path = Path::new(file);
    let relative = match cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let uri = relative.to_string_lossy().replace('\\', "/");
    if relative.is_absolute() {
        return format!("file://{uri}");
    }
    match uri.strip_prefix("./") {
        Some(rest) => rest.to_owned(),
        None => uri,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_working_directory() {
        let cwd = Path::new("/repo");
        assert_eq!(artifact_uri("/repo/k8s/a.yaml", Some(cwd)), "k8s/a.yaml");
        assert_eq!(artifact_uri("./k8s/a.yaml", Some(cwd)), "k8s/a.yaml");
        assert_eq!(
            artifact_uri("/elsewhere/a.yaml", Some(cwd)),
            "file:///elsewhere/a.yaml"
        );
        assert_eq!(artifact_uri(STDIN_NAME, Some(cwd)), "stdin");
    }
}
