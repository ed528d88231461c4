//! Reading a native instance's log, streamed: never more than one bounded line in memory,
//! whatever the file's size. `tail` starts from the end (see `tail`), across `output.log.1`
//! when it reaches back into it; `since`/`until` filter by timestamp; `follow` waits on
//! inotify events of the instance folder (no polling), moves to the new file when the shim
//! rotates (after reading the old one to its end: nothing lost, nothing twice), and ends once
//! the shim has written `exit_code`, that is after the workload's last line.

use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt};
use jiff::{SignedDuration, Timestamp};
use rustix::fs::{inotify, AtFlags};
use tokio::fs::File;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, BufReader, Take};

use super::records::RECORD_MAX;
use super::{files, tail};
use crate::private;
use crate::runtime::{LogOptions, LogStream, RuntimeError};

/// The longest line handed on; a longer one (not written by a shim) is cut. A shim's record
/// is at most [`RECORD_MAX`] bytes of output, up to three times that as replaced UTF-8.
const LINE_MAX: usize = 4 * RECORD_MAX;
/// Bytes read from the file at a time.
const READ_BUF: usize = 64 * 1024;

/// A time bound of `since`/`until`: RFC 3339, or a duration back from now (`10m`, `1h30m`).
pub fn parse_time(text: &str, now: Timestamp) -> Result<Timestamp, RuntimeError> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    text.parse::<SignedDuration>()
        .ok()
        .and_then(|d| now.checked_sub(d).ok())
        .ok_or_else(|| RuntimeError::Logs(format!("invalid time '{text}'")))
}

/// Splits a log line into its timestamp and message.
pub fn split_line(line: &str) -> (Option<Timestamp>, &str) {
    match line.split_once(' ') {
        Some((ts, message)) => match ts.parse::<Timestamp>() {
            Ok(ts) => (Some(ts), message),
            Err(_) => (None, line),
        },
        None => (line.parse().ok(), ""),
    }
}

/// The time filter of a request.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Window {
    pub(super) since: Option<Timestamp>,
    pub(super) until: Option<Timestamp>,
}

/// Where a line falls relative to the window.
pub(super) enum Place {
    Before,
    Inside,
    After,
}

impl Window {
    pub(super) fn place(&self, ts: Option<Timestamp>) -> Place {
        match ts {
            Some(ts) if self.since.is_some_and(|s| ts < s) => Place::Before,
            Some(ts) if self.until.is_some_and(|u| ts >= u) => Place::After,
            _ => Place::Inside,
        }
    }

    /// Whether any line may fall outside.
    pub(super) fn is_open(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }
}

fn logs_err(e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::Logs(e.to_string())
}

/// Opens the log of the instance in `dir` as a stream of messages.
pub async fn open(dir: &Path, options: &LogOptions) -> Result<LogStream, RuntimeError> {
    let now = Timestamp::now();
    let parse = |t: &Option<String>| t.as_deref().map(|s| parse_time(s, now)).transpose();
    let window = Window {
        since: parse(&options.since)?,
        until: parse(&options.until)?,
    };
    // Watch before the first read so no line written in between is missed.
    let watch = if options.follow {
        Some(watch_dir(dir).map_err(|e| RuntimeError::Logs(format!("cannot watch log: {e}")))?)
    } else {
        None
    };
    let dir_fd = private::open_dir(dir).map_err(logs_err)?;
    let current = private::open_read(&dir_fd, files::LOG).map_err(|e| {
        RuntimeError::Logs(format!(
            "cannot open {}: {e}",
            dir.join(files::LOG).display()
        ))
    })?;
    let current_id = file_id(&current.metadata().map_err(logs_err)?);
    // Opened after the current one: a rotation in between makes both the same file.
    let rotated = private::open_read(&dir_fd, files::LOG_ROTATED)
        .ok()
        .filter(|r| r.metadata().is_ok_and(|m| file_id(&m) != current_id));
    let (rotated, current) =
        start_points(rotated, current, options.tail, window, options.follow).await?;
    let reader = Reader {
        older: rotated,
        file: current,
        file_id: current_id,
        partial: Vec::new(),
        window,
        follow: watch.map(|watch| Follow {
            watch,
            dir: dir.to_owned(),
            dir_fd,
            finishing: false,
        }),
        done: false,
    };
    Ok(reader.into_stream())
}

