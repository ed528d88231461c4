//! Hostile names and masks in the model: workload, config, alias and dependency names with
//! brackets, dots, quotes, control characters, non-ASCII, the empty string and 10 000
//! characters. `validate_state` never panics, every error's path holds the odd name as one
//! segment (compared as segments, not text) and its message is one bounded line; masks built
//! from such names, as `ank get state` and `ank apply` send them, never panic the mask
//! functions. Failing cases persist beside this file.

use ank_model::field_path::PathSeg;
use ank_model::mask::{altered_fields, apply_update, event_paths, filter_value};
use ank_model::validate::validate_state;
use ank_model::State;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Names mixing path syntax, quoting, control and non-ASCII characters, plus the extremes.
fn name() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a", "Z", "0", "-", "_", ".", "..", "[", "]", "[0]", "*", "\"", "'", "\\", " ", "\t", "\n",
        "\u{0}", "\u{1b}", "\u{7f}", "\u{85}", "é", "日本", "🦀", "\u{200b}", "{{", "}}",
    ]);
    prop_oneof![
        8 => prop::collection::vec(piece, 0..12).prop_map(|p| p.concat()),
        1 => Just(String::new()),
        1 => Just("a[]]".to_owned()),
        1 => "[a-z]{1,3}".prop_map(|s| s.repeat(10_000).chars().take(10_000).collect()),
    ]
}

fn state(value: Value) -> State {
    serde_json::from_value(value).expect("the test builds a well-typed state")
}

/// A valid manifest with `n` as a workload name, a config key, an alias and a dependency.
fn manifest(n: &str) -> State {
    state(json!({
        "apiVersion": "v1",
        "configs": {"c": "v", n: "v"},
        "workloads": {
            n: {"runtime": "native", "agent": "a", "runtimeConfig": "command: [sleep, '1']"},
            "w": {
                "runtime": "native", "agent": "a", "runtimeConfig": "command: [sleep, '1']",
                "configs": {n: "c"},
                "dependencies": {n: "ADD_COND_RUNNING"},
            },
        },
    }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_validation_error_names_the_odd_item(n in name()) {
        let errors = validate_state(&manifest(&n)).err().unwrap_or_default();
        for e in &errors {
            let names_it = e.path.segments().iter().any(|s| *s == PathSeg::Key(n.clone()));
            prop_assert!(names_it, "{:?} does not hold the name", e.path.segments().get(..3));
            // A message stays one bounded line, whatever the name holds.
            prop_assert!(!e.message.contains(char::is_control), "{:?}", e.message);
            prop_assert!(e.message.chars().count() < 400, "{} chars", e.message.chars().count());
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn masks_from_odd_names_never_panic(n in name(), m in name()) {
        let current = manifest("w2");
        let new = manifest(&n);
        let masks = vec![
            format!("desiredState.workloads.{n}"),
            format!("desiredState.configs.{m}"),
            m.clone(),
            format!("{n}.{m}"),
        ];
        let _ = apply_update(&current, &new, &masks);
        let full = serde_json::to_value(&new).expect("a state serialises");
        let _ = filter_value(&full, &masks);
        let old = serde_json::to_value(&current).expect("a state serialises");
        let altered = altered_fields(&old, &full);
        let _ = altered.filtered(&masks, &old, &full);
        let _ = event_paths(&altered);
    }
}

/// The name that first showed the panic, kept as a plain test.
#[test]
fn a_bracketed_workload_name_is_one_segment() {
    let errors = validate_state(&manifest("a[]]")).err().unwrap_or_default();
    let shown: Vec<String> = errors.iter().map(|e| e.path.to_string()).collect();
    assert!(
        shown.contains(&r#"workloads["a[]]"]"#.to_owned()),
        "{shown:?}"
    );
}
