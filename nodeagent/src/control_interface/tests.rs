//! Interfaces with real FIFOs in a tempdir; the test plays the workload (and the server).

use std::time::Duration;

use super::*;
use ank_model::proto::ank_base as pb;
use ank_model::proto::control_api::{
    from_ankaios::FromAnkaiosEnum, to_ankaios::ToAnkaiosEnum, FromAnkaios, ToAnkaios,
};
use ank_model::{AccessRule, ReadWrite};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;

const HELLO_1_0_0: [u8; 10] = [0x09, 0x0a, 0x07, 0x12, 0x05, 0x31, 0x2e, 0x30, 0x2e, 0x30];

fn access(mask: &str) -> ControlInterfaceAccess {
    ControlInterfaceAccess {
        allow_rules: vec![AccessRule::StateRule {
            operation: ReadWrite::Read,
            filter_masks: vec![mask.into()],
        }],
        deny_rules: Vec::new(),
    }
}

fn instance(workload: &str) -> WorkloadInstanceName {
    WorkloadInstanceName::new(workload, "agent_A", "config")
}

/// The workload's ends of the FIFOs.
struct Workload {
    output: pipe::Sender,
    input: pipe::Receiver,
}

impl Workload {
    fn connect(dir: &Path) -> Workload {
        let input = pipe::OpenOptions::new()
            .open_receiver(dir.join(fifo::INPUT))
            .expect("input");
        // As ank-sdk-rust opens it: non-blocking, so it fails (ENXIO) unless the agent holds
        // a reader, which it must from the moment the interface exists.
        let output = pipe::OpenOptions::new()
            .open_sender(dir.join(fifo::OUTPUT))
            .expect("the agent holds a reader on output");
        Workload { output, input }
    }

    async fn write_raw(&mut self, bytes: &[u8]) {
        self.output.write_all(bytes).await.expect("write");
    }

    async fn send(&mut self, message: ToAnkaios) {
        let bytes = message.encode_length_delimited_to_vec();
        self.write_raw(&bytes).await;
    }

    async fn hello(&mut self) {
        self.write_raw(&HELLO_1_0_0).await;
        let mut accepted = [0u8; 3];
        self.read_exact(&mut accepted).await;
        assert_eq!(accepted, [0x02, 0x22, 0x00]);
    }

    async fn read_exact(&mut self, buf: &mut [u8]) {
        tokio::time::timeout(Duration::from_secs(5), self.input.read_exact(buf))
            .await
            .expect("an answer in time")
            .expect("read");
    }

    async fn recv(&mut self) -> FromAnkaiosEnum {
        let mut len = 0usize;
        for shift in (0..).step_by(7) {
            let mut byte = [0u8];
            self.read_exact(&mut byte).await;
            len |= usize::from(byte[0] & 0x7f) << shift;
            if byte[0] & 0x80 == 0 {
                break;
            }
        }
        let mut body = vec![0u8; len];
        self.read_exact(&mut body).await;
        FromAnkaios::decode(body.as_slice())
            .expect("valid")
            .from_ankaios_enum
            .expect("set")
    }

    async fn error(&mut self) -> (String, String) {
        match self.recv().await {
            FromAnkaiosEnum::Response(pb::Response {
                request_id,
                response_content: Some(pb::response::ResponseContent::Error(e)),
            }) => (request_id, e.message),
            other => panic!("not an error: {other:?}"),
        }
    }
}

fn get(id: &str, mask: &str) -> ToAnkaios {
    ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Request(pb::Request {
            request_id: id.into(),
            request_content: Some(RequestContent::CompleteStateRequest(
                pb::CompleteStateRequest {
                    field_mask: vec![mask.into()],
                    subscribe_for_events: false,
                },
            )),
        })),
    }
}

/// An interface of `workload` in `instance_dir` that may read `desiredState`.
fn open(cis: &mut ControlInterfaces, workload: &str, instance_dir: &Path) -> PathBuf {
    cis.ensure(&instance(workload), instance_dir, &access("desiredState"))
        .expect("created")
        .expect("has rules")
}

async fn next(cis: &mut ControlInterfaces) -> Outgoing {
    tokio::time::timeout(Duration::from_secs(5), cis.next())
        .await
        .expect("a request in time")
}

