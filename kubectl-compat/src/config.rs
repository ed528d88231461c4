//! The effective CLI settings: the global flags merged over `ank.conf` (TOML, `version = 'v1'`),
//! read from `-x PATH`, else `$HOME/.config/ankaios/ank.conf`, else `/etc/ankaios/ank.conf`.
//! Flags win over the file; an unknown version or key is an error that names it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ank_model::field_path::Shown;
use ank_transport::PemSettings;
use serde::Deserialize;

use crate::cli::GlobalOptions;

/// The server URL when neither flag, env var nor file says otherwise.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:25551";
/// Ankaios' default `--response-timeout`.
pub const DEFAULT_RESPONSE_TIMEOUT_MS: u64 = 3000;

/// Why the config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named with `-x` (or a default one that exists) cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown key.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, naming the key.
        message: String,
    },
    /// `version` is not `v1` (shown escaped and cut: it is the file's text).
    #[error(
        "config file {path}: unsupported version '{}' (expected 'v1')",
        Shown(version)
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: String,
    },
}

/// `ank.conf` as written on disk.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    version: String,
    response_timeout: Option<u64>,
    verbose: Option<bool>,
    quiet: Option<bool>,
    no_wait: Option<bool>,
    #[serde(default)]
    default: ServerSection,
}

/// The `[default]` table: how to reach the server.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    server_url: Option<String>,
    insecure: Option<bool>,
    ca_pem: Option<PathBuf>,
    crt_pem: Option<PathBuf>,
    key_pem: Option<PathBuf>,
    ca_pem_content: Option<String>,
    crt_pem_content: Option<String>,
    key_pem_content: Option<String>,
}

/// What every verb works with after merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where the server listens.
    pub server_url: String,
    /// False when `server_url` is the built-in default, which follows the transport.
    pub server_url_given: bool,
    /// Applies to unary calls.
    pub response_timeout: Duration,
    /// Print more.
    pub verbose: bool,
    /// Print only results and errors.
    pub quiet: bool,
    /// Do not wait for target states.
    pub no_wait: bool,
    /// Plain HTTP/2 without TLS.
    pub insecure: bool,
    /// PEM files (or texts, from `*_content`) for mTLS.
    pub pem: PemSettings,
}

impl Settings {
    /// Merges the flags over the config file found as documented above.
    pub fn load(global: &GlobalOptions) -> Result<Settings, ConfigError> {
        let file = match &global.ank_config {
            Some(path) => Some(read(path)?),
            None => default_paths()
                .into_iter()
                .find(|p| p.is_file())
                .map(|p| read(&p))
                .transpose()?,
        };
        Ok(merge(
            global,
            file.unwrap_or_default(),
            server_url_from_env_or_flag(global),
        ))
    }
}

/// True when `-s` or `ANK_SERVER_URL` set the URL (clap's default value cannot be told apart).
fn server_url_from_env_or_flag(global: &GlobalOptions) -> bool {
    global.server_url != DEFAULT_SERVER_URL || std::env::var_os("ANK_SERVER_URL").is_some()
}

fn default_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(Path::new(&home).join(".config/ankaios/ank.conf"));
    }
    paths.push(PathBuf::from("/etc/ankaios/ank.conf"));
    paths
}

fn read(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let config: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })?;
    if config.version != "v1" {
        return Err(ConfigError::Version {
            path: path.to_owned(),
            version: config.version,
        });
    }
    Ok(config)
}

fn merge(global: &GlobalOptions, file: FileConfig, url_given: bool) -> Settings {
    let d = file.default;
    let server_url_given = url_given || d.server_url.is_some();
    Settings {
        server_url: match (url_given, d.server_url) {
            (false, Some(url)) => url,
            _ => global.server_url.clone(),
        },
        server_url_given,
        response_timeout: Duration::from_millis(
            global
                .response_timeout
                .or(file.response_timeout)
                .unwrap_or(DEFAULT_RESPONSE_TIMEOUT_MS),
        ),
        verbose: global.verbose || file.verbose.unwrap_or(false),
        quiet: global.quiet || file.quiet.unwrap_or(false),
        no_wait: global.no_wait || file.no_wait.unwrap_or(false),
        insecure: global.insecure || d.insecure.unwrap_or(false),
        pem: PemSettings::merge(
            [
                global.ca_pem.clone(),
                global.crt_pem.clone(),
                global.key_pem.clone(),
            ],
            [d.ca_pem, d.crt_pem, d.key_pem],
            [d.ca_pem_content, d.crt_pem_content, d.key_pem_content],
        ),
    }
}

/// The hostile-input strategies shared by every crate's fuzz suites.
#[cfg(test)]
#[path = "../../model/tests/support/hostile.rs"]
#[macro_use]
mod hostile;

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Opts {
        #[command(flatten)]
        global: GlobalOptions,
    }

    fn global(args: &[&str]) -> GlobalOptions {
        let mut argv = vec!["ank"];
        argv.extend_from_slice(args);
        Opts::parse_from(argv).global
    }

    #[test]
    fn file_values_apply_when_flags_are_absent() {
        let file = parse(
            Path::new("ank.conf"),
            "version = 'v1'\nresponse_timeout = 50\nno_wait = true\n[default]\nserver_url = 'http://h:1'\ninsecure = true\n",
        )
        .expect("parses");
        let s = merge(&global(&[]), file, false);
        assert_eq!(s.server_url, "http://h:1");
        assert_eq!(s.response_timeout, Duration::from_millis(50));
        assert!(s.no_wait && s.insecure);
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = parse(
            Path::new("ank.conf"),
            "version = 'v1'\nresponse_timeout = 50\n[default]\nserver_url = 'http://h:1'\n",
        )
        .expect("parses");
        let s = merge(
            &global(&["-s", "http://x:2", "--response-timeout", "7"]),
            file,
            true,
        );
        assert_eq!(s.server_url, "http://x:2");
        assert_eq!(s.response_timeout, Duration::from_millis(7));
    }

    #[test]
    fn unknown_key_and_version_are_named() {
        let err =
            parse(Path::new("a.conf"), "version = 'v1'\nserver = 'x'\n").expect_err("unknown");
        assert!(err.to_string().contains("server"), "{err}");
        let err = parse(Path::new("a.conf"), "version = 'v2'\n").expect_err("version");
        assert!(err.to_string().contains("'v2'"), "{err}");
    }
}
