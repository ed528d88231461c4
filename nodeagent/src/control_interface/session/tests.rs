use super::*;
use crate::control_interface::framing::encode;
use ank_model::proto::ank_base as pb;
use ank_model::proto::control_api::Hello;
use ank_model::{AccessRule, ControlInterfaceAccess, ReadWrite};

const HELLO_1_0_0: [u8; 10] = [0x09, 0x0a, 0x07, 0x12, 0x05, 0x31, 0x2e, 0x30, 0x2e, 0x30];

fn session() -> Session {
    let access = ControlInterfaceAccess {
        allow_rules: vec![AccessRule::StateRule {
            operation: ReadWrite::ReadWrite,
            filter_masks: vec!["desiredState".into()],
        }],
        deny_rules: Vec::new(),
    };
    Session::new("w".into(), Authorizer::new(&access))
}

fn frame(message: &ToAnkaios) -> Vec<u8> {
    message.encode_to_vec()
}

fn hello(version: &str) -> Vec<u8> {
    frame(&ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Hello(Hello {
            protocol_version: version.into(),
        })),
    })
}

fn request(id: &str, content: RequestContent) -> Vec<u8> {
    frame(&ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Request(Request {
            request_id: id.into(),
            request_content: Some(content),
        })),
    })
}

fn get(mask: &str, subscribe: bool) -> RequestContent {
    RequestContent::CompleteStateRequest(pb::CompleteStateRequest {
        field_mask: vec![mask.into()],
        subscribe_for_events: subscribe,
    })
}

fn response(id: &str, content: ResponseContent) -> Response {
    Response {
        request_id: id.into(),
        response_content: Some(content),
    }
}

fn accepted() -> Action {
    Action::Send(from_ankaios(FromAnkaiosEnum::ControlInterfaceAccepted(
        ControlInterfaceAccepted {},
    )))
}

#[test]
fn test_vectors_hello_and_accepted() {
    assert_eq!(hello("1.0.0"), HELLO_1_0_0[1..]);
    let mut s = session();
    let action = s.on_frame(&HELLO_1_0_0[1..]);
    assert_eq!(action, accepted());
    let Action::Send(message) = action else {
        unreachable!()
    };
    assert_eq!(encode(&message), [0x02, 0x22, 0x00]);
}

#[test]
fn first_message_failures_close_with_ankaios_reasons() {
    assert_eq!(
        session().on_frame(&[0xff, 0xff, 0xff]),
        Action::Close(UNDECODABLE.into())
    );
    assert_eq!(
        session().on_frame(&request("1", get("desiredState", false))),
        Action::Close(HELLO_MISSING.into())
    );
    assert_eq!(session().on_frame(&[]), Action::Close(HELLO_MISSING.into()));
    for bad in ["2.0.0", "0.1.0", "1.0", "v1.0.0", "01.0.0", ""] {
        assert_eq!(
            session().on_frame(&hello(bad)),
            Action::Close(format!(
                "Unsupported protocol version '{bad}'. Currently supported '1'"
            )),
            "{bad}"
        );
    }
    for good in ["1.0.0", "1.1.0", "1.99.3-rc.1+build.5"] {
        assert_eq!(session().on_frame(&hello(good)), accepted(), "{good}");
    }
}

#[test]
fn later_hello_only_logs_unless_incompatible_and_garbage_is_ignored() {
    let mut s = session();
    assert_eq!(s.on_frame(&hello("1.0.0")), accepted());
    assert_eq!(s.on_frame(&hello("1.2.0")), Action::None);
    assert_eq!(s.on_frame(&[0xff, 0xff]), Action::None);
    assert_eq!(s.on_frame(&[]), Action::None);
    assert_eq!(
        s.on_frame(&hello("2.0.0")),
        Action::Close("Unsupported protocol version '2.0.0'. Currently supported '1'".into())
    );
}

#[test]
fn a_new_writer_must_say_hello_again() {
    let mut s = session();
    assert_eq!(s.on_frame(&hello("1.0.0")), accepted());
    s.on_writer_gone();
    assert_eq!(s.on_frame(&hello("1.0.0")), accepted());
}

