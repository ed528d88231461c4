//! `disconnectPolicy` on the agent: `stop` after T stops the workload T after the session
//! dropped, `keep` never does, and a reconnect before T cancels the stop.

use super::*;
use ank_model::convert::disconnect_policy_to_pb;
use ank_model::DisconnectPolicy;

fn stopping_after(name: &str, after: Duration) -> pb::AddedWorkload {
    pb::AddedWorkload {
        disconnect_policy: disconnect_policy_to_pb(DisconnectPolicy::StopAfter(after)),
        ..simple(name)
    }
}

fn stops(h: &Harness) -> Vec<String> {
    let calls = h.fake.calls();
    calls
        .into_iter()
        .filter(|c| c.starts_with("stop"))
        .collect()
}

impl Harness {
    /// Both workloads running, in any order.
    async fn both_running(&mut self) {
        let mut running = 0;
        while running < 2 {
            if self.next().await.1.state == ExecState::Running {
                running += 1;
            }
        }
    }

    async fn disconnect(&self) {
        self.conn
            .send(ConnEvent::Disconnected)
            .await
            .expect("agent runs");
    }

    /// A new session whose hello holds `workloads`.
    async fn reconnect(&mut self, workloads: Vec<pb::AddedWorkload>) {
        self.reconnect_hello(hello(workloads)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn stop_after_t_stops_t_after_the_disconnect_and_keep_keeps_running() {
    let after = Duration::from_secs(30);
    let workloads = vec![simple("keeper"), stopping_after("stopper", after)];
    let mut h = Harness::new(Fake::default(), hello(workloads.clone())).await;
    h.both_running().await;
    h.disconnect().await;
    let cut_off = Instant::now();
    tokio::time::sleep(after - Duration::from_secs(1)).await;
    assert!(stops(&h).is_empty(), "{:?}", h.fake.calls());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stops(&h), ["stop stopper"]);
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(stops(&h), ["stop stopper"], "keep never stops");
    assert!(cut_off.elapsed() >= after);
    // Back online: the server's view wins, and it still wants the stopped one.
    h.reconnect(workloads).await;
    // First the report of what the agent still runs, then the start.
    assert_eq!(h.next().await.0, "keeper");
    h.expect("stopper", STARTING).await;
    h.expect("stopper", ExecState::Running).await;
}

#[tokio::test(start_paused = true)]
async fn a_reconnect_before_t_cancels_the_stop() {
    let after = Duration::from_secs(30);
    let workloads = vec![simple("keeper"), stopping_after("stopper", after)];
    let mut h = Harness::new(Fake::default(), hello(workloads.clone())).await;
    h.both_running().await;
    h.disconnect().await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    h.reconnect(workloads).await;
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert!(stops(&h).is_empty(), "{:?}", h.fake.calls());
    // A later cut-off counts from its own start.
    h.disconnect().await;
    tokio::time::sleep(after - Duration::from_secs(1)).await;
    assert!(stops(&h).is_empty(), "{:?}", h.fake.calls());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stops(&h), ["stop stopper"]);
}
