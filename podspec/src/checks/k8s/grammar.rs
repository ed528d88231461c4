//! The string grammars of `apimachinery/pkg/util/validation` that the area checks need beyond
//! `checks::names`, each returning Kubernetes' explanation (without the value) when `s` fails.

use crate::checks::names;

/// `IsDNS1123Label`.
pub(super) fn label(s: &str) -> Option<String> {
    if s.len() > 63 {
        return Some("must be no more than 63 characters".into());
    }
    names::dns1123_label(s).map(|_| {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character".into()
    })
}

/// `IsDNS1123Subdomain`.
pub(super) fn subdomain(s: &str) -> Option<String> {
    if s.len() > 253 {
        return Some("must be no more than 253 characters".into());
    }
    names::dns1123_subdomain(s).map(|_| {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".into()
    })
}

/// `IsQualifiedName`: label keys, condition types, scheduling gates, finalizers.
pub(super) fn qualified(s: &str) -> Option<String> {
    names::qualified_name(s).map(|_| {
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'".into()
    })
}

/// `IsValidLabelValue`.
pub(super) fn label_value(s: &str) -> Option<String> {
    names::label_value(s).map(|_| {
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".into()
    })
}

/// `IsValidIP`.
pub(super) fn ip(s: &str) -> Option<String> {
    s.parse::<std::net::IpAddr>()
        .is_err()
        .then(|| "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)".into())
}

/// `IsHTTPHeaderName`: `[-A-Za-z0-9]+`.
pub(super) fn http_header(s: &str) -> Option<String> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (!ok).then(|| "a valid HTTP header must consist of alphanumeric characters or '-'".into())
}

/// `IsConfigMapKey`.
pub(super) fn config_key(s: &str) -> Option<String> {
    names::config_key(s).map(|_| {
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'".into()
    })
}

/// `IsEnvVarName`, as `checks::names` applies it to `env[].name`.
pub(super) fn env_name(s: &str) -> Option<String> {
    names::env_var_name(s).map(|_| {
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit".into()
    })
}

/// `IsIANASvcName` or a port number, for a named port in a probe or handler.
pub(super) fn port_name(s: &str) -> Option<String> {
    names::iana_svc_name(s).map(|_| {
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), at most 15, with at least one letter".into()
    })
}

/// `IsValidSysctlName`: dot- or slash-separated segments of `[a-z0-9]([-_a-z0-9]*[a-z0-9])?`.
pub(super) fn sysctl(s: &str) -> Option<String> {
    let segment = |p: &str| {
        let b = p.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        b.first().is_some_and(alnum)
            && b.last().is_some_and(alnum)
            && b.iter().all(|c| alnum(c) || *c == b'-' || *c == b'_')
    };
    let ok = s.len() <= 253 && s.split(['.', '/']).all(segment);
    (!ok).then(|| "sysctl must have at most 253 characters and match the regex ([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?".into())
}

/// `validateLocalDescendingPath`: relative, with no `..` element.
pub(super) fn descending_path(s: &str) -> Option<String> {
    if s.starts_with('/') {
        return Some("must be a relative path".into());
    }
    s.split(['/', '\\'])
        .any(|part| part == "..")
        .then(|| "must not contain '..'".into())
}

/// `validateLocalNonReservedPath`: a descending path that does not start with `..`.
pub(super) fn non_reserved_path(s: &str) -> Option<String> {
    descending_path(s).or_else(|| {
        s.starts_with("..")
            .then(|| "must not start with '..'".into())
    })
}
