//! The tables `ank` prints, exactly as Ankaios prints them: the rows derived from the complete
//! state (workloads, agents, configs), the wait table of `ank apply`/`run`/`delete` with its
//! spinner slot, and the tiny renderer behind all of them (every cell padded to its column's
//! width, the last one too, three spaces between columns).

use std::collections::BTreeMap;

use ank_model::exec_state::ExecState;
use ank_model::{CompleteState, ExecutionState};
use serde::Serialize;

/// One line of `ank get workloads`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

/// The header of the workloads table; `wide` adds INSTANCE ID and TAGS.
fn workloads_header(wide: bool) -> Vec<&'static str> {
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
    header
}

/// One row's cells, with `state` standing in the EXECUTION STATE column.
fn workload_cells(r: &WorkloadRow, state: String, wide: bool) -> Vec<String> {
    let mut cells = vec![
        r.name.clone(),
        r.agent.clone(),
        r.runtime.clone(),
        state,
        r.additional_info.clone(),
    ];
    if wide {
        cells.extend([r.instance_id.clone(), r.tags.clone()]);
    }
    cells
}

/// `ank get workloads`; `wide` adds INSTANCE ID and TAGS.
pub fn workloads_table(rows: &[WorkloadRow], wide: bool) -> String {
    let body = rows
        .iter()
        .map(|r| workload_cells(r, r.execution_state.clone(), wide));
    render(&workloads_header(wide), body)
}

/// The workloads table `ank apply`, `run` and `delete` print while waiting: each EXECUTION
/// STATE cell starts with a two-character slot, the spinner and a blank while the workload still
/// moves (`Some(spinner)`), two blanks once it reached its target (`None`) and in the header.
pub fn wait_table(rows: &[(WorkloadRow, Option<char>)]) -> String {
    let mut header = workloads_header(false);
    let state_header = format!("  {}", header[STATE_COLUMN]);
    header[STATE_COLUMN] = &state_header;
    let body = rows.iter().map(|(r, spinner)| {
        let slot = spinner.unwrap_or(' ');
        workload_cells(r, format!("{slot} {}", r.execution_state), false)
    });
    render(&header, body)
}

/// The index of EXECUTION STATE in the workloads table.
const STATE_COLUMN: usize = 3;

/// `ank get agents`: name, number of workloads, CPU usage and free memory; `wide` adds TAGS.
pub fn agents_table(state: &CompleteState, wide: bool) -> String {
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
        let mut cells = vec![
            name.clone(),
            workloads.to_string(),
            format!("{}%", a.status.cpu_usage),
            format!("{}B", a.status.free_memory),
        ];
        if wide {
            cells.push(tags(&a.tags));
        }
        cells
    });
    let mut header = vec!["NAME", "WORKLOADS", "CPU USAGE", "FREE MEMORY"];
    if wide {
        header.push("TAGS");
    }
    render(&header, body)
}

