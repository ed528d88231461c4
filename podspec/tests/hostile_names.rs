//! Hostile names inside otherwise valid manifests: workload, config, alias and dependency names
//! of an Ankaios manifest, and a Pod's name, container name and labels, drawn with brackets,
//! dots, quotes, control characters, non-ASCII, the empty string and 10 000 characters. Checked
//! as YAML and as JSON: `validate_file` and `translate_file` never panic, and every finding's path names the odd
//! item (its segments, shown as the model shows them) and is located. Failing cases persist in
//! `proptest-regressions/`, which is committed.

use ank_model::field_path::FieldPath;
use podspec::{translate_file, validate_file, Options, ResourceReport};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Names mixing path syntax, quoting, control and non-ASCII characters, plus the extremes.
fn name() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a", "Z", "0", "-", "_", ".", "[", "]", "[0]", "\"", "'", "\\", " ", "\t", "\n", "\r",
        "\u{0}", "\u{7}", "\u{1b}", "\u{7f}", "\u{85}", "é", "日本", "🦀", "\u{200b}", "\u{feff}",
        "*", "{{", "}}", ":", "#", "&a", "- ", "---", "~",
    ]);
    prop_oneof![
        8 => prop::collection::vec(piece, 0..12).prop_map(|p| p.concat()),
        1 => Just(String::new()),
        1 => Just("a[]]".to_owned()),
        1 => "[a-z]{1,3}".prop_map(|s| s.repeat(10_000).chars().take(10_000).collect()),
    ]
}

/// The manifest as YAML (serde_yaml_ng quotes and escapes what needs it) and as JSON.
fn texts(doc: &Value) -> [String; 2] {
    [
        serde_yaml_ng::to_string(doc).expect("a JSON value serialises as YAML"),
        ascii_json(&serde_json::to_string_pretty(doc).expect("a JSON value serialises")),
    ]
}

/// JSON with every non-ASCII character of the basic plane escaped: YAML parsers take a raw NEL (U+0085) for a line
/// break and refuse a BOM inside a scalar, where JSON allows both.
fn ascii_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // Astral characters stay raw: YAML reads no surrogate pairs (a gap of its own).
        if c.is_ascii() || u32::from(c) > 0xffff {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        }
    }
    out
}

/// YAML refuses implicit keys over 1 024 characters (JSON's included): a located syntax error.
const YAML_KEY_LIMIT: usize = 1024;

/// The start of `text`, enough to recognise a failing case without drowning the report.
fn head(text: &str) -> String {
    text.chars().take(400).collect()
}

/// Every finding is located and its path starts with one of `odd` (the paths naming the item);
/// with a name too long for a YAML key, a syntax error is the expected finding.
fn assert_named(reports: &[ResourceReport], odd: &[String], long: bool, text: &str) {
    for f in reports.iter().flat_map(|r| &r.findings) {
        let named = odd.iter().any(|p| f.path.starts_with(p.as_str()))
            || (long && f.rule == podspec::rules::YAML_SYNTAX);
        assert!(
            named,
            "finding {:?} at {} does not name any of {:?} in\n{}",
            head(&f.message),
            head(&f.path),
            odd.iter().map(|p| head(p)).collect::<Vec<_>>(),
            head(text)
        );
        assert!(
            f.line.is_some(),
            "finding {:?} is not located in\n{}",
            head(&f.path),
            head(text)
        );
        // One line per finding: a name's control characters are escaped in the message.
        assert!(
            !f.message.contains(char::is_control),
            "{:?}",
            head(&f.message)
        );
    }
}

fn check(doc: &Value, name: &str, odd: &[FieldPath]) {
    let odd: Vec<String> = odd.iter().map(ToString::to_string).collect();
    let long = name.chars().count() > YAML_KEY_LIMIT;
    for text in texts(doc) {
        for strict in [false, true] {
            let options = Options { strict };
            assert_named(&validate_file(&text, &options), &odd, long, &text);
            // `ank apply`'s core: it may refuse, it must not panic.
            let _ = translate_file(&text, &options);
        }
    }
}

fn workload() -> Value {
    json!({"runtime": "native", "agent": "a", "runtimeConfig": "command: [sleep, '1']"})
}

fn at(segments: &[&str]) -> FieldPath {
    segments.iter().fold(FieldPath::root(), |p, s| p.key(*s))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn ankaios_workload_names(n in name()) {
        let doc = json!({"apiVersion": "v1", "workloads": {n.clone(): workload()}});
        check(&doc, &n, &[at(&["workloads", &n])]);
    }

    #[test]
    fn ankaios_config_keys_aliases_and_dependencies(n in name()) {
        let mut w = workload();
        w["configs"] = json!({n.clone(): "c"});
        w["dependencies"] = json!({n.clone(): "ADD_COND_RUNNING"});
        let doc = json!({"apiVersion": "v1", "configs": {"c": "v", n.clone(): "v"}, "workloads": {"w": w}});
        check(&doc, &n, &[
            at(&["configs", &n]),
            at(&["workloads", "w", "configs", &n]),
            at(&["workloads", "w", "dependencies", &n]),
        ]);
    }

    #[test]
    fn pod_names_container_names_and_labels(n in name()) {
        let doc = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": n.clone(), "labels": {n.clone(): n.clone()}},
            "spec": {"containers": [{"name": n.clone(), "image": "nginx:1.27"}]},
        });
        check(&doc, &n, &[
            at(&["metadata", "name"]),
            at(&["metadata", "labels", &n]),
            at(&["spec", "containers"]).index(0).key("name"),
        ]);
    }
}

/// The name that first showed the panic, kept as a plain test.
#[test]
fn a_bracketed_workload_name_is_named_and_located() {
    let doc = json!({"apiVersion": "v1", "workloads": {"a[]]": workload()}});
    for text in texts(&doc) {
        let reports = validate_file(&text, &Options::default());
        let paths: Vec<&str> = reports
            .iter()
            .flat_map(|r| &r.findings)
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(paths, [r#"workloads["a[]]"]"#], "{text}");
    }
}
