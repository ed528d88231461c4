//! The shim: the parent of one native workload, so that the workload outlives the agent.
//!
//! The agent runs its own executable with a hidden subcommand (`ank-agent __shim <dir>`); the
//! shim leaves the agent's session, locks `native.json`, joins the instance's cgroup (see
//! `contain`) and starts the workload it describes in a new process group, writes `pids`,
//! tells the agent `ok <pid>` or `err <message>` on stdout (its only output there), copies
//! stdout/stderr to `output.log` as bounded records with an RFC 3339 timestamp (`records`,
//! rotated at a size cap by `logfile`), kills what the workload
//! left when it ends, and writes `exit_code`. One thread, blocking `poll`
//! on the pipes and a pidfd, no async runtime: it is tiny and must not depend on the agent.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::PidfdFlags;
use serde_json::error::Category;

use super::contain::reaper;
use super::files::{self, Pids, ShimSpec};
use super::identity;
use super::logfile::LogFile;
use super::records::Records;
use crate::private;

/// How long the shim waits for lines still buffered in the pipes after the workload ended.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs the shim for the instance folder `dir`; returns the shim's own exit code.
pub fn run(dir: &Path) -> i32 {
    // Leave the agent's session and process group: a Ctrl-C or SIGHUP aimed at the agent's
    // terminal must not reach the workload. Fails only if already a group leader, which is fine.
    let _ = nix::unistd::setsid();
    // Become the reaper of the workload's orphans (like conmon): a process the workload forked
    // and left behind is re-parented here, not to init, so the shim reaps it.
    let _ = nix::sys::prctl::set_child_subreaper(true);
    match start(dir) {
        Ok(()) => 0,
        Err(message) => {
            println!("err {message}");
            1
        }
    }
}

fn start(dir_path: &Path) -> Result<(), String> {
    // The instance folder and every file in it without following symlinks (see `private`).
    let dir = private::open_dir(dir_path).map_err(|e| e.to_string())?;
    let mut lock = private::open_read(&dir, files::SPEC)
        .map_err(|e| format!("cannot open {}: {e}", files::SPEC))?;
    lock.try_lock()
        .map_err(|_| "another shim already runs this instance".to_owned())?;
    let mut spec = Vec::new();
    lock.read_to_end(&mut spec)
        .map_err(|e| format!("cannot read {}: {e}", files::SPEC))?;
    let spec: ShimSpec = serde_json::from_slice(&spec).map_err(|e| spec_error(&e))?;
    let log =
        LogFile::open(&dir, spec.log).map_err(|e| format!("cannot open {}: {e}", files::LOG))?;
    let (program, args) = spec.argv.split_first().ok_or("empty command")?;
    // Joined before the workload exists: everything it ever starts is born in the cgroup.
    if let Some(cgroup) = &spec.cgroup {
        if !cgroup.is_for(dir_path) {
            return Err(format!(
                "{} is not this instance's cgroup",
                cgroup.path.display()
            ));
        }
        cgroup.join(0).map_err(|e| e.to_string())?;
    }
    let mut child = Command::new(program)
        .args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.working_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| {
            reaper::kill_leftovers(spec.cgroup.as_ref());
            format!("cannot start '{program}': {e}")
        })?;
    let pid = child.id();
    // Until the agent hears `ok`, nobody else knows of the workload: on a failure here it is
    // killed, not left running unsupervised.
    let pidfd = match supervise(&dir, pid) {
        Ok(pidfd) => pidfd,
        Err(message) => {
            let _ = child.kill();
            let _ = child.wait();
            reaper::kill_leftovers(spec.cgroup.as_ref());
            return Err(message);
        }
    };
    println!("ok {pid}");
    let _ = io::stdout().flush();

    let mut outputs: Vec<Output> = [
        child.stdout.take().map(OwnedFd::from),
        child.stderr.take().map(OwnedFd::from),
    ]
    .into_iter()
    .flatten()
    .map(Output::new)
    .collect();
    let mut log = log;
    // One thread does it all: poll the pipes and the pidfd, so a shim costs no threads.
    pump(&mut outputs, Some(&pidfd), None, &mut log);
    let status = child.wait().map_err(|e| format!("cannot wait: {e}"))?;
    // When its leader ends, nothing of the workload stays behind: its process group, and
    // what left the group (`setsid`) through the cgroup or as the shim's descendants.
    #[allow(clippy::cast_possible_wrap)] // pids fit in i32
    let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
    reaper::kill_leftovers(spec.cgroup.as_ref());
    pump(&mut outputs, None, Some(DRAIN_TIMEOUT), &mut log);
    for output in &mut outputs {
        output.finish(&mut log);
    }
    log.flush();
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(255);
    private::write_atomic(&dir, files::EXIT_CODE, &code.to_string())
        .map_err(|e| format!("cannot write {}: {e}", files::EXIT_CODE))?;
    drop(lock);
    Ok(())
}

/// A spec that does not parse, by position and kind only: serde's message quotes the offending
/// value, which in a corrupted file may be an env value, and this message reaches the agent.
fn spec_error(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        Category::Io => "a read error",
        Category::Syntax => "invalid JSON",
        Category::Data => "a value of the wrong type",
        Category::Eof => "an unexpected end",
    };
    format!(
        "cannot read {}: {kind} at line {} column {}",
        files::SPEC,
        e.line(),
        e.column()
    )
}

