//! The one seam between the podman runtimes and the `podman` binary: a [`CommandRunner`] runs
//! an argv to completion or streams its output lines. Unit tests swap in a recording fake.

use std::io;
use std::pin::Pin;
use std::process::Stdio;

use ank_model::redact::{redact_podman_args, REDACTED};
use async_trait::async_trait;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use crate::podman_kube::volumes::DATA_LABEL;

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// Whether it exited 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl CommandOutput {
    /// Podman's own error message: stderr trimmed, or the stdout when stderr is empty.
    pub fn message(&self) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        text.trim().to_owned()
    }
}

/// Output lines (stdout and stderr interleaved) of a running command; dropping it kills the
/// command.
pub type LineStream = Pin<Box<dyn Stream<Item = io::Result<String>> + Send>>;

/// Runs `podman` with an argv (without the program name).
#[async_trait]
pub trait CommandRunner: Send + Sync + 'static {
    /// Runs to completion and collects the output.
    async fn run(&self, args: &[String]) -> io::Result<CommandOutput>;

    /// Starts a long-running command (`podman events`, `podman logs -f`) and streams its lines.
    fn stream(&self, args: &[String]) -> io::Result<LineStream>;
}

/// The real `podman` binary, with extra environment (e.g. `CONTAINERS_CONF`).
#[derive(Debug, Clone)]
pub struct PodmanCommand {
    /// The program to run, `podman` by default (looked up in `PATH`).
    pub program: String,
    /// Variables added to the agent's environment for every invocation.
    pub env: Vec<(String, String)>,
}

impl Default for PodmanCommand {
    fn default() -> Self {
        PodmanCommand {
            program: "podman".to_owned(),
            env: Vec::new(),
        }
    }
}

impl PodmanCommand {
    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }
}

#[async_trait]
impl CommandRunner for PodmanCommand {
    async fn run(&self, args: &[String]) -> io::Result<CommandOutput> {
        tracing::debug!(args = ?loggable(args), "podman");
        let out = self.command(args).output().await?;
        Ok(CommandOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn stream(&self, args: &[String]) -> io::Result<LineStream> {
        tracing::debug!(args = ?loggable(args), "podman (streaming)");
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        // A streaming podman (`events`, `logs -f`) must not outlive the agent: `kill_on_drop`
        // covers a clean exit, the parent-death signal covers an agent killed with SIGKILL.
        #[allow(unsafe_code)] // reason: `pre_exec` is unsafe because the closure runs between
        // fork and exec; it makes one async-signal-safe syscall (prctl) and allocates nothing.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(io::Error::from)
            });
        }
        let mut child = cmd.spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout pipe"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| io::Error::other("no stderr pipe"))?;
        // The child rides along in the stdout half so that dropping the stream kills it
        // (`kill_on_drop`), and it is reaped when stdout ends.
        let out = lines(stdout).chain(futures::stream::once(async move {
            let _ = child.wait().await;
            None
        }));
        let merged = futures::stream::select(out, lines(stderr)).filter_map(|x| async { x });
        Ok(Box::pin(merged))
    }
}

/// `args` as a log may show them: the values of `-e`/`--env` and of a bookkeeping volume's
/// `data` label (a `podman-kube` runtimeConfig, secrets and all) hidden.
pub fn loggable(args: &[String]) -> Vec<String> {
    let mut shown = redact_podman_args(args);
    for i in 1..shown.len() {
        let label = shown[i].split_once('=').map(|(key, _)| key.to_owned());
        if shown[i - 1] == "--label" && label.as_deref() == Some(DATA_LABEL) {
            shown[i] = format!("{DATA_LABEL}={REDACTED}");
        }
    }
    shown
}

/// Lines of a pipe, each `Some` so the stdout half can end with a `None` marker.
fn lines<R: AsyncRead + Send + Unpin + 'static>(
    pipe: R,
) -> impl Stream<Item = Option<io::Result<String>>> + Send {
    futures::stream::unfold(BufReader::new(pipe).lines(), |mut reader| async move {
        match reader.next_line().await {
            Ok(Some(line)) => Some((Some(Ok(line)), reader)),
            Ok(None) => None,
            Err(e) => Some((Some(Err(e)), reader)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_args_hide_env_values_and_the_config_label() {
        let args: Vec<String> = [
            "run",
            "-e",
            "PASS=s3cret",
            "--label",
            "data=czNjcmV0",
            "--label",
            "a=b",
            "img",
            "X=1",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            loggable(&args).join(" "),
            "run -e PASS=<redacted> --label data=<redacted> --label a=b img X=1"
        );
    }
}
