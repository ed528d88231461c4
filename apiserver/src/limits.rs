//! The server's bounds on size and work, with their documented defaults: the desired state
//! (with the effective state it renders into), one request, the state file, and rendering.
//! Checked when an update is accepted, so no accepted state is ever too large to send.

use ank_model::exec_state::{ExecState, Pending};
use ank_model::proto::ank_base as pb;
use ank_model::render::RenderLimits;
use ank_model::{CompleteState, ExecutionState, WorkloadStates};
use prost::Message;

use crate::state::Plan;

/// The largest gRPC message an Ankaios-compatible peer decodes (tonic's default): the server
/// never sends more, nor reads more in one request.
pub use ank_transport::MAX_MESSAGE_BYTES;
/// The default `--max-state-size`: half of [`MAX_MESSAGE_BYTES`], leaving the other half for
/// what the server adds to a complete state (reported states, agents).
pub const DEFAULT_MAX_STATE_BYTES: usize = 2 * 1024 * 1024;
/// The state file holds the desired state as JSON, whose escapes may take up to six bytes
/// for one: its bound is this many times the state's.
const STATE_FILE_FACTOR: u64 = 8;

/// The server's limits (`--max-state-size`, `--max-request-size`, `--max-render-output`,
/// `--max-render-steps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLimits {
    /// The largest desired state, measured as the protobuf `CompleteState` holding it, its
    /// effective state and one state per workload.
    pub max_state_bytes: usize,
    /// The largest message the server decodes from a client or agent.
    pub max_request_bytes: usize,
    /// Bounds on rendering templates; the steps are a budget per update.
    pub render: RenderLimits,
}

impl Default for StateLimits {
    fn default() -> Self {
        StateLimits {
            max_state_bytes: DEFAULT_MAX_STATE_BYTES,
            max_request_bytes: MAX_MESSAGE_BYTES,
            render: RenderLimits::default(),
        }
    }
}

/// Limits that would break what they protect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// A size over what Ankaios-compatible peers accept.
    #[error("{flag} {} is over {} (the largest message Ankaios clients and agents accept)", Size(*.value), Size(MAX_MESSAGE_BYTES))]
    OverMessage {
        /// The flag.
        flag: &'static str,
        /// Its value.
        value: usize,
    },
    /// A limit of zero.
    #[error("{0} must be above 0")]
    Zero(&'static str),
}

impl StateLimits {
    /// Refuses limits of zero, and state or request sizes no peer could receive.
    pub fn check(&self) -> Result<(), LimitsError> {
        for (flag, value) in [
            ("--max-state-size", self.max_state_bytes),
            ("--max-request-size", self.max_request_bytes),
        ] {
            if value > MAX_MESSAGE_BYTES {
                return Err(LimitsError::OverMessage { flag, value });
            }
        }
        for (flag, zero) in [
            ("--max-state-size", self.max_state_bytes == 0),
            ("--max-request-size", self.max_request_bytes == 0),
            ("--max-render-output", self.render.max_output_bytes == 0),
            ("--max-render-steps", self.render.max_steps == 0),
        ] {
            if zero {
                return Err(LimitsError::Zero(flag));
            }
        }
        Ok(())
    }

    /// The render limits, with all of an update's rendered output bounded by the state's
    /// limit: a larger effective state would be refused anyway, after costing its memory.
    pub fn render_limits(&self) -> RenderLimits {
        RenderLimits {
            max_total_output_bytes: self.max_state_bytes,
            ..self.render
        }
    }

    /// The largest state file the server reads.
    pub fn max_state_file_bytes(&self) -> u64 {
        (self.max_state_bytes as u64).saturating_mul(STATE_FILE_FACTOR)
    }

    /// The size of `plan`'s state as a client receives it: its desired and effective state and
    /// one `Pending(Initial)` per workload; an error naming the limit when it is over.
    pub fn check_state(&self, plan: &Plan) -> Result<(), StateTooLarge> {
        let mut workload_states = WorkloadStates::new();
        for instance in plan.instances.values() {
            let name = &instance.name;
            workload_states
                .entry(name.agent_name.clone())
                .or_default()
                .entry(name.workload_name.clone())
                .or_default()
                .insert(
                    name.id.clone(),
                    ExecutionState::new(ExecState::Pending(Pending::Initial)),
                );
        }
        let effective = plan
            .instances
            .iter()
            .map(|(name, i)| (name.clone(), i.effective()))
            .collect();
        let complete = CompleteState {
            desired_state: plan.state.clone(),
            workload_states,
            agents: Default::default(),
            effective_state: Some(ank_model::State {
                api_version: plan.state.api_version.clone(),
                workloads: effective,
                configs: Default::default(),
            }),
        };
        let size = pb::CompleteState::from(complete).encoded_len();
        if size > self.max_state_bytes {
            return Err(StateTooLarge {
                size,
                limit: self.max_state_bytes,
            });
        }
        Ok(())
    }
}

/// An update that would make the state too large to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the desired state would be {} with its rendered effective state, over the limit of {} (--max-state-size)",
    Size(*.size),
    Size(*.limit)
)]
pub struct StateTooLarge {
    /// The state's size in bytes, as sent.
    pub size: usize,
    /// The limit.
    pub limit: usize,
}

/// A byte count for people: `512 B`, `3.5 KiB`, `4.2 MiB` (one decimal, dropped when zero).
#[derive(Debug, Clone, Copy)]
pub struct Size(pub usize);

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const UNITS: [(&str, usize); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
        for (unit, scale) in UNITS {
            if self.0 >= scale {
                // Tenths, truncated: "2.0 MiB" never shows for a state just over 2 MiB.
                let tenths = self.0 / (scale / 10);
                return match tenths % 10 {
                    0 if self.0.is_multiple_of(scale) => write!(f, "{} {unit}", tenths / 10),
                    _ => write!(f, "{}.{} {unit}", tenths / 10, tenths % 10),
                };
            }
        }
        write!(f, "{} B", self.0)
    }
}

/// Parses a size flag: bytes, or a number with `K`/`KiB`/`M`/`MiB` (powers of 1024).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: usize = number
        .parse()
        .map_err(|_| format!("invalid size '{text}': expected e.g. 2MiB, 512KiB or 1048576"))?;
    let scale = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "k" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        _ => return Err(format!("invalid size unit in '{text}': use B, KiB or MiB")),
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("size '{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_for_people() {
        assert_eq!(Size(512).to_string(), "512 B");
        assert_eq!(Size(2 << 20).to_string(), "2 MiB");
        assert_eq!(Size((2 << 20) + 1).to_string(), "2.0 MiB");
        assert_eq!(Size(4_404_019).to_string(), "4.2 MiB");
        assert_eq!(Size(1536).to_string(), "1.5 KiB");
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("2GB").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("99999999999999999999M").is_err());
    }

    #[test]
    fn limits_over_a_message_or_zero_are_refused() {
        assert_eq!(StateLimits::default().check(), Ok(()));
        let over = StateLimits {
            max_state_bytes: 5 << 20,
            ..StateLimits::default()
        };
        let err = over.check().expect_err("over 4 MiB");
        assert!(err.to_string().contains("--max-state-size 5 MiB"), "{err}");
        let zero = StateLimits {
            render: RenderLimits {
                max_steps: 0,
                ..RenderLimits::default()
            },
            ..StateLimits::default()
        };
        assert_eq!(zero.check(), Err(LimitsError::Zero("--max-render-steps")));
    }
}
