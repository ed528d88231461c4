//! End to end with real Podman: PersistentVolumeClaims through the real `ank-server`,
//! `ank-agent` (`agent_pvc`) and `ank`. A Deployment mounting a claim writes a file into the
//! claim's named volume, is deleted and applied again, and reads the file back; a claim
//! document creates the volume; deleting the claim is refused while the Deployment uses it and
//! removes the volume once it is gone.
//!
//! Skipped loudly without `podman` on PATH, like `e2e_podman`. Names are this file's own and
//! leftovers are removed before and after.

mod e2e_support;

use std::time::{Duration, Instant};

use e2e_support::podman::{conf, podman, ready};
use e2e_support::{describe, row, Cluster};

const AGENT: &str = "agent_pvc";
const IMAGE: &str = "localhost/busybox:latest";
const CLAIM: &str = "e2e-pvc-data";
const CLAIM_WORKLOAD: &str = "pvc-e2e-pvc-data";
const WRITER: &str = "e2e-pvc-writer";
/// The Deployment's only replica: workload and pod name.
const REPLICA: &str = "e2e-pvc-writer-0";
const WAIT: Duration = Duration::from_secs(40);

fn claim_yaml() -> String {
    format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {CLAIM}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n")
}

/// The Deployment: prints what the claim holds, then writes `token` into it.
fn writer_yaml(token: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {WRITER}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: writer}}\n  template:\n    metadata:\n      labels: {{app: writer}}\n    spec:\n      nodeName: {AGENT}\n      containers:\n      - name: c\n        image: {IMAGE}\n        command: [sh, -c, \"trap 'exit 0' TERM; echo read:$(cat /data/note 2>/dev/null); echo {token} > /data/note; echo wrote; while true; do sleep 1; done\"]\n        volumeMounts:\n        - {{name: d, mountPath: /data}}\n      volumes:\n      - name: d\n        persistentVolumeClaim: {{claimName: {CLAIM}}}\n"
    )
}

fn volume_exists() -> bool {
    podman(&["volume", "exists", CLAIM]).status.success()
}

/// Removes the test's pod and volume, before and after.
struct Leftovers;

impl Leftovers {
    fn new() -> Leftovers {
        Leftovers.clean();
        Leftovers
    }

    fn clean(&self) {
        let _ = podman(&["pod", "rm", "-f", "-t", "0", "--ignore", REPLICA]);
        let _ = podman(&["volume", "rm", "-f", CLAIM]);
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        self.clean();
    }
}

