//! rustls configurations for both ends. Clients verify the server's certificate against the
//! name `ank-server` whatever address they dial, as Ankaios does; the server demands a client
//! certificate signed by its CA and reads the peer's identity (CN and DNS SANs) from it, so
//! the agent service can admit an agent only under a name its certificate allows.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::pem::TlsMaterial;

/// The name every server certificate must carry (as a DNS SAN).
pub const SERVER_NAME: &str = "ank-server";

/// Why the material does not make a TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// The CA PEM holds no usable CA certificate.
    #[error("--ca_pem holds no usable CA certificate: {0}")]
    Ca(String),
    /// The certificate and key do not fit, or the key type is not supported.
    #[error("--crt_pem and --key_pem do not make a usable identity: {0}")]
    Identity(String),
}

/// The one crypto provider (ring: ED25519, ECDSA P-256/P-384, RSA).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(material: &TlsMaterial) -> Result<Arc<RootCertStore>, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(material.ca.iter().cloned());
    if added == 0 {
        return Err(TlsConfigError::Ca(
            "no certificate in it parses as X.509".into(),
        ));
    }
    Ok(Arc::new(roots))
}

/// What clients (agent, CLI) use: verify `ank-server`, present our certificate.
pub fn client_config(material: &TlsMaterial) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let provider = provider();
    let verifier = WebPkiServerVerifier::builder_with_provider(roots(material)?, provider.clone())
        .build()
        .map_err(|e| TlsConfigError::Ca(e.to_string()))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Identity(e.to_string()))?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(material.chain.clone(), material.key.clone_key())
        .map_err(|e| TlsConfigError::Identity(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// What the server uses: present our certificate, require one signed by the CA.
pub fn server_config(material: &TlsMaterial) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let provider = provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(material)?, provider.clone())
        .build()
        .map_err(|e| TlsConfigError::Ca(e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Identity(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(material.chain.clone(), material.key.clone_key())
        .map_err(|e| TlsConfigError::Identity(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Who a verified peer certificate names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The subject's common name, if it has one.
    pub common_name: Option<String>,
    /// The DNS names of its subject alternative names.
    pub dns_names: Vec<String>,
}

impl PeerIdentity {
    /// Reads the identity of a DER certificate; `None` when it does not parse (rustls has
    /// verified it already, so that does not happen for a connected peer).
    pub fn from_der(der: &[u8]) -> Option<PeerIdentity> {
        use x509_parser::extensions::GeneralName;
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let dns_names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|name| match name {
                        GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(PeerIdentity {
            common_name,
            dns_names,
        })
    }

    /// Whether an agent may connect under `name`: the certificate's CN is that name, or it
    /// carries the SAN `*`, which lets one certificate serve any agent name.
    pub fn allows_agent(&self, name: &str) -> bool {
        self.common_name.as_deref() == Some(name) || self.dns_names.iter().any(|d| d == "*")
    }

    /// How a log names this peer: `CN=x`.
    pub fn describe(&self) -> String {
        match &self.common_name {
            Some(cn) => format!("CN={}", cn.escape_debug()),
            None => "no CN".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: &str, sans: &[&str]) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
        let mut params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.self_signed(&key).expect("cert").der().to_vec()
    }

    #[test]
    fn agent_name_must_be_the_cn_or_the_san_star() {
        let a = PeerIdentity::from_der(&cert("agent_A", &[])).expect("parses");
        assert_eq!(a.common_name.as_deref(), Some("agent_A"));
        assert!(a.allows_agent("agent_A"));
        assert!(!a.allows_agent("agent_B"));
        let any = PeerIdentity::from_der(&cert("agents", &["*"])).expect("parses");
        assert!(any.allows_agent("agent_B"));
    }

    #[test]
    fn garbage_is_no_identity() {
        assert_eq!(PeerIdentity::from_der(b"not a certificate"), None);
    }
}
