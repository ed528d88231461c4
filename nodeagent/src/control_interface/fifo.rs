//! The two FIFOs of one control interface, opened as Ankaios opens them:
//!
//! - `output` (the workload writes, the agent reads) is opened at once, `O_RDONLY|O_NONBLOCK`,
//!   and held open at all times: an SDK opening it for writing with `O_NONBLOCK` fails with
//!   ENXIO while no reader exists. On EOF (the workload closed its end) it is reopened.
//! - `input` (the agent writes) is opened lazily, `O_WRONLY|O_NONBLOCK`, and then kept open,
//!   since an SDK takes EOF on `input` as "agent gone". A write has 500 ms; EPIPE and ENXIO are
//!   retried 5 times, 100 ms apart.
//! - A message goes into `input` only once the workload has read the one before (the pipe is
//!   empty, `FIONREAD` 0), within the same 500 ms. Ankaios' Python SDK (1.0.x) reads `input`
//!   through a buffered file after `select()`: of two messages in the pipe at once it handles
//!   the first and leaves the second in its buffer until a third arrives, which may be never
//!   (an event written right after `UpdateStateSuccess` was lost so, most runs).

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use runtimes::private;
use rustix::fs::{AtFlags, FileType, Mode};
use rustix::io::Errno;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;

use super::framing::{Decoder, FrameError};

/// The FIFO the agent writes `FromAnkaios` to.
pub const INPUT: &str = "input";
/// The FIFO the workload writes `ToAnkaios` to.
pub const OUTPUT: &str = "output";
/// The time one write may take, waiting for the pipe to drain included.
const WRITE_TIMEOUT: Duration = Duration::from_millis(500);
/// How soon a write looks again whether the workload has read the message before: first
/// after 1 ms, then twice as long each time up to this (a reader that stopped costs a few
/// wake-ups per message, not one per millisecond).
const DRAIN_POLL_MAX: Duration = Duration::from_millis(64);
/// Retries of a write that found no reader.
const RETRIES: u32 = 5;
/// The pause between those retries.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Creates `dir` (0700) with the FIFOs `input` and `output` (0600), reusing existing ones. An
/// existing `dir` must be the agent's alone (see [`runtimes::private`]) and is made 0700; a
/// name that is not a FIFO (a symlink, say) is replaced, never followed.
pub fn create(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let fd = private::open_dir(dir).map_err(io::Error::other)?;
    rustix::fs::fchmod(&fd, Mode::RWXU)?;
    for name in [INPUT, OUTPUT] {
        match rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Fifo => continue,
            Ok(_) => rustix::fs::unlinkat(&fd, name, AtFlags::empty())?,
            Err(Errno::NOENT) => {}
            Err(e) => return Err(e.into()),
        }
        rustix::fs::mknodat(&fd, name, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0)?;
    }
    Ok(())
}

/// Opens the FIFO at `path` non-blocking, without following a symlink there.
fn open_fifo(path: &Path, write: bool) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
}

fn open_receiver(path: &Path) -> io::Result<pipe::Receiver> {
    pipe::Receiver::from_file(open_fifo(path, false)?)
}

/// Removes the FIFOs and `dir`; a missing one is fine.
pub fn remove(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What the reader got.
#[derive(Debug)]
pub enum Read {
    /// One complete frame.
    Frame(Vec<u8>),
    /// The workload closed its end (a partly read frame is dropped); the FIFO is reopened.
    WriterGone,
    /// The bytes cannot be framed; nothing more can be read.
    Broken(FrameError),
}

/// The agent's end of `output`.
pub struct Reader {
    path: PathBuf,
    pipe: pipe::Receiver,
    decoder: Decoder,
}

impl Reader {
    /// Opens `<dir>/output` for reading.
    pub fn open(dir: &Path) -> io::Result<Reader> {
        let path = dir.join(OUTPUT);
        let pipe = open_receiver(&path)?;
        Ok(Reader {
            path,
            pipe,
            decoder: Decoder::default(),
        })
    }

    /// The next frame. Cancel-safe: a partly read frame stays in the reader.
    pub async fn next(&mut self) -> io::Result<Read> {
        let mut buf = [0u8; 4096];
        loop {
            let want = self.decoder.wants().min(buf.len());
            let n = self.pipe.read(&mut buf[..want]).await?;
            if n == 0 {
                if !self.decoder.is_idle() {
                    tracing::debug!(path = %self.path.display(), "dropping a truncated message");
                }
                self.decoder.reset();
                self.pipe = open_receiver(&self.path)?;
                return Ok(Read::WriterGone);
            }
            match self.decoder.push(&buf[..n]) {
                Ok(Some(frame)) => return Ok(Read::Frame(frame)),
                Ok(None) => {}
                Err(e) => return Ok(Read::Broken(e)),
            }
        }
    }
}

/// The agent's end of `input`, opened on the first write.
pub struct Writer {
    path: PathBuf,
    pipe: Option<pipe::Sender>,
}

impl Writer {
    /// A writer of `<dir>/input`, not opened yet.
    pub fn new(dir: &Path) -> Writer {
        Writer {
            path: dir.join(INPUT),
            pipe: None,
        }
    }

    /// Writes `bytes`; an error means the workload is not reading.
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut attempt = 0;
        loop {
            match self.try_write(bytes).await {
                Ok(()) => return Ok(()),
                Err(e) if no_reader(&e) && attempt < RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn try_write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let pipe = match &mut self.pipe {
            Some(pipe) => pipe,
            None => self
                .pipe
                .insert(pipe::Sender::from_file(open_fifo(&self.path, true)?)?),
        };
        let deadline = tokio::time::Instant::now() + WRITE_TIMEOUT;
        // A reader that does not drain in time gets the message all the same (the write's own
        // limit then decides), as Ankaios writes.
        let mut pause = Duration::from_millis(1);
        while rustix::io::ioctl_fionread(&*pipe).unwrap_or(0) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + pause)).await;
            pause = (pause * 2).min(DRAIN_POLL_MAX);
        }
        let result = match tokio::time::timeout_at(deadline, pipe.write_all(bytes)).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
        };
        if result.is_err() {
            // A reader that went away, or one that does not read: open afresh next time.
            self.pipe = None;
        }
        result
    }
}

