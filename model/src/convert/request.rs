//! Requests and responses of `ank_base` to and from [`crate::api`] values; a wire request
//! that is not a domain request is an [`InvalidRequest`] carrying its id and Ankaios' message.

use super::*;

/// Why a wire request is not a domain [`api::Request`]; the `Display` text is the message of
/// the `Error` response, as Ankaios words it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    /// No oneof set.
    #[error("The Request does not contain any content")]
    NoContent,
    /// An `UpdateStateRequest` without `newState`.
    #[error("The UpdateStateRequest does not contain a new state")]
    NoNewState {
        /// Its update masks (a workload's write access is judged on them).
        update_mask: Vec<String>,
    },
    /// An `UpdateStateRequest` whose `newState` this version cannot read.
    #[error("Update rejected: '{source}'")]
    BadNewState {
        /// Its update masks.
        update_mask: Vec<String>,
        /// What is wrong with the state.
        #[source]
        source: ConvertError,
    },
}

impl RequestError {
    /// The update masks of a broken `UpdateStateRequest`; `None` for a request without content.
    pub fn update_mask(&self) -> Option<&[String]> {
        match self {
            RequestError::NoContent => None,
            RequestError::NoNewState { update_mask }
            | RequestError::BadNewState { update_mask, .. } => Some(update_mask),
        }
    }
}

/// A wire request that is not a domain request, with its id (the answer needs it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("request '{id}': {error}")]
pub struct InvalidRequest {
    /// The request's id.
    pub id: String,
    /// What is wrong.
    #[source]
    pub error: RequestError,
}

impl From<api::Request> for pb::Request {
    fn from(r: api::Request) -> Self {
        use pb::request::RequestContent as C;
        let content = match r.content {
            api::RequestContent::UpdateState(u) => {
                let u = *u;
                C::UpdateStateRequest(pb::UpdateStateRequest {
                    new_state: Some(u.new_state.into()),
                    update_mask: u.update_mask,
                    dry_run: u.dry_run,
                })
            }
            api::RequestContent::CompleteState(q) => {
                C::CompleteStateRequest(pb::CompleteStateRequest {
                    field_mask: q.field_mask,
                    subscribe_for_events: q.subscribe,
                })
            }
            api::RequestContent::Logs(l) => C::LogsRequest(l.into()),
            api::RequestContent::LogsCancel => C::LogsCancelRequest(pb::LogsCancelRequest {}),
            api::RequestContent::EventsCancel => C::EventsCancelRequest(pb::EventsCancelRequest {}),
        };
        pb::Request {
            request_id: r.id,
            request_content: Some(content),
        }
    }
}

impl TryFrom<pb::Request> for api::Request {
    type Error = InvalidRequest;
    fn try_from(r: pb::Request) -> Result<Self, InvalidRequest> {
        use pb::request::RequestContent as C;
        let id = r.request_id;
        let content = match r.request_content {
            None => Err(RequestError::NoContent),
            Some(C::UpdateStateRequest(u)) => match u.new_state {
                None => Err(RequestError::NoNewState {
                    update_mask: u.update_mask,
                }),
                Some(state) => match CompleteState::try_from(state) {
                    Ok(new_state) => Ok(api::RequestContent::UpdateState(Box::new(
                        api::UpdateStateRequest {
                            new_state,
                            update_mask: u.update_mask,
                            dry_run: u.dry_run,
                        },
                    ))),
                    Err(source) => Err(RequestError::BadNewState {
                        update_mask: u.update_mask,
                        source,
                    }),
                },
            },
            Some(C::CompleteStateRequest(q)) => Ok(api::RequestContent::CompleteState(
                api::CompleteStateRequest {
                    field_mask: q.field_mask,
                    subscribe: q.subscribe_for_events,
                },
            )),
            Some(C::LogsRequest(l)) => Ok(api::RequestContent::Logs(l.into())),
            Some(C::LogsCancelRequest(_)) => Ok(api::RequestContent::LogsCancel),
            Some(C::EventsCancelRequest(_)) => Ok(api::RequestContent::EventsCancel),
        };
        match content {
            Ok(content) => Ok(api::Request { id, content }),
            Err(error) => Err(InvalidRequest { id, error }),
        }
    }
}

impl From<api::LogsRequest> for pb::LogsRequest {
    fn from(l: api::LogsRequest) -> Self {
        pb::LogsRequest {
            workload_names: l.names.into_iter().map(Into::into).collect(),
            follow: Some(l.follow),
            tail: l.tail,
            since: l.since,
            until: l.until,
        }
    }
}

