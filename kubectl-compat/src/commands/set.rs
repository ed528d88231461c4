//! `ank set state MASK… FILE|-`: replace the masked parts of the state with the file's. The file
//! is a complete state (`desiredState: …`) or, for convenience, a plain manifest.

use std::io::Read;
use std::process::ExitCode;

use ank_model::{CompleteState, State};

use crate::cli::GlobalOptions;
use crate::runner;

/// `ank set` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to set.
    #[command(subcommand)]
    pub what: What,
}

/// The resources `ank set` knows.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Parts of the complete state.
    State {
        /// Field masks, then the file (`-` for stdin).
        #[arg(required = true, num_args = 2.., value_name = "MASK… FILE")]
        masks_and_file: Vec<String>,
    },
}

/// Runs `ank set state`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let What::State { mut masks_and_file } = args.what;
    let file = masks_and_file.pop().unwrap_or_default();
    let masks = masks_and_file;
    runner::with_client(global, |mut client, _| async move {
        let text = read(&file)?;
        let state = parse(&text)?;
        client.update_state(state, masks, false).await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn read(file: &str) -> anyhow::Result<String> {
    use anyhow::Context;
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read stdin")?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))
    }
}

/// A complete state, or a manifest wrapped as its `desiredState`; empty text is an empty state.
pub fn parse(text: &str) -> anyhow::Result<CompleteState> {
    let value: serde_yaml_ng::Value = ank_model::yaml::from_str(text)?;
    let is_manifest = value.get("apiVersion").is_some() || value.get("workloads").is_some();
    if value.is_null() {
        return Ok(CompleteState::default());
    }
    if is_manifest {
        let desired_state: State = serde_yaml_ng::from_value(value)?;
        return Ok(CompleteState {
            desired_state,
            ..CompleteState::default()
        });
    }
    Ok(serde_yaml_ng::from_value(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_state_or_manifest() {
        let c = parse("desiredState:\n  workloads:\n    a:\n      restartPolicy: ALWAYS\n")
            .expect("complete");
        assert_eq!(
            c.desired_state.workloads["a"].restart_policy,
            ank_model::RestartPolicy::Always
        );
        let m = parse("apiVersion: v1\nworkloads:\n  a: {agent: x}\n").expect("manifest");
        assert_eq!(m.desired_state.workloads["a"].agent, "x");
        assert_eq!(parse("").expect("empty"), CompleteState::default());
    }
}
