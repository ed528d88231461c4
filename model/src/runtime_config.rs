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
    /// Claimed volumes by environment variable: the process finds the folder of claim `value`
    /// (`<run folder>/volumes/<value>`, created on first use, kept) in variable `key`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, String>,
}

/// Whether `name` may name a claim's volume: a DNS-1123 subdomain (at most 253 characters of
/// `[a-z0-9.-]`, dot-separated labels alphanumeric at both ends), so it is never an option
/// (`-…`), a path (`/`, `..`) or empty, as a Podman volume name or a folder name.
pub fn is_claim_name(name: &str) -> bool {
    let label = |l: &str| {
        let b = l.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        b.first().is_some_and(alnum)
            && b.last().is_some_and(alnum)
            && b.iter().all(|c| alnum(c) || *c == b'-')
    };
    name.len() <= 253 && name.split('.').all(label)
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
    fn claim_names_are_dns_subdomains_only() {
        for good in ["data", "db-1", "a.b", "x".repeat(253).as_str()] {
            assert!(is_claim_name(good), "{good:?}");
        }
        for bad in [
            "",
            "-rf",
            "../x",
            "a/b",
            ".",
            "a..b",
            "Data",
            "a_b",
            "x".repeat(254).as_str(),
        ] {
            assert!(!is_claim_name(bad), "{bad:?}");
        }
        let check = |claim: &str| {
            let config = format!("command: [sh]\nvolumes: {{DATA: {claim:?}}}\n");
            crate::validate::check_runtime_config(NATIVE, &config)
        };
        assert_eq!(check("data"), Ok(()));
        let err = check("../etc").expect_err("a path is no claim");
        assert!(err.contains("not a dns-1123 subdomain"), "{err}");
    }

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
