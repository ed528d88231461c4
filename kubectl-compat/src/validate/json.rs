//! The `json` format: one object with `files`, `resources` (each with its findings, every
//! finding carrying its file and document so it can be used on its own) and `summary`.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::report::{severity_name, Explain, FileReport, Summary};

/// Writes the whole report as one pretty-printed JSON object.
pub fn write(out: &mut dyn Write, reports: &[FileReport], summary: &Summary) -> io::Result<()> {
    let value = to_value(reports, summary)?;
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// The report as a JSON value.
pub fn to_value(reports: &[FileReport], summary: &Summary) -> io::Result<Value> {
    let mut files = Vec::new();
    let mut resources = Vec::new();
    for report in reports {
        let mut file = json!({
            "file": report.file,
            "resources": report.resources.len(),
            "valid": report.is_valid(),
        });
        match &report.explain {
            Explain::NotRequested => {}
            Explain::Untranslatable => file["ankaios"] = Value::Null,
            Explain::Translated(state) => file["ankaios"] = serde_json::to_value(state)?,
        }
        files.push(file);
        for resource in &report.resources {
            let findings: Vec<Value> = resource
                .findings
                .iter()
                .map(|f| {
                    json!({
                        "file": report.file,
                        "document": resource.document,
                        "item": resource.item,
                        "path": f.path,
                        "line": f.line,
                        "column": f.column,
                        "severity": severity_name(f.severity),
                        "rule": f.rule,
                        "message": f.message,
                    })
                })
                .collect();
            resources.push(json!({
                "file": report.file,
                "document": resource.document,
                "item": resource.item,
                "apiVersion": resource.api_version,
                "kind": resource.kind,
                "name": resource.name,
                "valid": resource.is_valid(),
                "findings": findings,
            }));
        }
    }
    Ok(json!({
        "files": files,
        "resources": resources,
        "summary": {
            "files": summary.files,
            "resources": summary.resources,
            "valid": summary.valid,
            "invalid": summary.invalid,
            "errors": summary.errors,
            "warnings": summary.warnings,
        },
    }))
}
