//! The connection to `ank-server`: the unary `Request` call (complete state, update state) with
//! `--response-timeout`, and the `Subscribe` stream (events, logs). Protobuf types stay in here;
//! callers get domain types.

use std::time::Duration;

use ank_model::mask::AlteredFields;
use ank_model::proto::anchorage::cli_connection_client::CliConnectionClient;
use ank_model::proto::ank_base as pb;
use ank_model::{CompleteState, WorkloadInstanceName};
use ank_transport::{client_security, ConnectError, Dialer, Refusal};
use futures::{Stream, StreamExt};
use tonic::transport::Channel;

use crate::config::Settings;

#[cfg(test)]
mod tests;

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not usable or nobody answers there.
    #[error("cannot reach ank-server at {url}: {message}")]
    Connect {
        /// The URL dialled.
        url: String,
        /// What went wrong, with its causes.
        message: String,
    },
    /// `-k`, the PEMs and the URL do not go together, or the PEMs are unusable.
    #[error(transparent)]
    Tls(#[from] ank_transport::SecurityError),
    /// The server did not answer within `--response-timeout`.
    #[error("no response from ank-server within {0} ms")]
    Timeout(u128),
    /// The call failed on the wire.
    #[error("request to ank-server failed: {0}")]
    Rpc(String),
    /// The server refused the request, with its message.
    #[error("{0}")]
    Refused(String),
    /// The server answered with something this client does not expect.
    #[error("unexpected response from ank-server: {0}")]
    Unexpected(String),
}

/// A module result.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// What an accepted update changed (or would change, for a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// Instances created.
    pub added: Vec<WorkloadInstanceName>,
    /// Instances removed.
    pub deleted: Vec<WorkloadInstanceName>,
}

/// One message of a logs subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// The server accepted the request for these instances (the others have no logs).
    Accepted(Vec<WorkloadInstanceName>),
    /// A line of a workload's output.
    Line {
        /// Whose line.
        workload: WorkloadInstanceName,
        /// The text.
        message: String,
    },
    /// The workload's log ended.
    Stop(WorkloadInstanceName),
}

/// One message of a state subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct StateEvent {
    /// What the message carries: the whole (masked) state first, then only the altered parts.
    pub state: CompleteState,
    /// What changed; `None` on the first message, which is the current state, not a change.
    pub altered: Option<AlteredFields>,
}

/// A connected CLI client.
#[derive(Debug, Clone)]
pub struct Client {
    inner: CliConnectionClient<Channel>,
    timeout: Duration,
    /// What explains a failed call beyond its status.
    diagnosis: Diagnosis,
}

/// What a failed call's status does not say: a TLS failure after the handshake (the server
/// refusing our certificate), or that we speak plain HTTP/2 (`-k`) to a server that may not.
#[derive(Debug, Clone)]
struct Diagnosis {
    refusal: Refusal,
    plain: bool,
}

