//! The `anchorage` messages between server and agents to and from [`crate::assign`] values.

use std::collections::BTreeMap;

use super::{add_condition_from_pb, add_condition_to_pb, restart_policy_from_pb};
use super::{disconnect_policy_from_pb, disconnect_policy_to_pb};
use super::{restart_policy_to_pb, ConvertError, Result};
use crate::api;
use crate::assign::{AddedWorkload, DeletedWorkload, InstanceState, ServerHello, ServerMessage};
use crate::proto::anchorage as apb;
use crate::{AddCondition, ControlInterfaceAccess, File};

fn conditions_from_pb(map: BTreeMap<String, i32>) -> Result<BTreeMap<String, AddCondition>> {
    map.into_iter()
        .map(|(k, v)| Ok((k, add_condition_from_pb(v)?)))
        .collect()
}

fn conditions_to_pb(map: BTreeMap<String, AddCondition>) -> BTreeMap<String, i32> {
    map.into_iter()
        .map(|(k, v)| (k, add_condition_to_pb(v) as i32))
        .collect()
}

impl From<AddedWorkload> for apb::AddedWorkload {
    fn from(w: AddedWorkload) -> Self {
        apb::AddedWorkload {
            instance_name: Some(w.instance.into()),
            runtime: w.runtime,
            runtime_config: w.runtime_config,
            restart_policy: restart_policy_to_pb(w.restart_policy) as i32,
            dependencies: conditions_to_pb(w.dependencies),
            tags: w.tags,
            control_interface_access: Some(w.control_interface_access.into()),
            files: w.files.into_iter().map(Into::into).collect(),
            disconnect_policy: disconnect_policy_to_pb(w.disconnect_policy),
        }
    }
}

impl TryFrom<apb::AddedWorkload> for AddedWorkload {
    type Error = ConvertError;
    fn try_from(w: apb::AddedWorkload) -> Result<Self> {
        Ok(AddedWorkload {
            instance: w
                .instance_name
                .ok_or(ConvertError::Missing("instanceName"))?
                .into(),
            runtime: w.runtime,
            runtime_config: w.runtime_config,
            restart_policy: restart_policy_from_pb(w.restart_policy)?,
            dependencies: conditions_from_pb(w.dependencies)?,
            tags: w.tags,
            files: w.files.into_iter().map(File::from).collect(),
            control_interface_access: w
                .control_interface_access
                .map(ControlInterfaceAccess::try_from)
                .transpose()?
                .unwrap_or_default(),
            disconnect_policy: disconnect_policy_from_pb(w.disconnect_policy)?,
        })
    }
}

impl From<DeletedWorkload> for apb::DeletedWorkload {
    fn from(w: DeletedWorkload) -> Self {
        apb::DeletedWorkload {
            instance_name: Some(w.instance.into()),
            dependencies: conditions_to_pb(w.dependents),
        }
    }
}

impl TryFrom<apb::DeletedWorkload> for DeletedWorkload {
    type Error = ConvertError;
    fn try_from(w: apb::DeletedWorkload) -> Result<Self> {
        Ok(DeletedWorkload {
            instance: w
                .instance_name
                .ok_or(ConvertError::Missing("instanceName"))?
                .into(),
            dependents: conditions_from_pb(w.dependencies)?,
        })
    }
}

/// One instance's state on the wire.
pub fn instance_state_to_pb((instance, state): InstanceState) -> apb::WorkloadState {
    apb::WorkloadState {
        instance_name: Some(instance.into()),
        execution_state: Some(state.into()),
    }
}

/// One instance's state from the wire; a message missing either part is an error.
pub fn instance_state_from_pb(s: apb::WorkloadState) -> Result<InstanceState> {
    let instance = s
        .instance_name
        .ok_or(ConvertError::Missing("instanceName"))?
        .into();
    let state = s
        .execution_state
        .ok_or(ConvertError::Missing("executionState"))?
        .try_into()?;
    Ok((instance, state))
}

/// Converts every item, keeping the ones that convert and the errors of the others: one bad
/// workload in a message must not hide the rest from the agent (the caller logs the errors).
fn each<P, D>(
    items: Vec<P>,
    convert: impl Fn(P) -> Result<D>,
    errors: &mut Vec<ConvertError>,
) -> Vec<D> {
    items
        .into_iter()
        .filter_map(|item| convert(item).map_err(|e| errors.push(e)).ok())
        .collect()
}

/// The server's hello as the agent reads it, with the errors of the items it skipped.
pub fn server_hello_from_pb(hello: apb::ServerHello) -> (ServerHello, Vec<ConvertError>) {
    let mut errors = Vec::new();
    let hello = ServerHello {
        added: each(hello.added_workloads, AddedWorkload::try_from, &mut errors),
        states: each(hello.workload_states, instance_state_from_pb, &mut errors),
        keep_unlisted: (hello.keep_unlisted_ms > 0)
            .then(|| std::time::Duration::from_millis(hello.keep_unlisted_ms)),
    };
    (hello, errors)
}

