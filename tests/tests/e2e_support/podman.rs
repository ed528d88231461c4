//! Real Podman for the system tests: the project's `containers.conf`, `podman` runs, and the
//! containers of a `podman` workload (named `<workload>.<id>.<agent>`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project's `scripts/containers.conf` (see `scripts/podman-setup.sh`).
pub fn conf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/containers.conf")
}

/// Whether `podman` is on PATH.
pub fn on_path() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("podman").is_file()))
}

/// Whether Podman is usable; builds the test image `image` (with `scripts/podman-setup.sh`)
/// when it is missing. Prints a loud skip message and returns false when `podman` is not
/// installed.
pub fn ready(image: &str) -> bool {
    if !on_path() {
        eprintln!(
            "\n\n!!!!! SKIPPED: podman not installed: the e2e podman tests did not run !!!!!\n\
             !!!!! run scripts/podman-setup.sh (the project's test command does)     !!!!!\n"
        );
        return false;
    }
    if !podman(&["image", "exists", image]).status.success() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/podman-setup.sh");
        let status = Command::new("bash")
            .arg(script)
            .status()
            .expect("setup script runs");
        assert!(status.success(), "podman-setup.sh failed");
    }
    true
}

/// Runs `podman ARGS…` with the project's `containers.conf`.
pub fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .args(args)
        .env("CONTAINERS_CONF", conf())
        .output()
        .expect("podman runs")
}

/// Podman's stdout as trimmed non-empty lines.
pub fn lines(args: &[&str]) -> Vec<String> {
    String::from_utf8_lossy(&podman(args).stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Names of all containers (running or not) of the `podman` workload `workload`.
pub fn containers_of(workload: &str) -> Vec<String> {
    lines(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        &format!("name=^{workload}\\."),
    ])
}

/// `podman logs` (stdout and stderr) of every container of `workload`, each under a header.
pub fn logs_of(workload: &str) -> String {
    containers_of(workload)
        .iter()
        .map(|name| {
            let out = podman(&["logs", name]);
            format!(
                "--- podman logs {name}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .collect()
}

/// Removes every container of `workloads` (`podman rm -f -t 0`).
pub fn remove_containers_of(workloads: &[&str]) {
    for workload in workloads {
        for name in containers_of(workload) {
            let _ = podman(&["rm", "-f", "-t", "0", "--ignore", &name]);
        }
    }
}
