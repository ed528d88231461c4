//! `validateDNSPolicy`, `validatePodDNSConfig` and `ValidateHostAliases`.

use k8s_openapi::api::core::v1::PodSpec;

use super::{grammar, say};
use crate::finding::{Path, Sink};
use crate::rules::K8S_DNS as RULE;

const POLICIES: &[&str] = &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
/// `MaxDNSNameservers`, `MaxDNSSearchPaths`, `MaxDNSSearchListChars`.
const MAX_NAMESERVERS: usize = 3;
const MAX_SEARCHES: usize = 32;
const MAX_SEARCH_CHARS: usize = 2048;

/// Checks the DNS fields and host aliases of `spec` at `at`.
pub(super) fn check(spec: &PodSpec, at: &Path, sink: &mut Sink) {
    let policy = spec.dns_policy.as_deref();
    say::one_of(sink, RULE, || at.key("dnsPolicy"), policy, POLICIES);
    let none = policy == Some("None");
    match &spec.dns_config {
        None if none => say::required(
            sink,
            RULE,
            at.key("dnsConfig"),
            "must provide `dnsConfig` when `dnsPolicy` is None",
        ),
        None => {}
        Some(config) => {
            let here = at.key("dnsConfig");
            let servers = config.nameservers.as_deref().unwrap_or_default();
            if none && servers.is_empty() {
                say::required(
                    sink,
                    RULE,
                    here.key("nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                );
            }
            if servers.len() > MAX_NAMESERVERS {
                say::invalid(
                    sink,
                    RULE,
                    here.key("nameservers"),
                    format!("{} nameservers", servers.len()),
                    "must not have more than 3 nameservers",
                );
            }
            for (i, s) in servers.iter().enumerate() {
                say::grammar(
                    sink,
                    RULE,
                    || here.key("nameservers").idx(i),
                    s,
                    grammar::ip,
                );
            }
            let searches = config.searches.as_deref().unwrap_or_default();
            if searches.len() > MAX_SEARCHES {
                say::invalid(
                    sink,
                    RULE,
                    here.key("searches"),
                    format!("{} search paths", searches.len()),
                    "must not have more than 32 search paths",
                );
            }
            let chars =
                searches.iter().map(String::len).sum::<usize>() + searches.len().saturating_sub(1);
            if chars > MAX_SEARCH_CHARS {
                say::invalid(
                    sink,
                    RULE,
                    here.key("searches"),
                    format!("{chars} characters"),
                    "must not have more than 2048 characters (including spaces) in the search list",
                );
            }
            for (i, s) in searches.iter().enumerate() {
                // A trailing dot (a fully qualified name) is allowed.
                let trimmed = s.strip_suffix('.').unwrap_or(s);
                if let Some(detail) = grammar::subdomain(trimmed) {
                    say::invalid_str(sink, RULE, here.key("searches").idx(i), s, &detail);
                }
            }
            for (i, o) in config.options.iter().flatten().enumerate() {
                if o.name.as_deref().unwrap_or_default().is_empty() {
                    say::required(
                        sink,
                        RULE,
                        here.key("options").idx(i).key("name"),
                        "must not be empty",
                    );
                }
            }
        }
    }
    for (i, alias) in spec.host_aliases.iter().flatten().enumerate() {
        let here = at.key("hostAliases").idx(i);
        say::grammar(sink, RULE, || here.key("ip"), &alias.ip, grammar::ip);
        for (j, h) in alias.hostnames.iter().flatten().enumerate() {
            say::grammar(
                sink,
                RULE,
                || here.key("hostnames").idx(j),
                h,
                grammar::subdomain,
            );
        }
    }
}
