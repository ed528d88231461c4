//! Log request routing. A client's `LogsRequest` becomes one `FromServer.logsRequest` per agent
//! holding some of the instances, under a server-side request id (`logs-<n>`). The agents answer
//! with `ToServer.response` under that id; entries and stops go back to the client under its own
//! id. A session ends after one stop per instance, or when the client goes away (then each agent
//! gets a `LogsCancelRequest` with the server id).

use std::collections::{BTreeMap, BTreeSet};

use ank_model::api::{LogsRequest, Request, RequestContent, Response, ResponseContent};
use ank_model::proto::anchorage::from_server::FromServerEnum;
use ank_model::WorkloadInstanceName;

use crate::agents::Agents;
use crate::events::{next_id, Target};

/// One client's log request.
#[derive(Debug)]
struct Session {
    target: Target,
    /// The client's request id (prefixed `<workload>@` for control-interface clients).
    request_id: String,
    /// Instances (as `<workload>.<id>.<agent>`) that have not sent their stop yet.
    waiting: BTreeSet<String>,
    /// Agents that were asked.
    agents: BTreeSet<String>,
}

/// The live log sessions by server request id; owned by the actor.
#[derive(Debug, Default)]
pub struct Logs {
    sessions: BTreeMap<String, Session>,
}

impl Logs {
    /// Starts a session for the accepted `names` (the `LogsRequestAccepted` is already sent).
    /// Instances of agents that are not connected stop at once.
    pub fn start(
        &mut self,
        agents: &Agents,
        target: Target,
        request_id: &str,
        request: &LogsRequest,
        names: Vec<WorkloadInstanceName>,
    ) {
        let server_id = format!("logs-{}", next_id());
        let mut by_agent: BTreeMap<String, Vec<WorkloadInstanceName>> = BTreeMap::new();
        for name in names {
            by_agent
                .entry(name.agent_name.clone())
                .or_default()
                .push(name);
        }
        let mut session = Session {
            target,
            request_id: request_id.to_owned(),
            waiting: BTreeSet::new(),
            agents: BTreeSet::new(),
        };
        let mut stopped = Vec::new();
        for (agent, names) in by_agent {
            let asked = Request {
                id: server_id.clone(),
                content: RequestContent::Logs(LogsRequest {
                    names: names.clone(),
                    ..request.clone()
                }),
            };
            if agents.send(&agent, FromServerEnum::LogsRequest(asked.into())) {
                session
                    .waiting
                    .extend(names.iter().map(ToString::to_string));
                session.agents.insert(agent);
            } else {
                stopped.extend(names);
            }
        }
        for name in stopped {
            let stop = Response::new(request_id, ResponseContent::LogsStop(name));
            if !session.target.deliver(agents, stop) {
                Self::cancel_session(agents, &server_id, &session);
                return;
            }
        }
        if !session.waiting.is_empty() {
            self.sessions.insert(server_id, session);
        }
    }

    /// Forwards an agent's answer to a server-sent `LogsRequest`.
    pub fn on_agent_response(&mut self, agents: &Agents, agent: &str, answer: Response) {
        let Some(session) = self.sessions.get_mut(&answer.id) else {
            return;
        };
        if !session.agents.contains(agent) {
            tracing::warn!(agent, id = answer.id, "log answer from an agent not asked");
            return;
        }
        let content = match answer.content {
            c @ ResponseContent::LogEntries(_) => c,
            ResponseContent::LogsStop(name) => {
                session.waiting.remove(&name.to_string());
                ResponseContent::LogsStop(name)
            }
            _ => return,
        };
        let delivered = session
            .target
            .deliver(agents, Response::new(&session.request_id, content));
        if !delivered {
            self.end(agents, |id, _| id == answer.id);
        } else if session.waiting.is_empty() {
            // All stops arrived: dropping the session drops its sender and ends the stream.
            self.sessions.remove(&answer.id);
        }
    }

    /// Stops an agent's instances in every session (its stream ended).
    pub fn agent_gone(&mut self, agents: &Agents, agent: &str) {
        let ids: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.agents.contains(agent))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            let Some(session) = self.sessions.get(&id) else {
                continue;
            };
            let names: Vec<String> = session
                .waiting
                .iter()
                .filter(|n| n.rsplit('.').next() == Some(agent))
                .cloned()
                .collect();
            for name in names {
                let Some(parsed) = WorkloadInstanceName::parse(&name) else {
                    continue;
                };
                let stop = Response::new(&id, ResponseContent::LogsStop(parsed));
                self.on_agent_response(agents, agent, stop);
            }
        }
    }

    /// Ends (and cancels at the agents) the sessions for which `pred(server id, session target
    /// and client request id)` holds: a dropped stream, a `LogsCancelRequest`, a gone agent.
    pub fn end(&mut self, agents: &Agents, pred: impl Fn(&str, (&Target, &str)) -> bool) {
        let ids: Vec<String> = self
            .sessions
            .iter()
            .filter(|(id, s)| pred(id, (&s.target, &s.request_id)))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            if let Some(session) = self.sessions.remove(&id) {
                Self::cancel_session(agents, &id, &session);
            }
        }
    }

    fn cancel_session(agents: &Agents, server_id: &str, session: &Session) {
        for agent in &session.agents {
            let cancel = Request {
                id: server_id.to_owned(),
                content: RequestContent::LogsCancel,
            };
            agents.send(agent, FromServerEnum::LogsRequest(cancel.into()));
        }
    }
}
