//! The task of one control interface: reads frames from `output`, runs them through the
//! [`Session`], writes answers to `input`, hands allowed requests to the agent loop and writes
//! the server's answers back. It ends when cancelled, when the session closes, or when the
//! FIFOs cannot be opened any more.

use std::path::PathBuf;

use ank_model::access::Authorizer;
use ank_model::proto::ank_base::{response::ResponseContent, Response};
use ank_model::proto::control_api::FromAnkaios;
use ank_model::WorkloadInstanceName;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::fifo::{Read, Reader, Writer};
use super::framing::{encode, FrameError};
use super::session::{closed, error, Action, Session, TOO_MANY, UNDECODABLE};
use super::Outgoing;

/// What the agent loop hands to a task.
#[derive(Debug)]
pub enum Delivery {
    /// A server answer, with the workload's own request id.
    Response(Box<Response>),
    /// The agent could not forward this request (the id is the workload's).
    Refused(String, &'static str),
    /// The server connection dropped.
    ServerGone,
}

/// Everything a task needs.
pub struct Task {
    /// The instance it serves.
    pub instance: WorkloadInstanceName,
    /// The `control_interface` folder.
    pub dir: PathBuf,
    /// The agent's end of `output`, already open so that a workload finds a reader at once.
    pub reader: Reader,
    /// The workload's rules.
    pub authorizer: Authorizer,
    /// Allowed requests, to the agent loop.
    pub requests: mpsc::Sender<Outgoing>,
    /// Answers, from the agent loop.
    pub deliveries: mpsc::Receiver<Delivery>,
    /// Ends the task.
    pub cancel: CancellationToken,
}

impl Task {
    /// Serves the interface until cancelled or closed.
    pub async fn run(mut self) {
        let cancel = self.cancel.clone();
        tokio::select! {
            () = cancel.cancelled() => {}
            () = self.serve() => {}
        }
    }

    async fn serve(&mut self) {
        let mut writer = Writer::new(&self.dir);
        let mut session =
            Session::new(self.instance.workload_name.clone(), self.authorizer.clone());
        loop {
            tokio::select! {
                read = self.reader.next() => {
                    let action = match read {
                        Ok(Read::Frame(frame)) => session.on_frame(&frame),
                        Ok(Read::WriterGone) => {
                            session.on_writer_gone();
                            Action::None
                        }
                        Ok(Read::Broken(e)) => Action::Close(reason(&e)),
                        Err(e) => {
                            tracing::warn!(instance = %self.instance, error = %e, "control interface read failed");
                            return;
                        }
                    };
                    match action {
                        Action::None => {}
                        Action::Send(message) => {
                            self.write(&mut writer, &message).await;
                        }
                        Action::Forward(request) => {
                            if let Err(id) = self.forward(request) {
                                session.forget(&id);
                                self.write(&mut writer, &error(id, TOO_MANY)).await;
                            }
                        }
                        Action::Close(reason) => {
                            tracing::warn!(instance = %self.instance, reason, "closing the control interface");
                            self.write(&mut writer, &closed(reason)).await;
                            return;
                        }
                    }
                }
                Some(delivery) = self.deliveries.recv() => match delivery {
                    Delivery::Response(response) => {
                        let logs = matches!(response.response_content, Some(ResponseContent::LogEntriesResponse(_)));
                        let id = response.request_id.clone();
                        let message = session.on_response(*response);
                        if !self.write(&mut writer, &message).await && logs {
                            self.cancel_logs(id);
                        }
                    }
                    Delivery::Refused(id, why) => {
                        session.forget(&id);
                        self.write(&mut writer, &error(id, why)).await;
                    }
                    Delivery::ServerGone => session.on_server_gone(),
                },
            }
        }
    }

    /// Hands a request to the agent loop; gives its id back when the queue is full.
    fn forward(&self, request: ank_model::proto::ank_base::Request) -> Result<(), String> {
        let id = request.request_id.clone();
        let outgoing = Outgoing::new(self.instance.clone(), request, false);
        self.requests.try_send(outgoing).map_err(|_| id)
    }

    /// The workload does not read its logs any more: the server may stop sending them.
    fn cancel_logs(&self, id: String) {
        tracing::debug!(instance = %self.instance, id, "log entries undeliverable, cancelling");
        let outgoing = Outgoing::cancel_logs(self.instance.clone(), id);
        if self.requests.try_send(outgoing).is_err() {
            tracing::debug!(instance = %self.instance, "cannot cancel logs: queue full");
        }
    }

    /// Writes one message; false (and logged) when the workload does not read.
    async fn write(&self, writer: &mut Writer, message: &FromAnkaios) -> bool {
        match writer.write(&encode(message)).await {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(instance = %self.instance, error = %e, "cannot write to the control interface");
                false
            }
        }
    }
}

fn reason(e: &FrameError) -> String {
    match e {
        FrameError::BadPrefix => UNDECODABLE.to_owned(),
        FrameError::TooLarge(_) => e.to_string(),
    }
}
