//! The server's doors on a real listener: a connection that sends no request is closed after
//! the idle timeout while a working one stays, and a peer over its connection limit gets a
//! refusal that names the limit.

mod support;

use std::time::Duration;

use ank_model::proto::anchorage::from_server::FromServerEnum;
use apiserver::listener::Limits;
use apiserver::server::Options;
use support::{state_request, update_request, Agent, Server, MANIFEST};
use tokio::io::AsyncReadExt;

fn options(per_peer: usize, idle: Duration) -> Options {
    Options {
        tls: None,
        limits: Limits {
            per_peer,
            idle_timeout: idle,
            ..Limits::default()
        },
        ..Options::default()
    }
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_a_working_one_stays() {
    let server = Server::start_with(MANIFEST, options(64, Duration::from_millis(300))).await;
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut silent = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    let mut agent = Agent::connect(&server, "agent_A").await;
    let _hello = agent.next().await;
    // The server's HTTP/2 SETTINGS come first; then the connection ends.
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut received))
        .await
        .expect("closed within the bound");
    assert!(
        received.len() < 100,
        "only the server's preface: {received:?}"
    );
    drop(read);
    // The agent's session is older than the idle timeout and still carries messages.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut cli = server.cli().await;
    let added = "apiVersion: v1\nworkloads:\n  web:\n    agent: agent_A\n    runtime: podman\n    runtimeConfig: 'image: web'\n";
    cli.request(update_request(added, &["desiredState.workloads.web"]))
        .await
        .expect("the server answers");
    assert!(matches!(
        agent.next_non_state().await,
        FromServerEnum::UpdateWorkload(_)
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn a_peer_over_its_limit_is_told_the_limit() {
    let server = Server::start_with(MANIFEST, options(2, Duration::from_secs(10))).await;
    let first = Agent::connect(&server, "agent_A").await;
    let _second = Agent::connect(&server, "agent_B").await;
    let mut cli = server.cli().await;
    let status = cli
        .request(state_request(&[], false))
        .await
        .expect_err("over the limit");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(
        status.message(),
        "too many connections from 127.0.0.1: at most 2 at once; close some and retry"
    );
    drop(first);
    // The place comes back once the server sees the first agent's connection close.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut cli = server.cli().await;
        match cli.request(state_request(&[], false)).await {
            Ok(_) => break,
            Err(s) if s.code() == tonic::Code::ResourceExhausted => {
                assert!(tokio::time::Instant::now() < deadline, "no place came back");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(s) => panic!("unexpected {s:?}"),
        }
    }
    server.shutdown().await;
}
