//! One document as a flat buffer of YAML events, and the scalar resolution serde_yaml_ng applies
//! when it builds a `Value` (YAML 1.2 core schema), copied so that the fast path reads every
//! scalar exactly as the `Value` path would.

use std::borrow::Cow;

use serde_yaml_ng::{Mapping, Number, Value};

/// One event of a document. Anchors, aliases and tags never get here: the reader hands files
/// with them to serde_yaml_ng.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ev<'a> {
    /// The start of a mapping; keys and values follow in turn.
    MapStart,
    /// The end of a mapping.
    MapEnd,
    /// The start of a sequence.
    SeqStart,
    /// The end of a sequence.
    SeqEnd,
    /// A scalar's text and whether it was plain (only plain scalars resolve to null, booleans
    /// and numbers).
    Scalar(Cow<'a, str>, bool),
}

/// Where the readers hand each document's events, with the document's index.
pub(crate) type OnDocument<'f> = dyn FnMut(usize, &[Ev<'_>]) -> Result<(), NeedsLibyaml> + 'f;

/// What a scalar means, as serde_yaml_ng resolves it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved<'s> {
    /// `~`, `null`, `Null`, `NULL` or nothing.
    Null,
    /// `true`, `True`, `TRUE` and the same for false.
    Bool(bool),
    /// A non-negative integer.
    PosInt(u64),
    /// A negative integer.
    NegInt(i64),
    /// A finite float, `.inf` or `.nan`.
    Float(f64),
    /// Anything else, and every quoted or block scalar.
    Str(&'s str),
    /// An integer beyond 64 bits, which serde_yaml_ng's `Value` refuses with an error.
    Wide,
}

/// Resolves a scalar like serde_yaml_ng's `visit_untagged_scalar` feeding a `Value`.
pub(crate) fn resolve(s: &str, plain: bool) -> Resolved<'_> {
    if !plain {
        return Resolved::Str(s);
    }
    let Some(&first) = s.as_bytes().first() else {
        return Resolved::Null;
    };
    // Numbers start with a digit, a sign or a dot; keywords with one of `~nNtTfF`; everything
    // else is a string.
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        if !matches!(first, b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F') {
            return Resolved::Str(s);
        }
        return match s {
            "~" | "null" | "Null" | "NULL" => Resolved::Null,
            "true" | "True" | "TRUE" => Resolved::Bool(true),
            "false" | "False" | "FALSE" => Resolved::Bool(false),
            _ => Resolved::Str(s),
        };
    }
    // Digits, signs, `.`, `_`, radix prefixes, exponents, `inf`/`infinity` and `nan` are all
    // that numbers are made of; anything else is a string, which spares quantities such as
    // `64Mi` the failing number parses.
    if !s.bytes().all(|b| NUMBER_BYTES[usize::from(b)]) {
        return Resolved::Str(s);
    }
    if let Some(int) = parse_unsigned_int(s, u64::from_str_radix) {
        return Resolved::PosInt(int);
    }
    if let Some(int) = parse_negative_int(s, i64::from_str_radix) {
        // `Number::from(i64)` keeps zero (`-0`) non-negative.
        return match u64::try_from(int) {
            Ok(u) => Resolved::PosInt(u),
            Err(_) => Resolved::NegInt(int),
        };
    }
    if parse_unsigned_int(s, u128::from_str_radix).is_some()
        || parse_negative_int(s, i128::from_str_radix).is_some()
    {
        return Resolved::Wide;
    }
    if !digits_but_not_number(s) {
        if let Some(float) = parse_f64(s) {
            return Resolved::Float(float);
        }
    }
    Resolved::Str(s)
}

/// Every byte that can occur in a number serde_yaml_ng reads from a plain scalar.
static NUMBER_BYTES: [bool; 256] = byte_set(b"0123456789+-._abcdefABCDEFxXoOiInNtTyY");

/// The set of `bytes` as a lookup table.
pub(crate) const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

type Radix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

