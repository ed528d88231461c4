//! One module per `ank` verb. Each exposes a clap `Args` struct and a
//! `run(&GlobalOptions, Args) -> anyhow::Result<ExitCode>` function that `main` dispatches to.

pub mod validate;
