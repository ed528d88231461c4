//! `ank validate`: check manifests offline. This file owns the command line and the exit
//! codes; the checking and the output formats live in `crate::validate`.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::GlobalOptions;
use crate::validate::{self, input, FileReport, Format, Summary};

/// The long help of `ank validate`, documenting the stable exit codes.
pub const LONG_ABOUT: &str = "Check manifests offline (Kubernetes or Ankaios), no server needed.

Each file may hold several YAML documents (or one JSON document); Kubernetes objects
(Pod, Deployment, Job, ConfigMap, Secret, List, ...) and Ankaios manifests (apiVersion v1,
workloads, configs) are both accepted.

Exit codes:
  0  every resource is valid (warnings allowed)
  1  at least one resource is invalid (or, with --fail-on-empty, no resources found)
  2  usage or I/O error (bad flag, missing file, unreadable directory, a file over 16 MiB)

Each file (and stdin) is read up to 16 MiB; symlinked directories are followed, each
directory and file once, so a symlink loop is skipped with a warning.";

/// Exit code when a resource is invalid.
const EXIT_INVALID: u8 = 1;

/// Arguments of `ank validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, directories (recursive: *.yaml, *.yml, *.json, sorted) or `-` for stdin.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<PathBuf>,
    /// Also report fields the schema does not know (typos) and treat Anchorage's
    /// unsupported fields as errors.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// Also print the Ankaios manifest each file translates into (text, json and junit).
    #[arg(long)]
    pub explain: bool,
    /// Exit 1 when the inputs hold no resources (an empty file, a directory without
    /// manifests); without it that is exit 0 with "no resources found" on stderr.
    #[arg(long)]
    pub fail_on_empty: bool,
}

/// Runs the command; returns 0 or 1 (an `Err` becomes exit code 2 in `main`).
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let collected = input::collect(&args.paths, &mut io::stdin().lock())?;
    if !global.quiet {
        for warning in &collected.warnings {
            eprintln!("warning: {warning}");
        }
    }
    let inputs = collected.inputs;
    let options = podspec::Options {
        strict: args.strict,
    };
    let reports: Vec<FileReport> = inputs
        .iter()
        .map(|input| FileReport::check(input, &options, args.explain))
        .collect();
    let mut out = BufWriter::new(io::stdout().lock());
    validate::write(&mut out, args.output, &reports).context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    let summary = Summary::of(&reports);
    if summary.resources == 0 {
        // Said even with -q when it decides the exit code.
        if !global.quiet || args.fail_on_empty {
            eprintln!("no resources found (in *.yaml, *.yml, *.json files)");
        }
        if args.fail_on_empty {
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    }
    Ok(match summary.invalid {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_INVALID),
    })
}
