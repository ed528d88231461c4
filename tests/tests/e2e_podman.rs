//! End to end with real Podman: the real `ank-server` and one `ank-agent` (`agent_pm`) on
//! loopback, driven through `ank`, running `podman` and `podman-kube` workloads from the local
//! image `localhost/busybox:latest` (built by `scripts/podman-setup.sh`, run here when the image
//! is missing). Assertions look at both `ank get …` and Podman's own view (`podman ps -a`,
//! `podman pod ps`, `podman volume ls`).
//!
//! Without `podman` on PATH each test is skipped with a loud message; the project's test command
//! always installs it. The tests share the machine's Podman, so they run one at a time (a static
//! mutex), use their own workload and pod names, and remove their leftovers before and after.

mod e2e_support;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use e2e_support::podman::{conf, containers_of, lines as podman_lines, podman};
use e2e_support::{describe, row, Cluster};

const AGENT: &str = "agent_pm";
const IMAGE: &str = "localhost/busybox:latest";
/// A PID 1 that greets and leaves promptly on SIGTERM, so deletes do not wait for the kill
/// timeout. `$0` is the first argument after the script.
const SERVE: &str = "trap 'exit 0' TERM; echo hello-$0; while true; do sleep 1; done";
/// The longest any single wait in these tests may take.
const WAIT: Duration = Duration::from_secs(30);

/// One test at a time: they share Podman.
static PODMAN: Mutex<()> = Mutex::new(());

/// Whether Podman is usable (see [`e2e_support::podman::ready`]).
fn podman_ready() -> bool {
    e2e_support::podman::ready(IMAGE)
}

/// `(name, id)` of each container (infra included) of the pod `pod`.
fn pod_containers(pod: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = podman_lines(&[
        "ps",
        "-a",
        "--pod",
        "--format",
        "{{.Names}} {{.ID}} {{.PodName}}",
    ])
    .iter()
    .filter_map(|l| {
        let mut parts = l.split_whitespace();
        let (name, id, pod_name) = (parts.next()?, parts.next()?, parts.next()?);
        (pod_name == pod).then(|| (name.to_owned(), id.to_owned()))
    })
    .collect();
    found.sort();
    found
}

/// The pod `pod` if Podman knows it, with its status.
fn pod_status(pod: &str) -> Option<String> {
    podman_lines(&[
        "pod",
        "ps",
        "--format",
        "{{.Name}} {{.Status}}",
        "--filter",
        &format!("name=^{pod}$"),
    ])
    .into_iter()
    .next()
}

/// Volumes whose names start with `<workload>.` (a podman-kube instance's `.config` and
/// `.pods` volumes), sorted.
fn volumes_of(workload: &str) -> Vec<String> {
    let mut volumes: Vec<String> = podman_lines(&["volume", "ls", "--format", "{{.Name}}"])
        .into_iter()
        .filter(|v| v.starts_with(&format!("{workload}.")))
        .collect();
    volumes.sort();
    volumes
}

/// The two volumes Ankaios keeps for the podman-kube instance `<workload>.<id>.agent_pm`.
fn bookkeeping_volumes(workload: &str, id: &str) -> Vec<String> {
    ["config", "pods"]
        .map(|suffix| format!("{workload}.{id}.{AGENT}.{suffix}"))
        .to_vec()
}

