//! Fuzzing the wire: arbitrary bytes decoded as every protobuf message the server, the agent and
//! the CLI accept, then converted to domain values through `convert`; and valid-shaped messages
//! with hostile strings and unknown enum numbers (workload and agent names, runtime configs,
//! masks, control-interface requests) through the same conversions and on into what the server
//! does with them (masked update, validation). Nothing panics: a bad message is an error value.

#[path = "support/hostile.rs"]
mod hostile;

use ank_model::access::{Asks, Authorizer};
use ank_model::api;
use ank_model::convert::{instance_state_from_pb, server_hello_from_pb, server_message_from_pb};
use ank_model::mask::apply_update;
use ank_model::proto::anchorage::{
    from_server::FromServerEnum, to_server::ToServerEnum, FromServer, ToServer,
};
use ank_model::proto::ank_base as pb;
use ank_model::proto::control_api::{to_ankaios::ToAnkaiosEnum, FromAnkaios, ToAnkaios};
use ank_model::validate::validate_state;
use ank_model::{AccessRule, CompleteState, ControlInterfaceAccess, ReadWrite, State};
use pb::request::RequestContent;
use proptest::prelude::*;
use prost::Message;

/// What the server does with a request it accepts (CLI, or forwarded by an agent).
fn serve(request: pb::Request) {
    // As an agent judges a workload's request, with rules that allow every state path.
    let _ = everything().allows(Asks::from(&request));
    let Ok(api::Request { content, .. }) = api::Request::try_from(request) else {
        return;
    };
    if let api::RequestContent::UpdateState(update) = content {
        let _ = validate_state(&update.new_state.desired_state);
        let masked = apply_update(
            &State::default(),
            &update.new_state.desired_state,
            &update.update_mask,
        );
        if let Ok(next) = masked {
            let _ = validate_state(&next);
        }
    }
}

fn everything() -> Authorizer {
    Authorizer::new(&ControlInterfaceAccess {
        allow_rules: vec![AccessRule::StateRule {
            operation: ReadWrite::ReadWrite,
            filter_masks: vec!["*".into()],
        }],
        deny_rules: vec![],
    })
}

/// Decodes `bytes` as each accepted message and converts what decodes.
fn decode_everything(bytes: &[u8]) {
    if let Ok(m) = pb::Request::decode(bytes) {
        serve(m);
    }
    if let Ok(m) = pb::Response::decode(bytes) {
        let _ = api::Response::try_from(m);
    }
    if let Ok(m) = pb::CompleteState::decode(bytes) {
        let _ = CompleteState::try_from(m);
    }
    if let Ok(m) = pb::State::decode(bytes) {
        let _ = State::try_from(m);
    }
    if let Ok(ToServer {
        to_server_enum: Some(m),
    }) = ToServer::decode(bytes)
    {
        to_server(m);
    }
    if let Ok(FromServer {
        from_server_enum: Some(m),
    }) = FromServer::decode(bytes)
    {
        from_server(m);
    }
    if let Ok(ToAnkaios {
        to_ankaios_enum: Some(ToAnkaiosEnum::Request(r)),
    }) = ToAnkaios::decode(bytes)
    {
        serve(r);
    }
    let _ = FromAnkaios::decode(bytes);
}

/// The server's reading of an agent message.
fn to_server(message: ToServerEnum) {
    match message {
        ToServerEnum::UpdateWorkloadState(u) => {
            for s in u.workload_states {
                let _ = instance_state_from_pb(s);
            }
        }
        ToServerEnum::Request(r) => serve(r),
        ToServerEnum::Response(r) => {
            let _ = api::Response::try_from(r);
        }
        ToServerEnum::AgentHello(_)
        | ToServerEnum::AgentLoadStatus(_)
        | ToServerEnum::Heartbeat(_) => {}
    }
}

/// The agent's reading of a server message.
fn from_server(message: FromServerEnum) {
    match message {
        FromServerEnum::ServerHello(h) => {
            let _ = server_hello_from_pb(h);
        }
        other => {
            let _ = server_message_from_pb(other);
        }
    }
}

/// Enum numbers: the known ones and any other.
fn number() -> impl Strategy<Value = i32> {
    prop_oneof![3 => 0..6i32, 1 => any::<i32>()]
}

