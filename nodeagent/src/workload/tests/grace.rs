//! The startup grace of a server without a durable state: what the agent keeps, what it
//! releases when the server speaks of a workload or deletes an instance, and what it stops
//! when the grace ends.

use super::*;

const GRACE: Duration = Duration::from_secs(30);

fn graced(workloads: Vec<pb::AddedWorkload>) -> pb::ServerHello {
    pb::ServerHello {
        keep_unlisted_ms: GRACE.as_millis() as u64,
        ..hello(workloads)
    }
}

fn stops(h: &Harness) -> Vec<String> {
    (h.fake.calls().into_iter())
        .filter(|c| c.starts_with("stop"))
        .collect()
}

impl Harness {
    /// A new session with this hello, as after a server restart.
    pub(super) async fn reconnect_hello(&mut self, hello: pb::ServerHello) {
        let (sender, to_server) = mpsc::channel(1024);
        self.to_server = to_server;
        self.seen.clear();
        let (hello, skipped) = ank_model::convert::server_hello_from_pb(hello);
        assert!(skipped.is_empty(), "{skipped:?}");
        let hello = Box::new(hello);
        self.conn
            .send(ConnEvent::Connected { sender, hello })
            .await
            .expect("agent runs");
    }
}

/// A workload the agent runs, not listed by a restarted server: kept (its state reported)
/// through the grace, stopped when it ends.
#[tokio::test(start_paused = true)]
async fn an_unlisted_workload_is_kept_until_the_grace_ends() {
    let mut h = Harness::new(Fake::default(), hello(vec![simple("a")])).await;
    h.expect("a", STARTING).await;
    h.expect("a", ExecState::Running).await;

    h.reconnect_hello(graced(Vec::new())).await;
    h.expect("a", ExecState::Running).await;
    tokio::time::sleep(GRACE - Duration::from_secs(1)).await;
    assert!(stops(&h).is_empty(), "{:?}", h.fake.calls());

    tokio::time::sleep(Duration::from_secs(2)).await;
    h.expect("a", ExecState::Stopping(Stopping::RequestedAtRuntime))
        .await;
    h.expect("a", ExecState::Removed).await;
    assert_eq!(stops(&h), ["stop a"]);
}

/// Re-applied during the grace: kept for good, its true state reported again; another
/// instance of a kept workload replaces it at once, as an update would.
#[tokio::test(start_paused = true)]
async fn a_workload_listed_again_in_the_grace_stays_and_a_changed_one_is_replaced() {
    let mut h = Harness::new(Fake::default(), hello(vec![simple("a"), simple("b")])).await;
    for _ in 0..4 {
        h.next().await;
    }
    h.reconnect_hello(graced(Vec::new())).await;
    h.next().await;
    h.next().await;

    let changed = pb::AddedWorkload {
        instance_name: Some(WorkloadInstanceName::new("b", AGENT, "b2").into()),
        ..simple("b")
    };
    let update = pb::UpdateWorkload {
        added_workloads: vec![simple("a"), changed],
        deleted_workloads: Vec::new(),
    };
    h.server_sends(pb::from_server::FromServerEnum::UpdateWorkload(update))
        .await;
    let mut seen = Vec::new();
    // The old b stops before the new one starts.
    for _ in 0..6 {
        let (name, state) = h.next().await;
        seen.push(format!("{name} {}", state.state));
    }
    assert!(seen.contains(&"a Running(Ok)".to_owned()), "{seen:?}");
    assert!(seen.contains(&"b Removed".to_owned()), "{seen:?}");
    assert_eq!(
        seen.last().map(String::as_str),
        Some("b Running(Ok)"),
        "{seen:?}"
    );
    assert_eq!(stops(&h), ["stop b"]);

    tokio::time::sleep(GRACE * 2).await;
    assert_eq!(stops(&h), ["stop b"], "nothing else stops after the grace");
}

