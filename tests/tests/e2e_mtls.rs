//! mTLS end to end: `ank-server`, `ank-agent` and `ank` with certificates from
//! `scripts/make-certs.sh`, given as flags, env vars and config files; the server's name
//! verified whatever address is dialled; refused peers and what each side says; and the
//! refusals to fall back to plain HTTP/2 without `-k`.

mod e2e_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use e2e_support::{
    bin_dir, describe, row, run_ank_as_is, run_bounded, wait_for_line, Cluster, Proc,
};

/// Runs `scripts/make-certs.sh OPTIONS… ROOT/OUT AGENTS…`.
fn make_certs(root: &Path, out: &str, options: &[&str], agents: &[&str]) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/make-certs.sh");
    let dir = root.join(out);
    let status = Command::new("bash")
        .arg(script)
        .args(options)
        .arg(&dir)
        .args(agents)
        .stdout(Stdio::null())
        .status()
        .expect("run make-certs.sh");
    assert!(
        status.success(),
        "make-certs.sh {options:?} {agents:?} failed"
    );
    dir
}

/// `[ca.pem, NAME.pem, NAME-key.pem]` of a certificate folder.
fn pem_paths(certs: &Path, ca_from: &Path, name: &str) -> [String; 3] {
    [
        ca_from.join("ca.pem"),
        certs.join(format!("{name}.pem")),
        certs.join(format!("{name}-key.pem")),
    ]
    .map(|p| p.display().to_string())
}

/// `--ca_pem CA --crt_pem NAME.pem --key_pem NAME-key.pem`, all from `certs`.
fn flags(certs: &Path, name: &str) -> Vec<String> {
    flags_mixed(certs, certs, name)
}

/// The PEM flags with the CA of `ca_from` and the certificate and key of `certs`.
fn flags_mixed(certs: &Path, ca_from: &Path, name: &str) -> Vec<String> {
    let [ca, crt, key] = pem_paths(certs, ca_from, name);
    ["--ca_pem", &ca, "--crt_pem", &crt, "--key_pem", &key]
        .map(str::to_owned)
        .to_vec()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A server started with the PEM flags of `server` from `certs`, `ank` with those of `cli`.
fn mtls_cluster(certs: &Path) -> Cluster {
    Cluster::start_server(
        &strs(&flags(certs, "server")),
        &[],
        "https",
        &strs(&flags(certs, "cli")),
    )
}

/// `http(s)://127.0.0.1:PORT` → `PORT`.
fn port(c: &Cluster) -> &str {
    c.url.rsplit(':').next().expect("a port")
}

/// A native workload on `agent` writing its PID into the cluster's folder (killed on drop).
fn native_manifest(c: &Cluster, workload: &str, agent: &str) -> String {
    let pid = c.path(&format!("{workload}.pid"));
    format!(
        "apiVersion: v1\nworkloads:\n  {workload}:\n    runtime: native\n    agent: {agent}\n    \
         runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {pid}; exec sleep 300']\n"
    )
}

/// `apply` over mTLS through `ank ARGS…` (with `env`) waits for the workload; `ank get
/// workloads` (the same way) shows it `Running(Ok)` on `agent`.
fn apply_and_see_running(c: &Cluster, ank: &[&str], env: &[(&str, &str)], workload: &str) {
    let agent = "agent_A";
    let file = c.write(
        &format!("{workload}.yaml"),
        &native_manifest(c, workload, agent),
    );
    let home = c.dir.path();
    let mut apply = ank.to_vec();
    apply.extend(["apply", &file]);
    let out = run_ank_as_is(home, &apply, env, None);
    assert!(
        out.status.success(),
        "apply: {}\n{}",
        describe(&out),
        c.logs()
    );
    let mut get = ank.to_vec();
    get.extend(["get", "workloads"]);
    let out = run_ank_as_is(home, &get, env, None);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "get workloads: {}", describe(&out));
    let cells = row(&table, workload).unwrap_or_else(|| panic!("no {workload} in:\n{table}"));
    assert_eq!(cells.get(1), Some(&agent), "{table}");
    assert_eq!(cells.get(3), Some(&"Running(Ok)"), "{table}");
}

/// Stderr of an `ank` run that must fail: asserts a non-zero exit.
fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure: {}",
        describe(out)
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn agent_args<'a>(name: &'a str, url: &'a str, pems: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["-n", name, "-s", url];
    args.extend(strs(pems));
    args
}

