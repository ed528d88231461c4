//! The harness of the end-to-end tests: the real `ank-server` and `ank-agent`s on loopback
//! (ephemeral ports, one run folder per agent), `ank` invoked as a process with a deadline, and
//! guards that kill every process the test started when they drop.

#![allow(
    dead_code,
    reason = "each e2e test file uses a different part of the harness"
)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

/// How long any single `ank` call or wait may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The directory holding the workspace's binaries (`target/debug`), built once per test run.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/debug/deps/e2e_native-HASH → target/debug
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_owned();
        let cargo = option_env!("CARGO").unwrap_or("cargo");
        let status = Command::new(cargo)
            .args([
                "build",
                "-q",
                "-p",
                "apiserver",
                "-p",
                "nodeagent",
                "-p",
                "kubectl-compat",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build");
        assert!(
            status.success(),
            "building ank-server, ank-agent and ank failed"
        );
        dir
    })
}

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Proc {
    /// The process.
    pub child: Child,
}

impl Proc {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it with SIGKILL now and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A server with agents, a scratch folder and the PID files of the workloads started in it.
pub struct Cluster {
    /// `http://127.0.0.1:PORT` (`https://` under mTLS).
    pub url: String,
    /// What `ank` gets before `-s URL`: `-k`, or the CLI's PEMs.
    pub ank_args: Vec<String>,
    /// Scratch space: manifests, PID files, agents' run folders, a HOME without ank.conf.
    pub dir: tempfile::TempDir,
    server: Proc,
    agents: Vec<(String, Proc)>,
}

impl Cluster {
    /// Starts `ank-server -a 127.0.0.1:0 -k` and reads the address it bound from stderr.
    pub fn start() -> Cluster {
        Cluster::start_server(&["-k"], &[], "http", &["-k"])
    }

    /// [`Cluster::start`] with more server flags (e.g. `--state-file PATH`; an `-a` of theirs
    /// replaces the loopback address).
    pub fn start_with(args: &[&str]) -> Cluster {
        let mut all = vec!["-k"];
        all.extend(args);
        Cluster::start_server(&all, &[], "http", &["-k"])
    }

    /// Starts `ank-server -a 127.0.0.1:0 SERVER_ARGS…` with `env`; `scheme` (`http`, `https`)
    /// makes [`Cluster::url`] and `ank_args` go before `-s URL` in every [`Cluster::ank`].
    pub fn start_server(
        server_args: &[&str],
        env: &[(&str, &str)],
        scheme: &str,
        ank_args: &[&str],
    ) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let address = (!server_args.contains(&"-a")).then_some("127.0.0.1:0");
        let (server, addr) = spawn_server(dir.path(), address, server_args, env);
        Cluster {
            url: format!("{scheme}://{addr}"),
            ank_args: ank_args.iter().map(|a| (*a).to_owned()).collect(),
            dir,
            server,
            agents: Vec::new(),
        }
    }

    /// Kills the server with SIGKILL and starts it again on the same address with `-k ARGS…`;
    /// the agents reconnect on their own.
    pub fn restart_server(&mut self, args: &[&str]) {
        self.server.kill();
        let address = self.url.trim_start_matches("http://").to_owned();
        let mut all = vec!["-k"];
        all.extend(args);
        let (server, _) = spawn_server(self.dir.path(), Some(&address), &all, &[]);
        self.server = server;
    }

    /// Starts `ank-agent -n NAME -t TAG` with run folder `<dir>/run_<NAME>` and waits until the
    /// server lists it.
    pub fn start_agent(&mut self, name: &str, tag: &str) {
        self.start_agent_with_env(name, tag, &[]);
    }

    /// [`Cluster::start_agent`] with extra environment for the agent (e.g. `CONTAINERS_CONF`).
    /// Starting an agent again after [`Cluster::kill_agent`] reuses its run folder.
    pub fn start_agent_with_env(&mut self, name: &str, tag: &str, env: &[(&str, &str)]) {
        self.start_agent_with(name, tag, env, &[]);
    }

