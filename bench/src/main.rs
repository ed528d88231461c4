//! `anchorage-bench`: measures the running system with the release binaries and prints figures.
//!
//! Run it with `scripts/bench.sh` (builds the release binaries first). It reports: server and
//! agent start-up to first answer, idle RSS/PSS and CPU of both, start-up and apply latency
//! with mTLS as a ratio to `-k`, apply → `Running(Ok)` of one
//! native workload (p50/p99 over `--runs`), 1 000 native workloads over 10 agents, the control
//! interface (a get-state round trip through a workload's FIFOs next to the same request over
//! gRPC, and events per second to one control-interface subscriber), native log throughput
//! (MB/s through a shim, its CPU, `ank logs --tail 5` on a full log), and with `--podman` a
//! one-container pod through `podman-kube` next to bare `podman kube play`. `--only soak`
//! runs the soak instead ([`soak`]: kills, partitions and updates at random, then checks that
//! nothing was lost, doubled or orphaned), for `--rounds N` rounds within `--seconds S`.
//! `--only fleet` measures the server's memory at fleet scale ([`fleet`]: `--fleet-sizes
//! 1000,2000,5000,10000` workloads over `--fleet-agents 100` agents; `--fleet-against DIR`
//! compares with `DIR/ank-server`), never part of a full run.
//!
//! # Layout
//! - [`procs`]: starting the binaries, reading `/proc` figures, killing on drop.
//! - [`client`]: the gRPC calls and a local mirror of workload states fed by events.
//! - [`control`]: the bench process as a control workload, on a workload's FIFOs.
//! - [`scenarios`]: one function per figure.
//! - [`logs`]: native log throughput, shim and agent CPU, `ank logs` on a full log.
//! - [`soak`]: the soak, never part of a full run.
//! - [`fleet`]: memory and time at fleet scale, never part of a full run.

mod certs;
mod client;
mod control;
mod fleet;
mod logs;
mod procs;
mod scenarios;
mod soak;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};

/// What to measure.
struct Settings {
    bin_dir: PathBuf,
    runs: usize,
    many: usize,
    agents: usize,
    podman: bool,
    /// Only this scenario (`startup`, `tls`, `one`, `many`, `control`, `logs`, `podman`, `soak`,
    /// `fleet`), when
    /// given.
    only: Option<String>,
    /// Where the agents' run folders go (a fresh folder inside it); the system's temp dir
    /// by default. Native workloads create files there, so its file system shows in the
    /// figures: compare ext4 and tmpfs with `--run-root /dev/shm`.
    run_root: Option<PathBuf>,
    /// The soak's rounds, time limit in seconds and seed (from the clock when not given).
    rounds: usize,
    seconds: u64,
    seed: Option<u64>,
    /// The fleet scenario's workload counts (one fresh cluster each) and agents.
    fleet_sizes: Vec<usize>,
    fleet_agents: usize,
    /// A folder with another `ank-server` to compare the fleet figures with.
    fleet_against: Option<PathBuf>,
}

fn settings() -> anyhow::Result<Settings> {
    let mut s = Settings {
        bin_dir: PathBuf::from("target/release"),
        runs: 100,
        many: 1000,
        agents: 10,
        podman: false,
        only: None,
        run_root: None,
        rounds: 100,
        seconds: 600,
        seed: None,
        fleet_sizes: vec![1000, 2000, 5000, 10000],
        fleet_agents: 100,
        fleet_against: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--bin-dir" => s.bin_dir = value("--bin-dir")?.into(),
            "--runs" => s.runs = value("--runs")?.parse()?,
            "--many" => s.many = value("--many")?.parse()?,
            "--agents" => s.agents = value("--agents")?.parse()?,
            "--podman" => s.podman = true,
            "--only" => s.only = Some(value("--only")?),
            "--run-root" => s.run_root = Some(value("--run-root")?.into()),
            "--rounds" => s.rounds = value("--rounds")?.parse()?,
            "--seconds" => s.seconds = value("--seconds")?.parse()?,
            "--seed" => s.seed = Some(value("--seed")?.parse()?),
            "--fleet-sizes" => {
                s.fleet_sizes = (value("--fleet-sizes")?.split(','))
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--fleet-agents" => s.fleet_agents = value("--fleet-agents")?.parse()?,
            "--fleet-against" => s.fleet_against = Some(value("--fleet-against")?.into()),
            other => bail!(
                "unknown argument '{other}' \
                 (--bin-dir DIR --runs N --many N --agents N --podman --only SCENARIO \
                 --run-root DIR --rounds N --seconds S --seed N \
                 --fleet-sizes N,N,… --fleet-agents N --fleet-against DIR)"
            ),
        }
    }
    Ok(s)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let s = settings()?;
    for bin in ["ank-server", "ank-agent"] {
        if !s.bin_dir.join(bin).exists() {
            bail!(
                "{} not found: build with `cargo build --release --bins`",
                s.bin_dir.join(bin).display()
            );
        }
    }
    let run_root = match &s.run_root {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    if s.only.as_deref() == Some("soak") {
        let seed = s.seed.unwrap_or_else(clock_seed);
        return soak::run(&s.bin_dir, run_root.path(), s.rounds, s.seconds, seed).await;
    }
    if s.only.as_deref() == Some("fleet") {
        return fleet::fleet(&s, run_root.path()).await;
    }
    println!(
        "# anchorage-bench ({} runs, {} workloads over {} agents, run folders in {})",
        s.runs,
        s.many,
        s.agents,
        run_root.path().display()
    );
    let wanted = |name: &str| s.only.as_deref().is_none_or(|only| only == name);
    if wanted("startup") {
        scenarios::startup_and_idle(&s, run_root.path()).await?;
    }
    if wanted("tls") {
        scenarios::tls_ratio(&s, run_root.path()).await?;
    }
    if wanted("one") {
        scenarios::one_workload_latency(&s, run_root.path()).await?;
    }
    if wanted("many") {
        scenarios::many_workloads(&s, run_root.path()).await?;
    }
    if wanted("control") {
        scenarios::control_interface(&s, run_root.path()).await?;
    }
    if wanted("logs") {
        logs::log_throughput(&s, run_root.path()).await?;
    }
    if s.podman && wanted("podman") {
        scenarios::podman_kube_ratio(&s, run_root.path()).await?;
    }
    // Give the agents' shims a moment to finish after the deletes before the folder goes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

/// A seed from the clock, for a soak run without `--seed`.
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}
