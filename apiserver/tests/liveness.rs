//! Liveness of agent sessions: a session that goes silent (its TCP connection still open) is
//! dropped within the dead-link time and its workloads shown `AgentDisconnected`; a new
//! session of that name is then accepted, a stale one is replaced, a live one still refuses a
//! second session.
mod support;

use std::time::{Duration, Instant};

use ank_model::exec_state::ExecState;
use ank_model::proto::anchorage::{from_server::FromServerEnum, to_server::ToServerEnum};
use ank_model::proto::anchorage::{Heartbeat, ToServer};
use apiserver::server::{DeadLink, Options};
use support::{get_state, state_of, to_server, Agent, Server, MANIFEST};

fn dead_link(d: Duration) -> Options {
    Options {
        dead_link: DeadLink(d),
        ..Options::default()
    }
}

/// Sends a heartbeat every 300 ms on `tx` until the returned task is aborted.
fn heartbeats(tx: tokio::sync::mpsc::Sender<ToServer>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let beat = to_server(ToServerEnum::Heartbeat(Heartbeat {}));
            if tx.send(beat).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
}

#[tokio::test]
async fn a_silent_agent_is_disconnected_within_the_dead_link_time_and_may_come_back() {
    let dead = Duration::from_secs(1);
    let server = Server::start_with(MANIFEST, dead_link(dead)).await;
    let mut cli = server.cli().await;
    let mut agent = Agent::connect(&server, "agent_A").await;
    assert!(matches!(agent.next().await, FromServerEnum::ServerHello(_)));
    let silent_since = Instant::now();
    // The heartbeat is answered: the server's side of the liveness check.
    agent.send(ToServerEnum::Heartbeat(Heartbeat {})).await;
    assert!(matches!(
        agent.next_non_state().await,
        FromServerEnum::Heartbeat(_)
    ));
    loop {
        let complete = get_state(&mut cli, &["workloadStates"]).await;
        let state = state_of(&complete, "agent_A", "nginx").expect("a state");
        if state.state == ExecState::AgentDisconnected {
            break;
        }
        assert!(
            silent_since.elapsed() < dead + Duration::from_secs(1),
            "still {state:?} after {:?}",
            silent_since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        silent_since.elapsed() >= dead,
        "dropped before the dead-link time"
    );
    // The server closed the silent session: its stream ends.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = agent.rx.message().await {}
    })
    .await;
    assert!(end.is_ok(), "the dead session's stream stays open");
    let mut again = Agent::connect(&server, "agent_A").await;
    assert!(matches!(again.next().await, FromServerEnum::ServerHello(_)));
    server.shutdown().await;
}

#[tokio::test]
async fn a_live_session_refuses_a_second_one_and_a_stale_one_is_replaced() {
    let server = Server::start_with(MANIFEST, dead_link(Duration::from_secs(30))).await;
    let mut first = Agent::connect(&server, "agent_A").await;
    assert!(matches!(first.next().await, FromServerEnum::ServerHello(_)));
    let beating = heartbeats(first.tx.clone());
    // Heard from all along, longer than the stale time: still live.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let mut second = Agent::connect(&server, "agent_A").await;
    assert!(matches!(
        second.next().await,
        FromServerEnum::ConnectionRefused(_)
    ));
    // Silent past two heartbeats (the 2 s stale time), long before the dead-link time.
    beating.abort();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let mut third = Agent::connect(&server, "agent_A").await;
    assert!(matches!(third.next().await, FromServerEnum::ServerHello(_)));
    // The stale session was closed.
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = first.rx.message().await {}
    })
    .await;
    assert!(end.is_ok(), "the replaced session's stream stays open");
    // The new session is the agent's: its heartbeat is answered.
    third.send(ToServerEnum::Heartbeat(Heartbeat {})).await;
    assert!(matches!(
        third.next_non_state().await,
        FromServerEnum::Heartbeat(_)
    ));
    server.shutdown().await;
}
