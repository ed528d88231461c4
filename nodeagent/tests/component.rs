//! The real agent logic and the real native runtime against a fake server (a tonic
//! AgentConnection on 127.0.0.1:0): a workload is started, logs are read, the agent restarts
//! and adopts it, and a delete removes it; a native workload talks through its control
//! interface.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use ank_model::exec_state::{ExecState, Pending, Stopping};
use ank_model::proto::anchorage as pb;
use ank_model::proto::anchorage::from_server::FromServerEnum;
use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::proto::ank_base::{
    self as base, request::RequestContent, response::ResponseContent,
};
use ank_model::proto::control_api;
use ank_model::WorkloadInstanceName;
use prost::Message;
use support::{start_agent, start_server};

#[tokio::test]
async fn native_workload_runs_logs_survives_an_agent_restart_and_is_removed() {
    let (server, mut sessions, tmp, settings) = start_server().await;
    let config = "command: [sh, -c, 'echo hi; sleep 30']\n";
    let instance = WorkloadInstanceName::new("hello", "agent_A", config);
    let added = pb::AddedWorkload {
        instance_name: Some(instance.clone().into()),
        runtime: "native".into(),
        runtime_config: config.into(),
        ..Default::default()
    };
    let hello = pb::ServerHello {
        added_workloads: vec![added],
        workload_states: Vec::new(),
        ..Default::default()
    };

    // First agent: starts the workload.
    let agent = start_agent(&settings);
    let mut session = sessions.recv().await.expect("a session");
    match session.recv().await {
        ToServerEnum::AgentHello(h) => assert_eq!(h.agent_name, "agent_A"),
        other => panic!("expected AgentHello, got {other:?}"),
    }
    session
        .send(FromServerEnum::ServerHello(hello.clone()))
        .await;
    assert_eq!(
        session.state().await.state,
        ExecState::Pending(Pending::Starting)
    );
    assert_eq!(session.state().await.state, ExecState::Running);

    // Logs: follow until `hi`, then cancel.
    let logs = base::Request {
        request_id: "cli@1".into(),
        request_content: Some(RequestContent::LogsRequest(base::LogsRequest {
            workload_names: vec![instance.clone().into()],
            follow: Some(true),
            ..Default::default()
        })),
    };
    session.send(FromServerEnum::LogsRequest(logs)).await;
    loop {
        if let ToServerEnum::Response(r) = session.recv().await {
            assert_eq!(r.request_id, "cli@1");
            if let Some(ResponseContent::LogEntriesResponse(e)) = r.response_content {
                if e.log_entries.iter().any(|e| e.message == "hi") {
                    break;
                }
            }
        }
    }
    let cancel = base::Request {
        request_id: "cli@1".into(),
        request_content: Some(RequestContent::LogsCancelRequest(
            base::LogsCancelRequest {},
        )),
    };
    session.send(FromServerEnum::LogsRequest(cancel)).await;
    loop {
        if let ToServerEnum::Response(r) = session.recv().await {
            if let Some(ResponseContent::LogsStopResponse(_)) = r.response_content {
                break;
            }
        }
    }

    // The agent stops; the workload does not.
    let pid_file = tmp
        .path()
        .join("agent_A_io")
        .join(instance.folder_name())
        .join("pids");
    let pid = std::fs::read_to_string(&pid_file).expect("pids file");
    agent.stop.send(()).expect("agent runs");
    agent.task.await.expect("agent ends cleanly");
    drop(session);

    // A new agent adopts it: Running without Pending(Starting), same process.
    let agent = start_agent(&settings);
    let mut session = sessions.recv().await.expect("a second session");
    assert!(matches!(session.recv().await, ToServerEnum::AgentHello(_)));
    session.send(FromServerEnum::ServerHello(hello)).await;
    assert_eq!(session.state().await.state, ExecState::Running);
    assert_eq!(std::fs::read_to_string(&pid_file).expect("pid file"), pid);

    // Delete: Stopping, then Removed.
    let update = pb::UpdateWorkload {
        added_workloads: Vec::new(),
        deleted_workloads: vec![pb::DeletedWorkload {
            instance_name: Some(instance.clone().into()),
            dependencies: BTreeMap::new(),
        }],
    };
    session.send(FromServerEnum::UpdateWorkload(update)).await;
    assert_eq!(
        session.state().await.state,
        ExecState::Stopping(Stopping::RequestedAtRuntime)
    );
    assert_eq!(session.state().await.state, ExecState::Removed);
    assert!(!pid_file.exists(), "instance folder removed");

    agent.stop.send(()).expect("agent runs");
    agent.task.await.expect("agent ends cleanly");
    server.abort();
}

/// `bytes` as octal escapes for the shell's printf.
fn printf_escaped(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:03o}")).collect()
}

