//! `ank validate` end to end: the real binary over `examples/` (all valid) and `tests/invalid/`
//! (one defect each, described by the file's `# expect: [PATH] RULE` header), plus exit codes,
//! stdin, directory recursion and the text, JSON, JUnit and SARIF formats.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

/// The workspace root (this package lives in `tests/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `ank` binary, built once per test run.
///
/// `CARGO_BIN_EXE_ank` only exists inside `kubectl-compat`, so we build the binary with the
/// cargo that runs us (a no-op when it is fresh) and take it from the profile directory that
/// holds this test executable (`target/<profile>/deps/validate-…`).
fn ank() -> &'static Path {
    static ANK: OnceLock<PathBuf> = OnceLock::new();
    ANK.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executable lives in target/<profile>/deps");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args(["build", "--quiet", "-p", "kubectl-compat", "--bin", "ank"])
            .current_dir(root());
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building ank failed");
        let ank = profile_dir.join(format!("ank{}", std::env::consts::EXE_SUFFIX));
        assert!(ank.exists(), "{} missing after the build", ank.display());
        ank
    })
}

/// Runs `ank ARGS` in the workspace root, feeding `stdin`.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(ank())
        .args(args)
        .current_dir(root())
        .env_remove("ANK_SERVER_URL")
        .env_remove("ANK_INSECURE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ank starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    pipe.write_all(stdin.as_bytes()).expect("stdin written");
    drop(pipe);
    child.wait_with_output().expect("ank finishes")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("ank exited normally")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Every `*.yaml`, `*.yml`, `*.json` under `dir`, relative to the root, sorted.
fn manifests(dir: &str) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&root().join(dir), &mut found);
    found.sort();
    found
        .iter()
        .map(|p| {
            p.strip_prefix(root())
                .expect("under the root")
                .display()
                .to_string()
        })
        .collect()
}

/// What an invalid file's header promises.
struct Expectation {
    path: Option<String>,
    rule: String,
    strict: bool,
}

fn expectation(file: &str) -> Expectation {
    let text = std::fs::read_to_string(root().join(file)).expect("readable");
    let mut expect = None;
    let mut strict = false;
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(rest) = line.strip_prefix("# expect:") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            expect = match words.as_slice() {
                [rule] => Some((None, rule.to_string())),
                [path, rule] => Some((Some(path.to_string()), rule.to_string())),
                _ => panic!("{file}: malformed `# expect:` line"),
            };
        } else if line.trim() == "# strict" {
            strict = true;
        }
    }
    let (path, rule) = expect.unwrap_or_else(|| panic!("{file}: no `# expect:` header"));
    Expectation { path, rule, strict }
}

