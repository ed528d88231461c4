//! `ank get workloads|state|agents|configs|events`: read the server's complete state and print it
//! as a table (workloads, agents, configs; `-o wide` adds columns to the first two) or as
//! YAML/JSON (state, events). `ank get workloads -s` is `--state`, as in Ankaios.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use ank_model::mask::{self, AlteredFields};
use ank_model::CompleteState;
use futures::StreamExt;
use serde::Serialize;

use crate::cli::{GlobalOptions, ServerUrlWithoutShort};
use crate::client::{complete_from_pb, Client};
use crate::commands::apply::{serialize, Format};
use crate::runner;
use crate::table::{self, WorkloadRow};

/// `ank get` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to show.
    #[command(subcommand)]
    pub what: What,
}

/// The resources `ank get` knows.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// The workloads table.
    #[command(visible_aliases = ["workload", "wl", "pods", "pod"])]
    Workloads(WorkloadsArgs),
    /// The complete state (desiredState, workloadStates, agents).
    State(StateArgs),
    /// The connected agents.
    #[command(visible_alias = "agent")]
    Agents(AgentsArgs),
    /// The config items.
    #[command(visible_alias = "config")]
    Configs,
    /// Stream state changes until interrupted.
    Events(EventsArgs),
}

/// `ank get workloads` arguments.
#[derive(Debug, clap::Args)]
pub struct WorkloadsArgs {
    /// Only these workloads.
    pub names: Vec<String>,
    /// Only workloads on this agent.
    #[arg(short = 'a', long)]
    pub agent: Option<String>,
    /// Only workloads in this state (`Running` or `Running(Ok)`, any case).
    #[arg(short = 's', long)]
    pub state: Option<String>,
    /// Redraw the table on every change.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// `wide` adds INSTANCE ID and TAGS; `yaml`/`json` print the rows.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<RowFormat>,
    /// `-s` is `--state` here.
    #[command(flatten)]
    pub server: ServerUrlWithoutShort,
}

/// Output of `ank get workloads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RowFormat {
    /// The table with INSTANCE ID and TAGS.
    Wide,
    /// The rows as YAML.
    Yaml,
    /// The rows as JSON.
    Json,
}

/// `ank get agents` arguments.
#[derive(Debug, clap::Args)]
pub struct AgentsArgs {
    /// `wide` adds TAGS.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Wide>,
}

/// The one other layout of a table that has no YAML/JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Wide {
    /// More columns.
    Wide,
}

/// `ank get state` / `ank get events` arguments.
#[derive(Debug, clap::Args)]
pub struct StateArgs {
    /// Field masks (`desiredState.workloads.nginx`, `*` wildcards).
    pub masks: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: Format,
}

/// `ank get events` arguments.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Field masks (`desiredState.workloads.nginx`, `*` wildcards).
    pub masks: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: Format,
    /// Print the current state of the masks first, as an event without altered fields.
    #[arg(short = 'c', long)]
    pub include_current_state: bool,
}

