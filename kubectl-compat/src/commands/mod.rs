//! One module per `ank` verb. Each exposes a clap `Args` struct and a
//! `run(&GlobalOptions, Args) -> anyhow::Result<ExitCode>` function that `main` dispatches to.

pub mod apply;
pub mod delete;
pub mod describe;
pub mod diff;
pub mod get;
pub mod logs;
pub mod run;
pub mod set;
pub mod validate;
pub mod wait;
