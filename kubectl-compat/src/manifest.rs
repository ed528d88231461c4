//! Reading what `ank apply`, `ank delete -f` and `ank diff` are given: files, directories
//! (their `*.yaml`, `*.yml`, `*.json`, sorted) or `-` for stdin, each translated by `podspec`
//! (Ankaios or Kubernetes, multi-document) and merged into one desired state.

use std::io::Read;
use std::path::{Path, PathBuf};

use ank_model::State;

/// Why the inputs did not give a state.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A file or directory cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No input was named.
    #[error("no manifest given: name a file, a directory or - for stdin")]
    NoInput,
    /// podspec refused some file; the findings are already formatted, one per line.
    #[error("{count} error(s) in the manifest; nothing was sent")]
    Refused {
        /// `FILE:LINE:COL: error: PATH: MESSAGE` lines.
        lines: Vec<String>,
        /// How many findings.
        count: usize,
    },
    /// Two inputs declare the same workload or config.
    #[error("{kind} '{name}' is declared more than once")]
    Duplicate {
        /// `workload` or `config`.
        kind: &'static str,
        /// The name.
        name: String,
    },
}

/// Reads and translates every input; `strict` makes unknown fields errors.
pub fn read_state(inputs: &[String], strict: bool) -> Result<State, ManifestError> {
    if inputs.is_empty() {
        return Err(ManifestError::NoInput);
    }
    let mut merged = State::new();
    let mut lines = Vec::new();
    for (label, text) in expand(inputs)? {
        match podspec::translate_file(&text, &podspec::Options { strict }) {
            Ok(state) => merge(&mut merged, state)?,
            Err(reports) => lines.extend(format_reports(&label, &reports)),
        }
    }
    if lines.is_empty() {
        Ok(merged)
    } else {
        Err(ManifestError::Refused {
            count: lines.len(),
            lines,
        })
    }
}

/// `FILE:LINE:COL: error: PATH: MESSAGE`, one line per blocking finding.
pub fn format_reports(label: &str, reports: &[podspec::ResourceReport]) -> Vec<String> {
    let mut lines = Vec::new();
    for report in reports {
        for f in &report.findings {
            let blocking =
                f.severity == podspec::Severity::Error || f.rule == podspec::rules::UNSUPPORTED;
            if !blocking {
                continue;
            }
            let at = format!("{}:{}", f.line.unwrap_or(1), f.column.unwrap_or(1));
            let path = if f.path.is_empty() {
                "<document>"
            } else {
                &f.path
            };
            lines.push(format!("{label}:{at}: error: {path}: {}", f.message));
        }
    }
    lines
}

fn merge(into: &mut State, from: State) -> Result<(), ManifestError> {
    for (name, w) in from.workloads {
        if into.workloads.insert(name.clone(), w).is_some() {
            return Err(ManifestError::Duplicate {
                kind: "workload",
                name,
            });
        }
    }
    for (name, c) in from.configs {
        if into.configs.insert(name.clone(), c).is_some() {
            return Err(ManifestError::Duplicate {
                kind: "config",
                name,
            });
        }
    }
    Ok(())
}

/// (label, text) for each input, directories expanded.
fn expand(inputs: &[String]) -> Result<Vec<(String, String)>, ManifestError> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| ManifestError::Read {
                    path: "-".into(),
                    source,
                })?;
            out.push(("<stdin>".to_owned(), text));
            continue;
        }
        let path = Path::new(input);
        let files = if path.is_dir() {
            dir_files(path)?
        } else {
            vec![path.to_owned()]
        };
        for file in files {
            let label = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|source| ManifestError::Read {
                path: label.clone(),
                source,
            })?;
            out.push((label, text));
        }
    }
    Ok(out)
}

fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, ManifestError> {
    let read_err = |source| ManifestError::Read {
        path: dir.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if path.is_file() && matches!(ext, "yaml" | "yml" | "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "apiVersion: v1\nworkloads:\n  a:\n    runtime: native\n    agent: agent_A\n    runtimeConfig: |\n      command: [sleep, '9']\nconfigs:\n  c: x\n";

    #[test]
    fn a_directory_is_read_in_name_order_and_merged() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("1.yaml"), MANIFEST).expect("write");
        std::fs::write(
            dir.path().join("2.yml"),
            MANIFEST.replace("  a:", "  b:").replace("  c: x", "  d: y"),
        )
        .expect("write");
        std::fs::write(dir.path().join("notes.txt"), "ignored").expect("write");
        let state = read_state(&[dir.path().display().to_string()], false).expect("reads");
        assert_eq!(state.workloads.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(state.configs.keys().collect::<Vec<_>>(), ["c", "d"]);
    }

    #[test]
    fn the_same_workload_twice_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("m.yaml");
        std::fs::write(&file, MANIFEST).expect("write");
        let name = file.display().to_string();
        let err = read_state(&[name.clone(), name], false).expect_err("duplicate");
        assert!(err.to_string().contains("'a'"), "{err}");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = read_state(&["/nonexistent/x.yaml".into()], false).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/x.yaml"), "{err}");
    }
}
