//! `--tail N` from the end of a log file: blocks read backwards, newlines counted, so the cost
//! is in the N lines asked for, not in the file's size. With a time window, each line's
//! timestamp is read too (lines after `until` do not count; a line before `since` ends the
//! scan).

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::logs::{split_line, Place, Window};

/// Bytes read per step backwards.
const BLOCK: usize = 64 * 1024;
/// Enough of a line to hold its timestamp.
const STAMP: usize = 64;

/// Where the last lines of one file start.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    /// Offset of the first line to read.
    pub start: u64,
    /// Lines counted from `start` on.
    pub lines: usize,
    /// The scan found all it needs here: an older file need not be read.
    pub complete: bool,
}

/// Finds where the last `n` lines (in `window`) of the first `len` bytes of `file` start. An
/// unfinished last line (no newline yet) is not counted.
pub fn last_lines(file: &File, len: u64, n: usize, window: Window) -> std::io::Result<Found> {
    // An unfinished last line (still being written) is not counted, but a reader that
    // follows starts at its beginning, never in its middle.
    let mut found = Found {
        start: 0,
        lines: 0,
        complete: n == 0,
    };
    let mut block = vec![0u8; BLOCK];
    let mut pos = len;
    let mut seen_end = false;
    while pos > 0 {
        let base = pos.saturating_sub(BLOCK as u64);
        #[allow(clippy::cast_possible_truncation)] // at most BLOCK
        let chunk = &mut block[..(pos - base) as usize];
        file.read_exact_at(chunk, base)?;
        for i in memchr::memrchr_iter(b'\n', chunk) {
            let newline = base + i as u64;
            if !seen_end {
                seen_end = true;
                found.start = newline + 1;
                if n == 0 {
                    return Ok(found);
                }
                continue;
            }
            if take(file, newline + 1, n, window, &mut found)? {
                return Ok(found);
            }
        }
        pos = base;
    }
    // The first line of the file starts at 0.
    if seen_end {
        take(file, 0, n, window, &mut found)?;
    }
    Ok(found)
}

/// Counts the line starting at `at` (just before `found.start`); true once the scan is done.
fn take(
    file: &File,
    at: u64,
    n: usize,
    window: Window,
    found: &mut Found,
) -> std::io::Result<bool> {
    if window.is_open() {
        let mut head = [0u8; STAMP];
        let read = file.read_at(&mut head, at)?;
        let head = &head[..read];
        let head = &head[..memchr::memchr(b'\n', head).unwrap_or(head.len())];
        match window.place(split_line(&String::from_utf8_lossy(head)).0) {
            Place::After => {
                // Not shown, and what follows it is not either: tail ends before it.
                found.start = at;
                return Ok(false);
            }
            Place::Before => {
                found.complete = true;
                return Ok(true);
            }
            Place::Inside => {}
        }
    }
    found.start = at;
    found.lines += 1;
    found.complete = found.lines == n;
    Ok(found.complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use std::io::Write;

    fn file(text: &str) -> (tempfile::NamedTempFile, u64) {
        let mut f = tempfile::NamedTempFile::new().expect("tmp");
        f.write_all(text.as_bytes()).expect("write");
        (f, text.len() as u64)
    }

    fn open() -> Window {
        Window::default()
    }

    #[test]
    fn counts_lines_from_the_end_and_skips_an_unfinished_one() {
        let (f, len) = file("a\nbb\nccc\npartial");
        let found = last_lines(f.as_file(), len, 2, open()).expect("scan");
        assert_eq!((found.start, found.lines, found.complete), (2, 2, true));
        let found = last_lines(f.as_file(), len, 10, open()).expect("scan");
        assert_eq!((found.start, found.lines, found.complete), (0, 3, false));
        // None asked: start after the last complete line (where `-f` would continue).
        let found = last_lines(f.as_file(), len, 0, open()).expect("scan");
        assert_eq!((found.start, found.lines, found.complete), (9, 0, true));
        let (unfinished, len) = file("no newline yet");
        let found = last_lines(unfinished.as_file(), len, 2, open()).expect("scan");
        assert_eq!((found.start, found.lines), (0, 0));
        let (empty, len) = file("");
        let found = last_lines(empty.as_file(), len, 3, open()).expect("scan");
        assert_eq!((found.start, found.lines, found.complete), (0, 0, false));
    }

    #[test]
    fn lines_across_many_blocks() {
        let line = "x".repeat(1000) + "\n";
        let text = line.repeat(300);
        let (f, len) = file(&text);
        let found = last_lines(f.as_file(), len, 150, open()).expect("scan");
        assert_eq!(found.start, 150 * 1001);
        assert_eq!(found.lines, 150);
    }

    #[test]
    fn a_window_skips_late_lines_and_stops_at_early_ones() {
        let text = "2020-01-01T00:00:01Z a\n2020-01-01T00:00:02Z b\n\
                    2020-01-01T00:00:03Z c\n2020-01-01T00:00:04Z d\n";
        let (f, len) = file(text);
        let at = |s: &str| Some(s.parse::<Timestamp>().expect("ts"));
        let window = Window {
            since: at("2020-01-01T00:00:02Z"),
            until: at("2020-01-01T00:00:04Z"),
        };
        let found = last_lines(f.as_file(), len, 5, window).expect("scan");
        assert_eq!((found.start, found.lines, found.complete), (23, 2, true));
        let found = last_lines(f.as_file(), len, 1, window).expect("scan");
        assert_eq!((found.start, found.lines), (46, 1));
    }
}
