//! Workload control through the agent loop, with a fake runtime and paused time: the tests
//! feed connection events and read what the agent sends to the server.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ank_model::exec_state::{ExecState, Failed, Pending, Stopping};
use ank_model::proto::anchorage::{self as pb, to_server::ToServerEnum};
use ank_model::{ExecutionState, RestartPolicy, WorkloadInstanceName};
use async_trait::async_trait;
use runtimes::{
    LogOptions, LogStream, Runtime, RuntimeError, RuntimeRegistry, StateSink, StateUpdate,
    WorkloadSpec,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::agent::{Agent, AgentSettings};
use crate::connection::ConnEvent;

mod grace;

const AGENT: &str = "agent_A";

#[derive(Default)]
struct Fake {
    sink: Mutex<Option<StateSink>>,
    calls: Mutex<Vec<String>>,
    failing_starts: Mutex<u32>,
    on_node: Mutex<Vec<WorkloadInstanceName>>,
    lists: Mutex<u32>,
    /// How long a stop takes.
    stop_delay: Mutex<Duration>,
    /// The control-interface folder of each start.
    ci_dirs: Mutex<Vec<Option<std::path::PathBuf>>>,
}

impl Fake {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }

    fn emit(&self, instance: &WorkloadInstanceName, state: ExecState) {
        if let Some(sink) = &*self.sink.lock().expect("lock") {
            let _ = sink.send(StateUpdate {
                instance: instance.clone(),
                state: ExecutionState::new(state),
            });
        }
    }
}

struct FakeRuntime(Arc<Fake>);

#[async_trait]
impl Runtime for FakeRuntime {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn check_config(&self, config: &str) -> Result<(), RuntimeError> {
        match config {
            "bad" => Err(RuntimeError::InvalidConfig("bad config".into())),
            _ => Ok(()),
        }
    }
    /// Like `podman-kube`: no files.
    fn check_files(&self, files: &[ank_model::File]) -> Result<(), RuntimeError> {
        match files {
            [] => Ok(()),
            _ => Err(RuntimeError::Unsupported(
                "fake workloads cannot mount files".into(),
            )),
        }
    }
    async fn list_instances(&self, _: &str) -> Result<Vec<WorkloadInstanceName>, RuntimeError> {
        *self.0.lists.lock().expect("lock") += 1;
        Ok(self.0.on_node.lock().expect("lock").clone())
    }
    async fn start(&self, spec: &WorkloadSpec) -> Result<(), RuntimeError> {
        let name = &spec.instance.workload_name;
        self.0
            .calls
            .lock()
            .expect("lock")
            .push(format!("start {name}"));
        self.0
            .ci_dirs
            .lock()
            .expect("lock")
            .push(spec.control_interface_dir.clone());
        {
            let mut failing = self.0.failing_starts.lock().expect("lock");
            if *failing > 0 {
                *failing -= 1;
                return Err(RuntimeError::StartFailed("boom".into()));
            }
        }
        self.0.emit(&spec.instance, ExecState::Running);
        Ok(())
    }
    async fn stop(&self, instance: &WorkloadInstanceName) -> Result<(), RuntimeError> {
        let name = &instance.workload_name;
        self.0
            .calls
            .lock()
            .expect("lock")
            .push(format!("stop {name}"));
        let delay = *self.0.stop_delay.lock().expect("lock");
        tokio::time::sleep(delay).await;
        Ok(())
    }
    async fn logs(
        &self,
        _: &WorkloadInstanceName,
        _: &LogOptions,
    ) -> Result<LogStream, RuntimeError> {
        Ok(Box::pin(futures::stream::iter(
            ["one", "two"].map(|l| Ok(l.to_owned())),
        )))
    }
}

fn instance(name: &str) -> WorkloadInstanceName {
    WorkloadInstanceName::new(name, AGENT, name)
}

fn added(
    name: &str,
    runtime: &str,
    policy: RestartPolicy,
    deps: &[(&str, i32)],
) -> pb::AddedWorkload {
    pb::AddedWorkload {
        instance_name: Some(instance(name).into()),
        runtime: runtime.into(),
        runtime_config: name.into(),
        restart_policy: ank_model::convert::restart_policy_to_pb(policy) as i32,
        dependencies: deps.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        ..Default::default()
    }
}

