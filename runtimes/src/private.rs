//! Private folders and files of the agent: the run folder, `<agent>_io`, instance folders and
//! the files in them. Other local users must not be able to plant anything the agent (often
//! root) would then follow or believe, so:
//!
//! - a folder is created 0700; an existing one is used only if it is a real directory (not a
//!   symlink), owned by the agent's effective uid and not writable by group or others;
//! - a file is opened relative to such a folder's fd, one path component, with `O_NOFOLLOW`
//!   (a symlink in its place is an error, never followed) and created 0600.
//!
//! Since every name is a single component below a checked folder fd, `O_NOFOLLOW` is as strict
//! as `openat2(RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH)` and works on every kernel.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat, CWD};
use rustix::io::Errno;

/// Why a folder is not the agent's alone.
#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    /// It exists but others could have planted something in it.
    #[error(
        "folder '{path}' {reason}; the agent (uid {euid}) needs a real directory it owns that \
         is not writable by group or others: remove it (or fix owner and mode after checking \
         what is in it) and start again"
    )]
    Unsafe {
        /// The folder.
        path: PathBuf,
        /// What is wrong, e.g. `is owned by uid 65534 with mode 0777`.
        reason: String,
        /// The agent's effective uid.
        euid: u32,
    },
    /// It cannot be created or opened.
    #[error("cannot use folder '{path}': {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// The effective uid of this process.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn io_err(path: &Path, e: impl Into<io::Error>) -> PrivateError {
    PrivateError::Io {
        path: path.to_owned(),
        source: e.into(),
    }
}

fn unsafe_dir(path: &Path, reason: String) -> PrivateError {
    PrivateError::Unsafe {
        path: path.to_owned(),
        reason,
        euid: euid(),
    }
}

/// Whether `stat` (of `path`) is a directory the agent alone can change.
fn check(path: &Path, stat: &Stat) -> Result<(), PrivateError> {
    let kind = FileType::from_raw_mode(stat.st_mode);
    if kind == FileType::Symlink {
        return Err(unsafe_dir(path, "is a symbolic link".into()));
    }
    if kind != FileType::Directory {
        return Err(unsafe_dir(path, "is not a directory".into()));
    }
    let mode = stat.st_mode & 0o7777;
    if stat.st_uid != euid() || mode & 0o022 != 0 {
        return Err(unsafe_dir(
            path,
            format!("is owned by uid {} with mode {mode:04o}", stat.st_uid),
        ));
    }
    Ok(())
}

/// Opens the existing folder `path` after checking it is the agent's alone.
pub fn open_dir(path: &Path) -> Result<OwnedFd, PrivateError> {
    // lstat first only for a clear message on a symlink; the check that counts is on the fd.
    let stat = rustix::fs::lstat(path).map_err(|e| io_err(path, e))?;
    check(path, &stat)?;
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(|e| io_err(path, e))?;
    let stat = rustix::fs::fstat(&fd).map_err(|e| io_err(path, e))?;
    check(path, &stat)?;
    Ok(fd)
}

/// Creates `path` 0700 if it is missing (its parent must exist), then opens it as
/// [`open_dir`] does.
pub fn ensure_dir(path: &Path) -> Result<OwnedFd, PrivateError> {
    match rustix::fs::mkdirat(CWD, path, Mode::RWXU) {
        Ok(()) | Err(Errno::EXIST) => open_dir(path),
        Err(e) => Err(io_err(path, e)),
    }
}

/// Opens `name` in `dir` for reading; a symlink or anything but a regular file is an error.
pub fn open_read(dir: &OwnedFd, name: &str) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty())?;
    regular(fd)
}

/// Reads all of `name` in `dir` as text.
pub fn read_to_string(dir: &OwnedFd, name: &str) -> io::Result<String> {
    let mut text = String::new();
    open_read(dir, name)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Opens `name` in `dir` for appending, creating it 0600.
pub fn open_append(dir: &OwnedFd, name: &str) -> io::Result<File> {
    let flags =
        OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::RUSR | Mode::WUSR)?;
    regular(fd)
}

/// Creates `name` in `dir` 0600 with `content`; it must not exist yet.
pub fn create_new(dir: &OwnedFd, name: &str, content: &[u8]) -> io::Result<File> {
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::RUSR | Mode::WUSR)?;
    let mut file = File::from(fd);
    file.write_all(content)?;
    Ok(file)
}

/// Writes `name` in `dir` atomically (a new 0600 temporary file, then rename), so readers that
/// see the file see all of it.
pub fn write_atomic(dir: &OwnedFd, name: &str, content: &str) -> io::Result<()> {
    let tmp = format!(".{name}.tmp");
    remove(dir, &tmp);
    create_new(dir, &tmp, content.as_bytes())?;
    rustix::fs::renameat(dir, tmp.as_str(), dir, name)?;
    Ok(())
}

/// Removes `name` from `dir` (a symlink itself, never its target); a missing one is fine.
pub fn remove(dir: &OwnedFd, name: &str) {
    let _ = rustix::fs::unlinkat(dir, name, AtFlags::empty());
}

/// Whether `name` exists in `dir` (a symlink counts as existing, and is not followed).
pub fn exists(dir: &OwnedFd, name: &str) -> bool {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
}

fn regular(fd: OwnedFd) -> io::Result<File> {
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(io::Error::other("not a regular file"));
    }
    // NONBLOCK only kept a planted FIFO from blocking the open; regular files ignore it.
    Ok(File::from(fd))
}

#[cfg(test)]
#[path = "private_tests.rs"]
pub(crate) mod tests;
