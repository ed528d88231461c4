//! The agent's settings: command-line flags (as Ankaios spells them), the optional TOML agent
//! config (`version = 'v1'`), and their checks. Flags win over the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ank_model::disconnect::parse_timeout;
use ank_model::field_path::Shown;
use ank_transport::{client_security, Dialer, PemSettings};

use runtimes::process::logfile::{LogLimits, SizeError};
use serde::Deserialize;

use crate::agent::AgentSettings;
use crate::runfolder;

/// The default agent config, read only when it exists.
pub const DEFAULT_CONFIG: &str = "/etc/ankaios/ank-agent.conf";
/// The default server URL (`https://` when mTLS is configured).
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:25551";
/// How long dialling the server (TCP and TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the server may be silent before the agent drops the session and reconnects.
pub const DEFAULT_DEAD_LINK: Duration = Duration::from_secs(5);

/// `ank-agent` flags.
#[derive(Debug, Default, clap::Parser)]
#[command(
    name = "ank-agent",
    version,
    about = "Anchorage agent: runs the workloads of one node"
)]
pub struct Flags {
    /// The agent's name ([a-zA-Z0-9_-]+).
    #[arg(short = 'n', long)]
    pub name: Option<String>,
    /// The server's URL.
    #[arg(short = 's', long = "server-url")]
    pub server_url: Option<String>,
    /// The run folder (default: $TMPDIR/ankaios).
    #[arg(short = 'r', long = "run-folder")]
    pub run_folder: Option<PathBuf>,
    /// A tag of this agent, key=value (repeatable).
    #[arg(short = 't', long = "tag", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// The agent config file (TOML).
    #[arg(short = 'x', long = "agent-config")]
    pub agent_config: Option<PathBuf>,
    /// Talk to the server without TLS.
    #[arg(short = 'k', long, env = "ANKAGENT_INSECURE")]
    pub insecure: bool,
    /// The CA certificate (PEM).
    #[arg(long = "ca_pem", env = "ANKAGENT_CA_PEM")]
    pub ca_pem: Option<PathBuf>,
    /// The agent's certificate (PEM).
    #[arg(long = "crt_pem", env = "ANKAGENT_CRT_PEM")]
    pub crt_pem: Option<PathBuf>,
    /// The agent's key (PEM).
    #[arg(long = "key_pem", env = "ANKAGENT_KEY_PEM")]
    pub key_pem: Option<PathBuf>,
    /// Anchorage: drop the session and reconnect after this long without a word from the
    /// server (500ms, 5s, …) [default: 5s]
    #[arg(long = "dead-link-timeout", value_parser = parse_timeout)]
    pub dead_link_timeout: Option<Duration>,
    /// Anchorage: rotate a native workload's log at this size (10MiB, 512KiB, bytes; at least
    /// 64KiB); one rotated file is kept [default: 10MiB]
    #[arg(long = "log-max-size", value_parser = parse_log_size)]
    pub log_max_size: Option<LogLimits>,
}

fn parse_log_size(text: &str) -> Result<LogLimits, String> {
    LogLimits::parse(text).map_err(|e| e.to_string())
}

fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("tag '{text}' is not key=value")),
    }
}

/// The TOML agent config.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Must be `v1`.
    pub version: String,
    /// The agent's name.
    pub name: Option<String>,
    /// The server's URL.
    pub server_url: Option<String>,
    /// The run folder.
    pub run_folder: Option<PathBuf>,
    /// No TLS.
    pub insecure: Option<bool>,
    /// CA certificate path.
    pub ca_pem: Option<PathBuf>,
    /// Certificate path.
    pub crt_pem: Option<PathBuf>,
    /// Key path.
    pub key_pem: Option<PathBuf>,
    /// CA certificate text.
    pub ca_pem_content: Option<String>,
    /// Certificate text.
    pub crt_pem_content: Option<String>,
    /// Key text.
    pub key_pem_content: Option<String>,
    /// Anchorage: `--dead-link-timeout` (e.g. `"5s"`).
    pub dead_link_timeout: Option<String>,
    /// Anchorage: `--log-max-size` (e.g. `"10MiB"`).
    pub log_max_size: Option<String>,
}

