//! How Anchorage's three binaries reach each other. This crate owns the transport decision
//! (plain HTTP/2 only with `-k`, else mutual TLS, as Ankaios does), the PEM material, the
//! rustls configurations of both ends, the client's [`Dialer`], and the words for a refused
//! certificate. The server's listener (connection limits, idle timeouts) lives in
//! `apiserver`; the agent-name check against the peer's certificate in its agent service.

mod client;
pub mod explain;
mod pem;
mod security;
mod tls;

pub use client::{ConnectError, Dialer, Refusal};
pub use pem::{Pem, PemError, PemRole, PemSettings, TlsMaterial};
pub use security::{client_security, server_security, ClientChoice, Security, SecurityError};
pub use tls::{server_config, PeerIdentity, TlsConfigError, SERVER_NAME};

/// The largest gRPC message any of the three binaries sends or reads: tonic's default decode
/// limit, what Ankaios clients accept. Set explicitly on both ends of every connection, so a
/// change of tonic's default cannot make them disagree.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// The largest message an agent sends the server: a workload's control-interface request of
/// up to [`MAX_MESSAGE_BYTES`] plus the envelope it is forwarded in (its id prefixed with the
/// workload's name, tags and lengths), so a request the agent accepted never breaks its stream.
pub const MAX_AGENT_MESSAGE_BYTES: usize = MAX_MESSAGE_BYTES + 64 * 1024;

/// rustls and its tokio adapter, re-exported so the server's listener uses this crate's versions.
pub use rustls;
pub use tokio_rustls;