/// Runs `ank get`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    runner::with_client(global, |mut client, _| async move {
        match args.what {
            What::Workloads(a) if a.watch => watch_workloads(&mut client, &a).await?,
            What::Workloads(a) => print!(
                "{}",
                render_workloads(&client.complete_state(&[]).await?, &a)?
            ),
            What::State(a) => print!(
                "{}",
                render_state(&client.complete_state(&a.masks).await?, &a)?
            ),
            What::Agents(a) => print!(
                "{}",
                table::agents_table(&client.complete_state(&[]).await?, a.output.is_some())
            ),
            What::Configs => print!(
                "{}",
                table::configs_table(&client.complete_state(&[]).await?)
            ),
            What::Events(a) => stream_events(&mut client, &a).await?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The rows selected by names, agent and state.
pub fn select(state: &CompleteState, args: &WorkloadsArgs) -> Vec<WorkloadRow> {
    let wanted_state = args.state.as_deref().map(str::to_lowercase);
    table::workload_rows(state)
        .into_iter()
        .filter(|r| args.names.is_empty() || args.names.contains(&r.name))
        .filter(|r| args.agent.as_ref().is_none_or(|a| a == &r.agent))
        .filter(|r| {
            wanted_state.as_ref().is_none_or(|want| {
                let full = r.execution_state.to_lowercase();
                &full == want || full.split('(').next() == Some(want.as_str())
            })
        })
        .collect()
}

fn render_workloads(state: &CompleteState, args: &WorkloadsArgs) -> anyhow::Result<String> {
    let rows = select(state, args);
    Ok(match args.output {
        None => table::workloads_table(&rows, false),
        Some(RowFormat::Wide) => table::workloads_table(&rows, true),
        Some(RowFormat::Yaml) => serialize(&rows, Format::Yaml)?,
        Some(RowFormat::Json) => serialize(&rows, Format::Json)?,
    })
}

/// The complete state as YAML/JSON, in Ankaios' shape, cut to the masks.
pub fn render_state(state: &CompleteState, args: &StateArgs) -> anyhow::Result<String> {
    let value = state_value(state, &args.masks)?;
    Ok(match args.output {
        // Ankaios ends its YAML state with an empty line.
        Format::Yaml => serialize(&value, Format::Yaml)? + "\n",
        Format::Json => serialize(&value, Format::Json)?,
    })
}

/// The state as Ankaios prints it (field order and omissions come from the model's serde),
/// cut to `masks` (all of it for none). The server filters too, but its answer is typed, so
/// fields a mask left out come back as defaults; pruning again here drops them.
pub fn state_value(state: &CompleteState, masks: &[String]) -> anyhow::Result<serde_json::Value> {
    let full = serde_json::to_value(state)?;
    Ok(if masks.is_empty() {
        full
    } else {
        mask::filter_value(&full, masks)
    })
}

async fn watch_workloads(client: &mut Client, args: &WorkloadsArgs) -> anyhow::Result<()> {
    let tty = std::io::stdout().is_terminal();
    let mut events = client.events(&[]).await?;
    let mut last = String::new();
    let mut drawn = 0;
    loop {
        let text = render_workloads(&client.complete_state(&[]).await?, args)?;
        if text != last {
            let mut out = std::io::stdout().lock();
            if tty && drawn > 0 {
                write!(out, "\x1b[{drawn}A\x1b[J")?;
            }
            write!(out, "{text}")?;
            if !tty {
                writeln!(out)?;
            }
            out.flush()?;
            drawn = text.lines().count();
            last = text;
        }
        tokio::select! {
            event = events.next() => match event {
                Some(event) => { event?; }
                None => anyhow::bail!("the server closed the event stream"),
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

/// One event as `ank get events` prints it, in Ankaios' field order; empty path lists (and
/// all three on the `-c` current-state event) are left out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// When the CLI received it: RFC 3339 with nanoseconds, in UTC (`+00:00`).
    pub timestamp: String,
    /// Paths that appeared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added_fields: Vec<String>,
    /// Paths whose value changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updated_fields: Vec<String>,
    /// Paths that went.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed_fields: Vec<String>,
    /// The altered parts of the state (the masked state for the `-c` event).
    pub complete_state: serde_json::Value,
}

impl Event {
    /// The event for one server response: `altered` is `None` for the current state that
    /// starts every subscription, which is shown cut to `masks`.
    pub fn new(
        timestamp: String,
        state: &CompleteState,
        altered: Option<AlteredFields>,
        masks: &[String],
    ) -> anyhow::Result<Event> {
        let Some(altered) = altered else {
            return Ok(Event {
                timestamp,
                added_fields: Vec::new(),
                updated_fields: Vec::new(),
                removed_fields: Vec::new(),
                complete_state: state_value(state, masks)?,
            });
        };
        let full = serde_json::to_value(state)?;
        Ok(Event {
            timestamp,
            complete_state: mask::filter_value(&full, &mask::event_paths(&altered)),
            added_fields: altered.added,
            updated_fields: altered.updated,
            removed_fields: altered.removed,
        })
    }

    /// The event as printed: one line of JSON, or a YAML document starting with `---`.
    pub fn render(&self, format: Format) -> anyhow::Result<String> {
        Ok(match format {
            Format::Json => serde_json::to_string(self)? + "\n",
            Format::Yaml => format!("---\n{}", serde_yaml_ng::to_string(self)?),
        })
    }
}

/// Now, as Ankaios stamps its events: `2026-12-01T11:18:42.072466186+00:00`.
pub fn timestamp_now() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S%.9f%:z")
        .to_string()
}

async fn stream_events(client: &mut Client, args: &EventsArgs) -> anyhow::Result<()> {
    let mut events = client.events(&args.masks).await?;
    loop {
        let response = tokio::select! {
            event = events.next() => match event {
                Some(event) => event?,
                None => return Ok(()),
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let altered = response.altered_fields.map(|a| AlteredFields {
            added: a.added_fields,
            updated: a.updated_fields,
            removed: a.removed_fields,
        });
        // The first answer is the current state, not an event: shown only with `-c`.
        if altered.is_none() && !args.include_current_state {
            continue;
        }
        let state = complete_from_pb(response.complete_state)?;
        let event = Event::new(timestamp_now(), &state, altered, &args.masks)?;
        // One write and a flush per event: a script reading the pipe sees it at once.
        let mut out = std::io::stdout().lock();
        out.write_all(event.render(args.output)?.as_bytes())?;
        out.flush()?;
    }
}

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests {
    use ank_model::{ExecutionState, Workload};

    use super::*;

    fn state() -> CompleteState {
        let mut s = CompleteState::default();
        for (name, agent) in [("a", "agent_A"), ("b", "agent_B")] {
            let w = Workload {
                agent: agent.into(),
                runtime: "native".into(),
                ..Workload::default()
            };
            s.desired_state.workloads.insert(name.into(), w);
            let ids = [("id".to_owned(), ExecutionState::running())].into();
            s.workload_states
                .entry(agent.into())
                .or_default()
                .insert(name.into(), ids);
        }
        s
    }

    fn args(names: &[&str], agent: Option<&str>, state: Option<&str>) -> WorkloadsArgs {
        WorkloadsArgs {
            names: names.iter().map(|s| s.to_string()).collect(),
            agent: agent.map(Into::into),
            state: state.map(Into::into),
            watch: false,
            output: None,
            server: ServerUrlWithoutShort { server_url: None },
        }
    }

    #[test]
    fn filters_by_name_agent_and_state() {
        let s = state();
        assert_eq!(select(&s, &args(&["b"], None, None)).len(), 1);
        assert_eq!(select(&s, &args(&[], Some("agent_A"), None))[0].name, "a");
        assert_eq!(select(&s, &args(&[], None, Some("running"))).len(), 2);
        assert_eq!(select(&s, &args(&[], None, Some("Running(Ok)"))).len(), 2);
        assert!(select(&s, &args(&[], None, Some("Pending"))).is_empty());
    }

    #[test]
    fn masked_state_drops_empty_parts() {
        let mut s = state();
        s.workload_states.clear();
        let a = StateArgs {
            masks: vec!["desiredState".into()],
            output: Format::Yaml,
        };
        let text = render_state(&s, &a).expect("renders");
        assert!(text.starts_with("desiredState:"), "{text}");
        assert!(!text.contains("workloadStates"), "{text}");
    }
}
