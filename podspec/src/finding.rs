//! The verdict types handed to callers (`Finding`, `ResourceReport`, `Options`) and the internal
//! path and sink that checks write into before findings get their line and column.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// How bad a finding is: errors make `ank validate` fail and `ank apply` refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The object would be rejected (by Kubernetes, Ankaios or Anchorage).
    Error,
    /// The object is accepted but something in it will not behave as written.
    Warning,
}

/// One broken rule in one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Stable rule id, e.g. `unknown-field` or `dns1123-name`.
    pub rule: &'static str,
    /// Field path relative to the resource (`spec.containers[1].image`); empty for the whole
    /// document. For display only: a key with a dot or space is bracketed
    /// (`labels[app.kubernetes.io/name]`), one with brackets, quotes or control characters quoted
    /// (`workloads["a[]]"]`).
    pub path: String,
    /// What is wrong, lower-case, naming the bad value.
    pub message: String,
    /// 1-based line in the file, when it could be located.
    pub line: Option<usize>,
    /// 1-based column in the file, when it could be located.
    pub column: Option<usize>,
}

/// The findings for one resource of a file (a `kind: List` contributes one per item).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceReport {
    /// 0-based index of the YAML document in the file (empty documents count for the index).
    pub document: usize,
    /// Index within a `kind: List`'s `items`, if the resource is a list item.
    pub item: Option<usize>,
    /// `Pod`, `Deployment`, … or `AnkaiosManifest`; empty when the document could not be read.
    pub kind: String,
    /// The resource's `apiVersion` as written.
    pub api_version: String,
    /// `metadata.name`, when present.
    pub name: Option<String>,
    /// What is wrong with it, in document order of discovery.
    pub findings: Vec<Finding>,
}

impl ResourceReport {
    /// True when no finding is an error.
    pub fn is_valid(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Error)
    }

    /// True when `ank apply` must refuse this resource: an error or an `unsupported-field` warning.
    pub fn blocks_apply(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Error || f.rule == crate::rules::UNSUPPORTED)
    }
}

/// How strictly to judge.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Unknown fields are errors (otherwise warnings), like `kubectl --validate=strict`.
    pub strict: bool,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A mapping key; the field names checks write are static, so extending a path by one
    /// allocates only the segment vector.
    Key(Cow<'static, str>),
    /// A sequence index.
    Index(usize),
}

/// A field path kept as segments, so that keys containing dots (label names) still locate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Path(pub(crate) Vec<Seg>);

impl Path {
    /// The root of a document.
    pub(crate) fn root() -> Self {
        Path(Vec::new())
    }

    /// This path extended by one from `ank_model`'s validation, segment for segment: never
    /// through its text, since workload and config names may contain any character.
    pub(crate) fn join_model(&self, path: &ank_model::field_path::FieldPath) -> Self {
        use ank_model::field_path::PathSeg;
        let mut segs = self.0.clone();
        segs.extend(path.segments().iter().map(|seg| match seg {
            PathSeg::Key(k) => Seg::Key(Cow::Owned(k.clone())),
            PathSeg::Index(i) => Seg::Index(*i),
        }));
        Path(segs)
    }

    /// Parses a dotted path such as `spec.containers[0].name` (tests only: real paths are built
    /// from the document); keys must not contain dots or brackets.
    #[cfg(test)]
    pub(crate) fn parse(text: &str) -> Self {
        let mut segs = Vec::new();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let mut pieces = part.split('[');
            if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
                segs.push(Seg::Key(Cow::Owned(key.to_owned())));
            }
            for piece in pieces {
                let inner = piece.strip_suffix(']').unwrap_or(piece);
                segs.push(match inner.parse() {
                    Ok(i) => Seg::Index(i),
                    Err(_) => Seg::Key(Cow::Owned(inner.to_owned())),
                });
            }
        }
        Path(segs)
    }

    /// This path extended by a field name.
    pub(crate) fn key(&self, key: &'static str) -> Self {
        self.with(Seg::Key(Cow::Borrowed(key)))
    }

    /// This path extended by a key from the document (a label name, a map key).
    pub(crate) fn key_owned(&self, key: &str) -> Self {
        self.with(Seg::Key(Cow::Owned(key.to_owned())))
    }

    /// This path extended by an index.
    pub(crate) fn idx(&self, index: usize) -> Self {
        self.with(Seg::Index(index))
    }

    fn with(&self, seg: Seg) -> Self {
        let mut segs = Vec::with_capacity(self.0.len() + 1);
        segs.extend(self.0.iter().cloned());
        segs.push(seg);
        Path(segs)
    }

    /// This path with `prefix` cut off (used to show list-item paths relative to the item).
    pub(crate) fn strip(&self, prefix: usize) -> Path {
        Path(self.0.get(prefix..).unwrap_or_default().to_vec())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                // Keys that would be misread as path syntax are bracketed or quoted, as the model does.
                Seg::Key(k) => ank_model::field_path::write_key(f, k, i == 0)?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A finding before it is located: the path is still in segments, relative to the document.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub(crate) severity: Severity,
    pub(crate) rule: &'static str,
    pub(crate) path: Path,
    pub(crate) message: String,
    /// A position already known (from the YAML parser), which wins over locating the path.
    pub(crate) at: Option<(usize, usize)>,
}

/// Where checks put what they find.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) raws: Vec<Raw>,
}

impl Sink {
    /// Records an error.
    pub(crate) fn error(&mut self, rule: &'static str, path: Path, message: impl Into<String>) {
        self.push(Severity::Error, rule, path, message.into());
    }

    /// Records a warning.
    pub(crate) fn warn(&mut self, rule: &'static str, path: Path, message: impl Into<String>) {
        self.push(Severity::Warning, rule, path, message.into());
    }

    /// Records a finding of the given severity.
    pub(crate) fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        path: Path,
        message: String,
    ) {
        self.raws.push(Raw {
            severity,
            rule,
            path,
            message,
            at: None,
        });
    }
}
