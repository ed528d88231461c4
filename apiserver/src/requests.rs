//! How the actor answers an `ank_base.Request`, the same for the CLI and for a workload's
//! control interface (see control-interface.md §3): state queries with field masks, masked
//! updates, event subscriptions and log requests.

use ank_model::proto::ank_base as pb;
use ank_model::CompleteState;
use pb::request::RequestContent;
use pb::response::ResponseContent;

use crate::actor::Actor;
use crate::events::{error, response, state_response, ReplyTo, ResponseTx, Target};

impl Actor {
    /// Answers one request.
    pub(crate) fn request(&mut self, request: pb::Request, reply: ReplyTo) {
        let id = request.request_id;
        match request.request_content {
            None => {
                self.answer(
                    reply,
                    error(&id, "The Request does not contain any content"),
                );
            }
            Some(RequestContent::UpdateStateRequest(update)) => {
                let answer = self.update_state(&id, update);
                self.answer(reply, answer);
            }
            Some(RequestContent::CompleteStateRequest(query)) => {
                let answer = state_response(&id, &self.complete(), &query.field_mask);
                if let Some(target) = self.answer(reply, answer) {
                    if query.subscribe_for_events {
                        self.subs.add(target, id, query.field_mask);
                    }
                }
            }
            Some(RequestContent::LogsRequest(logs)) => self.logs_request(&id, logs, reply),
            Some(RequestContent::LogsCancelRequest(_)) => {
                let of = target_of(&reply);
                self.logs.end(&self.agents, |_, (t, rid)| {
                    rid == id && same(t, of.as_ref())
                });
                let accepted = ResponseContent::LogsCancelAccepted(pb::LogsCancelAccepted {});
                self.answer(reply, response(&id, accepted));
            }
            Some(RequestContent::EventsCancelRequest(_)) => {
                let of = target_of(&reply);
                self.subs.remove(|t, rid| rid == id && same(t, of.as_ref()));
                let accepted = ResponseContent::EventsCancelAccepted(pb::EventsCancelAccepted {});
                self.answer(reply, response(&id, accepted));
            }
        }
    }

    /// A `Subscribe` call: its answers go to the stream `id`.
    pub(crate) fn subscribe(&mut self, id: u64, request: pb::Request, tx: ResponseTx) {
        self.request(request, ReplyTo::Target(Target::Stream { id, tx }));
    }

    /// The client dropped stream `id`: end its subscriptions and log requests.
    pub(crate) fn stream_gone(&mut self, id: u64) {
        self.subs.remove(|t, _| t.is_stream(id));
        self.logs.end(&self.agents, |_, (t, _)| t.is_stream(id));
    }

    /// Sends a response; gives the target back when it can take more.
    fn answer(&self, reply: ReplyTo, answer: pb::Response) -> Option<Target> {
        match reply {
            ReplyTo::Once(tx) => {
                let _ = tx.send(answer);
                None
            }
            ReplyTo::Target(target) => target.deliver(&self.agents, answer).then_some(target),
        }
    }

    fn update_state(&mut self, id: &str, update: pb::UpdateStateRequest) -> pb::Response {
        let Some(new_state) = update.new_state else {
            return error(id, "The UpdateStateRequest does not contain a new state");
        };
        let new = match CompleteState::try_from(new_state) {
            Ok(new) => new,
            Err(e) => return error(id, format!("Update rejected: '{e}'")),
        };
        let plan =
            match self
                .desired
                .plan_update(&new.desired_state, &update.update_mask, &self.attrs)
            {
                Ok(plan) => plan,
                Err(e) => return error(id, format!("Update rejected: '{e}'")),
            };
        let success = pb::UpdateStateSuccess {
            added_workloads: plan.added.iter().map(|i| i.name.to_string()).collect(),
            deleted_workloads: plan.deleted.iter().map(|i| i.name.to_string()).collect(),
        };
        if !update.dry_run {
            self.apply(plan);
        }
        response(id, ResponseContent::UpdateStateSuccess(success))
    }

    /// Accepts the names that are in the desired state (an empty `id` or `agentName` matches
    /// the current instance) and hands them to the log router.
    fn logs_request(&mut self, id: &str, request: pb::LogsRequest, reply: ReplyTo) {
        let ReplyTo::Target(target) = reply else {
            self.answer(
                reply,
                error(id, "logs are streamed: use the Subscribe call"),
            );
            return;
        };
        let mut kept: Vec<pb::WorkloadInstanceName> = Vec::new();
        for wanted in &request.workload_names {
            let Some(instance) = self.desired.instances.get(&wanted.workload_name) else {
                continue;
            };
            let name = &instance.name;
            let id_ok = wanted.id.is_empty() || wanted.id == name.id;
            let agent_ok = wanted.agent_name.is_empty() || wanted.agent_name == name.agent_name;
            let name: pb::WorkloadInstanceName = name.clone().into();
            if instance.agent().is_some() && id_ok && agent_ok && !kept.contains(&name) {
                kept.push(name);
            }
        }
        let accepted = ResponseContent::LogsRequestAccepted(pb::LogsRequestAccepted {
            workload_names: kept.clone(),
        });
        let Some(target) = self.answer(ReplyTo::Target(target), response(id, accepted)) else {
            return;
        };
        if !kept.is_empty() {
            self.logs.start(&self.agents, target, id, &request, kept);
        }
    }
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
        (Target::Agent { agent }, Some(Target::Agent { agent: other })) => agent == other,
        _ => false,
    }
}
