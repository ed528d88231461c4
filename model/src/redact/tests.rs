//! Unit tests and proptests of runtimeConfig redaction.

use proptest::prelude::*;
use serde_yaml_ng::Value;

use super::*;
use crate::runtime_config::{NativeConfig, PodmanConfig, PodmanKubeConfig};

const KUBE: &str = "\
apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {password: c2VjcmV0MQ==}
stringData: {token: secret2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {mode: visible}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers: [{name: i, image: x, env: [{name: INIT, value: secret3}]}]
  containers:
  - name: a
    image: x
    env:
    - {name: API_KEY, value: secret4}
    - name: FROM
      valueFrom: {secretKeyRef: {name: creds, key: token}}
";

/// A `podman-kube` runtimeConfig of `manifest`.
fn kube_config(manifest: &str) -> String {
    serde_yaml_ng::to_string(&PodmanKubeConfig {
        manifest: manifest.into(),
        ..PodmanKubeConfig::default()
    })
    .expect("serializes")
}

#[test]
fn native_env_values_are_redacted_names_kept() {
    let out = redact_runtime_config(NATIVE, "command: [sh]\nenv: {DB_PASS: hunter2, X: y}\n");
    let cfg: NativeConfig = serde_yaml_ng::from_str(&out).expect("still a native config");
    assert_eq!(cfg.command, ["sh"]);
    assert_eq!(cfg.env["DB_PASS"], REDACTED);
    assert_eq!(cfg.env["X"], REDACTED);
    assert!(!out.contains("hunter2"), "{out}");
}

#[test]
fn podman_env_options_are_redacted_in_every_spelling() {
    let config = "image: x\ncommandOptions: [-e, A=s1, --env, B=s2, --env=C=s3, -eD=s4, -e=E=s5, \
                  -it, -ite, F=s6, -p, '8080:80', -e, HOST_VAR]\ncommandArgs: [K=keep]\n";
    let out = redact_runtime_config(PODMAN, config);
    let cfg: PodmanConfig = serde_yaml_ng::from_str(&out).expect("still a podman config");
    assert_eq!(
        cfg.command_options.join(" "),
        "-e A=<redacted> --env B=<redacted> --env=C=<redacted> -eD=<redacted> -e=E=<redacted> \
         -it -ite F=<redacted> -p 8080:80 -e HOST_VAR"
    );
    assert_eq!(cfg.command_args, ["K=keep"], "commandArgs are not env");
}

#[test]
fn podman_kube_secrets_and_env_values_are_redacted_config_maps_kept() {
    let config = serde_yaml_ng::to_string(&PodmanKubeConfig {
        manifest: KUBE.into(),
        play_options: vec!["--build=false".into()],
        ..PodmanKubeConfig::default()
    })
    .expect("serializes");
    let out = redact_runtime_config(PODMAN_KUBE, &config);
    let cfg: PodmanKubeConfig = serde_yaml_ng::from_str(&out).expect("still a kube config");
    for secret in ["c2VjcmV0MQ", "secret2", "secret3", "secret4"] {
        assert!(!out.contains(secret), "{secret} in\n{out}");
    }
    for kept in [
        "password",
        "token",
        "visible",
        "API_KEY",
        "INIT",
        "secretKeyRef",
    ] {
        assert!(
            cfg.manifest.contains(kept),
            "{kept} missing in\n{}",
            cfg.manifest
        );
    }
    assert_eq!(cfg.play_options, ["--build=false"]);
    assert_eq!(
        serde_yaml_ng::Deserializer::from_str(&cfg.manifest).count(),
        3
    );
}

#[test]
fn kube_keys_match_regardless_of_case_and_tags() {
    let manifest = "Kind: !x secret\nData: {a: s1}\nSTRINGDATA: !y {b: s2}\n---\n\
                    kind: Pod\nspec: {containers: [{name: c, Env: !z [{name: N, VALUE: s3}]}]}\n";
    let config = kube_config(manifest);
    let mut found = secret_values(PODMAN_KUBE, &config);
    found.sort();
    assert_eq!(found, ["s1", "s2", "s3"]);
}

#[test]
fn what_does_not_parse_or_is_unknown_is_redacted_whole() {
    assert_eq!(
        redact_runtime_config(NATIVE, "env: {A: [secret"),
        UNPARSABLE
    );
    assert_eq!(
        redact_runtime_config("other", "env: {A: b}"),
        UNKNOWN_RUNTIME
    );
    assert_eq!(redact_runtime_config(NATIVE, "just secret"), "<redacted>\n");
    let kube = "manifest: \"kind: Secret\\ndata: {a: [secret\"\n";
    let out = redact_runtime_config(PODMAN_KUBE, kube);
    assert!(
        out.contains(UNPARSABLE_MANIFEST) && !out.contains("secret\""),
        "{out}"
    );
    assert_eq!(redact_runtime_config(PODMAN, "  \n"), "");
}

#[test]
fn schema_errors_quote_no_secret() {
    let err = parse_runtime_config::<NativeConfig>(NATIVE, "command: [a]\nenv: 'K=secret'\n")
        .expect_err("env is no map");
    assert!(
        err.contains("invalid type") && !err.contains("secret"),
        "{err}"
    );
    let err = parse_runtime_config::<NativeConfig>(NATIVE, "command: [a]\nenv: {K: [secret]}\n")
        .expect_err("env value is no string");
    assert!(!err.contains("secret\"") && err.contains("line 2"), "{err}");
    let err = parse_runtime_config::<PodmanConfig>(PODMAN, "image: x\ncommandOption: []\n")
        .expect_err("typo");
    assert!(err.contains("commandOption"), "{err}");
    assert!(parse_runtime_config::<PodmanConfig>(PODMAN, "image: x\n").is_ok());
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for runtime in [NATIVE, PODMAN, PODMAN_KUBE] {
        assert_eq!(redact_runtime_config(runtime, &deep), UNPARSABLE);
    }
    for manifest in [
        format!("a: {}", "[".repeat(10_000)),
        format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!(
            "kind: Secret\ndata: {}1{}",
            "{a: ".repeat(120),
            "}".repeat(120)
        ),
    ] {
        let config = kube_config(&manifest);
        let out = redact_runtime_config(PODMAN_KUBE, &config);
        assert!(out.len() < 10_000 && !out.contains(": 1"), "{out}");
    }
}

#[test]
fn secret_values_are_what_redaction_hides() {
    let mut found = secret_values(NATIVE, "command: [sh]\nenv: {A: s1, B: 2, C: [s3, true]}\n");
    found.sort();
    assert_eq!(found, ["2", "s1", "s3", "true"]);
    let kube = kube_config(KUBE);
    let mut found = secret_values(PODMAN_KUBE, &kube);
    found.sort();
    assert_eq!(found, ["c2VjcmV0MQ==", "secret2", "secret3", "secret4"]);
    assert!(secret_values(NATIVE, "env: [").is_empty());
}

#[test]
fn podman_args_show_env_names_only() {
    let args: Vec<String> = [
        "run",
        "-e",
        "A=s1",
        "--env=B=s2",
        "-ieC=s3",
        "--name",
        "n",
        "img",
        "X=y",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        redact_podman_args(&args).join(" "),
        "run -e A=<redacted> --env=B=<redacted> -ieC=<redacted> --name n img X=y"
    );
    assert_eq!(podman_env_values(&args), ["s1", "s2", "s3"]);
}

#[test]
fn scrub_replaces_every_occurrence_longest_first() {
    let text = "Error: invalid env \"K=ab\": abc ab é";
    assert_eq!(
        scrub(text, &["ab", "abc", ""]),
        "Error: invalid env \"K=<redacted>\": <redacted> <redacted> é"
    );
    assert_eq!(scrub("no secrets", &[] as &[&str]), "no secrets");
}

/// Hostile strings: brackets, quotes, control characters, non-ASCII, empty, 10 000 chars.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\[\\]{}\"'\\\\:#&*!|>%@`, -]{0,40}",
        "[\\x00-\\x1f\\x7f]{0,20}",
        "\\PC{0,40}",
        Just(String::new()),
        "[a-z\\[\"]{10000}",
    ]
}

