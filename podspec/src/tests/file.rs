//! Checks across the documents of a file: duplicate workloads and references to ConfigMaps
//! and Secrets.

use expect_test::expect;

use super::*;

#[test]
fn duplicates_across_documents() {
    let pod = pod_with_spec("");
    check(&format!("{pod}---\n{pod}---\napiVersion: v1\nworkloads:\n  web: {{runtime: podman, runtimeConfig: \"image: nginx\"}}\n"), expect![[r#"
        doc0 Pod web
        doc1 Pod web
          Error ankaios-duplicate metadata.name @13:3: workload "web" is already defined by Pod web in document 0
        doc2 AnkaiosManifest -
          Error ankaios-duplicate workloads.web @21:3: workload "web" is already defined by Pod web in document 0
    "#]]);
}

#[test]
fn references_outside_the_file_are_unsupported() {
    let yaml = pod_with_container("    envFrom:\n    - configMapRef: {name: settings}\n    - secretRef: {name: maybe, optional: true}\n");
    check(
        &yaml,
        expect![[r#"
        doc0 Pod web
          Warning unsupported-field spec.containers[0].envFrom[0].configMapRef.name @10:22: configmap "settings" is not defined in this file: anchorage can only provide the ones applied with the pod
    "#]],
    );
    check(
        &format!("{yaml}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\n"),
        expect![[r#"
        doc0 Pod web
        doc1 ConfigMap settings
    "#]],
    );
}
