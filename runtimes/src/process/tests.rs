//! Native runtime tests with real processes in a temporary run folder. The test binary itself
//! plays the shim: [`shim_entry`] runs the shim when the runtime re-invokes the binary with
//! `ANK_TEST_SHIM` set, exactly as `ank-agent __shim` does in production.

use std::path::Path;
use std::time::Duration;

use ank_model::exec_state::{ExecState, Failed};
use ank_model::{ExecutionState, WorkloadInstanceName};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::logfile::LogLimits;
use super::*;
use crate::runtime::{LogOptions, StateUpdate, WorkloadSpec};

#[test]
fn shim_entry() {
    if std::env::var_os("ANK_TEST_SHIM").is_none() {
        return;
    }
    let dir = std::env::args().next_back().expect("instance dir argument");
    std::process::exit(shim::run(Path::new(&dir)));
}

struct Node {
    _tmp: tempfile::TempDir,
    run_folder: PathBuf,
    containment: contain::Containment,
}

impl Node {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let run_folder = tmp.path().to_owned();
        let containment = contain_tests::private_containment();
        Node {
            _tmp: tmp,
            run_folder,
            containment,
        }
    }

    fn runtime(&self, grace: Duration) -> (ProcessRuntime, mpsc::UnboundedReceiver<StateUpdate>) {
        self.runtime_with(grace, LogLimits::default())
    }

    fn runtime_with(
        &self,
        grace: Duration,
        log: LogLimits,
    ) -> (ProcessRuntime, mpsc::UnboundedReceiver<StateUpdate>) {
        let shim = ShimCommand {
            program: std::env::current_exe().expect("test exe"),
            args: ["--exact", "process::tests::shim_entry", "--nocapture"]
                .map(String::from)
                .to_vec(),
            env: vec![("ANK_TEST_SHIM".into(), "1".into())],
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let config = ProcessConfig {
            run_folder: self.run_folder.clone(),
            shim,
            grace_period: grace,
            containment: self.containment.clone(),
            log,
        };
        (ProcessRuntime::new(config, tx), rx)
    }

    fn spec(&self, workload: &str, script: &str) -> WorkloadSpec {
        let runtime_config = format!("command: [sh, -c]\nargs: [{script:?}]\n");
        let instance = WorkloadInstanceName::new(workload, "agent_A", &runtime_config);
        let instance_dir = self
            .run_folder
            .join("agent_A_io")
            .join(instance.folder_name());
        std::fs::create_dir_all(&instance_dir).expect("instance dir");
        WorkloadSpec {
            instance,
            runtime_config,
            files: Vec::new(),
            instance_dir,
            control_interface_dir: None,
        }
    }
}

async fn next_state(rx: &mut mpsc::UnboundedReceiver<StateUpdate>) -> ExecutionState {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a state in time")
        .expect("sink open")
        .state
}

async fn all_logs(rt: &ProcessRuntime, spec: &WorkloadSpec, options: LogOptions) -> Vec<String> {
    let stream = rt.logs(&spec.instance, &options).await.expect("logs");
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.map(|l| l.expect("line")).collect(),
    )
    .await
    .expect("logs end")
}

fn group_alive(spec: &WorkloadSpec) -> bool {
    let pid = files::read_workload_pid(&spec.instance_dir).expect("pid file");
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

#[tokio::test]
async fn exit_zero_is_succeeded_and_both_streams_are_logged() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("ok", "echo hi; echo oops >&2");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    assert_eq!(next_state(&mut rx).await, ExecutionState::succeeded());
    let mut lines = all_logs(&rt, &spec, LogOptions::default()).await;
    lines.sort();
    assert_eq!(lines, ["hi", "oops"]);
}

#[tokio::test]
async fn lines_keep_their_order_blanks_and_an_unfinished_last_one() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    // 3 000 lines arrive in several reads; the last has no newline.
    let spec = node.spec(
        "lines",
        "i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; echo; printf tail",
    );
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    assert_eq!(next_state(&mut rx).await, ExecutionState::succeeded());
    let lines = all_logs(&rt, &spec, LogOptions::default()).await;
    let mut expected: Vec<String> = (0..3000).map(|i| format!("line{i}")).collect();
    expected.extend([String::new(), "tail".to_owned()]);
    assert_eq!(lines, expected);
}