impl Client {
    /// Connects to the server named by the settings.
    pub async fn connect(settings: &Settings) -> Result<Client> {
        let choice = client_security(
            settings.insecure,
            &settings.pem,
            &settings.server_url,
            settings.server_url_given,
        )?;
        let connect_err = |e: ConnectError| ClientError::Connect {
            url: choice.url.clone(),
            message: e.to_string(),
        };
        let dialer = Dialer::new(&choice.url, &choice.security, settings.response_timeout)
            .map_err(connect_err)?;
        let channel = dialer.connect().await.map_err(connect_err)?;
        Ok(Client {
            inner: CliConnectionClient::new(channel)
                .max_decoding_message_size(ank_transport::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(ank_transport::MAX_MESSAGE_BYTES),
            timeout: settings.response_timeout,
            diagnosis: Diagnosis {
                refusal: dialer.refusal(),
                plain: dialer.is_plain(),
            },
        })
    }

    /// The complete state, filtered by field masks (all of it when empty).
    pub async fn complete_state(&mut self, masks: &[String]) -> Result<CompleteState> {
        let content = pb::request::RequestContent::CompleteStateRequest(pb::CompleteStateRequest {
            field_mask: masks.to_vec(),
            subscribe_for_events: false,
        });
        match self.unary(content).await? {
            pb::response::ResponseContent::CompleteStateResponse(r) => {
                complete_from_pb(r.complete_state)
            }
            other => Err(unexpected(&other, "a CompleteStateResponse")),
        }
    }

    /// Replaces the parts of the state named by `masks` with those of `new_state`.
    pub async fn update_state(
        &mut self,
        new_state: CompleteState,
        masks: Vec<String>,
        dry_run: bool,
    ) -> Result<UpdateOutcome> {
        let content = pb::request::RequestContent::UpdateStateRequest(pb::UpdateStateRequest {
            new_state: Some(new_state.into()),
            update_mask: masks,
            dry_run,
        });
        match self.unary(content).await? {
            pb::response::ResponseContent::UpdateStateSuccess(s) => Ok(UpdateOutcome {
                added: parse_instances(&s.added_workloads),
                deleted: parse_instances(&s.deleted_workloads),
            }),
            other => Err(unexpected(&other, "an UpdateStateSuccess")),
        }
    }

    /// Subscribes to state-change events; each item is the state (or event) the server sent.
    pub async fn events(
        &mut self,
        masks: &[String],
    ) -> Result<impl Stream<Item = Result<pb::CompleteStateResponse>> + use<>> {
        let content = pb::request::RequestContent::CompleteStateRequest(pb::CompleteStateRequest {
            field_mask: masks.to_vec(),
            subscribe_for_events: true,
        });
        let stream = self.subscribe(content).await?;
        Ok(stream.map(|item| match item? {
            pb::response::ResponseContent::CompleteStateResponse(r) => Ok(r),
            other => Err(unexpected(&other, "a CompleteStateResponse")),
        }))
    }

    /// [`Client::events`] as domain types.
    pub async fn state_events(
        &mut self,
        masks: &[String],
    ) -> Result<impl Stream<Item = Result<StateEvent>> + use<>> {
        let stream = self.events(masks).await?;
        Ok(stream.map(|item| {
            let response = item?;
            Ok(StateEvent {
                state: complete_from_pb(response.complete_state)?,
                altered: response.altered_fields.map(|a| AlteredFields {
                    added: a.added_fields,
                    updated: a.updated_fields,
                    removed: a.removed_fields,
                }),
            })
        }))
    }

    /// Subscribes to the logs of instances; the stream ends after each has stopped.
    pub async fn logs(
        &mut self,
        request: pb::LogsRequest,
    ) -> Result<impl Stream<Item = Result<Vec<LogEvent>>> + use<>> {
        let stream = self
            .subscribe(pb::request::RequestContent::LogsRequest(request))
            .await?;
        Ok(stream.map(|item| {
            use pb::response::ResponseContent as C;
            Ok(match item? {
                C::LogsRequestAccepted(r) => vec![LogEvent::Accepted(
                    r.workload_names.into_iter().map(Into::into).collect(),
                )],
                C::LogsCancelAccepted(_) => Vec::new(),
                C::LogEntriesResponse(r) => r
                    .log_entries
                    .into_iter()
                    .map(|e| LogEvent::Line {
                        workload: e.workload_name.unwrap_or_default().into(),
                        message: e.message,
                    })
                    .collect(),
                C::LogsStopResponse(r) => {
                    vec![LogEvent::Stop(r.workload_name.unwrap_or_default().into())]
                }
                other => return Err(unexpected(&other, "a logs response")),
            })
        }))
    }

    async fn unary(
        &mut self,
        content: pb::request::RequestContent,
    ) -> Result<pb::response::ResponseContent> {
        let request = pb::Request {
            request_id: request_id(),
            request_content: Some(content),
        };
        let call = self.inner.request(request);
        let response = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| ClientError::Timeout(self.timeout.as_millis()))?
            .map_err(|s| self.diagnosis.status_error(s))?;
        content_of(response.into_inner())
    }

