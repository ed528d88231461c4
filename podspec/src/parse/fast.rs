//! The fast path: a document's events in a flat buffer (from `lean`, or from saphyr-parser
//! here in [`documents`]) straight into the k8s-openapi type for the five translated kinds
//! ([`read_document`]), with no `Value`, no `serde_ignored` and no `serde_path_to_error` in
//! between.
//!
//! Whatever is unusual leaves the fast path, so that findings stay exactly those of
//! serde_yaml_ng:
//! - a document that does not deserialize cleanly (type errors, unknown fields, other kinds,
//!   lists, Ankaios manifests) gets its `Value` built from the buffer and takes the `Value` path;
//! - a file with a syntax error, an anchor, alias or tag, a directive, a byte order mark, a tab,
//!   a plain scalar libyaml refuses (see `libyaml_refuses_plain`), deep
//!   nesting, a key that is a collection or spans lines, a duplicate key or a huge integer is
//!   read again entirely by serde_yaml_ng
//!   ([`NeedsLibyaml`]), which reports those with their positions.

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::de::from_events;
use super::events::{get, str_at, to_value, Ev, NeedsLibyaml, OnDocument};
use super::{api_version_of, check_drops, empty_resource, read_value, Object, Resource};
use crate::finding::{Path, Sink};
use crate::Options;

/// Nesting beyond this goes to serde_yaml_ng, which stops at 128 levels with an error.
pub(super) const MAX_DEPTH: usize = 100;

/// Keys longer than this (in chars) go to libyaml, which refuses implicit keys over 1024.
pub(super) const MAX_KEY: usize = 512;

/// An open collection while reading events.
#[derive(Debug, Clone, Copy)]
enum Open {
    Seq,
    /// A mapping whose next node is a key.
    Key,
    /// A mapping whose next node is a value.
    Value,
}

/// Reads `text` with saphyr-parser, handing each document's events to `each`; fails early
/// when the file needs serde_yaml_ng.
pub(super) fn documents(text: &str, each: &mut OnDocument<'_>) -> Result<(), NeedsLibyaml> {
    // Directives, byte order marks and tabs (libyaml and saphyr disagree on where tabs may be
    // whitespace) are left to libyaml.
    if text.starts_with('%')
        || text.contains("\n%")
        || text.contains('\t')
        || text.contains('\u{feff}')
    {
        return Err(NeedsLibyaml);
    }
    if glued_marker(text) {
        return Err(NeedsLibyaml);
    }
    // A plain scalar right before `:` and a flow indicator is an error for libyaml.
    let colon_flow = has_colon_flow(text);
    let mut offsets = Offsets::new(text);
    let mut evs: Vec<Ev<'_>> = Vec::new();
    let mut document = 0usize;
    // Where each open collection is: a sequence, or a mapping expecting a key or a value.
    let mut open: Vec<Open> = Vec::new();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|_| NeedsLibyaml)?;
        let ev = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                evs.clear();
                continue;
            }
            Event::DocumentEnd => {
                each(document, &evs)?;
                document += 1;
                continue;
            }
            Event::Alias(_) => return Err(NeedsLibyaml),
            Event::Scalar(value, ScalarStyle::Plain, 0, None)
                if libyaml_refuses_plain(&value)
                    || (colon_flow
                        && colon_flow_at(text.as_bytes(), offsets.byte(span.end.index()))) =>
            {
                return Err(NeedsLibyaml)
            }
            Event::Scalar(value, style, 0, None) => Ev::Scalar(value, style == ScalarStyle::Plain),
            Event::SequenceStart(0, None) => Ev::SeqStart,
            Event::MappingStart(0, None) => Ev::MapStart,
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) => {
                return Err(NeedsLibyaml)
            }
            Event::SequenceEnd => Ev::SeqEnd,
            Event::MappingEnd => Ev::MapEnd,
        };
        if !matches!(ev, Ev::MapEnd | Ev::SeqEnd) {
            match open.last_mut() {
                Some(top @ Open::Key) => {
                    // libyaml wants implicit keys on one line with their `:` and short, and
                    // refuses empty keys in flow mappings; saphyr is laxer, so such keys (and
                    // collections as keys) go to libyaml.
                    let simple = span.start.line() == span.end.line()
                        && span.end.index() - span.start.index() < MAX_KEY
                        && !matches!(&ev, Ev::Scalar(s, true) if s.is_empty())
                        && colon_follows(text.as_bytes(), offsets.byte(span.end.index()));
                    if !matches!(ev, Ev::Scalar(..)) || !simple {
                        return Err(NeedsLibyaml);
                    }
                    *top = Open::Value;
                }
                Some(top @ Open::Value) => *top = Open::Key,
                Some(Open::Seq) | None => {}
            }
        }
        match ev {
            Ev::MapStart => open.push(Open::Key),
            Ev::SeqStart => open.push(Open::Seq),
            Ev::MapEnd | Ev::SeqEnd => {
                open.pop();
            }
            Ev::Scalar(..) => {}
        }
        if open.len() > MAX_DEPTH {
            return Err(NeedsLibyaml);
        }
        evs.push(ev);
    }
    Ok(())
}

