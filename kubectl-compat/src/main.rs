//! `ank`: the Anchorage command-line client, a drop-in for the Ankaios CLI.
//!
//! # Layout
//! - [`cli`]: the global options (`-s`, `-k`, `--response-timeout`, …) shared by every verb.
//! - [`commands`]: one file per verb; each exposes an `Args` struct and a `run` function.
//! - `validate`: the offline manifest checker behind `ank validate` and its output formats.
//!
//! `anyhow` is used here, at the binary edge, only; the modules below return typed errors.

mod cli;
mod commands;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cli::GlobalOptions;

/// The Anchorage CLI: manage workloads on an Ankaios-compatible server.
#[derive(Debug, Parser)]
#[command(name = "ank", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,
    #[command(subcommand)]
    command: Command,
}

/// The verbs. Add one variant and one file under `commands/` per verb.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check manifests offline (Kubernetes or Ankaios), no server needed.
    #[command(long_about = commands::validate::LONG_ABOUT)]
    Validate(commands::validate::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return cli::exit_for_clap_error(&err),
    };
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&cli.global, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(cli::EXIT_USAGE)
        }
    }
}
