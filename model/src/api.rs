//! Requests and responses of Ankaios' API (`ank_base.Request` / `ank_base.Response`) as domain
//! types: what the `ank` CLI and a workload's control interface ask the server, and what it
//! answers. Closed enums, no wire types; `convert` (feature `grpc`) turns them into protobuf
//! and back at the edges, so the server's actor never sees prost.
//!
//! A request id is opaque here. A control-interface request forwarded by an agent carries
//! `<workload>@<id>` (see [`split_workload_id`]).

use crate::mask::AlteredFields;
use crate::{CompleteState, WorkloadInstanceName};

/// One request with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Echoed in every response to it.
    pub id: String,
    /// What is asked.
    pub content: RequestContent,
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestContent {
    /// Change the state at the update masks.
    UpdateState(Box<UpdateStateRequest>),
    /// Read the state at the field masks, optionally subscribing to its changes.
    CompleteState(CompleteStateRequest),
    /// Stream workloads' logs.
    Logs(LogsRequest),
    /// End the log stream of the request with the same id.
    LogsCancel,
    /// End the event subscription of the request with the same id.
    EventsCancel,
}

/// `UpdateStateRequest`: `new_state` at the paths of `update_mask` (everything for none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateStateRequest {
    /// The state to take the masked parts from.
    pub new_state: CompleteState,
    /// Paths into the complete state (`desiredState.workloads.nginx`, `agents.<agent>.tags`).
    pub update_mask: Vec<String>,
    /// Anchorage: validate and diff only, change nothing.
    pub dry_run: bool,
}

/// `CompleteStateRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompleteStateRequest {
    /// Paths to return (everything for none); `*` matches one key.
    pub field_mask: Vec<String>,
    /// Whether changes at these paths are sent as events afterwards.
    pub subscribe: bool,
}

/// `LogsRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogsRequest {
    /// The instances whose logs are wanted (an empty id or agent matches the current one).
    pub names: Vec<WorkloadInstanceName>,
    /// Keep streaming new lines.
    pub follow: bool,
    /// Only the last lines (`None` or -1: all).
    pub tail: Option<i32>,
    /// Only lines since this RFC 3339 time.
    pub since: Option<String>,
    /// Only lines until this RFC 3339 time.
    pub until: Option<String>,
}

/// One response with the id of the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The request's id.
    pub id: String,
    /// The answer.
    pub content: ResponseContent,
}

/// What a response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseContent {
    /// The request failed or was refused; the message is what clients show.
    Error(String),
    /// The state at the masks, or (with `altered`) an event.
    CompleteState(Box<CompleteStateResponse>),
    /// An update was applied (or, dry, would be).
    UpdateStateSuccess(UpdateStateSuccess),
    /// The log request goes ahead for these instances.
    LogsRequestAccepted(Vec<WorkloadInstanceName>),
    /// Log lines.
    LogEntries(Vec<LogEntry>),
    /// One instance's log ended.
    LogsStop(WorkloadInstanceName),
    /// A `LogsCancel` was done.
    LogsCancelAccepted,
    /// An `EventsCancel` was done.
    EventsCancelAccepted,
}

/// `CompleteStateResponse`: the presence of `altered` marks an event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompleteStateResponse {
    /// The (masked) state; in an event, its altered parts.
    pub state: CompleteState,
    /// Set on events only, never on the first answer to a subscription.
    pub altered: Option<AlteredFields>,
}

/// `UpdateStateSuccess`: instance names (`<workload>.<id>.<agent>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateStateSuccess {
    /// Instances started.
    pub added: Vec<String>,
    /// Instances stopped.
    pub deleted: Vec<String>,
}

/// One log line of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Whose line.
    pub workload: WorkloadInstanceName,
    /// The line.
    pub message: String,
}

impl Response {
    /// A response to request `id`.
    pub fn new(id: impl Into<String>, content: ResponseContent) -> Response {
        Response {
            id: id.into(),
            content,
        }
    }

    /// An `Error` response to request `id`.
    pub fn error(id: impl Into<String>, message: impl Into<String>) -> Response {
        Response::new(id, ResponseContent::Error(message.into()))
    }
}

/// The answer when a control-interface request is refused by the access rules.
pub const ACCESS_DENIED: &str = "Access denied";

/// Splits a forwarded request id `<workload>@<id>` at its first `@` (Ankaios' `splitn(2, '@')`);
/// `None` when there is no `@`.
pub fn split_workload_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_ids_split_at_the_first_at() {
        assert_eq!(split_workload_id("w@1"), Some(("w", "1")));
        assert_eq!(split_workload_id("w@a@b"), Some(("w", "a@b")));
        assert_eq!(split_workload_id("@x"), Some(("", "x")));
        assert_eq!(split_workload_id("plain"), None);
    }
}
