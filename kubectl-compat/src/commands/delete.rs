//! `ank delete workload NAME…` and `ank delete config NAME…` (Ankaios), and kubectl's
//! `ank delete -f FILE` (the file's workloads and configs); waits until the workloads are gone
//! unless `--no-wait`, printing what `ank apply` prints while it waits (the last table shows
//! them `Removed`). Deleting a PersistentVolumeClaim that a staying workload mounts is refused
//! (`crate::claims`).

use std::process::ExitCode;

use ank_model::{CompleteState, State};

use crate::claims;
use crate::cli::GlobalOptions;
use crate::commands::apply;
use crate::manifest;
use crate::runner;
use crate::watch::{self, Progress, Watch};

/// `ank delete` arguments.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// What to delete by name.
    #[command(subcommand)]
    pub what: Option<What>,
    /// Delete the workloads and configs declared in these files (kubectl style).
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub filenames: Vec<String>,
}

/// Resources deleted by name.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Workloads.
    #[command(visible_aliases = ["workloads", "wl", "pod", "pods"])]
    Workload {
        /// Their names.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Config items.
    #[command(visible_alias = "configs")]
    Config {
        /// Their keys.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

/// Runs `ank delete`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let mut from_files = None;
    let masks = match (&args.what, args.filenames.is_empty()) {
        (Some(What::Workload { names }), _) => prefixed("desiredState.workloads", names),
        (Some(What::Config { names }), _) => prefixed("desiredState.configs", names),
        (None, false) => match manifest::read_state(&args.filenames, false) {
            Ok(state) => {
                let masks = apply::masks(&state);
                from_files = Some(state);
                masks
            }
            Err(err) => return Ok(apply::report_manifest_error(&err)),
        },
        (None, true) => {
            eprintln!("error: name what to delete: `workload NAME…`, `config NAME…` or `-f FILE`");
            return Ok(ExitCode::from(crate::cli::EXIT_USAGE));
        }
    };
    runner::with_client(global, |mut client, settings| async move {
        if let Some(state) = &from_files {
            if let Some(refusal) = claims::check(&mut client, state).await? {
                eprintln!("error: {refusal}");
                return Ok(ExitCode::FAILURE);
            }
        }
        let workloads: Vec<String> = masks
            .iter()
            .filter_map(|m| m.strip_prefix("desiredState.workloads."))
            .map(str::to_owned)
            .collect();
        let empty = CompleteState {
            desired_state: State::new(),
            ..CompleteState::default()
        };
        // Subscribed before the update, the wait sees each of its steps.
        let watch = if settings.no_wait || workloads.is_empty() {
            None
        } else {
            Some(Watch::start(&mut client).await?)
        };
        let outcome = client.update_state(empty, masks, false).await?;
        let Some(watch) = watch else {
            return Ok(ExitCode::SUCCESS);
        };
        let progress = Progress::after_update(workloads, &outcome, true);
        watch::wait_after_update(watch, progress, settings.quiet).await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn prefixed(prefix: &str, names: &[String]) -> Vec<String> {
    names.iter().map(|n| format!("{prefix}.{n}")).collect()
}
