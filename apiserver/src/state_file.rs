//! The durable desired state (`--state-file`): its self-checking format and its atomic write.
//!
//! A state file is one header line, then the payload:
//! `ANCHORAGE-STATE v1 <payload length> <SHA-256 of the payload, hex>\n<payload>`, the payload
//! being the desired state and the nodeSelector placements as JSON (the model's serde). A file
//! whose header, length or checksum does not hold is refused whole: a torn write or a flipped
//! bit is reported, never half-loaded. A write goes to a new 0600 temp file in the same
//! folder (O_EXCL), is fsynced, renamed over the old file and the folder fsynced, so the
//! previous good file stays until the new one is complete.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ank_model::State;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The first word of the header.
pub const MAGIC: &str = "ANCHORAGE-STATE";
/// The only format version.
pub const VERSION: &str = "v1";
/// A header is far shorter; a longer first line is not a header.
const MAX_HEADER: usize = 256;
/// The bound on a state file when none is given: 8 times the default `--max-state-size`.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// What a state file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Saved {
    /// The desired state as the user wrote it.
    pub desired_state: State,
    /// Agents chosen through nodeSelector, by workload name (kept so a restart does not
    /// move a workload to whichever agent connects first).
    #[serde(default)]
    pub placements: BTreeMap<String, String>,
}

impl Saved {
    /// Whether it holds nothing: no workload and no config (the startup manifest seeds it).
    pub fn is_empty(&self) -> bool {
        self.desired_state.workloads.is_empty() && self.desired_state.configs.is_empty()
    }
}

/// Why a state file's bytes are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// No newline within the first bytes: torn in the header, or not a state file.
    #[error("no header line (the file is torn or not an Anchorage state file)")]
    NoHeader,
    /// The header does not start with the magic word.
    #[error("not an Anchorage state file (the header does not start with '{MAGIC}')")]
    Magic,
    /// A version this server does not read.
    #[error("unsupported state file version '{0}' (expected '{VERSION}')")]
    Version(String),
    /// The header's fields are missing or malformed.
    #[error("malformed header: {0}")]
    Header(&'static str),
    /// The payload is shorter or longer than the header says.
    #[error("payload is {actual} bytes but the header says {expected} (the file is torn)")]
    Length {
        /// From the header.
        expected: usize,
        /// In the file.
        actual: usize,
    },
    /// The payload's SHA-256 is not the header's.
    #[error("checksum mismatch (the file is corrupt)")]
    Checksum,
    /// The checksum holds but the payload is not a state.
    #[error("payload is not a desired state: {0}")]
    Payload(String),
}

/// A state file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// Reading failed.
    #[error("cannot read state file {path}: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The bytes are refused.
    #[error(
        "state file {path} is unusable: {problem}; nothing was loaded. Move it away to start \
         with an empty desired state (or the startup manifest), or restore a good copy"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: FormatError,
    },
    /// The file is (or would be) over its bound: it is neither read nor written.
    #[error(
        "state file {path}: {} is over the limit of {} (8 times --max-state-size); nothing \
         was read or written",
        crate::limits::Size(usize::try_from(*.size).unwrap_or(usize::MAX)),
        crate::limits::Size(usize::try_from(*.limit).unwrap_or(usize::MAX))
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, or the size it would have.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// Writing failed; the previous file is untouched.
    #[error("cannot write state file {path}: {cause}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
}

