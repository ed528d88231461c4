//! Reading files: YAML and JSON syntax, unknown fields, type errors, kinds, lists and Ankaios
//! manifests.

use expect_test::expect;

use super::*;

#[test]
fn yaml_syntax_error_has_line_and_column() {
    check(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n",
        expect![[r#"
        doc0  -
          Error yaml-syntax  @5:1: did not find expected ',' or ']', while parsing a flow sequence
    "#]],
    );
}

#[test]
fn unknown_field_warns_with_suggestion_and_errors_when_strict() {
    let yaml = pod_with_container("    imagePullpolicy: Always\n");
    check(
        &yaml,
        expect![[r#"
        doc0 Pod web
          Warning unknown-field spec.containers[0].imagePullpolicy @9:5: unknown field "imagePullpolicy", did you mean "imagePullPolicy"?
    "#]],
    );
    check_strict(
        &yaml,
        expect![[r#"
        doc0 Pod web
          Error unknown-field spec.containers[0].imagePullpolicy @9:5: unknown field "imagePullpolicy", did you mean "imagePullPolicy"?
    "#]],
    );
}

#[test]
fn type_error_has_exact_path() {
    check(
        &pod_with_container("    ports:\n    - containerPort: \"80\"\n"),
        expect![[r#"
        doc0 Pod web
          Error type-error spec.containers[0].ports[0].containerPort @10:7: invalid type: string "80", expected i32
    "#]],
    );
}

#[test]
fn required_fields() {
    check(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\nspec:\n  containers: []\n",
        expect![[r#"
        doc0 Pod -
          Error required metadata.name @3:1: metadata.name is required
          Error required spec.containers @6:3: a pod needs at least one container
    "#]],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - image: nginx\n",
        expect![[r#"
        doc0 Pod a
          Error required spec.containers[0].name @6:5: container name is required
    "#]],
    );
    check(
        &pod_with_spec("").replace("    image: nginx:1.27\n", ""),
        expect![[r#"
        doc0 Pod web
          Error required spec.containers[0].image @7:5: image is required
    "#]],
    );
    check(
        "metadata: {name: a}\n",
        expect![[r#"
        doc0  a
          Error required kind @1:1: kind is required
    "#]],
    );
}

#[test]
fn kinds_anchorage_cannot_run_warn_and_unknown_kinds_fail() {
    check("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\napiVersion: x/v1\nkind: Gadget\nmetadata: {name: g}\n", expect![[r#"
        doc0 Service web
          Warning unsupported-field kind @2:1: kind Service is valid kubernetes but anchorage cannot run it
        doc1 Gadget g
          Error unsupported-kind kind @7:1: unsupported kind "Gadget"
    "#]]);
    check(
        &pod_with_spec("").replace("apiVersion: v1", "apiVersion: apps/v1"),
        expect![[r#"
        doc0 Pod web
          Error api-version apiVersion @1:1: apiVersion "apps/v1" is not v1 for kind Pod
    "#]],
    );
}

#[test]
fn lists_report_per_item_with_item_relative_paths() {
    let yaml = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: [{name: c, image: nginx}]\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: B}\n";
    check(
        yaml,
        expect![[r#"
        doc0[0] Pod a
        doc0[1] ConfigMap B
          Error dns1123-name metadata.name @11:14: "B" is not a dns-1123 subdomain: at most 253 lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character
    "#]],
    );
}

#[test]
fn json_documents_and_empty_documents() {
    let json = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"},
 "spec": {"containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Maybe"}]}}"#;
    check(
        &format!("---\n---\n{json}\n---\n"),
        expect![[r#"
        doc1 Pod j
          Error image-pull-policy spec.containers[0].imagePullPolicy @4:58: imagePullPolicy "Maybe" is not one of Always, IfNotPresent, Never
    "#]],
    );
    check("", expect![""]);
}

/// Ankaios accepts files on a podman-kube workload and its agent refuses to start it: a
/// warning, not an error, so `ank validate` passes and `ank apply` goes through.
#[test]
fn files_on_a_podman_kube_workload_are_a_warning() {
    check(
        "apiVersion: v1\nworkloads:\n  kube:\n    runtime: podman-kube\n    agent: agent_A\n    runtimeConfig: 'manifest: x'\n    files:\n      - mountPoint: /etc/x\n        data: y\n",
        expect![[r#"
        doc0 AnkaiosManifest -
          Warning ankaios-runtime workloads.kube.files @7:5: podman-kube workloads cannot mount files: the agent will not start this workload
    "#]],
    );
    let report = crate::validate_file(
        "apiVersion: v1\nworkloads:\n  kube:\n    runtime: podman-kube\n    agent: agent_A\n    runtimeConfig: 'manifest: x'\n    files: [{mountPoint: /x, data: y}]\n",
        &crate::Options::default(),
    );
    assert!(!report.is_empty());
    assert!(report.iter().all(|r| r.is_valid() && !r.blocks_apply()));
}

#[test]
fn ankaios_manifest_is_parsed_and_checked() {
    check("apiVersion: v1\nworkloads:\n  nginx:\n    runtime: podman\n    agent: agent_A\n    runtimeConfig: 'image: nginx'\n", expect![[r#"
        doc0 AnkaiosManifest -
    "#]]);
    check(
        "apiVersion: v1\nworkloads:\n  nginx:\n    runtime: podman\n    restartpolicy: ALWAYS\n",
        expect![[r#"
            doc0 AnkaiosManifest -
              Error unknown-field workloads.nginx.restartpolicy @5:5: unknown field `restartpolicy`, expected one of `agent`, `restartPolicy`, `dependencies`, `tags`, `runtime`, `runtimeConfig`, `controlInterfaceAccess`, `configs`, `files`, `nodeSelector`, `disconnectPolicy`
        "#]],
    );
}
