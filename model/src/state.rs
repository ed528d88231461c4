//! The Ankaios manifest: `apiVersion`, `workloads` and top-level `configs`, with the exact field
//! spellings Ankaios reads and writes. Unknown fields are rejected so that a typo is never dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// The current manifest API version.
pub const API_VERSION: &str = "v1";
/// The deprecated API version that is still accepted (its `tags` are a list of `{key, value}`).
pub const API_VERSION_V0_1: &str = "v0.1";

/// A desired state: what the user applies with `ank apply` or the server's startup manifest.
///
/// Fields serialize in Ankaios' order with its omissions (`get state` output is compared
/// byte for byte by scripts): `workloads` is always written, `configs` only when non-empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    /// `v1` (or the deprecated `v0.1`).
    #[serde(default)]
    pub api_version: String,
    /// Workloads by name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub workloads: BTreeMap<String, Workload>,
    /// Config items by key, referenced from workloads through aliases.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub configs: BTreeMap<String, ConfigItem>,
}

impl State {
    /// An empty state with the current API version.
    pub fn new() -> Self {
        State {
            api_version: API_VERSION.to_owned(),
            ..State::default()
        }
    }
}

/// One workload as the user declares it. Fields are declared (and so serialized) in the
/// order of Ankaios' `ank_base.Workload`; empty maps and lists are omitted as Ankaios omits
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// The agent (node) that runs it; empty means not scheduled. May be a template.
    #[serde(default, deserialize_with = "null_as_default")]
    pub agent: String,
    /// When the agent restarts it.
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    /// Workloads that must reach a condition before this one starts.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub dependencies: BTreeMap<String, AddCondition>,
    /// Free-form labels. `v0.1` writes them as a list of `{key, value}`.
    #[serde(
        default,
        deserialize_with = "tags_map_or_list",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
    /// `podman`, `podman-kube` or `native`.
    #[serde(default)]
    pub runtime: String,
    /// The runtime's configuration: a YAML string, parsed by the runtime. May be a template.
    /// Trimmed when read (the final newline of a `|` block goes), as Ankaios stores it, so
    /// the instance id (its hash) is the one Ankaios computes.
    #[serde(default, deserialize_with = "trimmed")]
    pub runtime_config: String,
    /// What the workload may do through the control interface.
    #[serde(default, skip_serializing_if = "ControlInterfaceAccess::is_empty")]
    pub control_interface_access: ControlInterfaceAccess,
    /// Config alias -> top-level config key, usable in templates.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub configs: BTreeMap<String, String>,
    /// Files mounted into the workload.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub files: Vec<File>,
    /// Anchorage extension: agent tags that a scheduler matches when `agent` is empty
    /// (from a Kubernetes `nodeSelector`). Omitted from output when empty, so Ankaios
    /// manifests round-trip unchanged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Anchorage extension: what the agent does with it while cut off from the server
    /// (keep running, the default, omitted from output; or stop after a time).
    #[serde(default, skip_serializing_if = "crate::DisconnectPolicy::is_keep")]
    pub disconnect_policy: crate::DisconnectPolicy,
}

/// A runtimeConfig as Ankaios stores it: without leading and trailing whitespace.
pub fn trim_runtime_config(text: String) -> String {
    let trimmed = text.trim();
    if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_owned()
    }
}

/// `restartPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RestartPolicy {
    /// Never restart (the default).
    #[default]
    Never,
    /// Restart after `Failed(ExecFailed)`.
    OnFailure,
    /// Restart after `Succeeded(Ok)` or `Failed(ExecFailed)`.
    Always,
}

/// The condition a dependency must meet before its dependent starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddCondition {
    /// The dependency is `Running(Ok)`.
    #[serde(rename = "ADD_COND_RUNNING")]
    Running,
    /// The dependency is `Succeeded(Ok)`.
    #[serde(rename = "ADD_COND_SUCCEEDED")]
    Succeeded,
    /// The dependency is `Failed(ExecFailed)` or failed to start.
    #[serde(rename = "ADD_COND_FAILED")]
    Failed,
}

/// A file mounted into a workload: text `data` or base64 `binaryData`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct File {
    /// Absolute path inside the workload.
    pub mount_point: String,
    /// Text content (may be a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Base64 content (may be a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_data: Option<String>,
}

/// `controlInterfaceAccess`: allow and deny rules.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlInterfaceAccess {
    /// Rules that grant access; a control interface exists only when this is non-empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_rules: Vec<AccessRule>,
    /// Rules that take access away again; deny wins.
    #[serde(default, deserialize_with = "null_as_default")]
    pub deny_rules: Vec<AccessRule>,
}

impl ControlInterfaceAccess {
    /// Whether there are no rules at all (then `get state` omits the field).
    pub fn is_empty(&self) -> bool {
        self.allow_rules.is_empty() && self.deny_rules.is_empty()
    }
}

