//! Fuzzing the model's readings of manifest text: an Ankaios manifest as the server reads its
//! startup manifest (`serde_yaml_ng` into `State`, then `validate_state`), and a runtimeConfig
//! as validation, redaction and scrubbing parse it. Arbitrary and hostile text never panics; a
//! runtimeConfig's secrets never survive redaction; YAML bombs (alias "billion laughs", 10 000
//! nested collections) are refused by the reader's own limits, quickly.

#[path = "support/hostile.rs"]
mod hostile;

use std::time::{Duration, Instant};

use ank_model::redact::{redact_runtime_config, scrub, secret_values, UNPARSABLE};
use ank_model::validate::{check_runtime_config, validate_state, warnings};
use ank_model::yaml::nesting_bomb;
use ank_model::State;
use proptest::prelude::*;

const RUNTIMES: &[&str] = &["native", "podman", "podman-kube", "other"];

/// The server's reading of a startup manifest (`ank-server -m`): what parses is validated.
fn read_manifest(text: &str) -> Result<State, serde_yaml_ng::Error> {
    let state: State = ank_model::yaml::from_str(text)?;
    let _ = validate_state(&state);
    let _ = warnings(&state);
    Ok(state)
}

/// Every reading of a runtimeConfig, for every runtime.
fn read_runtime_config(config: &str) {
    for runtime in RUNTIMES {
        let _ = check_runtime_config(runtime, config);
        let shown = redact_runtime_config(runtime, config);
        let secrets = secret_values(runtime, config);
        for s in secrets.iter().filter(|s| s.len() > 3) {
            assert!(
                !shown.contains(s.as_str()),
                "{runtime}: {s:?} shown in {shown:?}"
            );
        }
        let _ = scrub(config, &secrets);
    }
}

fn within_seconds(what: &str, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    // Only a hang or a blow-up passes this on a loaded 2-core debug build.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{what} took {:?}",
        start.elapsed()
    );
}

/// JSON-like values with hostile strings and keys, at most 5 levels deep.
fn value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        hostile::text().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            // YAML refuses implicit keys over 1 024 characters: not what this checks.
            prop::collection::btree_map(
                hostile::name().prop_filter("short key", |k| k.len() < 1000),
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(hostile::config(128))]

    /// The nesting pre-scan counts only real flow levels: documents of at most 5 levels, block
    /// (YAML) or flow (JSON) style, whatever their strings hold, pass it and read back.
    #[test]
    fn the_nesting_scan_never_refuses_a_shallow_document(v in value()) {
        let yaml = serde_yaml_ng::to_string(&v).expect("serialises as YAML");
        let json = serde_json::to_string(&v).expect("serialises as JSON");
        prop_assert_eq!(nesting_bomb(&json, 6), None, "{}", json);
        prop_assert_eq!(nesting_bomb(&yaml, 6), None, "{}", yaml);
        // (JSON may hold raw C1 controls, which YAML refuses: only the YAML form is read back.)
        let back: Result<serde_yaml_ng::Value, _> = ank_model::yaml::from_str(&yaml);
        prop_assert!(back.is_ok(), "{:?} for {}", back.err(), yaml);
    }

    #[test]
    fn arbitrary_manifests_never_panic(text in hostile::text()) {
        let _ = read_manifest(&text);
    }

    #[test]
    fn hostile_workloads_never_panic(name in hostile::name(), config in hostile::text(), agent in hostile::name()) {
        let text = serde_yaml_ng::to_string(&serde_json::json!({
            "apiVersion": "v1",
            "workloads": {name: {"runtime": "podman", "agent": agent, "runtimeConfig": config}},
        }))
        .expect("a JSON value serialises as YAML");
        prop_assert!(read_manifest(&text).is_ok(), "{text}");
    }

    #[test]
    fn arbitrary_runtime_configs_never_panic(config in hostile::text()) {
        read_runtime_config(&config);
    }

    #[test]
    fn secrets_never_survive_redaction(secret in "[a-zA-Z0-9]{8,20}", noise in hostile::name()) {
        let config = format!("image: x\ncommandOptions: [-e, 'A={secret}', {}]\n", serde_json::to_string(&noise).expect("a string"));
        read_runtime_config(&config);
        let shown = redact_runtime_config("podman", &config);
        prop_assert!(!shown.contains(&secret), "{shown}");
    }
}

#[test]
fn billion_laughs_are_refused() {
    within_seconds("laughs as a manifest", || {
        let text = format!("apiVersion: v1\nconfigs:\n{}", hostile::laughs("  "));
        let err = read_manifest(&text).expect_err("a bomb");
        assert!(
            err.to_string().contains("repetition limit exceeded"),
            "{err}"
        );
    });
    within_seconds("laughs as a runtimeConfig", || {
        let bomb = hostile::laughs("");
        read_runtime_config(&bomb);
        assert_eq!(redact_runtime_config("podman", &bomb), UNPARSABLE);
        assert!(secret_values("podman", &bomb).is_empty());
    });
}

#[test]
fn ten_thousand_nested_collections_are_refused() {
    const DEPTH: usize = 10_000;
    for bomb in [
        format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        format!("{}1{}", "{a: ".repeat(DEPTH), "}".repeat(DEPTH)),
        format!("  {}x", "- ".repeat(DEPTH)),
        "[{".repeat(DEPTH),
    ] {
        within_seconds("a nesting bomb", || {
            let manifest = format!("apiVersion: v1\nconfigs:\n  c: {bomb}\n");
            assert!(read_manifest(&manifest).is_err());
            read_runtime_config(&bomb);
            assert_eq!(redact_runtime_config("podman", &bomb), UNPARSABLE);
        });
    }
}

/// The hang found here: 40 000 nested `{a: ` (200 KB) as a runtimeConfig took libyaml 27 s to
/// refuse in a debug build (quadratic in the flow depth), inside the server's validation. The
/// nesting pre-scan refuses it before parsing.
#[test]
fn a_runtime_config_nesting_bomb_is_refused_before_parsing() {
    let bomb = format!("{}1{}", "{a: ".repeat(40_000), "}".repeat(40_000));
    let mut state = State {
        api_version: "v1".into(),
        ..State::default()
    };
    state.workloads.insert(
        "w".into(),
        ank_model::Workload {
            runtime: "podman".into(),
            agent: "a".into(),
            runtime_config: bomb,
            ..Default::default()
        },
    );
    within_seconds("a runtimeConfig bomb", || {
        let errors = validate_state(&state).expect_err("refused");
        let message = &errors[0].message;
        assert!(
            message.contains("flow nesting is deeper than 256 levels"),
            "{message}"
        );
    });
}