/// Encodes a state and its placements as a state file's bytes (borrowed: the actor writes
/// on every update and need not copy the state for it).
pub fn encode(
    desired_state: &State,
    placements: &BTreeMap<String, String>,
) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct View<'a> {
        desired_state: &'a State,
        placements: &'a BTreeMap<String, String>,
    }
    let payload = serde_json::to_vec(&View {
        desired_state,
        placements,
    })?;
    let digest = hex(&Sha256::digest(&payload));
    let mut out = format!("{MAGIC} {VERSION} {} {digest}\n", payload.len()).into_bytes();
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decodes a state file's bytes, checking header, length and checksum before parsing.
pub fn decode(bytes: &[u8]) -> Result<Saved, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::Empty);
    }
    let end = bytes
        .iter()
        .take(MAX_HEADER)
        .position(|&b| b == b'\n')
        .ok_or(FormatError::NoHeader)?;
    let header = std::str::from_utf8(&bytes[..end]).map_err(|_| FormatError::Magic)?;
    let payload = &bytes[end + 1..];
    let mut fields = header.split(' ');
    if fields.next() != Some(MAGIC) {
        return Err(FormatError::Magic);
    }
    match fields.next() {
        Some(VERSION) => {}
        Some(other) => return Err(FormatError::Version(other.to_owned())),
        None => return Err(FormatError::Header("no version")),
    }
    let expected: usize = fields
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or(FormatError::Header("no payload length"))?;
    let digest = fields
        .next()
        .filter(|d| d.len() == 64)
        .ok_or(FormatError::Header("no SHA-256"))?;
    if fields.next().is_some() {
        return Err(FormatError::Header("extra fields"));
    }
    if payload.len() != expected {
        return Err(FormatError::Length {
            expected,
            actual: payload.len(),
        });
    }
    if hex(&Sha256::digest(payload)) != digest {
        return Err(FormatError::Checksum);
    }
    serde_json::from_slice(payload).map_err(|e| FormatError::Payload(e.to_string()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a state file within [`DEFAULT_MAX_FILE_BYTES`]; `None` when there is none yet.
pub fn load(path: &Path) -> Result<Option<Saved>, StateFileError> {
    load_within(path, DEFAULT_MAX_FILE_BYTES)
}

/// Reads a state file of at most `max_bytes`; a larger one is refused from its size, before
/// it is read. `None` when there is none yet.
pub fn load_within(path: &Path, max_bytes: u64) -> Result<Option<Saved>, StateFileError> {
    let read_failed = |cause| StateFileError::Read {
        path: path.to_owned(),
        cause,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => return Err(read_failed(cause)),
    };
    let too_large = |size| StateFileError::TooLarge {
        path: path.to_owned(),
        size,
        limit: max_bytes,
    };
    let size = file.metadata().map_err(read_failed)?.len();
    if size > max_bytes {
        return Err(too_large(size));
    }
    // Read one byte past the bound: a file that grew since its size was taken is refused too.
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_failed)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    decode(&bytes)
        .map(Some)
        .map_err(|problem| StateFileError::Corrupt {
            path: path.to_owned(),
            problem,
        })
}

/// Writes a state file atomically within [`DEFAULT_MAX_FILE_BYTES`] (see [`store_within`]).
pub fn store(
    path: &Path,
    desired_state: &State,
    placements: &BTreeMap<String, String>,
) -> Result<(), StateFileError> {
    store_within(path, desired_state, placements, DEFAULT_MAX_FILE_BYTES)
}

/// Writes a state file atomically: temp file (0600, O_EXCL) in the same folder, fsync,
/// rename over `path`, fsync the folder. On error the old file is untouched and the temp
/// file removed. A file over `max_bytes` is not written: it could not be loaded again.
pub fn store_within(
    path: &Path,
    desired_state: &State,
    placements: &BTreeMap<String, String>,
    max_bytes: u64,
) -> Result<(), StateFileError> {
    let failed = |cause| StateFileError::Write {
        path: path.to_owned(),
        cause,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| failed(std::io::Error::other("the path names no file")))?;
    let bytes = encode(desired_state, placements).map_err(|e| failed(std::io::Error::other(e)))?;
    if bytes.len() as u64 > max_bytes {
        return Err(StateFileError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    let (temp, mut file) = create_temp(dir, &name.to_string_lossy()).map_err(failed)?;
    let written = file
        .write_all(&bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(e));
    }
    File::open(dir).and_then(|d| d.sync_all()).map_err(failed)
}

/// Removes the temp files a killed server left beside the state file (never complete, never
/// read): called at start, before anything writes.
pub fn remove_leftovers(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            tracing::info!(leftover = %entry.path().display(), "removing a torn write");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A new temp file beside the state file, named after this process so that a leftover of a
/// killed one never collides for long.
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last = None;
    for attempt in 0..8 {
        let temp = dir.join(format!(".{name}.{pid}.{attempt}.tmp"));
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp);
        match opened {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A leftover of an earlier process with the same pid: never ours to keep.
                let _ = std::fs::remove_file(&temp);
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temp file name free")))
}

#[cfg(test)]
mod tests;