/// The `data` label of a bookkeeping volume, decoded as Ankaios writes it (base64, standard
/// alphabet, no padding).
fn volume_data(volume: &str) -> String {
    use base64::Engine;
    let out = podman(&["volume", "inspect", volume]);
    assert!(out.status.success(), "volume inspect: {}", describe(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inspect JSON");
    let label = json[0]["Labels"]["data"]
        .as_str()
        .unwrap_or_else(|| panic!("{volume} has no data label: {json}"));
    assert!(!label.ends_with('='), "{volume}: padded label {label}");
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(label)
        .unwrap_or_else(|e| panic!("{volume}: data is not base64 without padding: {e}"));
    String::from_utf8(bytes).expect("UTF-8 data")
}

/// IDs of the containers (running or not) of the `podman` workload `workload`.
fn container_ids(workload: &str) -> Vec<String> {
    podman_lines(&[
        "ps",
        "-a",
        "--filter",
        &format!("name=^{workload}\\."),
        "--format",
        "{{.ID}}",
    ])
}

/// The full ID of the pod `pod`, if Podman knows it.
fn pod_id(pod: &str) -> Option<String> {
    podman_lines(&["pod", "inspect", "--format", "{{.ID}}", pod])
        .into_iter()
        .next()
}

/// The instance IDs `ank get state` reports for `workload` on agent_pm.
fn instance_ids(c: &Cluster, workload: &str) -> Vec<String> {
    let json = c.ank_ok(&["get", "state", "-o", "json"]);
    let state: serde_json::Value = serde_json::from_str(&json).expect("state is JSON");
    state["workloadStates"][AGENT][workload]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Kills agent_pm (SIGKILL), waits until `workloads` show AgentDisconnected, and wipes its run
/// folder, as a lost `/tmp` would: the next agent starts on a new, empty one.
fn kill_agent_and_wipe_its_run_folder(c: &mut Cluster, workloads: &[&str]) {
    c.kill_agent(AGENT);
    for w in workloads {
        wait_state(c, w, "AgentDisconnected");
    }
    let run = c.dir.path().join(format!("run_{AGENT}"));
    std::fs::remove_dir_all(&run).expect("wipe the run folder");
}

/// A container's status as `podman inspect` reports it (`running`, `exited`, …).
fn container_state(name: &str) -> String {
    podman_lines(&["inspect", "--format", "{{.State.Status}}", name])
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Removes whatever Podman still has of `workloads` and `pods`, on creation and on drop, so a
/// failed test does not poison the next one.
struct Leftovers {
    workloads: Vec<String>,
    pods: Vec<String>,
}

impl Leftovers {
    fn new(workloads: &[&str], pods: &[&str]) -> Leftovers {
        let leftovers = Leftovers {
            workloads: workloads.iter().map(|s| (*s).to_owned()).collect(),
            pods: pods.iter().map(|s| (*s).to_owned()).collect(),
        };
        leftovers.clean();
        leftovers
    }

    fn clean(&self) {
        for pod in &self.pods {
            let _ = podman(&["pod", "rm", "-f", "-t", "0", "--ignore", pod]);
        }
        for workload in &self.workloads {
            for name in containers_of(workload) {
                let _ = podman(&["rm", "-f", "-t", "0", "--ignore", &name]);
            }
            for volume in volumes_of(workload) {
                let _ = podman(&["volume", "rm", "-f", &volume]);
            }
        }
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        self.clean();
    }
}

/// A server and `agent_pm` with the project's `containers.conf`.
fn cluster() -> Cluster {
    let mut c = Cluster::start();
    start_agent(&mut c);
    c
}

fn start_agent(c: &mut Cluster) {
    let conf = conf().display().to_string();
    c.start_agent_with_env(AGENT, "node=pm", &[("CONTAINERS_CONF", &conf)]);
}

/// Polls `check` every 150 ms until it returns `Ok`, at most [`WAIT`]; panics with its last
/// `Err` and the cluster's logs.
fn wait_for<T>(c: &Cluster, what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if start.elapsed() > WAIT => {
                panic!(
                    "{what}: not reached within {WAIT:?}; last: {last}\n{}",
                    c.logs()
                )
            }
            Err(_) => std::thread::sleep(Duration::from_millis(150)),
        }
    }
}

/// The `EXECUTION STATE` column of `workload` (None when not listed).
fn state_of(c: &Cluster, workload: &str) -> Option<String> {
    let table = c.ank_ok(&["get", "workloads"]);
    row(&table, workload).and_then(|r| r.get(3).map(|s| (*s).to_owned()))
}

/// Waits until `workload` shows `want` in `ank get workloads`; returns its row.
fn wait_state(c: &Cluster, workload: &str, want: &str) -> Vec<String> {
    wait_for(c, &format!("{workload} {want}"), || {
        let table = c.ank_ok(&["get", "workloads"]);
        match row(&table, workload) {
            Some(r) if r.get(3) == Some(&want) => Ok(r.iter().map(|s| (*s).to_owned()).collect()),
            _ => Err(table),
        }
    })
}

fn apply(c: &Cluster, name: &str, manifest: &str, wait: bool) {
    let file = c.write(name, manifest);
    let args: &[&str] = if wait {
        &["apply", &file]
    } else {
        &["--no-wait", "apply", &file]
    };
    let out = c.ank(args);
    assert!(
        out.status.success(),
        "apply {name}: {}\n{}",
        describe(&out),
        c.logs()
    );
}

fn delete(c: &Cluster, workloads: &[&str]) {
    let mut args = vec!["delete", "workload"];
    args.extend_from_slice(workloads);
    let out = c.ank(&args);
    assert!(
        out.status.success(),
        "delete {workloads:?}: {}\n{}",
        describe(&out),
        c.logs()
    );
    let table = c.ank_ok(&["get", "workloads"]);
    for w in workloads {
        assert!(row(&table, w).is_none(), "{w} still listed:\n{table}");
    }
}

/// A `podman` workload on `agent_pm`.
fn podman_workload(name: &str, policy: &str, options: &str, script: &str) -> String {
    format!(
        "  {name}:\n    runtime: podman\n    agent: {AGENT}\n    restartPolicy: {policy}\n    runtimeConfig: |\n      image: {IMAGE}\n      commandOptions: [{options}]\n      commandArgs: [sh, -c, \"{script}\", {name}]\n"
    )
}

/// A `podman-kube` workload on `agent_pm`: pod `pod` with containers `first` and `second`.
fn kube_workload(name: &str, pod: &str) -> String {
    let container = |c: &str| {
        format!(
            "          - name: {c}\n            image: {IMAGE}\n            command: [sh, -c, \"{SERVE}\", {c}]\n"
        )
    };
    format!(
        "  {name}:\n    runtime: podman-kube\n    agent: {AGENT}\n    runtimeConfig: |\n      manifest: |\n        apiVersion: v1\n        kind: Pod\n        metadata:\n          name: {pod}\n        spec:\n          restartPolicy: Never\n          containers:\n{}{}",
        container("first"),
        container("second")
    )
}

fn manifest(workloads: &[String]) -> String {
    let mut text = String::from("apiVersion: v1\nworkloads:\n");
    for w in workloads {
        text.push_str(w);
    }
    text
}

#[test]
fn podman_and_kube_workloads_run_log_update_and_delete_clean() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let (ctr, kube, pod) = ("e2ep_life_ctr", "e2ep_life_pod", "e2ep-life-pod");
    let _leftovers = Leftovers::new(&[ctr, kube], &[pod]);
    let c = cluster();
    let started = Instant::now();

    let v1 = SERVE.replace("hello-$0", "hello-$0-v1");
    apply(
        &c,
        "life.yaml",
        &manifest(&[
            podman_workload(ctr, "NEVER", "", &v1),
            kube_workload(kube, pod),
        ]),
        true,
    );
    eprintln!("apply of a container and a pod: {:?}", started.elapsed());
    let table = c.ank_ok(&["get", "workloads"]);
    for w in [ctr, kube] {
        let r = row(&table, w).unwrap_or_default();
        assert_eq!(r.get(1), Some(&AGENT), "{table}");
        assert_eq!(r.get(3), Some(&"Running(Ok)"), "{table}");
    }
    assert_eq!(row(&table, ctr).unwrap_or_default()[2], "podman");
    assert_eq!(row(&table, kube).unwrap_or_default()[2], "podman-kube");

    // Podman's view: the container named after the instance, the pod, its `.pods` volume.
    let json = c.ank_ok(&["get", "state", "-o", "json"]);
    let state: serde_json::Value = serde_json::from_str(&json).expect("state is JSON");
    let ids = |w: &str| -> Vec<String> {
        state["workloadStates"][AGENT][w]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let ctr_ids = ids(ctr);
    assert_eq!(ctr_ids.len(), 1, "{json}");
    let old_name = format!("{ctr}.{}.{AGENT}", ctr_ids[0]);
    assert_eq!(containers_of(ctr), std::slice::from_ref(&old_name));
    assert_eq!(container_state(&old_name), "running");
    assert!(
        pod_status(pod).is_some_and(|s| s.ends_with("Running")),
        "{:?}",
        pod_status(pod)
    );
    let kube_ids = ids(kube);
    assert_eq!(kube_ids.len(), 1, "{json}");
    assert_eq!(volumes_of(kube), bookkeeping_volumes(kube, &kube_ids[0]));
    let in_pod: Vec<String> = pod_containers(pod).into_iter().map(|(n, _)| n).collect();
    assert!(
        in_pod.contains(&format!("{pod}-first")) && in_pod.contains(&format!("{pod}-second")),
        "{in_pod:?}"
    );

    // Logs of both, the pod's from both of its containers.
    let logs = c.eventually("logs of both", &["logs", "-n", ctr, kube], |out| {
        out.contains("hello-e2ep_life_ctr-v1")
            && out.contains("hello-first")
            && out.contains("hello-second")
    });
    assert!(
        logs.lines()
            .any(|l| l.starts_with(ctr) && l.contains("hello-e2ep_life_ctr-v1")),
        "{logs}"
    );
    assert!(
        logs.lines()
            .any(|l| l.starts_with(kube) && l.contains("hello-second")),
        "{logs}"
    );

    // Update the container's commandArgs: a new instance, the old container gone.
    let t0 = Instant::now();
    let v2 = SERVE.replace("hello-$0", "hello-$0-v2");
    apply(
        &c,
        "life2.yaml",
        &manifest(&[podman_workload(ctr, "NEVER", "", &v2)]),
        true,
    );
    let new_name = wait_for(&c, "the updated container alone", || {
        let names = containers_of(ctr);
        match names.as_slice() {
            [one] if *one != old_name && container_state(one) == "running" => Ok(one.clone()),
            _ => Err(format!("{names:?}")),
        }
    });
    eprintln!("update to a new container: {:?}", t0.elapsed());
    wait_state(&c, ctr, "Running(Ok)");
    let json = c.ank_ok(&["get", "state", "-o", "json"]);
    let state: serde_json::Value = serde_json::from_str(&json).expect("state is JSON");
    let instances = state["workloadStates"][AGENT][ctr]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        instances.len(),
        1,
        "the old instance is still reported: {json}"
    );
    let new_id = instances.keys().next().cloned().unwrap_or_default();
    assert_ne!(new_id, ctr_ids[0]);
    assert_eq!(new_name, format!("{ctr}.{new_id}.{AGENT}"));
    c.eventually("logs of v2", &["logs", ctr], |out| {
        out.contains("hello-e2ep_life_ctr-v2")
    });
    assert_eq!(state_of(&c, kube).as_deref(), Some("Running(Ok)"));

    // Delete both: nothing left in Podman.
    let t0 = Instant::now();
    delete(&c, &[ctr, kube]);
    eprintln!("delete of a container and a pod: {:?}", t0.elapsed());
    assert_eq!(containers_of(ctr), Vec::<String>::new());
    assert_eq!(pod_status(pod), None);
    assert_eq!(pod_containers(pod), []);
    assert_eq!(volumes_of(kube), Vec::<String>::new());
    eprintln!("lifecycle test: {:?}", started.elapsed());
}

#[test]
fn restart_policies_with_real_containers() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let names = [
        "e2ep_never_ok",
        "e2ep_never_fail",
        "e2ep_onf_ok",
        "e2ep_onf_fail",
        "e2ep_always_ok",
    ];
    let _leftovers = Leftovers::new(&names, &[]);
    let c = cluster();
    let started = Instant::now();
    let out = c.dir.path().join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let options = format!("\"-v\", \"{}:/out\"", out.display());
    // Each start appends a line to /out/<workload>, then the container exits.
    let run = |name: &str, policy: &str, code: u8| {
        podman_workload(
            name,
            policy,
            &options,
            &format!("echo started >> /out/$0; exit {code}"),
        )
    };
    apply(
        &c,
        "restarts.yaml",
        &manifest(&[
            run("e2ep_never_ok", "NEVER", 0),
            run("e2ep_never_fail", "NEVER", 1),
            run("e2ep_onf_ok", "ON_FAILURE", 0),
            run("e2ep_onf_fail", "ON_FAILURE", 1),
            run("e2ep_always_ok", "ALWAYS", 0),
        ]),
        false,
    );
    let starts = |name: &str| {
        std::fs::read_to_string(out.join(name))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };

    wait_state(&c, "e2ep_never_ok", "Succeeded(Ok)");
    wait_state(&c, "e2ep_never_fail", "Failed(ExecFailed)");
    wait_state(&c, "e2ep_onf_ok", "Succeeded(Ok)");
    // Restarted ones: at least three starts (the backoff gives 0 s, then 1 s).
    for name in ["e2ep_onf_fail", "e2ep_always_ok"] {
        wait_for(&c, &format!("{name} restarted twice"), || {
            let n = starts(name);
            if n >= 3 {
                Ok(())
            } else {
                Err(format!("{n} starts"))
            }
        });
    }
    eprintln!("restarts observed: {:?}", started.elapsed());
    // By now the first restarts are long done: those that must not restart started once and
    // kept their state.
    for (name, want) in [
        ("e2ep_never_ok", "Succeeded(Ok)"),
        ("e2ep_never_fail", "Failed(ExecFailed)"),
        ("e2ep_onf_ok", "Succeeded(Ok)"),
    ] {
        assert_eq!(starts(name), 1, "{name} was started again");
        assert_eq!(state_of(&c, name).as_deref(), Some(want), "{name}");
        let containers = containers_of(name);
        assert_eq!(containers.len(), 1, "{name}: {containers:?}");
        assert_eq!(container_state(&containers[0]), "exited", "{name}");
    }

    let t0 = Instant::now();
    delete(&c, &names);
    eprintln!("delete of five: {:?}", t0.elapsed());
    // Nothing comes back: a restart racing the delete must not leave a container behind.
    std::thread::sleep(Duration::from_millis(1500));
    for name in names {
        assert_eq!(containers_of(name), Vec::<String>::new(), "{name}");
    }
    let (onf, always) = (starts("e2ep_onf_fail"), starts("e2ep_always_ok"));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        (starts("e2ep_onf_fail"), starts("e2ep_always_ok")),
        (onf, always),
        "started after the delete"
    );
    eprintln!("restart test: {:?}", started.elapsed());
}

