//! The control interface: how a workload talks to Anchorage with Ankaios' protocol (see
//! `shared/spec/control-interface.md`). Each instance whose `controlInterfaceAccess` has allow
//! rules gets `<run_folder>/<agent>_io/<workload>.<id>/control_interface/` with two FIFOs,
//! `input` (agent → workload, `FromAnkaios`) and `output` (workload → agent, `ToAnkaios`),
//! varint-length-delimited protobuf. Container runtimes mount the folder at
//! `/run/ankaios/control_interface`; a `native` process gets its path in the environment
//! variable [`ENV_VAR`] (`ANKAIOS_CONTROL_INTERFACE`).
//!
//! [`ControlInterfaces`] (owned by the agent loop) creates and removes the folders and owns one
//! task per interface. Allowed requests reach the loop as [`Outgoing`] (id prefixed
//! `<workload>@`); the loop forwards them with [`ControlInterfaces::forward`] and routes the
//! server's answers back with [`ControlInterfaces::route`], which strips the prefix. The loop
//! itself never looks inside a control-interface message.
//!
//! # Layout
//! - [`framing`]: the length-delimited frames, incremental and bounded.
//! - [`fifo`]: creating, opening, reading and writing the FIFOs as Ankaios does.
//! - [`session`]: the protocol (Hello, Accepted, ConnectionClosed, pending requests).
//! - [`authorize`]: the access rules applied to requests.
//! - [`task`]: one interface's task.

pub mod authorize;
pub mod fifo;
pub mod framing;
pub mod session;
pub mod task;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ank_model::access::Authorizer;
use ank_model::api::{self, split_workload_id};
use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::proto::anchorage::ToServer;
use ank_model::proto::ank_base::{request::RequestContent, LogsCancelRequest, Request, Response};
use ank_model::{ControlInterfaceAccess, WorkloadInstanceName};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::convert::to_server;
use task::{Delivery, Task};

/// The environment variable that tells a `native` workload where its control interface is.
pub const ENV_VAR: &str = runtimes::process::CONTROL_INTERFACE_ENV;
/// The subfolder of an instance folder that holds the FIFOs.
pub const SUBFOLDER: &str = "control_interface";
/// Requests of all interfaces queued for the agent loop.
const REQUEST_QUEUE: usize = 256;
/// Answers queued for one interface. A burst of events (a few per workload, for hundreds of
/// workloads at once) must fit while the writer hands them to the workload one by one, each
/// once the one before was read; what does not fit is dropped, so a workload that does not
/// read costs at most this many answers. (At 64, a subscriber that read lost events while
/// 200 workloads were applied at once.)
const DELIVERY_QUEUE: usize = 4096;
/// The answer to a request while the agent has no server connection.
pub const NOT_CONNECTED: &str = "Agent is not connected to the server";
/// The answer to a request the server queue has no room for.
pub const QUEUE_FULL: &str = "too many requests";

/// `<instance folder>/control_interface`.
pub fn folder(instance_dir: &Path) -> PathBuf {
    instance_dir.join(SUBFOLDER)
}

/// Why an interface cannot be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot create the control interface in '{dir}': {source}")]
pub struct CreateError {
    dir: PathBuf,
    #[source]
    source: std::io::Error,
}

/// A request of a workload on its way to the server, id prefixed `<workload>@`.
#[derive(Debug)]
pub struct Outgoing {
    instance: WorkloadInstanceName,
    request: Box<Request>,
    /// Made by the agent (a logs cancel): no answer goes to the workload if it fails.
    internal: bool,
}

impl Outgoing {
    fn new(instance: WorkloadInstanceName, mut request: Request, internal: bool) -> Outgoing {
        request.request_id = format!("{}@{}", instance.workload_name, request.request_id);
        Outgoing {
            instance,
            request: Box::new(request),
            internal,
        }
    }

