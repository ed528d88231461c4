//! Round trips of the state, its parts and execution states through prost.

use super::*;

#[test]
fn every_execution_state_survives_the_wire() {
    for state in ExecState::ALL {
        let original = ExecutionState::with_info(state, "info");
        let wire: pb::ExecutionState = original.clone().into();
        assert_eq!(ExecutionState::try_from(wire), Ok(original));
    }
}

#[test]
fn a_full_state_survives_the_wire() {
    let yaml = r#"apiVersion: v1
workloads:
  a:
    agent: agent_A
    runtime: native
    restartPolicy: ON_FAILURE
    tags: {x: y}
    dependencies: {b: ADD_COND_SUCCEEDED}
    configs: {c: cfg}
    files: [{mountPoint: /a, data: x}, {mountPoint: /b, binaryData: eA==}]
    controlInterfaceAccess:
      allowRules: [{type: StateRule, operation: ReadWrite, filterMasks: [a.b]}]
      denyRules: [{type: LogRule, workloadNames: [z]}]
    runtimeConfig: "command: [true]"
    nodeSelector: {zone: front}
configs:
  cfg: {k: [v, {w: x}]}
"#;
    let state: State = serde_yaml_ng::from_str(yaml).expect("parses");
    let wire: pb::State = state.clone().into();
    assert_eq!(State::try_from(wire), Ok(state));
}

#[test]
fn unknown_enum_numbers_are_errors_not_panics() {
    let wire = pb::Workload {
        restart_policy: Some(42),
        ..Default::default()
    };
    assert_eq!(
        Workload::try_from(wire),
        Err(ConvertError::UnknownEnum {
            what: "restartPolicy",
            value: 42
        })
    );
}
