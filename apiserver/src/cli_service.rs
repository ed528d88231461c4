//! `CliConnection`: the `ank` CLI's calls. The handlers only forward to the actor.

use ank_model::proto::anchorage::cli_connection_server::CliConnection;
use ank_model::proto::ank_base as pb;
use tokio::sync::{mpsc, oneshot};
use tonic::{Request, Response, Status};

use crate::events::{next_id, Event, EventTx, GuardedStream, STREAM_BUFFER};

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

#[tonic::async_trait]
impl CliConnection for CliService {
    async fn request(
        &self,
        request: Request<pb::Request>,
    ) -> Result<Response<pb::Response>, Status> {
        let (reply, answer) = oneshot::channel();
        let request = request.into_inner();
        self.events
            .send(Event::CliRequest { request, reply })
            .map_err(|_| gone())?;
        answer.await.map(Response::new).map_err(|_| gone())
    }

    type SubscribeStream = GuardedStream;

    async fn subscribe(
        &self,
        request: Request<pb::Request>,
    ) -> Result<Response<GuardedStream>, Status> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let id = next_id();
        let request = request.into_inner();
        self.events
            .send(Event::Subscribe { id, request, tx })
            .map_err(|_| gone())?;
        Ok(Response::new(GuardedStream::new(
            rx,
            id,
            self.events.clone(),
        )))
    }
}
