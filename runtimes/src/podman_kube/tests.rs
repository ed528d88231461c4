//! Unit tests of the `podman-kube` runtime against the recording fake.

use std::sync::Arc;
use std::time::Duration;

use ank_model::exec_state::{ExecState, Failed};
use ank_model::WorkloadInstanceName;
use tokio::sync::mpsc;

use super::track::pod_state;
use super::PodmanKubeRuntime;
use crate::podman_cli::fake::FakeRunner;
use crate::podman_cli::{ContainerState, Podman};
use crate::{Runtime, RuntimeError, WorkloadSpec};

const CONFIG: &str = "generalOptions: [--log-level=error]\nplayOptions: [--quiet]\ndownOptions: [--force]\nmanifest: |\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{name: a, image: x}]}\n";

fn setup() -> (
    Arc<FakeRunner>,
    PodmanKubeRuntime,
    WorkloadSpec,
    tempfile::TempDir,
) {
    let (fake, rt, spec, dir, _states) = setup_with_states();
    (fake, rt, spec, dir)
}

fn setup_with_states() -> (
    Arc<FakeRunner>,
    PodmanKubeRuntime,
    WorkloadSpec,
    tempfile::TempDir,
    mpsc::UnboundedReceiver<crate::StateUpdate>,
) {
    let fake = Arc::new(FakeRunner::default());
    let (tx, rx) = mpsc::unbounded_channel();
    let rt = PodmanKubeRuntime::new(
        tx,
        &Podman::with_runner(fake.clone(), Duration::from_secs(1)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = WorkloadSpec {
        instance: WorkloadInstanceName::parse("k.abc.agent_A").expect("name"),
        runtime_config: CONFIG.into(),
        files: Vec::new(),
        instance_dir: dir.path().to_path_buf(),
        control_interface_dir: None,
    };
    (fake, rt, spec, dir, rx)
}

#[tokio::test]
async fn a_successful_play_is_running_before_podman_events_catch_up() {
    // The fake's event stream never delivers anything: Running must come from the play.
    let (fake, rt, spec, _dir, mut states) = setup_with_states();
    fake.on("--log-level=error kube play", true, "Pod:\nabc1\n");
    rt.start(&spec).await.expect("starts");
    let update = states.try_recv().expect("a state right after the play");
    assert_eq!(update.instance, spec.instance);
    assert_eq!(update.state.state, ExecState::Running);
}

#[tokio::test]
async fn plays_records_pods_and_downs_the_same_file() {
    let (fake, rt, spec, dir) = setup();
    fake.on(
        "--log-level=error kube play",
        true,
        "Pod:\nabc1\nContainer:\ndef2\n",
    );
    rt.start(&spec).await.expect("starts");
    rt.stop(&spec.instance).await.expect("stops");
    let manifest = dir.path().join("manifest.yaml").display().to_string();
    assert_eq!(
        fake.calls(),
        [
            format!("--log-level=error kube play --quiet {manifest}"),
            "--log-level=error volume create --label anchorage.instance=k.abc.agent_A --label anchorage.pods=abc1 k.abc.agent_A.pods".to_owned(),
            format!("--log-level=error kube down --force {manifest}"),
            "--log-level=error volume rm -f k.abc.agent_A.pods".to_owned(),
        ]
    );
    assert!(std::fs::read_to_string(dir.path().join("manifest.yaml"))
        .expect("written")
        .contains("kind: Pod"));
}

#[tokio::test]
async fn failed_play_is_start_failed_and_cleans_up() {
    let (fake, rt, spec, _dir) = setup();
    fake.on(
        "--log-level=error kube play",
        false,
        "Error: x: image not known\n",
    );
    let err = rt.start(&spec).await.expect_err("fails");
    assert!(
        matches!(&err, RuntimeError::StartFailed(m) if m == "Error: x: image not known"),
        "{err}"
    );
    assert!(
        fake.calls().iter().any(|c| c.contains("kube down")),
        "{:?}",
        fake.calls()
    );
}

#[tokio::test]
async fn lists_and_adopts_this_agents_pods() {
    let (fake, rt, spec, _dir) = setup();
    fake.on(
        "volume ls",
        true,
        r#"[{"Name":"k.abc.agent_A.pods","Labels":{"anchorage.pods":"abc1"}},{"Name":"k.abc.agent_B.pods","Labels":{"anchorage.pods":"x"}}]"#,
    );
    let listed = rt.list_instances("agent_A").await.expect("lists");
    assert_eq!(listed, std::slice::from_ref(&spec.instance));
    rt.start(&spec).await.expect("adopts");
    assert!(
        fake.calls().iter().all(|c| !c.contains("kube play")),
        "{:?}",
        fake.calls()
    );
    assert!(
        fake.calls().iter().any(|c| c.ends_with("pod exists abc1")),
        "{:?}",
        fake.calls()
    );
}

#[test]
fn pod_state_from_container_states() {
    use ContainerState::*;
    let check = |states: &[ContainerState], want| {
        assert_eq!(pod_state(states.iter().copied()), want, "{states:?}")
    };
    check(&[Running, Running], Some(ExecState::Running));
    check(&[Running, Exited(0)], Some(ExecState::Running));
    check(&[Exited(0), Exited(0)], Some(ExecState::Succeeded));
    check(
        &[Running, Exited(2)],
        Some(ExecState::Failed(Failed::ExecFailed)),
    );
    check(&[Running, Created], None);
    check(&[], None);
}
