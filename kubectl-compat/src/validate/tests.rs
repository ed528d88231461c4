//! Formatter tests over hand-built reports, so they pin the output formats independently of
//! what `podspec` finds.

use podspec::{Finding, ResourceReport, Severity};

use super::report::{Explain, FileReport};
use super::{write, Format};

fn finding(
    severity: Severity,
    rule: &'static str,
    path: &str,
    at: Option<(usize, usize)>,
) -> Finding {
    Finding {
        severity,
        rule,
        path: path.to_owned(),
        message: format!("{rule} <&> broken"),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
    }
}

fn resource(document: usize, name: Option<&str>, findings: Vec<Finding>) -> ResourceReport {
    ResourceReport {
        document,
        item: None,
        kind: "Pod".to_owned(),
        api_version: "v1".to_owned(),
        name: name.map(str::to_owned),
        findings,
    }
}

fn sample() -> Vec<FileReport> {
    vec![
        FileReport {
            file: "k8s/pods.yaml".to_owned(),
            resources: vec![
                resource(
                    0,
                    Some("web"),
                    vec![
                        finding(
                            Severity::Error,
                            "duplicate-port",
                            "spec.containers[0].ports[1]",
                            Some((12, 11)),
                        ),
                        finding(
                            Severity::Warning,
                            "runtime-drops-field",
                            "spec.containers[0].readinessProbe",
                            Some((14, 7)),
                        ),
                    ],
                ),
                resource(1, None, vec![]),
            ],
            explain: Explain::NotRequested,
        },
        FileReport {
            file: "<stdin>".to_owned(),
            resources: vec![ResourceReport {
                item: Some(2),
                ..resource(
                    0,
                    Some("x"),
                    vec![finding(Severity::Error, "yaml-syntax", "", None)],
                )
            }],
            explain: Explain::Untranslatable,
        },
    ]
}

fn render(format: Format, reports: &[FileReport]) -> String {
    let mut out = Vec::new();
    write(&mut out, format, reports).expect("writes to a Vec");
    String::from_utf8(out).expect("UTF-8 output")
}

#[test]
fn text_has_one_line_per_finding_and_a_summary() {
    expect_test::expect![[r#"
        k8s/pods.yaml:12:11: error: [doc 0] Pod/web spec.containers[0].ports[1]: duplicate-port <&> broken (duplicate-port)
        k8s/pods.yaml:14:7: warning: [doc 0] Pod/web spec.containers[0].readinessProbe: runtime-drops-field <&> broken (runtime-drops-field)
        <stdin>: error: [doc 0 item 2] Pod/x: yaml-syntax <&> broken (yaml-syntax)
        --- # <stdin>: not translated, it has errors
        3 resources in 2 files: 1 valid, 2 invalid, 2 errors, 1 warnings
    "#]]
    .assert_eq(&render(Format::Text, &sample()));
}

#[test]
fn text_explain_prints_the_translated_manifest() {
    let mut state = ank_model::State::new();
    state.workloads.insert(
        "ticker".to_owned(),
        ank_model::Workload {
            runtime: "native".to_owned(),
            agent: "agent_A".to_owned(),
            ..Default::default()
        },
    );
    let report = FileReport {
        file: "t.yaml".to_owned(),
        resources: vec![resource(0, Some("ticker"), vec![])],
        explain: Explain::Translated(state),
    };
    let text = render(Format::Text, &[report]);
    assert!(
        text.starts_with("--- # t.yaml: Ankaios manifest\napiVersion: v1\nworkloads:\n  ticker:\n"),
        "{text}"
    );
    assert!(text.ends_with("1 resources in 1 files: 1 valid, 0 invalid, 0 errors, 0 warnings\n"));
}

#[test]
fn json_carries_files_resources_findings_and_summary() {
    let value: serde_json::Value =
        serde_json::from_str(&render(Format::Json, &sample())).expect("valid JSON");
    assert_eq!(value["files"][0]["file"], "k8s/pods.yaml");
    assert_eq!(value["files"][0]["valid"], false);
    assert_eq!(value["files"][1]["ankaios"], serde_json::Value::Null);
    let first = &value["resources"][0];
    assert_eq!(first["kind"], "Pod");
    assert_eq!(first["name"], "web");
    assert_eq!(first["valid"], false);
    let f = &first["findings"][0];
    assert_eq!(f["file"], "k8s/pods.yaml");
    assert_eq!(f["document"], 0);
    assert_eq!(f["path"], "spec.containers[0].ports[1]");
    assert_eq!(f["line"], 12);
    assert_eq!(f["column"], 11);
    assert_eq!(f["severity"], "error");
    assert_eq!(f["rule"], "duplicate-port");
    assert_eq!(value["resources"][1]["valid"], true);
    assert_eq!(value["resources"][2]["item"], 2);
    assert_eq!(
        value["summary"],
        serde_json::json!({"files": 2, "resources": 3, "valid": 1, "invalid": 2, "errors": 2, "warnings": 1})
    );
}

#[test]
fn junit_escapes_and_reports_failures_per_resource() {
    let xml = render(Format::Junit, &sample());
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(
        xml.contains(r#"<testsuites name="ank validate" tests="3" failures="2" errors="0">"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testsuite name="k8s/pods.yaml" tests="2" failures="1""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase classname="k8s/pods.yaml" name="[doc 1] Pod"/>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<failure type="duplicate-port""#), "{xml}");
    assert!(
        xml.contains("&lt;&amp;&gt;"),
        "message text must be escaped: {xml}"
    );
    assert!(
        xml.contains("<system-out>k8s/pods.yaml:14:7: warning:"),
        "{xml}"
    );
    assert!(xml.contains(r#"name="&lt;stdin&gt;""#), "{xml}");
}

#[test]
fn sarif_has_rules_levels_and_regions() {
    let value: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &sample())).expect("valid JSON");
    assert_eq!(value["version"], "2.1.0");
    let run = &value["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(
        rules,
        ["duplicate-port", "runtime-drops-field", "yaml-syntax"]
    );
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(results[1]["level"], "warning");
    assert_eq!(results[1]["ruleIndex"], 1);
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "k8s/pods.yaml");
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 12, "startColumn": 11})
    );
    let stdin = &results[2]["locations"][0]["physicalLocation"];
    assert_eq!(stdin["artifactLocation"]["uri"], "stdin");
    assert!(stdin.get("region").is_none(), "no region without a line");
}
