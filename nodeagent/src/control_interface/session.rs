//! The session protocol of one control interface, free of I/O: what to answer to each frame
//! the workload writes and to each response the server sends.
//!
//! - The first message must be a `Hello` whose protocol version has our semver major; it is
//!   answered with `ControlInterfaceAccepted`, else the session closes with Ankaios' reasons.
//! - Later: a compatible `Hello` is only logged, an incompatible one closes; a request is
//!   authorized and forwarded (or answered `Access denied`); undecodable frames and empty
//!   messages are logged and ignored.
//! - At most [`MAX_PENDING`] requests may wait for their answers; more are answered
//!   [`TOO_MANY`]. A subscription waits until its cancel is accepted, a logs request until
//!   every workload's stop (or its cancel).
//! - What a workload can repeat at will (denied requests, ignored messages, answers it does
//!   not read) is logged at debug level only, so a flooding workload cannot flood the log.
//! - Anchorage's addition: when the workload closes its end of `output` (it ended), a new
//!   writer starts a new session with a new `Hello`, so a workload that reopens the FIFOs
//!   reconnects. (A writer that opens before the agent read the EOF continues the old session;
//!   the agent's own restarts recreate the interface and so always start a new one.)

use std::collections::HashMap;

use ank_model::access::Authorizer;
use ank_model::proto::ank_base::{request::RequestContent, response::ResponseContent};
use ank_model::proto::ank_base::{Error, Request, Response};
use ank_model::proto::control_api::{
    from_ankaios::FromAnkaiosEnum, to_ankaios::ToAnkaiosEnum, ConnectionClosed,
    ControlInterfaceAccepted, FromAnkaios, ToAnkaios,
};
use prost::Message;

use super::authorize::allowed;

/// The reason for bytes that are no `ToAnkaios`.
pub const UNDECODABLE: &str = "Could not decode protobuf data";
/// The reason for a first message that is no `Hello`.
pub const HELLO_MISSING: &str = "Initial Hello missing!";
/// The answer to a request the rules do not allow.
pub use ank_model::api::ACCESS_DENIED;
/// The answer to a request beyond [`MAX_PENDING`].
pub const TOO_MANY: &str = "too many requests";
/// Requests of one workload that may wait for answers at once.
pub const MAX_PENDING: usize = 64;

/// What the session wants done.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Write this to the workload.
    Send(FromAnkaios),
    /// Write `ConnectionClosed` with this reason and stop reading.
    Close(String),
    /// Forward this request (id as the workload sent it) to the server.
    Forward(Request),
    /// Nothing to do.
    None,
}

/// What a waiting request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// Its one answer.
    Answer,
    /// `EventsCancelAccepted` for its id.
    EventsCancel,
    /// Every workload's `LogsStopResponse` (their number once accepted), or the cancel.
    Logs(Option<usize>),
}

/// One workload's session; see the module docs.
#[derive(Debug)]
pub struct Session {
    workload: String,
    authorizer: Authorizer,
    accepted: bool,
    pending: HashMap<String, Waiting>,
}

impl Session {
    /// A session of `workload` under its rules, waiting for `Hello`.
    pub fn new(workload: String, authorizer: Authorizer) -> Session {
        Session {
            workload,
            authorizer,
            accepted: false,
            pending: HashMap::new(),
        }
    }

    /// Handles one frame the workload wrote.
    pub fn on_frame(&mut self, bytes: &[u8]) -> Action {
        let message = match ToAnkaios::decode(bytes) {
            Ok(message) => message.to_ankaios_enum,
            Err(e) if !self.accepted => {
                tracing::warn!(workload = self.workload, error = %e, "undecodable first message");
                return Action::Close(UNDECODABLE.to_owned());
            }
            Err(e) => {
                tracing::debug!(workload = self.workload, error = %e, "ignoring undecodable data");
                return Action::None;
            }
        };
        match (message, self.accepted) {
            (Some(ToAnkaiosEnum::Hello(hello)), accepted) => {
                if let Err(reason) = check_version(&hello.protocol_version) {
                    return Action::Close(reason);
                }
                if accepted {
                    tracing::debug!(workload = self.workload, "ignoring a second Hello");
                    return Action::None;
                }
                self.accepted = true;
                Action::Send(from_ankaios(FromAnkaiosEnum::ControlInterfaceAccepted(
                    ControlInterfaceAccepted {},
                )))
            }
            (_, false) => Action::Close(HELLO_MISSING.to_owned()),
            (Some(ToAnkaiosEnum::Request(request)), true) => self.on_request(request),
            (None, true) => {
                tracing::debug!(workload = self.workload, "ignoring an empty message");
                Action::None
            }
        }
    }

