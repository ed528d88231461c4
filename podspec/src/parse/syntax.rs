//! Defences and clean-up around the YAML parsers: the linear pre-scan that refuses nesting
//! bombs, the saphyr check that decides whether reading can go on after an error, and the
//! removal of positions from serde_yaml_ng messages (findings carry them separately).

/// Where flow brackets (`[`, `{`) first nest deeper than [`crate::locate::MAX_DEPTH`]: the
/// model's linear pre-scan ([`ank_model::yaml::nesting_bomb`]). Both YAML parsers slow down
/// with every open flow level, so a nesting bomb is refused before either parser sees it.
pub(super) fn nesting_bomb(text: &str) -> Option<(usize, usize)> {
    ank_model::yaml::nesting_bomb(text, crate::locate::MAX_DEPTH)
}

/// True when the rest of the file cannot be trusted: a syntax error, or nesting so deep that
/// reading on would only burn time.
pub(super) fn has_syntax_error(text: &str) -> bool {
    use saphyr_parser::Event;
    let mut depth = 0usize;
    for item in saphyr_parser::Parser::new_from_str(text) {
        match item {
            Err(_) => return true,
            Ok((Event::MappingStart(..) | Event::SequenceStart(..), _)) => depth += 1,
            Ok((Event::MappingEnd | Event::SequenceEnd, _)) => depth = depth.saturating_sub(1),
            Ok(_) => {}
        }
        if depth > crate::locate::MAX_DEPTH {
            return true;
        }
    }
    false
}

/// serde_yaml_ng writes ` at line L column C` into messages; the finding carries the position
/// separately, so it is cut out (keeping any context after it). The first letter is lowered to
/// match the house style of the other messages.
pub(super) fn strip_location(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + " at line ".len()..];
        let skip = tail
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || " column".contains(*c)))
            .map_or(tail.len(), |(j, _)| j);
        rest = &tail[skip..];
    }
    out.push_str(rest);
    let mut chars = out.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => out,
    }
}
