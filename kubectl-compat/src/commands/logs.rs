//! `ank logs NAME… [-f/--follow] [-t/--tail N] [-n/--names] [-s/--since T] [-u/--until T]`:
//! subscribe to the logs of the workloads' instances (found in `workloadStates`) and print each
//! line as it is, or with `-n` after the workload's name and a blank (`web hello`), as Ankaios
//! does; `-f` follows until interrupted (Ctrl-C drops the stream, which cancels it on the server).
//! `-s` is `--since` here, not the global `--server-url`.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;

use ank_model::proto::ank_base as pb;
use ank_model::{CompleteState, WorkloadInstanceName};
use futures::StreamExt;

use crate::cli::{GlobalOptions, ServerUrlWithoutShort};
use crate::client::LogEvent;
use crate::runner;

/// `ank logs` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workloads.
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Keep printing new lines until interrupted.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only the last N lines.
    #[arg(short = 't', long, value_name = "N")]
    pub tail: Option<i32>,
    /// Prefix each line with the workload's name.
    #[arg(short = 'n', long = "names", alias = "output-names")]
    pub output_names: bool,
    /// Only lines since this time (RFC 3339 or a runtime-understood duration).
    #[arg(short = 's', long, value_name = "SINCE")]
    pub since: Option<String>,
    /// Only lines until this time.
    #[arg(short = 'u', long, value_name = "UNTIL")]
    pub until: Option<String>,
    /// `-s` is `--since` here.
    #[command(flatten)]
    pub server: ServerUrlWithoutShort,
}

/// Runs `ank logs`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    runner::with_client(global, |mut client, _| async move {
        let state = client
            .complete_state(&["workloadStates".to_owned()])
            .await?;
        let instances = instances(&state, &args.names)?;
        let request = pb::LogsRequest {
            workload_names: instances.iter().cloned().map(Into::into).collect(),
            follow: Some(args.follow),
            tail: args.tail,
            since: args.since.clone(),
            until: args.until.clone(),
        };
        let mut open: BTreeSet<WorkloadInstanceName> = instances.into_iter().collect();
        let mut stream = client.logs(request).await?;
        while !open.is_empty() {
            let events = tokio::select! {
                item = stream.next() => match item {
                    Some(events) => events?,
                    None => break,
                },
                _ = tokio::signal::ctrl_c() => break,
            };
            let mut out = std::io::stdout().lock();
            for event in events {
                match event {
                    LogEvent::Accepted(accepted) => {
                        let refused: Vec<String> = open
                            .iter()
                            .filter(|i| !accepted.contains(i))
                            .map(|i| i.to_string())
                            .collect();
                        if !refused.is_empty() {
                            eprintln!("warning: no logs available for {}", refused.join(", "));
                        }
                        open.retain(|i| accepted.contains(i));
                        anyhow::ensure!(
                            !open.is_empty(),
                            "no logs available for the given workloads"
                        );
                    }
                    LogEvent::Line { workload, message } => {
                        let name = args.output_names.then_some(workload.workload_name.as_str());
                        writeln!(out, "{}", line(name, &message))?;
                    }
                    LogEvent::Stop(name) => {
                        open.retain(|i| {
                            i != &name
                                && !(name.id.is_empty() && i.workload_name == name.workload_name)
                        });
                    }
                }
            }
            out.flush()?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// A log line as printed: the message without its newline, after `name` and a blank if given.
fn line(name: Option<&str>, message: &str) -> String {
    let message = message.strip_suffix('\n').unwrap_or(message);
    match name {
        Some(name) => format!("{name} {message}"),
        None => message.to_owned(),
    }
}

/// Every current instance of each named workload; an unknown name is an error.
pub fn instances(
    state: &CompleteState,
    names: &[String],
) -> anyhow::Result<Vec<WorkloadInstanceName>> {
    let mut out = Vec::new();
    for name in names {
        let before = out.len();
        for (agent, workloads) in &state.workload_states {
            for (id, s) in workloads.get(name).into_iter().flatten() {
                if s.state != ank_model::exec_state::ExecState::Removed {
                    out.push(WorkloadInstanceName {
                        workload_name: name.clone(),
                        agent_name: agent.clone(),
                        id: id.clone(),
                    });
                }
            }
        }
        if out.len() == before {
            anyhow::bail!("workload '{name}' does not exist or has no instance");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use ank_model::ExecutionState;

    use super::*;

    #[test]
    fn only_names_prefix_the_lines() {
        assert_eq!(line(None, "hello from web\n"), "hello from web");
        assert_eq!(line(Some("web"), "hello from web\n"), "web hello from web");
        assert_eq!(line(Some("web"), ""), "web ");
    }

    #[test]
    fn finds_instances_and_refuses_unknown_names() {
        let mut s = CompleteState::default();
        let ids = [("h".to_owned(), ExecutionState::running())].into();
        s.workload_states
            .entry("agent_A".into())
            .or_default()
            .insert("web".into(), ids);
        let found = instances(&s, &["web".into()]).expect("found");
        assert_eq!(found[0].to_string(), "web.h.agent_A");
        let err = instances(&s, &["web".into(), "nope".into()]).expect_err("unknown");
        assert!(err.to_string().contains("'nope'"), "{err}");
    }
}