#[test]
fn a_bad_image_is_starting_failed_with_podmans_message() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let name = "e2ep_bad_image";
    let _leftovers = Leftovers::new(&[name], &[]);
    let c = cluster();
    let text = format!(
        "apiVersion: v1\nworkloads:\n  {name}:\n    runtime: podman\n    agent: {AGENT}\n    runtimeConfig: |\n      image: localhost/does-not-exist:1\n"
    );
    apply(&c, "bad.yaml", &text, false);
    let r = wait_state(&c, name, "Pending(StartingFailed)");
    let info = r.get(4).cloned().unwrap_or_default();
    assert!(info.contains("localhost/does-not-exist"), "{r:?}");
    let json = c.ank_ok(&["get", "state", "-o", "json"]);
    let state: serde_json::Value = serde_json::from_str(&json).expect("state is JSON");
    let instance = state["workloadStates"][AGENT][name]
        .as_object()
        .and_then(|m| m.values().next().cloned())
        .unwrap_or_default();
    assert_eq!(instance["state"], "Pending", "{json}");
    assert_eq!(instance["subState"], "StartingFailed", "{json}");
    assert!(
        instance["additionalInfo"]
            .as_str()
            .is_some_and(|i| i.contains("docker://localhost/does-not-exist:1")),
        "{json}"
    );
    assert_eq!(containers_of(name), Vec::<String>::new());
    delete(&c, &[name]);
    assert_eq!(containers_of(name), Vec::<String>::new());
}

