//! Unit tests of the `podman-kube` runtime against the recording fake.

use std::sync::Arc;
use std::time::Duration;

use ank_model::exec_state::{ExecState, Failed};
use ank_model::WorkloadInstanceName;
use tokio::sync::mpsc;

use super::track::pod_state;
use super::{volumes, PodmanKubeRuntime};
use crate::podman_cli::fake::FakeRunner;
use crate::podman_cli::{ContainerState, Podman};
use crate::{Runtime, RuntimeError, WorkloadSpec};

const INSTANCE: &str = "k.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.agent_A";

const CONFIG: &str = "generalOptions: [--log-level=error]\nplayOptions: [--quiet]\ndownOptions: [--force]\nmanifest: |\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{name: a, image: x}]}\n";

pub(super) fn setup() -> (
    Arc<FakeRunner>,
    PodmanKubeRuntime,
    WorkloadSpec,
    tempfile::TempDir,
) {
    let (fake, rt, spec, dir, _states) = setup_with_states();
    (fake, rt, spec, dir)
}

pub(super) fn setup_with_states() -> (
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
        instance: WorkloadInstanceName::parse(INSTANCE).expect("name"),
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
async fn plays_records_both_volumes_and_downs_the_same_file() {
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
            format!(
                "volume create --label data={} {INSTANCE}.config",
                volumes::encode(CONFIG)
            ),
            format!("--log-level=error kube play --quiet {manifest}"),
            format!(
                "volume create --label data={} {INSTANCE}.pods",
                volumes::encode(r#"["abc1"]"#)
            ),
            format!("--log-level=error kube down --force {manifest}"),
            format!("volume rm -f {INSTANCE}.config {INSTANCE}.pods"),
        ]
    );
    assert!(std::fs::read_to_string(dir.path().join("manifest.yaml"))
        .expect("written")
        .contains("kind: Pod"));
}

#[tokio::test]
async fn a_stale_volume_is_replaced() {
    let (fake, rt, spec, _dir) = setup();
    fake.on(
        "volume create --label data=",
        false,
        "Error: volume with name x already exists: volume already exists\n",
    );
    let err = rt
        .start(&spec)
        .await
        .expect_err("the fake never stops failing");
    assert!(err.to_string().contains("already exists"), "{err}");
    let calls = fake.calls();
    let config = format!("{INSTANCE}.config");
    let at = calls
        .iter()
        .position(|c| c == &format!("volume rm -f {config}"))
        .unwrap_or_else(|| panic!("{calls:?}"));
    assert!(calls[at + 1].starts_with("volume create") && calls[at + 1].ends_with(&config));
}

/// `volume ls --format json` output with the instance's two volumes holding `config` and `pods`.
fn volumes_json(config: &str, pods: &str) -> String {
    format!(
        r#"[{{"Name":"{INSTANCE}.pods","Labels":{{"data":"{pods}"}}}},
            {{"Name":"{INSTANCE}.config","Labels":{{"data":"{config}"}}}},
            {{"Name":"k.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.agent_B.pods","Labels":{{"data":"{pods}"}}}}]"#,
    )
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
        &volumes_json(&volumes::encode(CONFIG), &volumes::encode(r#"["abc1"]"#)),
    );
    let listed = rt.list_instances("agent_A").await.expect("lists");
    assert_eq!(listed, std::slice::from_ref(&spec.instance));
    rt.start(&spec).await.expect("adopts");
    let calls = fake.calls();
    assert_eq!(calls[0], "volume ls --format json");
    assert!(calls.iter().all(|c| !c.contains("kube play")), "{calls:?}");
    assert!(
        calls.iter().all(|c| !c.contains("volume create")),
        "{calls:?}"
    );
    assert!(
        calls.iter().any(|c| c.ends_with("pod exists abc1")),
        "{calls:?}"
    );
}

