//! `ank diff [-f] FILE…`: the unified diff between the server's desired state and the files',
//! limited to the workloads and configs the files declare. Exit 1 when they differ, 0 when equal
//! (kubectl's convention), and a refusal of the files is an error like `ank apply`'s.
//!
//! Secret values of the runtimeConfigs are never printed: like `kubectl diff` masks Secrets,
//! each shows as `<redacted>`, or as `<redacted (before)>`/`<redacted (after)>` where it
//! changed (see [`ank_model::redact::redact_pair`]).

use std::process::ExitCode;

use ank_model::redact::{redact_pair, redact_runtime_config};
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
        match render(&server, wanted, &label)? {
            None => Ok(ExitCode::SUCCESS),
            Some(diff) => {
                print!("{diff}");
                Ok(ExitCode::FAILURE)
            }
        }
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

/// The diff to print, secrets hidden; `None` when the files change nothing (compared with the
/// secrets, so a change of a secret value alone is a difference too).
fn render(server: &State, wanted: State, label: &str) -> anyhow::Result<Option<String>> {
    let old = counterpart(server, &wanted);
    if yaml(&old)? == yaml(&wanted)? {
        return Ok(None);
    }
    let (old, new) = redacted(old, wanted);
    Ok(Some(unified(&yaml(&old)?, &yaml(&new)?, label)))
}

/// Both sides with the secret values of each workload's runtimeConfig hidden, changes marked.
fn redacted(mut old: State, mut new: State) -> (State, State) {
    for (name, w) in &mut new.workloads {
        match old.workloads.get_mut(name) {
            Some(o) => {
                (o.runtime_config, w.runtime_config) = redact_pair(
                    (&o.runtime, &o.runtime_config),
                    (&w.runtime, &w.runtime_config),
                );
            }
            None => w.runtime_config = redact_runtime_config(&w.runtime, &w.runtime_config),
        }
    }
    (old, new)
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

    fn native(agent: &str, env: &str) -> Workload {
        Workload {
            agent: agent.into(),
            runtime: "native".into(),
            runtime_config: format!("command: [a]\nenv: {{{env}}}\n"),
            ..Workload::default()
        }
    }

    #[test]
    fn secret_values_are_hidden_and_their_changes_marked() {
        let mut server = State::new();
        server
            .workloads
            .insert("web".into(), native("x", "TOKEN: old1, USER: u1"));
        let mut wanted = State::new();
        wanted
            .workloads
            .insert("web".into(), native("x", "TOKEN: new1, USER: u1"));
        wanted.workloads.insert("db".into(), native("x", "PW: pw1"));
        let diff = render(&server, wanted, "f.yaml")
            .expect("yaml")
            .expect("differs");
        for secret in ["old1", "new1", "u1", "pw1"] {
            assert!(!diff.contains(secret), "{secret}: {diff}");
        }
        assert!(
            diff.contains(
                "\n-        TOKEN: <redacted (before)>\n+        TOKEN: <redacted (after)>\n"
            ),
            "{diff}"
        );
        assert!(
            diff.contains("\n         USER: <redacted>\n"),
            "unchanged: {diff}"
        );
        assert!(
            diff.contains("\n+        PW: <redacted>\n"),
            "added: {diff}"
        );
    }

    #[test]
    fn equal_secrets_are_no_difference() {
        let mut server = State::new();
        server.workloads.insert("web".into(), native("x", "T: s"));
        let wanted = server.clone();
        assert_eq!(render(&server, wanted, "f.yaml").expect("yaml"), None);
    }
}
