//! `ank-agent`: parses flags and the agent config, sets up the runtimes, and runs the agent
//! until SIGINT or SIGTERM. Workloads keep running after the agent ends; the next agent adopts
//! them. `ank-agent __shim <dir>` is the hidden entry of the native runtime's shim.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use nodeagent::config::{self, FileConfig, Flags};
use runtimes::podman::PodmanRuntime;
use runtimes::podman_cli::{Podman, PodmanOptions};
use runtimes::podman_kube::PodmanKubeRuntime;
use runtimes::process::logfile::LogLimits;
use runtimes::process::{
    contain, ProcessConfig, ProcessRuntime, ShimCommand, DEFAULT_GRACE_PERIOD,
};
use runtimes::RuntimeRegistry;
use tokio::signal::unix::{signal, SignalKind};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The hidden subcommand that runs a shim.
const SHIM: &str = "__shim";

fn main() -> ExitCode {
    match run_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_main() -> anyhow::Result<()> {
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|a| a == SHIM) {
        let dir = args.next().context("__shim needs an instance folder")?;
        std::process::exit(runtimes::process::shim::run(Path::new(&dir)));
    }
    let flags = Flags::parse();
    // `Targets` reads RUST_LOG's `level,target=level` form; EnvFilter would link a regex
    // engine (about 300 KiB of text) for span and field filters nobody uses here.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(filter)
        .init();
    let file = match &flags.agent_config {
        Some(path) => config::read_file(path)?,
        None if Path::new(config::DEFAULT_CONFIG).exists() => {
            config::read_file(Path::new(config::DEFAULT_CONFIG))?
        }
        None => FileConfig::default(),
    };
    let log = config::log_limits(&flags, &file)?;
    let settings = config::settings(flags, file)?;
    // Held until the process ends.
    let _lock = nodeagent::lock::AgentLock::acquire(
        &settings.run_folder,
        &settings.name,
        &settings.server_url,
        Path::new(nodeagent::lock::NODE_LOCK_DIR),
    )?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?
        .block_on(run(settings, log))
}

async fn run(settings: nodeagent::AgentSettings, log: LogLimits) -> anyhow::Result<()> {
    let (sink, states) = tokio::sync::mpsc::unbounded_channel();
    let shim = ShimCommand::current_exe(SHIM).context("cannot find the agent executable")?;
    let containment = contain::detect();
    tracing::info!("native workloads contained by {}", containment.describe());
    let native = ProcessRuntime::new(
        ProcessConfig {
            run_folder: settings.run_folder.clone(),
            shim,
            grace_period: DEFAULT_GRACE_PERIOD,
            containment,
            log,
        },
        sink.clone(),
    );
    let mut runtimes = RuntimeRegistry::new();
    runtimes.register(Arc::new(native));
    register_podman(&mut runtimes, &sink);
    tracing::info!(
        name = settings.name,
        server = settings.server_url,
        run_folder = %settings.run_folder.display(),
        "ank-agent {} starting",
        env!("CARGO_PKG_VERSION")
    );
    let shutdown = shutdown_signal()?;
    nodeagent::run(settings, runtimes, states, shutdown).await;
    tracing::info!("ank-agent stopped; workloads keep running");
    Ok(())
}

/// Adds the `podman` and `podman-kube` runtimes when Podman is installed. Without it their
/// workloads report `Pending(StartingFailed)` ("Unsupported Runtime"), and the agent runs no
/// `podman events` process. Podman's own settings (`CONTAINERS_CONF`, …) come from the
/// agent's environment.
fn register_podman(runtimes: &mut RuntimeRegistry, sink: &runtimes::StateSink) {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("podman").is_file()));
    if !found {
        tracing::info!("podman not found in PATH: the podman runtimes are not available");
        return;
    }
    let podman = Podman::new(PodmanOptions::default());
    runtimes.register(Arc::new(PodmanRuntime::new(sink.clone(), &podman)));
    runtimes.register(Arc::new(PodmanKubeRuntime::new(sink.clone(), &podman)));
}

/// Completes on SIGINT or SIGTERM.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}
