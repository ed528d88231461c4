//! End to end: the run folder is the agent's alone. An unprivileged user (`nobody`, through
//! `setpriv`) plants a symlink to a root-only file at a workload's `output.log` and a `pids` file
//! naming a root process, where a root agent will look; the agent must refuse the folder (or
//! ignore the plant): the file keeps its content and the process lives. Needs root and
//! `setpriv`; skipped with a reason otherwise.

mod e2e_support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use ank_model::WorkloadInstanceName;
use e2e_support::{alive, bin_dir, describe, Cluster, Proc, DEADLINE};

const NOBODY: u32 = 65534;
const VICTIM_TEXT: &str = "root only, do not touch\n";
/// The workload's runtimeConfig, as the server stores it (trimmed).
const CONFIG: &str = "command: [sh, -c, 'echo hello from printer']";

/// Why this test cannot run here, if it cannot.
fn skip_reason() -> Option<&'static str> {
    if !rustix::process::geteuid().is_root() {
        return Some("not running as root");
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        return Some("setpriv is missing");
    }
    None
}

fn manifest() -> String {
    format!(
        "apiVersion: v1\nworkloads:\n  printer:\n    runtime: native\n    agent: agent_A\n    runtimeConfig: |\n      {CONFIG}\n"
    )
}

/// The instance folder the agent will use for the workload of [`manifest`].
fn instance_folder() -> String {
    WorkloadInstanceName::new("printer", "agent_A", CONFIG).folder_name()
}

/// Runs `sh -c script` as nobody.
fn as_nobody(script: &str) {
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sh",
            "-c",
        ])
        .arg(script)
        .output()
        .expect("run setpriv");
    assert!(out.status.success(), "as nobody: {}", describe(&out));
}

/// What the attacker aims at: a root-only file and a root process in its own group.
struct Targets {
    victim: PathBuf,
    sleep: Proc,
}

impl Targets {
    fn new(dir: &Path) -> Targets {
        let victim = dir.join("victim");
        std::fs::write(&victim, VICTIM_TEXT).expect("victim");
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let child = Command::new("sleep")
            .arg("300")
            .process_group(0)
            .spawn()
            .expect("root sleep");
        Targets {
            victim,
            sleep: Proc { child },
        }
    }

    /// As nobody: `run` (mode 0777) with the instance folder, the symlink and a `pids` file
    /// naming the sleep with its true start time (anyone can read it in /proc).
    fn plant(&self, run: &Path) {
        let pid = self.sleep.pid();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let start = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(19))
            .expect("start time");
        let instance = run.join("agent_A_io").join(instance_folder());
        let (run, instance, victim) = (run.display(), instance.display(), self.victim.display());
        as_nobody(&format!(
            "set -e; mkdir -p {instance}; chmod 0777 {run}/agent_A_io {instance}
             chmod 0777 {run} 2>/dev/null || true  # not nobody's when root made it
             ln -s {victim} {instance}/output.log
             echo '{pid} {pid} {start} {start}' > {instance}/pids
             echo '{{}}' > {instance}/native.json"
        ));
    }

    /// The attack had no effect.
    fn assert_untouched(&mut self) {
        let text = std::fs::read_to_string(&self.victim).expect("victim");
        assert_eq!(text, VICTIM_TEXT, "the root-only file was written to");
        assert!(
            self.sleep.child.try_wait().expect("wait").is_none() && alive(self.sleep.pid()),
            "the root sleep was signalled"
        );
    }
}

/// A fresh temporary parent anyone may create in (1777), like /tmp.
fn sticky_parent() -> tempfile::TempDir {
    let parent = tempfile::Builder::new()
        .prefix("ank-e2e-runfolder")
        .tempdir_in("/tmp")
        .expect("tempdir");
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o1777))
        .expect("chmod 1777");
    parent
}

/// Starts a root agent (`-r run`, or the default run folder under `tmpdir`) and expects it to
/// refuse to start; returns its stderr.
fn agent_refuses(c: &Cluster, run: Option<&Path>, tmpdir: &Path) -> String {
    let mut cmd = Command::new(bin_dir().join("ank-agent"));
    cmd.args(["-k", "-n", "agent_A", "-s", &c.url])
        .env("TMPDIR", tmpdir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(run) = run {
        cmd.arg("-r").arg(run);
    }
    let mut child = cmd.spawn().expect("start ank-agent");
    let start = Instant::now();
    while child.try_wait().expect("poll").is_none() {
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the agent accepted a run folder nobody planted in");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("agent output");
    assert!(!out.status.success(), "{}", describe(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A cluster, a 1777 parent and the targets; `None` (after saying why) if this cannot run here.
fn attack_setup() -> Option<(Cluster, tempfile::TempDir, Targets)> {
    if let Some(reason) = skip_reason() {
        eprintln!("skipped: {reason}");
        return None;
    }
    let c = Cluster::start();
    let targets = Targets::new(c.dir.path());
    Some((c, sticky_parent(), targets))
}

#[test]
fn a_run_folder_planted_by_another_user_is_refused_and_nothing_is_followed() {
    let Some((c, parent, mut targets)) = attack_setup() else {
        return;
    };

    // Given with -r.
    let run = parent.path().join("run");
    targets.plant(&run);
    let stderr = agent_refuses(&c, Some(&run), parent.path());
    assert!(
        stderr.contains(&format!("'{}'", run.display()))
            && stderr.contains(&format!("owned by uid {NOBODY} with mode 0777")),
        "{stderr}"
    );
    c.ank_ok(&["apply", &c.write("printer.yaml", &manifest())]);
    targets.assert_untouched();

    // The default run folder, `$TMPDIR/ankaios`.
    let tmpdir = parent.path().join("tmp");
    std::fs::create_dir(&tmpdir).expect("tmpdir");
    std::fs::set_permissions(&tmpdir, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    targets.plant(&tmpdir.join("ankaios"));
    let stderr = agent_refuses(&c, None, &tmpdir);
    assert!(
        stderr.contains("ankaios") && stderr.contains("remove it"),
        "{stderr}"
    );
    targets.assert_untouched();
}

#[test]
fn an_old_world_writable_root_run_folder_is_refused() {
    let Some((c, parent, mut targets)) = attack_setup() else {
        return;
    };
    // Root made it 0777, as agents before did; nobody planted inside.
    let run = parent.path().join("ankaios");
    std::fs::create_dir(&run).expect("run");
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    targets.plant(&run);
    let stderr = agent_refuses(&c, None, parent.path());
    assert!(stderr.contains("owned by uid 0 with mode 0777"), "{stderr}");
    targets.assert_untouched();
}

#[test]
fn a_private_run_folder_runs_the_workload_with_private_files() {
    let mut c = Cluster::start();
    c.start_agent("agent_A", "zone=front");
    c.ank_ok(&["apply", &c.write("printer.yaml", &manifest())]);
    c.eventually("printer succeeded", &["get", "workloads"], |t| {
        t.contains("Succeeded(Ok)")
    });
    let logs = c.ank_ok(&["logs", "printer"]);
    assert!(logs.contains("hello from printer"), "{logs}");
    let dir = c
        .dir
        .path()
        .join("run_agent_A/agent_A_io")
        .join(instance_folder());
    let mode = |p: &Path| {
        std::fs::symlink_metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode(&dir), 0o700, "instance folder");
    assert_eq!(
        mode(dir.parent().expect("agent dir")),
        0o700,
        "agent folder"
    );
    for name in ["native.json", "pids", "output.log", "exit_code"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
}
