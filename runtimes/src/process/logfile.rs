//! The shim's side of `output.log`: records (see [`super::records`]) written with their
//! timestamp through one buffer, and the file rotated at a size cap, so a workload's log never
//! takes more than two files of [`LogLimits::max_size`] on disk.
//!
//! Rotation moves `output.log` to `output.log.1` (replacing the previous one) at a record
//! boundary, after everything before it was written, and puts a new 0600 `output.log` in its
//! place through [`crate::private`], never leaving the name empty. A reader holding the old file reads it to its end, then sees
//! another file under the name and moves on (see `logs`): nothing lost, nothing twice.

use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;

use rustix::fs::AtFlags;
use serde::{Deserialize, Serialize};

use super::files;
use crate::private;

/// The default cap of one log file: 10 MiB, as kubelet's `containerLogMaxSize`. With one
/// rotated file a workload keeps at most 20 MiB, which small flash-based nodes can afford.
pub const DEFAULT_LOG_MAX_SIZE: u64 = 10 * 1024 * 1024;
/// The smallest cap accepted: a record (16 KiB of output, up to three times that once invalid
/// UTF-8 is replaced) must always fit in one file.
pub const MIN_LOG_MAX_SIZE: u64 = 64 * 1024;
/// Buffered bytes that trigger a write; the shim also writes after each read of the pipes.
const FLUSH_AT: usize = 64 * 1024;

/// How big a native workload's log may grow, handed to the shim in its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLimits {
    /// Bytes of `output.log` before it is rotated to `output.log.1`.
    pub max_size: u64,
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            max_size: DEFAULT_LOG_MAX_SIZE,
        }
    }
}

/// Why a log size does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SizeError {
    /// Not a number with an optional unit.
    #[error("invalid size '{0}': expected bytes or a number with K, M, G, KiB, MiB or GiB")]
    Syntax(String),
    /// Below [`MIN_LOG_MAX_SIZE`] or too large to count.
    #[error("log size {0} is out of range: at least 64KiB")]
    Range(String),
}

impl LogLimits {
    /// Parses `10MiB`, `10M` (both 1024-based, as kubelet's `10Mi`), `65536`, `512KiB`, … .
    pub fn parse(text: &str) -> Result<Self, SizeError> {
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let number: u64 = number
            .parse()
            .map_err(|_| SizeError::Syntax(text.to_owned()))?;
        let shift = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 0,
            "k" | "kb" | "ki" | "kib" => 10,
            "m" | "mb" | "mi" | "mib" => 20,
            "g" | "gb" | "gi" | "gib" => 30,
            _ => return Err(SizeError::Syntax(text.to_owned())),
        };
        let max_size = number
            .checked_mul(1 << shift)
            .filter(|n| *n >= MIN_LOG_MAX_SIZE)
            .ok_or_else(|| SizeError::Range(text.to_owned()))?;
        Ok(LogLimits { max_size })
    }
}

/// The open log of one instance, written only by its shim.
pub struct LogFile {
    dir: OwnedFd,
    /// `None` after a failed rotation: output is dropped until the next one succeeds.
    file: Option<File>,
    /// Bytes in `file`.
    size: u64,
    max: u64,
    buf: Vec<u8>,
}

impl LogFile {
    /// Opens (appends to) `output.log` in `dir`.
    pub fn open(dir: &OwnedFd, limits: LogLimits) -> std::io::Result<Self> {
        let file = private::open_append(dir, files::LOG)?;
        let size = file.metadata()?.len();
        Ok(LogFile {
            dir: dir.try_clone()?,
            file: Some(file),
            size,
            max: limits.max_size.max(MIN_LOG_MAX_SIZE),
            buf: Vec::with_capacity(FLUSH_AT * 2),
        })
    }

