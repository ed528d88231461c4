//! How the actor answers a request, the same for the CLI and for a workload's control
//! interface (see control-interface.md §3): state queries with field masks, masked updates
//! (of the desired state and of agents' tags), event subscriptions and log requests. A
//! workload's request is judged first: the server does not trust the agent that forwards it.

use std::collections::BTreeMap;

use ank_model::access::{Asks, Authorizer};
use ank_model::api::{self, LogsRequest, Request, RequestContent, Response, ResponseContent};
use ank_model::convert::InvalidRequest;
use ank_model::{AgentAttributes, WorkloadInstanceName};

use crate::actor::Actor;
use crate::events::{state_response, ReplyTo, ResponseTx, Target};
use crate::state::UpdateError;

impl Actor {
    /// Answers one request.
    pub(crate) fn request(&mut self, request: Request, reply: ReplyTo) {
        let id = request.id;
        match request.content {
            RequestContent::UpdateState(update) => self.submit_update(id, *update, reply),
            RequestContent::CompleteState(query) => {
                let state = self.complete_for(&query.field_mask);
                let answer = state_response(&id, &state, &query.field_mask);
                if let Some(target) = self.answer(reply, answer) {
                    if query.subscribe {
                        self.subs.add(target, id, query.field_mask);
                    }
                }
            }
            RequestContent::Logs(logs) => self.logs_request(&id, logs, reply),
            RequestContent::LogsCancel => {
                let of = target_of(&reply);
                self.logs.end(&self.agents, |_, (t, rid)| {
                    rid == id && same(t, of.as_ref())
                });
                let accepted = Response::new(&id, ResponseContent::LogsCancelAccepted);
                self.answer(reply, accepted);
            }
            RequestContent::EventsCancel => {
                let of = target_of(&reply);
                self.subs.remove(|t, rid| rid == id && same(t, of.as_ref()));
                let accepted = Response::new(&id, ResponseContent::EventsCancelAccepted);
                self.answer(reply, accepted);
            }
        }
    }

    /// A control-interface request `agent` forwarded for one of its workloads (id
    /// `<workload>@<id>`). It is answered only when the workload exists, runs on that agent and
    /// its `controlInterfaceAccess` allows it; otherwise `Access denied`, as the agent would say.
    pub(crate) fn workload_request(
        &mut self,
        agent: String,
        request: Result<Request, InvalidRequest>,
    ) {
        let id = match &request {
            Ok(r) => r.id.clone(),
            Err(e) => e.id.clone(),
        };
        let workload = api::split_workload_id(&id).map_or("", |(w, _)| w);
        let authorizer = self
            .desired
            .instances
            .get(workload)
            .filter(|i| i.agent() == Some(agent.as_str()))
            .map(|i| Authorizer::new(&i.workload.control_interface_access));
        let allowed = authorizer.is_some_and(|auth| match &request {
            Ok(r) => auth.allows(Asks::from(&r.content)),
            // Judged as the agent judges it: on the update masks; no content is denied.
            Err(e) => e.error.update_mask().is_some_and(|m| auth.may_write(m)),
        });
        let target = Target::Agent {
            workload: workload.to_owned(),
            agent,
        };
        if !allowed {
            tracing::debug!(id, "refused a control-interface request");
            target.deliver(&self.agents, Response::error(id, api::ACCESS_DENIED));
            return;
        }
        match request {
            Ok(request) => self.request(request, ReplyTo::Target(target)),
            Err(e) => {
                target.deliver(&self.agents, Response::error(e.id, e.error.to_string()));
            }
        }
    }

    /// A `Subscribe` call: its answers go to the stream `id`.
    pub(crate) fn subscribe(&mut self, id: u64, request: Request, tx: ResponseTx) {
        self.request(request, ReplyTo::Target(Target::Stream { id, tx }));
    }

    /// The client dropped stream `id`: end its subscriptions and log requests.
    pub(crate) fn stream_gone(&mut self, id: u64) {
        self.subs.remove(|t, _| t.is_stream(id));
        self.logs.end(&self.agents, |_, (t, _)| t.is_stream(id));
    }

    /// Sends a response; gives the target back when it can take more.
    pub(crate) fn answer(&self, reply: ReplyTo, answer: Response) -> Option<Target> {
        match reply {
            ReplyTo::Once(tx) => {
                let _ = tx.send(answer);
                None
            }
            ReplyTo::Target(target) => target.deliver(&self.agents, answer).then_some(target),
        }
    }

