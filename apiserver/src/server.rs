//! `run`: serves both gRPC services on a bound listener until `shutdown` completes, then drains
//! with a grace period. The actor task and the tonic server are both owned here.

use std::future::Future;
use std::time::Duration;

use ank_model::proto::anchorage::agent_connection_server::AgentConnectionServer;
use ank_model::proto::anchorage::cli_connection_server::CliConnectionServer;
use ank_model::State;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::actor::Actor;
use crate::agent_service::AgentService;
use crate::cli_service::CliService;
use crate::state::UpdateError;

/// How long open streams may take to finish after shutdown was asked for.
pub const GRACE_PERIOD: Duration = Duration::from_secs(5);

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The startup manifest is rejected.
    #[error("invalid startup manifest: {0}")]
    StartupManifest(#[source] UpdateError),
    /// The gRPC server failed.
    #[error("gRPC server failed: {0}")]
    Serve(#[source] tonic::transport::Error),
}

/// Serves on `listener` with `startup` as the initial desired state until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    startup: State,
    shutdown: impl Future,
) -> Result<(), Error> {
    let (events, inbox) = mpsc::unbounded_channel();
    let actor = Actor::new(startup).map_err(Error::StartupManifest)?;
    let stop = CancellationToken::new();
    let actor_task = tokio::spawn(actor.run(inbox, stop.clone()));

    let serve = tonic::transport::Server::builder()
        .add_service(CliConnectionServer::new(CliService::new(events.clone())))
        .add_service(AgentConnectionServer::new(AgentService::new(events)))
        .serve_with_incoming_shutdown(
            TcpListenerStream::new(listener).map(no_delay),
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
    result.map_err(Error::Serve)
}

/// Turns Nagle's algorithm off on an accepted connection: small gRPC frames (a state, an
/// answer) must leave at once, not wait up to 40 ms for a delayed ACK. Tonic's own
/// `tcp_nodelay` applies only to listeners it binds itself.
fn no_delay(stream: std::io::Result<TcpStream>) -> std::io::Result<TcpStream> {
    if let Ok(stream) = &stream {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    }
    stream
}
