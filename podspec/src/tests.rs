//! Table-driven tests of `validate_file`: YAML in, rendered findings out, through one `check()`.

use expect_test::{expect, Expect};

use crate::{validate_file, Options, ResourceReport};

fn render(reports: &[ResourceReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let item = r.item.map(|i| format!("[{i}]")).unwrap_or_default();
        let name = r.name.as_deref().unwrap_or("-");
        out.push_str(&format!("doc{}{item} {} {name}\n", r.document, r.kind));
        for f in &r.findings {
            let at = match (f.line, f.column) {
                (Some(l), Some(c)) => format!("{l}:{c}"),
                _ => "?".to_owned(),
            };
            out.push_str(&format!(
                "  {:?} {} {} @{at}: {}\n",
                f.severity, f.rule, f.path, f.message
            ));
        }
    }
    out
}

fn check(yaml: &str, expect: Expect) {
    expect.assert_eq(&render(&validate_file(yaml, &Options::default())));
}

fn check_strict(yaml: &str, expect: Expect) {
    expect.assert_eq(&render(&validate_file(yaml, &Options { strict: true })));
}

/// A valid pod with `extra` appended to its first container (indented by 4).
fn pod_with_container(extra: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n{extra}")
}

/// A valid pod with `extra` appended to its spec (indented by 2).
fn pod_with_spec(extra: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n{extra}  containers:\n  - name: app\n    image: nginx:1.27\n")
}

