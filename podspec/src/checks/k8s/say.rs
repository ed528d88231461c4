//! The wording of Kubernetes' `field.Error` types (`Required value`, `Invalid value: 0: …`,
//! `Unsupported value`, `Forbidden`, `Duplicate value`, `Too long`), lower-cased as house style
//! wants, so every area check reports alike. Values from the document are quoted through
//! [`Shown`]: control characters escaped and long ones cut.

use std::fmt::Display;

use ank_model::field_path::Shown;

use crate::finding::{Path, Sink};

/// A string value as Kubernetes quotes it.
pub(super) fn quoted(value: &str) -> String {
    format!("\"{}\"", Shown(value))
}

/// `required value`, with what Kubernetes says about it.
pub(super) fn required(sink: &mut Sink, rule: &'static str, at: Path, detail: &str) {
    let message = if detail.is_empty() {
        "required value".to_owned()
    } else {
        format!("required value: {detail}")
    };
    sink.error(rule, at, message);
}

/// `invalid value: VALUE: DETAIL`.
pub(super) fn invalid(
    sink: &mut Sink,
    rule: &'static str,
    at: Path,
    value: impl Display,
    detail: &str,
) {
    sink.error(rule, at, format!("invalid value: {value}: {detail}"));
}

/// `invalid value: "VALUE": DETAIL` for a string from the document.
pub(super) fn invalid_str(
    sink: &mut Sink,
    rule: &'static str,
    at: Path,
    value: &str,
    detail: &str,
) {
    invalid(sink, rule, at, quoted(value), detail);
}

/// `unsupported value: "VALUE": supported values: "A", "B"`.
pub(super) fn unsupported(
    sink: &mut Sink,
    rule: &'static str,
    at: Path,
    value: &str,
    allowed: &[&str],
) {
    let allowed: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
    let message = format!(
        "unsupported value: {}: supported values: {}",
        quoted(value),
        allowed.join(", ")
    );
    sink.error(rule, at, message);
}

/// Checks an optional enum-like string against the values Kubernetes supports.
pub(super) fn one_of(
    sink: &mut Sink,
    rule: &'static str,
    at: impl FnOnce() -> Path,
    value: Option<&str>,
    allowed: &[&str],
) {
    if let Some(v) = value.filter(|v| !allowed.contains(v)) {
        unsupported(sink, rule, at(), v, allowed);
    }
}

/// `forbidden: DETAIL`.
pub(super) fn forbidden(sink: &mut Sink, rule: &'static str, at: Path, detail: &str) {
    sink.error(rule, at, format!("forbidden: {detail}"));
}

/// `duplicate value: VALUE`.
pub(super) fn duplicate(sink: &mut Sink, rule: &'static str, at: Path, value: impl Display) {
    sink.error(rule, at, format!("duplicate value: {value}"));
}

/// `ValidateNonnegativeField`: `must be greater than or equal to 0`.
pub(super) fn non_negative(
    sink: &mut Sink,
    rule: &'static str,
    at: impl FnOnce() -> Path,
    value: Option<i64>,
) {
    if let Some(v) = value.filter(|v| *v < 0) {
        invalid(sink, rule, at(), v, "must be greater than or equal to 0");
    }
}

/// `ValidatePositiveField`-like: `must be greater than 0`.
pub(super) fn positive(
    sink: &mut Sink,
    rule: &'static str,
    at: impl FnOnce() -> Path,
    value: Option<i64>,
) {
    if let Some(v) = value.filter(|v| *v <= 0) {
        invalid(sink, rule, at(), v, "must be greater than 0");
    }
}

/// Reports the grammar message of `check` (from `names`) for a non-empty `value`.
pub(super) fn grammar(
    sink: &mut Sink,
    rule: &'static str,
    at: impl FnOnce() -> Path,
    value: &str,
    check: fn(&str) -> Option<String>,
) {
    if let Some(message) = check(value) {
        invalid_str(sink, rule, at(), value, &message);
    }
}

/// `not found: "VALUE"`.
pub(super) fn not_found(sink: &mut Sink, rule: &'static str, at: Path, value: &str) {
    sink.error(rule, at, format!("not found: {}", quoted(value)));
}