/// Every value a secret may sit in, planted with a prefix that can be searched for.
const PLANT: &str = "PLANTEDSECRET";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn redaction_never_panics(text in hostile(), runtime in "native|podman|podman-kube|x") {
        let _ = redact_runtime_config(&runtime, &text);
        let _ = parse_runtime_config::<NativeConfig>(&runtime, &text);
    }

    #[test]
    fn planted_secrets_never_come_out(secret in hostile(), name in "[A-Z_]{1,8}") {
        let secret = format!("{PLANT}{secret}");
        let native = NativeConfig {
            command: vec!["sh".into()],
            env: [(name.clone(), secret.clone())].into(),
            ..NativeConfig::default()
        };
        let podman = PodmanConfig {
            image: "x".into(),
            command_options: vec![
                "-e".into(), format!("{name}={secret}"), format!("--env={name}={secret}"),
                format!("-e{name}={secret}"), "--env".into(), format!("{name}={secret}"),
            ],
            ..PodmanConfig::default()
        };
        let mut secret_doc = serde_yaml_ng::Mapping::new();
        secret_doc.insert("kind".into(), "Secret".into());
        let data: serde_yaml_ng::Mapping = [(Value::from(name.clone()), Value::from(secret.clone()))].into_iter().collect();
        secret_doc.insert("data".into(), Value::Mapping(data.clone()));
        secret_doc.insert("stringData".into(), Value::Mapping(data));
        let pod = serde_yaml_ng::from_str::<Value>(
            "kind: Pod\nspec: {containers: [{name: a, env: [{name: N, value: V}]}]}",
        ).map(|mut pod| {
            pod["spec"]["containers"][0]["env"][0]["value"] = Value::from(secret.clone());
            pod
        }).expect("pod parses");
        let manifest = [secret_doc.into(), pod]
            .iter()
            .map(|d: &Value| serde_yaml_ng::to_string(d).expect("serializes"))
            .collect::<Vec<_>>()
            .join("---\n");
        let kube = PodmanKubeConfig { manifest, ..PodmanKubeConfig::default() };
        for (runtime, text) in [
            (NATIVE, serde_yaml_ng::to_string(&native)),
            (PODMAN, serde_yaml_ng::to_string(&podman)),
            (PODMAN_KUBE, serde_yaml_ng::to_string(&kube)),
        ] {
            let text = text.expect("serializes");
            prop_assert!(text.contains(PLANT));
            let out = redact_runtime_config(runtime, &text);
            prop_assert!(!out.contains(PLANT), "{runtime}: {out}");
            prop_assert!(out.contains(&name), "{runtime}: names stay: {out}");
            let echoed = format!("Error: {text} {secret}");
            let scrubbed = scrub(&echoed, &secret_values(runtime, &text));
            prop_assert!(!scrubbed.contains(&secret), "{runtime}: {scrubbed}");
            let changed = text.replace(PLANT, "PLANTEDCHANGED");
            let (old, new) = redact_pair((runtime, &text), (runtime, &changed));
            prop_assert!(!old.contains("PLANTED") && !new.contains("PLANTED"), "{old}{new}");
            prop_assert!(old != new, "{runtime}: the change shows: {new}");
        }
    }
}
