//! Which transport a component uses, decided once at start from `-k`, the PEMs and the URL.
//! The rule is Ankaios': no TLS only when asked (`-k`), never silently. A client given `-k`
//! and an `https://` URL, or TLS material and an explicit `http://` URL, refuses to start;
//! the default URL (`http://127.0.0.1:25551`) becomes `https://` when TLS is in use.

use crate::pem::{PemError, PemSettings, TlsMaterial};

/// How a component talks.
#[derive(Debug)]
pub enum Security {
    /// Plain HTTP/2, asked for with `-k`.
    Insecure,
    /// Mutual TLS with this material.
    Mtls(TlsMaterial),
}

/// Why the settings cannot be used together.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// The TLS material is incomplete or unusable.
    #[error(transparent)]
    Pem(#[from] PemError),
    /// `-k` with an `https://` URL.
    #[error("-k/--insecure asks for plain HTTP/2 but the server URL '{0}' is https://: drop -k to use mTLS, or give an http:// URL")]
    InsecureHttps(String),
    /// TLS material with an explicit `http://` URL.
    #[error("mTLS is configured but the server URL '{0}' is http://: give an https:// URL, or -k/--insecure for plain HTTP/2")]
    TlsHttp(String),
    /// Neither scheme.
    #[error("the server URL '{0}' must start with http:// or https://")]
    Scheme(String),
}

/// A client's (agent's, CLI's) transport and the URL to dial.
#[derive(Debug)]
pub struct ClientChoice {
    /// Plain or mTLS.
    pub security: Security,
    /// The URL, its scheme matching `security`.
    pub url: String,
}

/// Decides a client's transport. `url_given` is false when `url` is the built-in default,
/// which then follows the transport instead of contradicting it.
pub fn client_security(
    insecure: bool,
    pems: &PemSettings,
    url: &str,
    url_given: bool,
) -> Result<ClientChoice, SecurityError> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        Some(rest)
    } else if url.starts_with("http://") {
        None
    } else {
        return Err(SecurityError::Scheme(url.to_owned()));
    };
    if insecure {
        if rest.is_some() {
            return Err(SecurityError::InsecureHttps(url.to_owned()));
        }
        if pems.any() {
            tracing::warn!("-k/--insecure is set: the PEM settings are ignored");
        }
        return Ok(ClientChoice {
            security: Security::Insecure,
            url: url.to_owned(),
        });
    }
    let material = pems.load()?;
    let url = match (rest, url_given) {
        (Some(_), _) => url.to_owned(),
        (None, false) => url.replacen("http://", "https://", 1),
        (None, true) => return Err(SecurityError::TlsHttp(url.to_owned())),
    };
    Ok(ClientChoice {
        security: Security::Mtls(material),
        url,
    })
}

/// Decides the server's transport.
pub fn server_security(insecure: bool, pems: &PemSettings) -> Result<Security, SecurityError> {
    if insecure {
        if pems.any() {
            tracing::warn!("-k/--insecure is set: the PEM settings are ignored");
        }
        return Ok(Security::Insecure);
    }
    Ok(Security::Mtls(pems.load()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pem::Pem;

    fn incomplete() -> PemSettings {
        PemSettings {
            ca: Some(Pem::Content("x".into())),
            ..PemSettings::default()
        }
    }

    #[test]
    fn insecure_with_https_is_refused() {
        let err = client_security(true, &PemSettings::default(), "https://h:1", true)
            .expect_err("downgrade");
        assert!(matches!(err, SecurityError::InsecureHttps(_)));
    }

    #[test]
    fn insecure_with_http_is_plain() {
        let choice = client_security(true, &incomplete(), "http://h:1", true).expect("plain");
        assert!(matches!(choice.security, Security::Insecure));
        assert_eq!(choice.url, "http://h:1");
    }

    #[test]
    fn nothing_given_names_all_three() {
        let err = client_security(false, &PemSettings::default(), "http://h:1", false)
            .expect_err("no tls");
        assert!(
            err.to_string()
                .starts_with("missing --ca_pem, --crt_pem, --key_pem for mTLS"),
            "{err}"
        );
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let err =
            client_security(true, &PemSettings::default(), "ftp://h:1", true).expect_err("scheme");
        assert!(matches!(err, SecurityError::Scheme(_)));
    }

    #[test]
    fn server_needs_all_three_without_k() {
        assert!(matches!(
            server_security(false, &incomplete()),
            Err(SecurityError::Pem(PemError::Missing(_)))
        ));
        assert!(matches!(
            server_security(true, &incomplete()),
            Ok(Security::Insecure)
        ));
    }
}