/// Opens a pidfd of the workload (how the shim learns of its end) and writes `pids`, with both
/// start times so that a reader can tell these processes from any that reuse their pids.
fn supervise(dir: &OwnedFd, pid: u32) -> Result<OwnedFd, String> {
    #[allow(clippy::cast_possible_wrap)] // pids fit in i32
    let pidfd = rustix::process::Pid::from_raw(pid as i32)
        .and_then(|p| rustix::process::pidfd_open(p, PidfdFlags::empty()).ok())
        .ok_or("cannot open a pidfd of the workload (Linux 5.3 or later is needed)")?;
    // The workload is not reaped before the pidfd is opened, so its stat is its own.
    let start_of = |pid: &str| identity::stat_of(pid).map(|s| s.start_time);
    let (Some(shim_start), Some(workload_start)) = (start_of("self"), start_of(&pid.to_string()))
    else {
        return Err("cannot read the start times in /proc".to_owned());
    };
    #[allow(clippy::cast_possible_wrap)] // pids fit in i32
    let pids = Pids {
        shim: std::process::id() as i32,
        workload: pid as i32,
        shim_start,
        workload_start,
    };
    private::write_atomic(dir, files::PIDS, &pids.render())
        .map_err(|e| format!("cannot write {}: {e}", files::PIDS))?;
    Ok(pidfd)
}

/// The most bytes taken from a pipe per `read`: `yes` fills a 64 KiB pipe between two polls,
/// so one syscall empties it.
const READ_SIZE: usize = 64 * 1024;

/// One output pipe of the workload (`None` after its end) and its unfinished record.
struct Output {
    pipe: Option<OwnedFd>,
    records: Records,
}

impl Output {
    fn new(pipe: OwnedFd) -> Self {
        Output {
            pipe: Some(pipe),
            records: Records::default(),
        }
    }

    /// Reads what the pipe has (it polled readable, so this does not block) and logs each
    /// complete record, all stamped with the time of this read; at the pipe's end, the
    /// unfinished record too. Linear in the bytes read: the cost of 100 % CPU on output without
    /// newlines was a rescan of the whole unfinished line after every read.
    fn read(&mut self, buf: &mut [u8], log: &mut LogFile) {
        let Some(pipe) = &self.pipe else { return };
        match rustix::io::read(pipe, &mut *buf) {
            Ok(0) | Err(_) => self.finish(log),
            Ok(n) => {
                let now = jiff::Timestamp::now().to_string();
                self.records
                    .feed(&buf[..n], |record| log.record(&now, record));
            }
        }
    }

    /// Logs the unfinished record and forgets the pipe.
    fn finish(&mut self, log: &mut LogFile) {
        let now = jiff::Timestamp::now().to_string();
        self.records.finish(|record| log.record(&now, record));
        self.pipe = None;
    }
}

/// Copies the workload's output to the log until the pidfd says it ended (`until_exit`) or,
/// after that, until the pipes end or `drain` has passed.
fn pump(
    outputs: &mut [Output],
    until_exit: Option<&OwnedFd>,
    drain: Option<Duration>,
    log: &mut LogFile,
) {
    let mut buf = vec![0u8; READ_SIZE];
    let deadline = drain.map(|d| Instant::now() + d);
    loop {
        let open: Vec<usize> = (0..outputs.len())
            .filter(|i| outputs[*i].pipe.is_some())
            .collect();
        if open.is_empty() && until_exit.is_none() {
            return;
        }
        let timeout = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return;
                }
                Some(Timespec::try_from(left).unwrap_or(Timespec {
                    tv_sec: 1,
                    tv_nsec: 0,
                }))
            }
            None => None,
        };
        let mut fds: Vec<PollFd<'_>> = open
            .iter()
            .filter_map(|i| outputs[*i].pipe.as_ref())
            .map(|pipe| PollFd::new(pipe, PollFlags::IN))
            .collect();
        if let Some(pidfd) = until_exit {
            fds.push(PollFd::new(pidfd, PollFlags::IN));
        }
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return,
        }
        let ready: Vec<bool> = fds.iter().map(|fd| !fd.revents().is_empty()).collect();
        drop(fds);
        for (slot, i) in open.iter().enumerate() {
            if ready[slot] {
                outputs[*i].read(&mut buf, log);
            }
        }
        // Readers following the log see each read's records at once.
        log.flush();
        if until_exit.is_some() && ready.last() == Some(&true) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(json: &str) -> String {
        spec_error(&serde_json::from_str::<ShimSpec>(json).expect_err("corrupt spec"))
    }

    #[test]
    fn a_corrupt_spec_is_named_by_file_and_position_never_content() {
        // serde_json would say `invalid type: string "hunter2", expected a sequence`.
        let err = error_of(r#"{"argv":["a"],"env":"hunter2","working_dir":"/"}"#);
        assert_eq!(
            err,
            "cannot read native.json: a value of the wrong type \
             at line 1 column 29"
        );
        let err = error_of("{\"argv\":[\"a\"],\n\"env\":[[\"K\",\"hunter2");
        assert_eq!(
            err,
            "cannot read native.json: an unexpected end at line 2 column 20"
        );
        let err = error_of(r#"{"env":[["K",hunter2]]}"#);
        assert!(
            err.contains("invalid JSON at line 1") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