#[tokio::test]
async fn allowed_requests_go_out_prefixed_and_answers_come_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    let dir = open(&mut cis, "w", tmp.path());
    assert_eq!(dir, tmp.path().join("control_interface"));
    let mut workload = Workload::connect(&dir);
    workload.hello().await;

    workload.send(get("r1", "desiredState.workloads")).await;
    let outgoing = next(&mut cis).await;
    let (server, mut server_rx) = mpsc::channel(8);
    cis.forward(outgoing, Some(&server));
    let Some(ToServerEnum::Request(request)) =
        server_rx.recv().await.and_then(|m| m.to_server_enum)
    else {
        panic!("a request to the server")
    };
    assert_eq!(request.request_id, "w@r1");

    let answer = pb::Response {
        request_id: "w@r1".into(),
        response_content: Some(pb::response::ResponseContent::CompleteStateResponse(
            pb::CompleteStateResponse::default(),
        )),
    };
    cis.route(domain(answer), Some(&server));
    match workload.recv().await {
        FromAnkaiosEnum::Response(r) => assert_eq!(r.request_id, "r1"),
        other => panic!("{other:?}"),
    }

    // Denied locally; while disconnected an allowed one gets an error too.
    workload.send(get("r2", "agents")).await;
    assert_eq!(
        workload.error().await,
        ("r2".into(), "Access denied".into())
    );
    workload.send(get("r3", "desiredState")).await;
    let outgoing = next(&mut cis).await;
    cis.forward(outgoing, None);
    assert_eq!(workload.error().await, ("r3".into(), NOT_CONNECTED.into()));
    cis.shutdown().await;
    assert!(
        dir.join(fifo::INPUT).exists(),
        "files stay for the next agent"
    );
}

#[tokio::test]
async fn hostile_input_closes_one_interface_and_the_others_keep_serving() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    let dir_a = open(&mut cis, "a", &tmp.path().join("a"));
    let dir_b = open(&mut cis, "b", &tmp.path().join("b"));
    let mut wa = Workload::connect(&dir_a);
    let mut wb = Workload::connect(&dir_b);
    wa.hello().await;
    // A 2 GiB length prefix: refused with the limit, never allocated.
    let mut prefix = Vec::new();
    prost::encoding::encode_varint(2 * 1024 * 1024 * 1024, &mut prefix);
    wa.write_raw(&prefix).await;
    match wa.recv().await {
        FromAnkaiosEnum::ConnectionClosed(c) => assert_eq!(
            c.reason,
            "Message of 2147483648 bytes exceeds the limit of 4194304 bytes"
        ),
        other => panic!("{other:?}"),
    }
    // A truncated frame on b waits; b still answers once it is complete.
    wb.hello().await;
    let bytes = get("ok", "nope").encode_length_delimited_to_vec();
    wb.write_raw(&bytes[..3]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    wb.write_raw(&bytes[3..]).await;
    assert_eq!(wb.error().await, ("ok".into(), "Access denied".into()));
    // A flood: beyond the cap, refused.
    for i in 0..session::MAX_PENDING + 1 {
        wb.send(get(&i.to_string(), "desiredState")).await;
    }
    assert_eq!(
        wb.error().await,
        (session::MAX_PENDING.to_string(), session::TOO_MANY.into())
    );
    for _ in 0..session::MAX_PENDING {
        next(&mut cis).await;
    }
}

#[tokio::test]
async fn garbage_first_and_missing_hello_close_with_the_reasons() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    let dir = open(&mut cis, "w", tmp.path());
    let mut workload = Workload::connect(&dir);
    workload.write_raw(&[0x03, 0xff, 0xff, 0xff]).await;
    match workload.recv().await {
        FromAnkaiosEnum::ConnectionClosed(c) => {
            assert_eq!(c.reason, "Could not decode protobuf data");
        }
        other => panic!("{other:?}"),
    }
    // Recreating the interface (e.g. for a restart) serves a new session.
    open(&mut cis, "w", tmp.path());
    drop(workload);
    let mut workload = Workload::connect(&dir);
    workload.send(get("r", "desiredState")).await;
    match workload.recv().await {
        FromAnkaiosEnum::ConnectionClosed(c) => assert_eq!(c.reason, "Initial Hello missing!"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_restarted_workload_says_hello_again_on_the_same_fifos() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    let dir = open(&mut cis, "w", tmp.path());
    let mut workload = Workload::connect(&dir);
    workload.hello().await;
    drop(workload);
    // A restart takes a moment, in which the agent sees the EOF.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut workload = Workload::connect(&dir);
    workload.hello().await;
}

#[tokio::test]
async fn no_allow_rules_no_interface_and_changed_rules_recreate_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    let w = instance("w");
    let deny_only = ControlInterfaceAccess {
        allow_rules: Vec::new(),
        deny_rules: access("x").allow_rules,
    };
    assert!(cis
        .ensure(&w, tmp.path(), &deny_only)
        .expect("ok")
        .is_none());
    let dir = folder(tmp.path());
    assert!(!dir.exists());

    cis.ensure(&w, tmp.path(), &access("desiredState"))
        .expect("created");
    let mut workload = Workload::connect(&dir);
    workload.hello().await;
    // New rules: a new interface (new FIFOs), which applies them.
    cis.ensure(&w, tmp.path(), &access("agents"))
        .expect("recreated");
    drop(workload);
    let mut workload = Workload::connect(&dir);
    workload.hello().await;
    workload.send(get("r", "desiredState")).await;
    assert_eq!(workload.error().await, ("r".into(), "Access denied".into()));

    // Rules gone: the folder goes.
    cis.ensure(&w, tmp.path(), &deny_only).expect("removed");
    assert!(!dir.exists());
    cis.ensure(&w, tmp.path(), &access("agents"))
        .expect("again");
    cis.remove(&w);
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_burst_of_events_reaches_a_reading_workload_whole_and_in_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    let dir = open(&mut cis, "w", tmp.path());
    let mut workload = Workload::connect(&dir);
    workload.hello().await;
    // As the agent loop routes what the server sends: all at once, faster than the writer.
    let burst = 500;
    for i in 0..burst {
        let event = pb::Response {
            request_id: "w@ev".into(),
            response_content: Some(pb::response::ResponseContent::CompleteStateResponse(
                pb::CompleteStateResponse {
                    complete_state: None,
                    altered_fields: Some(pb::AlteredFields {
                        added_fields: vec![format!("e{i}")],
                        ..Default::default()
                    }),
                },
            )),
        };
        cis.route(domain(event), None);
    }
    for i in 0..burst {
        match workload.recv().await {
            FromAnkaiosEnum::Response(pb::Response {
                request_id,
                response_content: Some(pb::response::ResponseContent::CompleteStateResponse(r)),
            }) => {
                assert_eq!(request_id, "ev");
                let added = r.altered_fields.map(|a| a.added_fields);
                assert_eq!(added, Some(vec![format!("e{i}")]));
            }
            other => panic!("event {i}: {other:?}"),
        }
    }
    cis.shutdown().await;
}

