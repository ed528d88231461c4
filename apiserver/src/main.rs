//! `ank-server`: flags and config file as Ankaios reads them, the startup manifest, the
//! listener, and SIGINT/SIGTERM as the shutdown future of [`apiserver::server::run`].

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ank_model::disconnect::parse_timeout;
use ank_transport::{server_security, PemSettings, Security};
use anyhow::{bail, Context, Result};
use apiserver::config::{ServerConfig, SizeSetting};
use apiserver::limits::{parse_size, StateLimits};
use clap::builder::BoolishValueParser;
use clap::Parser;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// mimalloc gives freed memory back to the system: with glibc's malloc the peak of a large
/// update (10 000 workloads) stayed resident, three times the state it left behind. Built
/// with `no_thp` (Cargo.toml): huge pages would make an idle server hold twice its heap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where Ankaios looks for the server config when `-x` is not given.
const DEFAULT_CONFIG: &str = "/etc/ankaios/ank-server.conf";
/// Without a state file, how long after start agents keep what the server does not list:
/// long enough for a boot script or an operator to re-apply after a crash, short enough that
/// a workload deleted while the server was down does not linger for minutes.
const DEFAULT_STARTUP_GRACE_SECS: u64 = 30;
/// The address Ankaios listens on by default.
const DEFAULT_ADDRESS: &str = "127.0.0.1:25551";

/// The Anchorage server: holds the desired state and talks to agents and the `ank` CLI.
#[derive(Debug, Parser)]
#[command(name = "ank-server", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port) [default: 127.0.0.1:25551]
    #[arg(short = 'a', long)]
    address: Option<String>,
    /// Manifest applied at startup.
    #[arg(short = 'm', long)]
    startup_manifest: Option<PathBuf>,
    /// Server config file (TOML) [default: /etc/ankaios/ank-server.conf, if it exists]
    #[arg(short = 'x', long)]
    server_config: Option<PathBuf>,
    /// Serve without TLS.
    #[arg(short = 'k', long, env = "ANKSERVER_INSECURE", value_parser = BoolishValueParser::new(),
          num_args = 0..=1, default_missing_value = "true")]
    insecure: Option<bool>,
    /// CA certificate (PEM).
    #[arg(long = "ca_pem", env = "ANKSERVER_CA_PEM")]
    ca_pem: Option<PathBuf>,
    /// Server certificate (PEM).
    #[arg(long = "crt_pem", env = "ANKSERVER_CRT_PEM")]
    crt_pem: Option<PathBuf>,
    /// Server key (PEM).
    #[arg(long = "key_pem", env = "ANKSERVER_KEY_PEM")]
    key_pem: Option<PathBuf>,
    /// Keep the desired state in this file across restarts (written atomically on every
    /// update; off by default to spare flash).
    #[arg(long, env = "ANKSERVER_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// Without --state-file: seconds after start during which agents keep the workloads the
    /// server does not list, so they can be re-applied (0: stop them at once) [default: 30]
    #[arg(long, env = "ANKSERVER_STARTUP_GRACE", value_name = "SECONDS")]
    startup_grace: Option<u64>,
    /// Anchorage: drop an agent's session after this long without a message (500ms, 5s, …;
    /// agents send a heartbeat every second at most, so keep it at 2s or more) [default: 5s]
    #[arg(long = "dead-link-timeout", value_parser = parse_timeout)]
    dead_link_timeout: Option<Duration>,
    /// Anchorage: refuse an update whose desired state, with its rendered effective state,
    /// would be larger than this (B, KiB, MiB; at most 4MiB, what Ankaios clients read)
    /// [default: 2MiB]
    #[arg(long = "max-state-size", value_parser = parse_size, value_name = "SIZE")]
    max_state_size: Option<usize>,
    /// Anchorage: the largest request a client or agent may send (at most 4MiB) [default: 4MiB]
    #[arg(long = "max-request-size", value_parser = parse_size, value_name = "SIZE")]
    max_request_size: Option<usize>,
    /// Anchorage: the largest output of one rendered template field [default: 1MiB]
    #[arg(long = "max-render-output", value_parser = parse_size, value_name = "SIZE")]
    max_render_output: Option<usize>,
    /// Anchorage: the template work one update may take, in steps (each block or `#each`
    /// iteration rendered is one) [default: 100000]
    #[arg(long = "max-render-steps", value_name = "STEPS")]
    max_render_steps: Option<u64>,
}