#[test]
fn every_example_is_valid() {
    let files = manifests("examples");
    assert!(
        files
            .iter()
            .filter(|f| f.starts_with("examples/k8s/"))
            .count()
            >= 15
    );
    assert!(
        files
            .iter()
            .filter(|f| f.starts_with("examples/ankaios/"))
            .count()
            >= 3
    );
    let mut failures = Vec::new();
    for file in &files {
        let output = run(&["validate", "-o", "json", "--explain", "-f", file], "");
        let report = json(&output);
        let summary = &report["summary"];
        let translated = report["files"][0]["ankaios"].is_object();
        if code(&output) != 0 || summary["errors"] != 0 || summary["resources"] == 0 || !translated
        {
            failures.push(format!(
                "{file}: exit {}, translated: {translated}, findings: {}",
                code(&output),
                report["resources"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_invalid_manifest_reports_its_defect() {
    let files = manifests("tests/invalid");
    assert!(files.len() >= 40, "only {} invalid manifests", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let expect = expectation(file);
        let mut args = vec!["validate", "-o", "json", "-f", file.as_str()];
        if expect.strict {
            args.push("--strict");
        }
        let output = run(&args, "");
        let report = json(&output);
        let findings: Vec<&Value> = report["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["findings"].as_array().into_iter().flatten())
            .collect();
        let hit = findings.iter().any(|f| {
            f["rule"] == expect.rule.as_str()
                && f["severity"] == "error"
                && expect.path.as_ref().is_none_or(|p| f["path"] == p.as_str())
                && f["line"].as_u64().is_some_and(|l| l >= 1)
        });
        if code(&output) != 1 || !hit {
            let seen: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {} @{}", f["path"], f["rule"], f["line"]))
                .collect();
            failures.push(format!(
                "{file}: exit {}, want {} {}, got [{}]",
                code(&output),
                expect.path.as_deref().unwrap_or("*"),
                expect.rule,
                seen.join(", ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} invalid manifests not judged as expected:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn a_missing_file_exits_2() {
    let output = run(&["validate", "-f", "no/such/file.yaml"], "");
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no/such/file.yaml"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["validate", "--no-such-flag", "-f", "examples"][..],
        &["validate"],
        &["validate", "-o", "xml", "-f", "examples"],
        &["no-such-verb"],
    ] {
        assert_eq!(code(&run(args, "")), 2, "ank {}", args.join(" "));
    }
}

#[test]
fn help_documents_the_exit_codes_and_version_matches() {
    let help = stdout(&run(&["validate", "--help"], ""));
    for needle in [
        "Exit codes",
        "0  every resource is valid",
        "1  at least one",
        "2  usage",
    ] {
        assert!(help.contains(needle), "{needle} missing in\n{help}");
    }
    let version = run(&["--version"], "");
    assert_eq!(code(&version), 0);
    assert_eq!(
        stdout(&version).trim(),
        format!("ank {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn global_options_go_before_or_after_the_verb() {
    let file = "examples/k8s/pod-minimal.yaml";
    for args in [
        &["-k", "-s", "http://127.0.0.1:1", "validate", "-f", file][..],
        &[
            "validate",
            "-f",
            file,
            "-k",
            "--response-timeout",
            "100",
            "-q",
        ],
    ] {
        assert_eq!(code(&run(args, "")), 0, "ank {}", args.join(" "));
    }
}

#[test]
fn stdin_is_read_for_dash() {
    let text = std::fs::read_to_string(root().join("examples/k8s/pod-minimal.yaml"))
        .expect("example readable");
    let output = run(&["validate", "-f", "-"], &text);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let last = stdout(&output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(
        last.starts_with("1 resources in 1 files: 1 valid, 0 invalid, 0 errors"),
        "{last}"
    );

    let bad = run(
        &["validate", "-o", "json", "-f", "-"],
        "kind: Pod\nmetadata: {name: X_}\n",
    );
    assert_eq!(code(&bad), 1);
    assert_eq!(json(&bad)["files"][0]["file"], "<stdin>");
}

/// Files on a podman-kube workload: accepted (as Ankaios does), with a warning naming them.
#[test]
fn files_on_a_podman_kube_workload_warn_and_pass() {
    let manifest = "apiVersion: v1\nworkloads:\n  kube:\n    runtime: podman-kube\n    agent: agent_A\n    runtimeConfig: |\n      manifest: |\n        kind: Pod\n    files:\n      - mountPoint: /etc/app.conf\n        data: x\n";
    let output = run(&["validate", "-f", "-"], manifest);
    let text = stdout(&output);
    assert_eq!(code(&output), 0, "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("<stdin>:9:5: warning: ")
            && l.ends_with("workloads.kube.files: podman-kube workloads cannot mount files: the agent will not start this workload (ankaios-runtime)")),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .is_some_and(|l| l.ends_with("1 valid, 0 invalid, 0 errors, 1 warnings")),
        "{text}"
    );
}

#[test]
fn directories_are_walked_recursively_in_sorted_order() {
    let output = run(&["validate", "-o", "json", "-f", "examples"], "");
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let report = json(&output);
    let files: Vec<String> = report["files"]
        .as_array()
        .expect("files array")
        .iter()
        .map(|f| f["file"].as_str().expect("file name").to_owned())
        .collect();
    assert_eq!(files, manifests("examples"));

    let mixed = run(
        &[
            "validate",
            "-f",
            "examples/k8s",
            "tests/invalid/k8s/duplicate-port.yaml",
        ],
        "",
    );
    assert_eq!(code(&mixed), 1, "one invalid file fails the whole run");
}

#[test]
fn text_lines_and_summary_have_the_documented_format() {
    let file = "tests/invalid/k8s/duplicate-port.yaml";
    let output = run(&["validate", "-f", file], "");
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let finding = lines
        .iter()
        .find(|l| l.ends_with("(duplicate-port)"))
        .unwrap_or_else(|| panic!("no duplicate-port line in\n{text}"));
    let (location, rest) = finding
        .split_once(": error: ")
        .unwrap_or_else(|| panic!("not `FILE:LINE:COL: error: …`: {finding}"));
    let parts: Vec<&str> = location.split(':').collect();
    assert_eq!(parts[0], file);
    assert!(parts[1].parse::<usize>().is_ok_and(|l| l >= 1), "{finding}");
    assert!(parts[2].parse::<usize>().is_ok_and(|c| c >= 1), "{finding}");
    assert!(
        rest.starts_with("[doc 0] Pod/demo spec.containers[0].ports[1]"),
        "{finding}"
    );
    let summary = lines.last().expect("a summary line");
    let errors = lines.iter().filter(|l| l.contains(": error: ")).count();
    let warnings = lines.iter().filter(|l| l.contains(": warning: ")).count();
    assert_eq!(
        *summary,
        format!("1 resources in 1 files: 0 valid, 1 invalid, {errors} errors, {warnings} warnings")
    );
}

#[test]
fn sarif_output_locates_the_finding() {
    let file = "tests/invalid/k8s/bad-env-name.yaml";
    let output = run(&["validate", "-o", "sarif", "-f", file], "");
    assert_eq!(code(&output), 1);
    let sarif = json(&output);
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("sarif")));
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "ank");
    let result = run0["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "env-name")
        .unwrap_or_else(|| panic!("no env-name result in {}", run0["results"]));
    assert_eq!(result["level"], "error");
    assert!(result["message"]["text"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], file);
    assert!(location["region"]["startLine"]
        .as_u64()
        .is_some_and(|l| l >= 1));
    assert!(location["region"]["startColumn"]
        .as_u64()
        .is_some_and(|c| c >= 1));
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|r| r["id"] == "env-name"));
}

#[test]
fn junit_output_is_well_formed_xml_with_a_failure() {
    use quick_xml::events::Event;

    let output = run(
        &[
            "validate",
            "-o",
            "junit",
            "-f",
            "examples/k8s/pod-minimal.yaml",
            "tests/invalid/k8s/duplicate-container.yaml",
        ],
        "",
    );
    assert_eq!(code(&output), 1);
    let xml = stdout(&output);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures, mut depth) = (0, 0, Vec::new(), 0i32);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                depth += 1;
                match e.name().as_ref() {
                    b"testsuite" => suites += 1,
                    b"testcase" => cases += 1,
                    b"failure" => failures.push(
                        e.try_get_attribute("type")
                            .ok()
                            .flatten()
                            .map(|a| String::from_utf8_lossy(&a.value).into_owned()),
                    ),
                    _ => {}
                }
            }
            Ok(Event::Empty(e)) if e.name().as_ref() == b"testcase" => cases += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!("invalid XML at {}: {e}\n{xml}", reader.error_position()),
        }
    }
    assert_eq!(depth, 0, "unbalanced XML");
    assert_eq!(suites, 2);
    assert_eq!(cases, 2);
    assert_eq!(failures, [Some("duplicate-container".to_owned())]);
}

#[test]
fn explain_prints_the_ankaios_manifest() {
    let output = run(
        &[
            "validate",
            "--explain",
            "-f",
            "examples/k8s/native-ticker.yaml",
        ],
        "",
    );
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let text = stdout(&output);
    let start = text.find("--- #").expect("an explain document");
    let yaml = &text[start..text.rfind('\n').unwrap_or(text.len())];
    let yaml = &yaml[..yaml.rfind('\n').unwrap_or(yaml.len())];
    let state: Value = serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{e}:\n{yaml}"));
    assert_eq!(state["apiVersion"], "v1");
    let workloads = state["workloads"].as_object().expect("workloads");
    assert!(
        workloads.values().any(|w| w["runtime"] == "native"),
        "{yaml}"
    );
}

/// A name that looks like path syntax once made both verbs panic (exit 101): the finding
/// paths were built as text and parsed back. Now it is an ordinary finding, located.
#[test]
fn a_bracketed_workload_name_is_a_finding_for_validate_and_apply() {
    let manifest = "apiVersion: v1\nworkloads:\n  \"a[]]\":\n    runtime: native\n    agent: a\n    runtimeConfig: \"command: [sleep, '1']\"\n";
    let want = r#"<stdin>:3:3: error: "#;
    for args in [
        &["validate", "-f", "-"][..],
        &["apply", "--dry-run=client", "-f", "-"][..],
    ] {
        let output = run(args, manifest);
        let all = format!(
            "{}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(code(&output), 1, "{args:?}: {all}");
        assert!(
            all.lines().any(|l| l.starts_with(want)
                && l.contains(r#"workloads["a[]]"]: invalid workload name 'a[]]'"#)),
            "{args:?}: {all}"
        );
    }
}

/// Runs `ank ARGS` with a deadline, so a regression (an endless walk, an unbounded read)
/// fails the test instead of hanging it.
fn run_within(args: &[&str], limit: std::time::Duration) -> Output {
    let mut child = Command::new(ank())
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ank starts");
    let start = std::time::Instant::now();
    // The outputs here are small, so polling before reading the pipes cannot block ank.
    while child.try_wait().expect("ank waits").is_none() {
        if start.elapsed() > limit {
            child.kill().expect("ank killed");
            child.wait().expect("ank reaped");
            panic!("ank {} still running after {limit:?}", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("ank finishes")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_symlink_loop_ends_and_each_file_counts_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a");
    std::fs::create_dir(&a).expect("mkdir");
    let pod =
        std::fs::read_to_string(root().join("examples/k8s/pod-minimal.yaml")).expect("example");
    std::fs::write(a.join("pod.yaml"), pod).expect("write");
    std::os::unix::fs::symlink("..", a.join("loop")).expect("symlink");
    let path = dir.path().to_str().expect("utf-8 temp path");
    let output = run_within(
        &["validate", "-o", "json", "-f", path],
        std::time::Duration::from_secs(10),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["summary"]["files"], 1, "{report}");
    assert!(stderr(&output).contains("loop"), "{}", stderr(&output));
}

#[test]
fn dev_zero_stops_at_the_cap_with_exit_2() {
    let output = run_within(
        &["validate", "-f", "/dev/zero"],
        std::time::Duration::from_secs(10),
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("/dev/zero") && err.contains("16 MiB"), "{err}");
}

#[test]
fn empty_inputs_are_no_resources_and_fail_only_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("empty.yaml");
    std::fs::write(&file, "").expect("write");
    let empty_dir = dir.path().join("none");
    std::fs::create_dir(&empty_dir).expect("mkdir");
    for path in [&file, &empty_dir] {
        let path = path.to_str().expect("utf-8 temp path");
        let output = run(&["validate", "-f", path], "");
        assert_eq!(code(&output), 0, "{path}: {}", stderr(&output));
        assert!(stderr(&output).contains("no resources found"), "{path}");
        let strict = run(&["validate", "--fail-on-empty", "-f", path], "");
        assert_eq!(code(&strict), 1, "{path}: {}", stderr(&strict));
        assert!(stderr(&strict).contains("no resources found"), "{path}");
    }
    let valid = run(&["validate", "--fail-on-empty", "-f", "examples/k8s"], "");
    assert_eq!(
        code(&valid),
        0,
        "resources found: --fail-on-empty changes nothing"
    );
}
