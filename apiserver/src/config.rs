//! The server config file (`-x`, default `/etc/ankaios/ank-server.conf`): TOML with
//! `version = 'v1'` and the same keys as the flags. Unknown keys and versions are errors that
//! name them.

use std::path::{Path, PathBuf};

use ank_model::field_path::Shown;
use serde::Deserialize;

/// The only config version.
pub const VERSION: &str = "v1";

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read server config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("invalid server config {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong (names an unknown key).
        #[source]
        source: toml::de::Error,
    },
    /// The `version` is missing or unknown (shown escaped and cut: it is the file's text).
    #[error(
        "unsupported server config version '{}' in {path} (expected '{VERSION}')",
        Shown(version)
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: String,
    },
}

/// The contents of `ank-server.conf`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Must be `v1`.
    #[serde(default)]
    pub version: String,
    /// `-m`.
    pub startup_manifest: Option<PathBuf>,
    /// `-a`.
    pub address: Option<String>,
    /// `-k`.
    pub insecure: Option<bool>,
    /// `--ca_pem`.
    pub ca_pem: Option<PathBuf>,
    /// `--crt_pem`.
    pub crt_pem: Option<PathBuf>,
    /// `--key_pem`.
    pub key_pem: Option<PathBuf>,
    /// The CA certificate itself.
    pub ca_pem_content: Option<String>,
    /// The server certificate itself.
    pub crt_pem_content: Option<String>,
    /// The server key itself.
    pub key_pem_content: Option<String>,
    /// `--state-file` (Anchorage).
    pub state_file: Option<PathBuf>,
    /// `--startup-grace`, in seconds (Anchorage).
    pub startup_grace: Option<u64>,
    /// Anchorage: `--dead-link-timeout` (e.g. `"5s"`).
    pub dead_link_timeout: Option<String>,
    /// Anchorage: `--max-state-size` (bytes, or e.g. `"2MiB"`).
    pub max_state_size: Option<SizeSetting>,
    /// Anchorage: `--max-request-size` (bytes, or e.g. `"4MiB"`).
    pub max_request_size: Option<SizeSetting>,
    /// Anchorage: `--max-render-output` (bytes, or e.g. `"1MiB"`).
    pub max_render_output: Option<SizeSetting>,
    /// Anchorage: `--max-render-steps`.
    pub max_render_steps: Option<u64>,
}

/// A size in the config file: a number of bytes or a text like `"2MiB"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SizeSetting {
    /// Bytes.
    Bytes(usize),
    /// A number with a unit, parsed by [`crate::limits::parse_size`].
    Text(String),
}

impl SizeSetting {
    /// The size in bytes, or why the text is not one.
    pub fn bytes(&self) -> Result<usize, String> {
        match self {
            SizeSetting::Bytes(n) => Ok(*n),
            SizeSetting::Text(text) => crate::limits::parse_size(text),
        }
    }
}

impl ServerConfig {
    /// Parses a config file's text.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let config: ServerConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        if config.version != VERSION {
            return Err(ConfigError::Version {
                path: path.to_owned(),
                version: config.version,
            });
        }
        Ok(config)
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Whether any PEM setting is present.
    pub fn has_pem(&self) -> bool {
        self.ca_pem.is_some()
            || self.crt_pem.is_some()
            || self.key_pem.is_some()
            || self.ca_pem_content.is_some()
            || self.crt_pem_content.is_some()
            || self.key_pem_content.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServerConfig, ConfigError> {
        ServerConfig::parse(Path::new("x.conf"), text)
    }

    #[test]
    fn reads_the_ankaios_keys() {
        let config = parse(
            "version = 'v1'\nstartup_manifest = '/m.yaml'\naddress = '0.0.0.0:1'\ninsecure = true\n\
             dead_link_timeout = '3s'\n",
        )
        .expect("parses");
        assert_eq!(config.dead_link_timeout.as_deref(), Some("3s"));
        assert_eq!(config.address.as_deref(), Some("0.0.0.0:1"));
        assert_eq!(config.insecure, Some(true));
        assert!(!config.has_pem());
    }

    #[test]
    fn reads_the_durability_keys() {
        let config =
            parse("version = 'v1'\nstate_file = '/var/lib/ank/state'\nstartup_grace = 5\n")
                .expect("parses");
        assert_eq!(config.state_file, Some(PathBuf::from("/var/lib/ank/state")));
        assert_eq!(config.startup_grace, Some(5));
    }

    #[test]
    fn reads_the_limit_keys() {
        let config = parse(
            "version = 'v1'\nmax_state_size = '1MiB'\nmax_request_size = 65536\n\
             max_render_output = '64KiB'\nmax_render_steps = 500\n",
        )
        .expect("parses");
        let bytes = |s: Option<SizeSetting>| s.map(|s| s.bytes());
        assert_eq!(bytes(config.max_state_size), Some(Ok(1 << 20)));
        assert_eq!(bytes(config.max_request_size), Some(Ok(65536)));
        assert_eq!(bytes(config.max_render_output), Some(Ok(64 << 10)));
        assert_eq!(config.max_render_steps, Some(500));
    }

    #[test]
    fn unknown_key_is_named() {
        let err = parse("version = 'v1'\nadress = 'x'\n").expect_err("unknown key");
        assert!(err.to_string().contains("adress"), "{err}");
    }

    #[test]
    fn unknown_version_is_named() {
        let err = parse("version = 'v2'\n").expect_err("unknown version");
        assert!(err.to_string().contains("'v2'"), "{err}");
        assert!(err.to_string().contains("x.conf"), "{err}");
    }
}
