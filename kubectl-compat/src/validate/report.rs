//! The report model shared by the formatters: podspec's `ResourceReport`s grouped per file,
//! the optional Ankaios translation (`--explain`) and the counts of the summary line.

use podspec::{Finding, Options, ResourceReport, Severity};

use super::input::Input;

/// The outcome of checking one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file as named on the command line, or `<stdin>`.
    pub file: String,
    /// One report per resource (document, or item of a `kind: List`), in file order.
    pub resources: Vec<ResourceReport>,
    /// The Ankaios manifest the file translates into, when `--explain` asked for it.
    pub explain: Explain,
}

/// The `--explain` part of a file report.
#[derive(Debug, Clone)]
pub enum Explain {
    /// `--explain` was not given.
    NotRequested,
    /// The file translates into this Ankaios state.
    Translated(ank_model::State),
    /// The file has errors, so it does not translate.
    Untranslatable,
}

impl FileReport {
    /// Validates (and, with `explain`, translates) one input.
    pub fn check(input: &Input, options: &Options, explain: bool) -> Self {
        let resources = podspec::validate_file(&input.text, options);
        let explain = match explain {
            false => Explain::NotRequested,
            true => match podspec::translate_file(&input.text, options) {
                Ok(state) => Explain::Translated(state),
                Err(_) => Explain::Untranslatable,
            },
        };
        FileReport {
            file: input.name.clone(),
            resources,
            explain,
        }
    }

    /// Whether every resource of the file is valid.
    pub fn is_valid(&self) -> bool {
        self.resources.iter().all(ResourceReport::is_valid)
    }
}

/// The counts printed in the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Resources found in them.
    pub resources: usize,
    /// Resources without errors.
    pub valid: usize,
    /// Resources with at least one error.
    pub invalid: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
}

impl Summary {
    /// Counts over all files.
    pub fn of(reports: &[FileReport]) -> Self {
        let mut summary = Summary {
            files: reports.len(),
            ..Summary::default()
        };
        for resource in reports.iter().flat_map(|r| &r.resources) {
            summary.resources += 1;
            if resource.is_valid() {
                summary.valid += 1;
            } else {
                summary.invalid += 1;
            }
            for finding in &resource.findings {
                match finding.severity {
                    Severity::Error => summary.errors += 1,
                    Severity::Warning => summary.warnings += 1,
                }
            }
        }
        summary
    }
}

/// `error` or `warning`, as printed and as SARIF levels.
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Whether a finding is an error.
pub fn is_error(finding: &Finding) -> bool {
    matches!(finding.severity, Severity::Error)
}

/// `[doc 0]`, or `[doc 0 item 2]` for an item of a `kind: List`.
pub fn document_label(resource: &ResourceReport) -> String {
    match resource.item {
        Some(item) => format!("[doc {} item {item}]", resource.document),
        None => format!("[doc {}]", resource.document),
    }
}

/// `Pod/nginx`; `Pod` without a name; `<unknown>` when not even the kind is known.
pub fn resource_label(resource: &ResourceReport) -> String {
    let kind = match resource.kind.as_str() {
        "" => "<unknown>",
        kind => kind,
    };
    match &resource.name {
        Some(name) if !name.is_empty() => format!("{kind}/{name}"),
        _ => kind.to_owned(),
    }
}

/// `[doc 0] Pod/nginx spec.containers[0].image: MESSAGE (rule)`: a finding without its location.
pub fn describe(resource: &ResourceReport, finding: &Finding) -> String {
    let path = match finding.path.as_str() {
        "" => String::new(),
        path => format!(" {path}"),
    };
    format!(
        "{} {}{path}: {} ({})",
        document_label(resource),
        resource_label(resource),
        finding.message,
        finding.rule
    )
}

/// `FILE:LINE:COL: error: [doc 0] Pod/nginx PATH: MESSAGE (rule)`: the text-format line.
pub fn finding_line(file: &str, resource: &ResourceReport, finding: &Finding) -> String {
    let location = match (finding.line, finding.column) {
        (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
        (Some(line), None) => format!("{file}:{line}"),
        _ => file.to_owned(),
    };
    format!(
        "{location}: {}: {}",
        severity_name(finding.severity),
        describe(resource, finding)
    )
}
