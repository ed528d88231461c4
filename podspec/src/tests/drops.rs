//! The drops table: fields podman ignores and fields Anchorage cannot honour, native pods included.

use expect_test::expect;

use super::*;

#[test]
fn drops_and_unsupported_fields() {
    let yaml = pod_with_spec("  affinity: {}\n  tolerations:\n  - {key: k, operator: Exists}\n  volumes:\n  - name: share\n    nfs: {server: nas, path: /x}\n")
        + "    lifecycle:\n      preStop:\n        exec: {command: [sleep, '1']}\n";
    check(
        &yaml,
        expect![[r#"
        doc0 Pod web
          Warning runtime-drops-field spec.affinity @6:3: affinity is ignored at runtime: there is no scheduler; use nodeName or nodeSelector
          Warning runtime-drops-field spec.tolerations @7:3: tolerations is ignored at runtime: agents have no taints
          Warning unsupported-field spec.volumes[0].nfs @11:5: nfs is not supported by anchorage: network volumes are not mounted by anchorage
          Warning runtime-drops-field spec.containers[0].lifecycle @15:5: lifecycle is ignored at runtime: podman kube play runs no lifecycle hooks
    "#]],
    );
    check(
        &pod_with_spec(
            "  nodeName: agent_A\n  nodeSelector: {disk: ssd}\n  restartPolicy: Never\n",
        ),
        expect![[r#"
        doc0 Pod web
    "#]],
    );
}

#[test]
fn native_pods_need_a_command_not_an_image() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: tool}\nspec:\n  runtimeClassName: native\n  containers:\n  - name: a\n    command: [/bin/sleep, '5']\n  - name: b\n    ports: [{containerPort: 80}]\n";
    check(
        yaml,
        expect![[r#"
        doc0 Pod tool
          Warning runtime-drops-field spec.containers[1].ports @10:5: ports is ignored at runtime: native processes bind host ports directly
          Error ankaios-native spec.containers[1].command @9:5: a native container needs a command: there is no image entrypoint
    "#]],
    );
}
