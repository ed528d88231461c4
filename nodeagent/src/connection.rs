//! The agent's one stream to the server. Each session starts with AgentHello and must be
//! answered with ServerHello; when the stream fails, the next attempt comes after a capped
//! exponential delay (reset once a session was established). The agent loop only sees
//! [`ConnEvent`]s and a sender for the current session.
//!
//! Liveness: within a session the agent sends a heartbeat every [`heartbeat_interval`] (the
//! server echoes it), and a session on which the server sent nothing for the dead-link time is
//! dropped and a new one attempted; HTTP/2 keepalive (set on the dialer) covers the
//! connection below it.

use std::time::Duration;

use ank_model::assign::{ServerHello, ServerMessage};
use ank_model::convert::{server_hello_from_pb, server_message_from_pb, ConvertError};
use ank_model::proto::anchorage::agent_connection_client::AgentConnectionClient;
use ank_model::proto::anchorage::from_server::FromServerEnum;
use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::proto::anchorage::{AgentHello, Heartbeat, ToServer};
use ank_transport::Dialer;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::convert::to_server;

/// First delay before reconnecting.
const MIN_DELAY: Duration = Duration::from_millis(200);
/// Longest delay between attempts.
const MAX_DELAY: Duration = Duration::from_secs(5);
/// Messages the agent may queue for the server before reports are dropped (a reconnect
/// resends every state anyway).
pub const SESSION_QUEUE: usize = 1024;

/// What the connection tells the agent loop.
#[derive(Debug)]
pub enum ConnEvent {
    /// A session is up: its sender, and the server's hello.
    Connected {
        /// Sends to the server within this session; fails once the session is gone.
        sender: mpsc::Sender<ToServer>,
        /// The agent's workloads and the known workload states.
        hello: Box<ServerHello>,
    },
    /// A message of the current session, converted at this edge.
    Message(Box<ServerMessage>),
    /// The session ended; a new one is being attempted.
    Disconnected,
}

/// Why one session attempt ended.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The server cannot be reached, or refused the TLS handshake (explained in words).
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The server URL.
        url: String,
        /// What went wrong.
        #[source]
        source: ank_transport::ConnectError,
    },
    /// The stream failed (a refused certificate shows here under TLS 1.3).
    #[error("stream to the server failed: {}", ank_transport::explain::describe(.0))]
    Stream(#[from] tonic::Status),
    /// What the status does not say: the server refused our certificate after the handshake
    /// (TLS 1.3) and the call in flight only saw the connection go, or we speak plain HTTP/2
    /// to an mTLS server.
    #[error("stream to the server failed: {why} ({})", ank_transport::explain::chain(.status))]
    Explained {
        /// The reason in words.
        why: String,
        /// The call's status.
        status: tonic::Status,
    },
    /// The server refused this agent.
    #[error("the server refused the agent: {0}")]
    Refused(String),
    /// The server broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// The server sent nothing for the dead-link time.
    #[error("nothing heard from the server for {0:?}: the link is dead")]
    DeadLink(Duration),
    /// The agent loop is gone.
    #[error("the agent stopped")]
    AgentGone,
}

/// How often the agent sends a heartbeat: every second, more often for a dead-link time
/// under 4 s, so that one lost heartbeat never looks like a dead link.
pub fn heartbeat_interval(dead_link: Duration) -> Duration {
    (dead_link / 4).min(Duration::from_secs(1))
}

/// The session's peer and how soon its silence means a dead link.
#[derive(Debug, Clone)]
pub struct Link {
    /// How to dial the server.
    pub dialer: Dialer,
    /// Its URL, for logs.
    pub url: String,
    /// Silence after which the session is dropped.
    pub dead_link: Duration,
}

