//! Translation tests: manifests in, the Ankaios state (as YAML) out.

use expect_test::{expect, Expect};

use crate::{translate_file, Options};

fn check(yaml: &str, expect: Expect) {
    let out = match translate_file(yaml, &Options::default()) {
        Ok(state) => serde_yaml_ng::to_string(&state).unwrap_or_default(),
        Err(reports) => format!(
            "refused: {:?}",
            reports.iter().map(|r| &r.findings).collect::<Vec<_>>()
        ),
    };
    expect.assert_eq(&out);
}

#[test]
fn pod_becomes_a_podman_kube_workload_that_podman_never_restarts() {
    check("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web.v1\n  labels: {app: web}\nspec:\n  nodeName: agent_A\n  nodeSelector: {disk: ssd}\n  containers:\n  - name: app\n    image: nginx\n", expect![[r#"
        apiVersion: v1
        workloads:
          web-v1:
            agent: agent_A
            restartPolicy: ALWAYS
            tags:
              app: web
            runtime: podman-kube
            runtimeConfig: |-
              generalOptions: []
              playOptions: []
              downOptions: []
              manifest: |
                apiVersion: v1
                kind: Pod
                metadata:
                  labels:
                    app: web
                  name: web.v1
                spec:
                  containers:
                  - image: nginx
                    name: app
                  nodeName: agent_A
                  nodeSelector:
                    disk: ssd
                  restartPolicy: Never
            nodeSelector:
              disk: ssd
    "#]]);
}

#[test]
fn deployment_gives_one_workload_per_replica_and_configmap_becomes_config() {
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        envFrom: [{configMapRef: {name: settings}}]\n";
    check(
        yaml,
        expect![[r#"
            apiVersion: v1
            workloads:
              api-0:
                agent: ''
                restartPolicy: ALWAYS
                tags:
                  app: api
                runtime: podman-kube
                runtimeConfig: |-
                  generalOptions: []
                  playOptions: []
                  downOptions: []
                  manifest: |
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      labels:
                        app: api
                      name: api-0
                    spec:
                      containers:
                      - envFrom:
                        - configMapRef:
                            name: settings
                        image: nginx
                        name: app
                      restartPolicy: Never
                    ---
                    apiVersion: v1
                    kind: ConfigMap
                    data:
                      mode: fast
                    metadata:
                      name: settings
                configs:
                  settings: settings
              api-1:
                agent: ''
                restartPolicy: ALWAYS
                tags:
                  app: api
                runtime: podman-kube
                runtimeConfig: |-
                  generalOptions: []
                  playOptions: []
                  downOptions: []
                  manifest: |
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      labels:
                        app: api
                      name: api-1
                    spec:
                      containers:
                      - envFrom:
                        - configMapRef:
                            name: settings
                        image: nginx
                        name: app
                      restartPolicy: Never
                    ---
                    apiVersion: v1
                    kind: ConfigMap
                    data:
                      mode: fast
                    metadata:
                      name: settings
                configs:
                  settings: settings
            configs:
              settings:
                mode: fast
        "#]],
    );
}

#[test]
fn native_pod_gives_one_workload_per_container_with_templated_env() {
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\ndata: {token: aGk=}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: tool}\nspec:\n  template:\n    spec:\n      runtimeClassName: native\n      restartPolicy: OnFailure\n      containers:\n      - name: run\n        command: [/bin/sh, -c]\n        args: [echo $TOKEN]\n        workingDir: /tmp\n        env:\n        - {name: MODE, value: x}\n        - name: TOKEN\n          valueFrom: {secretKeyRef: {name: creds, key: token}}\n";
    check(
        yaml,
        expect![[r#"
            apiVersion: v1
            workloads:
              tool-run:
                agent: ''
                restartPolicy: ON_FAILURE
                runtime: native
                runtimeConfig: |-
                  command:
                  - /bin/sh
                  - -c
                  args:
                  - echo $TOKEN
                  env:
                    MODE: x
                    TOKEN: '{{creds.token}}'
                  workingDir: /tmp
                configs:
                  creds: creds
            configs:
              creds:
                token: hi
        "#]],
    );
}

#[test]
fn ankaios_manifests_merge_with_translated_objects() {
    let yaml = "apiVersion: v1\nworkloads:\n  db:\n    runtime: podman\n    agent: a\n    runtimeConfig: 'image: postgres'\nconfigs:\n  port: '5432'\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: nginx}]\n";
    check(
        yaml,
        expect![[r#"
            apiVersion: v1
            workloads:
              app:
                agent: ''
                restartPolicy: NEVER
                runtime: podman-kube
                runtimeConfig: |-
                  generalOptions: []
                  playOptions: []
                  downOptions: []
                  manifest: |
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: app
                    spec:
                      containers:
                      - image: nginx
                        name: c
                      restartPolicy: Never
              db:
                agent: a
                restartPolicy: NEVER
                runtime: podman
                runtimeConfig: 'image: postgres'
            configs:
              port: '5432'
        "#]],
    );
}

#[test]
fn apply_refuses_errors_and_unsupported_fields_but_not_drops() {
    check(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
        expect![[
            r#"refused: [[Finding { severity: Warning, rule: "unsupported-field", path: "kind", message: "kind Service is valid kubernetes but anchorage cannot run it", line: Some(2), column: Some(1) }]]"#
        ]],
    );
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  tolerations: [{operator: Exists}]\n  containers: [{name: c, image: nginx}]\n";
    assert!(translate_file(pod, &Options::default()).is_ok());
}

#[test]
fn a_claim_becomes_a_volume_workload_its_pods_depend_on() {
    let yaml = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  annotations: {volume.podman.io/driver: local}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  nodeName: agent_A\n  containers:\n  - name: app\n    image: busybox\n    volumeMounts: [{name: d, mountPath: /d}]\n  volumes:\n  - name: d\n    persistentVolumeClaim: {claimName: data}\n";
    let state = translate_file(yaml, &Options::default()).expect("a claim is accepted");
    let claim = &state.workloads["pvc-data"];
    assert_eq!(claim.runtime, "podman-kube");
    assert_eq!(claim.agent, "agent_A", "the claim goes where its pod runs");
    assert_eq!(claim.tags["anchorage.io/storage"], "1Gi");
    assert_eq!(claim.tags["anchorage.io/access-modes"], "ReadWriteOnce");
    // Only name and annotations reach the manifest: editing the size keeps the instance.
    expect![[r#"
        generalOptions: []
        playOptions: []
        downOptions: []
        manifest: |
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata:
            annotations:
              volume.podman.io/driver: local
            name: data"#]]
    .assert_eq(&claim.runtime_config);
    let pod = &state.workloads["db"];
    assert_eq!(
        pod.dependencies.get("pvc-data"),
        Some(&ank_model::AddCondition::Running)
    );
    assert!(pod.runtime_config.contains("claimName: data"));
    let resized = yaml.replace("storage: 1Gi", "storage: 5Gi");
    let state2 = translate_file(&resized, &Options::default()).expect("accepted");
    assert_eq!(
        state2.workloads["pvc-data"].runtime_config,
        claim.runtime_config
    );
}

#[test]
fn a_claim_name_that_is_not_a_dns_subdomain_is_refused() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  containers:\n  - name: app\n    image: busybox\n  volumes:\n  - name: d\n    persistentVolumeClaim: {claimName: ../etc}\n";
    let reports = translate_file(yaml, &Options::default()).expect_err("refused");
    let finding = &reports[0].findings[0];
    assert_eq!(
        finding.path,
        "spec.volumes[0].persistentVolumeClaim.claimName"
    );
    assert!(finding.message.contains("../etc"), "{}", finding.message);
}

#[test]
fn a_native_pod_gets_its_claims_folder_in_the_environment() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\nspec:\n  runtimeClassName: native\n  nodeName: agent_A\n  containers:\n  - name: a\n    command: [/bin/sh, -c, 'date > $ANKAIOS_VOLUME_STATE_DIR/last']\n    volumeMounts: [{name: state-dir, mountPath: /var/lib/tool}]\n  - name: b\n    command: [/bin/true]\n  volumes:\n  - name: state-dir\n    persistentVolumeClaim: {claimName: tool-state}\n";
    let state = translate_file(yaml, &Options::default()).expect("a native claim is accepted");
    let a: ank_model::runtime_config::NativeConfig =
        serde_yaml_ng::from_str(&state.workloads["tool-a"].runtime_config).expect("native");
    assert_eq!(
        a.volumes,
        [(
            "ANKAIOS_VOLUME_STATE_DIR".to_owned(),
            "tool-state".to_owned()
        )]
        .into()
    );
    let b: ank_model::runtime_config::NativeConfig =
        serde_yaml_ng::from_str(&state.workloads["tool-b"].runtime_config).expect("native");
    assert!(b.volumes.is_empty(), "only the container that mounts it");
}

#[test]
fn a_secret_volume_says_it_is_not_optional_so_podman_4_3_does_not_crash() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/k8s/secret.yaml"
    ))
    .expect("example");
    let state = translate_file(&yaml, &Options::default()).expect("accepted");
    let config: ank_model::runtime_config::PodmanKubeConfig =
        serde_yaml_ng::from_str(&state.workloads["db-client"].runtime_config).expect("config");
    let pod: k8s_openapi::api::core::v1::Pod =
        serde_yaml_ng::from_str(config.manifest.split("---\n").next().unwrap_or_default())
            .expect("the pod comes first");
    let volumes = pod.spec.and_then(|s| s.volumes).unwrap_or_default();
    let secret = volumes[0].secret.as_ref().expect("a secret volume");
    assert_eq!(secret.optional, Some(false));
}
