//! The leanest reader: a byte scanner for the plain block-style YAML that nearly every
//! Kubernetes manifest is written in. It gives exactly the events saphyr-parser gives (the
//! differential tests in `tests/lean.rs` hold it to that), several times faster.
//!
//! What it reads: printable ASCII; `---` between documents; block mappings and sequences
//! (including a sequence at its key's indent); one-line flow collections; plain scalars and
//! one-line quoted scalars; `|` and `|-` literals; comments. Anything else (multi-line plain or
//! quoted scalars, folded scalars, anchors, tags, directives, `...`, tabs, CR, non-ASCII, deep
//! nesting, …), and any input that is not valid YAML, makes it give up on the whole file with
//! [`Unsupported`]: the file then takes the saphyr path, which knows the rest of YAML and where
//! saphyr and libyaml disagree.

use std::borrow::Cow;

use super::events::{byte_set, Ev, NeedsLibyaml, OnDocument};
use super::fast::{MAX_DEPTH, MAX_KEY};

/// The file needs a full YAML parser: it leaves the subset this reader knows, or is invalid.
#[derive(Debug)]
pub(super) struct Unsupported;

impl From<NeedsLibyaml> for Unsupported {
    fn from(_: NeedsLibyaml) -> Self {
        Unsupported
    }
}

type Result<T> = std::result::Result<T, Unsupported>;

/// Reads every document of `text`, handing each one's events to `each`.
pub(super) fn read(text: &str, each: &mut OnDocument<'_>) -> Result<()> {
    if !printable_ascii(text.as_bytes()) {
        return Err(Unsupported);
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        next: 0,
        line: 0,
        evs: Vec::new(),
        stack: Vec::new(),
        document: 0,
        open: false,
    };
    reader.read(each)
}

/// What kind of block collection is open.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Map,
    Seq,
    /// A sequence whose `-` sit at the indent of the mapping whose value it is.
    CompactSeq,
}

/// An open block collection.
#[derive(Debug, Clone, Copy)]
struct Block {
    kind: Kind,
    /// The column of its keys or dashes.
    indent: usize,
    /// A key (or dash) was read whose value has not started yet.
    pending: bool,
}

/// How a plain scalar ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stop {
    /// At the end of the line or at a comment.
    Line,
    /// At the `:` of a key.
    Colon,
    /// At a `,`, `]` or `}` inside a flow collection.
    Flow,
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// Where the next line starts.
    next: usize,
    /// Where the current line starts.
    line: usize,
    evs: Vec<Ev<'t>>,
    stack: Vec<Block>,
    document: usize,
    /// Whether a document has started (explicitly or by content).
    open: bool,
}

impl<'t> Reader<'t> {
    fn read(&mut self, each: &mut OnDocument<'_>) -> Result<()> {
        while let Some((start, end)) = self.take_line() {
            let line = &self.bytes[start..end];
            if line.starts_with(b"---") || line.starts_with(b"...") {
                // `...`, and markers glued to text (read differently by saphyr and libyaml),
                // are left to the full parsers.
                if line.starts_with(b"...") || !self.blank_from(start + 3, end) {
                    return Err(Unsupported);
                }
                if self.open {
                    self.finish(each)?;
                }
                self.open = true;
                continue;
            }
            let at = self.skip_spaces(start, end);
            if at == end || self.bytes[at] == b'#' {
                continue;
            }
            self.open = true;
            self.block_line(at, end)?;
        }
        if self.open {
            self.finish(each)?;
        }
        Ok(())
    }

    /// The next line as (start, end) without its `\n`, and moves past it.
    fn take_line(&mut self) -> Option<(usize, usize)> {
        let line = self.peek_line()?;
        self.line = line.0;
        // Past the `\n`, or past the end when the last line has none.
        self.next = line.1 + 1;
        Some(line)
    }

    fn peek_line(&self) -> Option<(usize, usize)> {
        let start = self.next;
        let rest = self.bytes.get(start..)?;
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(self.bytes.len(), |i| start + i);
        Some((start, end))
    }

