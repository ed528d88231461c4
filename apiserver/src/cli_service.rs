//! `CliConnection`: the `ank` CLI's calls. The handlers only translate between the wire and
//! the domain requests and responses (`ank_model::api`) and forward to the actor. A request
//! that is not one (no content, no new state) is answered here with Ankaios' message.

use std::pin::Pin;
use std::task::{Context, Poll};

use ank_model::api;
use ank_model::proto::anchorage::cli_connection_server::CliConnection;
use ank_model::proto::ank_base as pb;
use futures::Stream;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::events::{next_id, Event, EventTx, STREAM_BUFFER};

/// The CLI service; cheap to clone (a sender to the actor).
#[derive(Debug, Clone)]
pub struct CliService {
    events: EventTx,
}

impl CliService {
    /// A service forwarding to the actor's inbox.
    pub fn new(events: EventTx) -> Self {
        CliService { events }
    }
}

fn gone() -> Status {
    Status::unavailable("the server is shutting down")
}

/// The domain request, or the error response that answers a broken one.
fn domain(request: pb::Request) -> Result<api::Request, api::Response> {
    api::Request::try_from(request).map_err(|e| api::Response::error(e.id, e.error.to_string()))
}

#[tonic::async_trait]
impl CliConnection for CliService {
    async fn request(
        &self,
        request: Request<pb::Request>,
    ) -> Result<Response<pb::Response>, Status> {
        let request = match domain(request.into_inner()) {
            Ok(request) => request,
            Err(refused) => return Ok(Response::new(refused.into())),
        };
        let (reply, answer) = oneshot::channel();
        self.events
            .send(Event::CliRequest { request, reply })
            .map_err(|_| gone())?;
        answer
            .await
            .map(|answer| Response::new(answer.into()))
            .map_err(|_| gone())
    }

    type SubscribeStream = GuardedStream;

    async fn subscribe(
        &self,
        request: Request<pb::Request>,
    ) -> Result<Response<GuardedStream>, Status> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let id = next_id();
        match domain(request.into_inner()) {
            Ok(request) => self
                .events
                .send(Event::Subscribe { id, request, tx })
                .map_err(|_| gone())?,
            // One answer, then the stream ends (the sender is dropped).
            Err(refused) => tx.try_send(refused).map_err(|_| gone())?,
        }
        Ok(Response::new(GuardedStream::new(
            rx,
            id,
            self.events.clone(),
        )))
    }
}

/// A `Subscribe` response stream that turns the actor's answers into wire messages and tells
/// the actor when the client drops it, so that subscriptions and log requests end with it (a
/// drop guard, no polling).
pub struct GuardedStream {
    inner: ReceiverStream<api::Response>,
    id: u64,
    events: EventTx,
}

impl GuardedStream {
    /// Wraps the receiving half of stream `id`.
    pub fn new(rx: mpsc::Receiver<api::Response>, id: u64, events: EventTx) -> Self {
        GuardedStream {
            inner: ReceiverStream::new(rx),
            id,
            events,
        }
    }
}

impl Stream for GuardedStream {
    type Item = Result<pb::Response, Status>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner)
            .poll_next(cx)
            .map(|item| item.map(|response| Ok(response.into())))
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        // The actor may be gone already (shutdown); then there is nothing to clean up.
        let _ = self.events.send(Event::StreamGone { id: self.id });
    }
}
