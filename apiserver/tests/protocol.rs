//! Component tests: the real server on 127.0.0.1:0, a fake agent speaking the `Session` stream
//! and a CLI client, asserting the protocol other components rely on.

mod support;

use std::time::Duration;

use ank_model::exec_state::ExecState;
use ank_model::proto::anchorage::{from_server::FromServerEnum, to_server::ToServerEnum};
use ank_model::proto::anchorage::{UpdateWorkloadState, WorkloadState};
use ank_model::proto::ank_base as pb;
use ank_model::{CompleteState, ExecutionState};
use pb::request::RequestContent;
use pb::response::ResponseContent;
use tonic::Streaming;

use support::*;

#[tokio::test]
async fn hello_brings_the_agents_workloads_and_all_states() {
    let server = Server::start(MANIFEST).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = agent.next().await else {
        panic!("hello first")
    };
    let names: Vec<_> = hello
        .added_workloads
        .iter()
        .map(|w| w.instance_name.clone().expect("name").workload_name)
        .collect();
    assert_eq!(names, ["nginx"]);
    assert_eq!(hello.added_workloads[0].runtime_config, "image: nginx");
    let states: Vec<(String, ExecutionState)> = hello
        .workload_states
        .into_iter()
        .map(|s| {
            (
                s.instance_name.expect("name").workload_name,
                s.execution_state.expect("state").try_into().expect("known"),
            )
        })
        .collect();
    assert!(states
        .iter()
        .any(|(n, s)| n == "nginx" && s.to_string() == "Pending(Initial)"));
    assert!(states.iter().any(|(n, s)| n == "redis"
        && *s == ExecutionState::new(ExecState::Pending(ank_model::exec_state::Pending::Initial))));
    server.shutdown().await;
}

#[tokio::test]
async fn update_reaches_the_agent_and_rejection_changes_nothing() {
    let server = Server::start(MANIFEST).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let _hello = agent.next().await;
    let mut cli = server.cli().await;

    let added = "apiVersion: v1\nworkloads:\n  web:\n    agent: agent_A\n    runtime: podman\n    runtimeConfig: 'image: web'\n";
    let answer = cli
        .request(update_request(added, &["desiredState.workloads.web"]))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(answer.request_id, "req-1");
    let Some(ResponseContent::UpdateStateSuccess(success)) = answer.response_content else {
        panic!("{answer:?}")
    };
    assert_eq!(success.added_workloads.len(), 1);
    assert!(
        success.added_workloads[0].starts_with("web.")
            && success.added_workloads[0].ends_with(".agent_A")
    );
    assert!(success.deleted_workloads.is_empty());
    let FromServerEnum::UpdateWorkload(update) = agent.next_non_state().await else {
        panic!("update")
    };
    assert_eq!(
        update.added_workloads[0]
            .instance_name
            .as_ref()
            .map(|n| n.workload_name.as_str()),
        Some("web")
    );

    let before = get_state(&mut cli, &[]).await;
    let mut dry = update_request(
        &added.replace("web", "dry"),
        &["desiredState.workloads.dry"],
    );
    if let Some(RequestContent::UpdateStateRequest(u)) = dry.request_content.as_mut() {
        u.dry_run = true;
    }
    let answer = cli.request(dry).await.expect("answer").into_inner();
    let Some(ResponseContent::UpdateStateSuccess(success)) = answer.response_content else {
        panic!("{answer:?}")
    };
    assert!(success.added_workloads[0].starts_with("dry."));
    assert_eq!(
        get_state(&mut cli, &[]).await,
        before,
        "a dry run changes nothing"
    );

    let cyclic = "apiVersion: v1\nworkloads:\n  web:\n    agent: agent_A\n    dependencies: {web: ADD_COND_RUNNING}\n";
    let answer = cli
        .request(update_request(cyclic, &["desiredState.workloads.web"]))
        .await
        .expect("answer")
        .into_inner();
    let Some(ResponseContent::Error(error)) = answer.response_content else {
        panic!("{answer:?}")
    };
    assert!(
        error.message.starts_with("Update rejected: '"),
        "{}",
        error.message
    );
    assert_eq!(get_state(&mut cli, &[]).await, before);

    let empty = cli
        .request(pb::Request {
            request_id: "x".into(),
            request_content: None,
        })
        .await
        .expect("answer")
        .into_inner();
    let Some(ResponseContent::Error(error)) = empty.response_content else {
        panic!("{empty:?}")
    };
    assert_eq!(error.message, "The Request does not contain any content");
    server.shutdown().await;
}

