//! Expands the `-f` arguments of `ank validate` into named texts: files as given, directories
//! walked recursively (`*.yaml`, `*.yml`, `*.json`, sorted by name), `-` read from stdin once.

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The name under which stdin's findings are reported.
pub const STDIN_NAME: &str = "<stdin>";

/// Why an input could not be read; `ank validate` exits with 2 on any of them.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A file is missing, unreadable or not UTF-8.
    #[error("cannot read {path}")]
    ReadFile {
        /// The file as the user named it (or as found under a directory).
        path: String,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// A directory could not be listed.
    #[error("cannot list directory {path}")]
    ReadDir {
        /// The directory.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// Reading stdin failed.
    #[error("cannot read stdin")]
    Stdin(#[source] io::Error),
}

/// One text to validate and the name to report it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given or found (`examples/k8s/pod.yaml`), or [`STDIN_NAME`].
    pub name: String,
    /// The file's content.
    pub text: String,
}

/// Reads every input in argument order; a path named twice is read once.
pub fn collect(paths: &[PathBuf], stdin: &mut dyn Read) -> Result<Vec<Input>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            files.push(None);
        } else if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(Some(path.clone()));
        }
    }
    let mut seen = BTreeSet::new();
    let mut inputs = Vec::new();
    for file in files {
        if !seen.insert(file.clone()) {
            continue;
        }
        inputs.push(match file {
            None => {
                let mut text = String::new();
                stdin.read_to_string(&mut text).map_err(InputError::Stdin)?;
                Input {
                    name: STDIN_NAME.to_owned(),
                    text,
                }
            }
            Some(path) => read_file(&path)?,
        });
    }
    Ok(inputs)
}

fn read_file(path: &Path) -> Result<Input, InputError> {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Input { name, text }),
        Err(source) => Err(InputError::ReadFile { path: name, source }),
    }
}

/// Appends the manifests under `dir`, depth first, entries sorted by file name.
fn walk(dir: &Path, files: &mut Vec<Option<PathBuf>>) -> Result<(), InputError> {
    let read_dir_error = |source| InputError::ReadDir {
        path: dir.display().to_string(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(read_dir_error)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_dir_error)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else if is_manifest(&path) {
            files.push(Some(path));
        }
    }
    Ok(())
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_sorted_and_filtered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).expect("mkdir");
        for name in ["b.yaml", "a.yml", "c.json", "notes.txt", "sub/z.yaml"] {
            std::fs::write(root.join(name), name).expect("write");
        }
        let inputs = collect(&[root.to_path_buf()], &mut io::empty()).expect("reads");
        let names: Vec<_> = inputs.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(names, ["a.yml", "b.yaml", "c.json", "sub/z.yaml"]);
    }

    #[test]
    fn stdin_is_read_once_and_named() {
        let dash = PathBuf::from("-");
        let inputs = collect(&[dash.clone(), dash], &mut "kind: Pod".as_bytes()).expect("reads");
        assert_eq!(
            inputs,
            [Input {
                name: STDIN_NAME.into(),
                text: "kind: Pod".into()
            }]
        );
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let err = collect(&[PathBuf::from("/nonexistent/x.yaml")], &mut io::empty())
            .expect_err("missing");
        assert_eq!(err.to_string(), "cannot read /nonexistent/x.yaml");
    }
}
