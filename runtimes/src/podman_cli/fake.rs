//! A recording [`CommandRunner`] for unit tests: answers from a script of argv prefixes and
//! keeps every argv it saw.

use std::io;
use std::sync::Mutex;

use async_trait::async_trait;

use super::runner::{CommandOutput, CommandRunner, LineStream};

/// Records calls; `run` answers with the first scripted output whose prefix matches.
#[derive(Default)]
pub struct FakeRunner {
    /// (argv prefix joined by spaces, output).
    pub script: Mutex<Vec<(String, CommandOutput)>>,
    /// Every argv seen, joined by spaces.
    pub calls: Mutex<Vec<String>>,
}

impl FakeRunner {
    /// Answers calls starting with `prefix` with `stdout` (success) or `stderr` (failure).
    pub fn on(&self, prefix: &str, success: bool, text: &str) {
        let out = CommandOutput {
            success,
            stdout: if success {
                text.to_owned()
            } else {
                String::new()
            },
            stderr: if success {
                String::new()
            } else {
                text.to_owned()
            },
        };
        self.script
            .lock()
            .expect("lock")
            .push((prefix.to_owned(), out));
    }

    /// The argvs seen so far, except the watcher's own `events` and `ps`.
    pub fn calls(&self) -> Vec<String> {
        let calls = self.calls.lock().expect("lock");
        calls
            .iter()
            .filter(|c| !c.starts_with("events ") && !c.starts_with("ps -a --format json"))
            .cloned()
            .collect()
    }
}

#[async_trait]
impl CommandRunner for FakeRunner {
    async fn run(&self, args: &[String]) -> io::Result<CommandOutput> {
        let line = args.join(" ");
        self.calls.lock().expect("lock").push(line.clone());
        let script = self.script.lock().expect("lock");
        Ok(script
            .iter()
            .find(|(prefix, _)| line.starts_with(prefix.as_str()))
            .map(|(_, out)| out.clone())
            .unwrap_or(CommandOutput {
                success: true,
                ..CommandOutput::default()
            }))
    }

    fn stream(&self, args: &[String]) -> io::Result<LineStream> {
        self.calls.lock().expect("lock").push(args.join(" "));
        // A stream that never ends: the watcher waits on it like on a quiet `podman events`.
        Ok(Box::pin(futures::stream::pending()))
    }
}
