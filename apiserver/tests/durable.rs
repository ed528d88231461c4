//! Component tests of the durable desired state: the real server on 127.0.0.1:0 with a state
//! file, restarted on it; a write that fails refuses the update; without a state file the
//! hello asks agents to keep what the server does not list, within the startup grace, and
//! tells them right after it what was deleted meanwhile.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ank_model::exec_state::ExecState;
use ank_model::proto::anchorage::{from_server::FromServerEnum, ServerHello};
use ank_model::proto::ank_base::response::ResponseContent;
use ank_model::{ExecutionState, State};
use apiserver::server::{Error, Options};

use support::*;

const WEB: &str = "apiVersion: v1\nworkloads:\n  web:\n    agent: agent_A\n    runtime: podman\n    runtimeConfig: 'image: web'\nconfigs:\n  port: '8081'\n";

fn durable(path: &Path) -> Options {
    Options {
        state_file: Some(path.to_owned()),
        // Ignored with a state file: the state is the truth.
        startup_grace: Duration::from_secs(60),
        ..Options::default()
    }
}

async fn desired(server: &Server) -> State {
    get_state(&mut server.cli().await, &["desiredState"])
        .await
        .desired_state
}

#[tokio::test]
async fn the_desired_state_survives_a_restart_on_the_same_state_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    let server = Server::start_with(MANIFEST, durable(&path)).await;
    let answer = apply(
        &server,
        WEB,
        &["desiredState.workloads.web", "desiredState.configs"],
    )
    .await;
    assert!(
        matches!(answer, ResponseContent::UpdateStateSuccess(_)),
        "{answer:?}"
    );
    let delete = "apiVersion: v1\nworkloads: {}\n";
    let answer = apply(&server, delete, &["desiredState.workloads.redis"]).await;
    assert!(
        matches!(answer, ResponseContent::UpdateStateSuccess(_)),
        "{answer:?}"
    );
    let before = desired(&server).await;
    assert_eq!(
        before.workloads.keys().collect::<Vec<_>>(),
        ["nginx", "web"]
    );
    server.shutdown().await;

    // The startup manifest only seeds an empty store: redis does not come back.
    let server = Server::start_with(MANIFEST, durable(&path)).await;
    assert_eq!(desired(&server).await, before);
    // An agent gets its workloads from the loaded state, and no grace: the state is the truth.
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = agent.next().await else {
        panic!("hello first")
    };
    assert_eq!(hello.added_workloads.len(), 2);
    assert_eq!(hello.keep_unlisted_ms, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_failed_write_refuses_the_update_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("state.d");
    std::fs::create_dir(&folder).expect("folder");
    let path = folder.join("state");
    let server = Server::start_with(MANIFEST, durable(&path)).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(_) = agent.next().await else {
        panic!("hello first")
    };
    let before = desired(&server).await;
    std::fs::remove_dir_all(&folder).expect("remove the folder");

    let answer = apply(&server, WEB, &["desiredState.workloads.web"]).await;
    let ResponseContent::Error(error) = answer else {
        panic!("refused: {answer:?}")
    };
    assert!(
        error.message.contains("cannot write state file"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains(&path.display().to_string()),
        "{}",
        error.message
    );
    assert_eq!(desired(&server).await, before);
    // Nor did the agent hear of it.
    assert_no_update(&mut agent).await;
    server.shutdown().await;
}

/// Fails if the agent gets an `UpdateWorkload` within 300 ms.
async fn assert_no_update(agent: &mut Agent) {
    let quiet = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            match agent.rx.message().await {
                Ok(Some(m))
                    if matches!(m.from_server_enum, Some(FromServerEnum::UpdateWorkload(_))) =>
                {
                    return m
                }
                Ok(Some(_)) => continue,
                _ => std::future::pending::<()>().await,
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "the agent got {quiet:?}");
}

/// A nodeSelector placement is part of the state: after a restart the workload stays on its
/// agent even when another matching agent connects first.
#[tokio::test]
async fn placements_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    let selected = "apiVersion: v1\nworkloads:\n  any:\n    runtime: podman\n    nodeSelector: {zone: front}\n    runtimeConfig: 'image: any'\n";
    let server = Server::start_with(selected, durable(&path)).await;
    let mut a = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(_) = a.next().await else {
        panic!("hello first")
    };
    let placed = get_state(&mut server.cli().await, &[]).await;
    let any = &placed.effective_state.expect("effective").workloads["any"];
    assert_eq!(any.agent, "agent_A");
    server.shutdown().await;

    let server = Server::start_with(selected, durable(&path)).await;
    let mut b = Agent::connect(&server, "agent_B").await;
    let FromServerEnum::ServerHello(hello) = b.next().await else {
        panic!("hello first")
    };
    assert!(hello.added_workloads.is_empty(), "{hello:?}");
    let mut a = Agent::connect(&server, "agent_A").await;
    let FromServerEnum::ServerHello(hello) = a.next().await else {
        panic!("hello first")
    };
    assert_eq!(hello.added_workloads.len(), 1);
    server.shutdown().await;
}

