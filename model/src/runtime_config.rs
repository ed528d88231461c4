//! The `runtimeConfig` schemas of the three runtimes. A workload's `runtimeConfig` is a YAML
//! string; `runtimes` parses it with these types when it starts a workload, `podspec` writes it
//! when it translates Kubernetes objects, and `ank validate` checks it. One definition serves all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The name of the `podman` runtime.
pub const PODMAN: &str = "podman";
/// The name of the `podman-kube` runtime.
pub const PODMAN_KUBE: &str = "podman-kube";
/// The name of the native process runtime (an Anchorage addition).
pub const NATIVE: &str = "native";

/// `runtime: podman` — `podman [generalOptions] run -d [commandOptions] image [commandArgs]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodmanConfig {
    /// Options before `run` (e.g. `--log-level`).
    #[serde(default)]
    pub general_options: Vec<String>,
    /// Options of `podman run` (e.g. `-p 8080:80`).
    #[serde(default)]
    pub command_options: Vec<String>,
    /// The image reference.
    pub image: String,
    /// Arguments after the image.
    #[serde(default)]
    pub command_args: Vec<String>,
}

/// `runtime: podman-kube` — `podman kube play` of `manifest`, `podman kube down` on delete.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodmanKubeConfig {
    /// Options before `kube`.
    #[serde(default)]
    pub general_options: Vec<String>,
    /// Options of `podman kube play`.
    #[serde(default)]
    pub play_options: Vec<String>,
    /// Options of `podman kube down`.
    #[serde(default)]
    pub down_options: Vec<String>,
    /// The Kubernetes YAML, one or more documents.
    pub manifest: String,
    /// `<pod>/<container>` that gets the control interface mounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_interface_target: Option<String>,
}

/// `runtime: native` — a process on the node, no image.
///
/// `command[0]` is the program; the rest of `command` and then `args` are its arguments
/// (Kubernetes' `command`/`args` split, kept so a translated pod reads the same).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NativeConfig {
    /// The program and its leading arguments; must not be empty.
    pub command: Vec<String>,
    /// Further arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables added to the agent's (sorted by name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The working directory; the workload's instance folder when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

impl NativeConfig {
    /// The full argv: `command` followed by `args`.
    pub fn argv(&self) -> impl Iterator<Item = &String> {
        self.command.iter().chain(self.args.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_config_parses_and_builds_argv() {
        let cfg: NativeConfig = serde_yaml_ng::from_str(
            "command: [sh, -c]\nargs: ['echo hi']\nenv: {A: b}\nworkingDir: /tmp\n",
        )
        .expect("parses");
        assert_eq!(cfg.argv().collect::<Vec<_>>(), ["sh", "-c", "echo hi"]);
        assert_eq!(cfg.env["A"], "b");
    }

    #[test]
    fn podman_config_rejects_unknown_option_keys() {
        let err = serde_yaml_ng::from_str::<PodmanConfig>("image: x\ncommandOption: []\n")
            .expect_err("typo");
        assert!(err.to_string().contains("commandOption"), "{err}");
    }
}