fn to_ankaios_get(id: &str, mask: &str) -> Vec<u8> {
    let message = control_api::ToAnkaios {
        to_ankaios_enum: Some(control_api::to_ankaios::ToAnkaiosEnum::Request(
            base::Request {
                request_id: id.into(),
                request_content: Some(RequestContent::CompleteStateRequest(
                    base::CompleteStateRequest {
                        field_mask: vec![mask.into()],
                        subscribe_for_events: false,
                    },
                )),
            },
        )),
    };
    message.encode_length_delimited_to_vec()
}

fn from_ankaios_response(response: base::Response) -> Vec<u8> {
    let message = control_api::FromAnkaios {
        from_ankaios_enum: Some(control_api::from_ankaios::FromAnkaiosEnum::Response(
            response,
        )),
    };
    message.encode_length_delimited_to_vec()
}

/// A native workload speaks the protocol through `$ANKAIOS_CONTROL_INTERFACE` with printf and
/// dd: its allowed request reaches the server as `ci@a` and the answer comes back as `a`; its
/// denied request is answered by the agent and never forwarded.
#[tokio::test]
async fn native_control_interface_forwards_allowed_requests_and_denies_the_rest() {
    let (server, mut sessions, tmp, settings) = start_server().await;
    let hello = [0x09, 0x0a, 0x07, 0x12, 0x05, 0x31, 0x2e, 0x30, 0x2e, 0x30];
    let mut expected = vec![0x02, 0x22, 0x00];
    expected.extend(from_ankaios_response(base::Response {
        request_id: "d".into(),
        response_content: Some(ResponseContent::Error(base::Error {
            message: "Access denied".into(),
        })),
    }));
    // As the server sends it: built from the domain state, so the agent's own conversion at
    // its edge gives the same bytes back.
    let answer = || base::Response {
        request_id: "ci@a".into(),
        response_content: Some(ResponseContent::CompleteStateResponse(
            base::CompleteStateResponse {
                complete_state: Some(ank_model::CompleteState::default().into()),
                altered_fields: None,
            },
        )),
    };
    expected.extend(from_ankaios_response(base::Response {
        request_id: "a".into(),
        ..answer()
    }));
    let got = tmp.path().join("got");
    let script = format!(
        "ci=\"$ANKAIOS_CONTROL_INTERFACE\"; exec 4>\"$ci/output\"; printf '{hello}' >&4; \
         exec 3<\"$ci/input\"; printf '{denied}' >&4; printf '{allowed}' >&4; \
         dd bs=1 count={n} <&3 >'{got}.part' 2>/dev/null && mv '{got}.part' '{got}'; sleep 30",
        hello = printf_escaped(&hello),
        denied = printf_escaped(&to_ankaios_get("d", "agents")),
        allowed = printf_escaped(&to_ankaios_get("a", "desiredState.workloads.x")),
        n = expected.len(),
        got = got.display(),
    );
    let config = format!("command: [sh, -c]\nargs: [{script:?}]\n");
    let instance = WorkloadInstanceName::new("ci", "agent_A", &config);
    let access = ank_model::ControlInterfaceAccess {
        allow_rules: vec![ank_model::AccessRule::StateRule {
            operation: ank_model::ReadWrite::Read,
            filter_masks: vec!["desiredState.workloads".into()],
        }],
        deny_rules: Vec::new(),
    };
    let added = pb::AddedWorkload {
        instance_name: Some(instance.clone().into()),
        runtime: "native".into(),
        runtime_config: config,
        control_interface_access: Some(access.into()),
        ..Default::default()
    };

    let agent = start_agent(&settings);
    let mut session = sessions.recv().await.expect("a session");
    assert!(matches!(session.recv().await, ToServerEnum::AgentHello(_)));
    session
        .send(FromServerEnum::ServerHello(pb::ServerHello {
            added_workloads: vec![added],
            workload_states: Vec::new(),
            ..Default::default()
        }))
        .await;
    let request = loop {
        if let ToServerEnum::Request(request) = session.recv().await {
            break request;
        }
    };
    assert_eq!(
        request.request_id, "ci@a",
        "the denied one is not forwarded"
    );
    session.send(FromServerEnum::Response(answer())).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !got.exists() {
        assert!(tokio::time::Instant::now() < deadline, "no answers in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(std::fs::read(&got).expect("answers"), expected);
    let dir = tmp
        .path()
        .join("agent_A_io")
        .join(instance.folder_name())
        .join("control_interface");
    assert!(dir.join("input").exists() && dir.join("output").exists());

    // Deleted: the control interface goes with the instance.
    let update = pb::UpdateWorkload {
        added_workloads: Vec::new(),
        deleted_workloads: vec![pb::DeletedWorkload {
            instance_name: Some(instance.into()),
            dependencies: BTreeMap::new(),
        }],
    };
    session.send(FromServerEnum::UpdateWorkload(update)).await;
    while session.state().await.state != ExecState::Removed {}
    assert!(!dir.exists());
    agent.stop.send(()).expect("agent runs");
    agent.task.await.expect("agent ends cleanly");
    server.abort();
}
