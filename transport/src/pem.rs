//! The mTLS material as the user gives it (a path per PEM, or the PEM text itself from a
//! config file's `*_content` key) and its loading into rustls types, with errors that name
//! which of the three is wrong and why. Key and certificate texts never appear in an error.

use std::path::PathBuf;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Largest PEM file read: a CA bundle is a few KiB; anything bigger is not a PEM.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// One PEM: a file, or inline text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pem {
    /// Read from this file.
    File(PathBuf),
    /// The PEM text itself (a `*_content` key).
    Content(String),
}

/// Which of the three PEMs; names the flag a user would fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemRole {
    /// `--ca_pem`: the CA every peer's certificate must be signed by.
    Ca,
    /// `--crt_pem`: this component's certificate.
    Crt,
    /// `--key_pem`: this component's private key.
    Key,
}

impl std::fmt::Display for PemRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PemRole::Ca => "--ca_pem",
            PemRole::Crt => "--crt_pem",
            PemRole::Key => "--key_pem",
        })
    }
}

/// The three PEMs as given; any may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PemSettings {
    /// The CA.
    pub ca: Option<Pem>,
    /// This component's certificate.
    pub crt: Option<Pem>,
    /// This component's key.
    pub key: Option<Pem>,
}

/// Why the TLS material cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    /// Some of the three are not given.
    #[error("missing {} for mTLS: give all of --ca_pem, --crt_pem and --key_pem (flags, env vars or config file), or -k/--insecure", join(.0))]
    Missing(Vec<PemRole>),
    /// A PEM file cannot be read.
    #[error("cannot read {role} file '{path}': {source}")]
    Read {
        /// Which PEM.
        role: PemRole,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file is larger than any PEM.
    #[error("{role} file '{path}' is larger than {MAX_PEM_BYTES} bytes: not a PEM")]
    TooLarge {
        /// Which PEM.
        role: PemRole,
        /// The file.
        path: PathBuf,
    },
    /// The text holds no usable PEM block of the expected kind.
    #[error("{role} ({origin}) holds no {expected}")]
    Invalid {
        /// Which PEM.
        role: PemRole,
        /// The file, or "config file content".
        origin: String,
        /// What was looked for.
        expected: &'static str,
    },
}

fn join(roles: &[PemRole]) -> String {
    roles
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The loaded material.
#[derive(Debug)]
pub struct TlsMaterial {
    /// The CA certificates (all blocks of the CA PEM).
    pub ca: Vec<CertificateDer<'static>>,
    /// This component's chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// This component's key (PKCS#8, PKCS#1 or SEC1; ED25519 and ECDSA included).
    pub key: PrivateKeyDer<'static>,
}

impl PemSettings {
    /// Merges the three sources of each PEM: a flag (or its env var) wins over a config
    /// file's path, which wins over the config file's `*_content`.
    pub fn merge(
        flags: [Option<PathBuf>; 3],
        paths: [Option<PathBuf>; 3],
        contents: [Option<String>; 3],
    ) -> PemSettings {
        let [f_ca, f_crt, f_key] = flags;
        let [p_ca, p_crt, p_key] = paths;
        let [c_ca, c_crt, c_key] = contents;
        let one = |flag: Option<PathBuf>, path: Option<PathBuf>, content: Option<String>| {
            flag.or(path).map(Pem::File).or(content.map(Pem::Content))
        };
        PemSettings {
            ca: one(f_ca, p_ca, c_ca),
            crt: one(f_crt, p_crt, c_crt),
            key: one(f_key, p_key, c_key),
        }
    }

    /// True when any of the three is given.
    pub fn any(&self) -> bool {
        self.ca.is_some() || self.crt.is_some() || self.key.is_some()
    }

    /// Loads all three, or says which are missing or unusable.
    pub fn load(&self) -> Result<TlsMaterial, PemError> {
        let (Some(ca), Some(crt), Some(key)) = (&self.ca, &self.crt, &self.key) else {
            let missing = [
                (PemRole::Ca, &self.ca),
                (PemRole::Crt, &self.crt),
                (PemRole::Key, &self.key),
            ]
            .into_iter()
            .filter(|(_, pem)| pem.is_none())
            .map(|(role, _)| role)
            .collect();
            return Err(PemError::Missing(missing));
        };
        Ok(TlsMaterial {
            ca: certificates(PemRole::Ca, ca)?,
            chain: certificates(PemRole::Crt, crt)?,
            key: private_key(key)?,
        })
    }
}

fn read(role: PemRole, pem: &Pem) -> Result<(Vec<u8>, String), PemError> {
    match pem {
        Pem::Content(text) => Ok((text.as_bytes().to_vec(), "config file content".into())),
        Pem::File(path) => {
            let err = |source| PemError::Read {
                role,
                path: path.clone(),
                source,
            };
            let file = std::fs::File::open(path).map_err(err)?;
            let mut bytes = Vec::new();
            use std::io::Read;
            let read = file
                .take(MAX_PEM_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(err)?;
            if read as u64 > MAX_PEM_BYTES {
                return Err(PemError::TooLarge {
                    role,
                    path: path.clone(),
                });
            }
            Ok((bytes, format!("'{}'", path.display())))
        }
    }
}

fn certificates(role: PemRole, pem: &Pem) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let (bytes, origin) = read(role, pem)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(PemError::Invalid {
            role,
            origin,
            expected: "PEM certificate (-----BEGIN CERTIFICATE-----)",
        });
    }
    Ok(certs)
}

fn private_key(pem: &Pem) -> Result<PrivateKeyDer<'static>, PemError> {
    let (bytes, origin) = read(PemRole::Key, pem)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| PemError::Invalid {
        role: PemRole::Key,
        origin,
        expected: "PEM private key (PKCS#8, RSA or EC)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_missing_pem() {
        let settings = PemSettings {
            crt: Some(Pem::Content(String::new())),
            ..PemSettings::default()
        };
        let err = settings.load().expect_err("incomplete");
        assert_eq!(
            err.to_string(),
            "missing --ca_pem, --key_pem for mTLS: give all of --ca_pem, --crt_pem and --key_pem \
             (flags, env vars or config file), or -k/--insecure"
        );
    }

    #[test]
    fn a_key_in_the_certificate_slot_is_named_without_its_text() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key");
        let secret = key.serialize_pem();
        let settings = PemSettings {
            ca: Some(Pem::Content(secret.clone())),
            crt: Some(Pem::Content(secret.clone())),
            key: Some(Pem::Content(secret.clone())),
        };
        let err = settings.load().expect_err("no certificate").to_string();
        assert!(err.starts_with("--ca_pem (config file content) holds no PEM certificate"));
        assert!(!err.contains("PRIVATE"), "{err}");
    }

    #[test]
    fn unreadable_file_is_named() {
        let settings = PemSettings {
            ca: Some(Pem::File("/nonexistent/ca.pem".into())),
            crt: Some(Pem::File("/nonexistent/c.pem".into())),
            key: Some(Pem::File("/nonexistent/k.pem".into())),
        };
        let err = settings.load().expect_err("missing file").to_string();
        assert!(
            err.starts_with("cannot read --ca_pem file '/nonexistent/ca.pem'"),
            "{err}"
        );
    }
}
