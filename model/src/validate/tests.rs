//! One `check()` helper: a manifest goes in, the broken rules come out as `path: message` lines.

use super::*;

fn check(yaml: &str) -> Vec<String> {
    let state: State = serde_yaml_ng::from_str(yaml).expect("test manifest parses");
    match validate_state(&state) {
        Ok(()) => vec![],
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn assert_one(yaml: &str, path: &str, needle: &str) {
    let errors = check(yaml);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{path}: ")) && e.contains(needle)),
        "expected `{path}: …{needle}…` in {errors:#?}"
    );
}

#[test]
fn a_valid_manifest_passes() {
    let yaml = r#"apiVersion: v1
workloads:
  web:
    runtime: podman
    agent: "{{node.name}}"
    configs: {node: nodes, port: ports}
    dependencies: {db: ADD_COND_RUNNING}
    runtimeConfig: "image: nginx\ncommandOptions: ['-p', '{{port.web}}:80']"
    files: [{mountPoint: /etc/x, data: "{{port.web}}"}]
  db:
    runtime: native
    agent: agent_A
    runtimeConfig: "command: [sleep, '30']"
configs:
  nodes: {name: agent_A}
  ports: {web: "8080"}
"#;
    assert_eq!(check(yaml), Vec::<String>::new());
}

#[test]
fn api_version_must_be_known() {
    assert_one(
        "apiVersion: v2\n",
        "apiVersion",
        "unsupported apiVersion 'v2'",
    );
    assert_one("workloads: {}\n", "apiVersion", "missing");
    assert_eq!(check("apiVersion: v0.1\n"), Vec::<String>::new());
}

#[test]
fn workload_names_are_checked() {
    assert_one(
        "apiVersion: v1\nworkloads:\n  bad.name: {}\n",
        // A dot in a name is shown bracketed, so the path cannot be misread as two keys.
        "workloads[bad.name]",
        "invalid workload name",
    );
    let long = "a".repeat(64);
    assert_one(
        &format!("apiVersion: v1\nworkloads:\n  {long}: {{}}\n"),
        &format!("workloads.{long}"),
        "maximum is 63",
    );
    assert_eq!(
        check(&format!(
            "apiVersion: v1\nworkloads:\n  {}: {{}}\n",
            "a".repeat(63)
        )),
        Vec::<String>::new()
    );
}

#[test]
fn agent_names_are_checked_after_rendering() {
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {agent: 'no way'}\n",
        "workloads.a.agent",
        "invalid agent name 'no way'",
    );
}

#[test]
fn config_keys_and_aliases_are_checked() {
    assert_one(
        "apiVersion: v1\nconfigs:\n  'bad key': x\n",
        "configs[bad key]",
        "invalid config key",
    );
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {configs: {p: missing}}\n",
        "workloads.a.configs.p",
        "config key 'missing', which does not exist",
    );
}

#[test]
fn missing_template_reference_is_reported() {
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {configs: {p: c}, runtimeConfig: '{{p.nope}}'}\nconfigs: {c: {x: y}}\n",
        "workloads.a.runtimeConfig",
        "'p.nope'",
    );
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {configs: {p: c}, files: [{mountPoint: /f, data: '{{q}}'}]}\nconfigs: {c: x}\n",
        "workloads.a.files[0].data",
        "'q'",
    );
}

#[test]
fn cycles_are_reported_with_their_path() {
    let yaml = "apiVersion: v1\nworkloads:\n  a: {dependencies: {b: ADD_COND_RUNNING}}\n  b: {dependencies: {c: ADD_COND_RUNNING}}\n  c: {dependencies: {a: ADD_COND_SUCCEEDED}}\n";
    let errors = check(yaml);
    assert_eq!(
        errors,
        vec!["workloads.c.dependencies: cyclic dependency: a -> b -> c -> a"]
    );
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {dependencies: {a: ADD_COND_RUNNING}}\n",
        "workloads.a.dependencies",
        "a -> a",
    );
}

#[test]
fn a_dependency_on_an_absent_workload_is_not_a_cycle() {
    assert_eq!(
        check("apiVersion: v1\nworkloads:\n  a: {dependencies: {later: ADD_COND_RUNNING}}\n"),
        Vec::<String>::new()
    );
}

