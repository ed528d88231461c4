//! The server's doors: accepts TCP connections, runs the TLS handshake (bounded in time and
//! in number), counts connections per peer address and in all, and closes a connection that
//! sends no request within the idle timeout. A peer over its limit is not dropped mutely:
//! its connection is served just long enough to answer every call with `RESOURCE_EXHAUSTED`
//! naming the limit (a few such at a time; beyond that it is closed at once).
//!
//! The counters sit behind a `std` mutex: connections end on tonic's tasks, and the lock is
//! held for one map update.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use ank_transport::explain::{tls_cause, tls_failure, Peer};
use ank_transport::tokio_rustls::{server::TlsStream, TlsAcceptor};
use ank_transport::PeerIdentity;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;

/// The doors' settings; `Default` is what `ank-server` uses.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections from one IP address.
    pub per_peer: usize,
    /// Open connections in all.
    pub total: usize,
    /// TLS handshakes in flight.
    pub handshakes: usize,
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// How long a connection may stay open without sending a request.
    pub idle_timeout: Duration,
    /// HTTP/2 streams (calls) open at once on one connection.
    pub streams_per_connection: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_peer: 256,
            total: 1024,
            handshakes: 64,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            streams_per_connection: 128,
        }
    }
}

/// Connections served only to be refused, at most, at once.
const REFUSALS: usize = 16;

/// What the services learn about a connection (tonic puts it in each request's extensions).
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// The remote address.
    pub addr: SocketAddr,
    /// `Some` for a TLS peer: what its verified certificate names.
    pub identity: Option<Arc<PeerIdentity>>,
    /// Set by the first request, so the idle timer stops.
    used: Arc<AtomicBool>,
    /// Why every call on this connection is refused, if it is over a limit.
    refusal: Option<Arc<str>>,
}

/// The interceptor of both services: marks the connection used, and refuses calls on a
/// connection over its limit.
#[allow(clippy::result_large_err)] // tonic's interceptor signature
pub fn door(request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
    if let Some(peer) = request.extensions().get::<PeerInfo>() {
        peer.used.store(true, Ordering::Relaxed);
        if let Some(refusal) = &peer.refusal {
            return Err(tonic::Status::resource_exhausted(refusal.to_string()));
        }
    }
    Ok(request)
}

/// Open connections by address; a [`Slot`] gives its place back when dropped.
#[derive(Debug, Default)]
struct Counts {
    inner: Mutex<CountsInner>,
}

#[derive(Debug, Default)]
struct CountsInner {
    per_peer: HashMap<IpAddr, usize>,
    total: usize,
    refusing: usize,
}

/// One connection's place in the counts.
#[derive(Debug)]
struct Slot {
    counts: Arc<Counts>,
    ip: IpAddr,
    refusing: bool,
}

enum Admission {
    Serve(Slot),
    Refuse(Slot, String),
    Drop,
}

impl Counts {
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &Limits) -> Admission {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mine = inner.per_peer.get(&ip).copied().unwrap_or(0);
        let refusal = if mine >= limits.per_peer {
            Some(format!(
                "too many connections from {ip}: at most {} at once; close some and retry",
                limits.per_peer
            ))
        } else if inner.total >= limits.total {
            Some(format!(
                "the server has its maximum of {} connections open; retry later",
                limits.total
            ))
        } else {
            None
        };
        let slot = |refusing| Slot {
            counts: self.clone(),
            ip,
            refusing,
        };
        match refusal {
            None => {
                *inner.per_peer.entry(ip).or_default() += 1;
                inner.total += 1;
                Admission::Serve(slot(false))
            }
            Some(_) if inner.refusing >= REFUSALS => Admission::Drop,
            Some(message) => {
                inner.refusing += 1;
                Admission::Refuse(slot(true), message)
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut inner = self.counts.inner.lock().unwrap_or_else(|p| p.into_inner());
        if self.refusing {
            inner.refusing -= 1;
            return;
        }
        inner.total -= 1;
        if let Some(n) = inner.per_peer.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                inner.per_peer.remove(&self.ip);
            }
        }
    }
}