fn strings() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(hostile::name(), 0..3)
}

fn map<V: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = V>,
) -> impl Strategy<Value = std::collections::BTreeMap<String, V>> {
    prop::collection::btree_map(hostile::name(), value, 0..3)
}

fn rule() -> impl Strategy<Value = pb::AccessRightsRule> {
    use pb::access_rights_rule::AccessRightsRuleEnum as R;
    prop_oneof![
        (number(), strings()).prop_map(|(operation, filter_masks)| R::StateRule(pb::StateRule {
            operation,
            filter_masks
        })),
        strings().prop_map(|workload_names| R::LogRule(pb::LogRule { workload_names })),
    ]
    .prop_map(|r| pb::AccessRightsRule {
        access_rights_rule_enum: Some(r),
    })
}

fn config_item() -> impl Strategy<Value = pb::ConfigItem> {
    use pb::config_item::ConfigItemEnum as C;
    let leaf = hostile::name().prop_map(|s| pb::ConfigItem {
        config_item_enum: Some(C::String(s)),
    });
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|values| C::Array(pb::ConfigArray { values })),
            map(inner).prop_map(|fields| C::Object(pb::ConfigObject { fields })),
            Just(C::Array(pb::ConfigArray::default())),
        ]
        .prop_map(|c| pb::ConfigItem {
            config_item_enum: Some(c),
        })
    })
}

fn workload() -> impl Strategy<Value = pb::Workload> {
    (
        (
            prop::option::of(hostile::name()),
            prop::option::of(number()),
            map(number()),
            prop::option::of(prop_oneof![
                prop::sample::select(vec!["native", "podman", "podman-kube"])
                    .prop_map(str::to_owned),
                hostile::name(),
            ]),
            prop::option::of(hostile::text()),
        ),
        (
            prop::collection::vec(rule(), 0..3),
            map(hostile::name()),
            prop::collection::vec((hostile::name(), prop::option::of(hostile::text())), 0..2),
            map(hostile::name()),
            prop::option::of((hostile::name(), prop::option::of(hostile::name()))),
        ),
    )
        .prop_map(
            |(
                (agent, restart, deps, runtime, config),
                (rules, configs, files, selector, policy),
            )| pb::Workload {
                agent,
                restart_policy: restart,
                dependencies: Some(pb::Dependencies { dependencies: deps }),
                tags: None,
                runtime,
                runtime_config: config,
                control_interface_access: Some(pb::ControlInterfaceAccess {
                    allow_rules: rules.clone(),
                    deny_rules: rules,
                }),
                configs: Some(pb::ConfigMappings { configs }),
                files: Some(pb::Files {
                    files: files
                        .into_iter()
                        .map(|(mount_point, data)| pb::File {
                            mount_point,
                            file_content: data.map(pb::file::FileContent::Data),
                        })
                        .collect(),
                }),
                node_selector: selector,
                disconnect_policy: policy
                    .map(|(action, after)| pb::DisconnectPolicy { action, after }),
            },
        )
}

fn state() -> impl Strategy<Value = pb::State> {
    (hostile::name(), map(workload()), map(config_item())).prop_map(
        |(api_version, workloads, configs)| pb::State {
            api_version,
            workloads: Some(pb::WorkloadMap { workloads }),
            configs: Some(pb::ConfigMap { configs }),
        },
    )
}

fn instance() -> impl Strategy<Value = pb::WorkloadInstanceName> {
    (hostile::name(), hostile::name(), hostile::name()).prop_map(
        |(workload_name, agent_name, id)| pb::WorkloadInstanceName {
            workload_name,
            agent_name,
            id,
        },
    )
}

