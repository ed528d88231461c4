//! Unit tests of the `podman` runtime against the recording fake: argv and state mapping.

use std::sync::Arc;
use std::time::Duration;

use ank_model::exec_state::{ExecState, Failed};
use ank_model::WorkloadInstanceName;
use tokio::sync::mpsc;

use super::PodmanRuntime;
use crate::podman_cli::fake::FakeRunner;
use crate::podman_cli::Podman;
use crate::{Runtime, RuntimeError, StateUpdate, WorkloadSpec};

const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// `<workload>.<ID>.<agent>`.
fn name(workload: &str, agent: &str) -> String {
    format!("{workload}.{ID}.{agent}")
}

fn spec(dir: &std::path::Path) -> WorkloadSpec {
    WorkloadSpec {
        instance: WorkloadInstanceName::parse(&name("web", "agent_A")).expect("name"),
        runtime_config: "image: localhost/busybox:latest\ncommandArgs: [sleep, '9']\n".into(),
        files: Vec::new(),
        instance_dir: dir.to_path_buf(),
        control_interface_dir: None,
    }
}

fn runtime(fake: &Arc<FakeRunner>) -> (PodmanRuntime, mpsc::UnboundedReceiver<StateUpdate>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let podman = Podman::with_runner(fake.clone(), Duration::from_secs(2));
    (PodmanRuntime::new(tx, &podman), rx)
}

#[tokio::test]
async fn start_runs_podman_run_and_stop_removes() {
    let fake = Arc::new(FakeRunner::default());
    fake.on("run -d", true, "cid1\n");
    let (rt, _rx) = runtime(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = spec(dir.path());
    rt.start(&spec).await.expect("starts");
    rt.stop(&spec.instance).await.expect("stops");
    let web = name("web", "agent_A");
    assert_eq!(
        fake.calls(),
        [
            format!("run -d --name {web} --label anchorage.instance={web} localhost/busybox:latest sleep 9"),
            format!("rm -f --ignore -t 2 {web}"),
        ]
    );
}

#[tokio::test]
async fn podman_events_starts_only_with_the_first_workload() {
    let fake = Arc::new(FakeRunner::default());
    fake.on("run -d", true, "cid1\n");
    let podman = Podman::with_runner(fake.clone(), Duration::from_secs(2));
    let (tx, _rx) = mpsc::unbounded_channel();
    let rt = PodmanRuntime::new(tx, &podman);
    rt.list_instances("agent_A").await.expect("lists");
    tokio::task::yield_now().await;
    assert!(!podman.watcher.is_following());
    let events = |fake: &FakeRunner| {
        let calls = fake.calls.lock().expect("lock");
        calls.iter().filter(|c| c.starts_with("events ")).count()
    };
    assert_eq!(events(&fake), 0);
    let dir = tempfile::tempdir().expect("tempdir");
    rt.start(&spec(dir.path())).await.expect("starts");
    tokio::task::yield_now().await;
    assert!(podman.watcher.is_following());
    assert_eq!(events(&fake), 1);
}

#[tokio::test]
async fn failed_run_is_start_failed_with_podmans_message_and_cleans_up() {
    let fake = Arc::new(FakeRunner::default());
    fake.on("run -d", false, "Error: localhost/nope: image not known\n");
    let (rt, _rx) = runtime(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let err = rt.start(&spec(dir.path())).await.expect_err("fails");
    assert!(
        matches!(&err, RuntimeError::StartFailed(m) if m == "Error: localhost/nope: image not known"),
        "{err}"
    );
    assert_eq!(
        fake.calls().last(),
        Some(&format!("rm -f --ignore -t 2 {}", name("web", "agent_A")))
    );
}

#[tokio::test]
async fn a_failed_run_echoing_an_env_value_does_not_pass_it_on() {
    let fake = Arc::new(FakeRunner::default());
    fake.on(
        "run -d",
        false,
        "Error: invalid argument \"PASS=s3cret\" for \"-e\"\n",
    );
    let (rt, _rx) = runtime(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = spec(dir.path());
    spec.runtime_config = "image: x\ncommandOptions: [-e, PASS=s3cret]\n".into();
    let err = rt.start(&spec).await.expect_err("fails").to_string();
    assert!(
        err.contains("PASS=<redacted>") && !err.contains("s3cret"),
        "{err}"
    );
    let err = rt
        .check_config("image: x\ncommandOptions: '-e PASS=s3cret'\n")
        .expect_err("options are no list")
        .to_string();
    assert!(
        err.contains("invalid type") && !err.contains("s3cret"),
        "{err}"
    );
}

#[tokio::test]
async fn invalid_config_is_rejected_before_podman_runs() {
    let fake = Arc::new(FakeRunner::default());
    let (rt, _rx) = runtime(&fake);
    assert!(matches!(
        rt.check_config("image: ''"),
        Err(RuntimeError::InvalidConfig(_))
    ));
    assert!(matches!(
        rt.check_config("imag: x"),
        Err(RuntimeError::InvalidConfig(_))
    ));
    assert!(rt.check_config("image: x").is_ok());
}

/// Containers are found by name, as Ankaios finds them: Ankaios' own (no label) are adopted too.
#[tokio::test]
async fn list_instances_finds_this_agents_containers_by_name_and_start_adopts_them() {
    let fake = Arc::new(FakeRunner::default());
    fake.on(
        "ps -a --format json --filter name=\\.agent_A$",
        true,
        &format!(
            r#"[{{"Id":"c1","Names":["{web}"],"State":"running","Labels":{{"anchorage.instance":"{web}"}}}},
                {{"Id":"c2","Names":["{db}"],"State":"running","Labels":null}},
                {{"Id":"c3","Names":["{other}"],"State":"running","Labels":null}},
                {{"Id":"c4","Names":["web.abc.agent_A"],"State":"running","Labels":{{"anchorage.instance":"web.abc.agent_A"}}}},
                {{"Id":"c5","Names":["{in_pod}"],"State":"running","Pod":"p1"}},
                {{"Id":"c6","Names":["x.agent_A"],"State":"exited"}}]"#,
            web = name("web", "agent_A"),
            db = name("db", "agent_A"),
            other = name("web", "agent_B"),
            in_pod = name("pod", "agent_A"),
        ),
    );
    let (rt, _rx) = runtime(&fake);
    let found = rt.list_instances("agent_A").await.expect("lists");
    let found: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(found, [name("web", "agent_A"), name("db", "agent_A")]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ankaios = spec(dir.path());
    ankaios.instance = WorkloadInstanceName::parse(&name("db", "agent_A")).expect("name");
    rt.start(&spec(dir.path())).await.expect("adopts");
    rt.start(&ankaios).await.expect("adopts");
    assert!(
        fake.calls().iter().all(|c| !c.starts_with("run")),
        "{:?}",
        fake.calls()
    );
}

#[test]
fn exit_codes_map_to_states() {
    use crate::podman_cli::{ContainerRecord, ContainerState};
    let record = |state| ContainerRecord {
        id: "c".into(),
        name: "n".into(),
        pod_id: None,
        labels: Default::default(),
        state,
        is_infra: false,
        stop_requested: false,
    };
    let check = |state, want| assert_eq!(super::track::container_state(&record(state)), want);
    check(ContainerState::Created, None);
    check(ContainerState::Running, Some(ExecState::Running));
    check(ContainerState::Exited(0), Some(ExecState::Succeeded));
    check(
        ContainerState::Exited(1),
        Some(ExecState::Failed(Failed::ExecFailed)),
    );
    check(
        ContainerState::Removed,
        Some(ExecState::Failed(Failed::Lost)),
    );
}
