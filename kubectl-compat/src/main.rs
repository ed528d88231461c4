//! `ank`: the Anchorage command-line client, a drop-in for the Ankaios CLI.
//!
//! # Layout
//! - [`cli`]: the global options (`-s`, `-k`, `--response-timeout`, …) shared by every verb.
//! - [`commands`]: one file per verb; each exposes an `Args` struct and a `run` function.
//! - `validate`: the offline manifest checker behind `ank validate` and its output formats.
//!
//! `anyhow` is used here, at the binary edge, only; the modules below return typed errors.

mod claims;
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::commands::get::What as GetWhat;

    fn parse(argv: &str) -> Cli {
        Cli::try_parse_from(argv.split_whitespace()).unwrap_or_else(|e| panic!("{argv}: {e}"))
    }

    const URL: &str = "http://10.0.0.1:25551";

    fn workloads_args(cli: Cli) -> commands::get::WorkloadsArgs {
        match cli.command {
            Command::Get(commands::get::Args {
                what: GetWhat::Workloads(a),
            }) => a,
            other => panic!("not get workloads: {other:?}"),
        }
    }

    #[test]
    fn the_command_line_has_no_clashing_options() {
        Cli::command().debug_assert();
    }

    #[test]
    fn server_url_before_the_verb() {
        let cli = parse(&format!("ank -s {URL} get workloads"));
        assert_eq!(cli.global.server_url, URL);
        assert_eq!(workloads_args(cli).state, None);
    }

    #[test]
    fn get_workloads_s_is_state() {
        let cli = parse("ank get workloads -s Running");
        assert_ne!(cli.global.server_url, "Running");
        assert_eq!(workloads_args(cli).state.as_deref(), Some("Running"));
    }

    #[test]
    fn get_workloads_takes_both_s_and_server_url() {
        let cli = parse(&format!("ank -s {URL} get workloads -s Running"));
        assert_eq!(cli.global.server_url, URL);
        assert_eq!(workloads_args(cli).state.as_deref(), Some("Running"));
        let cli = parse(&format!("ank get workloads --server-url {URL} -s Running"));
        assert_eq!(cli.global.server_url, URL);
        assert_eq!(workloads_args(cli).state.as_deref(), Some("Running"));
    }

    #[test]
    fn get_state_s_is_the_server() {
        let cli = parse(&format!("ank get state -s {URL}"));
        assert_eq!(cli.global.server_url, URL);
        assert!(matches!(
            cli.command,
            Command::Get(commands::get::Args {
                what: GetWhat::State(_)
            })
        ));
    }

    #[test]
    fn logs_s_is_since() {
        let cli = parse("ank logs -s 2025-01-01T00:00:00Z wl");
        assert_ne!(cli.global.server_url, "2025-01-01T00:00:00Z");
        let Command::Logs(args) = cli.command else {
            panic!("not logs");
        };
        assert_eq!(args.since.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(args.names, ["wl"]);
    }

    #[test]
    fn logs_options_as_ankaios_names_them() {
        let cli = parse(&format!(
            "ank logs -f -t 5 -n -u 2025-01-02T00:00:00Z --server-url {URL} a b"
        ));
        assert_eq!(cli.global.server_url, URL);
        let Command::Logs(args) = cli.command else {
            panic!("not logs");
        };
        assert!(args.follow && args.output_names);
        assert_eq!(args.tail, Some(5));
        assert_eq!(args.until.as_deref(), Some("2025-01-02T00:00:00Z"));
        assert_eq!(args.names, ["a", "b"]);
        let Command::Logs(args) = parse("ank logs --names --since 1h a").command else {
            panic!("not logs");
        };
        assert!(args.output_names);
        assert_eq!(args.since.as_deref(), Some("1h"));
    }

    #[test]
    fn global_options_after_apply() {
        let cli = parse(&format!("ank apply f.yaml -s {URL}"));
        assert_eq!(cli.global.server_url, URL);
        let Command::Apply(args) = cli.command else {
            panic!("not apply");
        };
        assert_eq!(args.files, ["f.yaml"]);
        let cli = parse("ank apply f.yaml -k -q --no-wait -x my.conf --response-timeout 9");
        assert!(cli.global.insecure && cli.global.quiet && cli.global.no_wait);
        assert_eq!(cli.global.response_timeout, Some(9));
        assert_eq!(
            cli.global.ank_config.as_deref(),
            Some(std::path::Path::new("my.conf"))
        );
    }

    #[test]
    fn global_options_before_apply() {
        let cli = parse("ank -k --no-wait apply f.yaml");
        assert!(cli.global.insecure && cli.global.no_wait);
        let Command::Apply(args) = cli.command else {
            panic!("not apply");
        };
        assert_eq!(args.files, ["f.yaml"]);
    }

    #[test]
    fn get_agents_wide() {
        let cli = parse("ank get agents -o wide");
        assert!(matches!(
            cli.command,
            Command::Get(commands::get::Args {
                what: GetWhat::Agents(commands::get::AgentsArgs { output: Some(_) })
            })
        ));
    }
}