fn request() -> impl Strategy<Value = pb::Request> {
    let content = prop_oneof![
        (state(), strings(), any::<bool>()).prop_map(|(s, update_mask, dry_run)| {
            RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
                new_state: Some(pb::CompleteState {
                    desired_state: Some(s),
                    ..Default::default()
                }),
                update_mask,
                dry_run,
            })
        }),
        (strings(), any::<bool>()).prop_map(|(field_mask, subscribe_for_events)| {
            RequestContent::CompleteStateRequest(pb::CompleteStateRequest {
                field_mask,
                subscribe_for_events,
            })
        }),
        (
            prop::collection::vec(instance(), 0..3),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<i32>()),
            prop::option::of(hostile::name())
        )
            .prop_map(|(workload_names, follow, tail, since)| {
                RequestContent::LogsRequest(pb::LogsRequest {
                    workload_names,
                    follow,
                    tail,
                    since,
                    until: None,
                })
            }),
        Just(RequestContent::LogsCancelRequest(pb::LogsCancelRequest {})),
        Just(RequestContent::EventsCancelRequest(
            pb::EventsCancelRequest {}
        )),
    ];
    (hostile::name(), prop::option::of(content)).prop_map(|(request_id, request_content)| {
        pb::Request {
            request_id,
            request_content,
        }
    })
}

/// Flips, cuts and extends an encoding: what a buggy or hostile peer would send.
fn mangle(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    for &(at, byte) in edits {
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] ^= byte;
        }
    }
    bytes.truncate(bytes.len().saturating_sub(cut));
    bytes
}

proptest! {
    #![proptest_config(hostile::config(128))]

    #[test]
    fn arbitrary_bytes_as_any_message_never_panic(bytes in hostile::bytes()) {
        decode_everything(&bytes);
    }

    #[test]
    fn hostile_requests_convert_or_fail_as_values(request in request()) {
        let bytes = request.encode_to_vec();
        let decoded = pb::Request::decode(&bytes[..]);
        prop_assert_eq!(decoded.as_ref(), Ok(&request));
        serve(request.clone());
        // As an agent forwards it, and as a workload writes it on its FIFO.
        to_server(ToServerEnum::Request(request.clone()));
        let from_workload = ToAnkaios { to_ankaios_enum: Some(ToAnkaiosEnum::Request(request)) };
        decode_everything(&from_workload.encode_to_vec());
    }

    #[test]
    fn mangled_hostile_messages_never_panic(
        request in request(),
        edits in prop::collection::vec((any::<usize>(), 1..=255u8), 0..4),
        cut in 0..8usize,
    ) {
        decode_everything(&mangle(request.encode_to_vec(), &edits, cut));
        let hello = FromServer {
            from_server_enum: Some(FromServerEnum::Response(pb::Response {
                request_id: request.request_id.clone(),
                response_content: Some(pb::response::ResponseContent::Error(pb::Error {
                    message: request.request_id,
                })),
            })),
        };
        decode_everything(&mangle(hello.encode_to_vec(), &edits, cut));
    }

    #[test]
    fn hostile_states_and_instances_for_the_agent_never_panic(
        s in state(),
        instances in prop::collection::vec((instance(), number(), prop::option::of(hostile::text())), 0..3),
    ) {
        let _ = State::try_from(s);
        let states: Vec<_> = instances
            .into_iter()
            .map(|(i, n, info)| ank_model::proto::anchorage::WorkloadState {
                instance_name: Some(i),
                execution_state: Some(pb::ExecutionState {
                    additional_info: info,
                    execution_state_enum: Some(pb::execution_state::ExecutionStateEnum::Failed(n)),
                }),
            })
            .collect();
        let update = ank_model::proto::anchorage::UpdateWorkloadState { workload_states: states.clone() };
        from_server(FromServerEnum::UpdateWorkloadState(update.clone()));
        to_server(ToServerEnum::UpdateWorkloadState(update));
        from_server(FromServerEnum::ServerHello(ank_model::proto::anchorage::ServerHello {
            added_workloads: vec![],
            workload_states: states,
            keep_unlisted_ms: u64::MAX,
        }));
    }
}

/// A config item nested past prost's recursion limit (100) is refused by the decoder, not a
/// stack overflow.
#[test]
fn config_items_nested_past_the_decoder_limit_are_refused() {
    use pb::config_item::ConfigItemEnum as C;
    let mut item = pb::ConfigItem {
        config_item_enum: Some(C::String("x".into())),
    };
    for _ in 0..150 {
        item = pb::ConfigItem {
            config_item_enum: Some(C::Array(pb::ConfigArray { values: vec![item] })),
        };
    }
    let bytes = item.encode_to_vec();
    assert!(pb::ConfigItem::decode(&bytes[..]).is_err());
}