/// A log file being read.
type LogReader = BufReader<Take<File>>;

/// Both files, positioned where reading starts (the rotated one only if it is read at all).
/// Without `follow` the current file is read up to its length now, not on as it grows.
async fn start_points(
    rotated: Option<std::fs::File>,
    current: std::fs::File,
    tail: Option<usize>,
    window: Window,
    follow: bool,
) -> Result<(Option<LogReader>, LogReader), RuntimeError> {
    // Blocking reads of a few blocks per file, off the agent's event loop.
    let scan = tokio::task::spawn_blocking(move || {
        let len = current.metadata()?.len();
        let Some(n) = tail else {
            return Ok((rotated.map(|r| (r, 0)), (current, 0, len)));
        };
        let found = tail::last_lines(&current, len, n, window)?;
        let older = match rotated {
            Some(rotated) if !found.complete => {
                let len = rotated.metadata()?.len();
                let older = tail::last_lines(&rotated, len, n - found.lines, window)?;
                Some((rotated, older.start))
            }
            _ => None,
        };
        Ok::<_, std::io::Error>((older, (current, found.start, len)))
    });
    let (older, (current, start, len)) = scan.await.map_err(logs_err)?.map_err(logs_err)?;
    let limit = if follow {
        u64::MAX
    } else {
        len - start.min(len)
    };
    let current = seek(current, start, limit).await?;
    let older = match older {
        Some((file, start)) => Some(seek(file, start, u64::MAX).await?),
        None => None,
    };
    Ok((older, current))
}

fn reader(file: std::fs::File) -> LogReader {
    BufReader::with_capacity(READ_BUF, File::from_std(file).take(u64::MAX))
}

async fn seek(file: std::fs::File, at: u64, limit: u64) -> Result<LogReader, RuntimeError> {
    let mut file = File::from_std(file);
    file.seek(std::io::SeekFrom::Start(at))
        .await
        .map_err(logs_err)?;
    Ok(BufReader::with_capacity(READ_BUF, file.take(limit)))
}

