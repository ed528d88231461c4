//! Log throughput of the native runtime: a workload writes as fast as it can for a few
//! seconds, and the bench reports what went through its shim (`/proc/<shim>/io`: bytes read
//! from the pipes, bytes written to the log, rotations included), the shim's and the agent's
//! CPU meanwhile, what stays on disk, and `ank logs --tail 5` and a whole `ank logs` on the
//! full log (with the agent's peak memory before and after).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ank_model::State;
use anyhow::{bail, Context};

use crate::client::{is_gone, is_running};
use crate::procs::{cpu_ticks, start_agent, start_server};
use crate::scenarios::{first_answer, median, ms};
use crate::Settings;

/// How long each workload writes.
const WINDOW: Duration = Duration::from_secs(5);
/// `ank logs --tail 5` runs per workload.
const TAIL_RUNS: usize = 5;
const MB: f64 = 1_000_000.0;

/// The workloads: short lines, long lines, no newlines at all.
const CASES: [(&str, &str); 3] = [
    ("yes", "command: [yes]\n"),
    (
        "lines100",
        "command: [sh, -c, 'exec yes $(printf %0100d 7)']\n",
    ),
    (
        "no_newlines",
        "command: [sh, -c, 'exec tr \"\\0\" x < /dev/zero']\n",
    ),
];

/// Runs every case on a fresh server and agent (default `--log-max-size`).
pub async fn log_throughput(s: &Settings, run_root: &Path) -> anyhow::Result<()> {
    for (name, config) in CASES {
        one_case(s, &run_root.join(format!("logs_{name}")), name, config).await?;
    }
    Ok(())
}

async fn one_case(s: &Settings, run_folder: &Path, name: &str, config: &str) -> anyhow::Result<()> {
    let (_server, url, _) = start_server(&s.bin_dir)?;
    let mut client = first_answer(&url).await?;
    let mut watch = client.watch(&["workloadStates", "agents"]).await?;
    let agent = start_agent(&s.bin_dir, "agent_A", &url, run_folder)?;
    watch.until(|st| st.agents.contains_key("agent_A")).await?;
    let mask = vec![format!("desiredState.workloads.{name}")];
    let mut state = State::new();
    state.workloads.insert(
        name.to_owned(),
        ank_model::Workload {
            agent: "agent_A".into(),
            runtime: "native".into(),
            runtime_config: config.into(),
            ..Default::default()
        },
    );
    client.update(state, mask.clone()).await?;
    watch.until(|st| is_running(st, name)).await?;
    let dir = instance_dir(run_folder, name)?;
    let shim = shim_pid(&dir)?;

    let (io0, shim0, agent0) = (io(shim)?, cpu_ticks(shim)?, cpu_ticks(agent.pid())?);
    let started = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let (io1, shim1, agent1) = (io(shim)?, cpu_ticks(shim)?, cpu_ticks(agent.pid())?);
    let secs = started.elapsed().as_secs_f64();
    let on_disk: u64 = ["output.log", "output.log.1"]
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).map_or(0, |m| m.len()))
        .sum();
    println!(
        "log {name}: workload output {:.1} MB/s, log written {:.1} MB/s, shim CPU {:.0} %, \
         agent CPU {:.0} % over {secs:.1} s; on disk {:.1} MB (output.log + output.log.1)",
        (io1.0 - io0.0) as f64 / MB / secs,
        (io1.1 - io0.1) as f64 / MB / secs,
        (shim1 - shim0) as f64 / secs,
        (agent1 - agent0) as f64 / secs,
        on_disk as f64 / MB,
    );
    let ank = s.bin_dir.join("ank");
    if ank.exists() {
        let mut tails = Vec::with_capacity(TAIL_RUNS);
        for _ in 0..TAIL_RUNS {
            tails.push(ank_logs(&ank, &url, &["--tail", "5", name])?);
        }
        let hwm = vm_kib(agent.pid(), "VmHWM")?;
        let whole = ank_logs(&ank, &url, &[name])?;
        println!(
            "log {name}: ank logs --tail 5 median {:.1} ms over {TAIL_RUNS}; whole log \
             ({:.1} MB) {:.0} ms, agent VmHWM {hwm} -> {} KiB",
            ms(median(tails)),
            on_disk as f64 / MB,
            ms(whole),
            vm_kib(agent.pid(), "VmHWM")?
        );
    } else {
        println!("log {name}: {} missing, ank logs not timed", ank.display());
    }
    client.update(State::new(), mask).await?;
    watch.until(|st| is_gone(st, name)).await?;
    Ok(())
}

/// The instance folder of `name` on `agent_A`.
fn instance_dir(run_folder: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let io = run_folder.join("agent_A_io");
    std::fs::read_dir(&io)?
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{name}."))
        })
        .map(|e| e.path())
        .with_context(|| format!("no instance folder of {name} in {}", io.display()))
}

/// The shim's pid: the first field of the instance's `pids`.
fn shim_pid(dir: &Path) -> anyhow::Result<u32> {
    let text = std::fs::read_to_string(dir.join("pids"))?;
    Ok(text
        .split_whitespace()
        .next()
        .context("empty pids")?
        .parse()?)
}

/// Bytes a process has read and written (`rchar`, `wchar`).
fn io(pid: u32) -> anyhow::Result<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = text.lines().find_map(|l| l.strip_prefix(name));
        Ok(line.context("field missing in io")?.trim().parse()?)
    };
    Ok((field("rchar:")?, field("wchar:")?))
}

/// A `Vm…` field of `/proc/<pid>/status`, in KiB.
fn vm_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .context("field missing in status")?;
    Ok(value.parse()?)
}

/// Runs `ank -k -s URL logs ARGS…` with its output discarded; how long it took.
fn ank_logs(ank: &Path, url: &str, args: &[&str]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = Command::new(ank)
        .args(["-k", "-s", url, "logs"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("ank logs {args:?} failed: {status}");
    }
    Ok(started.elapsed())
}
