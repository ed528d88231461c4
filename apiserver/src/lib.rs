//! `ank-server`: holds the desired state, schedules workloads onto agents and answers the
//! `ank` CLI and the agents over gRPC (the `CliConnection` and `AgentConnection` services).
//!
//! # Layout
//! - [`server`]: `run(listener, startup state, shutdown)`: the tonic server and the actor task.
//! - [`actor`]: the one task that owns all state; everything else sends it an [`events::Event`].
//! - [`state`]: the desired state, masked updates, the instance diff (what each agent runs).
//! - [`workload_states`]: the execution states reported by agents or set by the server.
//! - [`schedule`]: placement by `agent` or `nodeSelector`.
//! - [`agents`]: connected agents and the channels to them.
//! - [`events`]: the closed event enum, response sinks and state-change subscriptions.
//! - [`logs`]: routing of log requests to agents and their answers back.
//! - [`pending`]: updates rendering off the actor, applied one at a time in order.
//! - [`publish`]: the events' altered fields, from the parts an event changed.
//! - [`cli_service`] / [`agent_service`]: the gRPC handlers (translate and forward only).
//! - [`config`]: the `ank-server.conf` TOML file.
//! - [`limits`]: the bounds on the state, a request, the state file and rendering.
//! - [`durability`]: the state file's commit point, or the agents' grace without one.
//! - [`state_file`]: the durable desired state (`--state-file`): format and atomic write.
//! - [`tombstones`]: the instances deleted within the startup grace.

pub mod actor;
pub mod agent_service;
pub mod agents;
pub mod cli_service;
pub mod config;
pub mod durability;
pub mod events;
pub mod limits;
pub mod listener;
pub mod logs;
pub mod pending;
pub mod publish;
pub mod requests;
pub mod schedule;
pub mod server;
pub mod state;
pub mod state_file;
pub mod tombstones;
pub mod workload_states;