fn simple(name: &str) -> pb::AddedWorkload {
    added(name, "fake", RestartPolicy::Never, &[])
}

struct Harness {
    fake: Arc<Fake>,
    conn: mpsc::Sender<ConnEvent>,
    to_server: mpsc::Receiver<pb::ToServer>,
    seen: VecDeque<(String, ExecutionState)>,
    _tmp: tempfile::TempDir,
    _agent: tokio::task::JoinHandle<()>,
}

impl Harness {
    async fn new(fake: Fake, hello: pb::ServerHello) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        Self::with(tmp, Arc::new(fake), Vec::new(), hello).await
    }

    /// An agent with the run folder `tmp`, the fake runtime and `more` runtimes.
    async fn with(
        tmp: tempfile::TempDir,
        fake: Arc<Fake>,
        more: Vec<Arc<dyn Runtime>>,
        hello: pb::ServerHello,
    ) -> Self {
        let (sink, states) = mpsc::unbounded_channel();
        *fake.sink.lock().expect("lock") = Some(sink);
        let mut runtimes = RuntimeRegistry::new();
        runtimes.register(Arc::new(FakeRuntime(Arc::clone(&fake))));
        for runtime in more {
            runtimes.register(runtime);
        }
        let settings = AgentSettings {
            name: AGENT.into(),
            server_url: String::new(),
            dialer: ank_transport::Dialer::new(
                "http://127.0.0.1:1",
                &ank_transport::Security::Insecure,
                std::time::Duration::from_secs(1),
            )
            .expect("dialer"),
            tags: BTreeMap::new(),
            run_folder: tmp.path().to_owned(),
            dead_link: Duration::from_secs(5),
        };
        let (conn, conn_rx) = mpsc::channel(16);
        let agent = tokio::spawn(async move {
            let mut agent = Agent::new(&settings, runtimes);
            agent
                .event_loop(conn_rx, states, std::future::pending())
                .await;
        });
        let (sender, to_server) = mpsc::channel(1024);
        // Converted as the connection converts what the server sends.
        let (hello, skipped) = ank_model::convert::server_hello_from_pb(hello);
        assert!(skipped.is_empty(), "{skipped:?}");
        let hello = Box::new(hello);
        conn.send(ConnEvent::Connected { sender, hello })
            .await
            .expect("agent runs");
        Harness {
            fake,
            conn,
            to_server,
            seen: VecDeque::new(),
            _tmp: tmp,
            _agent: agent,
        }
    }

    async fn server_sends(&self, message: pb::from_server::FromServerEnum) {
        let (message, skipped) =
            ank_model::convert::server_message_from_pb(message).expect("a server message");
        assert!(skipped.is_empty(), "{skipped:?}");
        self.conn
            .send(ConnEvent::Message(Box::new(message)))
            .await
            .expect("agent runs");
    }

    /// The next state the agent reports (load reports are skipped).
    async fn next(&mut self) -> (String, ExecutionState) {
        loop {
            if let Some(next) = self.seen.pop_front() {
                return next;
            }
            let message = tokio::time::timeout(Duration::from_secs(600), self.to_server.recv())
                .await
                .expect("a report in time")
                .expect("agent runs");
            if let Some(ToServerEnum::UpdateWorkloadState(update)) = message.to_server_enum {
                for s in update.workload_states {
                    let (i, state) = ank_model::convert::instance_state_from_pb(s).expect("valid");
                    self.seen.push_back((i.workload_name, state));
                }
            }
        }
    }

    async fn expect(&mut self, workload: &str, state: ExecState) -> ExecutionState {
        let (name, got) = self.next().await;
        assert_eq!(
            (name.as_str(), got.state),
            (workload, state),
            "{}",
            got.additional_info
        );
        got
    }
}

fn hello(workloads: Vec<pb::AddedWorkload>) -> pb::ServerHello {
    pb::ServerHello {
        added_workloads: workloads,
        workload_states: Vec::new(),
        ..Default::default()
    }
}

const STARTING: ExecState = ExecState::Pending(Pending::Starting);
const WAITING: ExecState = ExecState::Pending(Pending::WaitingToStart);
const START_FAILED: ExecState = ExecState::Pending(Pending::StartingFailed);
const EXEC_FAILED: ExecState = ExecState::Failed(Failed::ExecFailed);

