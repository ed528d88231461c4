//! Log requests from the server: for each named instance on this agent, the runtime's log lines
//! go back as LogEntriesResponse with the server's request id, then one LogsStopResponse per
//! instance. A LogsCancelRequest with the same id ends the streams. The tasks are owned here.

use std::collections::HashMap;
use std::sync::Arc;

use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::proto::anchorage::ToServer;
use ank_model::proto::ank_base::{self as pb, response::ResponseContent};
use ank_model::{api, WorkloadInstanceName};
use futures::StreamExt;
use runtimes::{LogOptions, Runtime};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::convert::to_server;

/// Most lines sent in one LogEntriesResponse.
const BATCH: usize = 100;

/// The running log streams, by request id.
#[derive(Default)]
pub struct LogStreams {
    /// One task per (request, instance); each returns its request id.
    tasks: JoinSet<String>,
    /// Cancels a request's streams; counts its tasks still running.
    requests: HashMap<String, (CancellationToken, usize)>,
}

/// The options of a LogsRequest.
pub fn options(request: &api::LogsRequest) -> LogOptions {
    LogOptions {
        follow: request.follow,
        tail: request.tail.and_then(|t| usize::try_from(t).ok()),
        since: request.since.clone(),
        until: request.until.clone(),
    }
}

impl LogStreams {
    /// Starts one stream per instance. An instance without a runtime gets only its stop.
    pub fn start(
        &mut self,
        request_id: String,
        options: &LogOptions,
        instances: Vec<(WorkloadInstanceName, Option<Arc<dyn Runtime>>)>,
        sender: mpsc::Sender<ToServer>,
    ) {
        let cancel = CancellationToken::new();
        let count = instances.len();
        for (instance, runtime) in instances {
            let stream = stream_one(
                request_id.clone(),
                instance,
                runtime,
                options.clone(),
                sender.clone(),
                cancel.clone(),
            );
            self.tasks.spawn(stream);
        }
        if count > 0 {
            self.requests.insert(request_id, (cancel, count));
        }
    }

    /// Ends the streams of `request_id`.
    pub fn cancel(&mut self, request_id: &str) {
        if let Some((cancel, _)) = self.requests.remove(request_id) {
            cancel.cancel();
        }
    }

    /// Ends every stream (the session is gone or the agent stops).
    pub async fn cancel_all(&mut self) {
        for (_, (cancel, _)) in self.requests.drain() {
            cancel.cancel();
        }
        self.tasks.shutdown().await;
    }

    /// Waits for a stream to end (pending forever when there is none) and forgets the request
    /// once all its streams have.
    pub async fn reap(&mut self) {
        let Some(done) = self.tasks.join_next().await else {
            return std::future::pending().await;
        };
        let Ok(request_id) = done else { return };
        if let Some((_, left)) = self.requests.get_mut(&request_id) {
            *left -= 1;
            if *left == 0 {
                self.requests.remove(&request_id);
            }
        }
    }
}

fn response(request_id: &str, content: ResponseContent) -> ToServer {
    to_server(ToServerEnum::Response(pb::Response {
        request_id: request_id.to_owned(),
        response_content: Some(content),
    }))
}

async fn stream_one(
    request_id: String,
    instance: WorkloadInstanceName,
    runtime: Option<Arc<dyn Runtime>>,
    options: LogOptions,
    sender: mpsc::Sender<ToServer>,
    cancel: CancellationToken,
) -> String {
    let lines = match runtime {
        Some(runtime) => runtime.logs(&instance, &options).await,
        None => Err(runtimes::RuntimeError::NotFound(instance.to_string())),
    };
    match lines {
        Ok(lines) => {
            let mut batches = lines.ready_chunks(BATCH);
            loop {
                let batch = tokio::select! {
                    () = cancel.cancelled() => break,
                    batch = batches.next() => batch,
                };
                let Some(batch) = batch else { break };
                let log_entries: Vec<_> = batch
                    .into_iter()
                    .filter_map(|line| {
                        line.map_err(|e| tracing::warn!(%instance, error = %e, "log stream"))
                            .ok()
                    })
                    .map(|message| pb::LogEntry {
                        workload_name: Some(instance.clone().into()),
                        message,
                    })
                    .collect();
                let entries =
                    ResponseContent::LogEntriesResponse(pb::LogEntriesResponse { log_entries });
                if sender.send(response(&request_id, entries)).await.is_err() {
                    return request_id;
                }
            }
        }
        Err(e) => tracing::warn!(%instance, error = %e, "cannot read logs"),
    }
    let stop = ResponseContent::LogsStopResponse(pb::LogsStopResponse {
        workload_name: Some(instance.into()),
    });
    let _ = sender.send(response(&request_id, stop)).await;
    request_id
}