#[test]
fn valid_pod_has_no_findings() {
    check(
        &pod_with_container(""),
        expect![[r#"
        doc0 Pod web
    "#]],
    );
}

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
fn dns1123_names() {
    check(
        &pod_with_spec("")
            .replace("name: web", "name: Web_1")
            .replace("name: app", "name: app.1"),
        expect![[r#"
        doc0 Pod Web_1
          Error dns1123-name metadata.name @4:3: "Web_1" is not a dns-1123 subdomain: at most 253 lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character
          Error dns1123-name spec.containers[0].name @7:5: "app.1" is not a dns-1123 label: at most 63 lower case alphanumeric characters or '-', starting and ending with an alphanumeric character
    "#]],
    );
    check(
        &pod_with_spec("").replace("name: web", "name: web.example.com"),
        expect![[r#"
        doc0 Pod web.example.com
    "#]],
    );
}

#[test]
fn duplicate_containers_across_init_containers() {
    check(
        &pod_with_spec("  initContainers:\n  - name: app\n    image: busybox\n"),
        expect![[r#"
        doc0 Pod web
          Error duplicate-container spec.containers[0].name @10:5: container name "app" is used twice
    "#]],
    );
}

#[test]
fn ports() {
    let two = "  - name: side\n    image: busybox\n    ports:\n    - containerPort: 80\n      name: http\n";
    let yaml = pod_with_container("    ports:\n    - containerPort: 80\n      name: http\n    - containerPort: 70000\n      name: Bad--Name\n      protocol: ICMP\n");
    check(
        &format!("{yaml}{two}"),
        expect![[r#"
        doc0 Pod web
          Error port spec.containers[0].ports[1].containerPort @12:7: containerPort 70000 must be between 1 and 65535
          Error port spec.containers[0].ports[1].protocol @14:7: protocol "ICMP" is not one of TCP, UDP, SCTP
          Error port spec.containers[0].ports[1].name @13:7: port name "Bad--Name" must be at most 15 lower case alphanumeric characters or '-', with a letter and no leading, trailing or double '-'
          Error duplicate-port spec.containers[1].ports[0].containerPort @18:7: containerPort 80/TCP is used twice in the pod
          Error duplicate-port spec.containers[1].ports[0].name @19:7: port name "http" is used twice in the pod
    "#]],
    );
    check(
        &pod_with_container(
            "    ports:\n    - containerPort: 80\n    - containerPort: 80\n      protocol: UDP\n",
        ),
        expect![[r#"
        doc0 Pod web
    "#]],
    );
}

#[test]
fn image_reference_and_pull_policy() {
    check(
        &pod_with_container("    imagePullPolicy: Sometimes\n")
            .replace("nginx:1.27", "Nginx:latest"),
        expect![[r#"
        doc0 Pod web
          Error image-reference spec.containers[0].image @8:5: image "Nginx:latest" is not a valid reference: invalid reference format
          Error image-pull-policy spec.containers[0].imagePullPolicy @9:5: imagePullPolicy "Sometimes" is not one of Always, IfNotPresent, Never
    "#]],
    );
    check(&pod_with_container("    imagePullPolicy: IfNotPresent\n").replace("nginx:1.27", "registry.local:5000/team/app@sha256:0123456789012345678901234567890123456789012345678901234567890123"), expect![[r#"
        doc0 Pod web
    "#]]);
}

#[test]
fn quantities() {
    check(
        &pod_with_container(
            "    resources:\n      limits: {cpu: 500m, memory: 1GB}\n      requests: {cpu: '1'}\n",
        ),
        expect![[r#"
        doc0 Pod web
          Error quantity spec.containers[0].resources.limits.memory @10:27: memory "1GB" is not a valid quantity
          Error quantity spec.containers[0].resources.requests.cpu @11:18: cpu request must be less than or equal to its limit
    "#]],
    );
    check(&pod_with_container("    resources:\n      limits: {cpu: '1', memory: 1Gi}\n      requests: {cpu: 250m, memory: 512Mi}\n"), expect![[r#"
        doc0 Pod web
    "#]]);
}

#[test]
fn env_names() {
    check(
        &pod_with_container(
            "    env:\n    - name: 1BAD\n      value: x\n    - name: GOOD.name-1\n      value: y\n",
        ),
        expect![[r#"
        doc0 Pod web
          Error env-name spec.containers[0].env[0].name @10:7: env var name "1BAD" must consist of letters, digits, '_', '-' or '.', and must not start with a digit
    "#]],
    );
}

#[test]
fn volume_mounts() {
    let yaml = pod_with_spec("  volumes:\n  - name: data\n    emptyDir: {}\n")
        + "    volumeMounts:\n    - {name: data, mountPath: /data}\n    - {name: data, mountPath: /data}\n    - {name: cache, mountPath: tmp}\n";
    check(
        &yaml,
        expect![[r#"
        doc0 Pod web
          Error volume-mount spec.containers[0].volumeMounts[1].mountPath @14:20: mountPath "/data" is used twice
          Error volume-mount spec.containers[0].volumeMounts[2].name @15:8: volume "cache" is not defined in spec.volumes
          Error volume-mount spec.containers[0].volumeMounts[2].mountPath @15:21: mountPath "tmp" must be absolute
    "#]],
    );
}

#[test]
fn restart_policy_per_kind() {
    check(
        &pod_with_spec("  restartPolicy: Sometimes\n"),
        expect![[r#"
        doc0 Pod web
          Error restart-policy spec.restartPolicy @6:3: restartPolicy "Sometimes" is not one of Always, OnFailure, Never
    "#]],
    );
    check(
        &pod_with_spec("  restartPolicy: OnFailure\n"),
        expect![[r#"
        doc0 Pod web
    "#]],
    );
}

#[test]
fn probes_need_exactly_one_handler() {
    check(&pod_with_container("    livenessProbe:\n      periodSeconds: 5\n    startupProbe:\n      exec: {command: [/bin/true]}\n      tcpSocket: {port: 80}\n    readinessProbe:\n      httpGet: {port: 80}\n"), expect![[r#"
        doc0 Pod web
          Warning runtime-drops-field spec.containers[0].readinessProbe @14:5: readinessProbe is ignored at runtime: nothing routes traffic by readiness
          Error probe-handler spec.containers[0].livenessProbe @9:5: a probe needs one handler: exec, httpGet, tcpSocket or grpc
          Error probe-handler spec.containers[0].startupProbe @11:5: a probe may have only one handler
    "#]]);
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx
";

#[test]
fn deployment_selector_replicas_restart_policy_and_drops() {
    check(
        DEPLOYMENT,
        expect![[r#"
        doc0 Deployment web
    "#]],
    );
    let bad = DEPLOYMENT
        .replace("replicas: 2", "replicas: -1\n  strategy: {type: Recreate}")
        .replace("matchLabels: {app: web}", "matchLabels: {app: api}")
        .replace("    spec:\n", "    spec:\n      restartPolicy: Never\n");
    check(
        &bad,
        expect![[r#"
        doc0 Deployment web
          Warning runtime-drops-field spec.strategy @7:3: strategy is ignored at runtime: replicas are replaced all at once
          Error replicas spec.replicas @6:3: replicas -1 must not be negative
          Error selector spec.selector.matchLabels.app @9:19: selector app=api does not match the template labels
          Error restart-policy spec.template.spec.restartPolicy @14:7: restartPolicy "Never" is not one of Always
    "#]],
    );
    check(
        &DEPLOYMENT.replace("  selector:\n    matchLabels: {app: web}\n", ""),
        expect![[r#"
        doc0 Deployment web
          Error selector spec.selector @5:1: selector must not be empty
    "#]],
    );
}

const JOB: &str = "apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: run
        image: busybox
";

#[test]
fn job_restart_policy_and_drops() {
    check(
        JOB,
        expect![[r#"
        doc0 Job once
    "#]],
    );
    check(
        &JOB.replace("      restartPolicy: OnFailure\n", "")
            .replace("  template:", "  backoffLimit: 3\n  template:"),
        expect![[r#"
        doc0 Job once
          Warning runtime-drops-field spec.backoffLimit @6:3: backoffLimit is ignored at runtime: restarts follow restartPolicy without a limit
          Error restart-policy spec.template.spec.restartPolicy @8:5: a job template needs restartPolicy OnFailure or Never
    "#]],
    );
}

#[test]
fn config_map_and_secret_keys() {
    check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  good.key: a\n  'bad key': b\nbinaryData:\n  good.key: YQ==\n", expect![[r#"
        doc0 ConfigMap cfg
          Error config-key data[bad key] @6:3: key "bad key" must consist of alphanumeric characters, '-', '_' or '.'
          Error config-key binaryData[good.key] @8:3: key "good.key" is in both data and binaryData
    "#]]);
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  token: not*base64\n",
        expect![[r#"
        doc0 Secret s
          Error type-error data.token @5:3: invalid symbol 42, offset 3.
    "#]],
    );
    check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  token: aGk=\nstringData:\n  token: hi\n", expect![[r#"
        doc0 Secret s
    "#]]);
}

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

#[test]
fn ankaios_manifest_is_parsed_and_checked() {
    check("apiVersion: v1\nworkloads:\n  nginx:\n    runtime: podman\n    agent: agent_A\n    runtimeConfig: 'image: nginx'\n", expect![[r#"
        doc0 AnkaiosManifest -
    "#]]);
    check(
        "apiVersion: v1\nworkloads:\n  nginx:\n    runtime: podman\n    restartpolicy: ALWAYS\n",
        expect![[r#"
        doc0 AnkaiosManifest -
          Error unknown-field workloads.nginx.restartpolicy @5:5: unknown field `restartpolicy`, expected one of `agent`, `runtime`, `restartPolicy`, `tags`, `dependencies`, `configs`, `files`, `controlInterfaceAccess`, `runtimeConfig`, `nodeSelector`
    "#]],
    );
}

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
