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

/// A name from the document as messages quote it: as written when it is plain, else with control
/// characters escaped (a name must not break a line of output or drive the terminal) and cut
/// after [`SHOWN_CHARS`] characters (a 10 000-character name would bury the message).
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(pub &'a str);

/// How much of a name a message quotes.
pub const SHOWN_CHARS: usize = 100;

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.chars().enumerate() {
            if i == SHOWN_CHARS {
                return f.write_str("…");
            }
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
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

    #[test]
    fn shown_names_escape_controls_and_stop_at_the_cap() {
        assert_eq!(Shown("web").to_string(), "web");
        assert_eq!(Shown("a\n\u{1b}[31m").to_string(), "a\\n\\u{1b}[31m");
        let long = Shown(&"x".repeat(10_000)).to_string();
        assert_eq!(long, format!("{}…", "x".repeat(SHOWN_CHARS)));
    }
}
