//! Reading what `ank apply`, `ank delete -f` and `ank diff` are given: files, directories
//! (their `*.yaml`, `*.yml`, `*.json`, sorted) or `-` for stdin, each translated by `podspec`
//! (Ankaios or Kubernetes, multi-document) and merged into one desired state.
//!
//! It also owns Ankaios' rule that a workload of an Ankaios manifest must name its agent: the
//! model's `agent` is a plain string, so a missing key and `agent: ""` look alike once
//! deserialized; [`workloads_without_agent`] tells them apart on the parsed YAML of the Ankaios
//! documents, and [`read`] with [`Agents::Required`] refuses them before anything else is judged,
//! as Ankaios does (its message wins over findings in the same files). Kubernetes objects and
//! workloads with an Anchorage `nodeSelector` leave the choice to the scheduler and are exempt.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ank_model::State;
use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::validate::input;

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
    /// A file or stdin holds more than [`input::MAX_INPUT_BYTES`] (or is not UTF-8).
    #[error(transparent)]
    Input(#[from] input::InputError),
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
    /// Ankaios workloads without an `agent` key, and no `--agent` (Ankaios' message).
    #[error("Command failed: 'No agent name specified -> use '--agent' option to specify!'")]
    NoAgent {
        /// The workloads concerned.
        workloads: Vec<String>,
    },
}

/// Whether the Ankaios workloads of the inputs must have an `agent` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agents {
    /// `ank apply` without `--agent`.
    Required,
    /// Anything else (`--agent` given, `ank diff`, `ank delete -f`).
    MayBeMissing,
}

/// Reads and translates every input into one state; `strict` makes unknown fields errors.
pub fn read_state(inputs: &[String], strict: bool) -> Result<State, ManifestError> {
    read(inputs, strict, Agents::MayBeMissing)
}

/// Reads and translates every input into one state; with [`Agents::Required`], an Ankaios
/// workload without an `agent` key fails it first ([`ManifestError::NoAgent`]).
pub fn read(inputs: &[String], strict: bool, agents: Agents) -> Result<State, ManifestError> {
    if inputs.is_empty() {
        return Err(ManifestError::NoInput);
    }
    let texts = expand(inputs)?;
    if agents == Agents::Required {
        let without: BTreeSet<String> = texts
            .iter()
            .flat_map(|(_, text)| workloads_without_agent(text))
            .collect();
        if !without.is_empty() {
            return Err(ManifestError::NoAgent {
                workloads: without.into_iter().collect(),
            });
        }
    }
    let mut merged = State::new();
    let mut lines = Vec::new();
    for (label, text) in texts {
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

/// The workloads of the Ankaios documents in `text` (mappings without `kind`) whose mapping has
/// neither an `agent` nor a `nodeSelector` key. A document that does not parse has none (podspec
/// reports it).
pub fn workloads_without_agent(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    // A nesting bomb would stall libyaml before podspec reports it: none found here.
    if ank_model::yaml::check_nesting(text).is_err() {
        return names;
    }
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let Ok(Value::Mapping(doc)) = Value::deserialize(document) else {
            continue;
        };
        if doc.contains_key("kind") {
            continue;
        }
        let Some(Value::Mapping(workloads)) = doc.get("workloads") else {
            continue;
        };
        for (name, workload) in workloads {
            let (Value::String(name), Value::Mapping(workload)) = (name, workload) else {
                continue;
            };
            if !workload.contains_key("agent") && !workload.contains_key("nodeSelector") {
                names.push(name.clone());
            }
        }
    }
    names
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

/// (label, text) for each input, directories expanded; each read up to the cap of `ank validate`.
fn expand(inputs: &[String]) -> Result<Vec<(String, String)>, ManifestError> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            let text = input::read_capped(&mut std::io::stdin().lock(), input::STDIN_NAME)?;
            out.push((input::STDIN_NAME.to_owned(), text));
            continue;
        }
        let path = Path::new(input);
        let files = if path.is_dir() {
            dir_files(path)?
        } else {
            vec![path.to_owned()]
        };
        for file in files {
            let read = input::read_file(&file)?;
            out.push((read.name, read.text));
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
    fn a_nesting_bomb_is_refused_by_podspec_without_stalling_the_agent_check() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bomb.yaml");
        let bomb = format!(
            "apiVersion: v1\nworkloads: {}1{}\n",
            "{a: ".repeat(40_000),
            "}".repeat(40_000)
        );
        std::fs::write(&file, bomb).expect("write");
        let start = std::time::Instant::now();
        let err =
            read(&[file.display().to_string()], false, Agents::Required).expect_err("refused");
        let shown = format!("{err:?}");
        assert!(
            shown.contains("flow nesting is deeper than 256 levels"),
            "{shown}"
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
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
    fn workloads_without_an_agent_key_are_found_structurally() {
        let text = "\
apiVersion: v1
workloads:
  none:
    runtime: podman
    runtimeConfig: 'agent: in the text'
  empty:
    agent: \"\"
    runtime: podman
  placed:
    agent: agent_A
    runtime: podman
  selected:
    runtime: native
    nodeSelector: {zone: back}
---
apiVersion: v1
kind: Pod
metadata: {name: pod}
spec: {containers: [{name: c, image: busybox}]}
---
{\"apiVersion\": \"v1\", \"workloads\": {\"json\": {\"runtime\": \"podman\"}}}
";
        assert_eq!(workloads_without_agent(text), ["none", "json"]);
    }

    #[test]
    fn a_required_agent_is_checked_before_anything_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("m.yaml");
        std::fs::write(&file, MANIFEST.replace("    agent: agent_A\n", "")).expect("write");
        let inputs = [file.display().to_string()];
        let err = read(&inputs, false, Agents::Required).expect_err("no agent");
        assert!(matches!(&err, ManifestError::NoAgent { workloads } if workloads == &["a"]));
        let state = read(&inputs, false, Agents::MayBeMissing).expect("reads");
        assert_eq!(state.workloads["a"].agent, "");
        // m3.yaml of the samples: its runtimeConfig is refused too, but the agent comes first.
        std::fs::write(&file, "apiVersion: v1\nworkloads:\n  noagent:\n    runtime: podman\n    runtimeConfig: \"\"\n").expect("write");
        let err = read(&inputs, false, Agents::Required).expect_err("no agent");
        assert!(matches!(err, ManifestError::NoAgent { .. }), "{err:?}");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = read_state(&["/nonexistent/x.yaml".into()], false).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/x.yaml"), "{err}");
    }
}
