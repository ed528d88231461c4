//! Requests and responses survive the wire whatever their strings hold.

use super::*;
use crate::api::{
    CompleteStateRequest, CompleteStateResponse, LogEntry, LogsRequest, Request, RequestContent,
    Response, ResponseContent, UpdateStateRequest, UpdateStateSuccess,
};
use proptest::prelude::*;
use prost::Message;
use std::collections::BTreeMap;

/// Strings a peer may send: quotes, brackets, control characters, non-ASCII, mask and id
/// separators, the empty string and 10 000 characters.
fn hostile() -> BoxedStrategy<String> {
    let chars = prop::sample::select(vec![
        '"', '\'', '[', ']', '{', '}', '(', ')', '\0', '\n', '\r', '\t', '\u{1b}', '\u{7f}', 'ä',
        '€', '😀', '\u{202e}', '@', '.', '*', '\\', '/', ' ', 'a', 'Z', '0',
    ]);
    prop_oneof![
        4 => prop::collection::vec(chars, 0..24).prop_map(String::from_iter),
        2 => any::<String>(),
        1 => Just(String::new()),
        1 => prop::collection::vec(any::<char>(), 10_000).prop_map(String::from_iter),
    ]
    .boxed()
}

fn strings() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(hostile(), 0..4)
}

fn map() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(hostile(), hostile(), 0..3)
}

fn instance() -> impl Strategy<Value = WorkloadInstanceName> {
    (hostile(), hostile(), hostile()).prop_map(|(workload_name, agent_name, id)| {
        WorkloadInstanceName {
            workload_name,
            agent_name,
            id,
        }
    })
}

fn rule() -> impl Strategy<Value = AccessRule> {
    prop_oneof![
        (
            prop::sample::select(vec![
                ReadWrite::Nothing,
                ReadWrite::Read,
                ReadWrite::Write,
                ReadWrite::ReadWrite
            ]),
            strings()
        )
            .prop_map(|(operation, filter_masks)| AccessRule::StateRule {
                operation,
                filter_masks
            }),
        strings().prop_map(|workload_names| AccessRule::LogRule { workload_names }),
    ]
}

fn workload() -> impl Strategy<Value = Workload> {
    (
        (hostile(), hostile(), hostile(), map(), map()),
        (
            prop::collection::vec(rule(), 0..3),
            prop::collection::vec(rule(), 0..2),
            (hostile(), hostile(), any::<bool>()),
            map(),
        ),
    )
        .prop_map(
            |(
                (agent, runtime, runtime_config, tags, configs),
                (allow_rules, deny_rules, (mount_point, data, binary), node_selector),
            )| {
                let file = if binary {
                    File {
                        mount_point,
                        data: None,
                        binary_data: Some(data),
                    }
                } else {
                    File {
                        mount_point,
                        data: Some(data),
                        binary_data: None,
                    }
                };
                Workload {
                    agent,
                    runtime,
                    // The domain keeps it trimmed, as every reader does.
                    runtime_config: crate::state::trim_runtime_config(runtime_config),
                    tags,
                    configs,
                    control_interface_access: ControlInterfaceAccess {
                        allow_rules,
                        deny_rules,
                    },
                    files: vec![file],
                    node_selector,
                    ..Workload::default()
                }
            },
        )
}

fn config() -> impl Strategy<Value = ConfigItem> {
    hostile()
        .prop_map(ConfigItem::String)
        .prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(ConfigItem::Array),
                prop::collection::btree_map(hostile(), inner, 0..3).prop_map(ConfigItem::Object),
            ]
        })
}

fn state() -> impl Strategy<Value = State> {
    (
        hostile(),
        prop::collection::btree_map(hostile(), workload(), 0..2),
        prop::collection::btree_map(hostile(), config(), 0..2),
    )
        .prop_map(|(api_version, workloads, configs)| State {
            api_version,
            workloads,
            configs,
        })
}

fn complete() -> impl Strategy<Value = CompleteState> {
    let exec = (prop::sample::select(ExecState::ALL.to_vec()), hostile())
        .prop_map(|(state, info)| ExecutionState::with_info(state, info));
    let states = prop::collection::btree_map(
        hostile(),
        prop::collection::btree_map(
            hostile(),
            prop::collection::btree_map(hostile(), exec, 0..2),
            0..2,
        ),
        0..2,
    );
    let agents = prop::collection::btree_map(
        hostile(),
        (map(), any::<u32>(), any::<u64>()).prop_map(|(tags, cpu_usage, free_memory)| {
            AgentAttributes {
                tags,
                status: AgentStatus {
                    cpu_usage,
                    free_memory,
                },
            }
        }),
        0..2,
    );
    (state(), states, agents, prop::option::of(state())).prop_map(
        |(desired_state, workload_states, agents, effective_state)| CompleteState {
            desired_state,
            workload_states,
            agents,
            effective_state,
        },
    )
}