/// One access rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum AccessRule {
    /// Access to parts of the complete state.
    #[serde(rename_all = "camelCase")]
    StateRule {
        /// Read, Write, ReadWrite or Nothing.
        operation: ReadWrite,
        /// Field masks the rule covers (`filterMask` is the v0.1 spelling).
        #[serde(alias = "filterMask", default)]
        filter_masks: Vec<String>,
    },
    /// Access to the logs of workloads.
    #[serde(rename_all = "camelCase")]
    LogRule {
        /// Workload names, each with at most one `*`.
        #[serde(default)]
        workload_names: Vec<String>,
    },
}

/// The operation a `StateRule` allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadWrite {
    /// No access.
    Nothing,
    /// Read access.
    Read,
    /// Write access.
    Write,
    /// Both.
    ReadWrite,
}

/// A config value: a string, a list or a map, nested freely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConfigItem {
    /// A string.
    String(String),
    /// A list of items.
    Array(Vec<ConfigItem>),
    /// A map of items.
    Object(BTreeMap<String, ConfigItem>),
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A runtimeConfig (null as empty), trimmed as Ankaios stores it.
fn trimmed<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(trim_runtime_config(text.unwrap_or_default()))
}

/// `tags` as a map (`v1`) or a list of `{key, value}` (`v0.1`).
fn tags_map_or_list<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Tag {
        key: String,
        value: String,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tags {
        Map(BTreeMap<String, String>),
        List(Vec<Tag>),
    }
    Ok(match Option::<Tags>::deserialize(deserializer)? {
        None => BTreeMap::new(),
        Some(Tags::Map(map)) => map,
        Some(Tags::List(list)) => list.into_iter().map(|t| (t.key, t.value)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"apiVersion: v1
workloads:
  nginx:
    runtime: podman
    agent: agent_A
    restartPolicy: ALWAYS
    tags:
      owner: team
    dependencies:
      storage: ADD_COND_RUNNING
    configs:
      port: web_port
    files:
    - mountPoint: /etc/app/app.conf
      data: '{{port.access_port}}'
    controlInterfaceAccess:
      allowRules:
      - type: StateRule
        operation: Read
        filterMasks:
        - workloadStates
      denyRules:
      - type: LogRule
        workloadNames:
        - secret
    runtimeConfig: |
      image: docker.io/nginx:latest
      commandOptions: ["-p", "{{port.access_port}}:80"]
configs:
  web_port:
    access_port: '8081'
"#;

    #[test]
    fn full_manifest_round_trips_with_ankaios_spellings() {
        let state: State = serde_yaml_ng::from_str(FULL).expect("parses");
        let nginx = &state.workloads["nginx"];
        assert_eq!(nginx.restart_policy, RestartPolicy::Always);
        assert_eq!(nginx.dependencies["storage"], AddCondition::Running);
        assert_eq!(nginx.files[0].data.as_deref(), Some("{{port.access_port}}"));
        assert!(matches!(
            nginx.control_interface_access.allow_rules[0],
            AccessRule::StateRule {
                operation: ReadWrite::Read,
                ..
            }
        ));
        let written = serde_yaml_ng::to_string(&state).expect("serializes");
        for spelling in [
            "apiVersion",
            "restartPolicy",
            "ADD_COND_RUNNING",
            "mountPoint",
            "controlInterfaceAccess",
            "allowRules",
            "filterMasks",
            "runtimeConfig",
            "workloadNames",
        ] {
            assert!(
                written.contains(spelling),
                "{spelling} missing in\n{written}"
            );
        }
        let again: State = serde_yaml_ng::from_str(&written).expect("re-parses");
        assert_eq!(state, again);
    }

    #[test]
    fn v0_1_tags_are_a_list_of_key_value() {
        let state: State = serde_yaml_ng::from_str(
            "apiVersion: v0.1\nworkloads:\n  a:\n    tags:\n    - key: owner\n      value: me\n",
        )
        .expect("parses");
        assert_eq!(state.workloads["a"].tags["owner"], "me");
    }

    #[test]
    fn v0_1_filter_mask_alias_is_accepted() {
        let rule: AccessRule =
            serde_yaml_ng::from_str("type: StateRule\noperation: ReadWrite\nfilterMask: [a.b]\n")
                .expect("parses");
        assert_eq!(
            rule,
            AccessRule::StateRule {
                operation: ReadWrite::ReadWrite,
                filter_masks: vec!["a.b".into()]
            }
        );
    }

    #[test]
    fn misspelled_field_is_rejected() {
        let err = serde_yaml_ng::from_str::<State>(
            "apiVersion: v1\nworkloads:\n  a:\n    restartpolicy: NEVER\n",
        )
        .expect_err("typo must not be dropped");
        assert!(err.to_string().contains("restartpolicy"), "{err}");
    }

    #[test]
    fn config_items_nest() {
        let item: ConfigItem = serde_yaml_ng::from_str("a: [x, {b: c}]\nd: e\n").expect("parses");
        let ConfigItem::Object(map) = item else {
            panic!("expected a map")
        };
        assert!(matches!(map["a"], ConfigItem::Array(_)));
        assert_eq!(map["d"], ConfigItem::String("e".into()));
    }
}
