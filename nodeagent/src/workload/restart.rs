//! Restart policy and backoff delays. Start failures are retried after 1 s, 2 s, 4 s … capped
//! at 30 s. Restarts follow the policy; a workload that keeps exiting within 10 s of its start
//! is restarted after a growing delay (immediately the first time), so a crash loop does not
//! burn the node.

use std::time::Duration;

use ank_model::exec_state::{ExecState, Failed};
use ank_model::RestartPolicy;

/// The longest delay between attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(30);
/// A run shorter than this counts as a quick exit.
pub const QUICK_EXIT: Duration = Duration::from_secs(10);

/// Whether a workload that ended in `state` is restarted under `policy`.
pub fn should_restart(policy: RestartPolicy, state: ExecState) -> bool {
    match policy {
        RestartPolicy::Never => false,
        RestartPolicy::OnFailure => state == ExecState::Failed(Failed::ExecFailed),
        RestartPolicy::Always => {
            matches!(
                state,
                ExecState::Succeeded | ExecState::Failed(Failed::ExecFailed)
            )
        }
    }
}

/// The delay before retry number `failures` (1-based) of a failed start or stop.
pub fn retry_delay(failures: u32) -> Duration {
    exponential(failures.saturating_sub(1))
}

/// The delay before a restart after `quick_exits` quick exits in a row.
pub fn restart_delay(quick_exits: u32) -> Duration {
    match quick_exits {
        0 | 1 => Duration::ZERO,
        n => exponential(n - 2),
    }
}

fn exponential(step: u32) -> Duration {
    Duration::from_secs(1u64 << step.min(5)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_match_ankaios() {
        let exec_failed = ExecState::Failed(Failed::ExecFailed);
        assert!(!should_restart(RestartPolicy::Never, exec_failed));
        assert!(should_restart(RestartPolicy::OnFailure, exec_failed));
        assert!(!should_restart(
            RestartPolicy::OnFailure,
            ExecState::Succeeded
        ));
        assert!(should_restart(RestartPolicy::Always, ExecState::Succeeded));
        assert!(!should_restart(
            RestartPolicy::Always,
            ExecState::Failed(Failed::Lost)
        ));
    }

    #[test]
    fn delays_grow_and_cap() {
        assert_eq!(retry_delay(1), Duration::from_secs(1));
        assert_eq!(retry_delay(3), Duration::from_secs(4));
        assert_eq!(retry_delay(40), MAX_DELAY);
        assert_eq!(restart_delay(1), Duration::ZERO);
        assert_eq!(restart_delay(2), Duration::from_secs(1));
    }
}