#[test]
fn pems_as_flags_ed25519_and_the_server_name_whatever_address_is_dialled() {
    let certs_root = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(certs_root.path(), "ed", &[], &["agent_A"]);
    let mut c = mtls_cluster(&certs);
    assert!(c.url.starts_with("https://127.0.0.1:"), "{}", c.url);
    let localhost = format!("https://localhost:{}", port(&c));
    // The agent dials `localhost`, the CLI `127.0.0.1` and `localhost`: the certificate
    // names neither, only `ank-server`, which is what both verify.
    let agent_pems = flags(&certs, "agent_A");
    let args = agent_args("agent_A", &localhost, &agent_pems);
    let log = c.spawn_agent("agent_A", &args, &[]);
    c.wait_agent("agent_A");
    wait_for_line(
        &log,
        &format!("connected to the server url=\"{localhost}\""),
    );

    let cli = flags(&certs, "cli");
    let mut ank = strs(&cli);
    ank.extend(["-s", &c.url]);
    apply_and_see_running(&c, &ank, &[], "by_flags");
    let mut ank = strs(&cli);
    ank.extend(["-s", &localhost, "get", "workloads"]);
    let out = run_ank_as_is(c.dir.path(), &ank, &[], None);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Running(Ok)"),
        "{}",
        describe(&out)
    );
}

#[test]
fn pems_from_env_vars_ecdsa() {
    let certs_root = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(certs_root.path(), "ec", &["--key", "ecdsa"], &["agent_A"]);
    let [ca, crt, key] = pem_paths(&certs, &certs, "server");
    let server_env = [
        ("ANKSERVER_CA_PEM", ca.as_str()),
        ("ANKSERVER_CRT_PEM", crt.as_str()),
        ("ANKSERVER_KEY_PEM", key.as_str()),
    ];
    // The harness' own `ank get agents` polls use flags; the checks below use env vars only.
    let cli_flags = flags(&certs, "cli");
    let mut c = Cluster::start_server(&[], &server_env, "https", &strs(&cli_flags));
    let [ca, crt, key] = pem_paths(&certs, &certs, "agent_A");
    let agent_env = [
        ("ANKAGENT_CA_PEM", ca.as_str()),
        ("ANKAGENT_CRT_PEM", crt.as_str()),
        ("ANKAGENT_KEY_PEM", key.as_str()),
    ];
    let url = c.url.clone();
    c.spawn_agent("agent_A", &["-n", "agent_A", "-s", &url], &agent_env);
    c.wait_agent("agent_A");
    let [ca, crt, key] = pem_paths(&certs, &certs, "cli");
    let ank_env = [
        ("ANK_CA_PEM", ca.as_str()),
        ("ANK_CRT_PEM", crt.as_str()),
        ("ANK_KEY_PEM", key.as_str()),
        ("ANK_SERVER_URL", url.as_str()),
    ];
    apply_and_see_running(&c, &[], &ank_env, "by_env");
}

#[test]
fn pems_from_config_files() {
    let certs_root = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(certs_root.path(), "conf", &[], &["agent_A"]);
    let dir = certs_root.path();
    let [ca, crt, key] = pem_paths(&certs, &certs, "server");
    let server_conf = dir.join("ank-server.conf");
    std::fs::write(
        &server_conf,
        format!("version = 'v1'\nca_pem = '{ca}'\ncrt_pem = '{crt}'\nkey_pem = '{key}'\n"),
    )
    .expect("write ank-server.conf");
    let server_conf = server_conf.display().to_string();
    let cli_flags = flags(&certs, "cli");
    let mut c = Cluster::start_server(&["-x", &server_conf], &[], "https", &strs(&cli_flags));

    // The agent's file carries the PEM text itself.
    let read = |name: &str| std::fs::read_to_string(certs.join(name)).expect("read a PEM");
    let agent_conf = dir.join("ank-agent.conf");
    std::fs::write(
        &agent_conf,
        format!(
            "version = 'v1'\nname = 'agent_A'\nserver_url = '{}'\n\
             ca_pem_content = '''\n{}'''\ncrt_pem_content = '''\n{}'''\nkey_pem_content = '''\n{}'''\n",
            c.url,
            read("ca.pem"),
            read("agent_A.pem"),
            read("agent_A-key.pem"),
        ),
    )
    .expect("write ank-agent.conf");
    let agent_conf = agent_conf.display().to_string();
    c.spawn_agent("agent_A", &["-x", &agent_conf], &[]);
    c.wait_agent("agent_A");

    let [ca, crt, key] = pem_paths(&certs, &certs, "cli");
    let ank_conf = dir.join("ank.conf");
    std::fs::write(
        &ank_conf,
        format!(
            "version = 'v1'\n[default]\nserver_url = '{}'\nca_pem = '{ca}'\ncrt_pem = '{crt}'\n\
             key_pem = '{key}'\n",
            c.url
        ),
    )
    .expect("write ank.conf");
    let ank_conf = ank_conf.display().to_string();
    apply_and_see_running(&c, &["-x", &ank_conf], &[], "by_config");
}

