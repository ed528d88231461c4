//! Fuzzing field masks: arbitrary mask strings (and masks built from hostile names) over complete
//! states whose workload, agent and config names are hostile, through everything that reads a
//! mask: `get state` filtering, `apply`'s masked update, event paths and access rules. Nothing
//! panics; a filter returns only what the state holds; a mask naming a dotted workload name
//! reaches a field of the workload before the dot, as Ankaios splits masks.

#[path = "support/hostile.rs"]
mod hostile;

use ank_model::access::{Asks, Authorizer};
use ank_model::mask::{altered_fields, apply_update, event_paths, filter, filter_value};
use ank_model::{
    AccessRule, CompleteState, ControlInterfaceAccess, ExecutionState, ReadWrite, State, Workload,
};
use proptest::prelude::*;
use serde_json::Value;

fn workload(agent: &str) -> Workload {
    Workload {
        agent: agent.into(),
        runtime: "native".into(),
        runtime_config: "command: [sleep, '1']".into(),
        ..Workload::default()
    }
}

/// A complete state holding `names` as workload, agent and config names everywhere.
fn complete(names: &[String]) -> CompleteState {
    let mut state = CompleteState::default();
    for n in names {
        state.desired_state.workloads.insert(n.clone(), workload(n));
        state
            .desired_state
            .configs
            .insert(n.clone(), ank_model::ConfigItem::String(n.clone()));
        state
            .workload_states
            .entry(n.clone())
            .or_default()
            .entry(n.clone())
            .or_default()
            .insert(n.clone(), ExecutionState::running());
        state.agents.insert(n.clone(), Default::default());
    }
    state
}

/// A mask: free text, or dotted segments of hostile names, wildcards and field names.
fn mask() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        3 => hostile::name(),
        2 => prop::sample::select(vec![
            "desiredState", "workloads", "configs", "workloadStates", "agents", "effectiveState",
            "apiVersion", "*", "", "agent", "runtimeConfig", "tags", "status",
        ]).prop_map(str::to_owned),
    ];
    prop_oneof![
        1 => hostile::text(),
        3 => prop::collection::vec(segment, 0..8).prop_map(|s| s.join(".")),
    ]
}

/// Whether every part of `part` is in `whole` (objects key by key, anything else equal).
fn is_within(part: &Value, whole: &Value) -> bool {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|wv| is_within(v, wv))),
        _ => part == whole,
    }
}

proptest! {
    #![proptest_config(hostile::config(96))]

    #[test]
    fn get_state_filters_never_panic_and_select_only_what_is_there(
        names in prop::collection::vec(hostile::name(), 0..4),
        masks in prop::collection::vec(mask(), 0..5),
    ) {
        let state = complete(&names);
        let full = serde_json::to_value(&state).expect("a complete state serialises");
        let selected = filter_value(&full, &masks);
        prop_assert!(is_within(&selected, &full), "{selected} is not within the state");
        let _ = filter(&state, &masks);
    }

    #[test]
    fn apply_with_update_masks_never_panics(
        old in prop::collection::vec(hostile::name(), 0..3),
        new in prop::collection::vec(hostile::name(), 0..3),
        masks in prop::collection::vec(mask(), 0..4),
    ) {
        let (current, next) = (complete(&old).desired_state, complete(&new).desired_state);
        match apply_update(&current, &next, &masks) {
            // Whatever the masks, the result is made only of the two states' workloads.
            Ok(result) => {
                for name in result.workloads.keys() {
                    prop_assert!(old.contains(name) || new.contains(name), "{name:?} from nowhere");
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn event_paths_of_hostile_changes_never_panic(
        old in prop::collection::vec(hostile::name(), 0..3),
        new in prop::collection::vec(hostile::name(), 0..3),
        masks in prop::collection::vec(mask(), 0..4),
    ) {
        let old = serde_json::to_value(complete(&old)).expect("serialises");
        let new = serde_json::to_value(complete(&new)).expect("serialises");
        let altered = altered_fields(&old, &new);
        let shown = altered.filtered(&masks, &old, &new);
        let _ = event_paths(&shown);
        let _ = event_paths(&altered);
    }

    #[test]
    fn access_rules_with_hostile_masks_never_panic(
        rules in prop::collection::vec(mask(), 0..4),
        denied in prop::collection::vec(mask(), 0..2),
        asked in prop::collection::vec(mask(), 0..4),
        logs in prop::collection::vec(hostile::name(), 0..3),
    ) {
        let authorizer = Authorizer::new(&ControlInterfaceAccess {
            allow_rules: vec![
                AccessRule::StateRule { operation: ReadWrite::ReadWrite, filter_masks: rules },
                AccessRule::LogRule { workload_names: logs.clone() },
            ],
            deny_rules: vec![AccessRule::StateRule { operation: ReadWrite::Write, filter_masks: denied }],
        });
        let _ = authorizer.allows(Asks::Read(&asked));
        let _ = authorizer.allows(Asks::Write(&asked));
        let _ = authorizer.allows(Asks::Logs(logs.iter().map(String::as_str).collect()));
    }
}

fn masks(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Masks are split on every '.', as in Ankaios: `desiredState.workloads.x.y` is the field `y` of
/// the workload `x`, never a workload named `x.y` (which `validate_state` refuses anyway). Such a
/// workload is reached only through a mask above it (`desiredState.workloads`).
#[test]
fn a_mask_naming_a_dotted_workload_reaches_the_workload_before_the_dot() {
    let mut state = State::default();
    state.workloads.insert("x.y".into(), workload("a"));
    state.workloads.insert("x".into(), workload("b"));
    let full = serde_json::to_value(CompleteState {
        desired_state: state.clone(),
        ..CompleteState::default()
    })
    .expect("serialises");

    let shown = filter_value(&full, &masks(&["desiredState.workloads.x.y"]));
    assert_eq!(shown["desiredState"].get("workloads"), None, "{shown}");
    let shown = filter_value(&full, &masks(&["desiredState.workloads.x.agent"]));
    assert_eq!(shown["desiredState"]["workloads"]["x"]["agent"], "b");
    assert_eq!(shown["desiredState"]["workloads"].get("x.y"), None);

    // An update mask naming `x.y` adds nothing and deletes nothing.
    let current = State::default();
    let updated = apply_update(&current, &state, &masks(&["desiredState.workloads.x.y"]));
    assert_eq!(updated.expect("applies").workloads.len(), 0);
    // The mask above it carries it over.
    let updated = apply_update(&current, &state, &masks(&["desiredState.workloads"]));
    let names: Vec<String> = updated.expect("applies").workloads.into_keys().collect();
    assert_eq!(names, ["x", "x.y"]);
}