    fn cancel_logs(instance: WorkloadInstanceName, id: String) -> Outgoing {
        let request = Request {
            request_id: id,
            request_content: Some(RequestContent::LogsCancelRequest(LogsCancelRequest {})),
        };
        Outgoing::new(instance, request, true)
    }

    /// The id as the workload sent it.
    fn original_id(&self) -> String {
        split_workload_id(&self.request.request_id)
            .map_or_else(String::new, |(_, id)| id.to_owned())
    }
}

/// One live interface.
struct Handle {
    access: ControlInterfaceAccess,
    dir: PathBuf,
    cancel: CancellationToken,
    deliveries: mpsc::Sender<Delivery>,
}

/// The interfaces of the agent's instances; see the module docs.
pub struct ControlInterfaces {
    interfaces: BTreeMap<WorkloadInstanceName, Handle>,
    /// The instance whose interface answers for a workload name (the newest).
    by_workload: BTreeMap<String, WorkloadInstanceName>,
    tasks: JoinSet<()>,
    requests_tx: mpsc::Sender<Outgoing>,
    requests: mpsc::Receiver<Outgoing>,
}

impl Default for ControlInterfaces {
    fn default() -> Self {
        let (requests_tx, requests) = mpsc::channel(REQUEST_QUEUE);
        ControlInterfaces {
            interfaces: BTreeMap::new(),
            by_workload: BTreeMap::new(),
            tasks: JoinSet::new(),
            requests_tx,
            requests,
        }
    }
}

impl ControlInterfaces {
    /// Sets up the interface an instance needs before it is started: none without allow rules
    /// (an old one is removed), else the folder with its FIFOs (kept when the rules are the
    /// same, recreated when they changed) and a fresh task. Returns the folder to mount.
    pub fn ensure(
        &mut self,
        instance: &WorkloadInstanceName,
        instance_dir: &Path,
        access: &ControlInterfaceAccess,
    ) -> Result<Option<PathBuf>, CreateError> {
        if access.allow_rules.is_empty() {
            self.remove(instance);
            return Ok(None);
        }
        let dir = folder(instance_dir);
        match self.interfaces.get(instance) {
            Some(old) if old.access == *access && old.dir == dir => self.stop_task(instance),
            Some(_) => self.remove(instance),
            None => {}
        }
        let reader = fifo::create(&dir)
            .and_then(|()| fifo::Reader::open(&dir))
            .map_err(|source| CreateError {
                dir: dir.clone(),
                source,
            })?;
        let cancel = CancellationToken::new();
        let (deliveries_tx, deliveries) = mpsc::channel(DELIVERY_QUEUE);
        let task = Task {
            instance: instance.clone(),
            dir: dir.clone(),
            reader,
            authorizer: Authorizer::new(access),
            requests: self.requests_tx.clone(),
            deliveries,
            cancel: cancel.clone(),
        };
        self.tasks.spawn(task.run());
        self.interfaces.insert(
            instance.clone(),
            Handle {
                access: access.clone(),
                dir: dir.clone(),
                cancel,
                deliveries: deliveries_tx,
            },
        );
        self.by_workload
            .insert(instance.workload_name.clone(), instance.clone());
        tracing::info!(%instance, dir = %dir.display(), "control interface ready");
        Ok(Some(dir))
    }

    fn stop_task(&mut self, instance: &WorkloadInstanceName) {
        if let Some(handle) = self.interfaces.remove(instance) {
            handle.cancel.cancel();
        }
    }

    /// Ends an instance's interface and removes its folder (no-op without one).
    pub fn remove(&mut self, instance: &WorkloadInstanceName) {
        let Some(handle) = self.interfaces.remove(instance) else {
            return;
        };
        handle.cancel.cancel();
        if let Err(e) = fifo::remove(&handle.dir) {
            tracing::warn!(%instance, error = %e, "cannot remove the control interface");
        }
        if self.by_workload.get(&instance.workload_name) == Some(instance) {
            self.by_workload.remove(&instance.workload_name);
            if let Some(other) = self
                .interfaces
                .keys()
                .find(|i| i.workload_name == instance.workload_name)
            {
                self.by_workload
                    .insert(instance.workload_name.clone(), other.clone());
            }
        }
    }

