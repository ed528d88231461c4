//! Unit tests of field masks: filtering, masked updates, wildcards and altered fields.

use serde_json::json;

use super::*;
use crate::{ExecutionState, Workload};

fn masks(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn workload(agent: &str, config: &str) -> Workload {
    Workload {
        agent: agent.into(),
        runtime: "podman".into(),
        runtime_config: config.into(),
        ..Workload::default()
    }
}

fn state(names: &[&str]) -> State {
    let mut state = State::new();
    for name in names {
        state.workloads.insert(
            name.to_string(),
            workload("agent_A", &format!("image: {name}")),
        );
    }
    state
}

fn complete() -> CompleteState {
    let mut complete = CompleteState {
        desired_state: state(&["nginx", "redis"]),
        ..CompleteState::default()
    };
    for (agent, wl) in [("agent_A", "nginx"), ("agent_B", "redis")] {
        complete
            .workload_states
            .entry(agent.into())
            .or_default()
            .entry(wl.into())
            .or_default()
            .insert("id1".into(), ExecutionState::running());
    }
    complete.agents.insert("agent_A".into(), Default::default());
    complete
}

#[test]
fn no_masks_keep_everything() {
    assert_eq!(filter(&complete(), &[]), complete());
}

#[test]
fn desired_state_mask_adds_api_version() {
    let filtered = filter(&complete(), &masks(&["desiredState.workloads.nginx"]));
    assert_eq!(filtered.desired_state.api_version, "v1");
    assert_eq!(
        filtered.desired_state.workloads.keys().collect::<Vec<_>>(),
        ["nginx"]
    );
    assert!(filtered.workload_states.is_empty());
    assert!(filtered.agents.is_empty());
}

#[test]
fn wildcards_expand_every_key() {
    let filtered = filter(&complete(), &masks(&["workloadStates.*.redis"]));
    assert_eq!(
        filtered.workload_states.keys().collect::<Vec<_>>(),
        ["agent_B"]
    );
    assert_eq!(filtered.desired_state, State::default());
}

#[test]
fn mask_below_an_execution_state_gives_an_empty_state() {
    let filtered = filter(
        &complete(),
        &masks(&["workloadStates.agent_A.nginx.id1.state"]),
    );
    assert_eq!(filtered, CompleteState::default());
}

#[test]
fn unknown_paths_are_not_an_error() {
    let filtered = filter(&complete(), &masks(&["agents.nobody"]));
    assert!(filtered.agents.is_empty());
}

#[test]
fn update_replaces_only_the_masked_workload() {
    let current = state(&["nginx", "redis"]);
    let mut new = state(&["nginx"]);
    new.workloads
        .insert("nginx".into(), workload("agent_B", "image: other"));
    let result =
        apply_update(&current, &new, &masks(&["desiredState.workloads.nginx"])).expect("applies");
    assert_eq!(result.workloads["nginx"].agent, "agent_B");
    assert_eq!(result.workloads["redis"], current.workloads["redis"]);
}

#[test]
fn update_removes_what_the_new_state_lacks() {
    let current = state(&["nginx", "redis"]);
    let result = apply_update(
        &current,
        &State::new(),
        &masks(&["desiredState.workloads.redis"]),
    )
    .expect("applies");
    assert_eq!(result.workloads.keys().collect::<Vec<_>>(), ["nginx"]);
}

#[test]
fn empty_masks_replace_everything() {
    let result = apply_update(&state(&["a"]), &state(&["b"]), &[]).expect("applies");
    assert_eq!(result, state(&["b"]));
}

#[test]
fn wildcard_update_covers_old_and_new_keys() {
    let result = apply_update(
        &state(&["a", "b"]),
        &state(&["c"]),
        &masks(&["desiredState.workloads.*"]),
    )
    .expect("applies");
    assert_eq!(result.workloads.keys().collect::<Vec<_>>(), ["c"]);
}

#[test]
fn update_of_a_single_field() {
    let mut new = State::new();
    new.workloads
        .insert("nginx".into(), workload("agent_Z", ""));
    let result = apply_update(
        &state(&["nginx"]),
        &new,
        &masks(&["desiredState.workloads.nginx.agent"]),
    )
    .expect("applies");
    assert_eq!(result.workloads["nginx"].agent, "agent_Z");
    assert_eq!(result.workloads["nginx"].runtime_config, "image: nginx");
}

#[test]
fn update_mask_outside_desired_state_is_an_error() {
    let err = apply_update(&State::new(), &State::new(), &masks(&["workloadStates"]))
        .expect_err("rejected");
    assert!(err.to_string().contains("workloadStates"), "{err}");
}

#[test]
fn altered_fields_report_first_differing_key_and_workloads_in_document_order() {
    let old = json!({
        "desiredState": {"workloads": {"a": {"agent": "x"}, "b": {"agent": "x"}}},
        "workloadStates": {},
        "agents": {}
    });
    let new = json!({
        "desiredState": {"workloads": {"a": {"agent": "y"}, "c": {"agent": "x"}}},
        "workloadStates": {"agent_A": {"c": {"id": {"state": "Pending"}}}},
        "agents": {"agent_A": {"tags": {}}}
    });
    let altered = altered_fields(&old, &new);
    // Ankaios reports a workload appearing on an agent at the workload, not the instance.
    assert_eq!(
        altered.added,
        [
            "desiredState.workloads.c",
            "workloadStates.agent_A.c",
            "agents.agent_A"
        ]
    );
    assert_eq!(altered.updated, ["desiredState.workloads.a.agent"]);
    assert_eq!(altered.removed, ["desiredState.workloads.b"]);
}

#[test]
fn execution_state_changes_name_each_changed_field_last_field_first() {
    // As in ankaios-samples.md: Pending(Initial) -> Pending(Starting) with info names
    // subState and additionalInfo; -> Stopping(RequestedAtRuntime) names all three.
    let state = |state: &str, sub: &str, info: &str| {
        json!({"workloadStates": {"A": {"w": {"id": {
            "additionalInfo": info, "state": state, "subState": sub}}}}})
    };
    let initial = state("Pending", "Initial", "");
    let starting = state("Pending", "Starting", "Triggered at runtime.");
    let stopping = state("Stopping", "RequestedAtRuntime", "");
    assert_eq!(
        altered_fields(&initial, &starting).updated,
        [
            "workloadStates.A.w.id.subState",
            "workloadStates.A.w.id.additionalInfo"
        ]
    );
    assert_eq!(
        altered_fields(&starting, &stopping).updated,
        [
            "workloadStates.A.w.id.subState",
            "workloadStates.A.w.id.state",
            "workloadStates.A.w.id.additionalInfo"
        ]
    );
}

#[test]
fn a_workload_gone_from_an_agent_is_removed_at_the_workload() {
    let old = json!({"workloadStates": {"A": {"w": {"id": {"state": "Stopping"}}}}});
    let new = json!({"workloadStates": {}});
    let altered = altered_fields(&old, &new);
    assert_eq!(altered.removed, ["workloadStates.A.w"]);
    // The event then carries nothing of it: `completeState` is `{}`.
    assert_eq!(filter_value(&new, &event_paths(&altered)), json!({}));
}

#[test]
fn event_paths_widen_to_whole_execution_states_and_agent_status() {
    let altered = AlteredFields {
        added: vec!["desiredState.workloads.w".into()],
        updated: vec![
            "workloadStates.A.w.id.subState".into(),
            "workloadStates.A.w.id.additionalInfo".into(),
            "agents.A.status.cpuUsage".into(),
        ],
        removed: vec!["effectiveState.workloads.v".into()],
    };
    assert_eq!(
        event_paths(&altered),
        [
            "desiredState.workloads.w",
            "workloadStates.A.w.id",
            "agents.A.status",
            "effectiveState.workloads.v"
        ]
    );
}

#[test]
fn a_removed_workload_leaves_its_states_api_version() {
    let new = json!({
        "desiredState": {"apiVersion": "v1", "workloads": {"other": {}}},
        "effectiveState": {"apiVersion": "v1", "workloads": {"other": {}}}
    });
    let altered = AlteredFields {
        removed: vec![
            "desiredState.workloads.job2".into(),
            "effectiveState.workloads.job2".into(),
        ],
        ..AlteredFields::default()
    };
    assert_eq!(
        serde_json::to_string(&filter_value(&new, &event_paths(&altered))).expect("json"),
        r#"{"desiredState":{"apiVersion":"v1"},"effectiveState":{"apiVersion":"v1"}}"#
    );
}

#[test]
fn filtered_output_keeps_the_states_field_order_whatever_the_mask_order() {
    let full = json!({
        "desiredState": {"apiVersion": "v1", "workloads": {
            "job": {"agent": "agent_S", "restartPolicy": "NEVER", "runtime": "x"},
            "web": {"agent": "agent_Z", "restartPolicy": "ALWAYS", "runtime": "podman"}}},
        "workloadStates": {}
    });
    let filtered = filter_value(
        &full,
        &masks(&[
            "desiredState.workloads.*.runtime",
            "desiredState.workloads.*.agent",
        ]),
    );
    assert_eq!(
        serde_json::to_string(&filtered).expect("json"),
        r#"{"desiredState":{"apiVersion":"v1","workloads":{"job":{"agent":"agent_S","runtime":"x"},"web":{"agent":"agent_Z","runtime":"podman"}}}}"#
    );
}

#[test]
fn altered_fields_are_filtered_and_narrowed_to_masks() {
    let old = json!({"workloadStates": {}});
    let new = json!({"workloadStates": {"A": {"w": {"id": {}}, "v": {"id": {}}}}});
    let altered = altered_fields(&old, &new);
    assert_eq!(altered.added, ["workloadStates.A.w", "workloadStates.A.v"]);
    let filtered = altered.filtered(&masks(&["workloadStates.*.w"]), &old, &new);
    assert_eq!(filtered.added, ["workloadStates.A.w"]);
    assert!(altered.filtered(&masks(&["agents"]), &old, &new).is_empty());

    let old = json!({"agents": {}});
    let new = json!({"agents": {"A": {"tags": {"zone": "x"}}}});
    let filtered = altered_fields(&old, &new).filtered(&masks(&["agents.A.tags"]), &old, &new);
    assert_eq!(filtered.added, ["agents.A.tags"]);
}

#[test]
fn unchanged_states_alter_nothing() {
    let value = serde_json::to_value(complete()).expect("serializes");
    assert!(altered_fields(&value, &value).is_empty());
}
