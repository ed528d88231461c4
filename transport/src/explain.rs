//! Words for transport failures. A TLS failure reaches us as an `io::Error` deep in hyper's
//! and tonic's error chain; we find its rustls cause and say whose certificate is refused and
//! why, from the side that reports it: a client says "the server's certificate has expired",
//! the server says "the client's certificate has expired".

use std::error::Error;

use rustls::{AlertDescription, CertificateError};

/// The peer a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// We are a client (agent, CLI); the peer is the server.
    Server,
    /// We are the server; the peer is a client.
    Client,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Server => "the server",
            Peer::Client => "the client",
        }
    }
}

/// An error with its sources, `a: b: c`, skipping sources already in the text.
pub fn chain(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// The rustls error somewhere in `err`'s chain. A TLS alert that reached us through HTTP/2
/// (as a refused client certificate does under TLS 1.3, after the handshake) survives only as
/// the text of an `io::Error`, since `h2` keeps an I/O error's kind and message, not its source:
/// that text is read back into the alert.
pub fn tls_cause(err: &(dyn Error + 'static)) -> Option<rustls::Error> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls.clone());
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls.clone());
            }
            if let Some(alert) = alert_in_text(&inner.to_string()) {
                return Some(alert);
            }
        }
        next = e.source();
    }
    None
}

/// `received fatal alert: CertificateExpired` (rustls' words for an alert) as the alert.
fn alert_in_text(text: &str) -> Option<rustls::Error> {
    let name = text.strip_prefix("received fatal alert: ")?;
    (0..=u8::MAX)
        .map(AlertDescription::from)
        .find(|alert| format!("{alert:?}") == name)
        .map(rustls::Error::AlertReceived)
}

/// What a client speaking plain HTTP/2 (`-k`) is told when [`is_tls_server`] says so.
pub const PLAIN_TO_TLS: &str = "the server does not speak plain HTTP/2 here (is it running with \
                                mTLS? then drop -k/--insecure and give --ca_pem, --crt_pem and \
                                --key_pem)";

/// Whether a call over plain HTTP/2 failed the way it does against an mTLS server, whose TLS
/// alert h2 reads as a broken frame.
pub fn is_tls_server(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::Internal && status.message().contains("h2 protocol error")
}

/// A client's account of a failed call: the TLS reason in words when there is one, then
/// the whole chain.
pub fn describe(err: &(dyn Error + 'static)) -> String {
    match tls_cause(err) {
        Some(tls) => format!("{} ({})", tls_failure(&tls, Peer::Server), chain(err)),
        None => chain(err),
    }
}

/// Says what a rustls error means, about `peer`'s certificate or ours.
pub fn tls_failure(err: &rustls::Error, peer: Peer) -> String {
    let who = peer.name();
    match err {
        rustls::Error::NoCertificatesPresented => format!("{who} sent no certificate"),
        rustls::Error::InvalidCertificate(reason) => {
            format!("{who}'s certificate is refused: {}", certificate(reason))
        }
        rustls::Error::AlertReceived(alert) => format!("{who} refused {}", alert_text(*alert)),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("{who} does not speak TLS here (is it running with -k/--insecure?): {err}")
        }
        other => format!("TLS handshake with {who} failed: {other}"),
    }
}

fn certificate(reason: &CertificateError) -> String {
    match reason {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "it has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "it is not valid yet".into()
        }
        // A foreign CA with the same name as ours (both made by the same script) shows as a
        // bad signature, not as an unknown issuer: either way, our CA did not sign it.
        CertificateError::UnknownIssuer | CertificateError::BadSignature => {
            "it is not signed by the CA in --ca_pem".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("it is not issued for the name '{}'", crate::SERVER_NAME)
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "its extended key usage does not allow this use".into()
        }
        other => other.to_string(),
    }
}

fn alert_text(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::CertificateExpired => "our certificate: it has expired".into(),
        // rustls answers a chain whose signature does not verify with DecryptError.
        AlertDescription::UnknownCA
        | AlertDescription::BadCertificate
        | AlertDescription::DecryptError => "our certificate: it is not signed by its CA".into(),
        AlertDescription::CertificateRequired => "the connection: it requires a certificate".into(),
        AlertDescription::CertificateUnknown | AlertDescription::UnsupportedCertificate => {
            "our certificate".into()
        }
        other => format!("the handshake (TLS alert {other:?})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rustls_cause_inside_io_errors() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::Expired),
        );
        let text = describe(&io);
        assert!(
            text.starts_with("the server's certificate is refused: it has expired"),
            "{text}"
        );
    }

    #[test]
    fn server_side_names_the_client() {
        assert_eq!(
            tls_failure(&rustls::Error::NoCertificatesPresented, Peer::Client),
            "the client sent no certificate"
        );
        assert_eq!(
            tls_failure(
                &rustls::Error::AlertReceived(AlertDescription::UnknownCA),
                Peer::Server
            ),
            "the server refused our certificate: it is not signed by its CA"
        );
    }

    #[test]
    fn an_alert_flattened_to_text_by_h2_is_found() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "received fatal alert: CertificateExpired",
        );
        assert_eq!(
            tls_cause(&io),
            Some(rustls::Error::AlertReceived(
                AlertDescription::CertificateExpired
            ))
        );
        assert_eq!(
            describe(&io),
            "the server refused our certificate: it has expired \
             (received fatal alert: CertificateExpired)"
        );
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "received fatal alert");
        assert_eq!(tls_cause(&other), None);
    }

    #[test]
    fn plain_errors_keep_their_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(describe(&io), "refused");
    }
}
