//! Which requests of a workload the agent forwards: the workload's [`Authorizer`] applied to
//! each kind of request as Ankaios applies it.

use ank_model::access::{Asks, Authorizer};
use ank_model::proto::ank_base::Request;

/// Whether `request` may be forwarded: a state read by its field masks, a state write by its
/// update masks, logs by the workload names; cancels always; a request without content never.
pub fn allowed(authorizer: &Authorizer, request: &Request) -> bool {
    authorizer.allows(Asks::from(request))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ank_model::proto::ank_base::{self as pb, request::RequestContent};
    use ank_model::{AccessRule, ControlInterfaceAccess, ReadWrite};

    fn authorizer() -> Authorizer {
        Authorizer::new(&ControlInterfaceAccess {
            allow_rules: vec![
                AccessRule::StateRule {
                    operation: ReadWrite::Read,
                    filter_masks: vec!["desiredState.workloads".into()],
                },
                AccessRule::StateRule {
                    operation: ReadWrite::Write,
                    filter_masks: vec!["agents.a.tags".into()],
                },
                AccessRule::LogRule {
                    workload_names: vec!["log*".into()],
                },
            ],
            deny_rules: vec![AccessRule::StateRule {
                operation: ReadWrite::Read,
                filter_masks: vec!["desiredState.workloads.secret".into()],
            }],
        })
    }

    fn request(content: RequestContent) -> Request {
        Request {
            request_id: "1".into(),
            request_content: Some(content),
        }
    }

    fn read(masks: &[&str]) -> Request {
        request(RequestContent::CompleteStateRequest(
            pb::CompleteStateRequest {
                field_mask: masks.iter().map(|m| (*m).to_owned()).collect(),
                subscribe_for_events: false,
            },
        ))
    }

    fn logs(names: &[&str]) -> Request {
        let workload_names = names
            .iter()
            .map(|n| pb::WorkloadInstanceName {
                workload_name: (*n).to_owned(),
                agent_name: "a".into(),
                id: "x".into(),
            })
            .collect();
        request(RequestContent::LogsRequest(pb::LogsRequest {
            workload_names,
            ..Default::default()
        }))
    }

    #[test]
    fn each_request_kind_uses_its_rules() {
        let auth = authorizer();
        assert!(allowed(&auth, &read(&["desiredState.workloads.w"])));
        assert!(!allowed(&auth, &read(&["desiredState.workloads.secret"])));
        assert!(!allowed(&auth, &read(&[])));
        let write = |mask: &str| {
            request(RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
                update_mask: vec![mask.to_owned()],
                ..Default::default()
            }))
        };
        assert!(allowed(&auth, &write("agents.a.tags.x")));
        assert!(!allowed(&auth, &write("desiredState.workloads.w")));
        assert!(allowed(&auth, &logs(&["logger"])));
        assert!(!allowed(&auth, &logs(&["logger", "other"])));
        assert!(allowed(&auth, &logs(&[])));
        let cancel = request(RequestContent::LogsCancelRequest(pb::LogsCancelRequest {}));
        assert!(allowed(&auth, &cancel));
        let cancel = request(RequestContent::EventsCancelRequest(
            pb::EventsCancelRequest {},
        ));
        assert!(allowed(&auth, &cancel));
        let empty = Request {
            request_id: "1".into(),
            request_content: None,
        };
        assert!(!allowed(&auth, &empty));
    }
}
