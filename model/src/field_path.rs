//! A field path into a manifest (`workloads.nginx.files[0]`) kept as segments built from the
//! parsed document. Names come from users and may contain any character, so a path is never
//! parsed back from its text: the text form is for display only, and locating a finding walks
//! the segments.

use std::fmt;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    /// A mapping key: a field name or a name from the document (workload, config, alias).
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path from the document root, one segment per mapping key or list index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(Vec<PathSeg>);

impl FieldPath {
    /// The root of the document (displays as the empty string).
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path extended by a mapping key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathSeg::Key(key.into()));
        self
    }

    /// This path extended by a list index.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathSeg::Index(index));
        self
    }

    /// This path followed by `rest`.
    #[must_use]
    pub fn join(mut self, rest: &FieldPath) -> Self {
        self.0.extend(rest.0.iter().cloned());
        self
    }

    /// The segments, root first.
    pub fn segments(&self) -> &[PathSeg] {
        &self.0
    }
}

/// Writes `key` as the `first` or a later segment of a displayed path. Plain names keep the
/// dotted form (`metadata.name`); a key with a dot or space is bracketed as before
/// (`labels[app.kubernetes.io/name]`); anything the bracketed form could not show unambiguously
/// (brackets, quotes, backslashes, control characters, the empty key) is quoted and escaped
/// (`workloads["a[]]"]`).
pub fn write_key(f: &mut impl fmt::Write, key: &str, first: bool) -> fmt::Result {
    let needs_quotes = key.is_empty()
        || key
            .chars()
            .any(|c| matches!(c, '[' | ']' | '"' | '\\') || c.is_control());
    if needs_quotes {
        write!(f, "[{key:?}]")
    } else if key.contains(['.', ' ']) {
        write!(f, "[{key}]")
    } else if first {
        f.write_str(key)
    } else {
        write!(f, ".{key}")
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) => write_key(f, k, i == 0)?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_keep_the_dotted_form() {
        let p = FieldPath::root()
            .key("workloads")
            .key("nginx")
            .key("files")
            .index(0);
        assert_eq!(p.to_string(), "workloads.nginx.files[0]");
    }

    #[test]
    fn odd_names_are_bracketed_or_quoted() {
        let at = |k: &str| {
            FieldPath::root()
                .key("workloads")
                .key(k)
                .key("agent")
                .to_string()
        };
        assert_eq!(at("a.b"), "workloads[a.b].agent");
        assert_eq!(at("a[]]"), r#"workloads["a[]]"].agent"#);
        assert_eq!(at("q\"\n"), r#"workloads["q\"\n"].agent"#);
        assert_eq!(at(""), r#"workloads[""].agent"#);
        assert_eq!(at("café"), "workloads.café.agent");
    }
}
