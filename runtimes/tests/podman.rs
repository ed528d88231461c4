//! System tests of the `podman` and `podman-kube` runtimes against real Podman.
//!
//! They use the project's `scripts/containers.conf` and the local `localhost/busybox:latest`
//! image (built by `scripts/podman-setup.sh`, run here when the image is missing), and run as
//! one test function because they share the machine's Podman. Without `podman` they are
//! skipped with a loud message; the project's test command always installs it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ank_model::exec_state::{ExecState, Failed};
use ank_model::WorkloadInstanceName;
use futures::StreamExt;
use runtimes::podman::PodmanRuntime;
use runtimes::podman_cli::{Podman, PodmanOptions};
use runtimes::podman_kube::PodmanKubeRuntime;
use runtimes::{LogOptions, Runtime, RuntimeError, StateUpdate, WorkloadSpec};
use tokio::sync::mpsc::{self, UnboundedReceiver};

const AGENT: &str = "agent_ptest";
const IMAGE: &str = "localhost/busybox:latest";
/// A PID 1 that leaves promptly on SIGTERM, so stops do not wait for the kill timeout.
const SERVE: &str = "trap 'exit 0' TERM; echo hello-$0; while true; do sleep 1; done";

fn conf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/containers.conf")
}

fn podman_cli(args: &[&str]) -> std::process::Output {
    Command::new("podman")
        .args(args)
        .env("CONTAINERS_CONF", conf())
        .output()
        .expect("podman runs")
}

fn podman_ready() -> bool {
    if Command::new("podman").arg("--version").output().is_err() {
        eprintln!("\n\n!!!!! SKIPPING the podman system tests: `podman` is not installed !!!!!\n!!!!! run scripts/podman-setup.sh (the project's test command does) !!!!!\n");
        return false;
    }
    if !podman_cli(&["image", "exists", IMAGE]).status.success() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/podman-setup.sh");
        let status = Command::new("bash")
            .arg(script)
            .status()
            .expect("setup script runs");
        assert!(status.success(), "podman-setup.sh failed");
    }
    true
}

struct Env {
    dir: tempfile::TempDir,
    rx: UnboundedReceiver<StateUpdate>,
    /// Reports for other instances that arrived while waiting for one: kept for their turn,
    /// since two runtimes report in no fixed order.
    backlog: VecDeque<StateUpdate>,
    podman: PodmanRuntime,
    kube: PodmanKubeRuntime,
}

fn env() -> Env {
    let (tx, rx) = mpsc::unbounded_channel();
    let options = PodmanOptions {
        env: vec![("CONTAINERS_CONF".into(), conf().display().to_string())],
        stop_timeout: Duration::from_secs(2),
        ..PodmanOptions::default()
    };
    let shared = Podman::new(options);
    Env {
        dir: tempfile::tempdir().expect("tempdir"),
        rx,
        backlog: VecDeque::new(),
        podman: PodmanRuntime::new(tx.clone(), &shared),
        kube: PodmanKubeRuntime::new(tx, &shared),
    }
}

impl Env {
    fn spec(&self, workload: &str, runtime_config: String) -> WorkloadSpec {
        let instance = WorkloadInstanceName::new(workload, AGENT, &runtime_config);
        let instance_dir = self.dir.path().join(instance.folder_name());
        std::fs::create_dir_all(&instance_dir).expect("instance dir");
        WorkloadSpec {
            instance,
            runtime_config,
            files: Vec::new(),
            instance_dir,
            control_interface_dir: None,
        }
    }

    /// Waits for `want` on `instance`, returning every state seen for it on the way.
    async fn wait_for(
        &mut self,
        instance: &WorkloadInstanceName,
        want: ExecState,
    ) -> Vec<ExecState> {
        let mut seen = Vec::new();
        while let Some(at) = self.backlog.iter().position(|u| &u.instance == instance) {
            let state = self.backlog.remove(at).map(|u| u.state.state);
            seen.extend(state);
            if state == Some(want) {
                return seen;
            }
        }
        let deadline = tokio::time::sleep(Duration::from_secs(20));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => panic!("{instance}: no {want} in 20 s; saw {seen:?}"),
                update = self.rx.recv() => {
                    let update = update.expect("sink open");
                    if &update.instance != instance {
                        self.backlog.push_back(update);
                        continue;
                    }
                    seen.push(update.state.state);
                    if update.state.state == want {
                        return seen;
                    }
                }
            }
        }
    }

    /// Fails when anything is reported for `instance` within `quiet`.
    async fn assert_silent(&mut self, instance: &WorkloadInstanceName, quiet: Duration) {
        let end = Instant::now() + quiet;
        while let Ok(Some(update)) = tokio::time::timeout_at(end.into(), self.rx.recv()).await {
            assert_ne!(
                &update.instance, instance,
                "reported after stop: {update:?}"
            );
            self.backlog.push_back(update);
        }
    }
}