fn no_reader(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe || e.raw_os_error() == Some(nix::libc::ENXIO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    #[test]
    fn create_makes_private_fifos_reuses_them_and_remove_clears_all() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("w.1").join("control_interface");
        create(&dir).expect("created");
        create(&dir).expect("reused");
        let mode = std::fs::metadata(&dir).expect("dir").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        for name in [INPUT, OUTPUT] {
            let meta = std::fs::metadata(dir.join(name)).expect("fifo");
            assert!(meta.file_type().is_fifo());
            assert_eq!(meta.permissions().mode() & 0o077, 0);
        }
        remove(&dir).expect("removed");
        assert!(!dir.exists());
        remove(&dir).expect("already gone is fine");
    }

    /// A reader like Ankaios' Python SDK: `input` opened as the workload opens it.
    fn sdk_reader(dir: &Path) -> std::fs::File {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(dir.join(INPUT))
            .expect("open input")
    }

    fn read_now(file: &mut std::fs::File) -> Vec<u8> {
        use std::io::Read as _;
        let mut buf = [0u8; 64];
        match file.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Vec::new(),
            Err(e) => panic!("read: {e}"),
        }
    }

    /// An interface whose reader has not read the message `first` yet.
    async fn first_written() -> (tempfile::TempDir, std::fs::File, Writer) {
        let tmp = tempfile::tempdir().expect("tempdir");
        create(tmp.path()).expect("created");
        let input = sdk_reader(tmp.path());
        let mut writer = Writer::new(tmp.path());
        writer.write(b"first").await.expect("first written");
        (tmp, input, writer)
    }

    #[tokio::test]
    async fn a_message_waits_until_the_one_before_is_read() {
        let (_tmp, mut input, mut writer) = first_written().await;

        let second = tokio::spawn(async move {
            writer.write(b"second").await.expect("second written");
            writer
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "written while `first` was unread");
        // One read takes only what is in the pipe: never both messages at once.
        assert_eq!(read_now(&mut input), b"first");
        let writer = second.await.expect("writer task");
        assert_eq!(read_now(&mut input), b"second");
        drop(writer);
    }

    #[tokio::test]
    async fn a_reader_that_does_not_read_delays_a_write_by_the_limit_only() {
        let (_tmp, mut input, mut writer) = first_written().await;
        let started = std::time::Instant::now();
        writer.write(b"second").await.expect("second written");
        let took = started.elapsed();
        assert!(took >= WRITE_TIMEOUT, "{took:?}");
        assert!(took < WRITE_TIMEOUT * 2, "{took:?}");
        assert_eq!(read_now(&mut input), b"firstsecond");
    }

    #[tokio::test]
    async fn write_without_reader_gives_up_after_retries() {
        let tmp = tempfile::tempdir().expect("tempdir");
        create(tmp.path()).expect("created");
        let mut writer = Writer::new(tmp.path());
        let started = std::time::Instant::now();
        let err = writer.write(b"x").await.expect_err("no reader");
        assert!(no_reader(&err), "{err}");
        assert!(started.elapsed() >= RETRY_PAUSE * RETRIES);
    }
}

#[cfg(test)]
#[path = "fifo_safety_tests.rs"]
mod safety_tests;