    /// Closes the document and hands its events on.
    fn finish(&mut self, each: &mut OnDocument<'_>) -> Result<()> {
        self.fill_pending();
        while !self.stack.is_empty() {
            self.close();
        }
        if self.evs.is_empty() {
            self.evs.push(null());
        }
        each(self.document, &self.evs)?;
        self.document += 1;
        self.evs.clear();
        self.open = false;
        Ok(())
    }

    /// A line whose content starts at `at` in block context.
    fn block_line(&mut self, at: usize, end: usize) -> Result<()> {
        let indent = at - self.line;
        let entry = self.is_entry(at, end);
        if let Some(top) = self.stack.last_mut() {
            if top.pending {
                let more = indent > top.indent;
                let compact = indent == top.indent && entry && top.kind == Kind::Map;
                if more || compact {
                    top.pending = false;
                    return self.block_node(at, end, compact);
                }
                self.fill_pending();
            }
        }
        while let Some(top) = self.stack.last() {
            let ends_compact = top.kind == Kind::CompactSeq && top.indent == indent && !entry;
            if top.indent <= indent && !ends_compact {
                break;
            }
            self.close();
        }
        match self.stack.last() {
            None if self.evs.is_empty() => self.block_node(at, end, false),
            Some(top) if top.indent == indent => match (top.kind, entry) {
                (Kind::Map, false) => {
                    let (key, after) = self.key(at, end)?.ok_or(Unsupported)?;
                    self.key_value(key, after, end)
                }
                (Kind::Seq | Kind::CompactSeq, true) => self.entry(at, end),
                _ => Err(Unsupported),
            },
            _ => Err(Unsupported),
        }
    }

    /// A new block collection whose first key or dash is at `at`.
    fn block_node(&mut self, at: usize, end: usize, compact: bool) -> Result<()> {
        let indent = at - self.line;
        if self.is_entry(at, end) {
            let kind = if compact { Kind::CompactSeq } else { Kind::Seq };
            self.push(kind, indent)?;
            return self.entry(at, end);
        }
        let (key, after) = self.key(at, end)?.ok_or(Unsupported)?;
        self.push(Kind::Map, indent)?;
        self.key_value(key, after, end)
    }

