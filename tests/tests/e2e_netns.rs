//! A real network between server and agent: the agent in its own network namespace behind a
//! veth pair, the server in the test's. Two partitions, each healed: the link taken down, and
//! every packet dropped by the agent's firewall (no FIN, no RST). Each time the server shows
//! `AgentDisconnected` within the dead-link time, the workload keeps running, and after the
//! heal the agent is back and the workload `Running(Ok)`, adopted, not restarted. Needs root
//! and `ip` (iptables for the second partition); skipped with the reason printed otherwise.

mod e2e_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_support::{alive, bin_dir, read_pid, row, Cluster, Proc};

const DEAD_LINK: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_secs(3);

/// Runs a command; its success.
fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn must(program: &str, args: &[&str]) {
    assert!(run(program, args), "{program} {args:?} failed");
}

/// A namespace `anch<pid>` holding `va<pid>`, peer of `vh<pid>` in the test's namespace;
/// both removed on drop.
struct Netns {
    name: String,
    host_if: String,
    agent_if: String,
}

impl Netns {
    const HOST: &str = "10.251.37.1";
    const AGENT: &str = "10.251.37.2/30";

    fn create() -> Result<Netns, String> {
        let id = std::process::id();
        let ns = Netns {
            name: format!("anch{id}"),
            host_if: format!("vh{id}"),
            agent_if: format!("va{id}"),
        };
        if !run("ip", &["netns", "add", &ns.name]) {
            return Err("cannot create a network namespace".into());
        }
        let host = format!("{}/30", Netns::HOST);
        let steps: [&[&str]; 4] = [
            &[
                "link",
                "add",
                &ns.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &ns.agent_if,
            ],
            &["link", "set", &ns.agent_if, "netns", &ns.name],
            &["addr", "add", &host, "dev", &ns.host_if],
            &["link", "set", &ns.host_if, "up"],
        ];
        for step in steps {
            if !run("ip", step) {
                return Err(format!("ip {step:?} failed"));
            }
        }
        ns.exec(&["ip", "addr", "add", Netns::AGENT, "dev", &ns.agent_if]);
        ns.exec(&["ip", "link", "set", &ns.agent_if, "up"]);
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        Ok(ns)
    }

    fn exec(&self, command: &[&str]) {
        let mut args = vec!["netns", "exec", &self.name];
        args.extend_from_slice(command);
        must("ip", &args);
    }

    fn link(&self, state: &str) {
        must("ip", &["link", "set", &self.host_if, state]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        run("ip", &["link", "del", &self.host_if]);
        run("ip", &["netns", "del", &self.name]);
    }
}

fn skip_reason() -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("not root".into());
    }
    if !run("ip", &["-V"]) {
        return Some("`ip` (iproute2) is missing".into());
    }
    None
}

fn state(c: &Cluster, workload: &str) -> Option<String> {
    let out = c.ank(&["get", "workloads"]);
    let table = String::from_utf8_lossy(&out.stdout);
    row(&table, workload).and_then(|r| r.get(3).map(|s| (*s).to_owned()))
}

/// Waits until the server shows the workload `AgentDisconnected`, within the dead-link time.
fn disconnected_in_time(c: &Cluster, cut: Instant) {
    while state(c, "front").as_deref() != Some("AgentDisconnected") {
        assert!(
            cut.elapsed() < DEAD_LINK + SLACK,
            "not AgentDisconnected after {:?}\n{}",
            cut.elapsed(),
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn running(c: &Cluster) {
    c.eventually("front running", &["get", "workloads"], |t| {
        row(t, "front").and_then(|r| r.get(3).copied()) == Some("Running(Ok)")
    });
}

#[test]
fn partitions_of_a_real_link_are_noticed_and_healed() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let ns = match Netns::create() {
        Ok(ns) => ns,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    let listen = format!("{}:0", Netns::HOST);
    let c = Cluster::start_with(&["-a", &listen, "--dead-link-timeout", "2s"]);
    let run_folder = c.dir.path().join("run_agent_A");
    std::fs::create_dir_all(&run_folder).expect("run folder");
    let log = std::fs::File::create(c.dir.path().join("agent_A.log")).expect("log");
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(bin_dir().join("ank-agent"))
        .args([
            "-k",
            "-n",
            "agent_A",
            "-s",
            &c.url,
            "--dead-link-timeout",
            "2s",
        ])
        .arg("-r")
        .arg(&run_folder)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start ank-agent");
    // `ip netns exec` execs the agent: this is its pid.
    let _agent = Proc { child };
    let pid_file = c.path("front.pid");
    let manifest = format!(
        "apiVersion: v1\nworkloads:\n  front:\n    agent: agent_A\n    runtime: native\n    \
         runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {pid_file}; exec sleep 300']\n"
    );
    c.ank_ok(&["apply", &c.write("m.yaml", &manifest)]);
    running(&c);
    let pid = read_pid(pid_file.as_ref()).expect("pid");

    // 1. The link goes down.
    ns.link("down");
    disconnected_in_time(&c, Instant::now());
    assert!(alive(pid));
    ns.link("up");
    running(&c);
    assert_eq!(
        read_pid(pid_file.as_ref()),
        Some(pid),
        "adopted, not restarted"
    );

    // 2. Every packet dropped, the link up: no FIN, no RST.
    if !run("ip", &["netns", "exec", &ns.name, "iptables", "-L", "-n"]) {
        println!("packet-drop partition skipped: iptables is missing");
        return;
    }
    let drop = ["iptables", "-I", "INPUT", "-j", "DROP"];
    ns.exec(&drop);
    disconnected_in_time(&c, Instant::now());
    assert!(alive(pid));
    ns.exec(&["iptables", "-D", "INPUT", "-j", "DROP"]);
    running(&c);
    assert_eq!(
        read_pid(pid_file.as_ref()),
        Some(pid),
        "adopted, not restarted"
    );
}
