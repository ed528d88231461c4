//! Control-interface access rules as Ankaios judges them (`controlInterfaceAccess`): which
//! state paths a workload may read or write and whose logs it may read. The agent enforces
//! them for its workloads, and the server again, since it does not trust an agent to filter
//! for itself. The matching follows Ankaios' authorizer exactly, quirks included:
//!
//! - A mask passes when some allow rule matches it and no deny rule does (deny wins); an empty
//!   mask list counts as the one mask `""` (no segments).
//! - An allow rule matches a path it equals or is a prefix of (`*` matches one segment); a rule
//!   longer than the path matches only when its first segment is `*`, compared over the common
//!   length (so `*` allows everything, the empty mask included).
//! - A deny rule is compared over the common length only: it matches when either is a prefix of
//!   the other (any deny rule therefore blocks reading the whole state).
//! - A rule `""` has no segments and never matches.
//! - A log rule's name matches when it is the name, `*`, or `pre*suf` around it; within one
//!   rule, the first pattern with a `*` decides, later patterns are not looked at.

use crate::api::RequestContent;
use crate::{AccessRule, ControlInterfaceAccess, ReadWrite};

/// What a request asks of the rules: the one place that says which rules govern which kind
/// of request. Built from a domain request (here) or a wire request (`convert`), borrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asks<'a> {
    /// A state read with these field masks (`CompleteStateRequest`).
    Read(&'a [String]),
    /// A state write with these update masks (`UpdateStateRequest`).
    Write(&'a [String]),
    /// The logs of these workloads (`LogsRequest`).
    Logs(Vec<&'a str>),
    /// Ending a subscription or log stream: always allowed.
    Cancel,
    /// A request without content: never allowed.
    Nothing,
}

impl<'a> From<&'a RequestContent> for Asks<'a> {
    fn from(content: &'a RequestContent) -> Self {
        match content {
            RequestContent::UpdateState(u) => Asks::Write(&u.update_mask),
            RequestContent::CompleteState(q) => Asks::Read(&q.field_mask),
            RequestContent::Logs(l) => {
                Asks::Logs(l.names.iter().map(|n| n.workload_name.as_str()).collect())
            }
            RequestContent::LogsCancel | RequestContent::EventsCancel => Asks::Cancel,
        }
    }
}

/// The rules of one workload, split by what they govern. Build it with [`Authorizer::new`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorizer {
    read: RuleSet,
    write: RuleSet,
    allow_logs: Vec<Vec<String>>,
    deny_logs: Vec<Vec<String>>,
}

/// Allow and deny state rules for one operation, each rule split into segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RuleSet {
    allow: Vec<Vec<String>>,
    deny: Vec<Vec<String>>,
}

impl Authorizer {
    /// The authorizer of a workload's `controlInterfaceAccess`.
    pub fn new(access: &ControlInterfaceAccess) -> Authorizer {
        let mut out = Authorizer::default();
        for (rules, allow) in [(&access.allow_rules, true), (&access.deny_rules, false)] {
            for rule in rules {
                out.add(rule, allow);
            }
        }
        out
    }

    fn add(&mut self, rule: &AccessRule, allow: bool) {
        match rule {
            AccessRule::StateRule {
                operation,
                filter_masks,
            } => {
                let (read, write) = match operation {
                    ReadWrite::Nothing => (false, false),
                    ReadWrite::Read => (true, false),
                    ReadWrite::Write => (false, true),
                    ReadWrite::ReadWrite => (true, true),
                };
                for (wanted, set) in [(read, &mut self.read), (write, &mut self.write)] {
                    if wanted {
                        let list = if allow { &mut set.allow } else { &mut set.deny };
                        list.extend(filter_masks.iter().map(|m| segments(m)));
                    }
                }
            }
            AccessRule::LogRule { workload_names } => {
                let list = if allow {
                    &mut self.allow_logs
                } else {
                    &mut self.deny_logs
                };
                list.push(workload_names.clone());
            }
        }
    }

    /// Whether a request asking `asks` may be answered.
    pub fn allows(&self, asks: Asks<'_>) -> bool {
        match asks {
            Asks::Read(masks) => self.may_read(masks),
            Asks::Write(masks) => self.may_write(masks),
            Asks::Logs(names) => self.may_read_logs(names),
            Asks::Cancel => true,
            Asks::Nothing => false,
        }
    }

    /// Whether a `CompleteStateRequest` with these field masks may be answered.
    pub fn may_read(&self, masks: &[String]) -> bool {
        self.read.permits(masks)
    }

    /// Whether an `UpdateStateRequest` with these update masks may be applied.
    pub fn may_write(&self, masks: &[String]) -> bool {
        self.write.permits(masks)
    }

    /// Whether the logs of these workloads may be read (an empty list may).
    pub fn may_read_logs<'a>(&self, workloads: impl IntoIterator<Item = &'a str>) -> bool {
        workloads.into_iter().all(|name| {
            self.allow_logs
                .iter()
                .any(|rule| log_rule_matches(rule, name))
                && !self
                    .deny_logs
                    .iter()
                    .any(|rule| log_rule_matches(rule, name))
        })
    }
}

impl RuleSet {
    fn permits(&self, masks: &[String]) -> bool {
        let check = |mask: &str| {
            let path = segments(mask);
            self.allow.iter().any(|rule| allow_matches(rule, &path))
                && !self.deny.iter().any(|rule| deny_matches(rule, &path))
        };
        if masks.is_empty() {
            return check("");
        }
        masks.iter().all(|m| check(m))
    }
}

/// A mask's segments; `""` has none.
fn segments(mask: &str) -> Vec<String> {
    if mask.is_empty() {
        Vec::new()
    } else {
        mask.split('.').map(str::to_owned).collect()
    }
}

fn segment_matches(rule: &str, path: &str) -> bool {
    rule == "*" || rule == path
}

fn allow_matches(rule: &[String], path: &[String]) -> bool {
    let Some(first) = rule.first() else {
        return false;
    };
    if rule.len() > path.len() && first != "*" {
        return false;
    }
    rule.iter().zip(path).all(|(r, p)| segment_matches(r, p))
}

fn deny_matches(rule: &[String], path: &[String]) -> bool {
    !rule.is_empty() && rule.iter().zip(path).all(|(r, p)| segment_matches(r, p))
}

/// One log rule's patterns against a workload name, Ankaios' loop included: the first pattern
/// with a `*` (other than `*` itself) gives the answer.
fn log_rule_matches(patterns: &[String], name: &str) -> bool {
    for pattern in patterns {
        if pattern == name || pattern == "*" {
            return true;
        }
        if let Some((prefix, suffix)) = pattern.split_once('*') {
            return name.starts_with(prefix)
                && name.ends_with(suffix)
                && prefix.len() + suffix.len() <= name.len();
        }
    }
    false
}

#[cfg(test)]
mod tests;