#[test]
fn a_container_removed_behind_anchorages_back_is_lost_whatever_the_policy() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let (never, always) = ("e2ep_lost_never", "e2ep_lost_always");
    let _leftovers = Leftovers::new(&[never, always], &[]);
    let c = cluster();
    apply(
        &c,
        "lost.yaml",
        &manifest(&[
            podman_workload(never, "NEVER", "", SERVE),
            podman_workload(always, "ALWAYS", "", SERVE),
        ]),
        true,
    );
    let (never_ctr, always_ctr) = (containers_of(never), containers_of(always));
    assert_eq!((never_ctr.len(), always_ctr.len()), (1, 1));

    for name in [&never_ctr[0], &always_ctr[0]] {
        let out = podman(&["rm", "-f", "-t", "0", name]);
        assert!(out.status.success(), "podman rm: {}", describe(&out));
    }
    wait_state(&c, never, "Failed(Lost)");
    // ankaios-compat.md: ALWAYS restarts after Succeeded(Ok) or Failed(ExecFailed), and Lost is
    // neither, so a container removed behind Anchorage's back is not replaced whatever the
    // policy (as the agent's `should_restart` has it). Both stay Lost with no container.
    wait_state(&c, always, "Failed(Lost)");
    std::thread::sleep(Duration::from_millis(1000));
    for name in [never, always] {
        assert_eq!(
            state_of(&c, name).as_deref(),
            Some("Failed(Lost)"),
            "{name}"
        );
        assert_eq!(containers_of(name), Vec::<String>::new(), "{name}");
    }
    // A lost workload is deleted cleanly.
    delete(&c, &[never, always]);
    assert_eq!(containers_of(never), Vec::<String>::new());
    assert_eq!(containers_of(always), Vec::<String>::new());
}

