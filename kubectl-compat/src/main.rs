//! `ank`: the Anchorage command-line client, a drop-in for the Ankaios CLI.
//!
//! # Layout
//! - [`cli`]: the global options (`-s`, `-k`, `--response-timeout`, …) shared by every verb.
//! - [`commands`]: one file per verb; each exposes an `Args` struct and a `run` function.
//! - `validate`: the offline manifest checker behind `ank validate` and its output formats.
//!
//! `anyhow` is used here, at the binary edge, only; the modules below return typed errors.

mod cli;
mod client;
mod commands;
mod config;
mod manifest;
mod runner;
mod table;
mod validate;
mod watch;

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
    /// Add or update (with -d: delete) the workloads and configs of manifests, then wait.
    Apply(commands::apply::Args),
    /// Show workloads, the complete state, agents, configs or events.
    Get(commands::get::Args),
    /// Show one workload in detail.
    Describe(commands::describe::Args),
    /// Delete workloads or configs (by name, or those of a manifest with -f).
    Delete(commands::delete::Args),
    /// Print the logs of workloads.
    Logs(commands::logs::Args),
    /// Replace parts of the state.
    Set(commands::set::Args),
    /// Add one workload from the command line.
    Run(commands::run::Args),
    /// Show how a manifest differs from the server's desired state (exit 1 if it does).
    Diff(commands::diff::Args),
    /// Wait for workloads to reach a state or disappear.
    Wait(commands::wait::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return cli::exit_for_clap_error(&err),
    };
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(&cli.global, args),
        Command::Apply(args) => commands::apply::run(&cli.global, args),
        Command::Get(args) => commands::get::run(&cli.global, args),
        Command::Describe(args) => commands::describe::run(&cli.global, args),
        Command::Delete(args) => commands::delete::run(&cli.global, args),
        Command::Logs(args) => commands::logs::run(&cli.global, args),
        Command::Set(args) => commands::set::run(&cli.global, args),
        Command::Run(args) => commands::run::run(&cli.global, args),
        Command::Diff(args) => commands::diff::run(&cli.global, args),
        Command::Wait(args) => commands::wait::run(&cli.global, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(cli::EXIT_USAGE)
        }
    }
}
