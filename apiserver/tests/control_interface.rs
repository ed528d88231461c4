//! Component tests of the server's side of the control interface: a fake agent forwards its
//! workloads' requests (`<workload>@<id>`), and the server judges them itself: the workload
//! must run on that agent and its `controlInterfaceAccess` must allow the request. Also the
//! update masks below `agents` (Ankaios SDK's `set_agent_tags`) and the access-rule masks
//! checked at apply and at server start.

mod support;

use std::time::Duration;

use ank_model::exec_state::ExecState;
use ank_model::proto::anchorage::{from_server::FromServerEnum, to_server::ToServerEnum};
use ank_model::proto::ank_base as pb;
use ank_model::{AgentAttributes, CompleteState, ExecutionState};
use pb::request::RequestContent;
use pb::response::ResponseContent;

use support::*;

const RULES: &str = r#"apiVersion: v1
workloads:
  ctl:
    agent: agent_A
    runtime: native
    runtimeConfig: "command: [ctl]"
    controlInterfaceAccess:
      allowRules:
        - {type: StateRule, operation: Read, filterMasks: ["workloadStates"]}
        - {type: StateRule, operation: Write, filterMasks: ["desiredState.workloads.nginx"]}
        - {type: LogRule, workloadNames: ["ngi*"]}
  nginx:
    agent: agent_A
    runtime: podman
    runtimeConfig: "image: nginx"
  redis:
    agent: agent_B
    runtime: podman
    runtimeConfig: "image: redis"
    controlInterfaceAccess:
      allowRules:
        - {type: StateRule, operation: ReadWrite, filterMasks: ["*"]}
"#;

fn with_id(id: &str, mut request: pb::Request) -> ToServerEnum {
    request.request_id = id.to_owned();
    ToServerEnum::Request(request)
}