#[test]
fn a_restarted_agent_adopts_its_running_pod() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let (kube, pod) = ("e2ep_adopt_pod", "e2ep-adopt-pod");
    let _leftovers = Leftovers::new(&[kube], &[pod]);
    let mut c = cluster();
    apply(
        &c,
        "adopt.yaml",
        &manifest(&[kube_workload(kube, pod)]),
        true,
    );
    assert_eq!(state_of(&c, kube).as_deref(), Some("Running(Ok)"));
    let before = pod_containers(pod);
    assert_eq!(before.len(), 3, "infra + 2: {before:?}");

    c.kill_agent(AGENT);
    wait_state(&c, kube, "AgentDisconnected");
    assert!(pod_status(pod).is_some_and(|s| s.ends_with("Running")));

    let t0 = Instant::now();
    start_agent(&mut c);
    wait_state(&c, kube, "Running(Ok)");
    eprintln!("agent back, pod Running(Ok): {:?}", t0.elapsed());
    // Give a wrong restart the time to show.
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(state_of(&c, kube).as_deref(), Some("Running(Ok)"));
    assert_eq!(
        pod_containers(pod),
        before,
        "the pod was restarted, not adopted"
    );
    for (name, _) in &before {
        assert_eq!(container_state(name), "running", "{name}");
    }
    assert_eq!(volumes_of(kube).len(), 2, "{:?}", volumes_of(kube));

    delete(&c, &[kube]);
    assert_eq!(pod_status(pod), None);
    assert_eq!(volumes_of(kube), Vec::<String>::new());
}

#[test]
fn a_kubernetes_pod_runs_through_podman_kube() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    // examples/k8s/pod-multi-container.yaml needs nginx, which cannot be pulled here: the same
    // shape (two containers sharing an emptyDir) on the local image.
    let (workload, pod) = ("e2ep-k8s-web", "e2ep-k8s-web");
    let _leftovers = Leftovers::new(&[workload], &[pod]);
    let c = cluster();
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\n  labels:\n    app: web\nspec:\n  nodeSelector:\n    node: pm\n  restartPolicy: Never\n  containers:\n    - name: writer\n      image: {IMAGE}\n      command: [sh, -c]\n      args: [\"trap 'exit 0' TERM; while true; do date > /html/index.html; sleep 1; done\"]\n      volumeMounts:\n        - name: html\n          mountPath: /html\n    - name: reader\n      image: {IMAGE}\n      command: [sh, -c]\n      args: [\"trap 'exit 0' TERM; echo reader-up; while true; do sleep 1; done\"]\n      volumeMounts:\n        - name: html\n          mountPath: /usr/share/html\n          readOnly: true\n  volumes:\n    - name: html\n      emptyDir: {{}}\n"
    );
    let file = c.write("pod.yaml", &yaml);
    let out = c.ank(&["apply", "-f", &file]);
    assert!(
        out.status.success(),
        "apply -f: {}\n{}",
        describe(&out),
        c.logs()
    );
    let r = wait_state(&c, workload, "Running(Ok)");
    assert_eq!(
        r.get(1..3),
        Some(&[AGENT.to_owned(), "podman-kube".to_owned()][..])
    );
    assert!(pod_status(pod).is_some_and(|s| s.ends_with("Running")));
    let names: Vec<String> = pod_containers(pod).into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&format!("{pod}-writer")) && names.contains(&format!("{pod}-reader")),
        "{names:?}"
    );
    c.eventually("reader's log", &["logs", workload], |out| {
        out.contains("reader-up")
    });

    let out = c.ank(&["delete", "-f", &file]);
    assert!(out.status.success(), "delete -f: {}", describe(&out));
    assert!(row(&c.ank_ok(&["get", "workloads"]), workload).is_none());
    assert_eq!(pod_status(pod), None);
    assert_eq!(pod_containers(pod), []);
    assert_eq!(volumes_of(workload), Vec::<String>::new());
}

