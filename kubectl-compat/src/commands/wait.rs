//! `ank wait workload NAME… --for=state=Running(Ok)|--for=delete [--timeout 60s]`: kubectl's
//! wait, driven by state events. Exit 1 with `error: timed out waiting for …` on timeout.

use std::process::ExitCode;
use std::time::Duration;

use ank_model::exec_state::ExecState;
use ank_model::ExecutionState;

use crate::cli::GlobalOptions;
use crate::runner;
use crate::watch::{self, Expectation, Goal, Progress, Watch};

/// `ank wait` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to wait for.
    #[command(subcommand)]
    pub what: What,
}

/// The resources `ank wait` knows.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Workloads.
    #[command(visible_aliases = ["workloads", "wl", "pod", "pods"])]
    Workload {
        /// Their names.
        #[arg(required = true)]
        names: Vec<String>,
        /// `state=Running(Ok)` (any state as printed), `settled`, or `delete`.
        #[arg(long = "for", value_name = "CONDITION", value_parser = parse_condition)]
        condition: Goal,
        /// Give up after this long (`60s`, `2m`, `500ms`).
        #[arg(long, default_value = "60s", value_parser = parse_duration)]
        timeout: Duration,
    },
}

/// Runs `ank wait`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let What::Workload {
        names,
        condition,
        timeout,
    } = args.what;
    runner::with_client(global, |mut client, _| async move {
        let expectations: Vec<Expectation> = names
            .iter()
            .map(|n| Expectation {
                workload: n.clone(),
                instance: None,
                goal: condition.clone(),
            })
            .collect();
        let progress = Progress::new(expectations, Vec::new(), &[]);
        let watch = Watch::start(&mut client).await?;
        watch::wait_for(watch, progress, false, Some(timeout)).await?;
        for name in &names {
            println!("workload/{name} condition met");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `state=Running(Ok)` / `state=Succeeded` / `settled` / `delete`.
pub fn parse_condition(text: &str) -> Result<Goal, String> {
    match text {
        "delete" => return Ok(Goal::Gone),
        "settled" => return Ok(Goal::Settled),
        _ => {}
    }
    let Some(state) = text.strip_prefix("state=") else {
        return Err(format!(
            "unknown condition '{text}': use state=STATE(SUBSTATE), settled or delete"
        ));
    };
    let (name, sub) = match state.split_once('(') {
        Some((name, rest)) => (name, rest.strip_suffix(')').unwrap_or(rest)),
        None => (state, ""),
    };
    let sub = if sub.is_empty() && matches!(name, "Running" | "Succeeded") {
        "Ok"
    } else {
        sub
    };
    ExecutionState::from_names(name, sub)
        .filter(|s| *s != ExecState::Removed)
        .map(Goal::State)
        .ok_or_else(|| format!("unknown execution state '{state}'"))
}

/// `60s`, `2m`, `500ms`, `1h`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration '{text}' (use e.g. 30s, 2m, 500ms)");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    Ok(match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use ank_model::exec_state::Pending;

    use super::*;

    #[test]
    fn conditions_parse() {
        assert_eq!(
            parse_condition("state=Running(Ok)"),
            Ok(Goal::State(ExecState::Running))
        );
        assert_eq!(
            parse_condition("state=Running"),
            Ok(Goal::State(ExecState::Running))
        );
        assert_eq!(
            parse_condition("state=Pending(WaitingToStart)"),
            Ok(Goal::State(ExecState::Pending(Pending::WaitingToStart)))
        );
        assert_eq!(
            parse_condition("state=AgentDisconnected"),
            Ok(Goal::State(ExecState::AgentDisconnected))
        );
        assert_eq!(parse_condition("delete"), Ok(Goal::Gone));
        assert!(parse_condition("state=Dancing").is_err());
        assert!(parse_condition("ready").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
    }
}
