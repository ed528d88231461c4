//! Golden tests of `ank get state` and `ank get events` output. The expected texts are
//! written by hand from `ankaios-samples.md` (Ankaios 1.1's own output for `m.yaml`), with
//! maps in key order: Ankaios prints its hash maps in an arbitrary order, Anchorage sorts.

use ank_model::mask::AlteredFields;
use ank_model::{CompleteState, State};
use expect_test::expect;

use super::*;

/// `m.yaml` of the samples.
const M_YAML: &str = r#"apiVersion: v1
workloads:
  web:
    runtime: podman
    agent: agent_Z
    restartPolicy: ALWAYS
    tags:
      team: demo
    configs:
      port: web_port
    runtimeConfig: |
      image: docker.io/library/nginx:latest
      commandOptions: ["-p", "{{port.value}}:80"]
  job:
    runtime: unknown-runtime
    agent: agent_S
    runtimeConfig: |
      command: echo hi
configs:
  web_port:
    value: "8081"
"#;

const WEB_ID: &str = "edcd226c0026a5a9000f2b121cce739e09322c2722b76fc8aa26e1be10ff2aa5";
const JOB_ID: &str = "2be5b915c978476afa00e925e69aab6042159f6416223b3109a3eb8e3bdf4309";

/// The complete state the server reports for `m.yaml` with `agent_S` connected.
fn sample_state() -> CompleteState {
    let desired: State = serde_yaml_ng::from_str(M_YAML).expect("m.yaml parses");
    let mut effective = desired.clone();
    effective.configs.clear();
    for w in effective.workloads.values_mut() {
        w.configs.clear();
    }
    if let Some(web) = effective.workloads.get_mut("web") {
        web.runtime_config = r#"image: docker.io/library/nginx:latest
commandOptions: ["-p", "8081:80"]"#
            .to_owned();
    }
    let states = serde_json::json!({
        "agent_S": {"job": {JOB_ID: {"additionalInfo": "Unsupported Runtime",
                                     "state": "Pending", "subState": "StartingFailed"}}},
        "agent_Z": {"web": {WEB_ID: {"additionalInfo": "", "state": "Pending",
                                     "subState": "Initial"}}}
    });
    let agents = serde_json::json!({
        "agent_S": {"status": {"cpuUsage": 3, "freeMemory": 24680841216u64}}
    });
    CompleteState {
        desired_state: desired,
        workload_states: serde_json::from_value(states).expect("states"),
        agents: serde_json::from_value(agents).expect("agents"),
        effective_state: Some(effective),
    }
}

fn state_args(masks: &[&str], output: Format) -> StateArgs {
    StateArgs {
        masks: masks.iter().map(|m| m.to_string()).collect(),
        output,
    }
}