#[test]
fn a_container_killed_behind_anchorages_back_is_restarted_as_the_policy_says() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let (never, always) = ("e2ep_kill_never", "e2ep_kill_always");
    let _leftovers = Leftovers::new(&[never, always], &[]);
    let c = cluster();
    apply(
        &c,
        "kill.yaml",
        &manifest(&[
            podman_workload(never, "NEVER", "", SERVE),
            podman_workload(always, "ALWAYS", "", SERVE),
        ]),
        true,
    );
    let ids = container_ids;
    let (never_before, always_before) = (ids(never), ids(always));
    assert_eq!((never_before.len(), always_before.len()), (1, 1));

    // `podman kill` ends the process (exit 137) but leaves the container: an exit, not a loss.
    for name in [never, always] {
        let out = podman(&["kill", &containers_of(name)[0]]);
        assert!(out.status.success(), "podman kill: {}", describe(&out));
    }
    wait_state(&c, never, "Failed(ExecFailed)");
    let restarted = wait_for(&c, "the ALWAYS workload to run in a new container", || {
        let now = ids(always);
        match (state_of(&c, always).as_deref(), now.as_slice()) {
            (Some("Running(Ok)"), [id]) if *id != always_before[0] => Ok(id.clone()),
            (state, _) => Err(format!("{state:?} with containers {now:?}")),
        }
    });
    assert_ne!(restarted, always_before[0]);
    assert_eq!(state_of(&c, never).as_deref(), Some("Failed(ExecFailed)"));
    assert_eq!(
        ids(never),
        never_before,
        "a NEVER workload is not restarted"
    );
    delete(&c, &[never, always]);
    assert_eq!(containers_of(never), Vec::<String>::new());
    assert_eq!(containers_of(always), Vec::<String>::new());
}

/// Text and binary files reach a podman container, and a change of the files through
/// `ank set state` followed by a new runtimeConfig reaches the new container.
#[test]
fn files_with_data_and_binary_data_reach_the_container_and_follow_an_update() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    use base64::Engine;
    let name = "e2ep_files";
    let _leftovers = Leftovers::new(&[name], &[]);
    let c = cluster();
    let (text_path, blob_path) = ("/etc/e2e/app.conf", "/opt/e2e/blob.bin");
    // Not UTF-8, with a NUL and a newline: only binaryData can carry it.
    let blob = |version: u8| vec![0u8, 0x9f, 0xff, b'\n', b'v', b'0' + version];
    let files = |version: u8| {
        format!(
            "    files:\n      - mountPoint: {text_path}\n        data: \"port={version}0\\nname=text-v{version}\"\n      - mountPoint: {blob_path}\n        binaryData: {}\n",
            base64::engine::general_purpose::STANDARD.encode(blob(version))
        )
    };
    let runtime_config = |version: u8| {
        let script = SERVE.replace("hello-$0", &format!("hello-$0-v{version}"));
        format!(
            "    runtimeConfig: |\n      image: {IMAGE}\n      commandArgs: [sh, -c, \"{script}\", {name}]\n"
        )
    };
    apply(
        &c,
        "files.yaml",
        &format!(
            "apiVersion: v1\nworkloads:\n  {name}:\n    runtime: podman\n    agent: {AGENT}\n{}{}",
            files(1),
            runtime_config(1)
        ),
        true,
    );
    let first = containers_of(name);
    assert_eq!(first.len(), 1, "{first:?}");
    let cat = |container: &str, path: &str| {
        let out = podman(&["exec", container, "cat", path]);
        assert!(out.status.success(), "exec cat {path}: {}", describe(&out));
        out.stdout
    };
    assert_eq!(cat(&first[0], text_path), b"port=10\nname=text-v1");
    assert_eq!(cat(&first[0], blob_path), blob(1));

    // The files alone, through `ank set state` with a manifest holding only them.
    let file = c.write(
        "files-v2.yaml",
        &format!("apiVersion: v1\nworkloads:\n  {name}:\n{}", files(2)),
    );
    let mask = format!("desiredState.workloads.{name}.files");
    c.ank_ok(&["set", "state", &mask, &file]);
    let files_now = c.ank_ok(&["get", "state", "-o", "json", &mask]);
    assert!(files_now.contains("text-v2"), "{files_now}");
    // Then a new runtimeConfig: a new instance, whose container sees the new files.
    let file = c.write(
        "config-v2.yaml",
        &format!(
            "apiVersion: v1\nworkloads:\n  {name}:\n{}",
            runtime_config(2)
        ),
    );
    let mask = format!("desiredState.workloads.{name}.runtimeConfig");
    c.ank_ok(&["set", "state", &mask, &file]);
    let second = wait_for(&c, "the new container alone, running", || {
        let names = containers_of(name);
        match names.as_slice() {
            [one] if *one != first[0] && container_state(one) == "running" => Ok(one.clone()),
            _ => Err(format!("{names:?}")),
        }
    });
    wait_state(&c, name, "Running(Ok)");
    assert_eq!(cat(&second, text_path), b"port=20\nname=text-v2");
    assert_eq!(cat(&second, blob_path), blob(2));
    c.eventually("the new container's log", &["logs", name], |out| {
        out.contains("hello-e2ep_files-v2")
    });

    delete(&c, &[name]);
    assert_eq!(containers_of(name), Vec::<String>::new());
}