impl Agent {
    /// The next answer to a forwarded request, skipping workload updates and states.
    async fn response(&mut self) -> pb::Response {
        loop {
            match self.next().await {
                FromServerEnum::Response(response) => return response,
                FromServerEnum::UpdateWorkloadState(_) | FromServerEnum::UpdateWorkload(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Sends a request with `id` and returns the answer (which must carry the same id).
    async fn ask(&mut self, id: &str, request: pb::Request) -> Option<ResponseContent> {
        self.send(with_id(id, request)).await;
        let answer = self.response().await;
        assert_eq!(answer.request_id, id, "{answer:?}");
        answer.response_content
    }

    async fn assert_denied(&mut self, id: &str, request: pb::Request) {
        match self.ask(id, request).await {
            Some(ResponseContent::Error(e)) => assert_eq!(e.message, "Access denied", "{id}"),
            other => panic!("{id}: not denied: {other:?}"),
        }
    }
}

fn logs_of(workload: &str) -> pb::Request {
    request(RequestContent::LogsRequest(pb::LogsRequest {
        workload_names: vec![pb::WorkloadInstanceName {
            workload_name: workload.into(),
            ..Default::default()
        }],
        ..Default::default()
    }))
}

#[tokio::test]
async fn a_workloads_request_is_answered_only_as_its_rules_allow() {
    let server = Server::start(RULES).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(_) = agent.next().await else {
        panic!("hello first")
    };

    // Allowed: read what the rule names; the answer keeps the prefixed id.
    let Some(ResponseContent::CompleteStateResponse(state)) = agent
        .ask("ctl@1", state_request(&["workloadStates"], false))
        .await
    else {
        panic!("a state")
    };
    assert!(state.altered_fields.is_none());
    let state: CompleteState = state.complete_state.expect("state").try_into().expect("ok");
    assert!(state.workload_states.contains_key("agent_A"), "{state:?}");

    // Not allowed by its rules: other masks, the whole state, other logs, no content.
    agent
        .assert_denied("ctl@2", state_request(&["desiredState"], false))
        .await;
    agent
        .assert_denied("ctl@3", state_request(&[], false))
        .await;
    agent
        .assert_denied(
            "ctl@4",
            update_request("apiVersion: v1\n", &["desiredState.workloads.redis"]),
        )
        .await;
    agent.assert_denied("ctl@5", logs_of("redis")).await;
    let empty = pb::Request {
        request_id: String::new(),
        request_content: None,
    };
    agent.assert_denied("ctl@6", empty).await;

    // A workload without rules, one of another agent (whose rules allow everything), one
    // that does not exist, and an id without a workload.
    let read = || state_request(&["workloadStates"], false);
    agent.assert_denied("nginx@7", read()).await;
    agent.assert_denied("redis@8", read()).await;
    agent.assert_denied("ghost@9", read()).await;
    agent.assert_denied("no-prefix", read()).await;

    // Allowed writes are applied; a broken one gets Ankaios' message.
    let Some(ResponseContent::UpdateStateSuccess(done)) = agent
        .ask(
            "ctl@10",
            update_request("apiVersion: v1\n", &["desiredState.workloads.nginx"]),
        )
        .await
    else {
        panic!("applied")
    };
    assert_eq!(done.deleted_workloads.len(), 1, "{done:?}");
    assert!(done.deleted_workloads[0].starts_with("nginx."));
    let no_state = request(RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
        new_state: None,
        update_mask: vec!["desiredState.workloads.nginx".into()],
        dry_run: false,
    }));
    let Some(ResponseContent::Error(e)) = agent.ask("ctl@11", no_state).await else {
        panic!("an error")
    };
    assert_eq!(
        e.message,
        "The UpdateStateRequest does not contain a new state"
    );

    // Cancels are always allowed for a workload the agent runs.
    let cancel = request(RequestContent::EventsCancelRequest(
        pb::EventsCancelRequest {},
    ));
    let answer = agent.ask("ctl@12", cancel.clone()).await;
    assert!(
        matches!(answer, Some(ResponseContent::EventsCancelAccepted(_))),
        "{answer:?}"
    );
    agent.assert_denied("ghost@12", cancel).await;
    let cancel = request(RequestContent::LogsCancelRequest(pb::LogsCancelRequest {}));
    let answer = agent.ask("ctl@13", cancel).await;
    assert!(
        matches!(answer, Some(ResponseContent::LogsCancelAccepted(_))),
        "{answer:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_workloads_subscription_ends_on_cancel_and_with_its_instance() {
    let server = Server::start(RULES).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = agent.next().await else {
        panic!("hello first")
    };
    let nginx = hello
        .added_workloads
        .iter()
        .filter_map(|w| w.instance_name.clone())
        .find(|n| n.workload_name == "nginx")
        .expect("nginx runs on agent_A");

    for id in ["ctl@kept", "ctl@cancelled"] {
        let first = agent
            .ask(id, state_request(&["workloadStates"], true))
            .await;
        let Some(ResponseContent::CompleteStateResponse(first)) = first else {
            panic!("{first:?}")
        };
        assert!(
            first.altered_fields.is_none(),
            "the first answer is the state"
        );
    }
    let cancel = request(RequestContent::EventsCancelRequest(
        pb::EventsCancelRequest {},
    ));
    let answer = agent.ask("ctl@cancelled", cancel).await;
    assert!(
        matches!(answer, Some(ResponseContent::EventsCancelAccepted(_))),
        "{answer:?}"
    );

    agent
        .send(report(&nginx, ExecutionState::new(ExecState::Running)))
        .await;
    let event = agent.response().await;
    assert_eq!(event.request_id, "ctl@kept");
    let Some(ResponseContent::CompleteStateResponse(event)) = event.response_content else {
        panic!("an event")
    };
    assert!(event.altered_fields.is_some());
    // The agent's channel is ordered: a later answer proves no other event was sent.
    agent
        .assert_denied("ghost@sync", state_request(&[], false))
        .await;

    // ctl is deleted: its subscription goes with its instance.
    let mut cli = server.cli().await;
    let answer = cli
        .request(update_request(
            "apiVersion: v1\n",
            &["desiredState.workloads.ctl"],
        ))
        .await
        .expect("answer")
        .into_inner();
    assert!(
        matches!(
            answer.response_content,
            Some(ResponseContent::UpdateStateSuccess(_))
        ),
        "{answer:?}"
    );
    agent
        .send(report(&nginx, ExecutionState::new(ExecState::Succeeded)))
        .await;
    agent
        .assert_denied("ghost@after", state_request(&[], false))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_workloads_subscription_ends_when_its_agent_goes() {
    let server = Server::start(RULES).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let _hello = agent.next().await;
    // A mask the disconnect does not touch, so the subscription is not dropped as undeliverable.
    let subscribed = agent
        .ask("ctl@1", state_request(&["workloadStates.agent_B"], true))
        .await;
    assert!(matches!(
        subscribed,
        Some(ResponseContent::CompleteStateResponse(_))
    ));
    drop(agent);
    // The same name connects again: nothing of the old session's subscription reaches it.
    let mut again = loop {
        let mut next = Agent::connect(&server, "agent_A").await;
        match next.next().await {
            FromServerEnum::ServerHello(_) => break next,
            FromServerEnum::ConnectionRefused(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("{other:?}"),
        }
    };
    // agent_B's workload starts: that would be an event for the old subscription. Once agent_B
    // hears the state broadcast, the event would be queued to agent_A already.
    let mut b = Agent::connect(&server, "agent_B").await;
    let FromServerEnum::ServerHello(hello) = b.next().await else {
        panic!("hello first")
    };
    let redis = hello.added_workloads[0]
        .instance_name
        .clone()
        .expect("redis");
    b.send(report(&redis, ExecutionState::new(ExecState::Running)))
        .await;
    while !matches!(b.next().await, FromServerEnum::UpdateWorkloadState(_)) {}
    again
        .assert_denied("ghost@sync", state_request(&[], false))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn agent_tags_are_set_through_the_update_mask() {
    let manifest = r#"apiVersion: v1
workloads:
  gpu_job:
    runtime: podman
    runtimeConfig: "image: job"
    nodeSelector: {gpu: "yes"}
"#;
    let server = Server::start(manifest).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = agent.next().await else {
        panic!("hello first")
    };
    assert!(hello.added_workloads.is_empty());
    let mut cli = server.cli().await;
    let mut events = cli
        .subscribe(state_request(&["agents"], true))
        .await
        .expect("subscribes")
        .into_inner();
    assert!(next_event(&mut events).await.altered_fields.is_none());

    // Ankaios SDK's set_agent_tags: mask agents.<agent>.tags, the tags in newState.agents.
    let mut tagged = CompleteState::default();
    tagged.agents.insert(
        "agent_A".into(),
        AgentAttributes {
            tags: [("zone", "front"), ("gpu", "yes")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            ..AgentAttributes::default()
        },
    );
    let set_tags = |masks: &[&str]| {
        request(RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
            new_state: Some(tagged.clone().into()),
            update_mask: masks.iter().map(|m| m.to_string()).collect(),
            dry_run: false,
        }))
    };
    let answer = cli
        .request(set_tags(&["agents.agent_A.tags"]))
        .await
        .expect("answer")
        .into_inner();
    let Some(ResponseContent::UpdateStateSuccess(done)) = answer.response_content else {
        panic!("{answer:?}")
    };
    assert_eq!(done.added_workloads.len(), 1, "the selector now matches");
    assert!(done.added_workloads[0].starts_with("gpu_job."));
    assert!(done.added_workloads[0].ends_with(".agent_A"));
    let FromServerEnum::UpdateWorkload(update) = agent.next_non_state().await else {
        panic!("the workload is placed")
    };
    assert_eq!(update.added_workloads.len(), 1);

    let event = next_event(&mut events).await;
    let altered = event.altered_fields.expect("an event");
    assert_eq!(
        altered.added_fields,
        vec!["agents.agent_A.tags.gpu".to_string()]
    );
    let state = get_state(&mut cli, &["agents.agent_A.tags"]).await;
    assert_eq!(state.agents["agent_A"].tags, tagged.agents["agent_A"].tags);

    // Any other mask below agents, or an agent that is not connected, changes nothing.
    for (mask, named) in [
        ("agents.agent_A.status", "'agents.agent_A.status'"),
        ("agents.nobody.tags", "'nobody'"),
        ("workloadStates.agent_A", "'workloadStates.agent_A'"),
    ] {
        let answer = cli
            .request(set_tags(&[mask]))
            .await
            .expect("answer")
            .into_inner();
        let Some(ResponseContent::Error(e)) = answer.response_content else {
            panic!("{mask}: {answer:?}")
        };
        assert!(
            e.message.starts_with("Update rejected: '") && e.message.contains(named),
            "{mask}: {}",
            e.message
        );
    }
    assert_eq!(
        get_state(&mut cli, &["agents.agent_A.tags"]).await.agents["agent_A"].tags,
        tagged.agents["agent_A"].tags
    );
    server.shutdown().await;
}

#[tokio::test]
async fn identical_state_is_a_success_with_empty_lists() {
    let server = Server::start(RULES).await;
    let mut cli = server.cli().await;
    let answer = cli
        .request(update_request(RULES, &[]))
        .await
        .expect("answer")
        .into_inner();
    let Some(ResponseContent::UpdateStateSuccess(done)) = answer.response_content else {
        panic!("{answer:?}")
    };
    assert!(done.added_workloads.is_empty() && done.deleted_workloads.is_empty());
    server.shutdown().await;
}

const EMPTY_MASK: &str = r#"apiVersion: v1
workloads:
  ctl:
    agent: agent_A
    runtime: native
    runtimeConfig: "command: [ctl]"
    controlInterfaceAccess:
      allowRules:
        - {type: StateRule, operation: Read, filterMasks: [""]}
"#;

#[tokio::test]
async fn an_apply_with_an_empty_filter_mask_is_refused() {
    let server = Server::start(RULES).await;
    let mut cli = server.cli().await;
    let before = get_state(&mut cli, &[]).await;
    let answer = cli
        .request(update_request(EMPTY_MASK, &["desiredState.workloads.ctl"]))
        .await
        .expect("answer")
        .into_inner();
    let Some(ResponseContent::Error(e)) = answer.response_content else {
        panic!("{answer:?}")
    };
    assert!(
        e.message.starts_with("Update rejected: '")
            && e.message.contains("empty filter masks are not allowed"),
        "{}",
        e.message
    );
    assert_eq!(get_state(&mut cli, &[]).await, before);
    server.shutdown().await;
}

#[test]
fn a_startup_manifest_with_an_empty_filter_mask_stops_the_server() {
    let path = std::env::temp_dir().join(format!("empty-mask-{}.yaml", std::process::id()));
    std::fs::write(&path, EMPTY_MASK).expect("writes the manifest");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ank-server"))
        .args(["-k", "-a", "127.0.0.1:0", "-m"])
        .arg(&path)
        .output()
        .expect("runs ank-server");
    let _ = std::fs::remove_file(&path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("invalid startup manifest")
            && stderr.contains("workloads.ctl.controlInterfaceAccess.allowRules[0].filterMasks[0]")
            && stderr.contains("empty filter masks are not allowed"),
        "{stderr}"
    );
}
