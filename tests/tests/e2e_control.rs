//! End to end through the control interface, with the test process as the control workload:
//! the real `ank-server` and `ank-agent` run a native `sleep` whose `controlInterfaceAccess`
//! the test chooses, and the test opens that workload's FIFOs on the host
//! (`<run_folder>/<agent>_io/<workload>.<id>/control_interface/`) and speaks Ankaios' protocol
//! on them as an SDK would: varint-length-delimited `ToAnkaios` into `output`, `FromAnkaios`
//! out of `input` (see `shared/spec/control-interface.md`). The CLI changes the state
//! meanwhile, as a user would.
//!
//! One test runs a `podman` workload and is skipped loudly without Podman.

mod e2e_support;

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ank_model::proto::ank_base as pb;
use ank_model::proto::control_api::{
    from_ankaios::FromAnkaiosEnum, to_ankaios::ToAnkaiosEnum, FromAnkaios, Hello, ToAnkaios,
};
use e2e_support::podman::{conf, podman, remove_containers_of};
use e2e_support::{alive, describe, Cluster};
use pb::request::RequestContent;
use pb::response::ResponseContent;
use prost::Message;
use serde_json::Value;

const AGENT: &str = "agent_A";
/// The longest the test waits for one message from the agent.
const WAIT: Duration = Duration::from_secs(20);
/// The Hello of both SDKs, as bytes on the wire (the spec's test vector).
const HELLO_BYTES: [u8; 10] = [0x09, 0x0a, 0x07, 0x12, 0x05, 0x31, 0x2e, 0x30, 0x2e, 0x30];
const ACCESS_DENIED: &str = "Access denied";

// ---------------------------------------------------------------------------------------------
// The client side of the FIFOs.

/// What the thread reading `input` saw.
enum Incoming {
    Message(Box<FromAnkaios>),
    /// The agent closed its writer.
    Eof,
    /// Bytes that are no `FromAnkaios` frame.
    Broken(String),
}

/// The test's end of one control interface, opened as an SDK opens it.
struct Control {
    dir: PathBuf,
    output: Option<File>,
    incoming: mpsc::Receiver<Incoming>,
    /// Messages read while waiting for another one.
    stash: VecDeque<FromAnkaios>,
}

impl Control {
    /// Opens `input` for reading in a thread (a blocking open that waits for the agent's
    /// writer, and already counts as a reader, so the agent's first write finds it) and
    /// `output` for writing.
    fn open(dir: &Path) -> Control {
        let (tx, incoming) = mpsc::channel();
        let input = dir.join("input");
        std::thread::spawn(move || read_frames(&input, &tx));
        let mut control = Control {
            dir: dir.to_owned(),
            output: None,
            incoming,
            stash: VecDeque::new(),
        };
        control.reopen_output();
        control
    }