/// `ank get configs`: one config item name a row under the single header `CONFIG`.
pub fn configs_table(state: &CompleteState) -> String {
    render(
        &["CONFIG"],
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

/// Three spaces between two columns, as Ankaios prints them.
const SEPARATOR: &str = "   ";

/// Renders a borderless table as Ankaios does: every cell, the header's and the last column's
/// too, is padded with blanks to its column's width (counted in chars), columns are separated by
/// [`SEPARATOR`], and each line ends with `\n`. Trailing blanks are kept.
pub fn render(header: &[&str], body: impl Iterator<Item = Vec<String>>) -> String {
    let rows: Vec<Vec<String>> = body.collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    let header = header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>();
    for row in std::iter::once(&header).chain(&rows) {
        for (i, width) in widths.iter().enumerate() {
            let cell = row.get(i).map(String::as_str).unwrap_or_default();
            if i > 0 {
                out.push_str(SEPARATOR);
            }
            out.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            out.extend(std::iter::repeat_n(' ', pad));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use ank_model::exec_state::Pending;
    use ank_model::Workload;

    use super::*;

    /// The lines, each ending in `\n`: trailing blanks stay visible inside the quotes.
    pub(crate) fn lines(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    /// The state of `ankaios-samples.md` (m.yaml with agent_S connected, agent_Z not).
    pub(crate) fn sample_state() -> CompleteState {
        let json = r#"{
          "desiredState": {
            "apiVersion": "v1",
            "workloads": {
              "web": {
                "agent": "agent_Z",
                "restartPolicy": "ALWAYS",
                "tags": {"team": "demo"},
                "runtime": "podman",
                "runtimeConfig": "image: docker.io/library/nginx:latest\ncommandOptions: [\"-p\", \"{{port.value}}:80\"]",
                "configs": {"port": "web_port"}
              },
              "job": {
                "agent": "agent_S",
                "restartPolicy": "NEVER",
                "runtime": "unknown-runtime",
                "runtimeConfig": "command: echo hi"
              }
            },
            "configs": {"web_port": {"value": "8081"}}
          },
          "workloadStates": {
            "agent_S": {"job": {"2be5b915c978476afa00e925e69aab6042159f6416223b3109a3eb8e3bdf4309": {
              "additionalInfo": "Unsupported Runtime", "state": "Pending", "subState": "StartingFailed"}}},
            "agent_Z": {"web": {"edcd226c0026a5a9000f2b121cce739e09322c2722b76fc8aa26e1be10ff2aa5": {
              "additionalInfo": "", "state": "Pending", "subState": "Initial"}}}
          },
          "agents": {"agent_S": {"status": {"cpuUsage": 3, "freeMemory": 24680841216}}}
        }"#;
        serde_json::from_str(json).expect("the sample state parses")
    }

    #[test]
    fn get_workloads_matches_the_sample() {
        let text = workloads_table(&workload_rows(&sample_state()), false);
        let expected = lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME           EXECUTION STATE           ADDITIONAL INFO    ",
            "job             agent_S   unknown-runtime   Pending(StartingFailed)   Unsupported Runtime",
            "web             agent_Z   podman            Pending(Initial)                             ",
        ]);
        assert_eq!(text, expected);
    }

    #[test]
    fn get_agents_matches_the_sample() {
        let expected = lines(&[
            "NAME      WORKLOADS   CPU USAGE   FREE MEMORY ",
            "agent_S   1           3%          24680841216B",
        ]);
        assert_eq!(agents_table(&sample_state(), false), expected);
    }

    #[test]
    fn get_agents_wide_adds_tags() {
        let mut s = sample_state();
        if let Some(a) = s.agents.get_mut("agent_S") {
            a.tags.insert("zone".into(), "back".into());
            a.tags.insert("arch".into(), "arm64".into());
        }
        let expected = lines(&[
            "NAME      WORKLOADS   CPU USAGE   FREE MEMORY    TAGS                ",
            "agent_S   1           3%          24680841216B   arch=arm64,zone=back",
        ]);
        assert_eq!(agents_table(&s, true), expected);
    }

    #[test]
    fn get_configs_matches_the_sample() {
        let expected = lines(&["CONFIG  ", "web_port"]);
        assert_eq!(configs_table(&sample_state()), expected);
    }

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
        let expected = lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME   EXECUTION STATE           ADDITIONAL INFO",
            "db              agent_B   native    Pending(StartingFailed)   no such file   ",
            "idle                      native    NotScheduled                             ",
            "web             agent_A   native    Running(Ok)                              ",
        ]);
        assert_eq!(text, expected);
    }

    #[test]
    fn wide_adds_instance_id_and_tags() {
        let text = workloads_table(&workload_rows(&state()), true);
        let expected = lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME   EXECUTION STATE           ADDITIONAL INFO   INSTANCE ID   TAGS      ",
            "db              agent_B   native    Pending(StartingFailed)   no such file      3c4d          zone=front",
            "idle                      native    NotScheduled                                              zone=front",
            "web             agent_A   native    Running(Ok)                                 1a2b          zone=front",
        ]);
        assert_eq!(text, expected);
    }

    #[test]
    fn the_wait_table_has_a_spinner_slot_before_the_state() {
        let rows: Vec<(WorkloadRow, Option<char>)> = workload_rows(&state())
            .into_iter()
            .map(|r| {
                let spinner = (r.name == "db").then_some('/');
                (r, spinner)
            })
            .collect();
        let expected = lines(&[
            "WORKLOAD NAME   AGENT     RUNTIME     EXECUTION STATE           ADDITIONAL INFO",
            "db              agent_B   native    / Pending(StartingFailed)   no such file   ",
            "idle                      native      NotScheduled                             ",
            "web             agent_A   native      Running(Ok)                              ",
        ]);
        assert_eq!(wait_table(&rows), expected);
    }

    #[test]
    fn an_empty_table_is_its_header() {
        assert_eq!(configs_table(&CompleteState::default()), "CONFIG\n");
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
        let expected = lines(&[
            "NAME      WORKLOADS   CPU USAGE   FREE MEMORY",
            "agent_A   1           0%          0B         ",
        ]);
        assert_eq!(agents_table(&s, false), expected);
    }
}
