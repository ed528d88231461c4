//! Claim workloads and claim volumes against the recording fake: a claim's volume survives its
//! pods' stops, an existing one is adopted by the claim, and the claim's stop removes it.

use ank_model::exec_state::ExecState;

use super::tests::{setup, setup_with_states};
use crate::Runtime;

const CLAIM: &str =
    "manifest: |\n  apiVersion: v1\n  kind: PersistentVolumeClaim\n  metadata:\n    name: data\n";

const POD_WITH_CLAIM: &str = "manifest: |\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers: [{name: a, image: x, volumeMounts: [{name: d, mountPath: /d}]}]\n    volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]\n";

#[tokio::test]
async fn a_pods_stop_never_removes_its_claim_volume() {
    let (fake, rt, mut spec, _dir) = setup();
    spec.runtime_config = POD_WITH_CLAIM.into();
    fake.on("kube play", true, "Pod:\nabc1\n");
    rt.start(&spec).await.expect("starts");
    rt.stop(&spec.instance).await.expect("stops");
    let calls = fake.calls();
    assert!(
        calls.iter().any(|c| c.starts_with("kube down")),
        "{calls:?}"
    );
    let removals: Vec<&String> = calls.iter().filter(|c| c.contains("volume rm")).collect();
    assert_eq!(removals.len(), 1, "{calls:?}");
    assert!(
        !removals[0].split(' ').any(|arg| arg == "data"),
        "only bookkeeping volumes go: {calls:?}"
    );
}

#[tokio::test]
async fn a_claim_adopts_an_existing_volume_and_its_stop_removes_it() {
    let (fake, rt, mut spec, _dir) = setup();
    spec.runtime_config = CLAIM.into();
    fake.on(
        "kube play",
        false,
        "Error: volume with name data already exists: volume already exists\n",
    );
    rt.start(&spec)
        .await
        .expect("an existing claim volume is the claim's");
    let calls = fake.calls();
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("kube play")).count(),
        1,
        "no take-down and replay for a claim: {calls:?}"
    );
    rt.stop(&spec.instance).await.expect("stops");
    let calls = fake.calls();
    assert_eq!(calls.last().map(String::as_str), Some("volume rm -- data"));
}

#[tokio::test]
async fn a_claim_in_use_is_kept_and_its_stop_still_succeeds() {
    let (fake, rt, mut spec, _dir) = setup();
    spec.runtime_config = CLAIM.into();
    fake.on("kube play", true, "Volumes:\ndata\n");
    fake.on(
        "volume rm -- data",
        false,
        "Error: volume data is being used by the following container(s): abc: volume is being used\n",
    );
    rt.start(&spec).await.expect("starts");
    rt.stop(&spec.instance)
        .await
        .expect("a kept volume fails no stop");
}

#[tokio::test]
async fn a_claim_is_running_once_played() {
    let (fake, rt, mut spec, _dir, mut states) = setup_with_states();
    spec.runtime_config = CLAIM.into();
    fake.on("kube play", true, "Volumes:\ndata\n");
    rt.start(&spec).await.expect("starts");
    let update = states.try_recv().expect("a state right after the play");
    assert_eq!(update.state.state, ExecState::Running);
}
