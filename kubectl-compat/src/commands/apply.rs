//! `ank apply [-f] FILE…|DIR|- [--agent A] [-d] [--dry-run=client|server] [-o yaml|json]`: send
//! the files' workloads and configs (masks `desiredState.workloads.<n>`, `desiredState.configs.<n>`),
//! then wait until each reaches its target state (or is gone, with `-d`), printing what
//! `crate::watch` prints meanwhile. An Ankaios workload without an `agent` key fails the apply
//! (exit 1, nothing sent, not even a dry run) unless `--agent` is given, as in Ankaios.

use std::process::ExitCode;

use ank_model::{CompleteState, State};
use clap::ValueEnum;

use crate::claims;
use crate::cli::GlobalOptions;
use crate::client::{Client, UpdateOutcome};
use crate::config::Settings;
use crate::manifest::{self, Agents, ManifestError};
use crate::runner;
use crate::watch::{self, Progress, Watch};

/// `ank apply` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest files, directories, or `-` for stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// Manifest files, kubectl style (`-f a.yaml -f b.yaml`).
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub filenames: Vec<String>,
    /// Run every workload of the files on this agent (required when an Ankaios workload has
    /// no `agent` key).
    #[arg(long)]
    pub agent: Option<String>,
    /// Delete the files' workloads and configs instead of adding them.
    #[arg(short = 'd', long)]
    pub delete: bool,
    /// `client`: print the resulting Ankaios manifest, send nothing; `server`: let the server
    /// validate and report what would change.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: Option<DryRun>,
    /// Output format of `--dry-run=client`.
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: Format,
    /// Unknown fields are errors instead of warnings.
    #[arg(long)]
    pub strict: bool,
}

/// `--dry-run` modes, as kubectl names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Print locally.
    Client,
    /// Validate on the server.
    Server,
}

/// A serialization format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// YAML.
    Yaml,
    /// JSON.
    Json,
}

/// Runs `ank apply`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let state = match prepare(&args) {
        Ok(state) => state,
        Err(err) => return Ok(report_manifest_error(&err)),
    };
    if args.dry_run == Some(DryRun::Client) {
        print!("{}", serialize(&state, args.output)?);
        return Ok(ExitCode::SUCCESS);
    }
    let dry_run = args.dry_run == Some(DryRun::Server);
    runner::with_client(global, |client, settings| {
        send(client, settings, state, args.delete, dry_run)
    })
}

/// The state to send: the inputs read, each workload named an agent (its own or `--agent`).
pub fn prepare(args: &Args) -> Result<State, ManifestError> {
    let inputs: Vec<String> = args.files.iter().chain(&args.filenames).cloned().collect();
    let agents = match args.agent {
        Some(_) => Agents::MayBeMissing,
        None => Agents::Required,
    };
    let mut state = manifest::read(&inputs, args.strict, agents)?;
    if let Some(agent) = &args.agent {
        for w in state.workloads.values_mut() {
            w.agent.clone_from(agent);
        }
    }
    Ok(state)
}

/// Prints a manifest error (findings one per line) and returns exit code 1.
pub fn report_manifest_error(err: &ManifestError) -> ExitCode {
    if let ManifestError::Refused { lines, .. } = err {
        for line in lines {
            eprintln!("{line}");
        }
    }
    eprintln!("error: {err}");
    ExitCode::FAILURE
}

/// The update masks for a state's workloads and configs.
pub fn masks(state: &State) -> Vec<String> {
    let workloads = state
        .workloads
        .keys()
        .map(|n| format!("desiredState.workloads.{n}"));
    let configs = state
        .configs
        .keys()
        .map(|n| format!("desiredState.configs.{n}"));
    workloads.chain(configs).collect()
}

/// Sends the state (or its deletion), then waits unless `--no-wait`.
pub async fn send(
    mut client: Client,
    settings: Settings,
    state: State,
    delete: bool,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    if delete {
        if let Some(refusal) = claims::check(&mut client, &state).await? {
            eprintln!("error: {refusal}");
            return Ok(ExitCode::FAILURE);
        }
    }
    let masks = masks(&state);
    let names: Vec<String> = state.workloads.keys().cloned().collect();
    let new_state = CompleteState {
        desired_state: if delete { State::new() } else { state },
        ..CompleteState::default()
    };
    // Subscribed before the update, the wait sees each of its steps.
    let watch = if dry_run || settings.no_wait {
        None
    } else {
        Some(Watch::start(&mut client).await?)
    };
    let outcome = client.update_state(new_state, masks, dry_run).await?;
    if dry_run {
        print_dry_run(&outcome);
        return Ok(ExitCode::SUCCESS);
    }
    if settings.verbose {
        print_outcome(&outcome);
    }
    let Some(watch) = watch else {
        return Ok(ExitCode::SUCCESS);
    };
    let progress = Progress::after_update(names, &outcome, delete);
    watch::wait_after_update(watch, progress, settings.quiet).await?;
    Ok(ExitCode::SUCCESS)
}