#[test]
fn state_json_has_ankaios_shape() {
    let text = render_state(&sample_state(), &state_args(&[], Format::Json)).expect("renders");
    expect![[r#"
        {
          "desiredState": {
            "apiVersion": "v1",
            "workloads": {
              "job": {
                "agent": "agent_S",
                "restartPolicy": "NEVER",
                "runtime": "unknown-runtime",
                "runtimeConfig": "command: echo hi"
              },
              "web": {
                "agent": "agent_Z",
                "restartPolicy": "ALWAYS",
                "tags": {
                  "team": "demo"
                },
                "runtime": "podman",
                "runtimeConfig": "image: docker.io/library/nginx:latest\ncommandOptions: [\"-p\", \"{{port.value}}:80\"]",
                "configs": {
                  "port": "web_port"
                }
              }
            },
            "configs": {
              "web_port": {
                "value": "8081"
              }
            }
          },
          "workloadStates": {
            "agent_S": {
              "job": {
                "2be5b915c978476afa00e925e69aab6042159f6416223b3109a3eb8e3bdf4309": {
                  "additionalInfo": "Unsupported Runtime",
                  "state": "Pending",
                  "subState": "StartingFailed"
                }
              }
            },
            "agent_Z": {
              "web": {
                "edcd226c0026a5a9000f2b121cce739e09322c2722b76fc8aa26e1be10ff2aa5": {
                  "additionalInfo": "",
                  "state": "Pending",
                  "subState": "Initial"
                }
              }
            }
          },
          "agents": {
            "agent_S": {
              "status": {
                "cpuUsage": 3,
                "freeMemory": 24680841216
              }
            }
          },
          "effectiveState": {
            "apiVersion": "v1",
            "workloads": {
              "job": {
                "agent": "agent_S",
                "restartPolicy": "NEVER",
                "runtime": "unknown-runtime",
                "runtimeConfig": "command: echo hi"
              },
              "web": {
                "agent": "agent_Z",
                "restartPolicy": "ALWAYS",
                "tags": {
                  "team": "demo"
                },
                "runtime": "podman",
                "runtimeConfig": "image: docker.io/library/nginx:latest\ncommandOptions: [\"-p\", \"8081:80\"]"
              }
            }
          }
        }
    "#]]
    .assert_eq(&text);
}

#[test]
fn state_yaml_has_ankaios_shape() {
    let text = render_state(&sample_state(), &state_args(&[], Format::Yaml)).expect("renders");
    expect![[r#"
        desiredState:
          apiVersion: v1
          workloads:
            job:
              agent: agent_S
              restartPolicy: NEVER
              runtime: unknown-runtime
              runtimeConfig: 'command: echo hi'
            web:
              agent: agent_Z
              restartPolicy: ALWAYS
              tags:
                team: demo
              runtime: podman
              runtimeConfig: |-
                image: docker.io/library/nginx:latest
                commandOptions: ["-p", "{{port.value}}:80"]
              configs:
                port: web_port
          configs:
            web_port:
              value: '8081'
        workloadStates:
          agent_S:
            job:
              2be5b915c978476afa00e925e69aab6042159f6416223b3109a3eb8e3bdf4309:
                additionalInfo: Unsupported Runtime
                state: Pending
                subState: StartingFailed
          agent_Z:
            web:
              edcd226c0026a5a9000f2b121cce739e09322c2722b76fc8aa26e1be10ff2aa5:
                additionalInfo: ''
                state: Pending
                subState: Initial
        agents:
          agent_S:
            status:
              cpuUsage: 3
              freeMemory: 24680841216
        effectiveState:
          apiVersion: v1
          workloads:
            job:
              agent: agent_S
              restartPolicy: NEVER
              runtime: unknown-runtime
              runtimeConfig: 'command: echo hi'
            web:
              agent: agent_Z
              restartPolicy: ALWAYS
              tags:
                team: demo
              runtime: podman
              runtimeConfig: |-
                image: docker.io/library/nginx:latest
                commandOptions: ["-p", "8081:80"]

    "#]]
    .assert_eq(&text);
}

#[test]
fn wildcard_masks_select_sub_fields_of_every_workload() {
    // The server answers with typed workloads (defaults filled in); the CLI prunes again.
    let state = sample_state();
    let masks = ["desiredState.workloads.*.agent".to_owned()];
    let from_server = ank_model::mask::filter(&state, &masks);
    let text = render_state(
        &from_server,
        &state_args(&["desiredState.workloads.*.agent"], Format::Json),
    )
    .expect("renders");
    expect![[r#"
        {
          "desiredState": {
            "apiVersion": "v1",
            "workloads": {
              "job": {
                "agent": "agent_S"
              },
              "web": {
                "agent": "agent_Z"
              }
            }
          }
        }
    "#]]
    .assert_eq(&text);
}

#[test]
fn the_current_state_event_has_no_field_lists() {
    let event = Event::new(
        "T".into(),
        &sample_state(),
        None,
        &["workloadStates".into()],
    )
    .expect("event");
    assert_eq!(
        event.render(Format::Json).expect("json"),
        format!(
            concat!(
                r#"{{"timestamp":"T","completeState":{{"workloadStates":{{"agent_S":{{"job":{{"{job}":"#,
                r#"{{"additionalInfo":"Unsupported Runtime","state":"Pending","subState":"StartingFailed"}}}}}},"#,
                r#""agent_Z":{{"web":{{"{web}":{{"additionalInfo":"","state":"Pending","subState":"Initial"}}}}}}}}}}}}"#,
                "\n"
            ),
            job = JOB_ID,
            web = WEB_ID
        )
    );
}

/// The sample's events while `m2.yaml` (workload `job2`, runtimeConfig `""`) is applied and
/// deleted, each as the server sends it (the altered parts) and as `ank` prints it.
#[test]
fn events_print_as_one_json_line_each() {
    const ID: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let m2: State = serde_yaml_ng::from_str(
        "apiVersion: v1\nworkloads:\n  job2:\n    runtime: unknown-runtime\n    agent: agent_S\n    runtimeConfig: \"\"\n",
    )
    .expect("m2 parses");
    let added_state = CompleteState {
        desired_state: m2.clone(),
        workload_states: serde_json::from_value(serde_json::json!({"agent_S": {"job2": {ID:
            {"additionalInfo": "", "state": "Pending", "subState": "Initial"}}}}))
        .expect("states"),
        effective_state: Some(m2),
        ..CompleteState::default()
    };
    let added = AlteredFields {
        added: vec![
            "desiredState.workloads.job2".into(),
            "workloadStates.agent_S.job2".into(),
            "effectiveState.workloads.job2".into(),
        ],
        ..AlteredFields::default()
    };
    let line = Event::new(
        "2026-12-01T11:18:43.084086672+00:00".into(),
        &added_state,
        Some(added),
        &[],
    )
    .expect("event")
    .render(Format::Json)
    .expect("json");
    let expected = format!(
        concat!(
            r#"{{"timestamp":"2026-12-01T11:18:43.084086672+00:00","addedFields":["desiredState.workloads.job2","workloadStates.agent_S.job2","effectiveState.workloads.job2"],"#,
            r#""completeState":{{"desiredState":{{"apiVersion":"v1","workloads":{{"job2":{{"agent":"agent_S","restartPolicy":"NEVER","runtime":"unknown-runtime","runtimeConfig":""}}}}}},"#,
            r#""workloadStates":{{"agent_S":{{"job2":{{"{id}":{{"additionalInfo":"","state":"Pending","subState":"Initial"}}}}}}}},"#,
            r#""effectiveState":{{"apiVersion":"v1","workloads":{{"job2":{{"agent":"agent_S","restartPolicy":"NEVER","runtime":"unknown-runtime","runtimeConfig":""}}}}}}}}}}"#,
            "\n"
        ),
        id = ID
    );
    assert_eq!(line, expected);

    // The workload gone from the agent: nothing of the state is left to show.
    let removed = AlteredFields {
        removed: vec!["workloadStates.agent_S.job2".into()],
        ..AlteredFields::default()
    };
    let line = Event::new("T".into(), &CompleteState::default(), Some(removed), &[])
        .expect("event")
        .render(Format::Json)
        .expect("json");
    assert_eq!(
        line,
        "{\"timestamp\":\"T\",\"removedFields\":[\"workloadStates.agent_S.job2\"],\"completeState\":{}}\n"
    );
}

#[test]
fn yaml_events_are_documents() {
    let event = Event::new("T".into(), &sample_state(), None, &["agents".into()]).expect("event");
    expect![[r#"
        ---
        timestamp: T
        completeState:
          agents:
            agent_S:
              status:
                cpuUsage: 3
                freeMemory: 24680841216
    "#]]
    .assert_eq(&event.render(Format::Yaml).expect("yaml"));
}

#[test]
fn timestamps_are_rfc3339_with_nanoseconds_in_utc() {
    let now = timestamp_now();
    let parsed: jiff::Timestamp = now.parse().expect("RFC 3339");
    assert!(now.ends_with("+00:00"), "{now}");
    let fraction = now.split('.').nth(1).unwrap_or_default();
    assert_eq!(fraction.len(), "123456789+00:00".len(), "{now}");
    assert!(parsed.as_second() > 0);
}