#[test]
fn refused_clients_and_what_each_side_says() {
    let certs_root = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(certs_root.path(), "ours", &[], &[]);
    // Same script, same names, another CA: a foreign deployment.
    let foreign = make_certs(certs_root.path(), "foreign", &[], &[]);
    let c = mtls_cluster(&certs);
    let home = c.dir.path();
    let log = c.server_log();

    // A TLS client without a certificate.
    let out = run_bounded(
        Command::new("openssl")
            .args(["s_client", "-alpn", "h2", "-connect"])
            .arg(format!("127.0.0.1:{}", port(&c))),
    );
    let line = wait_for_line(&log, "sent no certificate");
    assert!(
        line.contains("refused a TLS connection from 127.0.0.1:")
            && line.ends_with(": the client sent no certificate"),
        "{line}\n{}",
        describe(&out)
    );
    // `ank` without a certificate does not even dial.
    let [ca, _, key] = pem_paths(&certs, &certs, "cli");
    let out = run_ank_as_is(
        home,
        &[
            "--ca_pem",
            &ca,
            "--key_pem",
            &key,
            "-s",
            &c.url,
            "get",
            "workloads",
        ],
        &[],
        None,
    );
    assert_eq!(
        failed(&out),
        "error: missing --crt_pem for mTLS: give all of --ca_pem, --crt_pem and --key_pem \
         (flags, env vars or config file), or -k/--insecure\n"
    );

    // A CLI certificate from a foreign CA: the server refuses it after the handshake.
    let foreign_cli = flags_mixed(&foreign, &certs, "cli");
    let mut ank = strs(&foreign_cli);
    ank.extend(["-s", &c.url, "get", "workloads"]);
    let out = run_ank_as_is(home, &ank, &[], None);
    assert_eq!(
        failed(&out),
        "error: request to ank-server failed: the server refused our certificate: it is not \
         signed by its CA\n"
    );
    let line = wait_for_line(
        &log,
        "the client's certificate is refused: it is not signed by the CA in --ca_pem",
    );
    assert!(
        line.contains("refused a TLS connection from 127.0.0.1:"),
        "{line}"
    );

    // A CLI trusting another CA than the one that signed the server's certificate.
    let foreign_ca = flags_mixed(&certs, &foreign, "cli");
    let mut ank = strs(&foreign_ca);
    ank.extend(["-s", &c.url, "get", "workloads"]);
    let out = run_ank_as_is(home, &ank, &[], None);
    let stderr = failed(&out);
    assert!(
        stderr.starts_with(&format!(
            "error: cannot reach ank-server at {}: the server's certificate is refused: it is \
             not signed by the CA in --ca_pem (",
            c.url
        )),
        "{stderr}"
    );
    wait_for_line(
        &log,
        "the client refused our certificate: it is not signed by its CA",
    );
}

#[test]
fn refused_agents_expired_or_misnamed_and_the_san_star() {
    let certs_root = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(
        certs_root.path(),
        "agents",
        &["--expired", "agent_old", "--any-agent", "anyone"],
        &["agent_A"],
    );
    let mut c = mtls_cluster(&certs);
    let url = c.url.clone();
    let server_log = c.server_log();

    let expired = flags(&certs, "agent_old");
    let expired_log = c.spawn_agent("agent_old", &agent_args("agent_old", &url, &expired), &[]);
    let misnamed = flags(&certs, "agent_A");
    let misnamed_log = c.spawn_agent("agent_B", &agent_args("agent_B", &url, &misnamed), &[]);
    let star = flags(&certs, "anyone");
    c.spawn_agent("agent_Z", &agent_args("agent_Z", &url, &star), &[]);

    let line = wait_for_line(
        &server_log,
        "the client's certificate is refused: it has expired",
    );
    assert!(
        line.contains("refused a TLS connection from 127.0.0.1:"),
        "{line}"
    );
    let line = wait_for_line(&expired_log, "refused our certificate");
    assert!(
        line.contains(
            "stream to the server failed: the server refused our certificate: it has expired"
        ),
        "{line}"
    );

    let refusal = "the agent name 'agent_B' is not allowed by the agent's certificate \
                   (CN=agent_A): its CN must be the agent name, or it must carry the SAN '*'";
    let line = wait_for_line(&server_log, "refused an agent from");
    assert!(line.ends_with(refusal), "{line}");
    let line = wait_for_line(&misnamed_log, "is not allowed");
    assert!(
        line.ends_with(&format!(
            "server connection: the server refused the agent: {refusal}"
        )),
        "{line}"
    );

    // One certificate with the SAN `*` serves any agent name.
    c.wait_agent("agent_Z");
    let agents = c.ank_ok(&["get", "agents"]);
    let names: Vec<&str> = agents
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["agent_Z"], "{agents}");
}

