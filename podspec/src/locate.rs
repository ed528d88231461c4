//! Maps (document index, field path) to a line and column in the file. It re-reads the file with
//! saphyr-parser's event parser, once and only when some finding needs a position, so the happy
//! path never pays for it.

use std::cell::OnceCell;

use saphyr_parser::{Event, Parser, Span};

use crate::finding::{Path, Seg};

/// What the walk needs from one event: its shape, a key's text, and where it starts.
#[derive(Debug)]
enum Ev {
    MapStart,
    MapEnd,
    SeqStart,
    SeqEnd,
    Scalar(String),
    Alias,
}

/// The events of one document with their 1-based (line, column).
type Doc = Vec<(Ev, (usize, usize))>;

/// Locates paths in one file; cheap to create, parses on first use.
pub(crate) struct Locator<'a> {
    text: &'a str,
    docs: OnceCell<Vec<Doc>>,
}

impl<'a> Locator<'a> {
    /// A locator over `text`; nothing is parsed yet.
    pub(crate) fn new(text: &'a str) -> Self {
        Locator {
            text,
            docs: OnceCell::new(),
        }
    }

    /// The position of `path` in document `doc`: the key of the last segment found. A path that
    /// goes deeper than the file (a missing required field) yields its deepest existing parent.
    pub(crate) fn locate(&self, doc: usize, path: &Path) -> Option<(usize, usize)> {
        let docs = self.docs.get_or_init(|| parse(self.text));
        let events = docs.get(doc)?;
        let mut pos = 0;
        let mut best = events.first()?.1;
        for seg in &path.0 {
            match (&events.get(pos)?.0, seg) {
                (Ev::MapStart, Seg::Key(want)) => {
                    let mut p = pos + 1;
                    let mut found = false;
                    while !matches!(events.get(p), Some((Ev::MapEnd, _)) | None) {
                        let value = skip(events, p);
                        if let Some((Ev::Scalar(key), at)) = events.get(p) {
                            if key == want {
                                best = *at;
                                pos = value;
                                found = true;
                                break;
                            }
                        }
                        p = skip(events, value);
                    }
                    if !found {
                        return Some(best);
                    }
                }
                (Ev::SeqStart, Seg::Index(want)) => {
                    let mut p = pos + 1;
                    for _ in 0..*want {
                        if matches!(events.get(p), Some((Ev::SeqEnd, _)) | None) {
                            return Some(best);
                        }
                        p = skip(events, p);
                    }
                    match events.get(p) {
                        Some((Ev::SeqEnd, _)) | None => return Some(best),
                        Some((_, at)) => best = *at,
                    }
                    pos = p;
                }
                _ => return Some(best),
            }
        }
        Some(best)
    }
}

/// The index just after the node that starts at `p`.
fn skip(events: &Doc, p: usize) -> usize {
    let mut depth = 0usize;
    let mut p = p;
    loop {
        match events.get(p).map(|e| &e.0) {
            None => return p,
            Some(Ev::MapStart | Ev::SeqStart) => depth += 1,
            Some(Ev::MapEnd | Ev::SeqEnd) => depth = depth.saturating_sub(1),
            Some(Ev::Scalar(_) | Ev::Alias) => {}
        }
        p += 1;
        if depth == 0 {
            return p;
        }
    }
}

/// Deeper nesting than this is not located: serde_yaml_ng refuses it anyway (at 128), and
/// saphyr's scanner gets slower with every open level, so a nesting bomb must stop early.
pub(crate) const MAX_DEPTH: usize = 256;

/// All documents' events; stops quietly at the first syntax error (that is reported elsewhere)
/// or when nesting exceeds [`MAX_DEPTH`].
fn parse(text: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    let mut current: Option<Doc> = None;
    let mut depth = 0usize;
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_DEPTH {
            break;
        }
        let at = position(&span);
        let ev = match event {
            Event::DocumentStart(_) => {
                current = Some(Vec::new());
                continue;
            }
            Event::DocumentEnd => {
                docs.extend(current.take());
                continue;
            }
            Event::MappingStart(..) => Ev::MapStart,
            Event::MappingEnd => Ev::MapEnd,
            Event::SequenceStart(..) => Ev::SeqStart,
            Event::SequenceEnd => Ev::SeqEnd,
            Event::Scalar(value, ..) => Ev::Scalar(value.into_owned()),
            Event::Alias(_) => Ev::Alias,
            Event::StreamStart | Event::StreamEnd | Event::Nothing => continue,
        };
        if let Some(doc) = current.as_mut() {
            doc.push((ev, at));
        }
    }
    docs.extend(current.take());
    docs
}

fn position(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, doc: usize, path: &str) -> Option<(usize, usize)> {
        Locator::new(text).locate(doc, &Path::parse(path))
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: one\n    image: x\n  - name: two\n    ports:\n    - containerPort: 80\n";

    #[test]
    fn finds_keys_and_list_items() {
        assert_eq!(at(POD, 0, "kind"), Some((2, 1)));
        assert_eq!(at(POD, 0, "spec.containers[1].name"), Some((9, 5)));
        assert_eq!(
            at(POD, 0, "spec.containers[1].ports[0].containerPort"),
            Some((11, 7))
        );
        assert_eq!(at(POD, 0, "spec.containers[0]"), Some((7, 5)));
    }

    #[test]
    fn missing_field_points_at_the_deepest_parent() {
        assert_eq!(at(POD, 0, "spec.containers[1].image"), Some((9, 5)));
        assert_eq!(at(POD, 0, "metadata.labels"), Some((3, 1)));
        assert_eq!(at(POD, 0, "spec.containers[7].name"), Some((6, 3)));
    }

    #[test]
    fn documents_are_counted_in_file_lines() {
        let text = format!("# c\n---\n{POD}---\n{POD}");
        assert_eq!(at(&text, 1, "spec.containers[1].name"), Some((23, 5)));
        assert_eq!(at(&text, 2, "kind"), None);
    }

    #[test]
    fn json_flow_style_locates() {
        let text = "{\"kind\": \"Pod\",\n \"spec\": {\"containers\": [{\"name\": \"a\"}]}}";
        assert_eq!(at(text, 0, "spec.containers[0].name"), Some((2, 27)));
    }
}
