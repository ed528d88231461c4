//! `run`: serves both gRPC services on a bound listener until `shutdown` completes, then drains
//! with a grace period. The actor task, the accept loop and the tonic server are all owned here.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ank_model::proto::anchorage::agent_connection_server::AgentConnectionServer;
use ank_model::proto::anchorage::cli_connection_server::CliConnectionServer;
use ank_model::State;
use ank_transport::rustls::ServerConfig;
use ank_transport::tokio_rustls::TlsAcceptor;
use futures::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;

use crate::actor::Actor;
use crate::agent_service::AgentService;
use crate::cli_service::CliService;
use crate::durability::Durability;
use crate::limits::{StateLimits, MAX_MESSAGE_BYTES};
use crate::listener::{accept_loop, door, Limits};
use crate::state::UpdateError;
use crate::state_file::StateFileError;
use ank_transport::MAX_AGENT_MESSAGE_BYTES;

/// How long open streams may take to finish after shutdown was asked for.
pub const GRACE_PERIOD: Duration = Duration::from_secs(5);

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The startup manifest is rejected.
    #[error("invalid startup manifest: {0}")]
    StartupManifest(#[source] UpdateError),
    /// The state file cannot be read, is corrupt, or cannot be written.
    #[error(transparent)]
    StateFile(#[from] StateFileError),
    /// The state file holds a desired state this server rejects.
    #[error(
        "state file {path} holds a desired state this server rejects: {problem}; move it \
         away to start empty"
    )]
    SavedState {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: UpdateError,
    },
    /// The gRPC server failed.
    #[error("gRPC server failed: {0}")]
    Serve(#[source] tonic::transport::Error),
}

/// How the server meets its peers.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// mTLS, or plain HTTP/2 when `None` (`-k`).
    pub tls: Option<Arc<ServerConfig>>,
    /// Connection limits and timeouts.
    pub limits: Limits,
    /// Bounds on the desired state, one request, the state file and rendering.
    pub state_limits: StateLimits,
    /// `--state-file`: the desired state survives restarts.
    pub state_file: Option<PathBuf>,
    /// `--startup-grace`: without a state file, how long after start agents keep the
    /// workloads the server does not list (zero: stop them at once, as Ankaios does).
    pub startup_grace: Duration,
    /// How long an agent's session may be silent before the server drops it (Anchorage's
    /// `--dead-link-timeout`).
    pub dead_link: DeadLink,
}

/// The dead-link time: a session silent this long is dropped and its workloads shown
/// `AgentDisconnected`; HTTP/2 keepalive pings notice a dead connection within it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLink(pub Duration);

impl Default for DeadLink {
    fn default() -> Self {
        DeadLink(crate::agents::DEFAULT_DEAD_LINK)
    }
}

/// Serves on `listener` with `startup` as the initial desired state until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    startup: State,
    options: Options,
    shutdown: impl Future,
) -> Result<(), Error> {
    let actor = prepare(startup, &options)?;
    serve(listener, actor, options, shutdown).await
}

/// The state actor: the state file's content (a corrupt or unreadable file is an error, never
/// a partial load), else `startup`, which then seeds the state file. Called before listening,
/// so a server that cannot start never accepts a connection.
pub fn prepare(startup: State, options: &Options) -> Result<Actor, Error> {
    let durability = Durability::new(options.state_file.clone(), options.startup_grace)
        .with_max_file_bytes(options.state_limits.max_state_file_bytes());
    let (saved, loaded) = durability.initial(startup)?;
    let actor =
        Actor::start(saved, durability, options.state_limits).map_err(|problem| match &options
            .state_file
        {
            Some(path) if loaded => Error::SavedState {
                path: path.clone(),
                problem,
            },
            _ => Error::StartupManifest(problem),
        })?;
    if !loaded {
        // Seeds the file, and finds an unwritable one now rather than at the first update.
        actor.persist_current()?;
    }
    Ok(actor)
}

/// Serves on `listener` with a prepared actor until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    actor: Actor,
    options: Options,
    shutdown: impl Future,
) -> Result<(), Error> {
    let (events, inbox) = mpsc::unbounded_channel();
    let stop = CancellationToken::new();
    let actor_task = tokio::spawn(actor.run(inbox, stop.clone()));
    let (ready, incoming) = mpsc::channel(16);
    let accept_task = tokio::spawn(accept_loop(
        listener,
        options.tls.map(TlsAcceptor::from),
        options.limits.clone(),
        ready,
        stop.clone(),
    ));

    // Explicit, so that what the server reads and sends matches what its peers accept: a CLI
    // request up to --max-request-size in, nothing over tonic's default 4 MiB out. An agent
    // stream reads what an agent may forward: a message too large for it would end the
    // agent's whole session, not one request.
    let cli = CliConnectionServer::new(CliService::new(events.clone()))
        .max_decoding_message_size(options.state_limits.max_request_bytes)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let dead_link = options.dead_link.0;
    let agent = AgentConnectionServer::new(AgentService::new(events, dead_link))
        .max_decoding_message_size(MAX_AGENT_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    // A ping every half dead-link time, answered within the other half.
    let serve = tonic::transport::Server::builder()
        .max_concurrent_streams(options.limits.streams_per_connection)
        .http2_keepalive_interval(Some(dead_link / 2))
        .http2_keepalive_timeout(Some(dead_link / 2))
        .add_service(InterceptedService::new(cli, door))
        .add_service(InterceptedService::new(agent, door))
        .serve_with_incoming_shutdown(
            ReceiverStream::new(incoming).map(Ok::<_, std::io::Error>),
            stop.clone().cancelled_owned(),
        );
    tokio::pin!(serve);
    let result = tokio::select! {
        result = &mut serve => result,
        _ = shutdown => {
            tracing::info!("shutting down");
            // Cancelling stops the actor, which ends every stream, so tonic can drain.
            stop.cancel();
            match tokio::time::timeout(GRACE_PERIOD, &mut serve).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::warn!("connections still open after the grace period");
                    Ok(())
                }
            }
        }
    };
    stop.cancel();
    if let Err(e) = actor_task.await {
        tracing::error!("the state actor failed: {e}");
    }
    if let Err(e) = accept_task.await {
        tracing::error!("the accept loop failed: {e}");
    }
    result.map_err(Error::Serve)
}
