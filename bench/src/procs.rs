//! Starting `ank-server` and `ank-agent` as child processes, and reading their `/proc` figures.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::certs::{Certs, Identity};

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Proc {
    child: Child,
}

impl Proc {
    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the benchmark's processes talk: plain with `-k`, or mTLS.
#[derive(Debug, Clone)]
pub enum Transport {
    /// `-k` everywhere.
    Plain,
    /// mTLS with these certificates.
    Mtls(Certs),
}

impl Transport {
    /// The flags that select it, with `identity` as the process's own.
    fn flags(&self, identity: impl Fn(&Certs) -> &Identity) -> Vec<OsString> {
        match self {
            Transport::Plain => vec!["-k".into()],
            Transport::Mtls(certs) => {
                let own = identity(certs);
                vec![
                    "--ca_pem".into(),
                    certs.ca.clone().into(),
                    "--crt_pem".into(),
                    own.crt.clone().into(),
                    "--key_pem".into(),
                    own.key.clone().into(),
                ]
            }
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Transport::Plain => "http",
            Transport::Mtls(_) => "https",
        }
    }
}

/// Starts `ank-server -k -a 127.0.0.1:0`; see [`start_server_over`].
pub fn start_server(bin_dir: &Path) -> anyhow::Result<(Proc, String, Instant)> {
    start_server_over(bin_dir, &Transport::Plain)
}

/// Starts `ank-server -a 127.0.0.1:0` and returns it with its URL, read from its `ank-server
/// listening on ADDR` line. Its stderr is drained by a thread afterwards.
pub fn start_server_over(
    bin_dir: &Path,
    transport: &Transport,
) -> anyhow::Result<(Proc, String, Instant)> {
    start_server_with(bin_dir, transport, "127.0.0.1:0", &[])
}

/// Starts `ank-server -a ADDRESS EXTRA…` as [`start_server_over`] does.
pub fn start_server_with(
    bin_dir: &Path,
    transport: &Transport,
    address: &str,
    extra: &[&str],
) -> anyhow::Result<(Proc, String, Instant)> {
    let started = Instant::now();
    let mut child = Command::new(bin_dir.join("ank-server"))
        .args(transport.flags(|c| &c.server))
        .args(["-a", address])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting ank-server")?;
    let stderr = child.stderr.take().context("ank-server stderr")?;
    let proc = Proc { child };
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let Some(line) = lines.next() else {
            bail!("ank-server exited before it said where it listens")
        };
        let line = line?;
        if let Some((_, addr)) = line.split_once("listening on ") {
            break addr.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok((proc, format!("{}://{address}", transport.scheme()), started))
}

/// Starts `ank-agent -k -n NAME -s URL -r RUN_FOLDER`.
pub fn start_agent(
    bin_dir: &Path,
    name: &str,
    url: &str,
    run_folder: &Path,
) -> anyhow::Result<Proc> {
    start_agent_over(bin_dir, name, url, run_folder, &Transport::Plain)
}

/// Starts `ank-agent -n NAME -s URL -r RUN_FOLDER` with the transport's flags.
pub fn start_agent_over(
    bin_dir: &Path,
    name: &str,
    url: &str,
    run_folder: &Path,
    transport: &Transport,
) -> anyhow::Result<Proc> {
    start_agent_with(bin_dir, name, url, run_folder, transport, &[])
}

/// [`start_agent_over`] with more `ank-agent` arguments.
pub fn start_agent_with(
    bin_dir: &Path,
    name: &str,
    url: &str,
    run_folder: &Path,
    transport: &Transport,
    extra: &[&str],
) -> anyhow::Result<Proc> {
    std::fs::create_dir_all(run_folder)?;
    let child = Command::new(bin_dir.join("ank-agent"))
        .args(transport.flags(|c| &c.agent))
        .args(["-n", name, "-s", url, "-r"])
        .arg(run_folder)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting ank-agent {name}"))?;
    Ok(Proc { child })
}

/// Resident and proportional set size of a process, in KiB.
pub fn rss_pss_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    let field = |name: &str| {
        rollup
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .with_context(|| format!("{name} missing in smaps_rollup"))
    };
    Ok((field("Rss:")?, field("Pss:")?))
}

/// The PSS of a process's descendants (for the agent: a `podman events` it keeps), in KiB,
/// and how many there are.
pub fn descendants_pss_kib(pid: u32) -> (usize, u64) {
    let mut stack = children(pid);
    let (mut count, mut pss) = (0, 0);
    while let Some(child) = stack.pop() {
        count += 1;
        pss += rss_pss_kib(child).map_or(0, |(_, p)| p);
        stack.extend(children(child));
    }
    (count, pss)
}

fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// CPU time (user + system) a process has used, in clock ticks.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("malformed stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).context("utime")?.parse()?;
    let stime: u64 = fields.get(12).context("stime")?.parse()?;
    Ok(utime + stime)
}

/// Percent of one core a process used over `window`.
pub async fn idle_cpu_percent(pid: u32, window: Duration) -> anyhow::Result<f64> {
    let before = cpu_ticks(pid)?;
    tokio::time::sleep(window).await;
    let after = cpu_ticks(pid)?;
    // Linux reports 100 ticks per second on every platform we run on.
    Ok((after - before) as f64 / window.as_secs_f64())
}