/// Accepts on `tcp` until `stop`, handing ready connections to tonic through `ready`.
pub async fn accept_loop(
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    ready: mpsc::Sender<Conn>,
    stop: CancellationToken,
) {
    let counts = Arc::new(Counts::default());
    let mut handshakes = JoinSet::new();
    loop {
        let (stream, addr) = tokio::select! {
            _ = stop.cancelled() => return,
            Some(_) = handshakes.join_next(), if !handshakes.is_empty() => continue,
            accepted = tcp.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, mostly: wait for some to close.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let (slot, refusal) = match counts.admit(addr.ip(), &limits) {
            Admission::Serve(slot) => (slot, None),
            Admission::Refuse(slot, message) => {
                tracing::warn!("refusing a connection from {addr}: {message}");
                (slot, Some(message))
            }
            Admission::Drop => {
                tracing::debug!("dropped a connection from {addr}: over the limits");
                continue;
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let Some(acceptor) = &tls else {
            let conn = Conn::new(Io::Plain(stream), addr, None, slot, refusal, &limits);
            if ready.send(conn).await.is_err() {
                return;
            }
            continue;
        };
        if handshakes.len() >= limits.handshakes {
            tracing::warn!("dropped a connection from {addr}: too many TLS handshakes at once");
            continue;
        }
        let (acceptor, ready, limits) = (acceptor.clone(), ready.clone(), limits.clone());
        handshakes.spawn(async move {
            let handshake = tokio::time::timeout(
                limits.handshake_timeout,
                acceptor.accept(stream).into_fallible(),
            );
            let tls = match handshake.await {
                Ok(Ok(tls)) => tls,
                Ok(Err((e, tcp))) => {
                    let why = match tls_cause(&e) {
                        Some(cause) => tls_failure(&cause, Peer::Client),
                        None => e.to_string(),
                    };
                    tracing::warn!("refused a TLS connection from {addr}: {why}");
                    close_after_alert(tcp).await;
                    return;
                }
                Err(_) => {
                    tracing::warn!(
                        "refused a TLS connection from {addr}: no handshake within {:?}",
                        limits.handshake_timeout
                    );
                    return;
                }
            };
            // rustls verified the chain; an unparsable leaf names nobody and allows nothing.
            let identity = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(|leaf| PeerIdentity::from_der(leaf))
                .unwrap_or_default();
            let io = Io::Tls(Box::new(tls));
            let conn = Conn::new(io, addr, Some(Arc::new(identity)), slot, refusal, &limits);
            let _ = ready.send(conn).await;
        });
    }
}

/// Closes a refused connection so that the client reads our alert. Under TLS 1.3 a client
/// sends its first request right after its certificate; closing with that request unread
/// would make the kernel send a reset, which can overtake the alert and leave the client with
/// "connection reset" instead of "the server refused our certificate". So: FIN after the
/// alert, then read and drop what the client still sends, briefly.
async fn close_after_alert(mut tcp: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tcp.shutdown().await;
    let drain = async {
        let mut scratch = [0u8; 4096];
        let mut left: usize = 64 * 1024;
        while left > 0 {
            match tcp.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// An accepted connection as tonic serves it.
pub struct Conn {
    io: Io,
    info: PeerInfo,
    /// Fires when the connection sent no request in time; `None` once it did.
    idle: Option<Pin<Box<Sleep>>>,
    _slot: Slot,
}

impl Conn {
    fn new(
        io: Io,
        addr: SocketAddr,
        identity: Option<Arc<PeerIdentity>>,
        slot: Slot,
        refusal: Option<String>,
        limits: &Limits,
    ) -> Conn {
        Conn {
            io,
            info: PeerInfo {
                addr,
                identity,
                used: Arc::new(AtomicBool::new(false)),
                refusal: refusal.map(Arc::from),
            },
            idle: Some(Box::pin(tokio::time::sleep(limits.idle_timeout))),
            _slot: slot,
        }
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        self.info.clone()
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if let Some(idle) = &mut this.idle {
            if this.info.used.load(Ordering::Relaxed) && this.info.refusal.is_none() {
                this.idle = None;
            } else if idle.as_mut().poll(cx).is_ready() {
                tracing::debug!("closing {}: no request in time", this.info.addr);
                return Poll::Ready(Err(std::io::ErrorKind::TimedOut.into()));
            }
        }
        match &mut this.io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match &mut self.io {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_peer: usize, total: usize) -> Limits {
        Limits {
            per_peer,
            total,
            ..Limits::default()
        }
    }

    #[test]
    fn a_peer_over_its_limit_is_refused_in_words_then_dropped() {
        let counts = Arc::new(Counts::default());
        let ip: IpAddr = [10, 0, 0, 1].into();
        let limits = limits(2, 100);
        let held: Vec<_> = (0..2).map(|_| counts.admit(ip, &limits)).collect();
        assert!(held.iter().all(|a| matches!(a, Admission::Serve(_))));
        match counts.admit(ip, &limits) {
            Admission::Refuse(_, message) => assert_eq!(
                message,
                "too many connections from 10.0.0.1: at most 2 at once; close some and retry"
            ),
            _ => panic!("expected a refusal"),
        }
        let refusals: Vec<_> = (0..REFUSALS).map(|_| counts.admit(ip, &limits)).collect();
        assert!(matches!(refusals.last(), Some(Admission::Refuse(..))));
        assert!(matches!(counts.admit(ip, &limits), Admission::Drop));
        // Another peer is not affected.
        assert!(matches!(
            counts.admit([10, 0, 0, 2].into(), &limits),
            Admission::Serve(_)
        ));
    }

    #[test]
    fn closed_connections_give_their_place_back() {
        let counts = Arc::new(Counts::default());
        let ip: IpAddr = [127, 0, 0, 1].into();
        let limits = limits(1, 1);
        let first = counts.admit(ip, &limits);
        assert!(matches!(first, Admission::Serve(_)));
        assert!(matches!(counts.admit(ip, &limits), Admission::Refuse(..)));
        drop(first);
        let second = counts.admit(ip, &limits);
        assert!(matches!(second, Admission::Serve(_)));
        let inner = counts.inner.lock().expect("lock");
        assert_eq!((inner.total, inner.refusing), (1, 0));
    }
}