    /// Adds one record, `<timestamp> <record as lossy UTF-8>\n`; rotates first if it would
    /// not fit in the current file.
    pub fn record(&mut self, timestamp: &str, record: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(timestamp.as_bytes());
        self.buf.push(b' ');
        match String::from_utf8_lossy(record) {
            std::borrow::Cow::Borrowed(text) => self.buf.extend_from_slice(text.as_bytes()),
            std::borrow::Cow::Owned(text) => self.buf.extend_from_slice(text.as_bytes()),
        }
        self.buf.push(b'\n');
        if self.size + self.buf.len() as u64 > self.max && self.size + start as u64 > 0 {
            let record = self.buf.split_off(start);
            self.flush();
            self.rotate();
            self.buf = record;
        }
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
        if self.file.is_none() {
            // A failed rotation: the record cannot be written anywhere.
            self.buf.clear();
        }
    }

    /// Writes what is buffered (errors, a full disk say, drop it: the buffer stays bounded).
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if let Some(file) = &mut self.file {
            if file.write_all(&self.buf).is_ok() {
                self.size += self.buf.len() as u64;
            }
        }
        self.buf.clear();
    }

    fn rotate(&mut self) {
        self.file = None;
        match self.swap_in_new() {
            Ok(file) => {
                self.file = Some(file);
                self.size = 0;
            }
            Err(e) => {
                // Output is dropped, and the next record tries again.
                tracing::warn!(error = %e, "cannot rotate the log");
                self.size = self.max;
            }
        }
    }

    /// Every step leaves a whole `output.log` in place, so a reader never finds it missing:
    /// the current file is linked to `output.log.1` (replacing the old one), then a new empty
    /// file is renamed over `output.log`.
    fn swap_in_new(&self) -> std::io::Result<File> {
        let [link, new] = files::ROTATING;
        private::remove(&self.dir, link);
        rustix::fs::linkat(&self.dir, files::LOG, &self.dir, link, AtFlags::empty())?;
        rustix::fs::renameat(&self.dir, link, &self.dir, files::LOG_ROTATED)?;
        private::remove(&self.dir, new);
        let file = private::create_new(&self.dir, new, b"")?;
        rustix::fs::renameat(&self.dir, new, &self.dir, files::LOG)?;
        Ok(file)
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A temporary folder [`private::open_dir`] accepts.
    fn private_tmp() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        tmp
    }

    fn limits(max_size: u64) -> LogLimits {
        LogLimits { max_size }
    }

    #[test]
    fn sizes_parse_with_units_and_a_floor() {
        assert_eq!(LogLimits::parse("10MiB"), Ok(limits(10 << 20)));
        assert_eq!(LogLimits::parse("10M"), Ok(limits(10 << 20)));
        assert_eq!(LogLimits::parse("65536"), Ok(limits(65_536)));
        assert_eq!(LogLimits::parse(" 1 GiB "), Ok(limits(1 << 30)));
        assert!(matches!(LogLimits::parse("1k"), Err(SizeError::Range(_))));
        assert!(matches!(LogLimits::parse("ten"), Err(SizeError::Syntax(_))));
        assert!(matches!(LogLimits::parse("5T"), Err(SizeError::Syntax(_))));
        assert!(matches!(
            LogLimits::parse("99999999999999999999G"),
            Err(SizeError::Syntax(_) | SizeError::Range(_))
        ));
        assert_eq!(LogLimits::default().max_size, DEFAULT_LOG_MAX_SIZE);
    }

    #[test]
    fn the_log_rotates_at_the_cap_into_one_private_file_of_whole_records() {
        let tmp = private_tmp();
        let dir = private::open_dir(tmp.path()).expect("dir");
        let mut log = LogFile::open(&dir, limits(MIN_LOG_MAX_SIZE)).expect("open");
        let record = vec![b'r'; 1000];
        for _ in 0..200 {
            log.record("2026-01-01T00:00:00Z", &record);
        }
        drop(log);
        let current = std::fs::read(tmp.path().join(files::LOG)).expect("log");
        let rotated = std::fs::read(tmp.path().join(files::LOG_ROTATED)).expect("rotated");
        let line = 1000 + "2026-01-01T00:00:00Z \n".len();
        for file in [&current, &rotated] {
            assert!(file.len() as u64 <= MIN_LOG_MAX_SIZE);
            assert_eq!(file.len() % line, 0, "whole records only");
        }
        // 200 records, about 64 per file: the oldest rotations are gone.
        assert_eq!(rotated.len() / line, (MIN_LOG_MAX_SIZE as usize) / line);
        let mode = std::fs::metadata(tmp.path().join(files::LOG_ROTATED))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn an_oversized_log_from_an_earlier_life_rotates_on_the_first_record() {
        let tmp = private_tmp();
        std::fs::write(tmp.path().join(files::LOG), vec![b'\n'; 100_000]).expect("old");
        let dir = private::open_dir(tmp.path()).expect("dir");
        let mut log = LogFile::open(&dir, limits(MIN_LOG_MAX_SIZE)).expect("open");
        log.record("t", b"\xff\x00invalid");
        drop(log);
        let current = std::fs::read(tmp.path().join(files::LOG)).expect("log");
        assert_eq!(current, "t \u{fffd}\u{0}invalid\n".as_bytes());
        let rotated = std::fs::metadata(tmp.path().join(files::LOG_ROTATED)).expect("rotated");
        assert_eq!(rotated.len(), 100_000);
    }

    #[test]
    fn a_symlink_in_place_of_the_new_log_is_not_followed() {
        let tmp = private_tmp();
        let dir = private::open_dir(tmp.path()).expect("dir");
        let mut log = LogFile::open(&dir, limits(MIN_LOG_MAX_SIZE)).expect("open");
        let target = tmp.path().join("target");
        std::fs::write(&target, b"").expect("target");
        // Planted after the open: the rotation renames it away and creates a real file.
        std::fs::remove_file(tmp.path().join(files::LOG)).expect("rm");
        std::os::unix::fs::symlink(&target, tmp.path().join(files::LOG)).expect("symlink");
        for _ in 0..100 {
            log.record("t", &[b'a'; 1000]);
        }
        drop(log);
        assert_eq!(std::fs::read(&target).expect("target").len(), 0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(24))]
        /// Any output, cut into records and written with rotations: both files stay under the
        /// cap and hold whole lines, which are the newest records in order.
        #[test]
        fn any_output_rotates_into_whole_lines_under_the_cap(
            chunks in proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40_000),
                1..12,
            ),
        ) {
            let tmp = private_tmp();
            let dir = private::open_dir(tmp.path()).expect("dir");
            let mut log = LogFile::open(&dir, limits(MIN_LOG_MAX_SIZE)).expect("open");
            let mut records = super::super::records::Records::default();
            let mut expected = Vec::new();
            for chunk in &chunks {
                records.feed(chunk, |r| {
                    expected.push(format!("t {}", String::from_utf8_lossy(r)));
                    log.record("t", r);
                });
                log.flush();
            }
            records.finish(|r| {
                expected.push(format!("t {}", String::from_utf8_lossy(r)));
                log.record("t", r);
            });
            drop(log);
            let mut kept = Vec::new();
            for name in [files::LOG_ROTATED, files::LOG] {
                let bytes = std::fs::read(tmp.path().join(name)).unwrap_or_default();
                proptest::prop_assert!(bytes.len() as u64 <= MIN_LOG_MAX_SIZE);
                proptest::prop_assert!(bytes.is_empty() || bytes.ends_with(b"\n"));
                let text = String::from_utf8(bytes).expect("valid UTF-8");
                // Split on newlines only: a record may end in `\r`, which `lines()` would eat.
                if let Some(text) = text.strip_suffix('\n') {
                    kept.extend(text.split('\n').map(str::to_owned));
                }
            }
            proptest::prop_assert!(kept.len() <= expected.len());
            proptest::prop_assert_eq!(&expected[expected.len() - kept.len()..], &kept[..]);
        }
    }
}
