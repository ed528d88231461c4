//! The `junit` format: a `<testsuite>` per file and a `<testcase>` per resource, with one
//! `<failure>` listing the resource's errors and its warnings in `<system-out>`, so CI
//! dashboards that read JUnit show manifests next to unit tests.

use std::io::{self, Write};

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::report::{describe, document_label, finding_line, is_error, resource_label};
use super::report::{Explain, FileReport, Summary};

/// Writes one `<testsuites>` document.
pub fn write(out: &mut dyn Write, reports: &[FileReport], summary: &Summary) -> io::Result<()> {
    let mut writer = Writer::new_with_indent(&mut *out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("testsuites")
        .with_attributes([
            ("name", "ank validate"),
            ("tests", summary.resources.to_string().as_str()),
            ("failures", summary.invalid.to_string().as_str()),
            ("errors", "0"),
        ])
        .write_inner_content(|w| {
            for report in reports {
                write_suite(w, report)?;
            }
            Ok(())
        })?;
    writeln!(out)
}

fn write_suite<W: Write>(w: &mut Writer<W>, report: &FileReport) -> io::Result<()> {
    let failures = report.resources.iter().filter(|r| !r.is_valid()).count();
    w.create_element("testsuite")
        .with_attributes([
            ("name", report.file.as_str()),
            ("tests", report.resources.len().to_string().as_str()),
            ("failures", failures.to_string().as_str()),
            ("errors", "0"),
            ("skipped", "0"),
        ])
        .write_inner_content(|w| {
            for resource in &report.resources {
                let name = format!("{} {}", document_label(resource), resource_label(resource));
                let errors: Vec<String> = resource
                    .findings
                    .iter()
                    .filter(|f| is_error(f))
                    .map(|f| finding_line(&report.file, resource, f))
                    .collect();
                let warnings: Vec<String> = resource
                    .findings
                    .iter()
                    .filter(|f| !is_error(f))
                    .map(|f| finding_line(&report.file, resource, f))
                    .collect();
                let case = w.create_element("testcase").with_attributes([
                    ("classname", report.file.as_str()),
                    ("name", name.as_str()),
                ]);
                if errors.is_empty() && warnings.is_empty() {
                    case.write_empty()?;
                    continue;
                }
                case.write_inner_content(|w| {
                    if let Some(first) = resource.findings.iter().find(|f| is_error(f)) {
                        w.create_element("failure")
                            .with_attributes([
                                ("type", first.rule),
                                ("message", describe(resource, first).as_str()),
                            ])
                            .write_text_content(BytesText::new(&errors.join("\n")))?;
                    }
                    if !warnings.is_empty() {
                        w.create_element("system-out")
                            .write_text_content(BytesText::new(&warnings.join("\n")))?;
                    }
                    Ok(())
                })?;
            }
            if let Explain::Translated(state) = &report.explain {
                let yaml = serde_yaml_ng::to_string(state).map_err(io::Error::other)?;
                w.create_element("system-out")
                    .write_text_content(BytesText::new(&yaml))?;
            }
            Ok(())
        })?;
    Ok(())
}
