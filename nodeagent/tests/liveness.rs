//! The agent against a fake server that stops answering (its connection still open, as a
//! frozen process): the agent notices within its dead-link time and opens a new session.

mod support;

use std::time::{Duration, Instant};

use ank_model::proto::anchorage as pb;
use ank_model::proto::anchorage::from_server::FromServerEnum;
use ank_model::proto::anchorage::to_server::ToServerEnum;
use support::{start_agent, start_server};

#[tokio::test]
async fn the_agent_reconnects_when_the_server_stops_answering() {
    let (server, mut sessions, _tmp, mut settings) = start_server().await;
    let dead_link = Duration::from_secs(1);
    settings.dead_link = dead_link;
    let agent = start_agent(&settings);
    let mut session = sessions.recv().await.expect("a session");
    assert!(matches!(session.recv().await, ToServerEnum::AgentHello(_)));
    let hello = pb::ServerHello::default();
    session
        .send(FromServerEnum::ServerHello(hello.clone()))
        .await;

    // Answered heartbeats keep the session well past the dead-link time.
    tokio::time::sleep(dead_link * 3).await;
    assert!(sessions.try_recv().is_err(), "a live session was dropped");
    assert!(
        session.heartbeats() >= 6,
        "{} heartbeats",
        session.heartbeats()
    );

    session.freeze();
    let frozen = Instant::now();
    let mut next = tokio::time::timeout(Duration::from_secs(10), sessions.recv())
        .await
        .expect("a new session in time")
        .expect("a session");
    let after = frozen.elapsed();
    // Silence counts from the server's last echo, which came at most one heartbeat interval
    // (a quarter of the dead-link time) before the freeze; at the other end, the dead-link
    // time plus the first reconnect delay (200 ms) and some slack.
    assert!(after >= dead_link * 3 / 4, "reconnected after {after:?}");
    assert!(after < dead_link * 2, "reconnected after {after:?}");
    assert!(matches!(next.recv().await, ToServerEnum::AgentHello(_)));
    next.send(FromServerEnum::ServerHello(hello)).await;
    tokio::time::sleep(dead_link * 2).await;
    assert!(next.heartbeats() >= 4, "{} heartbeats", next.heartbeats());

    agent.stop.send(()).expect("agent runs");
    agent.task.await.expect("agent ends cleanly");
    server.abort();
}
