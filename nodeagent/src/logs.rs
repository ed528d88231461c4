//! Log requests from the server: for each named instance on this agent, the runtime's log lines
//! go back as LogEntriesResponse with the server's request id, then one LogsStopResponse per
//! instance. A LogsCancelRequest with the same id ends the streams. The tasks are owned here.
//!
//! Memory stays bounded whatever the log's size: a runtime's stream is read one message
//! batch at a time (at most [`BATCH`] lines and about [`BATCH_BYTES`]), and a batch is sent only
//! while the session queue is at most a quarter full, so logs neither pile up in the agent nor
//! crowd out its state reports.

use std::collections::HashMap;
use std::sync::Arc;

use ank_model::proto::anchorage::to_server::ToServerEnum;
use ank_model::proto::anchorage::ToServer;
use ank_model::proto::ank_base::{self as pb, response::ResponseContent};
use ank_model::{api, WorkloadInstanceName};
use futures::{FutureExt, StreamExt};
use runtimes::{LogOptions, Runtime};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::convert::to_server;

/// Most lines sent in one LogEntriesResponse.
const BATCH: usize = 100;
/// A LogEntriesResponse is closed once its messages pass this many bytes (one line of at most
/// 64 KiB may go over), far below gRPC's 4 MiB message limit.
const BATCH_BYTES: usize = 64 * 1024;

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
            let mut lines = lines.fuse();
            loop {
                let batch = tokio::select! {
                    () = cancel.cancelled() => break,
                    batch = next_batch(&mut lines, &instance) => batch,
                };
                let Some(batch) = batch else { break };
                if batch.is_empty() {
                    continue;
                }
                let entries = ResponseContent::LogEntriesResponse(pb::LogEntriesResponse {
                    log_entries: batch,
                });
                if !send_when_room(&sender, response(&request_id, entries), &cancel).await {
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

/// The next lines of `lines`: waits for one, then takes what is ready up to the bounds. `None`
/// at the stream's end.
async fn next_batch(
    lines: &mut futures::stream::Fuse<runtimes::LogStream>,
    instance: &WorkloadInstanceName,
) -> Option<Vec<pb::LogEntry>> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    let mut next = Some(lines.next().await?);
    while let Some(line) = next {
        match line {
            Ok(message) => {
                bytes += message.len();
                batch.push(pb::LogEntry {
                    workload_name: Some(instance.clone().into()),
                    message,
                });
            }
            Err(e) => tracing::warn!(%instance, error = %e, "log stream"),
        }
        if batch.len() >= BATCH || bytes >= BATCH_BYTES {
            break;
        }
        next = lines.next().now_or_never().flatten();
    }
    Some(batch)
}

/// Sends `message` once three quarters of the session queue are free (state reports keep
/// their room); false when the session or the request is gone.
async fn send_when_room(
    sender: &mpsc::Sender<ToServer>,
    message: ToServer,
    cancel: &CancellationToken,
) -> bool {
    let keep_free = sender.max_capacity() * 3 / 4;
    tokio::select! {
        biased;
        () = cancel.cancelled() => return false,
        room = sender.reserve_many(keep_free) => {
            if room.is_err() {
                return false;
            }
        }
    }
    sender.send(message).await.is_ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn instance() -> WorkloadInstanceName {
        WorkloadInstanceName::new("w", "a", "cfg")
    }

    fn stream_of(lines: Vec<String>) -> futures::stream::Fuse<runtimes::LogStream> {
        let stream: runtimes::LogStream = futures::stream::iter(lines.into_iter().map(Ok)).boxed();
        stream.fuse()
    }

    #[tokio::test]
    async fn batches_are_bounded_in_lines_and_bytes_and_lose_nothing() {
        let mut lines = stream_of((0..250).map(|i| i.to_string()).collect());
        let mut sizes = Vec::new();
        while let Some(batch) = next_batch(&mut lines, &instance()).await {
            sizes.push(batch.len());
        }
        assert_eq!(sizes, [100, 100, 50]);
        let mut lines = stream_of(vec!["x".repeat(30_000); 7]);
        let mut sizes = Vec::new();
        while let Some(batch) = next_batch(&mut lines, &instance()).await {
            let bytes: usize = batch.iter().map(|e| e.message.len()).sum();
            assert!(bytes < BATCH_BYTES + 30_000);
            sizes.push(batch.len());
        }
        assert_eq!(sizes, [3, 3, 1]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_waits_while_the_queue_is_over_a_quarter_full() {
        let (sender, mut receiver) = mpsc::channel::<ToServer>(8);
        let cancel = CancellationToken::new();
        let message = || {
            response(
                "r",
                ResponseContent::LogsStopResponse(pb::LogsStopResponse::default()),
            )
        };
        for _ in 0..3 {
            assert!(send_when_room(&sender, message(), &cancel).await);
        }
        // Three of eight queued (six must stay free): a fourth waits for the reader.
        let fourth = send_when_room(&sender, message(), &cancel);
        tokio::pin!(fourth);
        assert!(tokio::time::timeout(Duration::from_secs(1), &mut fourth)
            .await
            .is_err());
        receiver.recv().await.expect("queued");
        assert!(fourth.await);
        cancel.cancel();
        assert!(!send_when_room(&sender, message(), &cancel).await);
    }
}