#[tokio::test]
async fn agent_states_are_stored_and_a_dropped_agent_shows_disconnected() {
    let server = Server::start(MANIFEST).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = agent.next().await else {
        panic!("hello first")
    };
    let nginx = hello.added_workloads[0].instance_name.clone();
    let mut cli = server.cli().await;
    let mut events = cli
        .subscribe(state_request(&["workloadStates.agent_A"], true))
        .await
        .expect("subscribes")
        .into_inner();
    let first = events.message().await.expect("ok").expect("first");
    let Some(ResponseContent::CompleteStateResponse(first)) = first.response_content else {
        panic!("state")
    };
    assert!(
        first.altered_fields.is_none(),
        "the first answer is the plain state"
    );

    let running = WorkloadState {
        instance_name: nginx,
        execution_state: Some(ExecutionState::running().into()),
    };
    agent
        .send(ToServerEnum::UpdateWorkloadState(UpdateWorkloadState {
            workload_states: vec![running],
        }))
        .await;
    let event = events.message().await.expect("ok").expect("event");
    let Some(ResponseContent::CompleteStateResponse(event)) = event.response_content else {
        panic!("state")
    };
    let altered = event.altered_fields.expect("an event");
    // state and subState changed, each named (as Ankaios does, last field first).
    assert_eq!(altered.updated_fields.len(), 2, "{altered:?}");
    assert!(altered.updated_fields[0].starts_with("workloadStates.agent_A.nginx."));
    assert!(altered.updated_fields[0].ends_with(".subState"));
    // The event carries the changed part (the new state), and nothing else.
    let carried: ank_model::CompleteState = event
        .complete_state
        .expect("event state")
        .try_into()
        .expect("converts");
    assert_eq!(
        state_of(&carried, "agent_A", "nginx").map(|s| s.state),
        Some(ExecState::Running)
    );
    assert!(carried.desired_state.workloads.is_empty(), "{carried:?}");
    assert!(carried.agents.is_empty(), "{carried:?}");
    let complete = get_state(&mut cli, &[]).await;
    assert_eq!(
        state_of(&complete, "agent_A", "nginx").map(|s| s.state),
        Some(ExecState::Running)
    );
    assert!(complete.agents.contains_key("agent_A"));

    drop(agent);
    let event = events.message().await.expect("ok").expect("event");
    assert!(
        matches!(event.response_content, Some(ResponseContent::CompleteStateResponse(ref r)) if r.altered_fields.is_some())
    );
    let complete = get_state(&mut cli, &[]).await;
    assert_eq!(
        state_of(&complete, "agent_A", "nginx").map(|s| s.state),
        Some(ExecState::AgentDisconnected)
    );
    assert!(!complete.agents.contains_key("agent_A"));

    // It comes back and gets its workloads again.
    let mut again = Agent::connect(&server, "agent_A").await;
    assert!(
        matches!(again.next().await, FromServerEnum::ServerHello(h) if h.added_workloads.len() == 1)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_agent_with_the_same_name_is_refused() {
    let server = Server::start(MANIFEST).await;
    let mut first = Agent::connect(&server, "agent_A").await;
    let _hello = first.next().await;
    let mut second = Agent::connect(&server, "agent_A").await;
    assert!(matches!(
        second.next().await,
        FromServerEnum::ConnectionRefused(_)
    ));
    let end = tokio::time::timeout(Duration::from_secs(5), second.rx.message())
        .await
        .expect("ends");
    assert!(matches!(end, Ok(None)), "{end:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn node_selector_workload_waits_for_a_matching_agent() {
    let manifest = "apiVersion: v1\nworkloads:\n  web:\n    runtime: podman\n    runtimeConfig: 'image: web'\n    nodeSelector: {zone: front}\n";
    let server = Server::start(manifest).await;
    let mut cli = server.cli().await;
    let complete = get_state(&mut cli, &[]).await;
    let pending = state_of(&complete, "", "web").expect("state");
    assert_eq!(
        pending.additional_info,
        "no connected agent matches nodeSelector zone=front"
    );
    let mut agent = Agent::connect(&server, "front_1").await;
    let _hello = agent.next().await;
    let FromServerEnum::UpdateWorkload(update) = agent.next_non_state().await else {
        panic!("update")
    };
    assert_eq!(update.added_workloads.len(), 1);
    let complete = get_state(&mut cli, &[]).await;
    assert!(state_of(&complete, "", "web").is_none());
    assert!(state_of(&complete, "front_1", "web").is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn logs_are_routed_to_the_agent_and_back() {
    let server = Server::start(MANIFEST).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let _hello = agent.next().await;
    let mut cli = server.cli().await;
    let wanted = |name: &str| pb::WorkloadInstanceName {
        workload_name: name.into(),
        ..Default::default()
    };
    let logs = request(RequestContent::LogsRequest(pb::LogsRequest {
        workload_names: vec![wanted("nginx"), wanted("nope")],
        follow: Some(false),
        ..Default::default()
    }));
    let mut stream = cli.subscribe(logs).await.expect("subscribes").into_inner();
    let accepted = stream.message().await.expect("ok").expect("accepted");
    let Some(ResponseContent::LogsRequestAccepted(accepted)) = accepted.response_content else {
        panic!("accepted")
    };
    assert_eq!(accepted.workload_names.len(), 1);
    let nginx = accepted.workload_names[0].clone();
    assert_eq!(nginx.agent_name, "agent_A");

    let FromServerEnum::LogsRequest(forwarded) = agent.next_non_state().await else {
        panic!("logs request")
    };
    let server_id = forwarded.request_id.clone();
    let Some(RequestContent::LogsRequest(forwarded)) = forwarded.request_content else {
        panic!("logs")
    };
    assert_eq!(forwarded.workload_names, std::slice::from_ref(&nginx));
    assert_eq!(forwarded.follow, Some(false));

    let entry = pb::LogEntry {
        workload_name: Some(nginx.clone()),
        message: "hello".into(),
    };
    let answer = |content| pb::Response {
        request_id: server_id.clone(),
        response_content: Some(content),
    };
    agent
        .send(ToServerEnum::Response(answer(
            ResponseContent::LogEntriesResponse(pb::LogEntriesResponse {
                log_entries: vec![entry],
            }),
        )))
        .await;
    agent
        .send(ToServerEnum::Response(answer(
            ResponseContent::LogsStopResponse(pb::LogsStopResponse {
                workload_name: Some(nginx),
            }),
        )))
        .await;

    let entries = stream.message().await.expect("ok").expect("entries");
    assert_eq!(entries.request_id, "req-1");
    assert!(
        matches!(entries.response_content, Some(ResponseContent::LogEntriesResponse(ref e)) if e.log_entries[0].message == "hello")
    );
    let stop = stream.message().await.expect("ok").expect("stop");
    assert!(matches!(
        stop.response_content,
        Some(ResponseContent::LogsStopResponse(_))
    ));
    assert!(
        stream.message().await.expect("ok").is_none(),
        "the stream ends after all stops"
    );

    // A follow request ends with a cancel to the agent when the client goes away.
    let follow = request(RequestContent::LogsRequest(pb::LogsRequest {
        workload_names: vec![wanted("nginx")],
        follow: Some(true),
        ..Default::default()
    }));
    let mut stream = cli
        .subscribe(follow)
        .await
        .expect("subscribes")
        .into_inner();
    let _accepted = stream.message().await.expect("ok").expect("accepted");
    let FromServerEnum::LogsRequest(forwarded) = agent.next_non_state().await else {
        panic!("logs request")
    };
    drop(stream);
    let FromServerEnum::LogsRequest(cancel) = agent.next_non_state().await else {
        panic!("cancel")
    };
    assert_eq!(cancel.request_id, forwarded.request_id);
    assert!(matches!(
        cancel.request_content,
        Some(RequestContent::LogsCancelRequest(_))
    ));
    server.shutdown().await;
}

async fn next_altered(events: &mut Streaming<pb::Response>) -> Option<pb::AlteredFields> {
    let event = events.message().await.expect("ok").expect("event");
    let Some(ResponseContent::CompleteStateResponse(r)) = event.response_content else {
        panic!("state")
    };
    r.altered_fields
}

/// Reports are diffed within the reporting agent's entries only: the events must still be
/// exact, naming added, updated and removed fields of that agent and nothing of the others.
#[tokio::test]
async fn events_name_exactly_the_fields_an_agent_changed() {
    let server = Server::start(MANIFEST).await;
    let mut cli = server.cli().await;
    let mut events = cli
        .subscribe(state_request(&["workloadStates", "agents"], true))
        .await
        .expect("subscribes")
        .into_inner();
    assert!(
        next_altered(&mut events).await.is_none(),
        "the first answer is the state"
    );

    let mut a = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = a.next().await else {
        panic!("hello first")
    };
    let connected = next_altered(&mut events).await.expect("an event");
    assert!(
        connected
            .added_fields
            .contains(&"agents.agent_A".to_owned()),
        "{connected:?}"
    );
    let mut b = Agent::connect(&server, "agent_B").await;
    let _ = b.next().await;
    let connected = next_altered(&mut events).await.expect("an event");
    assert!(
        connected.added_fields.iter().all(|f| f.contains("agent_B")),
        "{connected:?}"
    );

    let nginx = hello.added_workloads[0].instance_name.clone();
    let id = nginx.as_ref().map(|n| n.id.clone()).unwrap_or_default();
    a.send(ToServerEnum::UpdateWorkloadState(UpdateWorkloadState {
        workload_states: vec![WorkloadState {
            instance_name: nginx,
            execution_state: Some(ExecutionState::running().into()),
        }],
    }))
    .await;
    let reported = next_altered(&mut events).await.expect("an event");
    // Pending(Initial) -> Running(Ok): Ankaios names the changed fields, last field first.
    assert_eq!(
        reported.updated_fields,
        [
            format!("workloadStates.agent_A.nginx.{id}.subState"),
            format!("workloadStates.agent_A.nginx.{id}.state")
        ]
    );
    assert!(reported.added_fields.is_empty() && reported.removed_fields.is_empty());

    drop(a);
    let gone = next_altered(&mut events).await.expect("an event");
    assert_eq!(gone.removed_fields, ["agents.agent_A"]);
    assert_eq!(
        gone.updated_fields,
        [
            format!("workloadStates.agent_A.nginx.{id}.subState"),
            format!("workloadStates.agent_A.nginx.{id}.state")
        ]
    );
    let complete = get_state(&mut cli, &[]).await;
    assert!(complete.agents.contains_key("agent_B"));
    drop(b);
    server.shutdown().await;
}

/// `m.yaml` of ankaios-samples.md.
const SAMPLE: &str = r#"apiVersion: v1
workloads:
  web:
    runtime: podman
    agent: agent_Z
    restartPolicy: ALWAYS
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

/// The updated fields of the next event.
async fn next_updated(events: &mut Streaming<pb::Response>) -> Vec<String> {
    let event = next_event(events).await;
    event.altered_fields.expect("an event").updated_fields
}

/// `prefix.leaf` for each leaf.
fn leaves(prefix: &str, leaves: &[&str]) -> Vec<String> {
    leaves.iter().map(|l| format!("{prefix}.{l}")).collect()
}

/// The sample's `ank get events -c -o json` session, event by event: instance ids as Ankaios
/// computes them, `effectiveState` rendered, and the altered fields Ankaios names.
#[tokio::test]
async fn events_follow_a_workload_as_ankaios_reports_them() {
    use ank_model::exec_state::{Pending, Stopping};
    let server = Server::start(SAMPLE).await;
    let mut agent = Agent::connect(&server, "agent_S").await;
    let _hello = agent.next().await;
    let mut cli = server.cli().await;
    let mut events = cli
        .subscribe(state_request(&[], true))
        .await
        .expect("subscribes")
        .into_inner();
    let first = next_event(&mut events).await;
    assert!(first.altered_fields.is_none(), "the state comes first");
    let first: CompleteState = first
        .complete_state
        .expect("state")
        .try_into()
        .expect("converts");
    let web_id = "edcd226c0026a5a9000f2b121cce739e09322c2722b76fc8aa26e1be10ff2aa5";
    let job_id = "2be5b915c978476afa00e925e69aab6042159f6416223b3109a3eb8e3bdf4309";
    assert!(first.workload_states["agent_Z"]["web"].contains_key(web_id));
    assert_eq!(
        first.workload_states["agent_Z"]["web"][web_id],
        ExecutionState::new(ExecState::Pending(Pending::Initial)),
        "a workload whose agent never came is Pending(Initial) without info"
    );
    assert!(first.workload_states["agent_S"]["job"].contains_key(job_id));
    let effective = first.effective_state.expect("effectiveState");
    assert_eq!(
        effective.workloads["web"].runtime_config,
        "image: docker.io/library/nginx:latest\ncommandOptions: [\"-p\", \"8081:80\"]"
    );
    assert!(effective.workloads["web"].configs.is_empty() && effective.configs.is_empty());

    let m2 = "apiVersion: v1\nworkloads:\n  job2:\n    runtime: unknown-runtime\n    agent: agent_S\n    runtimeConfig: \"\"\n";
    cli.request(update_request(m2, &["desiredState.workloads.job2"]))
        .await
        .expect("applied");
    let added = next_event(&mut events).await;
    let altered = added.altered_fields.expect("an event");
    assert_eq!(
        altered.added_fields,
        [
            "desiredState.workloads.job2",
            "workloadStates.agent_S.job2",
            "effectiveState.workloads.job2"
        ]
    );
    assert!(altered.updated_fields.is_empty() && altered.removed_fields.is_empty());
    let parts: CompleteState = added
        .complete_state
        .expect("parts")
        .try_into()
        .expect("converts");
    assert_eq!(
        parts.desired_state.workloads.keys().collect::<Vec<_>>(),
        ["job2"]
    );
    assert!(parts.agents.is_empty(), "only the altered parts: {parts:?}");

    let job2 = loop {
        if let FromServerEnum::UpdateWorkload(update) = agent.next_non_state().await {
            break update.added_workloads[0]
                .instance_name
                .clone()
                .expect("name");
        }
    };
    let starting = ExecutionState::with_info(
        ExecState::Pending(Pending::Starting),
        "Triggered at runtime.",
    );
    agent.send(report(&job2, starting)).await;
    let id = &job2.id;
    assert_eq!(
        next_updated(&mut events).await,
        leaves(
            &format!("workloadStates.agent_S.job2.{id}"),
            &["subState", "additionalInfo"]
        )
    );

    cli.request(update_request(
        "apiVersion: v1\n",
        &["desiredState.workloads.job2"],
    ))
    .await
    .expect("deleted");
    let removed = next_event(&mut events).await;
    assert_eq!(
        removed.altered_fields.expect("an event").removed_fields,
        [
            "desiredState.workloads.job2",
            "effectiveState.workloads.job2"
        ]
    );
    let parts = removed.complete_state.expect("parts");
    assert_eq!(
        parts.desired_state.map(|s| s.api_version),
        Some("v1".into())
    );
    assert_eq!(
        parts.effective_state.map(|s| s.api_version),
        Some("v1".into())
    );

    let stopping = ExecutionState::new(ExecState::Stopping(Stopping::RequestedAtRuntime));
    agent.send(report(&job2, stopping)).await;
    assert_eq!(
        next_updated(&mut events).await,
        leaves(
            &format!("workloadStates.agent_S.job2.{id}"),
            &["subState", "state", "additionalInfo"]
        )
    );
    agent
        .send(report(&job2, ExecutionState::new(ExecState::Removed)))
        .await;
    let gone = next_event(&mut events)
        .await
        .altered_fields
        .expect("an event");
    assert_eq!(gone.removed_fields, ["workloadStates.agent_S.job2"]);
    server.shutdown().await;
}

/// An agent's report may carry several states of one instance (a start that failed at once);
/// subscribers see each step, as with Ankaios' one message per state.
#[tokio::test]
async fn each_step_of_an_instance_in_one_report_is_an_event() {
    use ank_model::exec_state::Pending;
    let server = Server::start(MANIFEST).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = agent.next().await else {
        panic!("hello first")
    };
    let nginx = hello.added_workloads[0]
        .instance_name
        .clone()
        .expect("name");
    let mut cli = server.cli().await;
    let mut events = cli
        .subscribe(state_request(&["workloadStates"], true))
        .await
        .expect("subscribes")
        .into_inner();
    let _current = next_event(&mut events).await;
    let step = |state, info: &str| WorkloadState {
        instance_name: Some(nginx.clone()),
        execution_state: Some(ExecutionState::with_info(ExecState::Pending(state), info).into()),
    };
    agent
        .send(ToServerEnum::UpdateWorkloadState(UpdateWorkloadState {
            workload_states: vec![
                step(Pending::Starting, "Triggered at runtime."),
                step(Pending::StartingFailed, "Unsupported Runtime"),
            ],
        }))
        .await;
    for want in ["Starting", "StartingFailed"] {
        let event = next_event(&mut events).await;
        let parts: CompleteState = event
            .complete_state
            .expect("parts")
            .try_into()
            .expect("converts");
        let state = state_of(&parts, "agent_A", "nginx").expect("a state");
        assert_eq!(state.state.to_string(), format!("Pending({want})"));
    }
    server.shutdown().await;
}