fn request() -> impl Strategy<Value = Request> {
    let content = prop_oneof![
        (complete(), strings(), any::<bool>()).prop_map(|(new_state, update_mask, dry_run)| {
            RequestContent::UpdateState(Box::new(UpdateStateRequest {
                new_state,
                update_mask,
                dry_run,
            }))
        }),
        (strings(), any::<bool>()).prop_map(|(field_mask, subscribe)| {
            RequestContent::CompleteState(CompleteStateRequest {
                field_mask,
                subscribe,
            })
        }),
        (
            prop::collection::vec(instance(), 0..3),
            any::<bool>(),
            any::<Option<i32>>(),
            prop::option::of(hostile()),
            prop::option::of(hostile()),
        )
            .prop_map(|(names, follow, tail, since, until)| {
                RequestContent::Logs(LogsRequest {
                    names,
                    follow,
                    tail,
                    since,
                    until,
                })
            }),
        Just(RequestContent::LogsCancel),
        Just(RequestContent::EventsCancel),
    ];
    (hostile(), content).prop_map(|(id, content)| Request { id, content })
}

fn response() -> impl Strategy<Value = Response> {
    let altered = (strings(), strings(), strings()).prop_map(|(added, updated, removed)| {
        crate::mask::AlteredFields {
            added,
            updated,
            removed,
        }
    });
    let content = prop_oneof![
        hostile().prop_map(ResponseContent::Error),
        (complete(), prop::option::of(altered)).prop_map(|(state, altered)| {
            ResponseContent::CompleteState(Box::new(CompleteStateResponse { state, altered }))
        }),
        (strings(), strings()).prop_map(|(added, deleted)| {
            ResponseContent::UpdateStateSuccess(UpdateStateSuccess { added, deleted })
        }),
        prop::collection::vec(instance(), 0..3).prop_map(ResponseContent::LogsRequestAccepted),
        prop::collection::vec(
            (instance(), hostile()).prop_map(|(workload, message)| LogEntry { workload, message }),
            0..3
        )
        .prop_map(ResponseContent::LogEntries),
        instance().prop_map(ResponseContent::LogsStop),
        Just(ResponseContent::LogsCancelAccepted),
        Just(ResponseContent::EventsCancelAccepted),
    ];
    (hostile(), content).prop_map(|(id, content)| Response { id, content })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn requests_survive_the_wire(original in request()) {
        let bytes = pb::Request::from(original.clone()).encode_to_vec();
        let wire = pb::Request::decode(bytes.as_slice()).expect("decodes");
        prop_assert_eq!(Request::try_from(wire), Ok(original));
    }

    #[test]
    fn responses_survive_the_wire(original in response()) {
        let bytes = pb::Response::from(original.clone()).encode_to_vec();
        let wire = pb::Response::decode(bytes.as_slice()).expect("decodes");
        prop_assert_eq!(Response::try_from(wire), Ok(original));
    }
}

#[test]
fn broken_requests_say_what_ankaios_says() {
    let no_content = pb::Request {
        request_id: "r".into(),
        request_content: None,
    };
    let err = Request::try_from(no_content).expect_err("no content");
    assert_eq!(err.id, "r");
    assert_eq!(
        err.error.to_string(),
        "The Request does not contain any content"
    );
    assert_eq!(err.error.update_mask(), None);

    let no_state = pb::Request {
        request_id: "r".into(),
        request_content: Some(pb::request::RequestContent::UpdateStateRequest(
            pb::UpdateStateRequest {
                new_state: None,
                update_mask: vec!["desiredState".into()],
                dry_run: false,
            },
        )),
    };
    let err = Request::try_from(no_state).expect_err("no state");
    assert_eq!(
        err.error.to_string(),
        "The UpdateStateRequest does not contain a new state"
    );
    assert_eq!(
        err.error.update_mask(),
        Some(&["desiredState".to_string()][..])
    );
}

#[test]
fn a_stop_without_a_name_is_an_error_not_a_panic() {
    let wire = pb::Response {
        request_id: "r".into(),
        response_content: Some(pb::response::ResponseContent::LogsStopResponse(
            pb::LogsStopResponse {
                workload_name: None,
            },
        )),
    };
    assert!(Response::try_from(wire).is_err());
    let empty = pb::Response::default();
    assert_eq!(
        Response::try_from(empty),
        Err(ConvertError::Missing("response content"))
    );
}
