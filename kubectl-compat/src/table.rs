//! The tables `ank get` prints: rows derived from the complete state, rendered by comfy-table
//! without borders, columns separated by three spaces, as Ankaios prints them.

use std::collections::BTreeMap;

use ank_model::exec_state::ExecState;
use ank_model::{CompleteState, ExecutionState};
use comfy_table::{presets::NOTHING, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

/// One line of `ank get workloads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadRow {
    /// The workload's name.
    pub name: String,
    /// The agent whose state this is (empty when not scheduled).
    pub agent: String,
    /// The runtime from the desired state (empty for a workload being removed).
    pub runtime: String,
    /// The state, `None` when it has none yet.
    #[serde(skip)]
    pub state: Option<ExecState>,
    /// The state as printed (`Running(Ok)`).
    pub execution_state: String,
    /// Free text from the agent or the server.
    pub additional_info: String,
    /// The instance id (hash of the runtimeConfig).
    pub instance_id: String,
    /// The workload's tags, `k=v,k=v`.
    pub tags: String,
}

/// The rows of the workloads table, sorted by name then agent; removed instances are left out
/// and desired workloads without a state are shown (`NotScheduled` when they have no agent).
pub fn workload_rows(state: &CompleteState) -> Vec<WorkloadRow> {
    let desired = &state.desired_state.workloads;
    let mut rows = Vec::new();
    for (agent, workloads) in &state.workload_states {
        for (name, ids) in workloads {
            for (id, exec) in ids {
                if exec.state == ExecState::Removed {
                    continue;
                }
                let w = desired.get(name);
                rows.push(WorkloadRow {
                    name: name.clone(),
                    agent: agent.clone(),
                    runtime: w.map(|w| w.runtime.clone()).unwrap_or_default(),
                    state: Some(exec.state),
                    execution_state: exec.to_string(),
                    additional_info: one_line(&exec.additional_info),
                    instance_id: id.clone(),
                    tags: w.map(|w| tags(&w.tags)).unwrap_or_default(),
                });
            }
        }
    }
    for (name, w) in desired {
        if rows.iter().any(|r| &r.name == name) {
            continue;
        }
        let state = w.agent.is_empty().then_some(ExecState::NotScheduled);
        rows.push(WorkloadRow {
            name: name.clone(),
            agent: w.agent.clone(),
            runtime: w.runtime.clone(),
            state,
            execution_state: state.map(|s| s.to_string()).unwrap_or_default(),
            additional_info: String::new(),
            instance_id: String::new(),
            tags: tags(&w.tags),
        });
    }
    rows.sort_by(|a, b| (&a.name, &a.agent).cmp(&(&b.name, &b.agent)));
    rows
}

/// The workloads table; `wide` adds INSTANCE ID and TAGS.
pub fn workloads_table(rows: &[WorkloadRow], wide: bool) -> String {
    let mut header = vec![
        "WORKLOAD NAME",
        "AGENT",
        "RUNTIME",
        "EXECUTION STATE",
        "ADDITIONAL INFO",
    ];
    if wide {
        header.extend(["INSTANCE ID", "TAGS"]);
    }
    let body = rows.iter().map(|r| {
        let mut cells = vec![
            r.name.clone(),
            r.agent.clone(),
            r.runtime.clone(),
            r.execution_state.clone(),
            r.additional_info.clone(),
        ];
        if wide {
            cells.extend([r.instance_id.clone(), r.tags.clone()]);
        }
        cells
    });
    render(&header, body)
}

/// `ank get agents`: name, number of workloads, CPU, free memory and tags.
pub fn agents_table(state: &CompleteState) -> String {
    let body = state.agents.iter().map(|(name, a)| {
        let workloads = state
            .workload_states
            .get(name)
            .map(|wls| {
                wls.values()
                    .filter(|ids| {
                        ids.values()
                            .any(|s: &ExecutionState| s.state != ExecState::Removed)
                    })
                    .count()
            })
            .unwrap_or(0);
        vec![
            name.clone(),
            workloads.to_string(),
            format!("{}%", a.status.cpu_usage),
            format!("{}B", a.status.free_memory),
            tags(&a.tags),
        ]
    });
    render(
        &["NAME", "WORKLOADS", "CPU USAGE", "FREE MEMORY", "TAGS"],
        body,
    )
}

/// `ank get configs`: the config keys.
pub fn configs_table(state: &CompleteState) -> String {
    render(
        &["CONFIGS"],
        state.desired_state.configs.keys().map(|k| vec![k.clone()]),
    )
}

/// `k=v,k=v` in key order.
pub fn tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Renders a borderless table: three spaces between columns, no trailing blanks.
pub fn render(header: &[&str], body: impl Iterator<Item = Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for row in body {
        table.add_row(row);
    }
    let last = header.len().saturating_sub(1);
    for (i, column) in table.column_iter_mut().enumerate() {
        column.set_padding((0, if i == last { 0 } else { 3 }));
        column.set_cell_alignment(CellAlignment::Left);
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use ank_model::exec_state::Pending;
    use ank_model::Workload;

    use super::*;

    fn state() -> CompleteState {
        let mut s = CompleteState::default();
        for (name, agent) in [("web", "agent_A"), ("db", "agent_B"), ("idle", "")] {
            s.desired_state.workloads.insert(
                name.into(),
                Workload {
                    agent: agent.into(),
                    runtime: "native".into(),
                    tags: [("zone".to_owned(), "front".to_owned())].into(),
                    ..Workload::default()
                },
            );
        }
        let mut ids = BTreeMap::new();
        ids.insert("1a2b".to_owned(), ExecutionState::running());
        s.workload_states
            .entry("agent_A".into())
            .or_default()
            .insert("web".into(), ids);
        let mut ids = BTreeMap::new();
        ids.insert(
            "3c4d".to_owned(),
            ExecutionState::with_info(ExecState::Pending(Pending::StartingFailed), "no\nsuch file"),
        );
        s.workload_states
            .entry("agent_B".into())
            .or_default()
            .insert("db".into(), ids);
        s
    }

    #[test]
    fn workloads_table_is_sorted_with_three_space_columns() {
        let text = workloads_table(&workload_rows(&state()), false);
        let expected = "\
WORKLOAD NAME   AGENT     RUNTIME   EXECUTION STATE           ADDITIONAL INFO
db              agent_B   native    Pending(StartingFailed)   no such file
idle                      native    NotScheduled
web             agent_A   native    Running(Ok)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn wide_adds_instance_id_and_tags() {
        let text = workloads_table(&workload_rows(&state()), true);
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.ends_with("ADDITIONAL INFO   INSTANCE ID   TAGS"),
            "{first}"
        );
        assert!(text.contains("1a2b          zone=front"), "{text}");
    }

    #[test]
    fn removed_instances_disappear() {
        let mut s = state();
        let web = s
            .workload_states
            .get_mut("agent_A")
            .and_then(|m| m.get_mut("web"));
        if let Some(ids) = web {
            ids.insert("1a2b".into(), ExecutionState::new(ExecState::Removed));
        }
        s.desired_state.workloads.remove("web");
        let rows = workload_rows(&s);
        assert!(rows.iter().all(|r| r.name != "web"), "{rows:?}");
    }

    #[test]
    fn agents_table_counts_workloads() {
        let mut s = state();
        s.agents.insert("agent_A".into(), Default::default());
        let text = agents_table(&s);
        assert_eq!(text, "NAME      WORKLOADS   CPU USAGE   FREE MEMORY   TAGS\nagent_A   1           0%          0B\n");
    }
}
