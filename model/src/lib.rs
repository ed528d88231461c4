//! The shared vocabulary of Anchorage: the Ankaios desired state (manifest), execution states,
//! instance names, validation and template rendering; plus, behind the `grpc` feature, the
//! protobuf API spoken between `ank`, `ank-server` and `ank-agent`.
//!
//! # Layout
//! - [`api`]: requests and responses (`ank_base.Request`/`Response`) as domain types.
//! - [`access`]: control-interface access rules, matched as Ankaios matches them.
//! - [`assign`]: what the server assigns an agent (added, deleted workloads) and hears back.
//! - [`state`]: the manifest types (`apiVersion`, `workloads`, `configs`) with Ankaios' spellings.
//! - [`exec_state`]: `ExecutionState` as shown by Ankaios (`Running(Ok)`, `Pending(WaitingToStart)`).
//! - [`disconnect`]: `disconnectPolicy`, what an agent does with a workload while cut off.
//! - [`complete`]: the complete state (`desiredState`, `workloadStates`, `agents`).
//! - [`instance`]: `WorkloadInstanceName` (`<workload>.<id>.<agent>`).
//! - [`validate`]: the rules the server applies before it accepts a state.
//! - [`render`]: Handlebars rendering of `agent`, `runtimeConfig` and `files`.
//! - [`runtime_config`]: the `runtimeConfig` schemas of the `podman`, `podman-kube` and `native` runtimes.
//! - [`redact`]: secret values of a `runtimeConfig` hidden for describe, logs and errors.
//! - [`mask`]: field masks (`desiredState.workloads.nginx`, `*` wildcards) over the complete state.
//! - `proto` / `convert` (feature `grpc`): the wire types and their one conversion layer.

pub mod access;
pub mod api;
pub mod assign;
pub mod complete;
pub mod disconnect;
pub mod exec_state;
pub mod field_path;
pub mod instance;
pub mod mask;
pub mod redact;
pub mod render;
pub mod runtime_config;
pub mod state;
pub mod validate;
pub mod yaml;

#[cfg(feature = "grpc")]
pub mod convert;
#[cfg(feature = "grpc")]
pub mod proto;

pub use complete::{AgentAttributes, AgentStatus, CompleteState, WorkloadStates};
pub use disconnect::DisconnectPolicy;
pub use exec_state::ExecutionState;
pub use instance::WorkloadInstanceName;
pub use state::{
    AccessRule, AddCondition, ConfigItem, ControlInterfaceAccess, File, ReadWrite, RestartPolicy,
    State, Workload,
};

/// The protocol version Anchorage presents (Ankaios' major version 1).
pub const ANKAIOS_VERSION: &str = env!("CARGO_PKG_VERSION");
