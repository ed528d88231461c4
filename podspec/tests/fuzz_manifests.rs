//! Fuzzing whole manifests as `ank validate` and `ank apply` read them: arbitrary bytes (as the
//! CLI decodes a file), hostile texts, and bombs against both the Kubernetes and the Ankaios
//! reading: 10 000 nested flow and block collections, JSON nesting, unclosed nesting, alias
//! "billion laughs" (also inside a runtimeConfig and the configs), thousands of documents.
//! Nothing panics, bombs end with a finding and in bounded time. (`robustness.rs` covers short
//! texts, YAML-ish noise and mutations of a valid file.)

#[path = "../../model/tests/support/hostile.rs"]
mod hostile;

use std::time::{Duration, Instant};

use podspec::{translate_file, validate_file, Options};
use proptest::prelude::*;

/// Both readings, both modes; every finding located at a real line and column.
fn run_both(text: &str) {
    for strict in [false, true] {
        let options = Options { strict };
        for r in validate_file(text, &options) {
            for f in &r.findings {
                assert!(f.line.is_none_or(|l| l >= 1) && f.column.is_none_or(|c| c >= 1));
            }
        }
        let _ = translate_file(text, &options);
    }
}

/// A bomb is refused (some finding) within a bound that only a hang or a blow-up exceeds on a
/// loaded 2-core debug build (a quiet run takes well under a second).
fn assert_refused_quickly(what: &str, text: &str) {
    let start = Instant::now();
    run_both(text);
    let reports = validate_file(text, &Options::default());
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(20), "{what} took {elapsed:?}");
    assert!(reports.iter().any(|r| !r.is_valid()), "{what} was accepted");
}

const DEPTH: usize = 10_000;

/// Heads that send a document to the Kubernetes and to the Ankaios reading.
const HEADS: [&str; 2] = [
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: ",
    "apiVersion: v1\nworkloads:\n  w:\n    runtime: native\n    agent: a\n    configs: ",
];

proptest! {
    #![proptest_config(hostile::config(64))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in hostile::bytes()) {
        run_both(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn hostile_text_after_each_head_never_panics(text in hostile::text(), head in prop::sample::select(&HEADS[..])) {
        run_both(&format!("{head}{text}"));
        run_both(&format!("{head}\n  {text}: x"));
    }
}

#[test]
fn ten_thousand_nested_collections_are_refused() {
    for head in HEADS {
        let cases = [
            (
                "flow sequences",
                format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
            ),
            (
                "flow mappings",
                format!("{}1{}", "{a: ".repeat(DEPTH), "}".repeat(DEPTH)),
            ),
            (
                "JSON objects",
                format!("{}1{}", "{\"a\": ".repeat(DEPTH), "}".repeat(DEPTH)),
            ),
            ("unclosed", "[{".repeat(DEPTH)),
            // Compact block sequences: `- - - … x`, one level per two bytes.
            ("block sequences", format!("\n  {}x", "- ".repeat(DEPTH))),
        ];
        for (what, bomb) in cases {
            assert_refused_quickly(what, &format!("{head}{bomb}\n"));
        }
    }
    // The same inside a runtimeConfig string, which validation parses again (the hang this
    // suite found: libyaml is quadratic in the flow depth).
    let inner = format!("{}1{}", "{a: ".repeat(DEPTH), "}".repeat(DEPTH));
    assert_refused_quickly(
        "a runtimeConfig",
        &format!("apiVersion: v1\nworkloads:\n  w: {{runtime: podman, agent: a, runtimeConfig: '{inner}'}}\n"),
    );
    // A whole JSON document nested deep.
    let json = format!("{}{}", "{\"kind\": ".repeat(DEPTH), "}".repeat(DEPTH));
    assert_refused_quickly("a JSON document", &json);
}

/// The YAML reader's own repetition limit refuses them: no expansion, no memory blow-up.
fn assert_repetition_refused(what: &str, text: &str) {
    assert_refused_quickly(what, text);
    let refused = validate_file(text, &Options::default())
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| f.message.contains("repetition limit exceeded"));
    assert!(refused, "{what}: not refused by the repetition limit");
}

#[test]
fn billion_laughs_are_refused_in_every_reading() {
    assert_repetition_refused(
        "laughs in a Pod's labels",
        &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n{}spec: {{containers: [{{name: c, image: x}}]}}\n", hostile::laughs("    ")),
    );
    assert_repetition_refused(
        "laughs in the configs",
        &format!(
            "apiVersion: v1\nconfigs:\n{}workloads: {{}}\n",
            hostile::laughs("  ")
        ),
    );
    // The same bomb as the text of a runtimeConfig, which the validation parses again.
    let inner = hostile::laughs("").replace('\n', "\\n");
    assert_repetition_refused(
        "laughs in a runtimeConfig",
        &format!("apiVersion: v1\nworkloads:\n  w: {{runtime: podman, agent: a, runtimeConfig: \"{inner}\"}}\n"),
    );
}

#[test]
fn thousands_of_documents_end_quickly() {
    let start = Instant::now();
    run_both(&"---\n".repeat(DEPTH));
    run_both(&"--- {kind: Pod}\n".repeat(2_000));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}