/// Found on the node by a restarted agent, not listed: left alone through the grace, stopped
/// after it; one listed meanwhile is adopted, not started again.
#[tokio::test(start_paused = true)]
async fn instances_found_on_the_node_wait_for_the_grace() {
    let fake = Fake::default();
    *fake.on_node.lock().expect("lock") = vec![instance("old"), instance("back")];
    let mut h = Harness::new(fake, graced(vec![simple("new")])).await;
    h.expect("new", STARTING).await;
    h.expect("new", ExecState::Running).await;
    assert!(stops(&h).is_empty(), "{:?}", h.fake.calls());

    let update = pb::UpdateWorkload {
        added_workloads: vec![simple("back")],
        deleted_workloads: Vec::new(),
    };
    h.server_sends(pb::from_server::FromServerEnum::UpdateWorkload(update))
        .await;
    // Adopted: no Pending(Starting).
    h.expect("back", ExecState::Running).await;

    tokio::time::sleep(GRACE + Duration::from_secs(1)).await;
    assert_eq!(stops(&h), ["stop old"]);
}

fn delete(name: &str) -> pb::from_server::FromServerEnum {
    pb::from_server::FromServerEnum::UpdateWorkload(pb::UpdateWorkload {
        added_workloads: Vec::new(),
        deleted_workloads: vec![pb::DeletedWorkload {
            instance_name: Some(instance(name).into()),
            dependencies: Default::default(),
        }],
    })
}

/// Lets the agent's tasks run (paused time moves only when all are idle).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// A delete of an instance the grace keeps (the server sends those of its grace right after
/// the hello) stops it at once, not when the grace ends.
#[tokio::test(start_paused = true)]
async fn a_deleted_instance_the_grace_keeps_stops_at_once() {
    let mut h = Harness::new(Fake::default(), hello(vec![simple("a")])).await;
    h.expect("a", STARTING).await;
    h.expect("a", ExecState::Running).await;
    h.reconnect_hello(graced(Vec::new())).await;
    h.expect("a", ExecState::Running).await;

    let start = Instant::now();
    h.server_sends(delete("a")).await;
    h.expect("a", ExecState::Stopping(Stopping::RequestedAtRuntime))
        .await;
    h.expect("a", ExecState::Removed).await;
    assert_eq!(stops(&h), ["stop a"]);
    assert!(start.elapsed() < Duration::from_secs(1), "at once");
}

/// An unlisted instance found on the node is stopped at once when the server deletes it:
/// found before the delete, or listed by its runtime only after it.
#[tokio::test(start_paused = true)]
async fn a_deleted_instance_found_on_the_node_stops_at_once() {
    let fake = Fake::default();
    *fake.on_node.lock().expect("lock") = vec![instance("old")];
    let mut h = Harness::new(fake, graced(vec![simple("new")])).await;
    h.expect("new", STARTING).await;
    h.expect("new", ExecState::Running).await;
    let start = Instant::now();
    h.server_sends(delete("old")).await;
    h.expect("old", ExecState::Removed).await;
    settle().await;
    assert_eq!(stops(&h), ["stop old"]);
    assert!(start.elapsed() < Duration::from_secs(1), "at once");

    // A runtime that lists the node slowly finds `kept` after its delete arrived.
    let tmp = tempfile::tempdir().expect("tempdir");
    let old = tmp.path().join(format!("{AGENT}_io")).join("kept.abc");
    std::fs::create_dir_all(old).expect("an instance folder of an earlier life");
    let fake = Arc::new(Fake::default());
    let gate = Arc::new(tokio::sync::Notify::new());
    let slow = SlowLister(FakeRuntime(Arc::clone(&fake)), Arc::clone(&gate));
    let mut h = Harness::with(tmp, fake, vec![Arc::new(slow)], graced(Vec::new())).await;
    let start = Instant::now();
    h.server_sends(delete("kept")).await;
    h.expect("kept", ExecState::Removed).await;
    gate.notify_one();
    settle().await;
    assert_eq!(stops(&h), ["stop kept"]);
    assert!(start.elapsed() < Duration::from_secs(1), "at once");
}