    fn push(&mut self, kind: Kind, indent: usize) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Unsupported);
        }
        self.stack.push(Block {
            kind,
            indent,
            pending: false,
        });
        self.evs.push(match kind {
            Kind::Map => Ev::MapStart,
            Kind::Seq | Kind::CompactSeq => Ev::SeqStart,
        });
        Ok(())
    }

    fn close(&mut self) {
        if let Some(block) = self.stack.pop() {
            self.evs.push(match block.kind {
                Kind::Map => Ev::MapEnd,
                Kind::Seq | Kind::CompactSeq => Ev::SeqEnd,
            });
        }
    }

    /// A value that never came is null.
    fn fill_pending(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            if top.pending {
                top.pending = false;
                self.evs.push(null());
            }
        }
    }

    fn set_pending(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            top.pending = true;
        }
    }

    /// The key has been read up to `after` (just past its `:`); its value follows.
    fn key_value(&mut self, key: Ev<'t>, after: usize, end: usize) -> Result<()> {
        self.evs.push(key);
        let at = self.skip_spaces(after, end);
        if at == end || self.bytes[at] == b'#' {
            self.set_pending();
            return Ok(());
        }
        self.value(at, end)
    }

    /// A sequence entry: the `-` at `at`, then its node on the same line or below.
    fn entry(&mut self, at: usize, end: usize) -> Result<()> {
        let node = self.skip_spaces(at + 1, end);
        if node == end || self.bytes[node] == b'#' {
            self.set_pending();
            return Ok(());
        }
        if self.is_entry(node, end) {
            return self.block_node(node, end, false);
        }
        match self.key(node, end)? {
            Some((key, after)) => {
                self.push(Kind::Map, node - self.line)?;
                self.key_value(key, after, end)
            }
            None => self.value(node, end),
        }
    }

    /// A value starting at `at` that is not a block collection.
    fn value(&mut self, at: usize, end: usize) -> Result<()> {
        let after = match self.bytes[at] {
            b'[' | b'{' => self.flow(at, end, 1)?,
            b'\'' | b'"' => {
                let (text, after) = self.quoted(at, end)?;
                self.evs.push(Ev::Scalar(text, false));
                after
            }
            b'|' => return self.literal(at, end),
            _ => {
                let (content, _, how) = self.plain(at, end, false)?;
                if how != Stop::Line {
                    return Err(Unsupported);
                }
                self.evs
                    .push(Ev::Scalar(Cow::Borrowed(&self.text[at..content]), true));
                content
            }
        };
        if self.blank_from(after, end) {
            Ok(())
        } else {
            Err(Unsupported)
        }
    }

    /// A key at `at` in block context: its event and where its `:` ends, or `None` when the
    /// node there is not a key.
    fn key(&self, at: usize, end: usize) -> Result<Option<(Ev<'t>, usize)>> {
        let (key, after) = match self.bytes[at] {
            b'\'' | b'"' => {
                let (text, after) = self.quoted(at, end)?;
                (Ev::Scalar(text, false), self.skip_spaces(after, end))
            }
            b'[' | b'{' => return Ok(None),
            _ => {
                let (content, stop, how) = self.plain(at, end, false)?;
                if how != Stop::Colon {
                    return Ok(None);
                }
                let text = &self.text[at..content];
                (Ev::Scalar(Cow::Borrowed(text), true), stop)
            }
        };
        if !self.colon_at(after, end) {
            return Ok(None);
        }
        if after - at >= MAX_KEY {
            return Err(Unsupported);
        }
        Ok(Some((key, after + 1)))
    }

    /// A `:` at `i` followed by a space or the end of the line.
    fn colon_at(&self, i: usize, end: usize) -> bool {
        i < end && self.bytes[i] == b':' && (i + 1 == end || self.bytes[i + 1] == b' ')
    }

    /// A plain scalar starting at `at`: where its text ends (trailing spaces cut), where
    /// scanning stopped, and why.
    fn plain(&self, at: usize, end: usize, flow: bool) -> Result<(usize, usize, Stop)> {
        let b = self.bytes;
        let first = b[at];
        let next = b.get(at + 1).copied().filter(|_| at + 1 < end);
        // Indicators cannot start a plain scalar; `-` can when text follows it. `?` and `:`
        // could too, but libyaml and saphyr disagree there.
        let dash_ok =
            first == b'-' && next.is_some_and(|n| n != b' ' && !(flow && b",[]{}".contains(&n)));
        if INDICATORS[usize::from(first)] && !dash_ok {
            return Err(Unsupported);
        }
        let mut i = at;
        let how = loop {
            // Most bytes mean nothing here: skip them with one table lookup each.
            while i < end && !PLAIN_STOPS[usize::from(b[i])] {
                i += 1;
            }
            if i == end {
                if flow {
                    return Err(Unsupported);
                }
                break Stop::Line;
            }
            match b[i] {
                b':' => {
                    let after = b.get(i + 1).copied().filter(|_| i + 1 < end);
                    match after {
                        None | Some(b' ') => break Stop::Colon,
                        // `:` before a flow indicator is an error for libyaml.
                        Some(n) if b",?[]{}".contains(&n) => return Err(Unsupported),
                        Some(_) => {}
                    }
                }
                b'#' if b[i - 1] == b' ' => {
                    if flow {
                        return Err(Unsupported);
                    }
                    break Stop::Line;
                }
                b',' | b']' | b'}' if flow => break Stop::Flow,
                b'[' | b'{' | b'?' if flow => return Err(Unsupported),
                _ => {}
            }
            i += 1;
        };
        let mut content = i;
        while content > at && b[content - 1] == b' ' {
            content -= 1;
        }
        Ok((content, i, how))
    }

    /// A quoted scalar starting at `at` and ending on this line: its text and the index after
    /// its closing quote.
    fn quoted(&self, at: usize, end: usize) -> Result<(Cow<'t, str>, usize)> {
        let (b, text) = (self.bytes, self.text);
        let quote = b[at];
        let mut owned: Option<String> = None;
        let mut from = at + 1;
        let mut i = at + 1;
        while i < end {
            let c = b[i];
            if quote == b'\'' && c == b'\'' {
                if b.get(i + 1) == Some(&b'\'') && i + 1 < end {
                    owned
                        .get_or_insert_with(String::new)
                        .push_str(&text[from..=i]);
                    i += 2;
                    from = i;
                    continue;
                }
            } else if quote == b'"' && c == b'\\' {
                let escaped = match b.get(i + 1).filter(|_| i + 1 < end) {
                    Some(&e) => unescape(e).ok_or(Unsupported)?,
                    None => return Err(Unsupported),
                };
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&text[from..i]);
                s.push(escaped);
                i += 2;
                from = i;
                continue;
            } else if c != quote {
                i += 1;
                continue;
            }
            let value = match owned {
                None => Cow::Borrowed(&text[at + 1..i]),
                Some(mut s) => {
                    s.push_str(&text[from..i]);
                    Cow::Owned(s)
                }
            };
            return Ok((value, i + 1));
        }
        Err(Unsupported)
    }

    /// A flow collection opening at `at` and closing on this line, at flow depth `depth`:
    /// pushes its events and returns the index after it.
    fn flow(&mut self, at: usize, end: usize, depth: usize) -> Result<usize> {
        if self.stack.len() + depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        let map = self.bytes[at] == b'{';
        let (open, close, closer) = if map {
            (Ev::MapStart, Ev::MapEnd, b'}')
        } else {
            (Ev::SeqStart, Ev::SeqEnd, b']')
        };
        self.evs.push(open);
        let mut i = self.skip_spaces(at + 1, end);
        if i < end && self.bytes[i] == closer {
            self.evs.push(close);
            return Ok(i + 1);
        }
        loop {
            if i == end {
                return Err(Unsupported);
            }
            if map {
                i = self.flow_key(i, end)?;
            }
            i = self.flow_item(i, end, depth)?;
            i = self.skip_spaces(i, end);
            match self.bytes.get(i).filter(|_| i < end) {
                Some(b',') => {
                    i = self.skip_spaces(i + 1, end);
                    if i < end && self.bytes[i] == closer {
                        self.evs.push(close);
                        return Ok(i + 1);
                    }
                }
                Some(&c) if c == closer => {
                    self.evs.push(close);
                    return Ok(i + 1);
                }
                _ => return Err(Unsupported),
            }
        }
    }

    /// A key in a flow mapping followed by `: `; pushes it and returns where its value starts.
    fn flow_key(&mut self, at: usize, end: usize) -> Result<usize> {
        let (key, after) = match self.bytes[at] {
            b'\'' | b'"' => {
                let (text, after) = self.quoted(at, end)?;
                (Ev::Scalar(text, false), self.skip_spaces(after, end))
            }
            _ => {
                let (content, stop, how) = self.plain(at, end, true)?;
                if how != Stop::Colon || content == at {
                    return Err(Unsupported);
                }
                (
                    Ev::Scalar(Cow::Borrowed(&self.text[at..content]), true),
                    stop,
                )
            }
        };
        // An empty value (`{a: }`) or a JSON-style `"a":1` is left to the full parsers.
        if !(after + 1 < end && self.bytes[after] == b':' && self.bytes[after + 1] == b' ') {
            return Err(Unsupported);
        }
        if after - at >= MAX_KEY {
            return Err(Unsupported);
        }
        self.evs.push(key);
        let value = self.skip_spaces(after + 1, end);
        if value == end || b",]}".contains(&self.bytes[value]) {
            return Err(Unsupported);
        }
        Ok(value)
    }

    /// A node inside a flow collection; returns the index after it.
    fn flow_item(&mut self, at: usize, end: usize, depth: usize) -> Result<usize> {
        match self.bytes[at] {
            b'[' | b'{' => self.flow(at, end, depth + 1),
            b'\'' | b'"' => {
                let (text, after) = self.quoted(at, end)?;
                self.evs.push(Ev::Scalar(text, false));
                Ok(after)
            }
            _ => {
                let (content, stop, how) = self.plain(at, end, true)?;
                if how != Stop::Flow || content == at {
                    return Err(Unsupported);
                }
                self.evs
                    .push(Ev::Scalar(Cow::Borrowed(&self.text[at..content]), true));
                Ok(stop)
            }
        }
    }

    /// A `|` or `|-` literal whose header is at `at`; reads its lines.
    fn literal(&mut self, at: usize, end: usize) -> Result<()> {
        let strip = at + 1 < end && self.bytes[at + 1] == b'-';
        let header_end = at + 1 + usize::from(strip);
        if !self.blank_from(header_end, end) {
            return Err(Unsupported);
        }
        let parent = self.stack.last().map_or(0, |b| b.indent);
        let mut indent = None;
        let mut blanks = 0;
        let mut text = String::new();
        while let Some((start, line_end)) = self.peek_line() {
            let content = self.skip_spaces(start, line_end);
            let spaces = content - start;
            if content == line_end {
                // Leading blank lines and blank lines longer than the indent are subtle.
                match indent {
                    Some(indent) if spaces <= indent => blanks += 1,
                    _ => return Err(Unsupported),
                }
                self.take_line();
                continue;
            }
            let indent = match indent {
                Some(indent) if spaces < indent => break,
                Some(indent) => indent,
                None if spaces <= parent => return Err(Unsupported),
                None => *indent.insert(spaces),
            };
            if !text.is_empty() || blanks > 0 {
                text.push('\n');
            }
            text.extend(std::iter::repeat_n('\n', blanks));
            blanks = 0;
            text.push_str(&self.text[start + indent..line_end]);
            self.take_line();
        }
        if indent.is_none() {
            return Err(Unsupported);
        }
        if !strip {
            text.push('\n');
        }
        self.evs.push(Ev::Scalar(Cow::Owned(text), false));
        Ok(())
    }

    /// `- ` or a lone `-` at `at`.
    fn is_entry(&self, at: usize, end: usize) -> bool {
        self.bytes[at] == b'-' && (at + 1 == end || self.bytes[at + 1] == b' ')
    }

    fn skip_spaces(&self, mut i: usize, end: usize) -> usize {
        while i < end && self.bytes[i] == b' ' {
            i += 1;
        }
        i
    }

    /// Nothing but spaces and perhaps a comment from `i` (a `#` needs a space before it).
    fn blank_from(&self, i: usize, end: usize) -> bool {
        let j = self.skip_spaces(i, end);
        j == end || (self.bytes[j] == b'#' && j > i)
    }
}

/// Whether `bytes` is printable ASCII and line feeds only. Checked in chunks without early
/// exit inside a chunk, so that the compiler can vectorise it.
fn printable_ascii(bytes: &[u8]) -> bool {
    bytes.chunks(256).all(|chunk| {
        chunk.iter().fold(true, |ok, &b| {
            ok & ((b' '..=b'~').contains(&b) | (b == b'\n'))
        })
    })
}

/// The bytes a plain scalar's scan must look at: `:` and `#`, and the flow indicators.
static PLAIN_STOPS: [bool; 256] = byte_set(b":#,[]{}?");

/// The bytes that cannot start a plain scalar (`-` can, when text follows it).
static INDICATORS: [bool; 256] = byte_set(b"-?:,[]{}#&*!|>'\"%@`");

/// The character a double-quoted `\x` escape stands for, for the one-character escapes.
fn unescape(e: u8) -> Option<char> {
    Some(match e {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        _ => return None,
    })
}

fn null() -> Ev<'static> {
    Ev::Scalar(Cow::Borrowed(""), true)
}