    /// [`Cluster::start_agent_with_env`] with more `ank-agent` arguments.
    pub fn start_agent_with(&mut self, name: &str, tag: &str, env: &[(&str, &str)], args: &[&str]) {
        let url = self.url.clone();
        let mut all = vec!["-k", "-n", name, "-t", tag, "-s", &url];
        all.extend(args);
        self.spawn_agent(name, &all, env);
        self.wait_agent(name);
    }

    /// Starts `ank-agent ARGS… -r <dir>/run_<NAME>` with `env`, its output in `<dir>/NAME.log`
    /// (returned), without waiting for it to connect.
    pub fn spawn_agent(&mut self, name: &str, args: &[&str], env: &[(&str, &str)]) -> PathBuf {
        let run = self.dir.path().join(format!("run_{name}"));
        std::fs::create_dir_all(&run).expect("run folder");
        let path = self.dir.path().join(format!("{name}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("agent log");
        let child = Command::new(bin_dir().join("ank-agent"))
            .args(args)
            .arg("-r")
            .arg(&run)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start ank-agent");
        self.agents.push((name.to_owned(), Proc { child }));
        path
    }

    /// Waits until `ank get agents` lists the agent.
    pub fn wait_agent(&self, name: &str) {
        self.eventually(
            &format!("agent {name} connected"),
            &["get", "agents"],
            |out| {
                out.lines()
                    .any(|l| l.split_whitespace().next() == Some(name))
            },
        );
    }

    /// Kills the agent with SIGKILL, leaving its workloads running.
    pub fn kill_agent(&mut self, name: &str) {
        let index = self
            .agents
            .iter()
            .position(|(n, _)| n == name)
            .expect("known agent");
        let (_, mut agent) = self.agents.remove(index);
        agent.kill();
    }

    /// The process id of a running agent started by this cluster.
    pub fn agent_pid(&self, name: &str) -> u32 {
        self.agents
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, agent)| agent.pid())
            .expect("known agent")
    }

    /// The server's process id.
    pub fn server_pid(&self) -> u32 {
        self.server.pid()
    }

    /// Runs `ank ANK_ARGS… -s URL ARGS…` and returns its output (killed after [`DEADLINE`]).
    pub fn ank(&self, args: &[&str]) -> Output {
        self.ank_with_stdin(args, None)
    }

    /// Runs `ank` feeding `stdin`.
    pub fn ank_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut all: Vec<&str> = self.ank_args.iter().map(String::as_str).collect();
        all.extend(["-s", &self.url]);
        all.extend(args);
        run_ank_as_is(self.dir.path(), &all, &[], stdin)
    }

    /// [`Cluster::ank`] for calls that may take longer than [`DEADLINE`] (thousands of
    /// workloads): killed after `deadline`.
    pub fn ank_within(&self, args: &[&str], deadline: Duration) -> Output {
        let mut all: Vec<&str> = self.ank_args.iter().map(String::as_str).collect();
        all.extend(["-s", &self.url]);
        all.extend(args);
        run_ank_within(self.dir.path(), &all, &[], None, deadline)
    }

    /// The server's stderr so far.
    pub fn server_log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Runs `ank` and asserts exit 0; returns stdout.
    pub fn ank_ok(&self, args: &[&str]) -> String {
        let out = self.ank(args);
        assert!(
            out.status.success(),
            "ank {args:?} failed: {}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls `ank ARGS` until `check` accepts its stdout, at most [`DEADLINE`].
    pub fn eventually(&self, what: &str, args: &[&str], check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < DEADLINE {
            let out = self.ank(args);
            last = describe(&out);
            let stdout = String::from_utf8_lossy(&out.stdout);
            if out.status.success() && check(&stdout) {
                return stdout.into_owned();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "{what}: not reached within {DEADLINE:?}; last `ank {args:?}`: {last}\n{}",
            self.logs()
        );
    }

    /// Writes a file into the scratch folder and returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path.display().to_string()
    }

    /// A path in the scratch folder (for PID files).
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The server's and agents' logs, for failure messages.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let body = std::fs::read_to_string(&path).unwrap_or_default();
                text.push_str(&format!("==> {} <==\n{body}\n", path.display()));
            }
        }
        text
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.agents.clear();
        self.server.kill();
        // Workloads survive a SIGKILLed agent by design (adoption); end the ones we started.
        for entry in std::fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "pid") {
                if let Some(pid) = read_pid(&path) {
                    let _ = Command::new("kill")
                        .arg("-9")
                        .arg(pid.to_string())
                        .stderr(Stdio::null())
                        .status();
                }
            }
        }
    }
}