/// Keeps a session to the server until `cancel` fires, reporting into `events`.
pub async fn run(
    link: Link,
    hello: AgentHello,
    events: mpsc::Sender<ConnEvent>,
    cancel: CancellationToken,
) {
    let mut delay = MIN_DELAY;
    loop {
        let mut established = false;
        let result = tokio::select! {
            () = cancel.cancelled() => return,
            result = session(&link, &hello, &events, &mut established) => result,
        };
        if established && events.send(ConnEvent::Disconnected).await.is_err() {
            return;
        }
        match result {
            Err(ConnError::AgentGone) => return,
            Err(e) => tracing::warn!("server connection: {e}"),
            Ok(()) => tracing::warn!("the server closed the connection"),
        }
        if established {
            delay = MIN_DELAY;
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(MAX_DELAY);
    }
}

async fn session(
    link: &Link,
    hello: &AgentHello,
    events: &mpsc::Sender<ConnEvent>,
    established: &mut bool,
) -> Result<(), ConnError> {
    let url = link.url.as_str();
    let dialer = &link.dialer;
    let refusal = dialer.refusal();
    let _stale = refusal.take();
    let stream_error = |status: tonic::Status| match refusal.take() {
        Some(why) if ank_transport::explain::tls_cause(&status).is_none() => {
            ConnError::Explained { why, status }
        }
        _ if dialer.is_plain() && ank_transport::explain::is_tls_server(&status) => {
            ConnError::Explained {
                why: ank_transport::explain::PLAIN_TO_TLS.to_owned(),
                status,
            }
        }
        // The server's own refusal (e.g. a name the certificate does not allow) is its words.
        _ if status.code() == tonic::Code::PermissionDenied => {
            ConnError::Refused(status.message().to_owned())
        }
        _ => ConnError::Stream(status),
    };
    let channel = dialer
        .connect()
        .await
        .map_err(|source| ConnError::Connect {
            url: url.to_owned(),
            source,
        })?;
    // The server sends nothing larger than a message (its state is bounded to fit), and reads
    // a forwarded workload request with its envelope.
    let mut client = AgentConnectionClient::new(channel)
        .max_decoding_message_size(ank_transport::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(ank_transport::MAX_AGENT_MESSAGE_BYTES);
    let (sender, outbound) = mpsc::channel(SESSION_QUEUE);
    sender
        .send(to_server(ToServerEnum::AgentHello(hello.clone())))
        .await
        .map_err(|_| ConnError::Protocol("outbound stream closed"))?;
    // A server that accepts the connection but never answers is a dead link too.
    let opening = async {
        let mut inbound = client
            .session(ReceiverStream::new(outbound))
            .await
            .map_err(stream_error)?
            .into_inner();
        let first = inbound.message().await.map_err(stream_error)?;
        Ok::<_, ConnError>((inbound, first))
    };
    let (mut inbound, first) = tokio::time::timeout(link.dead_link, opening)
        .await
        .map_err(|_| ConnError::DeadLink(link.dead_link))??;
    let server_hello = match first.and_then(|m| m.from_server_enum) {
        Some(FromServerEnum::ServerHello(h)) => {
            let (hello, skipped) = server_hello_from_pb(h);
            log_skipped(&skipped);
            hello
        }
        Some(FromServerEnum::ConnectionRefused(r)) => return Err(ConnError::Refused(r.reason)),
        Some(_) => return Err(ConnError::Protocol("the first message is not ServerHello")),
        None => return Err(ConnError::Protocol("stream ended before ServerHello")),
    };
    tracing::info!(url, "connected to the server");
    events
        .send(ConnEvent::Connected {
            sender: sender.clone(),
            hello: Box::new(server_hello),
        })
        .await
        .map_err(|_| ConnError::AgentGone)?;
    *established = true;
    let mut beat = tokio::time::interval(heartbeat_interval(link.dead_link));
    beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let silence = tokio::time::sleep(link.dead_link);
    tokio::pin!(silence);
    loop {
        let message = tokio::select! {
            _ = beat.tick() => {
                // A full queue means the server is not reading: the dead-link check tells.
                let _ = sender.try_send(to_server(ToServerEnum::Heartbeat(Heartbeat {})));
                continue;
            }
            () = &mut silence => return Err(ConnError::DeadLink(link.dead_link)),
            message = inbound.message() => message.map_err(stream_error)?,
        };
        let Some(message) = message else { break };
        silence.as_mut().reset(Instant::now() + link.dead_link);
        let Some(message) = message.from_server_enum else {
            continue;
        };
        let message = match server_message_from_pb(message) {
            Ok((ServerMessage::Refused(reason), _)) => return Err(ConnError::Refused(reason)),
            Ok((ServerMessage::Heartbeat, _)) => continue,
            Ok((message, skipped)) => {
                log_skipped(&skipped);
                message
            }
            Err(e) => {
                tracing::warn!(error = %e, "ignoring a server message");
                continue;
            }
        };
        events
            .send(ConnEvent::Message(Box::new(message)))
            .await
            .map_err(|_| ConnError::AgentGone)?;
    }
    Ok(())
}

/// The parts of a server message that did not convert: the rest is still acted on.
fn log_skipped(skipped: &[ConvertError]) {
    for e in skipped {
        tracing::warn!(error = %e, "ignoring part of a server message");
    }
}