    /// Writes raw bytes into `output`.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let output = self.output.as_mut().expect("output open");
        output.write_all(bytes)?;
        output.flush()
    }

    fn send(&mut self, message: ToAnkaios) {
        self.write(&message.encode_length_delimited_to_vec())
            .expect("write to output");
    }

    /// Closes the test's end of `output` (the agent reads EOF) and opens it again, waiting
    /// for the agent's reader (it reopens it after an EOF, a new agent opens it when it adopts
    /// the workload).
    fn reopen_output(&mut self) {
        self.output = None;
        let start = Instant::now();
        loop {
            match open_output(&self.dir) {
                Ok(file) => break self.output = Some(file),
                Err(e) if start.elapsed() > WAIT => panic!("cannot reopen output: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn hello(&mut self) {
        self.send(hello("1.0.0"));
        match self.next() {
            FromAnkaiosEnum::ControlInterfaceAccepted(_) => {}
            other => panic!("Hello not accepted: {other:?}"),
        }
    }

    /// The next message the agent wrote (stashed ones first).
    fn next(&mut self) -> FromAnkaiosEnum {
        if let Some(message) = self.stash.pop_front() {
            return message.from_ankaios_enum.expect("a message with content");
        }
        match self.incoming.recv_timeout(WAIT) {
            Ok(Incoming::Message(m)) => m.from_ankaios_enum.expect("a message with content"),
            Ok(Incoming::Eof) => panic!("the agent closed input"),
            Ok(Incoming::Broken(e)) => panic!("the agent wrote no valid frame: {e}"),
            Err(_) => panic!("no message from the agent within {WAIT:?}"),
        }
    }

    /// Expects `ConnectionClosed` next and then the end of `input`; returns the reason.
    fn closed(&mut self) -> String {
        let reason = match self.next() {
            FromAnkaiosEnum::ConnectionClosed(c) => c.reason,
            other => panic!("expected ConnectionClosed, got {other:?}"),
        };
        self.expect_eof();
        reason
    }

    /// Expects the agent to close `input` with nothing more written.
    fn expect_eof(&mut self) {
        assert!(self.stash.is_empty(), "unread messages: {:?}", self.stash);
        match self.incoming.recv_timeout(WAIT) {
            Ok(Incoming::Eof) => {}
            Ok(Incoming::Message(m)) => panic!("expected EOF, got {m:?}"),
            Ok(Incoming::Broken(e)) => panic!("expected EOF, got broken bytes: {e}"),
            Err(_) => panic!("input not closed within {WAIT:?}"),
        }
    }

    /// Sends a request and returns the first answer with its id (others are kept).
    fn request(&mut self, id: &str, content: RequestContent) -> ResponseContent {
        self.send(request(id, content));
        self.answer(id)
    }

    /// The next response to request `id`; other messages are stashed.
    fn answer(&mut self, id: &str) -> ResponseContent {
        let mut skipped = VecDeque::new();
        let found = loop {
            match self.next() {
                FromAnkaiosEnum::Response(r) if r.request_id == id => {
                    break r.response_content.expect("a response with content")
                }
                other => skipped.push_back(FromAnkaios {
                    from_ankaios_enum: Some(other),
                }),
            }
        };
        skipped.append(&mut self.stash);
        self.stash = skipped;
        found
    }

    /// The complete state answering `masks`, as JSON (domain serde, as the CLI prints it).
    fn get(&mut self, id: &str, masks: &[&str]) -> Value {
        match self.request(id, get(masks, false)) {
            ResponseContent::CompleteStateResponse(r) => {
                assert!(r.altered_fields.is_none(), "a plain answer is no event");
                state_json(r.complete_state.unwrap_or_default())
            }
            other => panic!("get {masks:?}: {other:?}"),
        }
    }

    /// Expects `Access denied` for a request.
    fn denied(&mut self, id: &str, content: RequestContent) {
        match self.request(id, content) {
            ResponseContent::Error(e) => assert_eq!(e.message, ACCESS_DENIED, "request {id}"),
            other => panic!("request {id} should be denied: {other:?}"),
        }
    }

    /// The next event of subscription `id`: its state (JSON) and `[added, updated, removed]`.
    fn event(&mut self, id: &str) -> (Value, [Vec<String>; 3]) {
        match self.answer(id) {
            ResponseContent::CompleteStateResponse(r) => {
                let altered = r.altered_fields.expect("an event carries alteredFields");
                (
                    state_json(r.complete_state.unwrap_or_default()),
                    [
                        altered.added_fields,
                        altered.updated_fields,
                        altered.removed_fields,
                    ],
                )
            }
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// Opens `output` as ank-sdk-rust does, `O_WRONLY|O_NONBLOCK` (fails with ENXIO while the
/// agent has no reader), then makes writes blocking.
fn open_output(dir: &Path) -> std::io::Result<File> {
    use rustix::fs::{fcntl_setfl, open, Mode, OFlags};
    let fd = open(
        dir.join("output"),
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    fcntl_setfl(&fd, OFlags::empty())?;
    Ok(File::from(fd))
}

/// The reader thread: frames of `input` until EOF.
fn read_frames(input: &Path, tx: &mpsc::Sender<Incoming>) {
    let Ok(file) = File::open(input) else {
        let _ = tx.send(Incoming::Eof);
        return;
    };
    let mut reader = BufReader::new(file);
    loop {
        let incoming = match read_frame(&mut reader) {
            Ok(None) => Incoming::Eof,
            Ok(Some(body)) => match FromAnkaios::decode(body.as_slice()) {
                Ok(m) => Incoming::Message(Box::new(m)),
                Err(e) => Incoming::Broken(e.to_string()),
            },
            Err(e) => Incoming::Broken(e.to_string()),
        };
        let end = !matches!(incoming, Incoming::Message(_));
        if tx.send(incoming).is_err() || end {
            return;
        }
    }
}

/// One varint-length-delimited frame; `None` at EOF between frames.
fn read_frame(reader: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len: u64 = 0;
    for shift in (0..64).step_by(7) {
        let mut byte = [0u8];
        if reader.read(&mut byte)? == 0 {
            return if shift == 0 {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        len |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            let mut body = vec![0; usize::try_from(len).expect("a sane length")];
            reader.read_exact(&mut body)?;
            return Ok(Some(body));
        }
    }
    Err(std::io::ErrorKind::InvalidData.into())
}

// ---------------------------------------------------------------------------------------------
// Messages.

fn hello(version: &str) -> ToAnkaios {
    ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Hello(Hello {
            protocol_version: version.to_owned(),
        })),
    }
}

fn request(id: &str, content: RequestContent) -> ToAnkaios {
    ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Request(pb::Request {
            request_id: id.to_owned(),
            request_content: Some(content),
        })),
    }
}

fn get(masks: &[&str], subscribe: bool) -> RequestContent {
    RequestContent::CompleteStateRequest(pb::CompleteStateRequest {
        field_mask: masks.iter().map(|m| (*m).to_owned()).collect(),
        subscribe_for_events: subscribe,
    })
}

fn update(state: ank_model::CompleteState, masks: &[&str]) -> RequestContent {
    RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
        new_state: Some(state.into()),
        update_mask: masks.iter().map(|m| (*m).to_owned()).collect(),
        ..Default::default()
    })
}

/// An update of [`AGENT`]'s tags (mask `agents.<agent>.tags`), as the SDKs' `set_agent_tags`.
fn set_tags(tags: &[(&str, &str)]) -> RequestContent {
    let mut state = ank_model::CompleteState::default();
    state.agents.insert(
        AGENT.to_owned(),
        ank_model::AgentAttributes {
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        },
    );
    update(state, &[&format!("agents.{AGENT}.tags")])
}

/// A desired state with one native workload `name` (sleeping) on the agent.
fn with_workload(name: &str) -> ank_model::CompleteState {
    let mut state = ank_model::CompleteState::default();
    state.desired_state.workloads.insert(
        name.to_owned(),
        ank_model::Workload {
            agent: AGENT.into(),
            runtime: "native".into(),
            runtime_config: "command: [sleep, \"300\"]\n".into(),
            ..Default::default()
        },
    );
    state
}

fn logs(names: &[pb::WorkloadInstanceName], follow: bool) -> RequestContent {
    RequestContent::LogsRequest(pb::LogsRequest {
        workload_names: names.to_vec(),
        follow: Some(follow),
        tail: Some(-1),
        since: None,
        until: None,
    })
}

fn state_json(state: pb::CompleteState) -> Value {
    let state: ank_model::CompleteState = state.try_into().expect("a valid complete state");
    serde_json::to_value(state).expect("serializable")
}

// ---------------------------------------------------------------------------------------------
// Manifests and the cluster.

/// `{type: StateRule, operation: OP, filterMasks: [MASKS]}`.
fn state_rule(operation: &str, masks: &[&str]) -> String {
    let masks: Vec<String> = masks.iter().map(|m| format!("'{m}'")).collect();
    format!(
        "{{type: StateRule, operation: {operation}, filterMasks: [{}]}}",
        masks.join(", ")
    )
}

/// `{type: LogRule, workloadNames: [NAMES]}`.
fn log_rule(names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|m| format!("'{m}'")).collect();
    format!("{{type: LogRule, workloadNames: [{}]}}", names.join(", "))
}

/// A native workload on [`AGENT`] that records its PID (so the cluster ends it), prints a
/// greeting and sleeps, with the given rules (no `controlInterfaceAccess` when both are empty).
fn workload(c: &Cluster, name: &str, allow: &[String], deny: &[String]) -> String {
    let pid = c.path(&format!("{name}.pid"));
    let mut text = format!(
        "  {name}:\n    runtime: native\n    agent: {AGENT}\n    runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {pid}; echo hello from {name}; exec sleep 300']\n"
    );
    if !allow.is_empty() || !deny.is_empty() {
        text += &format!(
            "    controlInterfaceAccess:\n      allowRules: [{}]\n      denyRules: [{}]\n",
            allow.join(", "),
            deny.join(", ")
        );
    }
    text
}