fn log_entries(id: &str) -> pb::Response {
    pb::Response {
        request_id: id.into(),
        response_content: Some(pb::response::ResponseContent::LogEntriesResponse(
            pb::LogEntriesResponse::default(),
        )),
    }
}

async fn expect_logs_cancel(server_rx: &mut mpsc::Receiver<ToServer>, id: &str) {
    let message = tokio::time::timeout(Duration::from_secs(5), server_rx.recv())
        .await
        .expect("a message in time")
        .and_then(|m| m.to_server_enum);
    match message {
        Some(ToServerEnum::Request(pb::Request {
            request_id,
            request_content: Some(RequestContent::LogsCancelRequest(_)),
        })) => assert_eq!(request_id, id),
        other => panic!("not a logs cancel: {other:?}"),
    }
}

#[tokio::test]
async fn undeliverable_log_entries_are_cancelled_at_the_server() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    let (server, mut server_rx) = mpsc::channel(8);
    // No interface for the workload at all.
    cis.route(domain(log_entries("gone@l1")), Some(&server));
    expect_logs_cancel(&mut server_rx, "gone@l1").await;

    // A workload that stopped reading `input`: the write fails after its retries.
    let dir = open(&mut cis, "w", tmp.path());
    let mut workload = Workload::connect(&dir);
    workload.hello().await;
    let Workload { output, input } = workload;
    drop(input);
    cis.route(domain(log_entries("w@l2")), Some(&server));
    let outgoing = next(&mut cis).await;
    cis.forward(outgoing, Some(&server));
    expect_logs_cancel(&mut server_rx, "w@l2").await;
    drop(output);
}

/// CPU time (user + system, in clock ticks) of the calling thread.
fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
    // Fields after the command (which is in parentheses): utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

#[tokio::test]
async fn waiting_for_a_writer_or_for_the_rest_of_a_frame_costs_no_cpu() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cis = ControlInterfaces::default();
    // One interface nobody opened, one with a truncated frame from a writer that stays, one
    // whose writer left after a truncated frame.
    open(&mut cis, "idle", &tmp.path().join("idle"));
    let mut staying = Workload::connect(&open(&mut cis, "staying", &tmp.path().join("staying")));
    let mut leaving = Workload::connect(&open(&mut cis, "leaving", &tmp.path().join("leaving")));
    let bytes = get("r", "desiredState").encode_length_delimited_to_vec();
    for workload in [&mut staying, &mut leaving] {
        workload.hello().await;
        workload.write_raw(&bytes[..4]).await;
    }
    drop(leaving);
    let before = thread_cpu_ticks();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let spent = thread_cpu_ticks() - before;
    assert!(spent < 10, "{spent} ticks in 500 ms: a task is spinning");
    drop(staying);
}

/// A server answer as the connection hands it to the agent.
fn domain(response: Response) -> ank_model::api::Response {
    ank_model::api::Response::try_from(response).expect("a valid response")
}
