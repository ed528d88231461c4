//! Execution states as Ankaios shows them: a state with a substate (`Running(Ok)`,
//! `Pending(WaitingToStart)`) and free-text additional info.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `Pending` substates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pending {
    /// Just created.
    Initial,
    /// Dependencies are not met yet.
    WaitingToStart,
    /// The runtime is starting it.
    Starting,
    /// The runtime failed to start it; retried with backoff.
    StartingFailed,
}

/// `Stopping` substates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Stopping {
    /// The runtime is stopping it.
    Stopping,
    /// A dependent is still pending or running.
    WaitingToStop,
    /// Asked to stop at runtime.
    RequestedAtRuntime,
    /// The runtime failed to delete it.
    DeleteFailed,
}

/// `Failed` substates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Failed {
    /// It exited non-zero.
    ExecFailed,
    /// Its state cannot be told.
    Unknown,
    /// It disappeared behind the agent's back.
    Lost,
}

/// The state of one workload instance, without the additional info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecState {
    /// Its agent is not connected.
    AgentDisconnected,
    /// Not running yet.
    Pending(Pending),
    /// Running.
    Running,
    /// Being stopped.
    Stopping(Stopping),
    /// Exited 0.
    Succeeded,
    /// Exited non-zero, or lost.
    Failed(Failed),
    /// No agent is assigned.
    NotScheduled,
    /// Gone; internal, never shown in tables.
    Removed,
}

/// An execution state with Ankaios' `additionalInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExecutionState {
    /// The state and substate.
    pub state: ExecState,
    /// Free text: a runtime's error message, a scheduling reason.
    pub additional_info: String,
}

impl ExecutionState {
    /// A state with no additional info.
    pub fn new(state: ExecState) -> Self {
        ExecutionState {
            state,
            additional_info: String::new(),
        }
    }

    /// A state with additional info.
    pub fn with_info(state: ExecState, info: impl Into<String>) -> Self {
        ExecutionState {
            state,
            additional_info: info.into(),
        }
    }

    /// `Running(Ok)`.
    pub fn running() -> Self {
        Self::new(ExecState::Running)
    }

    /// `Succeeded(Ok)`.
    pub fn succeeded() -> Self {
        Self::new(ExecState::Succeeded)
    }

    /// The state's name: `Running`, `Pending`, …
    pub fn state_name(&self) -> &'static str {
        self.state.names().0
    }

    /// The substate's name: `Ok`, `WaitingToStart`, … (empty where there is none).
    pub fn substate_name(&self) -> &'static str {
        self.state.names().1
    }

    /// Parses a state and substate as written by [`ExecutionState::state_name`] and
    /// [`ExecutionState::substate_name`].
    pub fn from_names(state: &str, substate: &str) -> Option<ExecState> {
        ExecState::ALL.iter().copied().find(|s| {
            s.names() == (state, substate) || (s.names().0 == state && s.names().1.is_empty())
        })
    }
}

impl ExecState {
    /// Every state, for parsing and exhaustive tests.
    pub const ALL: [ExecState; 16] = [
        ExecState::AgentDisconnected,
        ExecState::Pending(Pending::Initial),
        ExecState::Pending(Pending::WaitingToStart),
        ExecState::Pending(Pending::Starting),
        ExecState::Pending(Pending::StartingFailed),
        ExecState::Running,
        ExecState::Stopping(Stopping::Stopping),
        ExecState::Stopping(Stopping::WaitingToStop),
        ExecState::Stopping(Stopping::RequestedAtRuntime),
        ExecState::Stopping(Stopping::DeleteFailed),
        ExecState::Succeeded,
        ExecState::Failed(Failed::ExecFailed),
        ExecState::Failed(Failed::Unknown),
        ExecState::Failed(Failed::Lost),
        ExecState::NotScheduled,
        ExecState::Removed,
    ];

    /// (state, substate) names as Ankaios prints them.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            ExecState::AgentDisconnected => ("AgentDisconnected", ""),
            ExecState::Pending(p) => (
                "Pending",
                match p {
                    Pending::Initial => "Initial",
                    Pending::WaitingToStart => "WaitingToStart",
                    Pending::Starting => "Starting",
                    Pending::StartingFailed => "StartingFailed",
                },
            ),
            ExecState::Running => ("Running", "Ok"),
            ExecState::Stopping(s) => (
                "Stopping",
                match s {
                    Stopping::Stopping => "Stopping",
                    Stopping::WaitingToStop => "WaitingToStop",
                    Stopping::RequestedAtRuntime => "RequestedAtRuntime",
                    Stopping::DeleteFailed => "DeleteFailed",
                },
            ),
            ExecState::Succeeded => ("Succeeded", "Ok"),
            ExecState::Failed(f) => (
                "Failed",
                match f {
                    Failed::ExecFailed => "ExecFailed",
                    Failed::Unknown => "Unknown",
                    Failed::Lost => "Lost",
                },
            ),
            ExecState::NotScheduled => ("NotScheduled", ""),
            ExecState::Removed => ("Removed", ""),
        }
    }

    /// Whether the workload has ended by itself (`Succeeded` or `Failed`).
    pub fn is_terminal(self) -> bool {
        matches!(self, ExecState::Succeeded | ExecState::Failed(_))
    }
}

impl fmt::Display for ExecState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.names() {
            (state, "") => f.write_str(state),
            (state, sub) => write!(f, "{state}({sub})"),
        }
    }
}

impl fmt::Display for ExecutionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.state.fmt(f)
    }
}

/// Serialized as Ankaios does: `{additionalInfo, state, subState}`, in that order.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default)]
    additional_info: String,
    state: String,
    #[serde(default)]
    sub_state: String,
}

impl Serialize for ExecutionState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            additional_info: self.additional_info.clone(),
            state: self.state_name().to_owned(),
            sub_state: self.substate_name().to_owned(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ExecutionState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        let state = ExecutionState::from_names(&wire.state, &wire.sub_state).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown execution state '{}({})'",
                wire.state, wire.sub_state
            ))
        })?;
        Ok(ExecutionState::with_info(state, wire.additional_info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_ankaios() {
        assert_eq!(ExecState::Running.to_string(), "Running(Ok)");
        assert_eq!(
            ExecState::Pending(Pending::WaitingToStart).to_string(),
            "Pending(WaitingToStart)"
        );
        assert_eq!(
            ExecState::AgentDisconnected.to_string(),
            "AgentDisconnected"
        );
        assert_eq!(ExecState::Failed(Failed::Lost).to_string(), "Failed(Lost)");
    }

    #[test]
    fn every_state_round_trips_through_serde() {
        for state in ExecState::ALL {
            let original = ExecutionState::with_info(state, "why");
            let json = serde_json::to_string(&original).expect("serializes");
            let back: ExecutionState = serde_json::from_str(&json).expect("parses");
            assert_eq!(back, original, "{json}");
        }
    }

    #[test]
    fn unknown_state_is_an_error() {
        let err = serde_json::from_str::<ExecutionState>(r#"{"state":"Dancing","subState":"Ok"}"#)
            .expect_err("unknown");
        assert!(err.to_string().contains("Dancing"), "{err}");
    }
}