fn apply(c: &Cluster, file: &str, workloads: &[String]) {
    let manifest = format!("apiVersion: v1\nworkloads:\n{}", workloads.concat());
    let path = c.write(file, &manifest);
    let out = c.ank(&["apply", &path]);
    assert!(
        out.status.success(),
        "apply {file}: {}\n{}",
        describe(&out),
        c.logs()
    );
}

fn cluster() -> Cluster {
    let mut c = Cluster::start();
    c.start_agent(AGENT, "zone=test");
    c
}

/// The instance id of `workload` on [`AGENT`], from `ank get state`.
fn instance_id(c: &Cluster, workload: &str) -> String {
    instance_id_on(c, AGENT, workload)
}

/// The instance id of `workload` on `agent`, from `ank get state`.
fn instance_id_on(c: &Cluster, agent: &str, workload: &str) -> String {
    let mask = format!("workloadStates.{agent}.{workload}");
    let text = c.ank_ok(&["get", "state", "-o", "json", &mask]);
    let state: Value = serde_json::from_str(&text).expect("JSON state");
    let ids = state["workloadStates"][agent][workload]
        .as_object()
        .unwrap_or_else(|| panic!("no state of {workload}: {text}"));
    assert_eq!(ids.len(), 1, "one instance of {workload}: {text}");
    ids.keys().next().expect("one id").clone()
}

/// `<run_folder>/<agent>_io/<workload>.<id>/control_interface` as the harness lays it out.
fn interface_dir(c: &Cluster, workload: &str) -> PathBuf {
    let id = instance_id(c, workload);
    c.dir
        .path()
        .join(format!("run_{AGENT}"))
        .join(format!("{AGENT}_io"))
        .join(format!("{workload}.{id}"))
        .join("control_interface")
}

fn instance_name(c: &Cluster, workload: &str) -> pb::WorkloadInstanceName {
    pb::WorkloadInstanceName {
        workload_name: workload.to_owned(),
        agent_name: AGENT.to_owned(),
        id: instance_id(c, workload),
    }
}

/// Opens the interface of a running workload and says Hello.
fn connect(c: &Cluster, workload: &str) -> Control {
    let dir = interface_dir(c, workload);
    assert!(
        dir.join("input").exists() && dir.join("output").exists(),
        "no FIFOs in {}\n{}",
        dir.display(),
        c.logs()
    );
    let mut control = Control::open(&dir);
    control.hello();
    control
}

fn allow_all() -> Vec<String> {
    vec![state_rule("ReadWrite", &["*"]), log_rule(&["*"])]
}

// ---------------------------------------------------------------------------------------------
// The session.

#[test]
fn a_request_before_hello_closes_the_interface_and_a_hello_is_accepted_once() {
    let c = cluster();
    let rules = allow_all();
    apply(
        &c,
        "session.yaml",
        &[
            workload(&c, "no_hello", &rules, &[]),
            workload(&c, "old_version", &rules, &[]),
            workload(&c, "polite", &rules, &[]),
        ],
    );

    let mut rude = Control::open(&interface_dir(&c, "no_hello"));
    rude.send(request("1", get(&["workloadStates"], false)));
    assert_eq!(rude.closed(), "Initial Hello missing!");

    let mut old = Control::open(&interface_dir(&c, "old_version"));
    old.send(hello("0.9.0"));
    assert_eq!(
        old.closed(),
        "Unsupported protocol version '0.9.0'. Currently supported '1'"
    );

    // The spec's bytes, written raw, are answered with the spec's bytes.
    let dir = interface_dir(&c, "polite");
    let mut polite = Control::open(&dir);
    polite.write(&HELLO_BYTES).expect("write Hello");
    assert!(matches!(
        polite.next(),
        FromAnkaiosEnum::ControlInterfaceAccepted(_)
    ));
    // A second compatible Hello is not answered: the next message is the request's answer.
    polite.send(hello("1.2.3"));
    let state = polite.get("after", &["workloadStates"]);
    assert_eq!(
        state["workloadStates"][AGENT]["polite"]
            .as_object()
            .map(|ids| ids.len()),
        Some(1),
        "{state}"
    );
    assert!(polite.stash.is_empty(), "{:?}", polite.stash);
    // A later Hello of another major closes the session.
    polite.send(hello("2.0.0"));
    assert_eq!(
        polite.closed(),
        "Unsupported protocol version '2.0.0'. Currently supported '1'"
    );

    // The native process was told where its interface is.
    let pid = std::fs::read_to_string(c.path("polite.pid")).expect("pid file");
    let environ = std::fs::read(format!("/proc/{}/environ", pid.trim())).expect("environ");
    let wanted = format!("ANKAIOS_CONTROL_INTERFACE={}", dir.display());
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|var| var == wanted.as_bytes()),
        "{wanted} not in the environment of polite"
    );
}

// ---------------------------------------------------------------------------------------------
// Access rules.

#[test]
fn a_tags_only_rule_sets_agent_tags_and_nothing_else() {
    let c = cluster();
    apply(
        &c,
        "tags.yaml",
        &[workload(
            &c,
            "tagger",
            &[state_rule("Write", &["agents"])],
            &[],
        )],
    );
    let mut ctl = connect(&c, "tagger");

    let tags_mask = format!("agents.{AGENT}.tags");
    match ctl.request("tags", set_tags(&[("role", "parking"), ("zone", "test")])) {
        ResponseContent::UpdateStateSuccess(s) => {
            assert!(s.added_workloads.is_empty() && s.deleted_workloads.is_empty());
        }
        other => panic!("setting tags: {other:?}\n{}", c.logs()),
    }
    let wide = c.ank_ok(&["get", "agents", "-o", "wide"]);
    let row = wide
        .lines()
        .find(|l| l.starts_with(AGENT))
        .unwrap_or_else(|| panic!("{wide}"));
    assert!(row.contains("role=parking"), "{wide}");
    assert!(row.contains("zone=test"), "{wide}");

    // The desired state is not under `agents`, and a write rule allows no reading.
    ctl.denied(
        "workload",
        update(
            with_workload("intruder"),
            &["desiredState.workloads.intruder"],
        ),
    );
    ctl.denied("read", get(&[&tags_mask], false));
    ctl.denied("everything", update(with_workload("intruder"), &[]));
    let table = c.ank_ok(&["get", "workloads"]);
    assert!(!table.contains("intruder"), "{table}");
}