fn print_dry_run(outcome: &UpdateOutcome) {
    for i in &outcome.added {
        println!(
            "workload {} would be added on {} (server dry run)",
            i.workload_name, i.agent_name
        );
    }
    for i in &outcome.deleted {
        println!(
            "workload {} would be deleted from {} (server dry run)",
            i.workload_name, i.agent_name
        );
    }
    if outcome.added.is_empty() && outcome.deleted.is_empty() {
        println!("no change (server dry run)");
    }
}

fn print_outcome(outcome: &UpdateOutcome) {
    for i in &outcome.added {
        eprintln!("added {i}");
    }
    for i in &outcome.deleted {
        eprintln!("deleted {i}");
    }
}

/// The state as YAML or JSON.
pub fn serialize<T: serde::Serialize>(value: &T, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Yaml => serde_yaml_ng::to_string(value)?,
        Format::Json => serde_json::to_string_pretty(value)? + "\n",
    })
}

#[cfg(test)]
mod tests {
    use ank_model::Workload;
    use clap::Parser;

    use super::*;

    /// `ank apply`'s arguments alone.
    #[derive(Parser)]
    struct Apply {
        #[command(flatten)]
        args: Args,
    }

    /// Writes `text` as `m.yaml` and parses `ank apply m.yaml EXTRA…`.
    fn apply_args(dir: &tempfile::TempDir, text: &str, extra: &[&str]) -> Args {
        let file = dir.path().join("m.yaml");
        std::fs::write(&file, text).expect("write");
        let file = file.display().to_string();
        let argv = ["apply", file.as_str()]
            .into_iter()
            .chain(extra.iter().copied());
        Apply::try_parse_from(argv).expect("parses").args
    }

    /// m3.yaml of the samples: a workload without `agent`.
    const NO_AGENT: &str =
        "apiVersion: v1\nworkloads:\n  noagent:\n    runtime: podman\n    runtimeConfig: \"\"\n";

    #[test]
    fn a_workload_without_agent_fails_the_apply_as_in_ankaios() {
        let dir = tempfile::tempdir().expect("tempdir");
        for extra in [&[][..], &["--dry-run"], &["-d"]] {
            let err = prepare(&apply_args(&dir, NO_AGENT, extra)).expect_err("no agent");
            assert_eq!(
                err.to_string(),
                "Command failed: 'No agent name specified -> use '--agent' option to specify!'"
            );
        }
    }

    /// NO_AGENT with a runtimeConfig podspec accepts.
    fn valid(text: &str) -> String {
        text.replace("\"\"", "\"image: docker.io/library/nginx:latest\"")
    }

    #[test]
    fn agent_option_names_the_agent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let args = apply_args(&dir, &valid(NO_AGENT), &["--agent", "agent_S"]);
        assert_eq!(
            prepare(&args).expect("ok").workloads["noagent"].agent,
            "agent_S"
        );
    }

    #[test]
    fn an_empty_agent_stays_unscheduled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = valid(NO_AGENT).replace("runtime: podman", "runtime: podman\n    agent: \"\"");
        let state = prepare(&apply_args(&dir, &text, &[])).expect("accepted");
        assert_eq!(state.workloads["noagent"].agent, "");
    }

    #[test]
    fn a_kubernetes_pod_needs_no_agent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: docker.io/library/nginx:latest\n";
        let state = prepare(&apply_args(&dir, pod, &[])).expect("accepted");
        assert_eq!(state.workloads.len(), 1);
    }

    #[test]
    fn masks_name_each_workload_and_config() {
        let mut state = State::new();
        state.workloads.insert("web".into(), Workload::default());
        state
            .configs
            .insert("port".into(), ank_model::ConfigItem::String("80".into()));
        assert_eq!(
            masks(&state),
            ["desiredState.workloads.web", "desiredState.configs.port"]
        );
    }
}