#[test]
fn runtime_config_is_parsed_for_known_runtimes() {
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {runtime: podman, runtimeConfig: 'imag: x'}\n",
        "workloads.a.runtimeConfig",
        "invalid podman runtimeConfig",
    );
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {runtime: native, runtimeConfig: 'command: []'}\n",
        "workloads.a.runtimeConfig",
        "command must not be empty",
    );
    assert_eq!(
        check(
            "apiVersion: v1\nworkloads:\n  a: {runtime: unknown-rt, runtimeConfig: 'anything'}\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn files_are_checked() {
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {runtime: native, runtimeConfig: 'command: [x]', files: [{mountPoint: /x, data: y}]}\n",
        "workloads.a.files",
        "cannot mount files",
    );
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {files: [{mountPoint: rel, data: y}]}\n",
        "workloads.a.files[0].mountPoint",
        "not an absolute path",
    );
    assert_one(
        "apiVersion: v1\nworkloads:\n  a: {files: [{mountPoint: /x}]}\n",
        "workloads.a.files[0]",
        "exactly one of data and binaryData",
    );
}

/// Ankaios accepts files on a podman-kube workload (its agent refuses to start it): accepted,
/// with a warning for `ank validate`. Files on other runtimes give no warning.
#[test]
fn files_on_podman_kube_are_accepted_with_a_warning() {
    let yaml = "apiVersion: v1\nworkloads:\n  k: {runtime: podman-kube, runtimeConfig: 'manifest: x', files: [{mountPoint: /x, data: y}]}\n  p: {runtime: podman, runtimeConfig: 'image: x', files: [{mountPoint: /x, data: y}]}\n  e: {runtime: podman-kube, runtimeConfig: 'manifest: x'}\n";
    assert_eq!(check(yaml), Vec::<String>::new());
    let state: State = serde_yaml_ng::from_str(yaml).expect("test manifest parses");
    let found: Vec<String> = warnings(&state).iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        ["workloads.k.files: podman-kube workloads cannot mount files: the agent will not start this workload"]
    );
}

#[test]
fn access_rules_are_checked() {
    let rule = |r: &str| {
        format!("apiVersion: v1\nworkloads:\n  a:\n    controlInterfaceAccess:\n      allowRules: [{r}]\n")
    };
    assert_one(
        &rule("{type: StateRule, operation: Read, filterMasks: ['']}"),
        "workloads.a.controlInterfaceAccess.allowRules[0].filterMasks[0]",
        "empty filter masks",
    );
    assert_one(
        &rule("{type: StateRule, operation: Read, filterMasks: ['a..b']}"),
        "workloads.a.controlInterfaceAccess.allowRules[0].filterMasks[0]",
        "invalid filter mask",
    );
    assert_one(
        &rule("{type: LogRule, workloadNames: ['a*b*']}"),
        "workloads.a.controlInterfaceAccess.allowRules[0].workloadNames[0]",
        "at most one '*'",
    );
    assert_eq!(
        check(&rule(
            "{type: LogRule, workloadNames: ['*', 'web_*', 'db']}"
        )),
        Vec::<String>::new()
    );
    assert_eq!(check(&rule("{type: StateRule, operation: ReadWrite, filterMasks: ['desiredState.workloads.*', '*']}")), Vec::<String>::new());
}

#[test]
fn all_errors_are_reported_not_just_the_first() {
    let errors = check("apiVersion: v9\nworkloads:\n  'x y': {}\n  b: {configs: {p: none}}\n");
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn names_and_filter_masks_have_their_alphabet() {
    use super::{is_filter_mask, is_name};
    assert!(is_name("web_1-a"));
    for bad in ["", "a.b", "a b", "ä", "a/b"] {
        assert!(!is_name(bad), "{bad:?}");
    }
    for good in ["*", "desiredState", "desiredState.workloads.*", "a.*.b"] {
        assert!(is_filter_mask(good), "{good:?}");
    }
    for bad in ["", ".", "a.", ".a", "a..b", "a.b c", "a.**"] {
        assert!(!is_filter_mask(bad), "{bad:?}");
    }
}
