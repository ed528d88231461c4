//! Unit tests of planning: masked updates, the instance diff and nodeSelector placement.

use std::collections::BTreeMap;

use ank_model::exec_state::ExecState;
use ank_model::{AgentAttributes, State, Workload};

use super::*;

fn workload(agent: &str, config: &str) -> Workload {
    Workload {
        agent: agent.into(),
        runtime: "podman".into(),
        runtime_config: config.into(),
        ..Workload::default()
    }
}

fn selecting(pairs: &[(&str, &str)]) -> Workload {
    Workload {
        node_selector: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..workload("", "image: x")
    }
}

fn state(workloads: &[(&str, Workload)]) -> State {
    let mut state = State::new();
    for (name, w) in workloads {
        state.workloads.insert(name.to_string(), w.clone());
    }
    state
}

use crate::schedule::test_support::agents;

fn names(instances: &[Instance]) -> Vec<String> {
    instances.iter().map(|i| i.name.to_string()).collect()
}

fn applied(workloads: &[(&str, Workload)], agents: &BTreeMap<String, AgentAttributes>) -> Desired {
    let mut desired = Desired::default();
    let plan = desired.plan(state(workloads), agents).expect("valid");
    desired.apply(plan);
    desired
}

#[test]
fn masked_update_adds_one_workload_and_keeps_the_rest() {
    let desired = applied(&[("a", workload("A", "image: a"))], &BTreeMap::new());
    let new = state(&[("b", workload("B", "image: b"))]);
    let plan = desired
        .plan_update(&new, &["desiredState.workloads.b".into()], &BTreeMap::new())
        .expect("valid");
    assert_eq!(plan.state.workloads.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(names(&plan.added), [plan.instances["b"].name.to_string()]);
    assert!(plan.deleted.is_empty());
    assert!(plan.instances["b"].name.to_string().starts_with("b."));
    assert!(plan.instances["b"].name.to_string().ends_with(".B"));
}

#[test]
fn changed_config_deletes_the_old_instance_and_adds_a_new_one() {
    let desired = applied(&[("a", workload("A", "image: a"))], &BTreeMap::new());
    let old = desired.instances["a"].name.clone();
    let plan = desired
        .plan(
            state(&[("a", workload("A", "image: other"))]),
            &BTreeMap::new(),
        )
        .expect("valid");
    assert_eq!(names(&plan.deleted), [old.to_string()]);
    assert_ne!(plan.added[0].name, old);
}

#[test]
fn identical_state_changes_nothing() {
    let desired = applied(&[("a", workload("A", "image: a"))], &BTreeMap::new());
    let plan = desired
        .plan(desired.state.clone(), &BTreeMap::new())
        .expect("valid");
    assert!(plan.added.is_empty() && plan.deleted.is_empty());
}

#[test]
fn invalid_state_is_rejected_with_the_rule() {
    let mut cyclic = workload("A", "image: a");
    cyclic
        .dependencies
        .insert("a".into(), ank_model::AddCondition::Running);
    let err = Desired::default()
        .plan(state(&[("a", cyclic)]), &BTreeMap::new())
        .expect_err("cyclic");
    assert!(err.to_string().contains("cycl"), "{err}");
}

#[test]
fn workload_without_agent_is_not_scheduled() {
    let desired = applied(&[("a", workload("", "image: a"))], &BTreeMap::new());
    let a = &desired.instances["a"];
    assert_eq!(a.agent(), None);
    assert_eq!(
        a.unscheduled.as_ref().map(|s| s.state),
        Some(ExecState::NotScheduled)
    );
}

#[test]
fn node_selector_waits_for_a_matching_agent_then_stays() {
    let mut desired = applied(
        &[("web", selecting(&[("zone", "front")]))],
        &agents(&[("back", &[])]),
    );
    let web = &desired.instances["web"];
    assert_eq!(web.agent(), None);
    assert_eq!(
        web.unscheduled.as_ref().map(|s| s.additional_info.as_str()),
        Some("no connected agent matches nodeSelector zone=front")
    );

    // A matching agent connects: the workload moves from unscheduled to it.
    let connected = agents(&[("back", &[]), ("front2", &[("zone", "front")])]);
    let plan = desired
        .plan(desired.state.clone(), &connected)
        .expect("valid");
    assert_eq!(plan.added.len(), 1);
    assert_eq!(plan.added[0].agent(), Some("front2"));
    desired.apply(plan);

    // Another matching agent (earlier by name, no load) does not take it away.
    let more = agents(&[
        ("front1", &[("zone", "front")]),
        ("front2", &[("zone", "front")]),
    ]);
    let plan = desired.plan(desired.state.clone(), &more).expect("valid");
    assert!(plan.added.is_empty() && plan.deleted.is_empty());
}

#[test]
fn node_selector_spreads_by_load() {
    let connected = agents(&[("a", &[("zone", "x")]), ("b", &[("zone", "x")])]);
    let desired = applied(
        &[
            ("one", selecting(&[("zone", "x")])),
            ("two", selecting(&[("zone", "x")])),
            ("pinned", workload("a", "image: p")),
        ],
        &connected,
    );
    assert_eq!(desired.instances["one"].agent(), Some("b"));
    assert_eq!(desired.instances["two"].agent(), Some("a").or(Some("b")));
    let on_a = desired.instances_of("a").count();
    let on_b = desired.instances_of("b").count();
    assert!(on_a.abs_diff(on_b) <= 1, "a={on_a} b={on_b}");
}