#[tokio::test]
async fn non_zero_exit_is_exec_failed_with_the_code() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    rt.start(&node.spec("bad", "exit 3")).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let state = next_state(&mut rx).await;
    assert_eq!(state.state, ExecState::Failed(Failed::ExecFailed));
    assert_eq!(state.additional_info, "exit code 3");
}

#[tokio::test]
async fn missing_program_fails_the_start() {
    let node = Node::new();
    let (rt, _rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let mut spec = node.spec("missing", "");
    spec.runtime_config = "command: [/no/such/program]".into();
    let err = rt.start(&spec).await.expect_err("no such program");
    assert!(err.to_string().contains("/no/such/program"), "{err}");
    assert!(rt
        .list_instances("agent_A")
        .await
        .expect("lists")
        .is_empty());
}

#[tokio::test]
async fn invalid_config_is_refused() {
    let node = Node::new();
    let (rt, _rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    assert!(rt.check_config("command: []").is_err());
    assert!(rt.check_config("image: x").is_err());
    assert!(rt.check_config("command: [true]").is_ok());
}

#[tokio::test]
async fn invalid_config_quotes_no_env_value() {
    let node = Node::new();
    let (rt, _rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    // serde's own message would be `invalid type: string "K=hunter2", expected a map`.
    let err = rt
        .check_config("command: [true]\nenv: 'K=hunter2'\n")
        .expect_err("env is no map");
    let err = err.to_string();
    assert!(
        err.contains("invalid type") && !err.contains("hunter2"),
        "{err}"
    );
}

#[tokio::test]
async fn stop_terminates_the_group_without_reporting_an_exit() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("long", "sleep 30 & sleep 30");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let pid = files::read_workload_pid(&spec.instance_dir).expect("pid");
    rt.stop(&spec.instance).await.expect("stops");
    let group = nix::unistd::Pid::from_raw(pid);
    assert!(nix::sys::signal::killpg(group, None).is_err(), "group gone");
    assert!(!spec.instance_dir.join(files::SPEC).exists());
    assert!(rx.try_recv().is_err(), "a stop is not an exit");
}

#[tokio::test]
async fn stop_kills_after_the_grace_period() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(Duration::from_millis(200));
    let spec = node.spec(
        "stubborn",
        "trap '' TERM; echo ready; while :; do sleep 1; done",
    );
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let started = std::time::Instant::now();
    rt.stop(&spec.instance).await.expect("stops");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_new_runtime_adopts_a_running_instance_without_restarting_it() {
    let node = Node::new();
    let (first, mut rx1) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("adopted", "echo started; sleep 1; exit 4");
    first.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx1).await, ExecutionState::running());
    let pid = files::read_workload_pid(&spec.instance_dir);
    first.shutdown().await;
    drop(first);

    let (second, mut rx2) = node.runtime(DEFAULT_GRACE_PERIOD);
    let listed = second.list_instances("agent_A").await.expect("lists");
    assert_eq!(listed, std::slice::from_ref(&spec.instance));
    second.start(&spec).await.expect("adopts");
    assert_eq!(next_state(&mut rx2).await, ExecutionState::running());
    assert_eq!(
        files::read_workload_pid(&spec.instance_dir),
        pid,
        "same process"
    );
    let state = next_state(&mut rx2).await;
    assert_eq!(state.additional_info, "exit code 4");
    assert_eq!(
        all_logs(&second, &spec, LogOptions::default()).await,
        ["started"]
    );
}

#[tokio::test]
async fn an_exited_instance_is_adopted_with_its_exit_and_restarts_on_the_next_start() {
    let node = Node::new();
    let (first, mut rx1) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("done", "echo run");
    first.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx1).await, ExecutionState::running());
    assert_eq!(next_state(&mut rx1).await, ExecutionState::succeeded());
    drop(first);

    let (second, mut rx2) = node.runtime(DEFAULT_GRACE_PERIOD);
    second.start(&spec).await.expect("adopts");
    assert_eq!(next_state(&mut rx2).await, ExecutionState::succeeded());
    second.start(&spec).await.expect("restarts");
    assert_eq!(next_state(&mut rx2).await, ExecutionState::running());
    assert_eq!(next_state(&mut rx2).await, ExecutionState::succeeded());
    assert_eq!(
        all_logs(&second, &spec, LogOptions::default()).await,
        ["run", "run"]
    );
}