#[test]
fn allowed_requests_are_forwarded_denied_ones_answered() {
    let mut s = session();
    s.on_frame(&hello("1.0.0"));
    let Action::Forward(forwarded) =
        s.on_frame(&request("r1", get("desiredState.workloads", false)))
    else {
        panic!("forwarded")
    };
    assert_eq!(forwarded.request_id, "r1");
    assert_eq!(
        s.on_frame(&request("r2", get("agents", false))),
        Action::Send(error("r2".into(), ACCESS_DENIED))
    );
    let empty = frame(&ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Request(Request {
            request_id: "r3".into(),
            request_content: None,
        })),
    });
    assert_eq!(
        s.on_frame(&empty),
        Action::Send(error("r3".into(), ACCESS_DENIED))
    );
}

#[test]
fn pending_requests_are_capped_and_released_by_their_answers() {
    let mut s = session();
    s.on_frame(&hello("1.0.0"));
    for i in 0..MAX_PENDING {
        let action = s.on_frame(&request(&i.to_string(), get("desiredState", i == 0)));
        assert!(matches!(action, Action::Forward(_)), "{i}");
    }
    assert_eq!(
        s.on_frame(&request("x", get("desiredState", false))),
        Action::Send(error("x".into(), TOO_MANY))
    );
    // A plain answer releases its request; an event does not release the subscription.
    let state = || ResponseContent::CompleteStateResponse(pb::CompleteStateResponse::default());
    s.on_response(response("1", state()));
    s.on_response(response("0", state()));
    assert!(matches!(
        s.on_frame(&request("y", get("desiredState", false))),
        Action::Forward(_)
    ));
    assert_eq!(
        s.on_frame(&request("z", get("desiredState", false))),
        Action::Send(error("z".into(), TOO_MANY))
    );
    // The cancel shares the subscription's id and does not count again.
    let cancel = RequestContent::EventsCancelRequest(pb::EventsCancelRequest {});
    assert!(matches!(
        s.on_frame(&request("0", cancel)),
        Action::Forward(_)
    ));
    s.on_response(response(
        "0",
        ResponseContent::EventsCancelAccepted(pb::EventsCancelAccepted {}),
    ));
    assert!(matches!(
        s.on_frame(&request("z", get("desiredState", false))),
        Action::Forward(_)
    ));
    s.on_server_gone();
    assert!(s.pending.is_empty());
}

#[test]
fn a_logs_request_waits_for_every_stop() {
    let mut s = Session::new(
        "w".into(),
        Authorizer::new(&ControlInterfaceAccess {
            allow_rules: vec![AccessRule::LogRule {
                workload_names: vec!["*".into()],
            }],
            deny_rules: Vec::new(),
        }),
    );
    s.on_frame(&hello("1.0.0"));
    let name = pb::WorkloadInstanceName {
        workload_name: "a".into(),
        agent_name: "x".into(),
        id: "1".into(),
    };
    let logs = RequestContent::LogsRequest(pb::LogsRequest {
        workload_names: vec![name.clone(), name.clone()],
        ..Default::default()
    });
    assert!(matches!(
        s.on_frame(&request("l", logs)),
        Action::Forward(_)
    ));
    let accepted = pb::LogsRequestAccepted {
        workload_names: vec![name.clone(), name.clone()],
    };
    s.on_response(response(
        "l",
        ResponseContent::LogsRequestAccepted(accepted),
    ));
    let stop = || {
        ResponseContent::LogsStopResponse(pb::LogsStopResponse {
            workload_name: Some(name.clone()),
        })
    };
    s.on_response(response("l", stop()));
    assert!(s.pending.contains_key("l"));
    let wrapped = s.on_response(response("l", stop()));
    assert!(!s.pending.contains_key("l"));
    assert!(matches!(
        wrapped.from_ankaios_enum,
        Some(FromAnkaiosEnum::Response(_))
    ));
}
