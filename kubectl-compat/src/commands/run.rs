//! `ank run workload NAME --runtime R --agent A --config CFG [--tags k=v]…`: add one workload
//! (mask `desiredState.workloads.NAME`) and wait for it like `ank apply`.

use std::process::ExitCode;

use ank_model::{State, Workload};

use crate::cli::GlobalOptions;
use crate::commands::apply;
use crate::runner;

/// `ank run` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to run.
    #[command(subcommand)]
    pub what: What,
}

/// The resources `ank run` knows.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// One workload.
    Workload(WorkloadArgs),
}

/// `ank run workload` arguments.
#[derive(Debug, clap::Args)]
pub struct WorkloadArgs {
    /// The workload's name.
    pub name: String,
    /// `podman`, `podman-kube` or `native`.
    #[arg(long)]
    pub runtime: String,
    /// The agent to run it on.
    #[arg(long)]
    pub agent: String,
    /// The runtimeConfig (YAML text).
    #[arg(long, default_value = "")]
    pub config: String,
    /// Tags, `key=value`, repeatable.
    #[arg(long = "tags", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
}

/// Runs `ank run workload`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let What::Workload(w) = args.what;
    let state = state_of(w);
    runner::with_client(global, |client, settings| {
        apply::send(client, settings, state, false, false)
    })
}

fn state_of(w: WorkloadArgs) -> State {
    let mut state = State::new();
    let workload = Workload {
        agent: w.agent,
        runtime: w.runtime,
        runtime_config: w.config,
        tags: w.tags.into_iter().collect(),
        ..Workload::default()
    };
    state.workloads.insert(w.name, workload);
    state
}

/// `key=value` → (key, value).
pub fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("'{text}' is not key=value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_key_value() {
        assert_eq!(parse_tag("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_tag("novalue").is_err());
        assert!(parse_tag("=v").is_err());
    }

    #[test]
    fn builds_one_workload() {
        let s = state_of(WorkloadArgs {
            name: "w".into(),
            runtime: "native".into(),
            agent: "agent_A".into(),
            config: "command: [sleep, '1']".into(),
            tags: vec![("k".into(), "v".into())],
        });
        assert_eq!(s.workloads["w"].tags["k"], "v");
        assert_eq!(s.api_version, "v1");
    }
}