/// Device and inode: what tells the file under a name from the one a reader holds.
fn file_id(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

fn watch_dir(dir: &Path) -> std::io::Result<AsyncFd<OwnedFd>> {
    let fd = inotify::init(inotify::CreateFlags::NONBLOCK | inotify::CreateFlags::CLOEXEC)?;
    inotify::add_watch(
        &fd,
        dir,
        inotify::WatchFlags::MODIFY | inotify::WatchFlags::MOVED_TO | inotify::WatchFlags::CREATE,
    )?;
    super::watch::async_fd(fd)
}

/// Reads one line of at most [`LINE_MAX`] bytes; `None` at the end of what is written so far,
/// keeping an unfinished line in `partial` until its newline arrives.
async fn read_line(
    file: &mut LogReader,
    partial: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    loop {
        let buf = file.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        let room = LINE_MAX - partial.len();
        if let Some(i) = memchr::memchr(b'\n', &buf[..buf.len().min(room + 1)]) {
            partial.extend_from_slice(&buf[..i]);
            file.consume(i + 1);
            return Ok(Some(std::mem::take(partial)));
        }
        let take = buf.len().min(room);
        partial.extend_from_slice(&buf[..take]);
        file.consume(take);
        if partial.len() == LINE_MAX {
            return Ok(Some(std::mem::take(partial)));
        }
    }
}

/// What `follow` needs besides the file.
struct Follow {
    watch: AsyncFd<OwnedFd>,
    dir: PathBuf,
    dir_fd: OwnedFd,
    /// The shim has ended; read what is left, then stop.
    finishing: bool,
}

/// The stream's state: an older file to read to its end first, then the current one.
struct Reader {
    older: Option<LogReader>,
    file: LogReader,
    file_id: (u64, u64),
    partial: Vec<u8>,
    window: Window,
    follow: Option<Follow>,
    /// A line after `until` was seen.
    done: bool,
}

impl Reader {
    fn into_stream(self) -> LogStream {
        stream::unfold(Some(self), |state| async move {
            let mut me = state?;
            match me.next().await {
                Ok(Some(line)) => Some((Ok(line), Some(me))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
        .boxed()
    }

    /// The next message in the window; `None` at the end.
    async fn next(&mut self) -> Result<Option<String>, RuntimeError> {
        while !self.done {
            let line = match &mut self.older {
                Some(older) => {
                    let line = read_line(older, &mut self.partial)
                        .await
                        .map_err(logs_err)?;
                    if line.is_none() {
                        // An older file is complete: what is left unfinished never ends.
                        self.older = None;
                        self.partial.clear();
                        continue;
                    }
                    line
                }
                None => read_line(&mut self.file, &mut self.partial)
                    .await
                    .map_err(logs_err)?,
            };
            match line {
                Some(line) => {
                    if let Some(message) = self.filter(&line) {
                        return Ok(Some(message));
                    }
                }
                None if !self.wait().await? => return Ok(None),
                None => {}
            }
        }
        Ok(None)
    }

    /// The message of `line` if it is in the window; past `until`, the stream is done.
    fn filter(&mut self, line: &[u8]) -> Option<String> {
        let line = String::from_utf8_lossy(line);
        let (ts, message) = split_line(&line);
        match self.window.place(ts) {
            Place::Before => None,
            Place::Inside => Some(message.to_owned()),
            Place::After => {
                self.done = true;
                None
            }
        }
    }

    /// At the end of the current file: moves to a rotated-in file or waits for more; false
    /// when the stream ends (not following, or the shim has ended and all is read).
    async fn wait(&mut self) -> Result<bool, RuntimeError> {
        let Some(follow) = &mut self.follow else {
            return Ok(false);
        };
        if let Some(new) = follow.rotated(self.file_id) {
            // The old file gets no more writes: read it to its end, then the new one.
            self.file_id = file_id(&new.metadata().map_err(logs_err)?);
            let old = std::mem::replace(&mut self.file, reader(new));
            self.older = Some(old);
            return Ok(true);
        }
        if follow.finishing {
            return Ok(false);
        }
        if files::exists(&follow.dir, files::EXIT_CODE) || !files::exists(&follow.dir, files::SPEC)
        {
            // Everything was written before exit_code: one more pass reads the rest.
            follow.finishing = true;
            return Ok(true);
        }
        follow.wait_for_change().await?;
        Ok(true)
    }
}

impl Follow {
    /// The file now under the log's name, if the shim rotated away the one being read.
    fn rotated(&self, reading: (u64, u64)) -> Option<std::fs::File> {
        let stat = rustix::fs::statat(&self.dir_fd, files::LOG, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        if (stat.st_dev, stat.st_ino) == reading {
            return None;
        }
        private::open_read(&self.dir_fd, files::LOG).ok()
    }

    async fn wait_for_change(&mut self) -> Result<(), RuntimeError> {
        let mut guard = self.watch.readable().await.map_err(logs_err)?;
        let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
        let mut events = inotify::Reader::new(guard.get_inner(), &mut buf);
        loop {
            match events.next() {
                Ok(_) => {}
                Err(rustix::io::Errno::AGAIN) => {
                    guard.clear_ready();
                    return Ok(());
                }
                Err(e) => return Err(logs_err(e)),
            }
        }
    }
}