#[tokio::test(start_paused = true)]
async fn a_dependent_waits_until_its_dependency_runs() {
    let running = ank_model::proto::ank_base::AddCondition::AddCondRunning as i32;
    let b = added("b", "fake", RestartPolicy::Never, &[("a", running)]);
    let mut h = Harness::new(Fake::default(), hello(vec![simple("a"), b])).await;
    h.expect("a", STARTING).await;
    h.expect("b", WAITING).await;
    h.expect("a", ExecState::Running).await;
    h.expect("b", STARTING).await;
    h.expect("b", ExecState::Running).await;
}

#[tokio::test(start_paused = true)]
async fn a_dependency_on_another_agent_comes_from_server_states() {
    let succeeded = ank_model::proto::ank_base::AddCondition::AddCondSucceeded as i32;
    let b = added("b", "fake", RestartPolicy::Never, &[("remote", succeeded)]);
    let mut h = Harness::new(Fake::default(), hello(vec![b])).await;
    h.expect("b", WAITING).await;
    let remote = WorkloadInstanceName::new("remote", "agent_B", "x");
    let update = crate::convert::update_states([(remote, ExecutionState::succeeded())]);
    let Some(ToServerEnum::UpdateWorkloadState(update)) = update.to_server_enum else {
        unreachable!()
    };
    h.server_sends(pb::from_server::FromServerEnum::UpdateWorkloadState(update))
        .await;
    h.expect("b", STARTING).await;
    h.expect("b", ExecState::Running).await;
}