    async fn subscribe(
        &mut self,
        content: pb::request::RequestContent,
    ) -> Result<impl Stream<Item = Result<pb::response::ResponseContent>> + use<>> {
        let request = pb::Request {
            request_id: request_id(),
            request_content: Some(content),
        };
        let call = self.inner.subscribe(request);
        let response = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| ClientError::Timeout(self.timeout.as_millis()))?
            .map_err(|s| self.diagnosis.status_error(s))?;
        let diagnosis = self.diagnosis.clone();
        Ok(response
            .into_inner()
            .map(move |item| content_of(item.map_err(|s| diagnosis.status_error(s))?)))
    }
}

/// A response of the wrong kind, named by its kind only: its debug form could hold a complete
/// state, every runtimeConfig with its secrets included.
fn unexpected(got: &pb::response::ResponseContent, expected: &str) -> ClientError {
    use pb::response::ResponseContent as C;
    // Exhaustive on purpose: a new kind must be named here, never printed.
    let kind = match got {
        C::Error(_) => "an Error",
        C::CompleteStateResponse(_) => "a CompleteStateResponse",
        C::UpdateStateSuccess(_) => "an UpdateStateSuccess",
        C::LogsRequestAccepted(_) => "a LogsRequestAccepted",
        C::LogEntriesResponse(_) => "a LogEntriesResponse",
        C::LogsStopResponse(_) => "a LogsStopResponse",
        C::LogsCancelAccepted(_) => "a LogsCancelAccepted",
        C::EventsCancelAccepted(_) => "an EventsCancelAccepted",
    };
    ClientError::Unexpected(format!("{kind} where {expected} was expected"))
}

fn content_of(response: pb::Response) -> Result<pb::response::ResponseContent> {
    match response.response_content {
        Some(pb::response::ResponseContent::Error(e)) => Err(ClientError::Refused(e.message)),
        Some(content) => Ok(content),
        None => Err(ClientError::Unexpected("empty response".into())),
    }
}

/// Converts a complete state off the wire.
pub fn complete_from_pb(state: Option<pb::CompleteState>) -> Result<CompleteState> {
    CompleteState::try_from(state.unwrap_or_default())
        .map_err(|e| ClientError::Unexpected(e.to_string()))
}

fn parse_instances(names: &[String]) -> Vec<WorkloadInstanceName> {
    names
        .iter()
        .filter_map(|n| WorkloadInstanceName::parse(n))
        .collect()
}

impl Diagnosis {
    fn status_error(&self, status: tonic::Status) -> ClientError {
        if let Some(why) = self.refusal.take() {
            if ank_transport::explain::tls_cause(&status).is_none() {
                return ClientError::Rpc(format!(
                    "{why} ({:?}: {})",
                    status.code(),
                    status.message()
                ));
            }
        }
        if self.plain && ank_transport::explain::is_tls_server(&status) {
            return ClientError::Rpc(format!(
                "{}: {:?}: {}",
                ank_transport::explain::PLAIN_TO_TLS,
                status.code(),
                status.message()
            ));
        }
        status_error(status)
    }
}

fn status_error(status: tonic::Status) -> ClientError {
    // Under TLS 1.3 the server refuses a client certificate after the handshake: the
    // refusal arrives as a failed call whose cause is a TLS alert (or as a cancelled call
    // while the connection saw the alert: see `Diagnosis`).
    if let Some(tls) = ank_transport::explain::tls_cause(&status) {
        return ClientError::Rpc(ank_transport::explain::tls_failure(
            &tls,
            ank_transport::explain::Peer::Server,
        ));
    }
    match status.code() {
        tonic::Code::Unavailable => {
            ClientError::Rpc(format!("server unavailable: {}", status.message()))
        }
        tonic::Code::InvalidArgument
        | tonic::Code::FailedPrecondition
        | tonic::Code::PermissionDenied => ClientError::Refused(status.message().to_owned()),
        _ => ClientError::Rpc(format!("{:?}: {}", status.code(), status.message())),
    }
}

fn request_id() -> String {
    format!("ank-cli-{}", std::process::id())
}