/// A fresh agent on a new, empty run folder adopts two containers and a pod that its killed
/// predecessor started: same containers, same pod, nothing started twice; then deletes them
/// with their bookkeeping volumes.
#[test]
fn a_fresh_agent_on_an_empty_run_folder_adopts_containers_and_a_pod() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let (first, second, kube, pod) = (
        "e2ep_fresh_one",
        "e2ep_fresh_two",
        "e2ep_fresh_kube",
        "e2ep-fresh-pod",
    );
    let all = [first, second, kube];
    let _leftovers = Leftovers::new(&all, &[pod]);
    let mut c = cluster();
    apply(
        &c,
        "fresh.yaml",
        &manifest(&[
            podman_workload(first, "NEVER", "", SERVE),
            podman_workload(second, "ALWAYS", "", SERVE),
            kube_workload(kube, pod),
        ]),
        true,
    );
    for w in all {
        assert_eq!(state_of(&c, w).as_deref(), Some("Running(Ok)"), "{w}");
    }
    let ids_before = (container_ids(first), container_ids(second));
    assert_eq!((ids_before.0.len(), ids_before.1.len()), (1, 1));
    let pod_before = pod_id(pod).expect("the pod exists");
    let pod_containers_before = pod_containers(pod);
    assert_eq!(pod_containers_before.len(), 3, "infra + 2");
    let kube_id = instance_ids(&c, kube);
    assert_eq!(kube_id.len(), 1);
    assert_eq!(volumes_of(kube), bookkeeping_volumes(kube, &kube_id[0]));

    kill_agent_and_wipe_its_run_folder(&mut c, &all);
    let t0 = Instant::now();
    start_agent(&mut c);
    for w in all {
        wait_state(&c, w, "Running(Ok)");
    }
    eprintln!("fresh agent, all Running(Ok): {:?}", t0.elapsed());
    // Give a wrong start or restart the time to show.
    std::thread::sleep(Duration::from_millis(1500));
    for w in all {
        assert_eq!(state_of(&c, w).as_deref(), Some("Running(Ok)"), "{w}");
    }
    assert_eq!(
        (container_ids(first), container_ids(second)),
        ids_before,
        "a container was started again instead of adopted"
    );
    assert_eq!(pod_id(pod).as_deref(), Some(pod_before.as_str()));
    assert_eq!(pod_containers(pod), pod_containers_before);
    for (name, _) in &pod_containers_before {
        assert_eq!(container_state(name), "running", "{name}");
    }
    assert_eq!(instance_ids(&c, kube), kube_id);
    assert_eq!(volumes_of(kube), bookkeeping_volumes(kube, &kube_id[0]));

    delete(&c, &all);
    assert_eq!(containers_of(first), Vec::<String>::new());
    assert_eq!(containers_of(second), Vec::<String>::new());
    assert_eq!(pod_status(pod), None);
    assert_eq!(pod_containers(pod), []);
    assert_eq!(volumes_of(kube), Vec::<String>::new());
}

