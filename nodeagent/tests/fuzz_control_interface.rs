//! Fuzzing what a workload writes into its control interface FIFO: arbitrary bytes, valid
//! frames cut anywhere, huge declared lengths, and hostile requests, read by the agent's frame
//! decoder (varint length + protobuf, as Ankaios frames them) and its session. Nothing panics,
//! a lying length costs no memory, how the bytes are split does not matter, and at most
//! `MAX_PENDING` requests ever wait.

#[path = "../../model/tests/support/hostile.rs"]
mod hostile;

use std::collections::HashSet;

use ank_model::access::Authorizer;
use ank_model::proto::ank_base::{self as pb, request::RequestContent};
use ank_model::proto::control_api::{to_ankaios::ToAnkaiosEnum, Hello, ToAnkaios};
use ank_model::{AccessRule, ControlInterfaceAccess, ReadWrite};
use nodeagent::control_interface::framing::{Decoder, FrameError, MAX_FRAME};
use nodeagent::control_interface::session::{Action, Session, MAX_PENDING};
use proptest::prelude::*;
use prost::Message;

/// Feeds `bytes` in pieces of at most `step` (and at most what the decoder wants), as the FIFO
/// reader would; the frames read, and the error that ended the stream.
fn feed(bytes: &[u8], step: usize) -> (Vec<Vec<u8>>, Option<FrameError>) {
    let mut decoder = Decoder::default();
    let mut frames = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let wants = decoder.wants();
        assert!((1..=64 * 1024).contains(&wants), "wants {wants}");
        let n = wants.min(step.max(1)).min(rest.len());
        match decoder.push(&rest[..n]) {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => {}
            Err(e) => return (frames, Some(e)),
        }
        rest = &rest[n..];
    }
    (frames, None)
}

fn session() -> Session {
    let everything = AccessRule::StateRule {
        operation: ReadWrite::ReadWrite,
        filter_masks: vec!["*".into()],
    };
    Session::new(
        "w".into(),
        Authorizer::new(&ControlInterfaceAccess {
            allow_rules: vec![everything],
            deny_rules: vec![],
        }),
    )
}

fn hello() -> ToAnkaios {
    ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Hello(Hello {
            protocol_version: ank_model::ANKAIOS_VERSION.into(),
        })),
    }
}

/// A request with a hostile id and masks.
fn request() -> impl Strategy<Value = ToAnkaios> {
    (
        hostile::name(),
        prop::collection::vec(hostile::name(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(request_id, field_mask, subscribe_for_events)| ToAnkaios {
            to_ankaios_enum: Some(ToAnkaiosEnum::Request(pb::Request {
                request_id,
                request_content: Some(RequestContent::CompleteStateRequest(
                    pb::CompleteStateRequest {
                        field_mask,
                        subscribe_for_events,
                    },
                )),
            })),
        })
}

fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(value, &mut out);
    out
}

proptest! {
    #![proptest_config(hostile::config(128))]

    #[test]
    fn arbitrary_bytes_never_panic_and_splitting_does_not_matter(
        bytes in hostile::bytes(),
        step in 1..200usize,
    ) {
        let whole = feed(&bytes, usize::MAX);
        prop_assert_eq!(feed(&bytes, step), whole.clone());
        prop_assert_eq!(feed(&bytes, 1), whole.clone());
        let mut s = session();
        for frame in &whole.0 {
            let _ = s.on_frame(frame);
        }
    }

    #[test]
    fn hostile_requests_are_forwarded_at_most_max_pending_at_once(
        requests in prop::collection::vec(request(), 0..80),
        garbage in prop::collection::vec(hostile::bytes(), 0..4),
    ) {
        let mut wire = hello().encode_length_delimited_to_vec();
        for r in &requests {
            wire.extend(r.encode_length_delimited_to_vec());
        }
        for g in &garbage {
            // A frame of garbage: ignored once the session is accepted.
            wire.extend(varint(g.len() as u64));
            wire.extend(g);
        }
        let (frames, error) = feed(&wire, 4096);
        prop_assert!(error.is_none(), "{error:?}");
        prop_assert_eq!(frames.len(), 1 + requests.len() + garbage.len());
        let mut s = session();
        let mut waiting = HashSet::new();
        for (i, frame) in frames.iter().enumerate() {
            match s.on_frame(frame) {
                Action::Forward(r) => {
                    waiting.insert(r.request_id);
                }
                // Only a Hello (garbage may decode as one) with a wrong version closes.
                Action::Close(reason) => {
                    let hello = matches!(
                        ToAnkaios::decode(&frame[..]),
                        Ok(ToAnkaios { to_ankaios_enum: Some(ToAnkaiosEnum::Hello(_)) })
                    );
                    prop_assert!(hello, "frame {} closed the session: {}", i, reason);
                    break;
                }
                Action::Send(_) | Action::None => {}
            }
        }
        prop_assert!(waiting.len() <= MAX_PENDING, "{} waiting", waiting.len());
    }

    #[test]
    fn frames_cut_anywhere_wait_for_the_rest(
        requests in prop::collection::vec(request(), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut wire = Vec::new();
        let mut ends = Vec::new();
        for r in &requests {
            wire.extend(r.encode_length_delimited_to_vec());
            ends.push(wire.len());
        }
        let at = cut.index(wire.len());
        let (frames, error) = feed(&wire[..at], 7);
        prop_assert!(error.is_none());
        // Exactly the frames that end before the cut, each decoding as sent.
        prop_assert_eq!(frames.len(), ends.iter().filter(|&&e| e <= at).count());
        for (frame, sent) in frames.iter().zip(&requests) {
            prop_assert_eq!(&ToAnkaios::decode(&frame[..]).ok(), &Some(sent.clone()));
        }
    }

    #[test]
    fn huge_declared_lengths_are_refused_before_any_body(
        len in (MAX_FRAME + 1)..=u64::MAX,
        tail in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let prefix = varint(len);
        let mut wire = prefix.clone();
        wire.extend(&tail);
        let mut decoder = Decoder::default();
        let mut result = Ok(None);
        for byte in &prefix {
            result = decoder.push(std::slice::from_ref(byte));
        }
        prop_assert_eq!(result, Err(FrameError::TooLarge(len)));
        prop_assert_eq!(feed(&wire, 1).1, Some(FrameError::TooLarge(len)));
    }
}

/// The largest frame allowed is read; one byte more is refused from its prefix alone.
#[test]
fn the_frame_limit_is_exact() {
    let body = vec![0u8; MAX_FRAME as usize];
    let mut wire = varint(MAX_FRAME);
    wire.extend(&body);
    let (frames, error) = feed(&wire, usize::MAX);
    assert_eq!((frames.len(), error), (1, None));
    assert_eq!(frames[0].len(), body.len());
    let (frames, error) = feed(&varint(MAX_FRAME + 1), 1);
    assert_eq!(
        (frames.len(), error),
        (0, Some(FrameError::TooLarge(MAX_FRAME + 1)))
    );
}
