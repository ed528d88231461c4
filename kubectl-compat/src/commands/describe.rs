//! `ank describe workload NAME…`: a kubectl-like `key: value` block per workload, from its
//! desired state and the states of its instances, secret values of its runtimeConfig redacted.

use std::fmt::Write;
use std::process::ExitCode;

use ank_model::redact::redact_runtime_config;
use ank_model::CompleteState;

use crate::cli::GlobalOptions;
use crate::runner;
use crate::table::{tags, workload_rows};

/// `ank describe` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to describe.
    #[command(subcommand)]
    pub what: What,
}

/// The resources `ank describe` knows.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Workloads.
    #[command(visible_aliases = ["workloads", "wl", "pod", "pods"])]
    Workload {
        /// Their names.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

/// Runs `ank describe`.
pub fn run(global: &GlobalOptions, args: Args) -> anyhow::Result<ExitCode> {
    let What::Workload { names } = args.what;
    runner::with_client(global, |mut client, _| async move {
        let state = client.complete_state(&[]).await?;
        let mut blocks = Vec::new();
        for name in &names {
            match describe(&state, name) {
                Some(text) => blocks.push(text),
                None => anyhow::bail!("workload '{name}' not found"),
            }
        }
        print!("{}", blocks.join("\n"));
        Ok(ExitCode::SUCCESS)
    })
}

/// The block for one workload; `None` when the server knows nothing of it.
pub fn describe(state: &CompleteState, name: &str) -> Option<String> {
    let desired = state.desired_state.workloads.get(name);
    let rows: Vec<_> = workload_rows(state)
        .into_iter()
        .filter(|r| r.name == name)
        .collect();
    if desired.is_none() && rows.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut line = |key: &str, value: &str| {
        let _ = writeln!(out, "{:<17}{value}", format!("{key}:"));
    };
    line("Name", name);
    if let Some(w) = desired {
        line(
            "Agent",
            if w.agent.is_empty() {
                "<none>"
            } else {
                &w.agent
            },
        );
        line("Runtime", &w.runtime);
        line("Restart Policy", &serde_plain(&w.restart_policy));
        line("Tags", &or_none(tags(&w.tags)));
        if !w.node_selector.is_empty() {
            line("Node Selector", &tags(&w.node_selector));
        }
        if let (action, Some(after)) = w.disconnect_policy.parts() {
            line("Disconnect Policy", &format!("{action} after {after}"));
        }
        let deps = w
            .dependencies
            .iter()
            .map(|(k, v)| format!("{k}={}", serde_plain(v)));
        line("Dependencies", &or_none(deps.collect::<Vec<_>>().join(",")));
        line("Configs", &or_none(tags(&w.configs)));
    }
    if rows.is_empty() {
        line("Instances", "<none>");
    } else {
        let _ = writeln!(out, "Instances:");
    }
    for r in &rows {
        let _ = writeln!(out, "  {}.{}.{}", r.name, r.instance_id, r.agent);
        let _ = writeln!(out, "    State:           {}", r.execution_state);
        if !r.additional_info.is_empty() {
            let _ = writeln!(out, "    Additional Info: {}", r.additional_info);
        }
    }
    if let Some(w) = desired {
        // Secret values stay hidden here; `get state` prints them, as Ankaios' API does.
        let _ = writeln!(out, "Runtime Config:");
        for l in redact_runtime_config(&w.runtime, &w.runtime_config).lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    Some(out)
}

fn or_none(text: String) -> String {
    if text.is_empty() {
        "<none>".into()
    } else {
        text
    }
}

fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use ank_model::{AddCondition, ExecutionState, Workload};

    use super::*;

    #[test]
    fn describes_desired_and_instances() {
        let mut s = CompleteState::default();
        let w = Workload {
            agent: "agent_A".into(),
            runtime: "native".into(),
            restart_policy: ank_model::RestartPolicy::OnFailure,
            dependencies: [("db".to_owned(), AddCondition::Running)].into(),
            runtime_config: "command: [sleep, '9']\n".into(),
            ..Workload::default()
        };
        s.desired_state.workloads.insert("web".into(), w);
        let ids = [("abc".to_owned(), ExecutionState::running())].into();
        s.workload_states
            .entry("agent_A".into())
            .or_default()
            .insert("web".into(), ids);
        let text = describe(&s, "web").expect("found");
        for want in [
            "Name:            web",
            "Restart Policy:  ON_FAILURE",
            "Dependencies:    db=ADD_COND_RUNNING",
            "  web.abc.agent_A",
            "    State:           Running(Ok)",
            "Runtime Config:\n  command:\n  - sleep\n  - '9'",
        ] {
            assert!(text.contains(want), "{want:?} missing in\n{text}");
        }
        assert!(describe(&s, "nope").is_none());
    }

    #[test]
    fn runtime_config_secrets_are_redacted_names_kept() {
        let mut s = CompleteState::default();
        let manifest = "kind: Secret\nstringData: {token: s3cret-a}\n---\nkind: Pod\nspec:\n  \
                        containers: [{name: c, env: [{name: PASS, value: s3cret-b}]}]\n";
        let kube = serde_yaml_ng::to_string(&ank_model::runtime_config::PodmanKubeConfig {
            manifest: manifest.into(),
            ..Default::default()
        })
        .expect("serializes");
        for (name, runtime, config) in [
            (
                "nat",
                "native",
                "command: [sh]\nenv: {DB_PASS: s3cret-c}\n".to_owned(),
            ),
            (
                "pod",
                "podman",
                "image: x\ncommandOptions: [-e, KEY=s3cret-d]\n".to_owned(),
            ),
            ("kube", "podman-kube", kube),
        ] {
            let w = Workload {
                runtime: runtime.into(),
                runtime_config: config,
                ..Workload::default()
            };
            s.desired_state.workloads.insert(name.into(), w);
            let text = describe(&s, name).expect("found");
            assert!(!text.contains("s3cret"), "a secret value in\n{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
        let text = describe(&s, "pod").expect("found");
        assert!(text.contains("KEY=<redacted>"), "{text}");
    }
}