    /// Accepts the names that are in the desired state (an empty `id` or `agentName` matches
    /// the current instance) and hands them to the log router.
    fn logs_request(&mut self, id: &str, request: LogsRequest, reply: ReplyTo) {
        let ReplyTo::Target(target) = reply else {
            self.answer(
                reply,
                Response::error(id, "logs are streamed: use the Subscribe call"),
            );
            return;
        };
        let mut kept: Vec<WorkloadInstanceName> = Vec::new();
        for wanted in &request.names {
            let Some(instance) = self.desired.instances.get(&wanted.workload_name) else {
                continue;
            };
            let name = &instance.name;
            let id_ok = wanted.id.is_empty() || wanted.id == name.id;
            let agent_ok = wanted.agent_name.is_empty() || wanted.agent_name == name.agent_name;
            if instance.agent().is_some() && id_ok && agent_ok && !kept.contains(name) {
                kept.push(name.clone());
            }
        }
        let accepted = ResponseContent::LogsRequestAccepted(kept.clone());
        let Some(target) = self.answer(ReplyTo::Target(target), Response::new(id, accepted)) else {
            return;
        };
        if !kept.is_empty() {
            self.logs.start(&self.agents, target, id, &request, kept);
        }
    }
}

/// The connected agents after applying `masks` (each `agents.<agent>.tags` or
/// `agents.<agent>.tags.<key>`) with the values of `new`; any other mask is an error naming it.
pub(crate) fn with_agent_tags(
    current: &BTreeMap<String, AgentAttributes>,
    new: &BTreeMap<String, AgentAttributes>,
    masks: &[String],
) -> Result<BTreeMap<String, AgentAttributes>, UpdateError> {
    let mut out = current.clone();
    for m in masks {
        let segments: Vec<&str> = m.split('.').collect();
        let (agent, key) = match segments.as_slice() {
            [_, agent, "tags"] => (*agent, None),
            [_, agent, "tags", key] => (*agent, Some(*key)),
            _ => return Err(UpdateError::UnsupportedMask(m.clone())),
        };
        let Some(attrs) = out.get_mut(agent) else {
            return Err(UpdateError::UnknownAgent(agent.to_owned()));
        };
        let tags = new.get(agent).map(|a| &a.tags);
        match key {
            None => attrs.tags = tags.cloned().unwrap_or_default(),
            Some(key) => match tags.and_then(|t| t.get(key)) {
                Some(value) => {
                    attrs.tags.insert(key.to_owned(), value.clone());
                }
                None => {
                    attrs.tags.remove(key);
                }
            },
        }
    }
    Ok(out)
}

fn target_of(reply: &ReplyTo) -> Option<Target> {
    match reply {
        ReplyTo::Once(_) => None,
        ReplyTo::Target(t) => Some(t.clone()),
    }
}

/// Whether `t` is the target a cancel request came from (a unary cancel matches any stream).
fn same(t: &Target, of: Option<&Target>) -> bool {
    match (t, of) {
        (Target::Stream { .. }, None) => true,
        (Target::Stream { id, .. }, Some(Target::Stream { id: other, .. })) => id == other,
        (
            Target::Agent { agent, workload },
            Some(Target::Agent {
                agent: other,
                workload: other_workload,
            }),
        ) => agent == other && workload == other_workload,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_support::agents;

    #[test]
    fn agent_tags_are_replaced_or_set_by_key() {
        let current = agents(&[("a", &[("zone", "front"), ("x", "1")]), ("b", &[])]);
        let new = agents(&[("a", &[("zone", "back")]), ("b", &[("gpu", "yes")])]);
        let whole = with_agent_tags(&current, &new, &["agents.a.tags".into()]).expect("ok");
        assert_eq!(whole, agents(&[("a", &[("zone", "back")]), ("b", &[])]));
        let keyed = with_agent_tags(
            &current,
            &new,
            &["agents.b.tags.gpu".into(), "agents.a.tags.x".into()],
        )
        .expect("ok");
        assert_eq!(
            keyed,
            agents(&[("a", &[("zone", "front")]), ("b", &[("gpu", "yes")])])
        );
    }

    #[test]
    fn other_agent_masks_are_errors_naming_them() {
        let current = agents(&[("a", &[])]);
        for (m, text) in [
            ("agents.a.status", "'agents.a.status'"),
            ("agents", "'agents'"),
            ("agents.a", "'agents.a'"),
            ("agents.nope.tags", "'nope'"),
        ] {
            let e = with_agent_tags(&current, &current, &[m.into()]).expect_err(m);
            assert!(e.to_string().contains(text), "{m}: {e}");
        }
    }
}
