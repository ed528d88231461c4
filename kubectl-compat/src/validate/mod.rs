//! The offline manifest checker behind `ank validate`. It owns input collection (files,
//! directories, stdin), the per-file report model and one formatter per output format; the
//! judging itself is `podspec`'s (`validate_file`, `translate_file`).
//!
//! # Layout
//! - [`input`]: expands `-f` arguments into named texts, sorted for stable output.
//! - [`report`]: `FileReport` and `Summary`, shared by all formatters.
//! - [`rules`]: one-line descriptions of the rules, for SARIF.
//! - [`text`], [`json`], [`junit`], [`sarif`]: the output formats.

pub mod input;
pub mod json;
pub mod junit;
pub mod report;
pub mod rules;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

pub use report::{FileReport, Summary};

/// The output formats of `ank validate -o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One line per finding, `FILE:LINE:COL: severity: …`, then a summary line.
    #[default]
    Text,
    /// One JSON object: `files`, `resources`, `summary`.
    Json,
    /// JUnit XML: a testsuite per file, a testcase per resource.
    Junit,
    /// SARIF 2.1.0, for code-scanning annotations on pull requests.
    Sarif,
}

/// Writes the reports in the chosen format.
pub fn write(out: &mut dyn Write, format: Format, reports: &[FileReport]) -> io::Result<()> {
    let summary = Summary::of(reports);
    match format {
        Format::Text => text::write(out, reports, &summary),
        Format::Json => json::write(out, reports, &summary),
        Format::Junit => junit::write(out, reports, &summary),
        Format::Sarif => sarif::write(out, reports),
    }
}

#[cfg(test)]
mod tests;
