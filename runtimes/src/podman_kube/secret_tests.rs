//! Unit tests: what the `podman-kube` runtime reports of a failure quotes no secret value.

use super::tests::setup;
use crate::{Runtime, RuntimeError};

const SECRET_CONFIG: &str = "generalOptions: [--log-level=error]\nmanifest: |\n  kind: Secret\n  \
     metadata: {name: s}\n  stringData: {token: s3cret-a}\n  ---\n  kind: Pod\n  metadata: {name: p}\n  \
     spec: {containers: [{name: a, image: x, env: [{name: PASS, value: s3cret-b}]}]}\n";

#[tokio::test]
async fn a_failed_play_echoing_secret_values_does_not_pass_them_on() {
    let (fake, rt, mut spec, _dir) = setup();
    spec.runtime_config = SECRET_CONFIG.into();
    fake.on(
        "--log-level=error kube play",
        false,
        "Error: cannot use s3cret-a as a token; value s3cret-b of PASS refused\n",
    );
    let err = rt.start(&spec).await.expect_err("fails");
    assert!(
        matches!(&err, RuntimeError::StartFailed(m)
            if m == "Error: cannot use <redacted> as a token; value <redacted> of PASS refused"),
        "{err}"
    );
}

#[tokio::test]
async fn a_config_of_the_wrong_shape_is_refused_without_quoting_it() {
    let (_fake, rt, _spec, _dir) = setup();
    let err = rt
        .check_config("manifest: [kind: Secret, 'stringData: {token: s3cret}']\n")
        .expect_err("the manifest is no string")
        .to_string();
    assert!(err.contains("line 1") && !err.contains("s3cret"), "{err}");
}