#[test]
fn rules_allow_all_workloads_but_one_wildcards_and_deny_wins() {
    let c = cluster();
    let except = [state_rule("ReadWrite", &["desiredState.workloads"])];
    let secret = [state_rule("ReadWrite", &["desiredState.workloads.secret"])];
    apply(
        &c,
        "rules.yaml",
        &[
            workload(&c, "public", &[], &[]),
            workload(&c, "secret", &[], &[]),
            workload(&c, "all_but_secret", &except, &secret),
            workload(
                &c,
                "agents_only",
                &[state_rule("Read", &["desiredState.workloads.*.agent"])],
                &[],
            ),
            workload(
                &c,
                "deny_wins",
                &[state_rule("ReadWrite", &["*"])],
                &[state_rule("Write", &["desiredState.workloads.secret"])],
            ),
        ],
    );

    // (b) Every workload but one.
    let mut ctl = connect(&c, "all_but_secret");
    let public = ctl.get("public", &["desiredState.workloads.public"]);
    assert_eq!(
        public["desiredState"]["workloads"]["public"]["runtime"],
        "native"
    );
    assert!(public["desiredState"]["workloads"]["secret"].is_null());
    ctl.denied("secret", get(&["desiredState.workloads.secret"], false));
    ctl.denied(
        "secret.agent",
        get(&["desiredState.workloads.secret.agent"], false),
    );
    // A deny rule below a mask blocks it too: the whole list would show secret.
    ctl.denied("all", get(&["desiredState.workloads"], false));
    ctl.denied("state", get(&["workloadStates"], false));
    ctl.denied(
        "mixed",
        get(
            &[
                "desiredState.workloads.public",
                "desiredState.workloads.secret",
            ],
            false,
        ),
    );
    match ctl.request(
        "add",
        update(with_workload("extra"), &["desiredState.workloads.extra"]),
    ) {
        ResponseContent::UpdateStateSuccess(s) => {
            assert_eq!(s.added_workloads.len(), 1, "{s:?}");
            assert!(s.added_workloads[0].starts_with("extra."), "{s:?}");
        }
        other => panic!("adding extra: {other:?}"),
    }
    ctl.denied(
        "delete secret",
        update(
            ank_model::CompleteState::default(),
            &["desiredState.workloads.secret"],
        ),
    );
    ctl.denied(
        "configs",
        update(
            ank_model::CompleteState::default(),
            &["desiredState.configs"],
        ),
    );
    let table = c.ank_ok(&["get", "workloads"]);
    for name in ["extra", "secret", "public"] {
        assert!(
            e2e_support::row(&table, name).is_some(),
            "{name} missing:\n{table}"
        );
    }

    // (c) A wildcard in the middle: the agent of every workload, nothing else.
    let mut ctl = connect(&c, "agents_only");
    let agents = ctl.get(
        "agents",
        &[
            "desiredState.workloads.public.agent",
            "desiredState.workloads.secret.agent",
        ],
    );
    assert_eq!(
        agents["desiredState"]["workloads"]["public"]["agent"],
        AGENT
    );
    assert_eq!(
        agents["desiredState"]["workloads"]["secret"]["agent"],
        AGENT
    );
    ctl.denied(
        "config",
        get(&["desiredState.workloads.public.runtimeConfig"], false),
    );
    // A rule longer than the mask does not match it.
    ctl.denied("whole", get(&["desiredState.workloads.public"], false));
    ctl.denied("list", get(&["desiredState.workloads"], false));
    ctl.denied(
        "write",
        update(
            with_workload("public"),
            &["desiredState.workloads.public.agent"],
        ),
    );

    // (d) Deny wins over `*`, for the operation it names only.
    let mut ctl = connect(&c, "deny_wins");
    let secret = ctl.get("read", &["desiredState.workloads.secret"]);
    assert_eq!(
        secret["desiredState"]["workloads"]["secret"]["agent"],
        AGENT
    );
    ctl.denied(
        "delete",
        update(
            ank_model::CompleteState::default(),
            &["desiredState.workloads.secret"],
        ),
    );
    // A deny rule below a path blocks the path: writing all workloads would touch secret.
    ctl.denied(
        "all",
        update(
            ank_model::CompleteState::default(),
            &["desiredState.workloads"],
        ),
    );
    match ctl.request(
        "delete extra",
        update(
            ank_model::CompleteState::default(),
            &["desiredState.workloads.extra"],
        ),
    ) {
        ResponseContent::UpdateStateSuccess(s) => {
            assert_eq!(s.deleted_workloads.len(), 1, "{s:?}");
        }
        other => panic!("deleting extra: {other:?}"),
    }
    let table = c.ank_ok(&["get", "workloads"]);
    assert!(e2e_support::row(&table, "secret").is_some(), "{table}");
}

// ---------------------------------------------------------------------------------------------
// Events.

/// Whether an event only reports agents' resource figures (they change on their own).
fn only_status(altered: &[Vec<String>; 3]) -> bool {
    altered
        .iter()
        .flatten()
        .all(|p| p.starts_with("agents.") && p.contains(".status"))
}

impl Control {
    /// The next event of subscription `id` that is not only agents' resource figures.
    fn change(&mut self, id: &str) -> (Value, [Vec<String>; 3]) {
        loop {
            let event = self.event(id);
            if !only_status(&event.1) {
                return event;
            }
        }
    }

    /// Reads events of `id` whose every path is an execution-state field of `instance`
    /// (`workloadStates.<agent>.<workload>.<id>.<field>`), updated, until one shows `state`.
    fn until_state(&mut self, id: &str, workload: &str, instance: &str, state: &str) {
        let prefix = format!("workloadStates.{AGENT}.{workload}.{instance}.");
        loop {
            let (json, [added, updated, removed]) = self.change(id);
            assert!(
                added.is_empty() && removed.is_empty(),
                "{added:?} {removed:?}"
            );
            assert!(!updated.is_empty());
            for path in &updated {
                let field = path.strip_prefix(&prefix);
                assert!(
                    matches!(field, Some("state" | "subState" | "additionalInfo")),
                    "{path}"
                );
            }
            if json["workloadStates"][AGENT][workload][instance]["state"] == state {
                return;
            }
        }
    }
}

const EVENT_MASKS: [&str; 4] = [
    "desiredState.workloads",
    "desiredState.configs",
    "workloadStates",
    "agents",
];