fn podman_config(args: &str) -> String {
    format!("image: {IMAGE}\ncommandArgs: [sh, -c, \"{args}\"]\n")
}

fn kube_config(pod: &str) -> String {
    let container = |name: &str| {
        format!("    - name: {name}\n      image: {IMAGE}\n      command: [sh, -c, \"{SERVE}\", {name}]\n")
    };
    let manifest = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  restartPolicy: Never\n  containers:\n{}{}",
        container("first"),
        container("second")
    );
    let indented: String = manifest.lines().map(|l| format!("  {l}\n")).collect();
    format!("manifest: |\n{indented}")
}

async fn logs(rt: &dyn Runtime, instance: &WorkloadInstanceName) -> Vec<String> {
    let stream = rt
        .logs(instance, &LogOptions::default())
        .await
        .expect("logs");
    stream.filter_map(|l| async { l.ok() }).collect().await
}

fn names(args: &[&str]) -> String {
    String::from_utf8_lossy(&podman_cli(args).stdout)
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_runtimes_against_real_podman() {
    if !podman_ready() {
        return;
    }
    let mut env = env();
    let started = Instant::now();

    // A long-running container: Running via events, logs, stop leaves nothing.
    let spec = env.spec("ptest_run", podman_config(SERVE));
    env.podman.stop(&spec.instance).await.expect("clean slate");
    let t0 = Instant::now();
    env.podman.start(&spec).await.expect("starts");
    env.wait_for(&spec.instance, ExecState::Running).await;
    eprintln!("podman: start -> Running(Ok) in {:?}", t0.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(logs(&env.podman, &spec.instance)
        .await
        .iter()
        .any(|l| l.starts_with("hello-")));
    env.podman.stop(&spec.instance).await.expect("stops");
    assert_eq!(
        names(&[
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            "name=^ptest_run\\."
        ]),
        ""
    );
    env.assert_silent(&spec.instance, Duration::from_millis(700))
        .await;

    // Exit codes.
    for (workload, code, want) in [
        ("ptest_ok", 0, ExecState::Succeeded),
        ("ptest_fail", 1, ExecState::Failed(Failed::ExecFailed)),
    ] {
        let spec = env.spec(workload, podman_config(&format!("exit {code}")));
        env.podman.stop(&spec.instance).await.expect("clean slate");
        env.podman.start(&spec).await.expect("starts");
        env.wait_for(&spec.instance, want).await;
        env.podman.stop(&spec.instance).await.expect("stops");
    }

    // A bad image: podman's own message.
    let spec = env.spec(
        "ptest_badimage",
        "image: localhost/ptest-no-such-image:1\n".into(),
    );
    match env.podman.start(&spec).await {
        Err(RuntimeError::StartFailed(msg)) => {
            assert!(msg.contains("ptest-no-such-image"), "{msg}")
        }
        other => panic!("bad image started: {other:?}"),
    }
    assert_eq!(
        names(&[
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            "name=^ptest_badimage\\."
        ]),
        ""
    );

    // Removed behind the agent's back: Lost, and not ExecFailed first.
    let spec = env.spec("ptest_lost", podman_config("sleep 1000"));
    env.podman.stop(&spec.instance).await.expect("clean slate");
    env.podman.start(&spec).await.expect("starts");
    env.wait_for(&spec.instance, ExecState::Running).await;
    assert!(
        podman_cli(&["rm", "-f", "-t", "0", &spec.instance.to_string()])
            .status
            .success()
    );
    let seen = env
        .wait_for(&spec.instance, ExecState::Failed(Failed::Lost))
        .await;
    assert_eq!(seen, [ExecState::Failed(Failed::Lost)]);
    env.podman
        .stop(&spec.instance)
        .await
        .expect("stop of a lost one succeeds");

    // podman-kube: a pod with two containers.
    let spec = env.spec("ptest_kube", kube_config("ptest-pod"));
    env.kube.stop(&spec.instance).await.expect("clean slate");
    let _ = podman_cli(&["pod", "rm", "-f", "-t", "0", "--ignore", "ptest-pod"]);
    let t0 = Instant::now();
    env.kube.start(&spec).await.expect("plays");
    env.wait_for(&spec.instance, ExecState::Running).await;
    eprintln!("podman-kube: start -> Running(Ok) in {:?}", t0.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = logs(&env.kube, &spec.instance).await;
    assert!(
        lines.contains(&"[ptest-pod-first] hello-first".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"[ptest-pod-second] hello-second".to_owned()),
        "{lines:?}"
    );
    let t0 = Instant::now();
    env.kube.stop(&spec.instance).await.expect("downs");
    eprintln!("podman-kube: stop in {:?}", t0.elapsed());
    assert_eq!(
        names(&[
            "pod",
            "ps",
            "--format",
            "{{.Name}}",
            "--filter",
            "name=^ptest-pod$"
        ]),
        ""
    );
    assert_eq!(
        names(&[
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            "name=^ptest-pod"
        ]),
        ""
    );
    assert_eq!(
        names(&[
            "volume",
            "ls",
            "--format",
            "{{.Name}}",
            "--filter",
            "name=ptest_kube"
        ]),
        ""
    );
    env.assert_silent(&spec.instance, Duration::from_millis(700))
        .await;

    // The floor: `podman kube play` of the same manifest by hand.
    let manifest = spec.instance_dir.join("manifest.yaml");
    let t0 = Instant::now();
    assert!(
        podman_cli(&["kube", "play", &manifest.display().to_string()])
            .status
            .success()
    );
    eprintln!("floor: podman kube play by hand in {:?}", t0.elapsed());
    let _ = podman_cli(&["pod", "rm", "-f", "-t", "0", "ptest-pod"]);

    control_interface(&mut env).await;
    adoption(&mut env).await;
    eprintln!("podman system tests took {:?}", started.elapsed());
}

/// A new runtime instance (a restarted agent) finds and adopts a container and a pod.
async fn adoption(env: &mut Env) {
    let container = env.spec("ptest_adopt", podman_config("sleep 1000"));
    let pod = env.spec("ptest_adoptkube", kube_config("ptest-adopt-pod"));
    env.podman
        .stop(&container.instance)
        .await
        .expect("clean slate");
    env.kube.stop(&pod.instance).await.expect("clean slate");
    env.podman.start(&container).await.expect("starts");
    env.kube.start(&pod).await.expect("plays");
    env.wait_for(&container.instance, ExecState::Running).await;
    env.wait_for(&pod.instance, ExecState::Running).await;
    env.podman.shutdown().await;
    env.kube.shutdown().await;

    let mut fresh = self::env();
    assert!(fresh
        .podman
        .list_instances(AGENT)
        .await
        .expect("lists")
        .contains(&container.instance));
    assert!(fresh
        .kube
        .list_instances(AGENT)
        .await
        .expect("lists")
        .contains(&pod.instance));
    assert!(!fresh
        .kube
        .list_instances("other_agent")
        .await
        .expect("lists")
        .contains(&pod.instance));
    fresh.podman.start(&container).await.expect("adopts");
    fresh.kube.start(&pod).await.expect("adopts");
    fresh
        .wait_for(&container.instance, ExecState::Running)
        .await;
    fresh.wait_for(&pod.instance, ExecState::Running).await;
    let count = names(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        "name=^ptest_adopt\\.",
    ]);
    assert_eq!(
        count.lines().count(),
        1,
        "adoption must not start a second container"
    );
    fresh.podman.stop(&container.instance).await.expect("stops");
    fresh.kube.stop(&pod.instance).await.expect("downs");
    assert_eq!(
        names(&[
            "pod",
            "ps",
            "--format",
            "{{.Name}}",
            "--filter",
            "name=^ptest-adopt-pod$"
        ]),
        ""
    );
}

/// A folder with the FIFOs `input` and `output`, as the agent makes it.
fn control_interface_folder(spec: &WorkloadSpec) -> PathBuf {
    let dir = spec.instance_dir.join("control_interface");
    std::fs::create_dir_all(&dir).expect("folder");
    for name in ["input", "output"] {
        let mode = nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR;
        nix::unistd::mkfifo(&dir.join(name), mode).expect("fifo");
    }
    dir
}

/// The control interface folder is at `/run/ankaios/control_interface` inside a container and
/// inside the `controlInterfaceTarget` container of a pod.
async fn control_interface(env: &mut Env) {
    let check = "test -p /run/ankaios/control_interface/input && \
                 test -p /run/ankaios/control_interface/output";
    let mut spec = env.spec("ptest_ci", podman_config(check));
    spec.control_interface_dir = Some(control_interface_folder(&spec));
    env.podman.stop(&spec.instance).await.expect("clean slate");
    env.podman.start(&spec).await.expect("starts");
    env.wait_for(&spec.instance, ExecState::Succeeded).await;
    env.podman.stop(&spec.instance).await.expect("stops");

    let config = format!(
        "{}controlInterfaceTarget: ptest-ci-pod/second\n",
        kube_config("ptest-ci-pod").replace("echo hello-$0", &format!("{check} && echo ci-$0"))
    );
    let mut spec = env.spec("ptest_kube_ci", config);
    spec.control_interface_dir = Some(control_interface_folder(&spec));
    env.kube.stop(&spec.instance).await.expect("clean slate");
    let _ = podman_cli(&["pod", "rm", "-f", "-t", "0", "--ignore", "ptest-ci-pod"]);
    env.kube.start(&spec).await.expect("plays");
    env.wait_for(&spec.instance, ExecState::Running).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = logs(&env.kube, &spec.instance).await;
    assert!(
        lines.contains(&"[ptest-ci-pod-second] ci-second".to_owned()),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("ci-first")),
        "only the target container has it: {lines:?}"
    );
    env.kube.stop(&spec.instance).await.expect("downs");
}
