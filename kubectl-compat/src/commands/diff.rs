//! `ank diff [-f] FILE…`: the unified diff between the server's desired state and the files',
//! limited to the workloads and configs the files declare. Exit 1 when they differ, 0 when equal
//! (kubectl's convention), and a refusal of the files is an error like `ank apply`'s.

use std::process::ExitCode;

use ank_model::State;
use similar::TextDiff;

use crate::cli::GlobalOptions;
use crate::commands::apply;
use crate::manifest;
use crate::runner;

/// `ank diff` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest files, directories, or `-` for stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// Manifest files, kubectl style.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub filenames: Vec<String>,
    /// Compare as if every workload ran on this agent.
    #[arg(long)]
    pub agent: Option<String>,
}

/// Runs `ank diff`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let inputs: Vec<String> = args.files.iter().chain(&args.filenames).cloned().collect();
    let mut wanted = match manifest::read_state(&inputs, false) {
        Ok(state) => state,
        Err(err) => return Ok(apply::report_manifest_error(&err)),
    };
    if let Some(agent) = &args.agent {
        wanted
            .workloads
            .values_mut()
            .for_each(|w| w.agent.clone_from(agent));
    }
    let label = inputs.join(",");
    runner::with_client(global, |mut client, _| async move {
        let server = client
            .complete_state(&["desiredState".to_owned()])
            .await?
            .desired_state;
        let (old, new) = (yaml(&counterpart(&server, &wanted))?, yaml(&wanted)?);
        if old == new {
            return Ok(ExitCode::SUCCESS);
        }
        print!("{}", unified(&old, &new, &label));
        Ok(ExitCode::FAILURE)
    })
}

/// The server's versions of the workloads and configs that `wanted` declares.
pub fn counterpart(server: &State, wanted: &State) -> State {
    let mut out = State::new();
    for name in wanted.workloads.keys() {
        if let Some(w) = server.workloads.get(name) {
            out.workloads.insert(name.clone(), w.clone());
        }
    }
    for name in wanted.configs.keys() {
        if let Some(c) = server.configs.get(name) {
            out.configs.insert(name.clone(), c.clone());
        }
    }
    out
}

fn yaml(state: &State) -> anyhow::Result<String> {
    let mut state = state.clone();
    state.api_version = ank_model::state::API_VERSION.to_owned();
    Ok(serde_yaml_ng::to_string(&state)?)
}

/// `--- server` / `+++ FILE` unified diff with three lines of context.
pub fn unified(old: &str, new: &str, label: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header("server", label)
        .to_string()
}

#[cfg(test)]
mod tests {
    use ank_model::Workload;

    use super::*;

    #[test]
    fn only_declared_objects_are_compared() {
        let mut server = State::new();
        server.workloads.insert(
            "a".into(),
            Workload {
                agent: "x".into(),
                ..Workload::default()
            },
        );
        server.workloads.insert("other".into(), Workload::default());
        let mut wanted = State::new();
        wanted.workloads.insert(
            "a".into(),
            Workload {
                agent: "y".into(),
                ..Workload::default()
            },
        );
        let old = yaml(&counterpart(&server, &wanted)).expect("yaml");
        let new = yaml(&wanted).expect("yaml");
        let diff = unified(&old, &new, "f.yaml");
        assert!(diff.starts_with("--- server\n+++ f.yaml\n"), "{diff}");
        assert!(diff.contains("-    agent: x\n+    agent: y\n"), "{diff}");
        assert!(!diff.contains("other"), "{diff}");
    }
}