/// Deleted while the agent was away, with no run folder: the config volume's runtimeConfig
/// gives the options and the manifest for `kube down`.
#[tokio::test]
async fn an_instance_known_only_by_its_volumes_is_downed_with_their_runtime_config() {
    for listed_first in [true, false] {
        let (fake, rt, spec, _dir) = setup();
        fake.on(
            "volume ls",
            true,
            &volumes_json(&volumes::encode(CONFIG), &volumes::encode(r#"["abc1"]"#)),
        );
        if listed_first {
            rt.list_instances("agent_A").await.expect("lists");
        }
        rt.stop(&spec.instance).await.expect("stops");
        let calls = fake.calls();
        let down = calls
            .iter()
            .find(|c| c.contains("kube down"))
            .unwrap_or_else(|| panic!("{calls:?}"));
        let scratch = down
            .strip_prefix("--log-level=error kube down --force ")
            .unwrap_or_else(|| panic!("{down}"));
        assert!(
            !std::path::Path::new(scratch).exists(),
            "the scratch manifest is removed"
        );
        assert_eq!(
            calls.last().map(String::as_str),
            Some(format!("volume rm -f {INSTANCE}.config {INSTANCE}.pods").as_str()),
            "{calls:?}"
        );
        assert_eq!(
            calls.iter().filter(|c| c.starts_with("volume ls")).count(),
            1,
            "{calls:?}"
        );
    }
}

#[tokio::test]
async fn corrupt_volumes_are_reported_and_never_adopted() {
    let (fake, rt, spec, _dir) = setup();
    fake.on(
        "volume ls",
        true,
        &volumes_json("%%%", &volumes::encode("[1")),
    );
    fake.on("--log-level=error kube play", true, "Pod:\nabc2\n");
    // Still listed: its name says it is ours, and it must be cleaned up.
    let listed = rt.list_instances("agent_A").await.expect("lists");
    assert_eq!(listed, std::slice::from_ref(&spec.instance));
    // No readable pod list: played again.
    rt.start(&spec).await.expect("plays");
    assert!(fake.calls().iter().any(|c| c.contains("kube play")));

    // An orphan whose volumes both are corrupt: nothing to go by, the volumes stay.
    let (fake, rt, spec, _dir) = setup();
    fake.on(
        "volume ls",
        true,
        &volumes_json("%%%", &volumes::encode("[1")),
    );
    rt.list_instances("agent_A").await.expect("lists");
    let err = rt.stop(&spec.instance).await.expect_err("nothing to go by");
    let text = err.to_string();
    assert!(text.contains(&format!("'{INSTANCE}.config'")), "{text}");
    assert!(text.contains(&format!("'{INSTANCE}.pods'")), "{text}");
    assert!(fake.calls().iter().all(|c| !c.starts_with("volume rm")));

    // One readable volume is enough: the pods are removed by ID.
    let (fake, rt, spec, _dir) = setup();
    fake.on(
        "volume ls",
        true,
        &volumes_json("%%%", &volumes::encode(r#"["abc1"]"#)),
    );
    rt.list_instances("agent_A").await.expect("lists");
    rt.stop(&spec.instance).await.expect("stops");
    let calls = fake.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("pod rm -f") && c.ends_with("abc1")),
        "{calls:?}"
    );
    assert_eq!(
        calls.last().map(String::as_str),
        Some(format!("volume rm -f {INSTANCE}.config {INSTANCE}.pods").as_str())
    );
}

#[tokio::test]
async fn files_are_refused_before_anything_is_created() {
    let (fake, rt, mut spec, dir) = setup();
    spec.files = vec![ank_model::File {
        mount_point: "/etc/app.conf".into(),
        data: Some("x".into()),
        binary_data: None,
    }];
    let err = rt.start(&spec).await.expect_err("refused");
    assert!(
        matches!(&err, RuntimeError::Unsupported(m) if m == "podman-kube workloads cannot mount files"),
        "{err}"
    );
    assert!(rt.check_files(&spec.files).is_err());
    assert!(rt.check_files(&[]).is_ok());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("instance folder")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(fake.calls(), Vec::<String>::new());
    // Its delete finds no trace of it and removes nothing.
    rt.stop(&spec.instance).await.expect("stops");
    assert_eq!(fake.calls(), ["volume ls --format json"]);
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

#[tokio::test]
async fn a_control_interface_needs_a_target_and_is_mounted_into_it() {
    let (fake, rt, mut spec, dir) = setup();
    spec.control_interface_dir = Some(dir.path().join("control_interface"));
    let error = rt.start(&spec).await.expect_err("no target");
    assert_eq!(
        error.to_string(),
        "Control interface target not specified in runtime config."
    );
    assert!(
        fake.calls().is_empty(),
        "nothing created: {:?}",
        fake.calls()
    );

    spec.runtime_config = format!("{CONFIG}controlInterfaceTarget: p/a\n");
    fake.on("--log-level=error kube play", true, "Pod:\nabc1\n");
    rt.start(&spec).await.expect("starts");
    let manifest = std::fs::read_to_string(dir.path().join("manifest.yaml")).expect("written");
    assert!(
        manifest.contains("mountPath: /run/ankaios/control_interface"),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!(
            "path: {}",
            dir.path().join("control_interface").display()
        )),
        "{manifest}"
    );
}
