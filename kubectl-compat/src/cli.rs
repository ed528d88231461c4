//! The global options every `ank` verb accepts, before or after the verb (`global = true`),
//! and the mapping of clap's parse failures onto `ank`'s exit codes.
//!
//! # A verb's own short option wins
//! As in Ankaios, a verb may have an option whose short letter is a global one's: `ank get
//! workloads -s Running` is `--state`, `ank logs -s 2025-01-01T00:00:00Z wl` is `--since`.
//! There the global option is given before the verb (`ank -s URL get workloads`) or by its long
//! name. Such a verb flattens [`ServerUrlWithoutShort`], the global option under the same id but
//! without its short: clap then does not push the global one (and its `-s`) into that verb, and
//! still passes a value given there up to [`GlobalOptions`], since it matches global values by id.
//! A test asserts the whole command line with `debug_assert`, which finds any clash left.
//!
//! # What `-q` suppresses
//! The progress a verb prints while it works: `ank apply`'s (and `run`'s, `delete`'s)
//! `Successfully applied…`/`Waiting…` lines and wait tables. Results (`ank get` output, `ank
//! logs` lines) and errors are printed all the same; `-q` does not skip the wait (that is
//! `--no-wait`, which prints nothing after a successful update).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// Exit code for usage and I/O errors (bad flag, missing file), as `ank validate` documents.
pub const EXIT_USAGE: u8 = 2;

/// Options shared by all verbs; the TOML `ank.conf` carries the same keys, flags win.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// The server to talk to (after the verb, `-s` is the verb's own where it has one: use
    /// `--server-url` there, or `-s` before the verb).
    #[arg(
        short = 's',
        long,
        global = true,
        env = "ANK_SERVER_URL",
        default_value = "http://127.0.0.1:25551"
    )]
    pub server_url: String,
    /// The CLI config file (default `$HOME/.config/ankaios/ank.conf`, then `/etc/ankaios/ank.conf`).
    #[arg(short = 'x', long, global = true, value_name = "PATH")]
    pub ank_config: Option<PathBuf>,
    /// How long to wait for the server's response, in milliseconds.
    #[arg(long, global = true, value_name = "MS")]
    pub response_timeout: Option<u64>,
    /// Print more.
    #[arg(short = 'v', long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print only results and errors: no progress messages, no wait tables.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Do not wait for workloads to reach their target state.
    #[arg(long, global = true)]
    pub no_wait: bool,
    /// Connect without TLS.
    #[arg(short = 'k', long, global = true, env = "ANK_INSECURE")]
    pub insecure: bool,
    /// The CA certificate (PEM) that signed the server's certificate.
    #[arg(
        long = "ca_pem",
        global = true,
        env = "ANK_CA_PEM",
        value_name = "PATH"
    )]
    pub ca_pem: Option<PathBuf>,
    /// The CLI's certificate (PEM).
    #[arg(
        long = "crt_pem",
        global = true,
        env = "ANK_CRT_PEM",
        value_name = "PATH"
    )]
    pub crt_pem: Option<PathBuf>,
    /// The CLI's private key (PEM).
    #[arg(
        long = "key_pem",
        global = true,
        env = "ANK_KEY_PEM",
        value_name = "PATH"
    )]
    pub key_pem: Option<PathBuf>,
}

/// `--server-url` without its short `-s`, for a verb whose own `-s` wins (see the module doc).
#[derive(Debug, Clone, Args)]
pub struct ServerUrlWithoutShort {
    /// The server to talk to (`-s` is this verb's own: give it before the verb).
    // The same id as `GlobalOptions::server_url`: clap fills that one with the value given here.
    #[arg(long = "server-url", id = "server_url", value_name = "SERVER_URL")]
    pub server_url: Option<String>,
}

/// Prints a clap error and returns the exit code: 0 for `--help`/`--version`, 2 otherwise.
pub fn exit_for_clap_error(err: &clap::Error) -> ExitCode {
    // `print` routes help/version to stdout and real errors to stderr.
    let _ = err.print();
    if err.use_stderr() {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::SUCCESS
    }
}
