//! What the component tests share: the real server on 127.0.0.1:0, a fake agent speaking the
//! `Session` stream, a CLI client and request builders.
#![allow(dead_code)] // each test file uses a part
use std::time::Duration;

use ank_model::proto::anchorage::agent_connection_client::AgentConnectionClient;
use ank_model::proto::anchorage::cli_connection_client::CliConnectionClient;
use ank_model::proto::anchorage::{from_server::FromServerEnum, to_server::ToServerEnum};
use ank_model::proto::anchorage::{
    AgentHello, FromServer, ToServer, UpdateWorkloadState, WorkloadState,
};
use ank_model::proto::ank_base as pb;
use ank_model::{CompleteState, ExecutionState, State};
use pb::request::RequestContent;
use pb::response::ResponseContent;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::Streaming;

pub const MANIFEST: &str = r#"apiVersion: v1
workloads:
  nginx:
    agent: agent_A
    runtime: podman
    runtimeConfig: "image: nginx"
  redis:
    agent: agent_B
    runtime: podman
    runtimeConfig: "image: redis"
"#;

pub struct Server {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    pub async fn start(manifest: &str) -> Server {
        Server::start_with(manifest, Default::default()).await
    }

    pub async fn start_with(manifest: &str, options: apiserver::server::Options) -> Server {
        let state: State = serde_yaml_ng::from_str(manifest).expect("manifest");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            apiserver::server::run(listener, state, options, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        Server {
            url,
            stop: Some(stop),
            task,
        }
    }

    pub async fn cli(&self) -> CliConnectionClient<Channel> {
        CliConnectionClient::connect(self.url.clone())
            .await
            .expect("cli connects")
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("drains in time")
            .expect("server task");
    }
}

pub struct Agent {
    pub tx: mpsc::Sender<ToServer>,
    pub rx: Streaming<FromServer>,
}

impl Agent {
    pub async fn connect(server: &Server, name: &str) -> Agent {
        let mut client = AgentConnectionClient::connect(server.url.clone())
            .await
            .expect("agent connects");
        let (tx, rx) = mpsc::channel(16);
        let hello = AgentHello {
            agent_name: name.into(),
            protocol_version: "1.1.0".into(),
            tags: [("zone".to_string(), "front".to_string())].into(),
        };
        tx.send(to_server(ToServerEnum::AgentHello(hello)))
            .await
            .expect("hello");
        let rx = client
            .session(ReceiverStream::new(rx))
            .await
            .expect("session")
            .into_inner();
        Agent { tx, rx }
    }

    pub async fn next(&mut self) -> FromServerEnum {
        let message = tokio::time::timeout(Duration::from_secs(5), self.rx.message())
            .await
            .expect("a message in time")
            .expect("stream ok")
            .expect("stream open");
        message.from_server_enum.expect("content")
    }

    /// The next message that is not a state broadcast.
    pub async fn next_non_state(&mut self) -> FromServerEnum {
        loop {
            match self.next().await {
                FromServerEnum::UpdateWorkloadState(_) => continue,
                other => return other,
            }
        }
    }

    pub async fn send(&self, message: ToServerEnum) {
        self.tx.send(to_server(message)).await.expect("send");
    }
}

pub fn to_server(message: ToServerEnum) -> ToServer {
    ToServer {
        to_server_enum: Some(message),
    }
}

pub fn request(content: RequestContent) -> pb::Request {
    pb::Request {
        request_id: "req-1".into(),
        request_content: Some(content),
    }
}

pub fn state_request(masks: &[&str], subscribe: bool) -> pb::Request {
    request(RequestContent::CompleteStateRequest(
        pb::CompleteStateRequest {
            field_mask: masks.iter().map(|s| s.to_string()).collect(),
            subscribe_for_events: subscribe,
        },
    ))
}

pub fn update_request(manifest: &str, masks: &[&str]) -> pb::Request {
    let state: State = serde_yaml_ng::from_str(manifest).expect("manifest");
    let complete = CompleteState {
        desired_state: state,
        ..Default::default()
    };
    request(RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
        new_state: Some(complete.into()),
        update_mask: masks.iter().map(|s| s.to_string()).collect(),
        dry_run: false,
    }))
}

/// Sends an update of `manifest` at `masks` and returns the answer.
pub async fn apply(server: &Server, manifest: &str, masks: &[&str]) -> ResponseContent {
    let mut cli = server.cli().await;
    cli.request(update_request(manifest, masks))
        .await
        .expect("answer")
        .into_inner()
        .response_content
        .expect("content")
}

pub async fn get_state(cli: &mut CliConnectionClient<Channel>, masks: &[&str]) -> CompleteState {
    let response = cli
        .request(state_request(masks, false))
        .await
        .expect("answer")
        .into_inner();
    let Some(ResponseContent::CompleteStateResponse(r)) = response.response_content else {
        panic!("not a state: {response:?}")
    };
    assert!(r.altered_fields.is_none());
    r.complete_state
        .expect("state")
        .try_into()
        .expect("converts")
}

pub fn state_of(complete: &CompleteState, agent: &str, workload: &str) -> Option<ExecutionState> {
    complete
        .workload_states
        .get(agent)?
        .get(workload)?
        .values()
        .next()
        .cloned()
}

pub async fn next_event(events: &mut Streaming<pb::Response>) -> pb::CompleteStateResponse {
    let event = tokio::time::timeout(Duration::from_secs(5), events.message())
        .await
        .expect("an event in time")
        .expect("ok")
        .expect("event");
    let Some(ResponseContent::CompleteStateResponse(r)) = event.response_content else {
        panic!("state")
    };
    r
}

pub fn report(instance: &pb::WorkloadInstanceName, state: ExecutionState) -> ToServerEnum {
    ToServerEnum::UpdateWorkloadState(UpdateWorkloadState {
        workload_states: vec![WorkloadState {
            instance_name: Some(instance.clone()),
            execution_state: Some(state.into()),
        }],
    })
}
