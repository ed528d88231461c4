//! Wrapping the agent's outgoing wire messages (the `anchorage` package). The conversions of
//! their contents live in `ank_model::convert`, the one conversion layer; this module only
//! puts them in envelopes.

use ank_model::assign::InstanceState;
use ank_model::convert::instance_state_to_pb;
use ank_model::proto::anchorage as pb;
use ank_model::proto::anchorage::to_server::ToServerEnum;

/// An UpdateWorkloadState message carrying `states`.
pub fn update_states(states: impl IntoIterator<Item = InstanceState>) -> pb::ToServer {
    let workload_states = states.into_iter().map(instance_state_to_pb).collect();
    to_server(ToServerEnum::UpdateWorkloadState(pb::UpdateWorkloadState {
        workload_states,
    }))
}

/// Wraps a ToServer oneof.
pub fn to_server(message: ToServerEnum) -> pb::ToServer {
    pb::ToServer {
        to_server_enum: Some(message),
    }
}
