//! Expands the `-f` arguments of `ank validate` into named texts: files as given, directories
//! walked recursively (`*.yaml`, `*.yml`, `*.json`, sorted by name), `-` read from stdin once.
//!
//! Inputs are bounded: each file (or stdin) is read up to [`MAX_INPUT_BYTES`], so `/dev/zero`
//! or a huge file stops at the cap; the walk follows symlinks but enters each directory and
//! reads each file once (by device and inode), so a symlink loop ends with a warning.

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The name under which stdin's findings are reported.
pub const STDIN_NAME: &str = "<stdin>";

/// The most bytes read from one file or from stdin (16 MiB).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

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
    /// A file (or stdin) holds more than the cap.
    #[error("{path} is larger than the input limit of {cap} bytes (16 MiB)")]
    TooLarge {
        /// The file, or [`STDIN_NAME`].
        path: String,
        /// The cap, [`MAX_INPUT_BYTES`].
        cap: u64,
    },
}

/// One text to validate and the name to report it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given or found (`examples/k8s/pod.yaml`), or [`STDIN_NAME`].
    pub name: String,
    /// The file's content.
    pub text: String,
}

/// What the arguments expanded into.
#[derive(Debug, Default)]
pub struct Collected {
    /// The texts, in argument order, each file once.
    pub inputs: Vec<Input>,
    /// Paths skipped because the walk had already been there (symlink loops), as messages.
    pub warnings: Vec<String>,
}

/// Identity of a file or directory, whatever path leads to it.
type FileId = (u64, u64);

fn file_id(meta: &std::fs::Metadata) -> FileId {
    (meta.dev(), meta.ino())
}

/// The files and directories already met, and the warnings of the walk.
#[derive(Default)]
struct Walk {
    files: Vec<Option<PathBuf>>,
    seen: BTreeSet<FileId>,
    warnings: Vec<String>,
}

impl Walk {
    /// Queues a file unless the same file (by inode) is already queued.
    fn push_file(&mut self, path: PathBuf) {
        // A path that cannot be stat'ed is queued anyway: reading it reports the error.
        if let Ok(meta) = std::fs::metadata(&path) {
            if !self.seen.insert(file_id(&meta)) {
                return;
            }
        }
        self.files.push(Some(path));
    }
}

/// Reads every input in argument order; a file named twice (or reached twice) is read once.
pub fn collect(paths: &[PathBuf], stdin: &mut dyn Read) -> Result<Collected, InputError> {
    let mut walk = Walk::default();
    let mut stdin_queued = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if !stdin_queued {
                stdin_queued = true;
                walk.files.push(None);
            }
        } else if path.is_dir() {
            walk_dir(path, &mut walk)?;
        } else {
            walk.push_file(path.clone());
        }
    }
    let mut inputs = Vec::new();
    for file in walk.files {
        inputs.push(match file {
            None => Input {
                name: STDIN_NAME.to_owned(),
                text: read_capped(stdin, STDIN_NAME).map_err(|e| match e {
                    InputError::ReadFile { source, .. } => InputError::Stdin(source),
                    other => other,
                })?,
            },
            Some(path) => read_file(&path)?,
        });
    }
    Ok(Collected {
        inputs,
        warnings: walk.warnings,
    })
}

/// Reads a file of at most [`MAX_INPUT_BYTES`], whatever its kind (`/dev/zero` included).
pub fn read_file(path: &Path) -> Result<Input, InputError> {
    let name = path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|source| InputError::ReadFile {
        path: name.clone(),
        source,
    })?;
    let text = read_capped(&mut file, &name)?;
    Ok(Input { name, text })
}

/// Reads `reader` as UTF-8 up to the cap; one byte more than the cap is [`InputError::TooLarge`].
pub fn read_capped(reader: &mut dyn Read, name: &str) -> Result<String, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::ReadFile {
            path: name.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            path: name.to_owned(),
            cap: MAX_INPUT_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| InputError::ReadFile {
        path: name.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    })
}

/// Appends the manifests under `dir`, depth first, entries sorted by file name; a directory
/// already entered (a symlink loop, or two links to one directory) is skipped with a warning.
fn walk_dir(dir: &Path, walk: &mut Walk) -> Result<(), InputError> {
    let read_dir_error = |source| InputError::ReadDir {
        path: dir.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(dir).map_err(read_dir_error)?;
    if !walk.seen.insert(file_id(&meta)) {
        walk.warnings.push(format!(
            "{}: directory already walked (symlink loop?), skipped",
            dir.display()
        ));
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir)
        .map_err(read_dir_error)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_dir_error)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk_dir(&path, walk)?;
        } else if is_manifest(&path) {
            walk.push_file(path);
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
        let inputs = collect(&[root.to_path_buf()], &mut io::empty())
            .expect("reads")
            .inputs;
        let names: Vec<_> = inputs.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(names, ["a.yml", "b.yaml", "c.json", "sub/z.yaml"]);
    }

    #[test]
    fn stdin_is_read_once_and_named() {
        let dash = PathBuf::from("-");
        let inputs = collect(&[dash.clone(), dash], &mut "kind: Pod".as_bytes())
            .expect("reads")
            .inputs;
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

    #[test]
    fn a_symlink_loop_ends_and_counts_each_file_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("a")).expect("mkdir");
        std::fs::write(root.join("a/pod.yaml"), "a").expect("write");
        std::fs::write(root.join("top.yaml"), "top").expect("write");
        std::os::unix::fs::symlink("..", root.join("a/loop")).expect("symlink");
        std::os::unix::fs::symlink("top.yaml", root.join("z.yaml")).expect("symlink");
        let collected = collect(&[root.to_path_buf()], &mut io::empty()).expect("reads");
        let texts: Vec<_> = collected.inputs.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["a", "top"]);
        assert_eq!(collected.warnings.len(), 1, "{:?}", collected.warnings);
        assert!(
            collected.warnings[0].contains("loop"),
            "{:?}",
            collected.warnings
        );
    }

    #[test]
    fn input_beyond_the_cap_is_refused_naming_it() {
        let big = io::repeat(b'a').take(MAX_INPUT_BYTES + 1);
        let err = read_capped(&mut { big }, "big.yaml").expect_err("too large");
        assert_eq!(
            err.to_string(),
            "big.yaml is larger than the input limit of 16777216 bytes (16 MiB)"
        );
        let exact = io::repeat(b'a').take(MAX_INPUT_BYTES);
        let text = read_capped(&mut { exact }, "ok.yaml").expect("at the cap");
        assert_eq!(text.len() as u64, MAX_INPUT_BYTES);
    }

    #[test]
    fn dev_zero_stops_at_the_cap() {
        let err = collect(&[PathBuf::from("/dev/zero")], &mut io::empty()).expect_err("capped");
        assert!(matches!(err, InputError::TooLarge { .. }), "{err:?}");
    }
}