/// While a pod runs, its instance has Ankaios' two volumes with decodable `data` labels: the
/// runtimeConfig and the JSON list of pod IDs. They are enough to take down an instance that
/// was deleted while its agent was away and its run folder was lost.
#[test]
fn podman_kube_keeps_ankaios_bookkeeping_volumes_and_they_suffice_to_tear_down() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let (kept, kept_pod, gone, gone_pod) = (
        "e2ep_books_kept",
        "e2ep-books-kept",
        "e2ep_books_gone",
        "e2ep-books-gone",
    );
    let _leftovers = Leftovers::new(&[kept, gone], &[kept_pod, gone_pod]);
    let mut c = cluster();
    apply(
        &c,
        "books.yaml",
        &manifest(&[kube_workload(kept, kept_pod), kube_workload(gone, gone_pod)]),
        true,
    );
    let json = c.ank_ok(&["get", "state", "-o", "json"]);
    let state: serde_json::Value = serde_json::from_str(&json).expect("state is JSON");
    for (workload, pod) in [(kept, kept_pod), (gone, gone_pod)] {
        let id = instance_ids(&c, workload);
        assert_eq!(id.len(), 1, "{json}");
        let [config, pods] =
            <[String; 2]>::try_from(bookkeeping_volumes(workload, &id[0])).expect("two names");
        assert_eq!(volumes_of(workload), [config.clone(), pods.clone()]);
        let runtime_config = state["desiredState"]["workloads"][workload]["runtimeConfig"]
            .as_str()
            .expect("a runtimeConfig");
        assert_eq!(volume_data(&config), runtime_config);
        let listed: Vec<String> =
            serde_json::from_str(&volume_data(&pods)).expect("a JSON list of pod IDs");
        assert_eq!(listed, [pod_id(pod).expect("the pod exists")]);
    }

    // `gone` is deleted while the agent is away; the next agent starts without a run folder,
    // finds `gone` by its volumes and takes it down with the manifest they hold.
    kill_agent_and_wipe_its_run_folder(&mut c, &[kept, gone]);
    let out = c.ank(&["--no-wait", "delete", "workload", gone]);
    assert!(out.status.success(), "delete: {}", describe(&out));
    assert!(pod_status(gone_pod).is_some_and(|s| s.ends_with("Running")));
    start_agent(&mut c);
    wait_state(&c, kept, "Running(Ok)");
    wait_for(&c, "the deleted pod and its volumes gone", || {
        match (pod_status(gone_pod), volumes_of(gone)) {
            (None, volumes) if volumes.is_empty() => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(pod_containers(gone_pod), []);
    assert!(row(&c.ank_ok(&["get", "workloads"]), gone).is_none());
    assert!(pod_status(kept_pod).is_some_and(|s| s.ends_with("Running")));

    delete(&c, &[kept]);
    assert_eq!(pod_status(kept_pod), None);
    assert_eq!(volumes_of(kept), Vec::<String>::new());
}

/// A container Ankaios started (named after the instance, without Anchorage's label) is
/// adopted by name: a fresh agent reports it Running(Ok) and starts no second one.
#[test]
fn a_container_ankaios_started_is_adopted_by_its_name() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let name = "e2ep_by_name";
    let _leftovers = Leftovers::new(&[name], &[]);
    let mut c = cluster();
    apply(
        &c,
        "by-name.yaml",
        &manifest(&[podman_workload(name, "NEVER", "", SERVE)]),
        true,
    );
    let id = instance_ids(&c, name);
    assert_eq!(id.len(), 1);
    let instance = format!("{name}.{}.{AGENT}", id[0]);
    kill_agent_and_wipe_its_run_folder(&mut c, &[name]);
    // What Ankaios leaves on a node: the container named after the instance, no label of ours.
    let out = podman(&["rm", "-f", "-t", "0", &instance]);
    assert!(out.status.success(), "rm: {}", describe(&out));
    let out = podman(&[
        "run", "-d", "--name", &instance, IMAGE, "sh", "-c", SERVE, name,
    ]);
    assert!(out.status.success(), "run: {}", describe(&out));
    let ankaios_ids = container_ids(name);
    assert_eq!(ankaios_ids.len(), 1);
    let labels = podman_lines(&["inspect", "--format", "{{json .Config.Labels}}", &instance]);
    assert!(
        labels.iter().all(|l| !l.contains("anchorage")),
        "{labels:?}"
    );

    start_agent(&mut c);
    wait_state(&c, name, "Running(Ok)");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(state_of(&c, name).as_deref(), Some("Running(Ok)"));
    assert_eq!(container_ids(name), ankaios_ids, "not adopted by name");
    c.eventually("the adopted container's log", &["logs", name], |out| {
        out.contains("hello-e2ep_by_name")
    });

    delete(&c, &[name]);
    assert_eq!(containers_of(name), Vec::<String>::new());
}

/// Files on a podman-kube workload: the server accepts them (as Ankaios does), the agent
/// refuses to start it with a clear message and creates nothing: no pod, no volume, no file.
#[test]
fn a_podman_kube_workload_with_files_is_accepted_and_refused_by_its_agent() {
    let _serial = PODMAN.lock().unwrap_or_else(|e| e.into_inner());
    if !podman_ready() {
        return;
    }
    let (kube, pod) = ("e2ep_kube_files", "e2ep-kube-files");
    let _leftovers = Leftovers::new(&[kube], &[pod]);
    let c = cluster();
    let with_files = kube_workload(kube, pod).replace(
        "    runtimeConfig: |\n",
        "    files:\n      - mountPoint: /etc/app.conf\n        data: x\n    runtimeConfig: |\n",
    );
    apply(&c, "kube-files.yaml", &manifest(&[with_files]), false);
    let r = wait_state(&c, kube, "Pending(StartingFailed)");
    assert_eq!(
        r.get(4).map(String::as_str),
        Some("podman-kube workloads cannot mount files"),
        "{r:?}"
    );
    // Refused for good: not retried into a pod.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        state_of(&c, kube).as_deref(),
        Some("Pending(StartingFailed)")
    );
    assert_eq!(pod_status(pod), None);
    assert_eq!(volumes_of(kube), Vec::<String>::new());
    let agent_dir = c.dir.path().join(format!("run_{AGENT}/{AGENT}_io"));
    let written: Vec<PathBuf> = std::fs::read_dir(&agent_dir)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|instance| std::fs::read_dir(instance.path()).into_iter().flatten())
        .flatten()
        .map(|entry| entry.path())
        .collect();
    assert_eq!(written, Vec::<PathBuf>::new(), "files written on the host");

    delete(&c, &[kube]);
    assert_eq!(volumes_of(kube), Vec::<String>::new());
}
