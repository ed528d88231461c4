//! `podman logs` of one or more containers as one [`LogStream`].

use std::sync::Arc;

use futures::StreamExt;

use super::runner::CommandRunner;
use crate::{LogOptions, LogStream, RuntimeError};

/// `logs [--follow] [--tail N] [--since S] [--until U] <container>`.
pub fn log_args(options: &LogOptions, container: &str) -> Vec<String> {
    let mut args = vec!["logs".to_owned()];
    if options.follow {
        args.push("--follow".to_owned());
    }
    if let Some(n) = options.tail {
        args.extend(["--tail".to_owned(), n.to_string()]);
    }
    if let Some(since) = &options.since {
        args.extend(["--since".to_owned(), since.clone()]);
    }
    if let Some(until) = &options.until {
        args.extend(["--until".to_owned(), until.clone()]);
    }
    args.push(container.to_owned());
    args
}

/// The logs of `containers` (`(prefix, container)`; lines get `prefix` when it is `Some`).
/// Without `follow` the containers come one after the other; with it, lines interleave as
/// they arrive.
pub fn log_stream(
    runner: &Arc<dyn CommandRunner>,
    general_options: &[String],
    containers: Vec<(Option<String>, String)>,
    options: &LogOptions,
) -> Result<LogStream, RuntimeError> {
    let mut streams = Vec::new();
    for (prefix, container) in containers {
        let mut args = general_options.to_vec();
        args.extend(log_args(options, &container));
        let lines = runner
            .stream(&args)
            .map_err(|e| RuntimeError::Logs(format!("cannot run podman logs: {e}")))?;
        streams.push(lines.map(move |line| match line {
            Ok(line) => Ok(match &prefix {
                Some(p) => format!("[{p}] {line}"),
                None => line,
            }),
            Err(e) => Err(RuntimeError::Logs(e.to_string())),
        }));
    }
    Ok(if options.follow {
        Box::pin(futures::stream::select_all(streams))
    } else {
        Box::pin(futures::stream::iter(streams).flatten())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_logs_argv() {
        let options = LogOptions {
            follow: true,
            tail: Some(5),
            since: Some("10m".into()),
            until: None,
        };
        assert_eq!(
            log_args(&options, "c1"),
            ["logs", "--follow", "--tail", "5", "--since", "10m", "c1"]
        );
        assert_eq!(log_args(&LogOptions::default(), "c1"), ["logs", "c1"]);
    }
}