async fn run_on(path: PathBuf) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    apiserver::server::run(listener, State::new(), durable(&path), async {}).await
}

#[tokio::test]
async fn a_corrupt_state_file_stops_the_start_with_its_name_and_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state");
    let server = Server::start_with(MANIFEST, durable(&path)).await;
    server.shutdown().await;
    let mut bytes = std::fs::read(&path).expect("written");
    let last = bytes.len() - 2;
    bytes[last] ^= 0x20;
    std::fs::write(&path, &bytes).expect("corrupt it");

    let err = run_on(path.clone()).await.expect_err("refuses to start");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("checksum mismatch"), "{message}");
    assert!(message.contains("Move it away"), "{message}");
    // Nothing was written over it.
    assert_eq!(std::fs::read(&path).expect("kept"), bytes);
}

fn grace(grace: Duration) -> Options {
    Options {
        startup_grace: grace,
        ..Options::default()
    }
}

async fn hello_of(agent: &mut Agent) -> ServerHello {
    let FromServerEnum::ServerHello(hello) = agent.next().await else {
        panic!("hello first")
    };
    hello
}

async fn applied(server: &Server, manifest: &str, masks: &[&str]) {
    let answer = apply(server, manifest, masks).await;
    assert!(
        matches!(answer, ResponseContent::UpdateStateSuccess(_)),
        "{answer:?}"
    );
}

const NONE: &str = "apiVersion: v1\nworkloads: {}\n";

#[tokio::test]
async fn without_a_state_file_the_hello_carries_the_grace_left() {
    let server = Server::start_with(MANIFEST, grace(Duration::from_secs(60))).await;
    let hello = hello_of(&mut Agent::connect(&server, "agent_A").await).await;
    assert!(
        (50_000..=60_000).contains(&hello.keep_unlisted_ms),
        "{}",
        hello.keep_unlisted_ms
    );
    server.shutdown().await;

    // Once the grace has passed (or with none), unlisted workloads stop as in Ankaios, and
    // what was deleted within it is forgotten.
    let server = Server::start_with(MANIFEST, grace(Duration::from_millis(50))).await;
    applied(&server, NONE, &["desiredState.workloads.nginx"]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    assert_eq!(hello_of(&mut agent).await.keep_unlisted_ms, 0);
    assert_no_update(&mut agent).await;
    server.shutdown().await;
}

/// Within the grace an agent keeps what its hello does not list, so it hears right after the
/// hello what was deleted while it was away; a workload deleted and applied again is listed,
/// not deleted.
#[tokio::test]
async fn within_the_grace_a_connecting_agent_hears_what_was_deleted() {
    let server = Server::start_with(MANIFEST, grace(Duration::from_secs(60))).await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    let nginx = hello_of(&mut agent).await.added_workloads[0]
        .instance_name
        .clone();
    drop(agent);
    let away = Some(ExecutionState::new(ExecState::AgentDisconnected));
    while state_of(
        &get_state(&mut server.cli().await, &[]).await,
        "agent_A",
        "nginx",
    ) != away
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let masks = [
        "desiredState.workloads.nginx",
        "desiredState.workloads.redis",
    ];
    applied(&server, NONE, &masks).await;
    applied(&server, MANIFEST, &["desiredState.workloads.redis"]).await;

    let mut agent = Agent::connect(&server, "agent_A").await;
    let hello_a = hello_of(&mut agent).await;
    assert!(hello_a.added_workloads.is_empty(), "{hello_a:?}");
    assert!(hello_a.keep_unlisted_ms > 0);
    let FromServerEnum::UpdateWorkload(update) = agent.next_non_state().await else {
        panic!("an update")
    };
    assert!(update.added_workloads.is_empty(), "{update:?}");
    let deleted: Vec<_> = (update.deleted_workloads.iter())
        .map(|d| &d.instance_name)
        .collect();
    assert_eq!(deleted, [&nginx]);

    let mut b = Agent::connect(&server, "agent_B").await;
    let hello_b = hello_of(&mut b).await;
    assert_eq!(hello_b.added_workloads.len(), 1, "{hello_b:?}");
    assert_no_update(&mut b).await;
    server.shutdown().await;
}
