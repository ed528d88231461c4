//! The semantic checks of one object: names, containers, ports, images, quantities, env,
//! volumes, probes, labels and the rules of Deployments, Jobs, ConfigMaps and Secrets.

use expect_test::expect;

use super::*;

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
fn a_volume_has_at_most_one_source() {
    check(
        &pod_with_spec(
            "  volumes:\n  - name: data\n    emptyDir: {}\n    hostPath: {path: /tmp}\n",
        ),
        expect![[r#"
            doc0 Pod web
              Error volume spec.volumes[0] @7:5: volume "data" may have only one source, not emptyDir and hostPath
        "#]],
    );
    check(
        &pod_with_spec(
            "  volumes:\n  - name: data\n    hostPath: {path: /tmp}\n  - name: scratch\n",
        ),
        expect![[r#"
            doc0 Pod web
        "#]],
    );
}

#[test]
fn label_and_annotation_keys_and_values() {
    let meta = "  labels:\n    app.kubernetes.io/name: web\n    tier: ''\n    bad key: x\n    -app: y\n    Example.com/x: z\n    ok: -value\n    long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  annotations:\n    example.com/anything: 'any value: even spaces'\n    /nope: x\n";
    check(
        &pod_with_spec("").replace("  name: web\n", &format!("  name: web\n{meta}")),
        expect![[r#"
            doc0 Pod web
              Error label metadata.labels.-app @9:5: label key "-app" must be a name of at most 63 characters of [-._a-zA-Z0-9], alphanumeric at both ends, with an optional dns-1123 subdomain prefix and '/'
              Error label metadata.labels[Example.com/x] @10:5: label key "Example.com/x" has a prefix that is not a dns-1123 subdomain
              Error label metadata.labels[bad key] @8:5: label key "bad key" must be a name of at most 63 characters of [-._a-zA-Z0-9], alphanumeric at both ends, with an optional dns-1123 subdomain prefix and '/'
              Error label metadata.labels.long @12:5: label value "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" must be at most 63 characters of [-._a-zA-Z0-9], alphanumeric at both ends
              Error label metadata.labels.ok @11:5: label value "-value" must be at most 63 characters of [-._a-zA-Z0-9], alphanumeric at both ends
              Error label metadata.annotations./nope @15:5: annotation key "/nope" has a prefix that is not a dns-1123 subdomain
        "#]],
    );
    check(
        &DEPLOYMENT.replace(
            "labels: {app: web}\n    spec",
            "labels: {app: web, a/b/c: x}\n    spec",
        ),
        expect![[r#"
            doc0 Deployment web
              Error label spec.template.metadata.labels.a/b/c @11:26: label key "a/b/c" must be a name of at most 63 characters of [-._a-zA-Z0-9], alphanumeric at both ends, with an optional dns-1123 subdomain prefix and '/'
        "#]],
    );
    check(
        &pod_with_spec("").replace(
            "  name: web\n",
            "  name: web\n  labels: {app.kubernetes.io/name: web, version: v1.2_3, empty: ''}\n  annotations: {note: 'free text, any length'}\n",
        ),
        expect![[r#"
            doc0 Pod web
        "#]],
    );
}