#[test]
fn events_name_exactly_what_was_added_updated_and_removed() {
    let mut c = cluster();
    let watcher = workload(&c, "watcher", &allow_all(), &[]);
    let with_configs = |workloads: String, configs: &str| {
        format!("apiVersion: v1\nworkloads:\n{workloads}configs:\n{configs}")
    };
    let file = c.write("base.yaml", &with_configs(watcher, "  base: kept\n"));
    c.ank_ok(&["apply", &file]);
    let mut ctl = connect(&c, "watcher");

    // The first answer is the state itself, not an event.
    match ctl.request("ev", get(&EVENT_MASKS, true)) {
        ResponseContent::CompleteStateResponse(r) => {
            assert!(r.altered_fields.is_none(), "{r:?}");
            let state = state_json(r.complete_state.unwrap_or_default());
            assert_eq!(state["desiredState"]["configs"]["base"], "kept", "{state}");
            assert!(state["agents"][AGENT].is_object(), "{state}");
        }
        other => panic!("subscribe: {other:?}"),
    }
    match ctl.request("cfg", get(&["desiredState.configs.cfg1"], true)) {
        ResponseContent::CompleteStateResponse(r) => assert!(r.altered_fields.is_none()),
        other => panic!("subscribe: {other:?}"),
    }

    // A workload and a config added with `ank apply`.
    let ev_w = workload(&c, "ev_w", &[], &[]);
    let file = c.write("ev.yaml", &with_configs(ev_w.clone(), "  cfg1: one\n"));
    c.ank_ok(&["apply", &file]);
    let id = instance_id(&c, "ev_w");
    let (state, altered) = ctl.change("ev");
    assert_eq!(
        altered,
        [
            vec![
                "desiredState.workloads.ev_w".to_owned(),
                "desiredState.configs.cfg1".to_owned(),
                format!("workloadStates.{AGENT}.ev_w"),
            ],
            vec![],
            vec![]
        ]
    );
    assert_eq!(state["desiredState"]["workloads"]["ev_w"]["agent"], AGENT);
    assert_eq!(state["desiredState"]["configs"]["cfg1"], "one");
    assert_eq!(
        state["workloadStates"][AGENT]["ev_w"][&id]["subState"], "Initial",
        "{state}"
    );
    assert!(
        state["desiredState"]["workloads"]["watcher"].is_null(),
        "an event carries the altered parts only: {state}"
    );
    ctl.until_state("ev", "ev_w", &id, "Running");
    let (state, altered) = ctl.event("cfg");
    assert_eq!(
        altered,
        [vec!["desiredState.configs.cfg1".to_owned()], vec![], vec![]]
    );
    assert_eq!(state["desiredState"]["configs"]["cfg1"], "one");

    // The config updated.
    let file = c.write("ev2.yaml", &with_configs(ev_w, "  cfg1: two\n"));
    c.ank_ok(&["apply", &file]);
    for sub in ["ev", "cfg"] {
        let (state, altered) = ctl.change(sub);
        assert_eq!(
            altered,
            [vec![], vec!["desiredState.configs.cfg1".to_owned()], vec![]],
            "{sub}"
        );
        assert_eq!(state["desiredState"]["configs"]["cfg1"], "two");
    }

    // The workload deleted: first from the desired state, then its states as it stops.
    c.ank_ok(&["delete", "workload", "ev_w"]);
    let (_, altered) = ctl.change("ev");
    assert_eq!(
        altered,
        [
            vec![],
            vec![],
            vec!["desiredState.workloads.ev_w".to_owned()]
        ]
    );
    let gone = format!("workloadStates.{AGENT}.ev_w");
    loop {
        let (state, altered) = ctl.change("ev");
        if altered[2].contains(&gone) {
            assert_eq!(altered, [vec![], vec![], vec![gone.clone()]]);
            assert!(state["workloadStates"][AGENT]["ev_w"].is_null(), "{state}");
            break;
        }
        let prefix = format!("{gone}.{id}.");
        assert!(
            altered[1].iter().all(|p| p.starts_with(&prefix)) && altered[0].is_empty(),
            "{altered:?}"
        );
    }

    // The config deleted.
    c.ank_ok(&["delete", "config", "cfg1"]);
    for sub in ["ev", "cfg"] {
        let (_, altered) = ctl.change(sub);
        assert_eq!(
            altered,
            [vec![], vec![], vec!["desiredState.configs.cfg1".to_owned()]],
            "{sub}"
        );
    }

    // Agents: tags set through the interface itself, an agent connecting and leaving.
    assert!(matches!(
        ctl.request("tags", set_tags(&[("zone", "test"), ("role", "watch")])),
        ResponseContent::UpdateStateSuccess(_)
    ));
    let (state, altered) = ctl.change("ev");
    assert_eq!(
        altered,
        [vec![format!("agents.{AGENT}.tags.role")], vec![], vec![]]
    );
    assert_eq!(state["agents"][AGENT]["tags"]["role"], "watch", "{state}");
    c.start_agent("agent_B", "zone=b");
    let (state, altered) = ctl.change("ev");
    assert_eq!(altered, [vec!["agents.agent_B".to_owned()], vec![], vec![]]);
    assert_eq!(state["agents"]["agent_B"]["tags"]["zone"], "b", "{state}");
    c.kill_agent("agent_B");
    let (_, altered) = ctl.change("ev");
    assert_eq!(altered, [vec![], vec![], vec!["agents.agent_B".to_owned()]]);

    // Cancelled subscriptions send nothing more: the next message is the answer to a get.
    for sub in ["ev", "cfg"] {
        let cancel = RequestContent::EventsCancelRequest(pb::EventsCancelRequest {});
        assert!(matches!(
            ctl.request(sub, cancel),
            ResponseContent::EventsCancelAccepted(_)
        ));
    }
    ctl.stash.clear();
    let file = c.write("ev3.yaml", &with_configs(String::new(), "  cfg1: three\n"));
    c.ank_ok(&["apply", &file]);
    c.ank_ok(&["delete", "config", "cfg1"]);
    ctl.send(request("after", get(&["desiredState.configs"], false)));
    match ctl.next() {
        FromAnkaiosEnum::Response(r) => assert_eq!(r.request_id, "after", "{r:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_subscriber_that_reads_gets_every_event_of_a_burst() {
    let c = cluster();
    apply(
        &c,
        "ctl.yaml",
        &[workload(&c, "burst_watcher", &allow_all(), &[])],
    );
    let mut ctl = connect(&c, "burst_watcher");
    assert!(matches!(
        ctl.request("ev", get(&["workloadStates"], true)),
        ResponseContent::CompleteStateResponse(_)
    ));
    let count = 200;
    let mut manifest = String::from("apiVersion: v1\nworkloads:\n");
    for i in 0..count {
        manifest += &workload(&c, &format!("burst_{i}"), &[], &[]);
    }
    let file = c.write("burst.yaml", &manifest);
    let out = c.ank(&["--no-wait", "apply", &file]);
    assert!(out.status.success(), "{}", describe(&out));
    // Every workload's Running(Ok) reaches the subscriber.
    let mut running = std::collections::BTreeSet::new();
    while running.len() < count {
        let (state, _) = ctl.event("ev");
        if let Some(workloads) = state["workloadStates"][AGENT].as_object() {
            for (name, ids) in workloads {
                let up = ids
                    .as_object()
                    .is_some_and(|ids| ids.values().any(|s| s["state"] == "Running"));
                if up && name.starts_with("burst_") {
                    running.insert(name.clone());
                }
            }
        }
    }
    // And every removal.
    let out = c.ank(&["--no-wait", "delete", "-f", &file]);
    assert!(out.status.success(), "{}", describe(&out));
    let mut removed = std::collections::BTreeSet::new();
    while removed.len() < count {
        let (_, [_, _, gone]) = ctl.event("ev");
        for path in gone {
            if let Some(name) = path.strip_prefix(&format!("workloadStates.{AGENT}.")) {
                removed.insert(name.to_owned());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Logs.

/// The lines of `LogEntriesResponse`s of request `id` until the first `LogsStopResponse`, which
/// must name `workload`.
fn logs_until_stop(ctl: &mut Control, id: &str, workload: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        match ctl.answer(id) {
            ResponseContent::LogEntriesResponse(entries) => {
                for entry in entries.log_entries {
                    let name = entry.workload_name.unwrap_or_default();
                    assert_eq!(name.workload_name, workload, "{}", entry.message);
                    lines.push(entry.message);
                }
            }
            ResponseContent::LogsStopResponse(stop) => {
                let name = stop.workload_name.unwrap_or_default();
                assert_eq!(name.workload_name, workload);
                return lines;
            }
            other => panic!("logs {id}: {other:?}"),
        }
    }
}

#[test]
fn logs_only_of_the_workloads_a_log_rule_allows() {
    let c = cluster();
    let ticker_pid = c.path("ticker.pid");
    let ticker = format!(
        "  logger_ticker:\n    runtime: native\n    agent: {AGENT}\n    runtimeConfig: |\n      command: [sh, -c, 'echo $$ > {ticker_pid}; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done']\n"
    );
    apply(
        &c,
        "logs.yaml",
        &[
            workload(&c, "logger_pub", &[], &[]),
            workload(&c, "logger_secret", &[], &[]),
            workload(&c, "other", &[], &[]),
            ticker,
            workload(
                &c,
                "reader",
                &[log_rule(&["logger_*"])],
                &[log_rule(&["logger_secret"])],
            ),
        ],
    );
    let mut ctl = connect(&c, "reader");
    let public = instance_name(&c, "logger_pub");
    let secret = instance_name(&c, "logger_secret");
    let other = instance_name(&c, "other");

    match ctl.request("pub", logs(std::slice::from_ref(&public), false)) {
        ResponseContent::LogsRequestAccepted(a) => {
            assert_eq!(a.workload_names, vec![public.clone()]);
        }
        other => panic!("logs of logger_pub: {other:?}\n{}", c.logs()),
    }
    let lines = logs_until_stop(&mut ctl, "pub", "logger_pub");
    assert_eq!(lines, ["hello from logger_pub"], "{}", c.logs());

    ctl.denied("secret", logs(std::slice::from_ref(&secret), false));
    ctl.denied("both", logs(&[public.clone(), secret], false));
    ctl.denied("other", logs(&[other], false));
    // A log rule allows no state.
    ctl.denied("state", get(&["workloadStates"], false));

    // Followed logs: lines as they come, a stop when the workload goes.
    let ticker = instance_name(&c, "logger_ticker");
    assert!(matches!(
        ctl.request("follow", logs(std::slice::from_ref(&ticker), true)),
        ResponseContent::LogsRequestAccepted(_)
    ));
    let mut ticks = Vec::new();
    while ticks.len() < 3 {
        match ctl.answer("follow") {
            ResponseContent::LogEntriesResponse(entries) => {
                ticks.extend(entries.log_entries.into_iter().map(|e| e.message));
            }
            other => panic!("follow: {other:?}"),
        }
    }
    assert_eq!(ticks[..3], ["tick 1", "tick 2", "tick 3"]);
    // Cancelled: accepted, and nothing more of it comes.
    let cancel = RequestContent::LogsCancelRequest(pb::LogsCancelRequest {});
    assert!(matches!(
        ctl.request("follow", cancel),
        ResponseContent::LogsCancelAccepted(_)
    ));
    ctl.stash.clear();
    std::thread::sleep(Duration::from_millis(500));
    ctl.send(request("after", get(&[], false)));
    match ctl.next() {
        FromAnkaiosEnum::Response(r) => {
            assert_eq!(r.request_id, "after", "{r:?}");
            assert!(matches!(
                r.response_content,
                Some(ResponseContent::Error(_))
            ));
        }
        other => panic!("{other:?}"),
    }

    // Followed again, then the workload deleted: its stop ends the request.
    assert!(matches!(
        ctl.request("again", logs(std::slice::from_ref(&ticker), true)),
        ResponseContent::LogsRequestAccepted(_)
    ));
    assert!(matches!(
        ctl.answer("again"),
        ResponseContent::LogEntriesResponse(_)
    ));
    c.ank_ok(&["delete", "workload", "logger_ticker"]);
    logs_until_stop(&mut ctl, "again", "logger_ticker");
}

// ---------------------------------------------------------------------------------------------
// The interface follows the rules.

#[test]
fn the_interface_goes_with_the_allow_rules_and_comes_back_with_them() {
    let c = cluster();
    apply(&c, "on.yaml", &[workload(&c, "ctl", &allow_all(), &[])]);
    let dir = interface_dir(&c, "ctl");
    let mut ctl = connect(&c, "ctl");
    ctl.get("before", &["workloadStates"]);

    // Without allow rules: no folder, and the agent closes its end.
    apply(&c, "off.yaml", &[workload(&c, "ctl", &[], &[])]);
    ctl.expect_eof();
    assert!(!dir.exists(), "{} still there", dir.display());
    assert_eq!(interface_dir(&c, "ctl"), dir, "the same instance");
    let table = c.ank_ok(&["get", "workloads"]);
    assert_eq!(
        e2e_support::row(&table, "ctl").and_then(|r| r.get(3).copied()),
        Some("Running(Ok)"),
        "{table}"
    );

    // Deny rules alone make no interface either.
    let deny = [state_rule("ReadWrite", &["*"])];
    apply(&c, "deny.yaml", &[workload(&c, "ctl", &[], &deny)]);
    assert!(!dir.exists(), "{} made for deny rules", dir.display());

    // Allowed again: a fresh interface under the new rules.
    let read = [state_rule("Read", &["workloadStates"])];
    apply(&c, "read.yaml", &[workload(&c, "ctl", &read, &[])]);
    let mut ctl = connect(&c, "ctl");
    ctl.get("again", &["workloadStates"]);
    ctl.denied(
        "write",
        update(with_workload("x"), &["desiredState.workloads.x"]),
    );
}

#[test]
fn after_an_agent_restart_the_workload_says_hello_again_and_is_served() {
    let mut c = cluster();
    apply(&c, "ctl.yaml", &[workload(&c, "ctl", &allow_all(), &[])]);
    let dir = interface_dir(&c, "ctl");
    let mut ctl = connect(&c, "ctl");
    ctl.get("before", &["workloadStates"]);

    // The agent dies: its writer on input goes, which an SDK takes for "agent gone".
    c.kill_agent(AGENT);
    ctl.expect_eof();
    c.start_agent(AGENT, "zone=test");
    c.eventually("ctl adopted", &["get", "workloads"], |table| {
        e2e_support::row(table, "ctl").and_then(|r| r.get(3).copied()) == Some("Running(Ok)")
    });
    assert_eq!(interface_dir(&c, "ctl"), dir, "the same instance, adopted");

    // As the SDKs do: open the FIFOs again and say Hello.
    let mut again = Control::open(&dir);
    again.hello();
    let state = again.get("after", &[&format!("workloadStates.{AGENT}.ctl")]);
    assert!(state["workloadStates"][AGENT]["ctl"].is_object(), "{state}");
}

// ---------------------------------------------------------------------------------------------
// Bad input.

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// A protobuf varint.
fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(value, &mut out);
    out
}

#[test]
fn bad_input_closes_one_interface_and_the_others_keep_working() {
    let c = cluster();
    let rules = allow_all();
    let names = [
        "bystander",
        "garbage",
        "bad_prefix",
        "ignored",
        "truncated",
        "huge",
        "flood",
    ];
    let workloads: Vec<String> = names.iter().map(|n| workload(&c, n, &rules, &[])).collect();
    apply(&c, "bad.yaml", &workloads);
    let agent = c.agent_pid(AGENT);
    let mut bystander = connect(&c, "bystander");
    let mut check_bystander = |what: &str| {
        let state = bystander.get(what, &[&format!("workloadStates.{AGENT}.bystander")]);
        assert!(
            state["workloadStates"][AGENT]["bystander"].is_object(),
            "{what}: {state}"
        );
    };

    // Bytes that are no protobuf, before Hello.
    let mut garbage = Control::open(&interface_dir(&c, "garbage"));
    garbage.write(&[0x03, 0xff, 0xff, 0xff]).expect("write");
    assert_eq!(garbage.closed(), "Could not decode protobuf data");
    check_bystander("after garbage");

    // A length prefix that never ends.
    let mut bad_prefix = Control::open(&interface_dir(&c, "bad_prefix"));
    bad_prefix.write(&[0xff; 11]).expect("write");
    assert_eq!(bad_prefix.closed(), "Could not decode protobuf data");

    // After Hello, an undecodable frame and an empty message are ignored.
    let mut ignored = connect(&c, "ignored");
    ignored
        .write(&[0x03, 0xff, 0xff, 0xff, 0x00])
        .expect("write");
    ignored.get("still", &["workloadStates"]);
    assert!(ignored.stash.is_empty(), "{:?}", ignored.stash);

    // A truncated frame: the writer goes away mid-frame, the part is dropped and a new writer
    // starts a new session.
    let mut truncated = connect(&c, "truncated");
    let mut frame =
        request("cut", get(&["workloadStates"], false)).encode_length_delimited_to_vec();
    frame.truncate(frame.len() / 2);
    truncated.write(&frame).expect("write");
    // Give the agent the moment to read the EOF before a new writer appears (a writer that
    // comes earlier continues the old session).
    truncated.output = None;
    std::thread::sleep(Duration::from_millis(500));
    truncated.reopen_output();
    truncated.hello();
    truncated.get("whole", &["workloadStates"]);
    check_bystander("after a truncated frame");

    // A 2 GiB length prefix, followed by a few MiB: refused before anything is allocated.
    let before = rss_kib(agent);
    let mut huge = connect(&c, "huge");
    let mut bytes = varint(2 * 1024 * 1024 * 1024);
    bytes.extend(vec![0x2a; 4 * 1024 * 1024]);
    // The agent stops reading, so the write ends with EPIPE.
    let _ = huge.write(&bytes);
    assert_eq!(
        huge.closed(),
        "Message of 2147483648 bytes exceeds the limit of 4194304 bytes"
    );
    let after = rss_kib(agent);
    assert!(
        after < before + 8 * 1024,
        "the agent grew from {before} KiB to {after} KiB"
    );
    check_bystander("after a huge prefix");

    // A flood of requests written at once: each gets exactly one answer, the state or a
    // refusal, and the interface stays open.
    let mut flood = connect(&c, "flood");
    let count = 2000;
    let mut bytes = Vec::new();
    for i in 0..count {
        bytes.extend(
            request(&format!("f{i}"), get(&["workloadStates"], false))
                .encode_length_delimited_to_vec(),
        );
    }
    flood.write(&bytes).expect("write the flood");
    check_bystander("during a flood");
    let mut answered = std::collections::BTreeMap::new();
    let (mut states, mut refused) = (0, 0);
    while answered.len() < count {
        let FromAnkaiosEnum::Response(r) = flood.next() else {
            panic!("only responses expected");
        };
        match r.response_content {
            Some(ResponseContent::CompleteStateResponse(_)) => states += 1,
            Some(ResponseContent::Error(e)) if e.message == "too many requests" => refused += 1,
            other => panic!("flood answer: {other:?}"),
        }
        assert!(
            answered.insert(r.request_id.clone(), ()).is_none(),
            "{} answered twice",
            r.request_id
        );
    }
    assert_eq!(states + refused, count);
    assert!(states > 0);
    eprintln!("flood of {count}: {states} answered, {refused} refused");
    flood.get("after the flood", &["workloadStates"]);
    check_bystander("after a flood");
    let after = rss_kib(agent);
    assert!(
        after < before + 16 * 1024,
        "the agent grew from {before} KiB to {after} KiB"
    );

    // The agent is up and still starts workloads.
    assert!(alive(agent), "the agent died\n{}", c.logs());
    apply(&c, "later.yaml", &[workload(&c, "later", &[], &[])]);
    let table = c.ank_ok(&["get", "workloads"]);
    assert_eq!(
        e2e_support::row(&table, "later").and_then(|r| r.get(3).copied()),
        Some("Running(Ok)"),
        "{table}"
    );
}

// ---------------------------------------------------------------------------------------------
// A container.

const IMAGE: &str = "localhost/busybox:latest";
/// The agent of the podman test: its own name, since an agent that connects removes the
/// containers named after it that it does not know (those of other tests' `agent_A`).
const PODMAN_AGENT: &str = "agent_ctl_pm";

/// Removes the containers of these workloads now and on drop.
struct Containers(&'static [&'static str]);

impl Drop for Containers {
    fn drop(&mut self) {
        remove_containers_of(self.0);
    }
}

fn podman_workload(name: &str, allow: &[String]) -> String {
    let mut text = format!(
        "  {name}:\n    runtime: podman\n    agent: {PODMAN_AGENT}\n    runtimeConfig: |\n      image: {IMAGE}\n      commandArgs: [sh, -c, \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
    );
    if !allow.is_empty() {
        text += &format!(
            "    controlInterfaceAccess:\n      allowRules: [{}]\n",
            allow.join(", ")
        );
    }
    text
}

#[test]
fn a_container_finds_the_fifos_at_the_ankaios_path_and_gets_accepted() {
    if !podman(&["image", "exists", IMAGE]).status.success() {
        eprintln!(
            "\n\n!!!!! SKIPPED: podman or {IMAGE} missing: the control interface podman test did not run !!!!!\n\
             !!!!! run scripts/podman-setup.sh (the project's test command does)                      !!!!!\n"
        );
        return;
    }
    let containers = Containers(&["ci_pm", "ci_pm_none"]);
    remove_containers_of(containers.0);
    let mut c = Cluster::start();
    let conf = conf().display().to_string();
    c.start_agent_with_env(PODMAN_AGENT, "zone=pm", &[("CONTAINERS_CONF", &conf)]);
    apply(
        &c,
        "pm.yaml",
        &[
            podman_workload("ci_pm", &allow_all()),
            podman_workload("ci_pm_none", &[]),
        ],
    );
    let container = format!(
        "ci_pm.{}.{PODMAN_AGENT}",
        instance_id_on(&c, PODMAN_AGENT, "ci_pm")
    );
    let mount = "/run/ankaios/control_interface";

    let out = podman(&["exec", &container, "ls", mount]);
    assert!(out.status.success(), "ls: {}", describe(&out));
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, ["input", "output"]);

    // Hello from inside with busybox (the spec's bytes, in octal), the answer read back.
    let script = format!(
        "head -c 3 {mount}/input | od -An -tx1 & sleep 0.3; \
         printf '\\011\\012\\007\\022\\005\\061\\056\\060\\056\\060' > {mount}/output; wait"
    );
    let out = podman(&["exec", &container, "sh", "-c", &script]);
    assert!(
        out.status.success(),
        "hello: {}\n{}",
        describe(&out),
        c.logs()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "02 22 00");

    // Without allow rules, nothing is mounted.
    let other = format!(
        "ci_pm_none.{}.{PODMAN_AGENT}",
        instance_id_on(&c, PODMAN_AGENT, "ci_pm_none")
    );
    let out = podman(&["exec", &other, "test", "-e", mount]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));

    c.ank_ok(&["delete", "workload", "ci_pm", "ci_pm_none"]);
    drop(containers);
}

// ---------------------------------------------------------------------------------------------
// Rules are checked when they are applied.

#[test]
fn invalid_rules_are_refused_at_apply_from_the_cli_and_from_a_workload() {
    let c = cluster();
    let bad = [
        state_rule("Read", &[""]),
        state_rule("Read", &["desiredState..workloads"]),
        log_rule(&["a**"]),
    ];
    let manifest = format!(
        "apiVersion: v1\nworkloads:\n{}",
        workload(&c, "bad_rules", &bad, &[])
    );
    let file = c.write("bad_rules.yaml", &manifest);
    let out = c.ank(&["apply", &file]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for wanted in [
        "empty filter masks are not allowed in control interface access rules",
        "invalid filter mask 'desiredState..workloads'",
        "invalid workload name pattern 'a**'",
    ] {
        assert!(stderr.contains(wanted), "{wanted} missing: {stderr}");
    }

    // A workload allowed to write workloads is held to the same check.
    apply(
        &c,
        "writer.yaml",
        &[workload(&c, "writer", &allow_all(), &[])],
    );
    let mut ctl = connect(&c, "writer");
    let mut state = with_workload("sneaky");
    if let Some(w) = state.desired_state.workloads.get_mut("sneaky") {
        w.control_interface_access.allow_rules = vec![ank_model::AccessRule::StateRule {
            operation: ank_model::ReadWrite::Read,
            filter_masks: vec![String::new()],
        }];
    }
    match ctl.request("sneaky", update(state, &["desiredState.workloads.sneaky"])) {
        ResponseContent::Error(e) => assert!(
            e.message.starts_with("Update rejected:") && e.message.contains("empty filter masks"),
            "{}",
            e.message
        ),
        other => panic!("an invalid rule was accepted: {other:?}"),
    }
    let table = c.ank_ok(&["get", "workloads"]);
    assert!(e2e_support::row(&table, "bad_rules").is_none(), "{table}");
    assert!(e2e_support::row(&table, "sneaky").is_none(), "{table}");
}
