//! `ank-agent`: runs the workloads the server assigns to one node, reports their states, and
//! serves their logs. It keeps one gRPC stream to the server (reconnecting with backoff), and
//! one event loop that owns every workload instance.
//!
//! # Layout
//! - [`agent`]: the event loop and its closed [`agent::Event`] enum; owns all tasks.
//! - [`control_interface`]: the workloads' FIFOs to Anchorage (Ankaios' control interface).
//! - [`outbox`]: the states owed to the server, coalesced per instance, never dropped.
//! - [`connection`]: the stream to the server, AgentHello/ServerHello, reconnect with backoff.
//! - [`workload`]: per-instance control: dependencies, start/retry, restart policy, delete.
//! - [`logs`]: log requests from the server, streamed from the runtimes.
//! - [`load`]: CPU usage and free memory from `/proc`.
//! - [`runfolder`]: the run folder and instance folders.
//! - [`lock`]: the locks that keep a second agent of the same name from starting.
//! - [`config`]: flags, the TOML agent config, and their checks.
//! - [`convert`]: agent wire messages to and from domain values.

pub mod agent;
pub mod config;
pub mod connection;
pub mod control_interface;
pub mod convert;
pub mod load;
pub mod lock;
pub mod logs;
pub mod outbox;
pub mod runfolder;
pub mod workload;

pub use agent::{run, AgentSettings};