/// Starts `ank-server [-a ADDRESS] ARGS…` with `env`, its stderr appended to `<dir>/server.log`,
/// and returns it with the address it printed.
fn spawn_server(
    dir: &Path,
    address: Option<&str>,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Proc, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .expect("server log");
    let mut child = Command::new(bin_dir().join("ank-server"))
        .args(address.map(|a| ["-a", a]).into_iter().flatten())
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ank-server");
    let stderr = child.stderr.take().expect("stderr piped");
    let server = Proc { child };
    let (tx, rx) = mpsc::channel();
    // Drains the server's stderr into server.log for its whole life, reporting the address.
    std::thread::spawn(move || {
        let mut log = log;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("ank-server listening on ").nth(1) {
                let _ = tx.send(addr.trim().to_owned());
            }
            let _ = writeln!(log, "{line}");
        }
    });
    let addr = rx.recv_timeout(DEADLINE).unwrap_or_else(|_| {
        panic!("ank-server did not print 'ank-server listening on ADDR' within {DEADLINE:?}")
    });
    (server, addr)
}

/// Runs `ank -k -s URL ARGS…` with HOME in `home` (so no user ank.conf is read).
pub fn run_ank(url: &str, home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut all = vec!["-k", "-s", url];
    all.extend(args);
    run_ank_as_is(home, &all, &[], stdin)
}

/// Runs `ank ARGS…` with `env` and HOME in `home`.
pub fn run_ank_as_is(
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> Output {
    run_ank_within(home, args, env, stdin, DEADLINE)
}

/// [`run_ank_as_is`], killed after `deadline`.
pub fn run_ank_within(
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
    deadline: Duration,
) -> Output {
    let mut child = Command::new(bin_dir().join("ank"))
        .args(args)
        .env("HOME", home)
        .env_remove("ANK_SERVER_URL")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ank");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    output_before(child, &format!("ank {args:?}"), deadline)
}

/// Runs a command that must end by itself (it is killed after [`DEADLINE`]); its output.
pub fn run_bounded(command: &mut Command) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the command");
    output_within(child, &format!("{command:?}"))
}

/// Waits for `child` at most [`DEADLINE`], then collects its output.
fn output_within(child: Child, what: &str) -> Output {
    output_before(child, what, DEADLINE)
}

/// Waits for `child` at most `deadline`, then collects its output. The output is read while
/// the child runs (on a thread), so a large output cannot fill the pipe and stall it.
fn output_before(child: Child, what: &str, deadline: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(out) => return out.expect("ank output"),
        Err(_) => signal(pid, "KILL"),
    }
    let out = rx.recv().expect("ank reaped").expect("ank output");
    panic!(
        "{what} did not finish within {deadline:?}: {}",
        describe(&out)
    );
}

/// Polls a log file until a line contains `needle` (at most 10 s); returns that line.
pub fn wait_for_line(log: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(needle)) {
            return line.to_owned();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no line with {needle:?} in {} within 10 s:\n{text}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Exit status, stdout and stderr of an `ank` run.
pub fn describe(out: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Sends `signal` (`STOP`, `CONT`, …) to a process with kill(1).
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// The PID a workload wrote, if the file is there and complete.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether a process runs (exists and is not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z"),
        Err(_) => false,
    }
}

/// The row of `workload` in an `ank get workloads` table, split on runs of 3+ spaces.
pub fn row<'a>(table: &'a str, workload: &str) -> Option<Vec<&'a str>> {
    table
        .lines()
        .skip(1)
        .find(|l| l.split_whitespace().next() == Some(workload))
        .map(|l| {
            l.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
}

pub mod faults;
pub mod podman;