impl From<pb::LogsRequest> for api::LogsRequest {
    fn from(l: pb::LogsRequest) -> Self {
        api::LogsRequest {
            names: l.workload_names.into_iter().map(Into::into).collect(),
            follow: l.follow.unwrap_or(false),
            tail: l.tail,
            since: l.since,
            until: l.until,
        }
    }
}

impl From<api::Response> for pb::Response {
    fn from(r: api::Response) -> Self {
        use pb::response::ResponseContent as C;
        let content = match r.content {
            api::ResponseContent::Error(message) => C::Error(pb::Error { message }),
            api::ResponseContent::CompleteState(c) => {
                let c = *c;
                C::CompleteStateResponse(pb::CompleteStateResponse {
                    complete_state: Some(c.state.into()),
                    altered_fields: c.altered.map(|a| pb::AlteredFields {
                        added_fields: a.added,
                        updated_fields: a.updated,
                        removed_fields: a.removed,
                    }),
                })
            }
            api::ResponseContent::UpdateStateSuccess(s) => {
                C::UpdateStateSuccess(pb::UpdateStateSuccess {
                    added_workloads: s.added,
                    deleted_workloads: s.deleted,
                })
            }
            api::ResponseContent::LogsRequestAccepted(names) => {
                C::LogsRequestAccepted(pb::LogsRequestAccepted {
                    workload_names: names.into_iter().map(Into::into).collect(),
                })
            }
            api::ResponseContent::LogEntries(entries) => {
                C::LogEntriesResponse(pb::LogEntriesResponse {
                    log_entries: entries
                        .into_iter()
                        .map(|e| pb::LogEntry {
                            workload_name: Some(e.workload.into()),
                            message: e.message,
                        })
                        .collect(),
                })
            }
            api::ResponseContent::LogsStop(name) => C::LogsStopResponse(pb::LogsStopResponse {
                workload_name: Some(name.into()),
            }),
            api::ResponseContent::LogsCancelAccepted => {
                C::LogsCancelAccepted(pb::LogsCancelAccepted {})
            }
            api::ResponseContent::EventsCancelAccepted => {
                C::EventsCancelAccepted(pb::EventsCancelAccepted {})
            }
        };
        pb::Response {
            request_id: r.id,
            response_content: Some(content),
        }
    }
}

impl TryFrom<pb::Response> for api::Response {
    type Error = ConvertError;
    fn try_from(r: pb::Response) -> Result<Self> {
        use pb::response::ResponseContent as C;
        let content = match r
            .response_content
            .ok_or(ConvertError::Missing("response content"))?
        {
            C::Error(e) => api::ResponseContent::Error(e.message),
            C::CompleteStateResponse(c) => {
                api::ResponseContent::CompleteState(Box::new(api::CompleteStateResponse {
                    state: c.complete_state.unwrap_or_default().try_into()?,
                    altered: c.altered_fields.map(|a| AlteredFields {
                        added: a.added_fields,
                        updated: a.updated_fields,
                        removed: a.removed_fields,
                    }),
                }))
            }
            C::UpdateStateSuccess(s) => {
                api::ResponseContent::UpdateStateSuccess(api::UpdateStateSuccess {
                    added: s.added_workloads,
                    deleted: s.deleted_workloads,
                })
            }
            C::LogsRequestAccepted(a) => api::ResponseContent::LogsRequestAccepted(
                a.workload_names.into_iter().map(Into::into).collect(),
            ),
            C::LogEntriesResponse(l) => api::ResponseContent::LogEntries(
                l.log_entries
                    .into_iter()
                    .map(|e| {
                        Ok(api::LogEntry {
                            workload: e
                                .workload_name
                                .ok_or(ConvertError::Missing("log entry workload name"))?
                                .into(),
                            message: e.message,
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
            C::LogsStopResponse(s) => api::ResponseContent::LogsStop(
                s.workload_name
                    .ok_or(ConvertError::Missing("logs stop workload name"))?
                    .into(),
            ),
            C::LogsCancelAccepted(_) => api::ResponseContent::LogsCancelAccepted,
            C::EventsCancelAccepted(_) => api::ResponseContent::EventsCancelAccepted,
        };
        Ok(api::Response {
            id: r.request_id,
            content,
        })
    }
}

#[cfg(test)]
mod tests;
