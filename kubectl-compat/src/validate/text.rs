//! The `text` format: `FILE:LINE:COL: error|warning: [doc N] KIND/NAME PATH: MESSAGE (rule)`
//! per finding, the `--explain` translations, and one summary line at the end.

use std::io::{self, Write};

use super::report::{finding_line, Explain, FileReport, Summary};

/// Writes every finding, then each requested translation, then the summary line.
pub fn write(out: &mut dyn Write, reports: &[FileReport], summary: &Summary) -> io::Result<()> {
    for report in reports {
        for resource in &report.resources {
            for finding in &resource.findings {
                writeln!(out, "{}", finding_line(&report.file, resource, finding))?;
            }
        }
    }
    for report in reports {
        write_explain(out, report)?;
    }
    writeln!(out, "{}", summary_line(summary))
}

/// `N resources in M files: V valid, I invalid, E errors, W warnings`.
pub fn summary_line(s: &Summary) -> String {
    format!(
        "{} resources in {} files: {} valid, {} invalid, {} errors, {} warnings",
        s.resources, s.files, s.valid, s.invalid, s.errors, s.warnings
    )
}

/// The Ankaios manifest of one file as a YAML document headed by a comment naming the file.
fn write_explain(out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
    match &report.explain {
        Explain::NotRequested => Ok(()),
        Explain::Untranslatable => {
            writeln!(out, "--- # {}: not translated, it has errors", report.file)
        }
        Explain::Translated(state) => {
            let yaml = serde_yaml_ng::to_string(state).map_err(io::Error::other)?;
            writeln!(out, "--- # {}: Ankaios manifest", report.file)?;
            write!(out, "{yaml}")
        }
    }
}