#[tokio::test]
async fn adopted_instance_can_be_stopped() {
    let node = Node::new();
    let (first, mut rx1) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("orphan", "sleep 30");
    first.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx1).await, ExecutionState::running());
    first.shutdown().await;
    drop(first);
    assert!(group_alive(&spec));
    let pid = files::read_workload_pid(&spec.instance_dir).expect("pid");

    let (second, _rx2) = node.runtime(DEFAULT_GRACE_PERIOD);
    second.stop(&spec.instance).await.expect("stops");
    let group = nix::unistd::Pid::from_raw(pid);
    assert!(nix::sys::signal::killpg(group, None).is_err(), "group gone");
}

#[tokio::test]
async fn follow_streams_new_lines_until_the_workload_ends() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("chatty", "echo a; sleep 0.3; echo b; sleep 0.3; echo c");
    rt.start(&spec).await.expect("starts");
    assert_eq!(next_state(&mut rx).await, ExecutionState::running());
    let follow = LogOptions {
        follow: true,
        ..LogOptions::default()
    };
    assert_eq!(all_logs(&rt, &spec, follow).await, ["a", "b", "c"]);
}

#[tokio::test]
async fn tail_since_and_until_filter_lines() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let spec = node.spec("many", "echo 1; echo 2; echo 3");
    rt.start(&spec).await.expect("starts");
    next_state(&mut rx).await;
    next_state(&mut rx).await;
    let tail = LogOptions {
        tail: Some(2),
        ..LogOptions::default()
    };
    assert_eq!(all_logs(&rt, &spec, tail).await, ["2", "3"]);
    let future = LogOptions {
        since: Some("2999-01-01T00:00:00Z".into()),
        ..LogOptions::default()
    };
    assert!(all_logs(&rt, &spec, future).await.is_empty());
    let past = LogOptions {
        until: Some("2000-01-01T00:00:00Z".into()),
        ..LogOptions::default()
    };
    assert!(all_logs(&rt, &spec, past).await.is_empty());
    let recent = LogOptions {
        since: Some("10m".into()),
        ..LogOptions::default()
    };
    assert_eq!(all_logs(&rt, &spec, recent).await, ["1", "2", "3"]);
}

#[test]
fn log_lines_split_into_time_and_message() {
    let (ts, message) = logs::split_line("2024-01-02T03:04:05.5Z hello world");
    assert!(ts.is_some());
    assert_eq!(message, "hello world");
    assert_eq!(logs::split_line("no timestamp").1, "no timestamp");
    assert!(logs::parse_time("bogus", jiff::Timestamp::now()).is_err());
}

#[tokio::test]
async fn control_interface_folder_is_in_the_environment_only_when_given() {
    let node = Node::new();
    let (rt, mut rx) = node.runtime(DEFAULT_GRACE_PERIOD);
    let script = "echo \"ci=${ANKAIOS_CONTROL_INTERFACE-unset}\"";
    let mut with = node.spec("with", script);
    let ci = with.instance_dir.join("control_interface");
    with.control_interface_dir = Some(ci.clone());
    let without = node.spec("without", script);
    for spec in [&with, &without] {
        rt.start(spec).await.expect("starts");
        assert_eq!(next_state(&mut rx).await, ExecutionState::running());
        assert_eq!(next_state(&mut rx).await, ExecutionState::succeeded());
    }
    let lines = all_logs(&rt, &with, LogOptions::default()).await;
    assert_eq!(lines, [format!("ci={}", ci.display())]);
    let lines = all_logs(&rt, &without, LogOptions::default()).await;
    assert_eq!(lines, ["ci=unset"]);
}

mod contain_tests;
mod log_tests;
mod safety;