/// A server message after the hello as the agent reads it, with the errors of the items it
/// skipped; an error when the message as a whole is not one the agent can act on.
pub fn server_message_from_pb(
    message: apb::from_server::FromServerEnum,
) -> Result<(ServerMessage, Vec<ConvertError>)> {
    use apb::from_server::FromServerEnum as M;
    let mut errors = Vec::new();
    let message = match message {
        M::UpdateWorkload(u) => ServerMessage::Update {
            // Deletes first, as the server means them: an instance may go and come back.
            deleted: each(u.deleted_workloads, DeletedWorkload::try_from, &mut errors),
            added: each(u.added_workloads, AddedWorkload::try_from, &mut errors),
        },
        M::UpdateWorkloadState(u) => {
            ServerMessage::States(each(u.workload_states, instance_state_from_pb, &mut errors))
        }
        M::Response(r) => ServerMessage::Response(api::Response::try_from(r)?),
        M::LogsRequest(r) => ServerMessage::Logs(
            api::Request::try_from(r).map_err(|e| ConvertError::Request(Box::new(e)))?,
        ),
        M::ConnectionRefused(r) => ServerMessage::Refused(r.reason),
        M::Heartbeat(_) => ServerMessage::Heartbeat,
        M::ServerHello(_) => return Err(ConvertError::Unexpected("second ServerHello")),
    };
    Ok((message, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessRule, ExecutionState, ReadWrite, RestartPolicy, WorkloadInstanceName};

    fn instance() -> WorkloadInstanceName {
        WorkloadInstanceName::new("w\"[]é", "agent_A", "image: x")
    }

    #[test]
    fn an_added_workload_survives_the_wire() {
        let added = AddedWorkload {
            instance: instance(),
            runtime: "podman".into(),
            runtime_config: "image: x\n\u{7}".into(),
            restart_policy: RestartPolicy::OnFailure,
            dependencies: [("db".to_owned(), AddCondition::Succeeded)].into(),
            tags: [("k".to_owned(), "v".to_owned())].into(),
            files: vec![File {
                mount_point: "/a".into(),
                data: None,
                binary_data: Some("AAEC".into()),
            }],
            control_interface_access: ControlInterfaceAccess {
                allow_rules: vec![AccessRule::StateRule {
                    operation: ReadWrite::ReadWrite,
                    filter_masks: vec!["*".into()],
                }],
                deny_rules: vec![],
            },
            disconnect_policy: crate::DisconnectPolicy::StopAfter(std::time::Duration::from_secs(
                3,
            )),
        };
        let back = AddedWorkload::try_from(apb::AddedWorkload::from(added.clone()));
        assert_eq!(back.expect("converts"), added);
    }

    #[test]
    fn a_deleted_workload_and_a_state_survive_the_wire() {
        let deleted = DeletedWorkload {
            instance: instance(),
            dependents: [("web".to_owned(), AddCondition::Running)].into(),
        };
        let back = DeletedWorkload::try_from(apb::DeletedWorkload::from(deleted.clone()));
        assert_eq!(back.expect("converts"), deleted);
        let state = (instance(), ExecutionState::running());
        let back = instance_state_from_pb(instance_state_to_pb(state.clone()));
        assert_eq!(back.expect("converts"), state);
    }

    #[test]
    fn a_bad_item_is_skipped_and_reported_not_the_whole_message() {
        let good = AddedWorkload {
            instance: instance(),
            runtime: "native".into(),
            runtime_config: String::new(),
            restart_policy: RestartPolicy::Never,
            dependencies: BTreeMap::new(),
            tags: BTreeMap::new(),
            files: Vec::new(),
            control_interface_access: ControlInterfaceAccess::default(),
            disconnect_policy: crate::DisconnectPolicy::Keep,
        };
        let update = apb::from_server::FromServerEnum::UpdateWorkload(apb::UpdateWorkload {
            added_workloads: vec![apb::AddedWorkload::default(), good.clone().into()],
            deleted_workloads: vec![],
        });
        let (message, errors) = server_message_from_pb(update).expect("a message");
        assert_eq!(
            message,
            ServerMessage::Update {
                added: vec![good],
                deleted: vec![]
            }
        );
        assert_eq!(errors, [ConvertError::Missing("instanceName")]);
        let hello = apb::from_server::FromServerEnum::ServerHello(apb::ServerHello::default());
        assert!(server_message_from_pb(hello).is_err());
    }

    #[test]
    fn missing_parts_and_unknown_numbers_are_errors() {
        assert!(AddedWorkload::try_from(apb::AddedWorkload::default()).is_err());
        assert!(DeletedWorkload::try_from(apb::DeletedWorkload::default()).is_err());
        assert!(instance_state_from_pb(apb::WorkloadState::default()).is_err());
        let bad = apb::AddedWorkload {
            instance_name: Some(instance().into()),
            restart_policy: 77,
            ..Default::default()
        };
        assert!(AddedWorkload::try_from(bad).is_err());
    }
}
