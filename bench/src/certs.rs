//! A throw-away CA and ED25519 certificates for the mTLS figures: the server's (`ank-server`),
//! one agent's with the SAN `*` (any agent name), and the CLI's, written as PEM files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    PKCS_ED25519,
};

/// The PEM files of one party.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Its certificate.
    pub crt: PathBuf,
    /// Its key.
    pub key: PathBuf,
}

/// Everything the benchmark's processes need for mTLS.
#[derive(Debug, Clone)]
pub struct Certs {
    /// The CA every party trusts.
    pub ca: PathBuf,
    /// The server's identity.
    pub server: Identity,
    /// Any agent's identity.
    pub agent: Identity,
    /// The CLI's (the benchmark's own client's) identity.
    pub cli: Identity,
}

/// Makes the CA and the three identities in `dir`.
pub fn make(dir: &Path) -> anyhow::Result<Certs> {
    std::fs::create_dir_all(dir)?;
    let ca_key = KeyPair::generate_for(&PKCS_ED25519)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "anchorage-bench-ca");
    let ca = ca_params.self_signed(&ca_key)?;
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.pem())?;
    let issue = |name: &str, cn: &str, sans: &[&str], usage| -> anyhow::Result<Identity> {
        let key = KeyPair::generate_for(&PKCS_ED25519)?;
        let mut params =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &ca, &ca_key)?;
        let identity = Identity {
            crt: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}-key.pem")),
        };
        std::fs::write(&identity.crt, cert.pem())?;
        std::fs::write(&identity.key, key.serialize_pem())
            .with_context(|| format!("writing {name}'s key"))?;
        Ok(identity)
    };
    Ok(Certs {
        ca: ca_path,
        server: issue(
            "server",
            "ank-server",
            &["ank-server"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )?,
        agent: issue(
            "agent",
            "agent",
            &["*"],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?,
        cli: issue("cli", "cli", &[], ExtendedKeyUsagePurpose::ClientAuth)?,
    })
}
