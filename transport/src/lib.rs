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

/// rustls and its tokio adapter, re-exported so the server's listener uses this crate's versions.
pub use rustls;
pub use tokio_rustls;
