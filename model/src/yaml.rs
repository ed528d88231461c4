//! Reading untrusted YAML with `serde_yaml_ng`: a linear pre-scan refuses flow nesting
//! (`[`, `{`) deeper than [`MAX_FLOW_DEPTH`] before the parser sees it. libyaml's scanner looks
//! at every open flow level for each token, so 20 000 nested `{a: ` (100 KB) took 6.6 s and
//! 40 000 took 27 s in a debug build, though the deserializer's recursion limit (128) refuses
//! the document in the end. Block nesting and alias expansion are bounded by the parser itself
//! (its recursion and repetition limits).

use serde::de::{DeserializeOwned, Error as _};

/// The deepest flow nesting read. Deeper documents fail serde_yaml_ng's recursion limit
/// anyway; the scan only makes them fail fast.
pub const MAX_FLOW_DEPTH: usize = 256;

/// Where flow brackets first nest deeper than `max` (line and column, 1-based); `None` for a
/// document within it. Brackets inside quoted strings, comments, block scalars (`|`, `>`) and
/// block-context plain scalars do not count, so `a: b[[` or a shell line in a literal block is
/// text, as YAML reads it. It may over-count in odd corners (a top-level block scalar, a plain
/// scalar continued on the next line), never under-count a real flow level.
pub fn nesting_bomb(text: &str, max: usize) -> Option<(usize, usize)> {
    let mut scan = Scan::default();
    for (n, line) in text.split('\n').enumerate() {
        if let Some(at) = scan.line(line, max) {
            return Some((n + 1, line.get(..at).map_or(0, |s| s.chars().count()) + 1));
        }
    }
    None
}

/// What [`nesting_bomb`] carries from one line to the next.
#[derive(Default)]
struct Scan {
    depth: usize,
    /// The quote character of a string still open (they may span lines).
    quote: Option<u8>,
    /// The indentation of the line that opened a block scalar still being skipped.
    block: Option<usize>,
}

impl Scan {
    /// The byte offset in `line` where the nesting passes `max`.
    fn line(&mut self, line: &str, max: usize) -> Option<usize> {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        if let Some(parent) = self.block {
            if line.trim().is_empty() || indent > parent {
                return None;
            }
            self.block = None;
        }
        // Inside a plain scalar, quotes and (in block context) brackets are text.
        let mut scalar = false;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if let Some(q) = self.quote {
                match b {
                    b'\\' if q == b'"' => i += 1,
                    b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
                    _ if b == q => self.quote = None,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
                break;
            }
            let next = bytes.get(i + 1).copied();
            if scalar {
                let flow_end = self.depth > 0 && b",[]{}".contains(&b);
                let key_end = b == b':' && next.is_none_or(|n| n.is_ascii_whitespace());
                if !flow_end && !key_end {
                    i += 1;
                    continue;
                }
                scalar = false;
            }
            match b {
                b'"' | b'\'' => self.quote = Some(b),
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > max {
                        return Some(i);
                    }
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                b'|' | b'>' if self.depth == 0 && block_header(&line[i + 1..]) => {
                    self.block = Some(indent);
                    break;
                }
                b',' | b':' | b'-' | b'?' | b' ' | b'\t' | b'\r' => {}
                _ => scalar = true,
            }
            i += 1;
        }
        None
    }
}

/// Whether `rest` (after `|` or `>`) ends a block scalar header: chomping and indentation
/// indicators, then nothing but a comment.
fn block_header(rest: &str) -> bool {
    let rest = rest.trim_start_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
    let rest = rest.trim();
    rest.is_empty() || rest.starts_with('#')
}

/// An error when `text` nests flow collections deeper than [`MAX_FLOW_DEPTH`].
pub fn check_nesting(text: &str) -> Result<(), serde_yaml_ng::Error> {
    match nesting_bomb(text, MAX_FLOW_DEPTH) {
        None => Ok(()),
        Some((line, column)) => Err(serde_yaml_ng::Error::custom(format!(
            "flow nesting is deeper than {MAX_FLOW_DEPTH} levels at line {line} column {column}"
        ))),
    }
}

/// `serde_yaml_ng::from_str` behind [`check_nesting`].
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, serde_yaml_ng::Error> {
    check_nesting(text)?;
    serde_yaml_ng::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let bomb = format!("a: {}1{}", "{a: ".repeat(40_000), "}".repeat(40_000));
        let start = std::time::Instant::now();
        let err = from_str::<serde_yaml_ng::Value>(&bomb).expect_err("a bomb");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            err.to_string(),
            "flow nesting is deeper than 256 levels at line 1 column 1028"
        );
    }

    #[test]
    fn brackets_in_strings_comments_scalars_and_blocks_do_not_count() {
        let deep = "[".repeat(300);
        let text = format!(
            "a: '{deep}'\nb: \"{deep}\"\n# {deep}\nc: [[1]]\nd: x\"{deep}\ne: it's {deep}\n\
             f: |\n  {deep}\n\n  {deep}\ng: 'it''s {deep}'\n"
        );
        let value: serde_yaml_ng::Value = from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(value["a"].as_str(), Some(deep.as_str()));
        assert_eq!(
            value["f"].as_str(),
            Some(format!("{deep}\n\n{deep}\n").as_str())
        );
    }

    #[test]
    fn real_flow_levels_count_wherever_they_open() {
        assert_eq!(nesting_bomb("é: [[[", 2), Some((1, 6)));
        assert_eq!(nesting_bomb("a:\n- {b: [{c: [1]}]}", 3), Some((2, 12)));
        assert_eq!(nesting_bomb("{\"a\":[{\"b\":[[", 4), Some((1, 13)));
        assert_eq!(nesting_bomb("a: |\nb: [[[", 2), Some((2, 6)));
    }
}
