//! Name grammars from Kubernetes' `apimachinery/pkg/util/validation` and Ankaios' own, each
//! returning the message to show (lower-case, naming the value) when the name does not fit.

/// A DNS-1123 label: container, port-less volume and Ankaios-bound names (max 63).
pub(crate) fn dns1123_label(name: &str) -> Option<String> {
    if name.len() <= 63 && is_label(name) {
        return None;
    }
    Some(format!(
        "{name:?} is not a dns-1123 label: at most 63 lower case alphanumeric characters or '-', starting and ending with an alphanumeric character"
    ))
}

/// A DNS-1123 subdomain: object names (max 253, dot-separated labels).
pub(crate) fn dns1123_subdomain(name: &str) -> Option<String> {
    if name.len() <= 253 && name.split('.').all(is_label) {
        return None;
    }
    Some(format!(
        "{name:?} is not a dns-1123 subdomain: at most 253 lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character"
    ))
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && b.iter().all(|c| alnum(c) || *c == b'-')
        }
        _ => false,
    }
}

/// An IANA service name: port names (max 15, at least one letter, no `--`).
pub(crate) fn iana_svc_name(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 15
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    (!ok).then(|| {
        format!("port name {name:?} must be at most 15 lower case alphanumeric characters or '-', with a letter and no leading, trailing or double '-'")
    })
}

/// An environment variable name: `[-._a-zA-Z][-._a-zA-Z0-9]*` (Kubernetes 1.33).
pub(crate) fn env_var_name(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || "-._".contains(c))
        && chars.all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    (!ok).then(|| {
        format!("env var name {name:?} must consist of letters, digits, '_', '-' or '.', and must not start with a digit")
    })
}

/// A ConfigMap or Secret key: `[-._a-zA-Z0-9]+`, at most 253, not `.` or `..`.
pub(crate) fn config_key(key: &str) -> Option<String> {
    let ok = !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    (!ok).then(|| format!("key {key:?} must consist of alphanumeric characters, '-', '_' or '.'"))
}

/// An Ankaios workload or config name after mapping dots: `[a-zA-Z0-9_-]{1,63}`.
pub(crate) fn ankaios_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (!ok).then(|| format!("ankaios name {name:?} must be 1 to 63 characters of [a-zA-Z0-9_-]"))
}

/// The Ankaios name for a Kubernetes object name: dots (legal in subdomains) become dashes.
pub(crate) fn to_ankaios(name: &str) -> String {
    name.replace('.', "-")
}

/// A qualified name, the grammar of label and annotation keys: an optional DNS-1123 subdomain
/// prefix and `/`, then a name of at most 63 characters of `[-._a-zA-Z0-9]`, alphanumeric at
/// both ends.
pub(crate) fn qualified_name(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || dns1123_subdomain(prefix).is_some() {
            return Some(format!(
                "key {key:?} has a prefix that is not a dns-1123 subdomain"
            ));
        }
    }
    (name.is_empty() || !is_label_value(name)).then(|| {
        format!("key {key:?} must be a name of at most 63 characters of [-._a-zA-Z0-9], alphanumeric at both ends, with an optional dns-1123 subdomain prefix and '/'")
    })
}

/// A label value: empty, or at most 63 characters of `[-._a-zA-Z0-9]`, alphanumeric at both ends.
pub(crate) fn label_value(value: &str) -> Option<String> {
    (!value.is_empty() && !is_label_value(value)).then(|| {
        format!("label value {value:?} must be at most 63 characters of [-._a-zA-Z0-9], alphanumeric at both ends")
    })
}

fn is_label_value(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || b"-._".contains(c);
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            b.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(inner)
        }
        _ => false,
    }
}
