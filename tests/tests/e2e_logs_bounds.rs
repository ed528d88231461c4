//! Native logs with bounds, end to end: a workload printing without pause keeps its log under
//! the agent's `--log-max-size` (plus one rotated file), `ank logs --tail 5` answers from the
//! end of the file, output without newlines is cut into 16 KiB records, and streaming a large
//! log does not grow the agent's memory with the file. Figures (shim CPU, memory) are printed,
//! never asserted: `scripts/bench.sh --only logs` measures them on release binaries.

mod e2e_support;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_support::{bin_dir, Cluster};

const MIB: u64 = 1024 * 1024;

/// Applies one native workload on `agent_A` running `script` (which writes its PID first).
fn apply(c: &Cluster, name: &str, script: &str) {
    let pid = c.path(&format!("{name}.pid"));
    let manifest = format!(
        "apiVersion: v1\nworkloads:\n  {name}:\n    runtime: native\n    agent: agent_A\n    \
         runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {pid}; {script}']\n"
    );
    let file = c.write(&format!("{name}.yaml"), &manifest);
    c.ank_ok(&["apply", &file]);
}

/// The instance folder of `name` on `agent_A`.
fn instance_dir(c: &Cluster, name: &str) -> PathBuf {
    let io = c.dir.path().join("run_agent_A").join("agent_A_io");
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(&io)
            .into_iter()
            .flatten()
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{name}."))
            });
        if let Some(entry) = found {
            return entry.path();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no instance folder of {name}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("field")
}

/// User plus system CPU ticks of a process.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

/// The shim of an instance, from its `pids` file.
fn shim_pid(dir: &Path) -> u32 {
    let text = std::fs::read_to_string(dir.join("pids")).expect("pids");
    text.split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("shim pid")
}

/// `ank logs ARGS…` with stdout into a file (it may be large); the file and the time taken.
fn logs_to_file(c: &Cluster, args: &[&str], out: &str) -> (PathBuf, Duration) {
    let path = c.dir.path().join(out);
    let file = std::fs::File::create(&path).expect("output file");
    let start = Instant::now();
    let mut child = Command::new(bin_dir().join("ank"))
        .args(["-k", "-s", &c.url, "logs"])
        .args(args)
        .env("HOME", c.dir.path())
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ank logs");
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "ank logs {args:?} failed\n{}", c.logs());
            return (path, start.elapsed());
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "ank logs {args:?} hangs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a firehose workload on an agent with 1 MiB log files for three seconds, checking
/// that neither log file passes the cap; the shim's share of a core meanwhile.
fn firehose(c: &mut Cluster, name: &str, script: &str) -> f64 {
    c.start_agent_with("agent_A", "zone=a", &[], &["--log-max-size", "1MiB"]);
    apply(c, name, script);
    let dir = instance_dir(c, name);
    let shim = shim_pid(&dir);
    let (ticks, start) = (cpu_ticks(shim), Instant::now());
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(100));
        for file in ["output.log", "output.log.1"] {
            let size = size(&dir.join(file));
            assert!(size <= MIB, "{file} reached {size} bytes");
        }
    }
    assert!(
        size(&dir.join("output.log.1")) > MIB / 2,
        "rotated at least once"
    );
    assert!(!dir.join("output.log.2").exists());
    #[allow(clippy::cast_precision_loss)] // ticks are small
    let cpu = (cpu_ticks(shim) - ticks) as f64 / 100.0 / start.elapsed().as_secs_f64();
    cpu
}

#[test]
fn yes_stays_under_the_cap_and_tail_answers_with_five_lines() {
    let mut c = Cluster::start();
    let cpu = firehose(&mut c, "yes", "exec yes");
    eprintln!("shim CPU while `yes` runs: {:.0} % of a core", cpu * 100.0);

    let (out, took) = logs_to_file(&c, &["--tail", "5", "yes"], "tail.txt");
    let text = std::fs::read_to_string(out).expect("tail");
    assert_eq!(text, "y\ny\ny\ny\ny\n", "{}", c.logs());
    eprintln!("ank logs --tail 5 on a full log: {took:?}");
    c.ank_ok(&["delete", "workload", "yes"]);
}

#[test]
fn output_without_newlines_is_cut_into_bounded_records() {
    let mut c = Cluster::start();
    let cpu = firehose(&mut c, "endless", "exec tr \"\\\\0\" x < /dev/zero");
    eprintln!(
        "shim CPU under output without newlines: {:.0} % of a core",
        cpu * 100.0
    );

    let (out, _) = logs_to_file(&c, &["--tail", "3", "endless"], "tail.txt");
    let text = std::fs::read_to_string(out).expect("tail");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{}", &text[..text.len().min(200)]);
    assert!(lines
        .iter()
        .all(|l| l.len() == 16 * 1024 && l.bytes().all(|b| b == b'x')));
    c.ank_ok(&["delete", "workload", "endless"]);
}

#[test]
fn streaming_a_large_log_does_not_grow_the_agent_with_the_file() {
    let mut c = Cluster::start();
    c.start_agent_with("agent_A", "zone=a", &[], &["--log-max-size", "256MiB"]);
    // 300 000 lines of 100 characters: about 39 MB on disk with timestamps.
    let done = c.path("written");
    let script = format!("yes $(printf %0100d 7) | head -n 300000; touch {done}; exec sleep 300");
    apply(&c, "big", &script);
    let dir = instance_dir(&c, "big");
    let start = Instant::now();
    while !Path::new(&done).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the workload did not finish writing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let on_disk = size(&dir.join("output.log"));
    assert!(on_disk > 35_000_000, "log of {on_disk} bytes");
    let agent = c.agent_pid("agent_A");
    let (rss, hwm) = (status_kib(agent, "VmRSS"), status_kib(agent, "VmHWM"));

    let (out, took) = logs_to_file(&c, &["big"], "all.txt");
    let (rss_after, hwm_after) = (status_kib(agent, "VmRSS"), status_kib(agent, "VmHWM"));
    eprintln!(
        "ank logs of {} MB: {took:?}; agent VmRSS {rss} -> {rss_after} KiB, VmHWM {hwm} -> {hwm_after} KiB",
        on_disk / 1_000_000
    );
    let file = std::io::BufReader::new(std::fs::File::open(out).expect("output"));
    let mut lines = 0;
    for line in file.lines() {
        let line = line.expect("line");
        assert_eq!(line.len(), 100, "{line}");
        lines += 1;
    }
    assert_eq!(lines, 300_000);
    // Streamed: the peak grows by a few bounded batches, not by the 39 MB read.
    let grown = hwm_after.saturating_sub(hwm);
    assert!(
        grown * 1024 < on_disk / 2,
        "the agent's peak grew by {grown} KiB"
    );
    c.ank_ok(&["delete", "workload", "big"]);
}
