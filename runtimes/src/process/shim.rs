//! The shim: the parent of one native workload, so that the workload outlives the agent.
//!
//! The agent runs its own executable with a hidden subcommand (`ank-agent __shim <dir>`); the
//! shim leaves the agent's session, locks `native.json` and starts the workload it describes in
//! a new process group, writes `pids`, tells the agent `ok <pid>` or `err <message>` on stdout (its only
//! output there), copies each stdout/stderr line to `output.log` with an RFC 3339 timestamp,
//! and writes `exit_code` when the workload has ended. It uses threads and blocking I/O only:
//! it is tiny and must not depend on the agent being alive.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::files::{self, ShimSpec};

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

fn start(dir: &Path) -> Result<(), String> {
    let mut lock = File::open(dir.join(files::SPEC))
        .map_err(|e| format!("cannot open {}: {e}", files::SPEC))?;
    lock.try_lock()
        .map_err(|_| "another shim already runs this instance".to_owned())?;
    let mut spec = Vec::new();
    lock.read_to_end(&mut spec)
        .map_err(|e| format!("cannot read {}: {e}", files::SPEC))?;
    let spec: ShimSpec =
        serde_json::from_slice(&spec).map_err(|e| format!("cannot read {}: {e}", files::SPEC))?;
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(files::LOG))
        .map_err(|e| format!("cannot open {}: {e}", files::LOG))?;
    let (program, args) = spec.argv.split_first().ok_or("empty command")?;
    let mut child = Command::new(program)
        .args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spec.working_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start '{program}': {e}"))?;
    let pid = child.id();
    fs::write(
        dir.join(files::PIDS),
        format!("{} {pid}\n", std::process::id()),
    )
    .map_err(|e| format!("cannot write {}: {e}", files::PIDS))?;
    println!("ok {pid}");
    let _ = io::stdout().flush();

    let log = Arc::new(Mutex::new(log));
    let (done_tx, done_rx) = mpsc::channel();
    let mut readers = 0;
    let outputs: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ];
    for output in outputs.into_iter().flatten() {
        readers += 1;
        let (log, done) = (Arc::clone(&log), done_tx.clone());
        std::thread::spawn(move || {
            copy_lines(output, &log);
            let _ = done.send(());
        });
    }
    let status = child.wait().map_err(|e| format!("cannot wait: {e}"))?;
    // The workload is its process group: when its leader ends, nothing of it stays behind.
    #[allow(clippy::cast_possible_wrap)] // pids fit in i32
    let group = Pid::from_raw(pid as i32);
    let _ = killpg(group, Signal::SIGKILL);
    reap_group(group);
    for _ in 0..readers {
        if done_rx.recv_timeout(DRAIN_TIMEOUT).is_err() {
            break;
        }
    }
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(255);
    files::write_atomic(dir, files::EXIT_CODE, &code.to_string())
        .map_err(|e| format!("cannot write {}: {e}", files::EXIT_CODE))?;
    drop(lock);
    Ok(())
}

/// Reaps the killed members of the workload's group that were re-parented to the shim.
fn reap_group(group: Pid) {
    let members = Pid::from_raw(-group.as_raw());
    while nix::sys::wait::waitpid(members, None).is_ok() {}
}

/// Copies lines from `output` to the log, each prefixed with the time it was read.
fn copy_lines(output: impl Read, log: &Mutex<File>) {
    let mut reader = BufReader::new(output);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let text = format!(
            "{} {}\n",
            jiff::Timestamp::now(),
            String::from_utf8_lossy(&line)
        );
        if let Ok(mut file) = log.lock() {
            let _ = file.write_all(text.as_bytes());
        }
    }
}
