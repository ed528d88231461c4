//! `disconnectPolicy`, an Anchorage extension of a workload: what its agent does with it while
//! cut off from the server. `{action: keep}` (the default, as Ankaios behaves) leaves it
//! running; `{action: stop, after: 30s}` stops it once the agent has been disconnected that
//! long. The agent applies it on its own; on reconnect the server's view wins again.
//!
//! ```yaml
//! disconnectPolicy:
//!   action: stop
//!   after: 30s   # a whole number with ms, s, m or h
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::field_path::Shown;

/// What the agent does with a workload while disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawPolicy", into = "RawPolicy")]
pub enum DisconnectPolicy {
    /// Keep it running (the default).
    #[default]
    Keep,
    /// Stop it after the agent has been disconnected this long.
    StopAfter(Duration),
}

/// A `disconnectPolicy` that cannot be used; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisconnectPolicyError {
    /// `action` is neither `keep` nor `stop`.
    #[error("disconnectPolicy.action '{}' is not one of keep, stop", Shown(.0))]
    Action(String),
    /// `after` is not a duration.
    #[error(
        "disconnectPolicy.after '{}' is not a duration: expected a whole number with ms, s, m or h (e.g. 30s)",
        Shown(.0)
    )]
    Duration(String),
    /// `stop` without `after`.
    #[error("disconnectPolicy.action 'stop' needs 'after' (e.g. after: 30s)")]
    MissingAfter,
    /// `keep` with `after`.
    #[error("disconnectPolicy.after applies only to action 'stop'")]
    AfterWithKeep,
}

impl DisconnectPolicy {
    /// Whether this is the default (`keep`), omitted from output.
    pub fn is_keep(&self) -> bool {
        *self == DisconnectPolicy::Keep
    }

    /// The policy from its two fields as the manifest and the wire spell them.
    pub fn parse(action: &str, after: Option<&str>) -> Result<Self, DisconnectPolicyError> {
        match (action, after) {
            ("keep" | "", None) => Ok(DisconnectPolicy::Keep),
            ("keep" | "", Some(_)) => Err(DisconnectPolicyError::AfterWithKeep),
            ("stop", Some(after)) => Ok(DisconnectPolicy::StopAfter(parse_duration(after)?)),
            ("stop", None) => Err(DisconnectPolicyError::MissingAfter),
            (other, _) => Err(DisconnectPolicyError::Action(other.to_owned())),
        }
    }

    /// `action` and `after` as the manifest spells them.
    pub fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            DisconnectPolicy::Keep => ("keep", None),
            DisconnectPolicy::StopAfter(after) => ("stop", Some(format_duration(*after))),
        }
    }
}

/// `500ms`, `30s`, `5m`, `1h`: the durations of the manifest, also read by the binaries'
/// Anchorage flags (`--dead-link-timeout`).
pub fn parse_duration(text: &str) -> Result<Duration, DisconnectPolicyError> {
    let bad = || DisconnectPolicyError::Duration(text.to_owned());
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let number: u64 = digits.parse().map_err(|_| bad())?;
    let millis = match &text[digits.len()..] {
        "ms" => Some(number),
        "s" => number.checked_mul(1_000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => None,
    };
    millis.map(Duration::from_millis).ok_or_else(bad)
}

/// A timeout flag's value (`--dead-link-timeout 5s`): a duration as above, not zero; the
/// error in words, for clap and config files.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Ok(d) if d.is_zero() => Err("the timeout must not be zero".to_owned()),
        Ok(d) => Ok(d),
        Err(_) => Err(format!(
            "'{}' is not a duration: expected a whole number with ms, s, m or h (e.g. 5s)",
            Shown(text)
        )),
    }
}

fn format_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The manifest's shape of a policy.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
}

impl TryFrom<RawPolicy> for DisconnectPolicy {
    type Error = DisconnectPolicyError;
    fn try_from(raw: RawPolicy) -> Result<Self, Self::Error> {
        DisconnectPolicy::parse(&raw.action, raw.after.as_deref())
    }
}

impl From<DisconnectPolicy> for RawPolicy {
    fn from(policy: DisconnectPolicy) -> Self {
        let (action, after) = policy.parts();
        RawPolicy {
            action: action.to_owned(),
            after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<DisconnectPolicy, String> {
        serde_yaml_ng::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn hostile_values_are_shown_escaped_and_cut() {
        let hostile = format!("\u{1b}[31m{}", "x".repeat(10_000));
        let flag = parse_timeout(&hostile).expect_err("not a duration");
        assert!(flag.starts_with("'\\u{1b}[31m"), "{flag}");
        assert!(!flag.contains('\u{1b}') && flag.len() < 300, "{flag}");
        let policy = DisconnectPolicy::parse("stop", Some(&hostile)).expect_err("bad");
        assert!(!policy.to_string().contains('\u{1b}'));
        let action = DisconnectPolicy::parse(&hostile, None).expect_err("bad");
        assert!(action.to_string().len() < 300);
    }

    #[test]
    fn the_two_actions_read_and_write_back() {
        assert_eq!(yaml("action: keep"), Ok(DisconnectPolicy::Keep));
        let stop = yaml("{action: stop, after: 2m}").expect("valid");
        assert_eq!(stop, DisconnectPolicy::StopAfter(Duration::from_secs(120)));
        let text = serde_yaml_ng::to_string(&stop).expect("serializes");
        assert_eq!(text, "action: stop\nafter: 120s\n");
        assert_eq!(yaml(&text), Ok(stop));
        let ms = DisconnectPolicy::StopAfter(Duration::from_millis(1500));
        assert_eq!(ms.parts().1.as_deref(), Some("1500ms"));
        assert_eq!(parse_timeout("750ms"), Ok(Duration::from_millis(750)));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("5").is_err());
    }

    #[test]
    fn bad_policies_say_what_is_wrong() {
        for (text, needle) in [
            ("action: stop", "needs 'after'"),
            ("{action: keep, after: 1s}", "only to action 'stop'"),
            (
                "{action: pause, after: 1s}",
                "'pause' is not one of keep, stop",
            ),
            ("{action: stop, after: 30}", "'30' is not a duration"),
            ("{action: stop, after: 1d}", "'1d' is not a duration"),
            ("{action: stop, after: -1s}", "'-1s' is not a duration"),
            ("{action: stop, afer: 1s}", "afer"),
        ] {
            let err = yaml(text).expect_err(text);
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
