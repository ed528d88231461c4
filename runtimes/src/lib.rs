//! Runtimes run workload instances on a node: `native` processes, `podman` containers and
//! `podman-kube` pods. Each sits behind the one [`Runtime`] trait, in its own folder; the agent
//! holds them in a [`RuntimeRegistry`] and never knows which kind it drives.
//!
//! Runtimes never talk to the server: they report state changes into a [`StateSink`] that the
//! agent owns, and they learn of changes from the OS (child exit, `podman events`), not by polling.
//!
//! # Layout
//! - [`runtime`]: the trait, the workload spec it starts, log options, errors.
//! - `process/`: the native process runtime.
//! - [`private`]: the agent's private folders and files (no symlinks followed, 0700/0600).
//! - [`podman`], [`podman_kube`]: the Podman runtimes; [`podman_cli`]: the `podman` command seam
//!   and the one `podman events` watcher they share.

pub mod podman;
pub mod podman_cli;
pub mod podman_kube;
pub mod private;
pub mod process;
pub mod runtime;

pub use runtime::{
    LogOptions, LogStream, Runtime, RuntimeError, RuntimeRegistry, StateSink, StateUpdate,
    WorkloadSpec,
};