/// Errors are printed as one `ank-server: <cause chain>` line with a non-zero exit.
fn main() -> ExitCode {
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
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ank-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(Args::parse())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ank-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<()> {
    let shutdown = shutdown_signal()?;
    let config = load_config(args.server_config.as_deref())?;
    let insecure = args.insecure.or(config.insecure).unwrap_or(false);
    let pems = PemSettings::merge(
        [
            args.ca_pem.clone(),
            args.crt_pem.clone(),
            args.key_pem.clone(),
        ],
        [
            config.ca_pem.clone(),
            config.crt_pem.clone(),
            config.key_pem.clone(),
        ],
        [
            config.ca_pem_content.clone(),
            config.crt_pem_content.clone(),
            config.key_pem_content.clone(),
        ],
    );
    let tls = match server_security(insecure, &pems)? {
        Security::Insecure => None,
        Security::Mtls(material) => Some(ank_transport::server_config(&material)?),
    };

    let state_limits = state_limits(&args, &config)?;
    let manifest = args.startup_manifest.or(config.startup_manifest);
    let startup = match &manifest {
        Some(path) => read_manifest(path)?,
        None => ank_model::State::new(),
    };
    if let Err(e) = apiserver::state::validate_startup(&startup, state_limits) {
        let path = manifest.as_deref().unwrap_or(Path::new("-"));
        bail!("invalid startup manifest {}: {e}", path.display());
    }

    let state_file = args.state_file.or(config.state_file);
    let grace = args
        .startup_grace
        .or(config.startup_grace)
        .unwrap_or(DEFAULT_STARTUP_GRACE_SECS);
    let dead_link = match (args.dead_link_timeout, &config.dead_link_timeout) {
        (Some(d), _) => d,
        (None, Some(text)) => parse_timeout(text)
            .map_err(anyhow::Error::msg)
            .context("invalid dead_link_timeout in the server config")?,
        (None, None) => apiserver::server::DeadLink::default().0,
    };
    if dead_link < apiserver::agents::STALE_AFTER {
        tracing::warn!(
            "a dead-link timeout of {dead_link:?} is under two heartbeats of an agent (2 s): \
             healthy agents with the default timeout may be dropped"
        );
    }
    let options = apiserver::server::Options {
        tls,
        limits: Default::default(),
        state_limits,
        state_file,
        startup_grace: std::time::Duration::from_secs(grace),
        dead_link: apiserver::server::DeadLink(dead_link),
    };
    // Before listening: a corrupt state file stops the start before any agent connects.
    let actor = apiserver::server::prepare(startup, &options)?;

    let address = args
        .address
        .or(config.address)
        .unwrap_or_else(|| DEFAULT_ADDRESS.to_owned());
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;
    eprintln!("ank-server listening on {local}");
    if options.tls.is_none() && !local.ip().is_loopback() {
        tracing::warn!(
            "listening on {local} without TLS (-k): anyone who reaches this address controls \
             every workload; give --ca_pem, --crt_pem and --key_pem for mTLS"
        );
    }
    Ok(apiserver::server::serve(listener, actor, options, shutdown).await?)
}

/// The size and render limits: flags win over the config file, which wins over the defaults.
fn state_limits(args: &Args, config: &ServerConfig) -> Result<StateLimits> {
    let size = |flag: Option<usize>, key: &Option<SizeSetting>, name: &str| -> Result<_> {
        match (flag, key) {
            (Some(n), _) => Ok(Some(n)),
            (None, Some(setting)) => setting
                .bytes()
                .map(Some)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("invalid {name} in the server config")),
            (None, None) => Ok(None),
        }
    };
    let mut limits = StateLimits::default();
    let sizes = [
        (
            args.max_state_size,
            &config.max_state_size,
            "max_state_size",
            &mut limits.max_state_bytes,
        ),
        (
            args.max_request_size,
            &config.max_request_size,
            "max_request_size",
            &mut limits.max_request_bytes,
        ),
        (
            args.max_render_output,
            &config.max_render_output,
            "max_render_output",
            &mut limits.render.max_output_bytes,
        ),
    ];
    for (flag, key, name, slot) in sizes {
        if let Some(n) = size(flag, key, name)? {
            *slot = n;
        }
    }
    if let Some(n) = args.max_render_steps.or(config.max_render_steps) {
        limits.render.max_steps = n;
    }
    limits.check()?;
    Ok(limits)
}

/// The `-x` file, or the default one if it exists, or nothing.
fn load_config(path: Option<&Path>) -> Result<ServerConfig> {
    let path = match path {
        Some(path) => path.to_owned(),
        None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => return Ok(ServerConfig::default()),
    };
    Ok(ServerConfig::load(&path)?)
}

fn read_manifest(path: &Path) -> Result<ank_model::State> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read startup manifest {}", path.display()))?;
    ank_model::yaml::from_str(&text)
        .with_context(|| format!("invalid startup manifest {}", path.display()))
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called (first thing
/// in `serve`), not when the future is first polled, so an early SIGTERM is not lost.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}
