//! What the client says of an answer it did not expect.

use ank_model::{CompleteState, Workload};

use super::*;

#[test]
fn an_unexpected_response_is_named_by_kind_never_printed() {
    let mut state = CompleteState::default();
    let workload = Workload {
        agent: "agent_A".into(),
        runtime: "native".into(),
        runtime_config: "command: [a]\nenv: {TOKEN: hunter2}\n".into(),
        ..Workload::default()
    };
    state.desired_state.workloads.insert("web".into(), workload);
    let got = pb::response::ResponseContent::CompleteStateResponse(pb::CompleteStateResponse {
        complete_state: Some(state.into()),
        ..Default::default()
    });
    let err = unexpected(&got, "an UpdateStateSuccess").to_string();
    assert_eq!(
        err,
        "unexpected response from ank-server: \
         a CompleteStateResponse where an UpdateStateSuccess was expected"
    );
    assert!(!err.contains("hunter2") && !err.contains("TOKEN"), "{err}");
}

#[test]
fn every_kind_has_its_name() {
    use pb::response::ResponseContent as C;
    let err = unexpected(
        &C::LogEntriesResponse(pb::LogEntriesResponse::default()),
        "a CompleteStateResponse",
    );
    assert_eq!(
        err.to_string(),
        "unexpected response from ank-server: \
         a LogEntriesResponse where a CompleteStateResponse was expected"
    );
}