#[test]
fn no_silent_downgrade_to_plain_http2() {
    let certs_root = tempfile::tempdir().expect("tempdir");
    let certs = make_certs(certs_root.path(), "down", &[], &[]);
    let mut c = mtls_cluster(&certs);
    let https = c.url.clone();
    let http = https.replacen("https://", "http://", 1);
    // An agent with -k and an http:// URL is not admitted; its log says why.
    let plain_agent = c.spawn_agent("agent_A", &["-k", "-n", "agent_A", "-s", &http], &[]);
    let home = c.dir.path();

    let out = run_ank_as_is(home, &["-k", "-s", &https, "get", "workloads"], &[], None);
    assert_eq!(
        failed(&out),
        format!(
            "error: -k/--insecure asks for plain HTTP/2 but the server URL '{https}' is \
             https://: drop -k to use mTLS, or give an http:// URL\n"
        )
    );
    let cli = flags(&certs, "cli");
    let mut ank = strs(&cli);
    ank.extend(["-s", &http, "get", "workloads"]);
    let out = run_ank_as_is(home, &ank, &[], None);
    assert_eq!(
        failed(&out),
        format!(
            "error: mTLS is configured but the server URL '{http}' is http://: give an \
             https:// URL, or -k/--insecure for plain HTTP/2\n"
        )
    );
    // Without -s the default URL follows the transport: PEMs make it https://.
    let mut ank = strs(&cli);
    ank.extend(["get", "workloads"]);
    let stderr = failed(&run_ank_as_is(home, &ank, &[], None));
    assert!(
        stderr.contains("https://127.0.0.1:25551"),
        "the default URL under mTLS: {stderr}"
    );
    // Plain HTTP/2 against the mTLS server fails; the server says why.
    let out = run_ank_as_is(home, &["-k", "-s", &http, "get", "workloads"], &[], None);
    let stderr = failed(&out);
    assert!(
        stderr.starts_with(
            "error: request to ank-server failed: the server does not speak plain HTTP/2 here \
             (is it running with mTLS? then drop -k/--insecure and give --ca_pem, --crt_pem and \
             --key_pem): Internal: h2 protocol error"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    wait_for_line(
        &c.server_log(),
        "the client does not speak TLS here (is it running with -k/--insecure?)",
    );
    let line = wait_for_line(&plain_agent, "does not speak plain HTTP/2");
    assert!(
        line.contains(
            "stream to the server failed: the server does not speak plain HTTP/2 here (is it \
             running with mTLS? then drop -k/--insecure and give --ca_pem, --crt_pem and \
             --key_pem) ("
        ),
        "{line}"
    );
    let agents = c.ank_ok(&["get", "agents"]);
    assert_eq!(agents.lines().count(), 1, "only the header: {agents}");

    let run = c.path("run_downgrade");
    let out = run_bounded(
        Command::new(bin_dir().join("ank-agent"))
            .args(["-k", "-n", "agent_A", "-s", &https, "-r", &run]),
    );
    assert!(!out.status.success(), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "-k/--insecure asks for plain HTTP/2 but the server URL '{https}' is https://"
        )),
        "{stderr}"
    );

    // A server given neither -k nor PEMs does not start.
    let out = run_bounded(
        Command::new(bin_dir().join("ank-server"))
            .args(["-a", "127.0.0.1:0"])
            .env_remove("ANKSERVER_INSECURE"),
    );
    assert!(!out.status.success(), "{}", describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ank-server: missing --ca_pem, --crt_pem, --key_pem for mTLS: give all of --ca_pem, \
         --crt_pem and --key_pem (flags, env vars or config file), or -k/--insecure\n"
    );
}

#[test]
fn plain_server_beyond_loopback_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("server log");
    let child = Command::new(bin_dir().join("ank-server"))
        .args(["-k", "-a", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start ank-server");
    let _server = Proc { child };
    let line = wait_for_line(&log_path, "without TLS");
    assert!(
        line.contains("WARN")
            && line.contains("listening on 0.0.0.0:")
            && line.ends_with(
                "without TLS (-k): anyone who reaches this address controls every workload; \
                 give --ca_pem, --crt_pem and --key_pem for mTLS"
            ),
        "{line}"
    );
}