#[tokio::test(start_paused = true)]
async fn restart_policies() {
    let workloads = vec![
        added("never", "fake", RestartPolicy::Never, &[]),
        added("onfail", "fake", RestartPolicy::OnFailure, &[]),
        added("always", "fake", RestartPolicy::Always, &[]),
    ];
    let mut h = Harness::new(Fake::default(), hello(workloads)).await;
    for _ in 0..6 {
        h.next().await; // Starting and Running of each
    }
    for name in ["never", "onfail", "always"] {
        h.fake.emit(&instance(name), EXEC_FAILED);
        h.expect(name, EXEC_FAILED).await;
        if name != "never" {
            h.expect(name, STARTING).await;
            h.expect(name, ExecState::Running).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(20)).await;
    h.fake.emit(&instance("onfail"), ExecState::Succeeded);
    h.expect("onfail", ExecState::Succeeded).await;
    h.fake.emit(&instance("always"), ExecState::Succeeded);
    h.expect("always", ExecState::Succeeded).await;
    h.expect("always", STARTING).await;
    let starts = |name: &str| {
        h.fake
            .calls()
            .iter()
            .filter(|c| **c == format!("start {name}"))
            .count()
    };
    assert_eq!(
        (starts("never"), starts("onfail"), starts("always")),
        (1, 2, 3)
    );
}

#[tokio::test(start_paused = true)]
async fn failed_starts_are_retried_with_backoff() {
    let fake = Fake {
        failing_starts: Mutex::new(2),
        ..Fake::default()
    };
    let t0 = Instant::now();
    let mut h = Harness::new(fake, hello(vec![simple("w")])).await;
    h.expect("w", STARTING).await;
    let failed = h.expect("w", START_FAILED).await;
    assert_eq!(failed.additional_info, "boom");
    h.expect("w", STARTING).await;
    assert!(t0.elapsed() >= Duration::from_secs(1));
    h.expect("w", START_FAILED).await;
    h.expect("w", STARTING).await;
    assert!(t0.elapsed() >= Duration::from_secs(3), "1 s then 2 s");
    h.expect("w", ExecState::Running).await;
}

#[tokio::test(start_paused = true)]
async fn unknown_runtime_and_bad_config_fail_without_retry() {
    let workloads = vec![added("x", "nope", RestartPolicy::Always, &[]), {
        let mut bad = simple("y");
        bad.runtime_config = "bad".into();
        bad
    }];
    let mut h = Harness::new(Fake::default(), hello(workloads)).await;
    // As in Ankaios: the start is reported as triggered, then as failed.
    let x = h.expect("x", STARTING).await;
    assert_eq!(x.additional_info, "Triggered at runtime.");
    let x = h.expect("x", START_FAILED).await;
    assert_eq!(x.additional_info, "Unsupported Runtime", "Ankaios' message");
    h.expect("y", STARTING).await;
    let y = h.expect("y", START_FAILED).await;
    assert!(
        y.additional_info.contains("bad config"),
        "{}",
        y.additional_info
    );
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(h.fake.calls().is_empty());
}

/// A runtime that cannot mount files refuses the workload before `start`: StartingFailed with
/// its message, never retried, and nothing written to the instance folder.
#[tokio::test(start_paused = true)]
async fn files_a_runtime_cannot_mount_fail_the_start_without_retry() {
    let mut with_files = simple("f");
    with_files.files = vec![ank_model::File {
        mount_point: "/etc/f.conf".into(),
        data: Some("x".into()),
        binary_data: None,
    }
    .into()];
    let tmp = tempfile::tempdir().expect("tempdir");
    let folder = tmp
        .path()
        .join(format!("{AGENT}_io"))
        .join(instance("f").folder_name());
    let mut h = Harness::with(
        tmp,
        Arc::new(Fake::default()),
        Vec::new(),
        hello(vec![with_files]),
    )
    .await;
    h.expect("f", STARTING).await;
    let f = h.expect("f", START_FAILED).await;
    assert_eq!(f.additional_info, "fake workloads cannot mount files");
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(h.fake.calls().is_empty(), "{:?}", h.fake.calls());
    let left: Vec<_> = std::fs::read_dir(&folder).into_iter().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(start_paused = true)]
async fn delete_waits_while_a_running_dependent_exists() {
    let running = ank_model::proto::ank_base::AddCondition::AddCondRunning as i32;
    let b = added("b", "fake", RestartPolicy::Never, &[("a", running)]);
    let mut h = Harness::new(Fake::default(), hello(vec![simple("a"), b])).await;
    for _ in 0..5 {
        h.next().await;
    }
    let delete = |name: &str, dependents: &[(&str, i32)]| pb::DeletedWorkload {
        instance_name: Some(instance(name).into()),
        dependencies: dependents
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
    };
    let update = |deleted| {
        pb::from_server::FromServerEnum::UpdateWorkload(pb::UpdateWorkload {
            added_workloads: Vec::new(),
            deleted_workloads: vec![deleted],
        })
    };
    h.server_sends(update(delete("a", &[("b", running)]))).await;
    h.expect("a", ExecState::Stopping(Stopping::WaitingToStop))
        .await;
    h.server_sends(update(delete("b", &[]))).await;
    // A stopping dependent is neither pending nor running (Ankaios' delete condition), so `a`
    // may stop as soon as `b` is Stopping.
    let mut seen = Vec::new();
    for _ in 0..4 {
        let (name, state) = h.next().await;
        seen.push(format!("{name} {}", state.state));
    }
    assert_eq!(seen[0], "b Stopping(RequestedAtRuntime)");
    assert!(
        seen.contains(&"a Stopping(RequestedAtRuntime)".to_owned()),
        "{seen:?}"
    );
    assert!(seen.contains(&"a Removed".to_owned()), "{seen:?}");
    assert!(seen.contains(&"b Removed".to_owned()), "{seen:?}");
    assert_eq!(h.fake.calls()[2..], ["stop b", "stop a"]);
}

#[tokio::test(start_paused = true)]
async fn instances_on_the_node_are_adopted_or_stopped() {
    let fake = Fake::default();
    *fake.on_node.lock().expect("lock") = vec![instance("kept"), instance("unwanted")];
    let mut h = Harness::new(fake, hello(vec![simple("kept"), simple("new")])).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (name, state) = h.next().await;
        seen.push(format!("{name} {}", state.state));
    }
    seen.sort();
    // Adopted: no Pending(Starting), the runtime reports what it finds.
    assert_eq!(
        seen,
        [
            "kept Running(Ok)",
            "new Pending(Starting)",
            "new Running(Ok)"
        ]
    );
    let calls = h.fake.calls();
    assert!(calls.contains(&"stop unwanted".to_owned()), "{calls:?}");
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("start kept")).count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn logs_are_streamed_then_stopped() {
    use ank_model::proto::ank_base::{
        self as base, request::RequestContent, response::ResponseContent,
    };
    let mut h = Harness::new(Fake::default(), hello(vec![simple("w")])).await;
    h.expect("w", STARTING).await;
    h.expect("w", ExecState::Running).await;
    let request = base::Request {
        request_id: "r1".into(),
        request_content: Some(RequestContent::LogsRequest(base::LogsRequest {
            workload_names: vec![instance("w").into()],
            ..Default::default()
        })),
    };
    h.server_sends(pb::from_server::FromServerEnum::LogsRequest(request))
        .await;
    let mut lines = Vec::new();
    loop {
        let message = h.to_server.recv().await.expect("agent runs");
        let Some(ToServerEnum::Response(response)) = message.to_server_enum else {
            continue;
        };
        assert_eq!(response.request_id, "r1");
        match response.response_content {
            Some(ResponseContent::LogEntriesResponse(entries)) => {
                lines.extend(entries.log_entries.into_iter().map(|e| e.message));
            }
            Some(ResponseContent::LogsStopResponse(_)) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(lines, ["one", "two"]);
}

#[tokio::test(start_paused = true)]
async fn states_of_one_burst_go_out_in_one_report() {
    let names = ["a", "b", "c", "d"];
    let mut h = Harness::new(Fake::default(), hello(names.map(simple).to_vec())).await;
    // The first report is the (empty) full one every session starts with.
    let update = loop {
        let message = tokio::time::timeout(Duration::from_secs(600), h.to_server.recv())
            .await
            .expect("a report in time")
            .expect("agent runs");
        match message.to_server_enum {
            Some(ToServerEnum::UpdateWorkloadState(u)) if !u.workload_states.is_empty() => break u,
            _ => {}
        }
    };
    let reported: Vec<String> = update
        .workload_states
        .into_iter()
        .map(|s| {
            ank_model::convert::instance_state_from_pb(s)
                .expect("valid")
                .0
                .workload_name
        })
        .collect();
    assert_eq!(reported, names, "all four Pending(Starting) in one report");
}

/// A runtime whose listing of the node waits for `gate` (a slow `podman ps`) and then finds
/// `kept`; it starts like the fake runtime.
struct SlowLister(FakeRuntime, Arc<tokio::sync::Notify>);

#[async_trait]
impl Runtime for SlowLister {
    fn name(&self) -> &'static str {
        "slow"
    }
    fn check_config(&self, config: &str) -> Result<(), RuntimeError> {
        self.0.check_config(config)
    }
    async fn list_instances(&self, _: &str) -> Result<Vec<WorkloadInstanceName>, RuntimeError> {
        self.1.notified().await;
        Ok(vec![instance("kept")])
    }
    async fn start(&self, spec: &WorkloadSpec) -> Result<(), RuntimeError> {
        self.0.start(spec).await
    }
    async fn stop(&self, instance: &WorkloadInstanceName) -> Result<(), RuntimeError> {
        self.0.stop(instance).await
    }
    async fn logs(
        &self,
        instance: &WorkloadInstanceName,
        options: &LogOptions,
    ) -> Result<LogStream, RuntimeError> {
        self.0.logs(instance, options).await
    }
}

/// An agent in `tmp` with the fake runtime and a [`SlowLister`] named `slow`, whose gate is
/// returned; it is told to run `workloads`.
async fn with_slow_lister(
    tmp: tempfile::TempDir,
    workloads: Vec<pb::AddedWorkload>,
) -> (Harness, Arc<tokio::sync::Notify>) {
    let fake = Arc::new(Fake::default());
    let gate = Arc::new(tokio::sync::Notify::new());
    let slow = SlowLister(FakeRuntime(Arc::clone(&fake)), Arc::clone(&gate));
    let h = Harness::with(tmp, fake, vec![Arc::new(slow)], hello(workloads)).await;
    (h, gate)
}

#[tokio::test(start_paused = true)]
async fn a_slow_listing_holds_back_only_its_own_runtimes_workloads() {
    let kept = added("kept", "slow", RestartPolicy::Never, &[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut h, gate) = with_slow_lister(tmp, vec![kept, simple("quick")]).await;
    h.expect("quick", STARTING).await;
    h.expect("quick", ExecState::Running).await;
    assert_eq!(
        h.fake.calls(),
        ["start quick"],
        "kept waits for its listing"
    );

    gate.notify_one();
    // Found on the node by its runtime: adopted, no Pending(Starting).
    h.expect("kept", ExecState::Running).await;
    let calls = h.fake.calls();
    assert_eq!(calls.iter().filter(|c| *c == "start kept").count(), 1);
}

/// Only a `slow` workload is wanted: the `fake` runtime is asked to list the node only when
/// the agent folder holds an instance folder of an earlier life.
#[tokio::test(start_paused = true)]
async fn a_fresh_node_asks_only_runtimes_with_wanted_workloads() {
    for leftover in [false, true] {
        let tmp = tempfile::tempdir().expect("tempdir");
        if leftover {
            let old = tmp.path().join(format!("{AGENT}_io")).join("old.abc");
            std::fs::create_dir_all(old).expect("instance folder");
        }
        let wanted = added("kept", "slow", RestartPolicy::Never, &[]);
        let (mut h, gate) = with_slow_lister(tmp, vec![wanted]).await;
        gate.notify_one();
        h.expect("kept", ExecState::Running).await;
        let lists = *h.fake.lists.lock().expect("lock");
        assert_eq!(lists, u32::from(leftover), "leftover folder: {leftover}");
    }
}

/// A workload whose `controlInterfaceAccess` allows reading `mask` (none without a mask).
fn with_access(name: &str, mask: Option<&str>) -> pb::AddedWorkload {
    let allow_rules = mask
        .map(|m| ank_model::AccessRule::StateRule {
            operation: ank_model::ReadWrite::Read,
            filter_masks: vec![m.into()],
        })
        .into_iter()
        .collect();
    let access = ank_model::ControlInterfaceAccess {
        allow_rules,
        deny_rules: Vec::new(),
    };
    pb::AddedWorkload {
        control_interface_access: Some(access.into()),
        ..simple(name)
    }
}

#[tokio::test(start_paused = true)]
async fn the_control_interface_exists_with_allow_rules_and_follows_their_changes() {
    let mut h = Harness::new(
        Fake::default(),
        hello(vec![with_access("a", Some("desiredState")), simple("b")]),
    )
    .await;
    for _ in 0..4 {
        h.next().await;
    }
    let dir =
        crate::runfolder::instance_dir(h._tmp.path(), &instance("a")).join("control_interface");
    assert!(dir.join("input").exists() && dir.join("output").exists());
    assert_eq!(
        *h.fake.ci_dirs.lock().expect("lock"),
        [Some(dir.clone()), None],
        "a is started with its folder, b (no rules) without"
    );
    let b_dir = crate::runfolder::instance_dir(h._tmp.path(), &instance("b"));
    assert!(!b_dir.join("control_interface").exists());

    // Same instance, other rules: restarted with a new interface; then without rules: none.
    let readd = |mask| {
        pb::from_server::FromServerEnum::UpdateWorkload(pb::UpdateWorkload {
            added_workloads: vec![with_access("a", mask)],
            deleted_workloads: vec![pb::DeletedWorkload {
                instance_name: Some(instance("a").into()),
                dependencies: BTreeMap::new(),
            }],
        })
    };
    h.server_sends(readd(Some("agents"))).await;
    h.expect("a", ExecState::Stopping(Stopping::RequestedAtRuntime))
        .await;
    h.expect("a", STARTING).await;
    h.expect("a", ExecState::Running).await;
    assert!(dir.join("input").exists());
    h.server_sends(readd(None)).await;
    h.expect("a", ExecState::Stopping(Stopping::RequestedAtRuntime))
        .await;
    h.expect("a", STARTING).await;
    h.expect("a", ExecState::Running).await;
    assert!(!dir.exists());
    assert_eq!(
        h.fake.ci_dirs.lock().expect("lock")[2..],
        [Some(dir.clone()), None]
    );
    assert_eq!(
        h.fake.calls()[2..],
        ["stop a", "start a", "stop a", "start a"]
    );

    // Deleted again before the stop ended: the earlier add is void.
    let delete = pb::from_server::FromServerEnum::UpdateWorkload(pb::UpdateWorkload {
        added_workloads: Vec::new(),
        deleted_workloads: vec![pb::DeletedWorkload {
            instance_name: Some(instance("a").into()),
            dependencies: BTreeMap::new(),
        }],
    });
    *h.fake.stop_delay.lock().expect("lock") = Duration::from_secs(1);
    h.server_sends(readd(Some("agents"))).await;
    h.server_sends(delete).await;
    h.expect("a", ExecState::Stopping(Stopping::RequestedAtRuntime))
        .await;
    h.expect("a", ExecState::Removed).await;
    assert_eq!(h.fake.calls().len(), 7, "no start after the delete");
}

mod disconnect;