/// Plain scalars saphyr reads as text where libyaml refuses them: starting with an indicator
/// (saphyr lets `|`, `>`, `:` or `?` start one in flow context), or with `:` followed by one of `,?[]{}`
/// (libyaml refuses that in flow context). They go to libyaml wherever they are.
fn libyaml_refuses_plain(value: &str) -> bool {
    value.starts_with([
        '|', '>', '%', '@', '`', '!', '&', '*', '#', '\'', '"', '[', ']', '{', '}', ',', ':', '?',
    ]) || value.contains(':')
        && value
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b':' && b",?[]{}".contains(&w[1]))
}

/// A `---` or `...` at the start of a line with text right after it: saphyr reads a document
/// marker, libyaml a plain scalar.
fn glued_marker(text: &str) -> bool {
    let mut starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1));
    starts.any(|i| {
        let line = &text.as_bytes()[i..];
        (line.starts_with(b"---") || line.starts_with(b"..."))
            && line.get(3).is_some_and(|b| !b" \r\n".contains(b))
    })
}

/// Whether the `:` of a key ending at `i` follows on the same line (after spaces).
fn colon_follows(bytes: &[u8], i: usize) -> bool {
    let rest = bytes.get(i..).unwrap_or_default();
    rest.iter().find(|b| **b != b' ') == Some(&b':')
}

/// Turns saphyr's char offsets into byte offsets, cheaply for offsets that only grow.
struct Offsets<'t> {
    text: &'t str,
    ascii: bool,
    /// A char offset and its byte offset, where the last walk stopped.
    at: (usize, usize),
}

impl<'t> Offsets<'t> {
    fn new(text: &'t str) -> Self {
        Offsets {
            text,
            ascii: text.is_ascii(),
            at: (0, 0),
        }
    }

    /// The byte offset of char offset `chars`, or the text's length past its end.
    fn byte(&mut self, chars: usize) -> usize {
        if self.ascii {
            return chars;
        }
        if chars < self.at.0 {
            self.at = (0, 0);
        }
        let (from_char, from_byte) = self.at;
        let rest = self.text.get(from_byte..).unwrap_or_default();
        let byte = rest
            .char_indices()
            .nth(chars - from_char)
            .map_or(self.text.len(), |(i, _)| from_byte + i);
        self.at = (chars, byte);
        byte
    }
}

/// Whether `text` has `:` followed by one of `,?[]{}` anywhere.
fn has_colon_flow(text: &str) -> bool {
    text.match_indices(':')
        .any(|(i, _)| colon_flow_at(text.as_bytes(), i))
}

/// Whether `bytes` has `:` followed by one of `,?[]{}` at `i`.
fn colon_flow_at(bytes: &[u8], i: usize) -> bool {
    bytes.get(i) == Some(&b':') && bytes.get(i + 1).is_some_and(|b| b",?[]{}".contains(b))
}

/// One document: typed straight from its events when that succeeds, else through `Value`.
pub(super) fn read_document(
    document: usize,
    evs: &[Ev<'_>],
    options: &Options,
    out: &mut Vec<Resource>,
) -> Result<(), NeedsLibyaml> {
    if let Some(res) = read_typed(document, evs) {
        out.push(res);
        return Ok(());
    }
    let mut pos = 0;
    let value = to_value(evs, &mut pos)?;
    if pos != evs.len() {
        return Err(NeedsLibyaml);
    }
    if !value.is_null() {
        read_value(document, None, Path::root(), value, options, out);
    }
    Ok(())
}

/// A Pod, Deployment, Job, ConfigMap, Secret or PersistentVolumeClaim with the right `apiVersion` that deserializes
/// without errors or ignored fields; `None` for anything else.
fn read_typed(document: usize, evs: &[Ev<'_>]) -> Option<Resource> {
    let field = |key| get(evs, 0, key).and_then(|p| str_at(evs, p));
    let kind = field("kind")?;
    let api_version = field("apiVersion").unwrap_or_default();
    if api_version_of(kind)? != api_version {
        return None;
    }
    let object = match kind {
        "Pod" => Object::Pod(from_events(evs).ok()?),
        "Deployment" => Object::Deployment(from_events(evs).ok()?),
        "Job" => Object::Job(from_events(evs).ok()?),
        "ConfigMap" => Object::ConfigMap(from_events(evs).ok()?),
        "Secret" => Object::Secret(from_events(evs).ok()?),
        "PersistentVolumeClaim" => Object::Claim(from_events(evs).ok()?),
        _ => return None,
    };
    let mut res = empty_resource(document, None, Path::root(), Sink::default());
    res.kind = kind.to_owned();
    res.api_version = api_version.to_owned();
    res.name = get(evs, 0, "metadata")
        .and_then(|m| get(evs, m, "name"))
        .and_then(|p| str_at(evs, p))
        .map(str::to_owned);
    check_drops(&object, &res.prefix, &mut res.sink);
    res.object = Some(object);
    Some(res)
}