/// Why the agent cannot start with these settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read.
    #[error("cannot read agent config '{path}'")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid (unknown key, bad value).
    #[error("invalid agent config '{path}': {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// The config file has another version (shown escaped and cut: it is the file's text).
    #[error(
        "unsupported agent config version '{}' in '{path}' (expected 'v1')",
        Shown(version)
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: String,
    },
    /// No name given.
    #[error("the agent name is missing: pass -n/--name or set 'name' in the agent config")]
    MissingName,
    /// The name has other characters.
    #[error("invalid agent name '{0}': only [a-zA-Z0-9_-] are allowed")]
    InvalidName(String),
    /// `-k`, the PEMs and the URL do not go together, or the PEMs are unusable.
    #[error(transparent)]
    Security(#[from] ank_transport::SecurityError),
    /// The URL or the TLS material does not make a dialler.
    #[error(transparent)]
    Connect(#[from] ank_transport::ConnectError),
    /// `log_max_size` is not a size.
    #[error("invalid log_max_size in the agent config: {0}")]
    LogSize(#[from] SizeError),
    /// `dead_link_timeout` is not a duration.
    #[error("invalid dead_link_timeout in the agent config: {0}")]
    DeadLink(String),
    /// The run folder cannot be used.
    #[error(transparent)]
    RunFolder(#[from] runfolder::RunFolderError),
}

/// Reads a TOML agent config.
pub fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_file(path, &text)
}

/// Parses the text of the agent config at `path` (named in every error).
pub fn parse_file(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
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

/// Whether `name` is a valid agent name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The native logs' cap: the flag, else the file's `log_max_size`, else the default.
pub fn log_limits(flags: &Flags, file: &FileConfig) -> Result<LogLimits, ConfigError> {
    match (flags.log_max_size, &file.log_max_size) {
        (Some(limits), _) => Ok(limits),
        (None, Some(text)) => Ok(LogLimits::parse(text)?),
        (None, None) => Ok(LogLimits::default()),
    }
}

/// Merges flags over the file, checks everything, and prepares the run folder.
pub fn settings(flags: Flags, file: FileConfig) -> Result<AgentSettings, ConfigError> {
    let name = flags.name.or(file.name).ok_or(ConfigError::MissingName)?;
    if !valid_name(&name) {
        return Err(ConfigError::InvalidName(name));
    }
    let insecure = flags.insecure || file.insecure.unwrap_or(false);
    let pems = PemSettings::merge(
        [flags.ca_pem, flags.crt_pem, flags.key_pem],
        [file.ca_pem, file.crt_pem, file.key_pem],
        [
            file.ca_pem_content,
            file.crt_pem_content,
            file.key_pem_content,
        ],
    );
    let given_url = flags.server_url.or(file.server_url);
    let url = given_url.as_deref().unwrap_or(DEFAULT_SERVER_URL);
    let choice = client_security(insecure, &pems, url, given_url.is_some())?;
    let dead_link = match (flags.dead_link_timeout, file.dead_link_timeout) {
        (Some(d), _) => d,
        (None, Some(text)) => parse_timeout(&text).map_err(ConfigError::DeadLink)?,
        (None, None) => DEFAULT_DEAD_LINK,
    };
    let dialer = dialer(&choice, dead_link)?;
    let explicit = flags.run_folder.or(file.run_folder);
    let run_folder = explicit
        .clone()
        .unwrap_or_else(runfolder::default_run_folder);
    runfolder::prepare(&run_folder, explicit.is_none(), &name)?;
    Ok(AgentSettings {
        name,
        server_url: choice.url,
        dialer,
        tags: flags.tags.into_iter().collect::<BTreeMap<_, _>>(),
        run_folder,
        dead_link,
    })
}

/// The dialer, with HTTP/2 pings every half dead-link time, answered within the other half,
/// also while no stream is open.
pub fn dialer(
    choice: &ank_transport::ClientChoice,
    dead_link: Duration,
) -> Result<Dialer, ConfigError> {
    Ok(
        Dialer::new(&choice.url, &choice.security, CONNECT_TIMEOUT)?.map_endpoint(|endpoint| {
            endpoint
                .http2_keep_alive_interval(dead_link / 2)
                .keep_alive_timeout(dead_link / 2)
                .keep_alive_while_idle(true)
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn names_are_checked() {
        assert!(valid_name("agent_A-1"));
        assert!(!valid_name("agent.A"));
        assert!(!valid_name(""));
        let flags = Flags {
            name: Some("bad name".into()),
            insecure: true,
            ..Flags::default()
        };
        assert!(matches!(
            settings(flags, FileConfig::default()),
            Err(ConfigError::InvalidName(_))
        ));
    }

    #[test]
    fn file_errors_name_the_key_or_version() {
        let path = Path::new("a.conf");
        let err = parse_file(path, "version = 'v1'\nnmae = 'x'\n").expect_err("unknown key");
        assert!(err.to_string().contains("nmae"), "{err}");
        let err = parse_file(path, "version = 'v2'\n").expect_err("version");
        assert!(err.to_string().contains("v2"), "{err}");
        assert!(err.to_string().contains("a.conf"), "{err}");
        let ok = parse_file(path, "version = 'v1'\nname = 'a'\ninsecure = true\n").expect("valid");
        assert_eq!(ok.name.as_deref(), Some("a"));
    }

    #[test]
    fn flags_win_and_tls_needs_all_three_pems() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = FileConfig {
            name: Some("file".into()),
            server_url: Some("http://file:1".into()),
            run_folder: Some(tmp.path().to_owned()),
            insecure: Some(true),
            dead_link_timeout: Some("2s".into()),
            ..FileConfig::default()
        };
        let flags = Flags {
            name: Some("flag".into()),
            tags: vec![("k".into(), "v".into())],
            ..Flags::default()
        };
        assert_eq!(
            log_limits(&flags, &file).expect("default"),
            LogLimits::default()
        );
        let s = settings(flags, file).expect("valid");
        assert_eq!(s.dead_link, Duration::from_secs(2));
        assert_eq!(
            (s.name.as_str(), s.server_url.as_str()),
            ("flag", "http://file:1")
        );
        assert_eq!(s.tags["k"], "v");
        let flags = Flags {
            name: Some("a".into()),
            ca_pem: Some("ca.pem".into()),
            ..Flags::default()
        };
        let err = settings(flags, FileConfig::default()).expect_err("incomplete TLS");
        assert!(
            err.to_string()
                .starts_with("missing --crt_pem, --key_pem for mTLS"),
            "{err}"
        );
        let flags = Flags {
            name: Some("a".into()),
            insecure: true,
            server_url: Some("https://h:1".into()),
            ..Flags::default()
        };
        let err = settings(flags, FileConfig::default()).expect_err("downgrade");
        assert!(err.to_string().contains("is https://"), "{err}");
        assert_eq!(parse_tag("a=b=c"), Ok(("a".into(), "b=c".into())));
    }

    #[test]
    fn log_max_size_from_the_flag_else_the_file() {
        let path = Path::new("/etc/ankaios/ank-agent.conf");
        let file = parse_file(path, "version = 'v1'\nlog_max_size = '1MiB'\n").expect("valid");
        let limits = log_limits(&Flags::default(), &file).expect("file");
        assert_eq!(limits.max_size, 1 << 20);
        let flags = Flags::try_parse_from(["ank-agent", "--log-max-size", "128KiB"]).expect("flag");
        assert_eq!(log_limits(&flags, &file).expect("flag").max_size, 128 << 10);
        let err = Flags::try_parse_from(["ank-agent", "--log-max-size", "1k"]).expect_err("small");
        assert!(err.to_string().contains("at least 64KiB"), "{err}");
        let file = parse_file(path, "version = 'v1'\nlog_max_size = 'lots'\n").expect("toml");
        let err = log_limits(&Flags::default(), &file).expect_err("invalid");
        assert!(err.to_string().contains("log_max_size"), "{err}");
        assert!(parse_tag("novalue").is_err());
    }
}