fn wait_for(c: &Cluster, what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let start = Instant::now();
    loop {
        match check() {
            Ok(()) => return,
            Err(last) if start.elapsed() > WAIT => {
                panic!(
                    "{what}: not reached within {WAIT:?}; last: {last}\n{}",
                    c.logs()
                )
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// `ank ARGS` must succeed.
fn ank_ok(c: &Cluster, args: &[&str]) {
    let out = c.ank(args);
    assert!(
        out.status.success(),
        "ank {args:?}: {}\n{}",
        describe(&out),
        c.logs()
    );
}

/// Waits for `ank logs REPLICA` to hold `line`.
fn wait_log(c: &Cluster, line: &str) {
    wait_for(c, &format!("log line {line:?}"), || {
        let out = c.ank(&["logs", REPLICA]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.lines().any(|l| l.trim_end().ends_with(line)) && text.contains("wrote") {
            Ok(())
        } else {
            Err(describe(&out))
        }
    });
}

#[test]
fn a_claim_outlives_its_deployment_and_goes_only_when_unused() {
    if !ready(IMAGE) {
        return;
    }
    let _leftovers = Leftovers::new();
    let mut c = Cluster::start();
    let conf = conf().display().to_string();
    c.start_agent_with_env(AGENT, "node=pvc", &[("CONTAINERS_CONF", &conf)]);

    // The claim document creates the volume and its workload runs.
    let claim = c.write("claim.yaml", &claim_yaml());
    ank_ok(&c, &["apply", "--agent", AGENT, &claim]);
    let table = c.ank_ok(&["get", "workloads"]);
    assert_eq!(
        row(&table, CLAIM_WORKLOAD).map(|r| r[3]),
        Some("Running(Ok)"),
        "{table}"
    );
    assert!(volume_exists(), "apply of the claim created no volume");

    // The first Deployment finds the claim empty and writes into it.
    let first = c.write("first.yaml", &writer_yaml("token-first"));
    ank_ok(&c, &["apply", &first]);
    wait_log(&c, "read:");

    // Deleting the claim while the Deployment uses it is refused, naming the user.
    let out = c.ank(&["delete", "-f", &claim]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("claim \"{CLAIM}\" is used by workload {REPLICA}")),
        "{stderr}"
    );
    assert!(row(&c.ank_ok(&["get", "workloads"]), CLAIM_WORKLOAD).is_some());
    assert!(volume_exists());

    // The Deployment goes; the volume stays, and a new Deployment reads what the first wrote.
    ank_ok(&c, &["delete", "-f", &first]);
    assert!(
        podman(&["pod", "exists", REPLICA]).status.code() == Some(1),
        "the pod is still there"
    );
    assert!(
        volume_exists(),
        "deleting the Deployment removed its claim's volume"
    );
    let second = c.write("second.yaml", &writer_yaml("token-second"));
    ank_ok(&c, &["apply", &second]);
    wait_log(&c, "read:token-first");
    ank_ok(&c, &["delete", "-f", &second]);
    assert!(volume_exists());

    // Unused now: deleting the claim removes its workload and its volume.
    ank_ok(&c, &["delete", "-f", &claim]);
    assert!(row(&c.ank_ok(&["get", "workloads"]), CLAIM_WORKLOAD).is_none());
    wait_for(&c, "the claim's volume removed", || {
        if volume_exists() {
            Err(String::from_utf8_lossy(&podman(&["volume", "ls"]).stdout).into_owned())
        } else {
            Ok(())
        }
    });
}

#[test]
fn a_native_pods_claim_is_a_private_folder_that_outlives_it() {
    use std::os::unix::fs::PermissionsExt;

    let mut c = Cluster::start();
    c.start_agent("agent_pvcn", "node=pvcn");
    let pod = |script: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: e2e-pvcn\nspec:\n  runtimeClassName: native\n  nodeName: agent_pvcn\n  restartPolicy: Never\n  containers:\n  - name: c\n    command: [/bin/sh, -c, \"{script}\"]\n    volumeMounts: [{{name: state, mountPath: /ignored}}]\n  volumes:\n  - name: state\n    persistentVolumeClaim: {{claimName: e2e-native-claim}}\n")
    };
    let first = c.write(
        "native1.yaml",
        &pod("echo kept > $ANKAIOS_VOLUME_STATE/note"),
    );
    ank_ok(&c, &["apply", &first]);
    let folder = c.dir.path().join("run_agent_pvcn/volumes/e2e-native-claim");
    wait_for(&c, "the note in the claim's folder", || {
        std::fs::read_to_string(folder.join("note"))
            .map_err(|e| e.to_string())
            .and_then(|t| (t == "kept\n").then_some(()).ok_or(t))
    });
    let mode = std::fs::metadata(&folder)
        .expect("folder")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "the claim's folder is private");

    // Deleted and applied again, the pod finds what it wrote.
    ank_ok(&c, &["delete", "-f", &first]);
    assert!(
        folder.join("note").exists(),
        "the folder outlives the workload"
    );
    let second = c.write("native2.yaml", &pod("cat $ANKAIOS_VOLUME_STATE/note"));
    ank_ok(&c, &["apply", &second]);
    wait_for(&c, "the note read back", || {
        let out = c.ank(&["logs", "e2e-pvcn-c"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .any(|l| l.trim_end().ends_with("kept"))
            .then_some(())
            .ok_or_else(|| describe(&out))
    });
}