    fn on_request(&mut self, request: Request) -> Action {
        if !allowed(&self.authorizer, &request) {
            tracing::debug!(
                workload = self.workload,
                id = request.request_id,
                "access denied"
            );
            return Action::Send(error(request.request_id, ACCESS_DENIED));
        }
        let waiting = match &request.request_content {
            Some(RequestContent::CompleteStateRequest(r)) if r.subscribe_for_events => {
                Waiting::EventsCancel
            }
            Some(RequestContent::LogsRequest(_)) => Waiting::Logs(None),
            _ => Waiting::Answer,
        };
        // A cancel shares its stream's id and ends with it.
        if !self.pending.contains_key(&request.request_id) {
            if self.pending.len() >= MAX_PENDING {
                return Action::Send(error(request.request_id, TOO_MANY));
            }
            self.pending.insert(request.request_id.clone(), waiting);
        }
        Action::Forward(request)
    }

    /// A forwarded request could not be handed on: it waits no more.
    pub fn forget(&mut self, id: &str) {
        self.pending.remove(id);
    }

    /// The workload closed `output`: the next writer starts with `Hello` again.
    pub fn on_writer_gone(&mut self) {
        self.accepted = false;
    }

    /// The server connection dropped: nothing will answer the waiting requests.
    pub fn on_server_gone(&mut self) {
        self.pending.clear();
    }

    /// A server answer (original id) for the workload.
    pub fn on_response(&mut self, response: Response) -> FromAnkaios {
        let id = response.request_id.as_str();
        let done = match (self.pending.get_mut(id), &response.response_content) {
            (None, _) => false,
            (Some(_), Some(ResponseContent::Error(_)) | None) => true,
            (Some(Waiting::Answer), _) => true,
            (Some(Waiting::EventsCancel), Some(c)) => {
                matches!(c, ResponseContent::EventsCancelAccepted(_))
            }
            (Some(Waiting::Logs(left)), Some(c)) => match c {
                ResponseContent::LogsCancelAccepted(_) => true,
                ResponseContent::LogsRequestAccepted(a) => {
                    *left = Some(a.workload_names.len());
                    a.workload_names.is_empty()
                }
                ResponseContent::LogsStopResponse(_) => {
                    let rest = left.map_or(0, |n| n.saturating_sub(1));
                    *left = Some(rest);
                    rest == 0
                }
                _ => false,
            },
        };
        if done {
            self.pending.remove(id);
        }
        from_ankaios(FromAnkaiosEnum::Response(response))
    }
}

/// Accepts a semver version with our major (for 0.x, our major and minor).
fn check_version(version: &str) -> Result<(), String> {
    let ours = parse_semver(ank_model::ANKAIOS_VERSION).unwrap_or((1, 0));
    let supported = if ours.0 == 0 {
        format!("{}.{}", ours.0, ours.1)
    } else {
        ours.0.to_string()
    };
    match parse_semver(version) {
        Some((major, minor)) if major == ours.0 && (major != 0 || minor == ours.1) => Ok(()),
        _ => Err(format!(
            "Unsupported protocol version '{version}'. Currently supported '{supported}'"
        )),
    }
}

/// Major and minor of a semver 2.0 version (`1.2.3`, `1.2.3-rc.1+build`), else `None`.
fn parse_semver(version: &str) -> Option<(u64, u64)> {
    let (core, build) = match version.split_once('+') {
        Some((core, build)) => (core, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match core.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (core, None),
    };
    let ident_ok = |s: &str, numeric_rule: bool| {
        s.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !(numeric_rule
                    && id.len() > 1
                    && id.starts_with('0')
                    && id.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    if !pre.is_none_or(|p| ident_ok(p, true)) || !build.is_none_or(|b| ident_ok(b, false)) {
        return None;
    }
    let numbers: Vec<u64> = core
        .split('.')
        .map(|n| {
            let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
            (digits && (n == "0" || !n.starts_with('0')))
                .then(|| n.parse().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    match numbers.as_slice() {
        [major, minor, _patch] => Some((*major, *minor)),
        _ => None,
    }
}

/// `ConnectionClosed` with `reason`.
pub fn closed(reason: String) -> FromAnkaios {
    from_ankaios(FromAnkaiosEnum::ConnectionClosed(ConnectionClosed {
        reason,
    }))
}

/// An error answer to request `id`.
pub fn error(id: String, message: &str) -> FromAnkaios {
    from_ankaios(FromAnkaiosEnum::Response(Response {
        request_id: id,
        response_content: Some(ResponseContent::Error(Error {
            message: message.to_owned(),
        })),
    }))
}

fn from_ankaios(message: FromAnkaiosEnum) -> FromAnkaios {
    FromAnkaios {
        from_ankaios_enum: Some(message),
    }
}

#[cfg(test)]
mod tests;
