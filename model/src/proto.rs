//! The generated protobuf/gRPC types. Only `convert` and the crates that speak gRPC
//! (`apiserver`, `nodeagent`, `kubectl-compat`) use them; the domain types live in this crate's
//! other modules.

#![allow(missing_docs, clippy::all, clippy::unwrap_used)] // generated code

/// Ankaios' base API, wire-compatible with Ankaios 1.x.
pub mod ank_base {
    tonic::include_proto!("ank_base");
}

/// Ankaios' control interface messages.
pub mod control_api {
    tonic::include_proto!("control_api");
}

/// Anchorage's services: CLI calls and the agent stream.
pub mod anchorage {
    tonic::include_proto!("anchorage");
}
