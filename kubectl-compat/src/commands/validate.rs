//! `ank validate`: check manifests offline. Parsing of the command line lives here; the
//! checking and the output formats live in `crate::validate`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::GlobalOptions;

/// The long help of `ank validate`, documenting the stable exit codes.
pub const LONG_ABOUT: &str = "Check manifests offline (Kubernetes or Ankaios), no server needed.

Exit codes:
  0  every resource is valid (warnings allowed)
  1  at least one resource is invalid
  2  usage or I/O error (bad flag, missing file, unreadable directory)";

/// Arguments of `ank validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, directories (recursive: *.yaml, *.yml, *.json) or `-` for stdin.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(_global: &GlobalOptions, _args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