fn parse_unsigned_int<T>(scalar: &str, from_str_radix: Radix<T>) -> Option<T> {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(rest, radix) {
                return Some(int);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(scalar: &str, from_str_radix: Radix<T>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = scalar.strip_prefix(prefix) {
            if let Ok(int) = from_str_radix(&format!("-{rest}"), radix) {
                return Some(int);
            }
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

fn parse_f64(scalar: &str) -> Option<f64> {
    let unpositive = match scalar.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => scalar,
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = scalar {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = scalar {
        return Some(f64::NAN.copysign(1.0));
    }
    unpositive.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Leading zeros followed by digits make a string in YAML 1.2.
fn digits_but_not_number(scalar: &str) -> bool {
    let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    scalar.len() > 1 && scalar.starts_with('0') && scalar[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Why a document cannot be turned into a `Value` the way serde_yaml_ng would: the whole file
/// must then be read by serde_yaml_ng, which reports it with a position.
#[derive(Debug, thiserror::Error)]
#[error("the file needs serde_yaml_ng's reader (see `fast` for what the fast path leaves to it)")]
pub(crate) struct NeedsLibyaml;

/// The `Value` serde_yaml_ng builds for the node starting at `evs[*pos]`; `pos` moves past it.
pub(crate) fn to_value(evs: &[Ev<'_>], pos: &mut usize) -> Result<Value, NeedsLibyaml> {
    let ev = evs.get(*pos).ok_or(NeedsLibyaml)?;
    *pos += 1;
    Ok(match ev {
        Ev::Scalar(s, plain) => match resolve(s, *plain) {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::PosInt(u) => Value::Number(Number::from(u)),
            Resolved::NegInt(i) => Value::Number(Number::from(i)),
            Resolved::Float(f) => Value::Number(Number::from(f)),
            Resolved::Str(s) => Value::String(s.to_owned()),
            Resolved::Wide => return Err(NeedsLibyaml),
        },
        Ev::SeqStart => {
            let mut items = Vec::new();
            while evs.get(*pos) != Some(&Ev::SeqEnd) {
                items.push(to_value(evs, pos)?);
            }
            *pos += 1;
            Value::Sequence(items)
        }
        Ev::MapStart => {
            let mut map = Mapping::new();
            while evs.get(*pos) != Some(&Ev::MapEnd) {
                let key = to_value(evs, pos)?;
                if map.contains_key(&key) {
                    return Err(NeedsLibyaml);
                }
                let value = to_value(evs, pos)?;
                map.insert(key, value);
            }
            *pos += 1;
            Value::Mapping(map)
        }
        Ev::MapEnd | Ev::SeqEnd => return Err(NeedsLibyaml),
    })
}

/// The index just after the node that starts at `pos`.
pub(crate) fn skip(evs: &[Ev<'_>], pos: usize) -> usize {
    let mut depth = 0usize;
    let mut p = pos;
    while let Some(ev) = evs.get(p) {
        p += 1;
        match ev {
            Ev::MapStart | Ev::SeqStart => depth += 1,
            Ev::MapEnd | Ev::SeqEnd => depth = depth.saturating_sub(1),
            Ev::Scalar(..) => {}
        }
        if depth == 0 {
            break;
        }
    }
    p
}

/// The value of the string key `key` in the mapping at `pos`, as an index into `evs`.
pub(crate) fn get(evs: &[Ev<'_>], pos: usize, key: &str) -> Option<usize> {
    if evs.get(pos) != Some(&Ev::MapStart) {
        return None;
    }
    let mut p = pos + 1;
    while let Some(Ev::Scalar(k, plain)) = evs.get(p) {
        let value = skip(evs, p);
        if resolve(k, *plain) == Resolved::Str(key) {
            return Some(value);
        }
        p = skip(evs, value);
    }
    None
}

/// The string at `pos`, if it is a scalar that resolves to one.
pub(crate) fn str_at<'e>(evs: &'e [Ev<'_>], pos: usize) -> Option<&'e str> {
    match evs.get(pos)? {
        Ev::Scalar(s, plain) => match resolve(s, *plain) {
            Resolved::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_yaml_ng makes of `text` as a plain scalar, next to ours.
    fn both(text: &str) -> (Option<Value>, Option<Value>) {
        let theirs = serde_yaml_ng::from_str::<Value>(text).ok();
        let evs = [Ev::Scalar(Cow::Borrowed(text), true)];
        let ours = to_value(&evs, &mut 0).ok();
        (theirs, ours)
    }

    #[test]
    fn plain_scalars_resolve_like_serde_yaml_ng() {
        for text in [
            "",
            "~",
            "null",
            "NULL",
            "Null",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRue",
            "false",
            "0",
            "-0",
            "+0",
            "007",
            "-007",
            "+007",
            "0x1F",
            "-0x1F",
            "+0x1F",
            "0x",
            "0o17",
            "-0o17",
            "0b101",
            "-0b101",
            "0x-1",
            "+-1",
            "1_000",
            "1e3",
            "1E3",
            "-1.5",
            "+1.5",
            ".5",
            "5.",
            "1e400",
            "-1e400",
            ".inf",
            "-.inf",
            "+.inf",
            ".nan",
            ".NaN",
            "nan",
            "inf",
            "infinity",
            "-inf",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999999999999999999999",
            "500m",
            "64Mi",
            "1.27",
            "v1",
            "apps/v1",
            "nginx:1.27",
            "0.0.0.0",
            "1.2.3",
            "+",
            ".",
            "0e",
            "1_0",
            "0x_1",
            "١",
            "-Infinity",
            "+iNf",
            "1E+5",
            "0xAbC",
            "-.5e-3",
            "1.5Gi",
            "0x1g",
        ] {
            let (theirs, ours) = both(text);
            assert_eq!(theirs, ours, "{text:?}");
        }
    }
}