    /// The next request of a workload for the server. Reaps finished tasks meanwhile; pending
    /// forever while there is nothing.
    pub async fn next(&mut self) -> Outgoing {
        loop {
            tokio::select! {
                Some(outgoing) = self.requests.recv() => return outgoing,
                Some(done) = self.tasks.join_next() => {
                    if let Err(e) = done {
                        if e.is_panic() {
                            tracing::error!(error = %e, "a control interface task panicked");
                        }
                    }
                }
                else => std::future::pending::<()>().await,
            }
        }
    }

    /// Sends a workload's request to the server, or answers the workload with an error when
    /// there is no connection or no room.
    pub fn forward(&mut self, outgoing: Outgoing, server: Option<&mpsc::Sender<ToServer>>) {
        let Some(server) = server else {
            return self.refuse(outgoing, NOT_CONNECTED);
        };
        let Outgoing {
            instance,
            request,
            internal,
        } = outgoing;
        if let Err(e) = server.try_send(to_server(ToServerEnum::Request(*request))) {
            let why = match e {
                mpsc::error::TrySendError::Full(_) => QUEUE_FULL,
                mpsc::error::TrySendError::Closed(_) => NOT_CONNECTED,
            };
            let Some(ToServerEnum::Request(request)) = e.into_inner().to_server_enum else {
                return;
            };
            self.refuse(
                Outgoing {
                    instance,
                    request: Box::new(request),
                    internal,
                },
                why,
            );
        }
    }

    fn refuse(&mut self, outgoing: Outgoing, why: &'static str) {
        if outgoing.internal {
            return;
        }
        let id = outgoing.original_id();
        if let Some(handle) = self.interfaces.get(&outgoing.instance) {
            let _ = handle.deliveries.try_send(Delivery::Refused(id, why));
        }
    }

    /// Routes a server answer (id `<workload>@<id>`) to its workload's interface. Log entries
    /// that cannot be delivered are cancelled at the server.
    pub fn route(&mut self, mut response: api::Response, server: Option<&mpsc::Sender<ToServer>>) {
        let prefixed = response.id.clone();
        let Some((workload, id)) = split_workload_id(&prefixed) else {
            tracing::debug!(id = prefixed, "a response without a workload prefix");
            return;
        };
        let handle = self
            .by_workload
            .get(workload)
            .and_then(|instance| self.interfaces.get(instance));
        let logs = matches!(response.content, api::ResponseContent::LogEntries(_));
        response.id = id.to_owned();
        // Back to the wire at this edge: the workload reads Ankaios' own messages.
        let delivered = handle.is_some_and(|h| {
            h.deliveries
                .try_send(Delivery::Response(Box::new(Response::from(response))))
                .is_ok()
        });
        if !delivered {
            tracing::debug!(id = prefixed, "cannot deliver a response to a workload");
            if logs {
                if let Some(server) = server {
                    let cancel = Request {
                        request_id: prefixed,
                        request_content: Some(RequestContent::LogsCancelRequest(
                            LogsCancelRequest {},
                        )),
                    };
                    let _ = server.try_send(to_server(ToServerEnum::Request(cancel)));
                }
            }
        }
    }

    /// The server connection dropped: pending requests will not be answered.
    pub fn server_gone(&mut self) {
        for handle in self.interfaces.values() {
            let _ = handle.deliveries.try_send(Delivery::ServerGone);
        }
    }

    /// Ends every task; the folders stay for the workloads and the next agent.
    pub async fn shutdown(&mut self) {
        for handle in self.interfaces.values() {
            handle.cancel.cancel();
        }
        self.interfaces.clear();
        self.by_workload.clear();
        self.tasks.shutdown().await;
    }
}

#[cfg(test)]
mod tests;
