//! Reading a native instance's `output.log`: `tail`, `since`, `until`, and `follow`, which
//! waits on inotify events of the instance folder (no polling) and ends once the shim has
//! written `exit_code`, that is after the workload's last line.

use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt};
use jiff::{SignedDuration, Timestamp};
use rustix::fs::inotify;
use tokio::fs::File;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::files;
use crate::private;
use crate::runtime::{LogOptions, LogStream, RuntimeError};

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
#[derive(Debug, Clone, Copy)]
struct Window {
    since: Option<Timestamp>,
    until: Option<Timestamp>,
}

/// Where a line falls relative to the window.
enum Place {
    Before,
    Inside,
    After,
}

impl Window {
    fn place(&self, ts: Option<Timestamp>) -> Place {
        match ts {
            Some(ts) if self.since.is_some_and(|s| ts < s) => Place::Before,
            Some(ts) if self.until.is_some_and(|u| ts >= u) => Place::After,
            _ => Place::Inside,
        }
    }
}

/// Opens the log of the instance in `dir` as a stream of messages.
pub async fn open(dir: &Path, options: &LogOptions) -> Result<LogStream, RuntimeError> {
    let now = Timestamp::now();
    let window = Window {
        since: options
            .since
            .as_deref()
            .map(|s| parse_time(s, now))
            .transpose()?,
        until: options
            .until
            .as_deref()
            .map(|s| parse_time(s, now))
            .transpose()?,
    };
    // Watch before the first read so no line written in between is missed.
    let watch = if options.follow {
        Some(watch_dir(dir).map_err(|e| RuntimeError::Logs(format!("cannot watch log: {e}")))?)
    } else {
        None
    };
    let path = dir.join(files::LOG);
    let file = private::open_dir(dir)
        .map_err(|e| RuntimeError::Logs(e.to_string()))
        .and_then(|fd| {
            private::open_read(&fd, files::LOG)
                .map_err(|e| RuntimeError::Logs(format!("cannot open {}: {e}", path.display())))
        })
        .map(File::from_std)?;
    let mut reader = Reader {
        file: BufReader::new(file),
        partial: String::new(),
        window,
    };
    let mut backlog = Vec::new();
    let mut ended = false;
    while let Some(line) = reader.next_complete().await? {
        match reader.window.place(split_line(&line).0) {
            Place::Before => {}
            Place::Inside => backlog.push(strip(&line)),
            Place::After => {
                ended = true;
                break;
            }
        }
    }
    if let Some(tail) = options.tail {
        let skip = backlog.len().saturating_sub(tail);
        backlog.drain(..skip);
    }
    let backlog = stream::iter(backlog.into_iter().map(Ok));
    match watch {
        Some(watch) if !ended => {
            let follower = Follower {
                reader,
                watch,
                dir: dir.to_owned(),
                finishing: false,
            };
            Ok(backlog.chain(follower.into_stream()).boxed())
        }
        _ => Ok(backlog.boxed()),
    }
}

fn strip(line: &str) -> String {
    split_line(line).1.to_owned()
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

/// Reads whole lines, keeping a trailing partial line until its newline arrives.
struct Reader {
    file: BufReader<File>,
    partial: String,
    window: Window,
}

impl Reader {
    async fn next_complete(&mut self) -> Result<Option<String>, RuntimeError> {
        let read = self
            .file
            .read_line(&mut self.partial)
            .await
            .map_err(|e| RuntimeError::Logs(e.to_string()))?;
        if read == 0 || !self.partial.ends_with('\n') {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.partial);
        line.pop();
        Ok(Some(line))
    }
}

/// Follows the log after the backlog.
struct Follower {
    reader: Reader,
    watch: AsyncFd<OwnedFd>,
    dir: PathBuf,
    /// The shim has ended; read what is left, then stop.
    finishing: bool,
}

impl Follower {
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

    async fn next(&mut self) -> Result<Option<String>, RuntimeError> {
        loop {
            if let Some(line) = self.reader.next_complete().await? {
                match self.reader.window.place(split_line(&line).0) {
                    Place::Before => continue,
                    Place::Inside => return Ok(Some(strip(&line))),
                    Place::After => return Ok(None),
                }
            }
            if self.finishing {
                return Ok(None);
            }
            if files::exists(&self.dir, files::EXIT_CODE) || !files::exists(&self.dir, files::SPEC)
            {
                // Everything was written before exit_code: one more pass reads the rest.
                self.finishing = true;
                continue;
            }
            self.wait_for_change().await?;
        }
    }

    async fn wait_for_change(&mut self) -> Result<(), RuntimeError> {
        let mut guard = self
            .watch
            .readable()
            .await
            .map_err(|e| RuntimeError::Logs(e.to_string()))?;
        let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
        let mut events = inotify::Reader::new(guard.get_inner(), &mut buf);
        loop {
            match events.next() {
                Ok(_) => {}
                Err(rustix::io::Errno::AGAIN) => {
                    guard.clear_ready();
                    return Ok(());
                }
                Err(e) => return Err(RuntimeError::Logs(e.to_string())),
            }
        }
    }
}
