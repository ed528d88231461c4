//! The client end: a tonic [`Channel`] to the server, plain (`-k`) or over rustls. The TLS
//! handshake runs in our own connector rather than tonic's, so its failures keep their
//! rustls cause and [`explain`](crate::explain) can say which certificate is refused.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::security::Security;
use crate::tls::{client_config, TlsConfigError, SERVER_NAME};

/// Why no channel could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL does not parse.
    #[error("invalid server URL '{url}': {message}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// The TLS material does not make a configuration.
    #[error(transparent)]
    Config(#[from] TlsConfigError),
    /// The server cannot be reached, or the handshake failed.
    #[error("{0}")]
    Transport(String),
}

/// A prepared way of dialling the server; build once, connect as often as needed.
#[derive(Clone)]
pub struct Dialer {
    endpoint: Endpoint,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
    refusal: Refusal,
}

/// The first TLS failure seen on a connection of a [`Dialer`] after its handshake. Under
/// TLS 1.3 the server refuses a client certificate only then, with an alert that HTTP/2 may
/// turn into a bare "operation was canceled" for the call in flight; this keeps the reason.
#[derive(Debug, Clone, Default)]
pub struct Refusal(Arc<Mutex<Option<rustls::Error>>>);

impl Refusal {
    /// The reason in words ("the server refused our certificate: …"), if there was one,
    /// forgotten once told (a dialler reconnecting starts afresh).
    pub fn take(&self) -> Option<String> {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        seen.take()
            .map(|err| crate::explain::tls_failure(&err, crate::explain::Peer::Server))
    }

    fn record(&self, err: &std::io::Error) {
        if let Some(tls) = crate::explain::tls_cause(err) {
            let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
            seen.get_or_insert(tls);
        }
    }
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialer")
            .field("uri", self.endpoint.uri())
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Dialer {
    /// A dialler for `url` (its scheme already checked against `security` by
    /// [`client_security`](crate::client_security)).
    pub fn new(
        url: &str,
        security: &Security,
        connect_timeout: Duration,
    ) -> Result<Dialer, ConnectError> {
        // tonic refuses `https://` without its own TLS; the scheme is ours to honour.
        let plain = url.replacen("https://", "http://", 1);
        let endpoint = Endpoint::from_shared(plain)
            .map_err(|e| ConnectError::Url {
                url: url.to_owned(),
                message: crate::explain::chain(&e),
            })?
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true);
        let tls = match security {
            Security::Insecure => None,
            Security::Mtls(material) => Some(client_config(material)?),
        };
        Ok(Dialer {
            endpoint,
            tls,
            timeout: connect_timeout,
            refusal: Refusal::default(),
        })
    }

    /// The endpoint, to set HTTP/2 options on before connecting.
    pub fn map_endpoint(mut self, f: impl FnOnce(Endpoint) -> Endpoint) -> Dialer {
        self.endpoint = f(self.endpoint);
        self
    }

    /// Whether this dialler speaks plain HTTP/2 (`-k`).
    pub fn is_plain(&self) -> bool {
        self.tls.is_none()
    }

    /// Where this dialler's connections record a TLS failure after the handshake.
    pub fn refusal(&self) -> Refusal {
        self.refusal.clone()
    }

    /// Opens a channel; the error explains a refused certificate in words.
    pub async fn connect(&self) -> Result<Channel, ConnectError> {
        let result = match &self.tls {
            None => self.endpoint.connect().await,
            Some(config) => {
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let timeout = self.timeout;
                let refusal = self.refusal.clone();
                self.endpoint
                    .connect_with_connector(tower::service_fn(move |uri: Uri| {
                        let connector = connector.clone();
                        let refusal = refusal.clone();
                        async move {
                            tokio::time::timeout(timeout, tls_connect(connector, uri, refusal))
                                .await
                                .map_err(|_| {
                                    std::io::Error::new(
                                        std::io::ErrorKind::TimedOut,
                                        "TLS handshake timed out",
                                    )
                                })?
                        }
                    }))
                    .await
            }
        };
        result.map_err(|e| ConnectError::Transport(crate::explain::describe(&e)))
    }
}

async fn tls_connect(
    connector: tokio_rustls::TlsConnector,
    uri: Uri,
    refusal: Refusal,
) -> std::io::Result<TokioIo<Watched>> {
    let host = uri.host().unwrap_or("127.0.0.1");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(443);
    let tcp = TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(SERVER_NAME)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let tls = connector.connect(name, tcp).await?;
    Ok(TokioIo::new(Watched { tls, refusal }))
}

/// A client TLS stream that records its first TLS failure in a [`Refusal`].
pub struct Watched {
    tls: tokio_rustls::client::TlsStream<TcpStream>,
    refusal: Refusal,
}

impl Watched {
    fn seen<T>(&self, poll: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        if let Poll::Ready(Err(e)) = &poll {
            self.refusal.record(e);
        }
        poll
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.tls).poll_read(cx, buf);
        self.seen(poll)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.tls).poll_write(cx, buf);
        self.seen(poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.tls).poll_flush(cx);
        self.seen(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.tls).poll_shutdown(cx);
        self.seen(poll)
    }
}
