//! The control interface as a workload sees it: the bench process opens the FIFOs of a native
//! workload (allow rule `*`) and speaks Ankaios' protocol on them, varint-length-delimited
//! `ToAnkaios` into `output`, `FromAnkaios` out of `input`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ank_model::proto::ank_base as pb;
use ank_model::proto::control_api::{
    from_ankaios::FromAnkaiosEnum, to_ankaios::ToAnkaiosEnum, FromAnkaios, Hello, ToAnkaios,
};
use anyhow::{bail, Context};
use pb::request::RequestContent;
use pb::response::ResponseContent;
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;

/// How long one answer may take before the benchmark gives up.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The bench's end of one control interface.
pub struct Control {
    output: pipe::Sender,
    input: pipe::Receiver,
    buf: Vec<u8>,
}

impl Control {
    /// Opens the FIFOs in `dir` and says Hello.
    pub async fn connect(dir: &Path) -> anyhow::Result<Control> {
        // Read-write, so that `input` never reads EOF before the agent opens its writer.
        let input = pipe::OpenOptions::new()
            .read_write(true)
            .open_receiver(dir.join("input"))
            .context("opening input")?;
        let output = pipe::OpenOptions::new()
            .open_sender(dir.join("output"))
            .context("opening output (no agent reader?)")?;
        let mut control = Control {
            output,
            input,
            buf: Vec::new(),
        };
        control
            .send(ToAnkaiosEnum::Hello(Hello {
                protocol_version: "1.0.0".into(),
            }))
            .await?;
        match control.next().await? {
            FromAnkaiosEnum::ControlInterfaceAccepted(_) => Ok(control),
            other => bail!("Hello not accepted: {other:?}"),
        }
    }

    async fn send(&mut self, message: ToAnkaiosEnum) -> anyhow::Result<()> {
        let message = ToAnkaios {
            to_ankaios_enum: Some(message),
        };
        self.output
            .write_all(&message.encode_length_delimited_to_vec())
            .await?;
        Ok(())
    }

    /// Sends a request.
    pub async fn request(&mut self, id: &str, content: RequestContent) -> anyhow::Result<()> {
        self.send(ToAnkaiosEnum::Request(pb::Request {
            request_id: id.into(),
            request_content: Some(content),
        }))
        .await
    }

    /// The next message the agent wrote.
    pub async fn next(&mut self) -> anyhow::Result<FromAnkaiosEnum> {
        loop {
            if let Some((len, start)) = length(&self.buf)? {
                if self.buf.len() >= start + len {
                    let message = FromAnkaios::decode(&self.buf[start..start + len])?;
                    self.buf.drain(..start + len);
                    return message
                        .from_ankaios_enum
                        .context("a message without content");
                }
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = tokio::time::timeout(ANSWER_TIMEOUT, self.input.read(&mut chunk))
                .await
                .context("no answer from the agent")??;
            if n == 0 {
                bail!("the agent closed input");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next response (anything else is an error).
    pub async fn response(&mut self) -> anyhow::Result<pb::Response> {
        match self.next().await? {
            FromAnkaiosEnum::Response(r) => Ok(r),
            other => bail!("expected a response, got {other:?}"),
        }
    }
}

/// The frame length at the start of `buf` and where the body starts, once the varint is whole.
fn length(buf: &[u8]) -> anyhow::Result<Option<(usize, usize)>> {
    let mut value: u64 = 0;
    for (i, byte) in buf.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((usize::try_from(value)?, i + 1)));
        }
    }
    if buf.len() >= 10 {
        bail!("invalid length prefix");
    }
    Ok(None)
}

/// A `CompleteStateRequest` for `masks`.
pub fn get(masks: &[&str], subscribe: bool) -> RequestContent {
    RequestContent::CompleteStateRequest(pb::CompleteStateRequest {
        field_mask: masks.iter().map(|m| (*m).to_owned()).collect(),
        subscribe_for_events: subscribe,
    })
}

/// The state of a `CompleteStateResponse` and its altered fields (`Some` for an event).
pub fn state_of(
    response: pb::Response,
) -> anyhow::Result<(ank_model::CompleteState, Option<pb::AlteredFields>)> {
    match response.response_content {
        Some(ResponseContent::CompleteStateResponse(r)) => Ok((
            r.complete_state.unwrap_or_default().try_into()?,
            r.altered_fields,
        )),
        other => bail!("expected a complete state, got {other:?}"),
    }
}

/// `<run_folder>/<agent>_io/<workload>.<id>/control_interface`.
pub fn folder(run_folder: &Path, agent: &str, workload: &str, id: &str) -> PathBuf {
    run_folder
        .join(format!("{agent}_io"))
        .join(format!("{workload}.{id}"))
        .join("control_interface")
}

/// Waits until the agent has created the FIFOs.
pub async fn wait_for_fifos(dir: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dir.join("output").exists() {
        if Instant::now() > deadline {
            bail!("no control interface in {}", dir.display());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}
