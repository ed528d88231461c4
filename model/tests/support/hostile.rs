//! Hostile-input strategies shared by the fuzz suites of every crate (included with
//! `#[path = ".../model/tests/support/hostile.rs"] mod hostile;`, since test helpers cannot be a
//! dependency of their own crate): names and texts mixing path syntax, quoting, control and
//! non-ASCII characters, the empty string and 10 000 characters, and the suites' case count.
#![allow(dead_code, unused_macros)] // each suite uses a different part

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

/// Pieces that break naive path, quoting, YAML, TOML and template handling.
const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    "-",
    "_",
    ".",
    "..",
    "[",
    "]",
    "[0]",
    "*",
    "\"",
    "'",
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "\u{0}",
    "\u{7}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "é",
    "日本",
    "🦀",
    "\u{200b}",
    "\u{feff}",
    "{{",
    "}}",
    "{{#each",
    "{{/each}}",
    "=",
    ":",
    "#",
    "&a",
    "*a",
    "- ",
    "---",
    "~",
];

/// A name: mostly short mixes of [`PIECES`], sometimes empty, `a[]]` or 10 000 characters.
pub fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(prop::sample::select(PIECES), 0..12).prop_map(|p| p.concat()),
        1 => Just(String::new()),
        1 => Just("a[]]".to_owned()),
        1 => "[a-z]{1,3}".prop_map(|s| s.repeat(10_000).chars().take(10_000).collect()),
    ]
}

/// Free text: hostile names, arbitrary Unicode, or many pieces joined (longer documents).
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => name(),
        2 => any::<String>(),
        2 => prop::collection::vec(prop::sample::select(PIECES), 0..200).prop_map(|p| p.concat()),
    ]
}

/// Arbitrary bytes, or the UTF-8 of [`text`].
pub fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        text().prop_map(String::into_bytes),
    ]
}

/// The suites' config: `cases` by default (sized so that all fuzz suites together stay under a
/// minute in a debug build), `PROPTEST_CASES` to run longer; failures persist beside the test
/// file (`tests/<suite>.proptest-regressions`, committed).
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// `text` as a TOML basic string: quotes, backslashes and control characters escaped.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML value: hostile strings, extreme numbers, booleans, arrays and inline tables.
pub fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => name().prop_map(|s| toml_string(&s)),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            "true", "false", "1.5", "inf", "nan", "-0", "1979-05-27T07:32:00Z", "'lit'", "'''a\nb'''",
            "0x7fffffffffffffff", "99999999999999999999", "[]", "{}",
        ]).prop_map(str::to_owned),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            // Distinct keys: a repeated key is a TOML error that would hide the one under test.
            prop::collection::btree_map(name(), inner, 0..3).prop_map(|kv| {
                let pairs: Vec<String> = kv
                    .iter()
                    .map(|(k, v)| format!("{} = {v}", toml_string(k)))
                    .collect();
                format!("{{{}}}", pairs.join(", "))
            }),
        ]
    })
}

/// A config file: `version = 'v1'` (mostly), then `keys` (and hostile ones) set to hostile
/// values, sometimes under a `[table]` (`tables`, or a hostile one).
pub fn toml_doc(
    keys: &'static [&'static str],
    tables: &'static [&'static str],
) -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => prop::sample::select(keys).prop_map(str::to_owned),
        1 => name().prop_map(|k| toml_string(&k)),
    ];
    let table = prop_oneof![
        3 => prop::sample::select(tables).prop_map(str::to_owned),
        1 => name().prop_map(|k| toml_string(&k)),
    ];
    let line = prop_oneof![
        6 => (key, toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => table.prop_map(|t| format!("[{t}]")),
        1 => name(),
    ];
    let version = prop_oneof![
        6 => Just("version = 'v1'".to_owned()),
        1 => toml_value().prop_map(|v| format!("version = {v}")),
    ];
    (version, prop::collection::vec(line, 0..8)).prop_map(|(v, lines)| {
        let mut doc = v;
        for line in lines {
            doc.push('\n');
            doc.push_str(&line);
        }
        doc
    })
}

/// Nesting bombs in TOML: 10 000 nested arrays, inline tables and dotted keys.
pub fn toml_bombs(key: &str) -> Vec<String> {
    const DEPTH: usize = 10_000;
    vec![
        format!(
            "version = 'v1'\n{key} = {}1{}",
            "[".repeat(DEPTH),
            "]".repeat(DEPTH)
        ),
        format!(
            "version = 'v1'\n{key} = {}1{}",
            "{a = ".repeat(DEPTH),
            "}".repeat(DEPTH)
        ),
        format!("version = 'v1'\n{key}{} = 1", ".a".repeat(DEPTH)),
        format!("version = 'v1'\n[{key}{}]", ".a".repeat(DEPTH)),
        format!("version = 'v1'\n{key} = {}", "[".repeat(DEPTH)),
    ]
}

/// The fuzz suite of one config-file parser (`ank-server.conf`, `ank-agent.conf`, `ank.conf`):
/// arbitrary text, hostile values for its `keys` and nesting bombs never panic; an accepted file
/// has version `v1` and is handed to `then` (which builds what the binary would from it); every
/// error names `file`; an unknown bare key, at the top or under one of `sections`, is named.
/// `parse` is `fn(&Path, &str) -> Result<Config, impl Display>`.
macro_rules! config_suite {
    (keys: $keys:expr, sections: $sections:expr, file: $file:expr, parse: $parse:expr, then: $then:expr $(,)?) => {
        fn check(text: &str) -> Result<(), TestCaseError> {
            match $parse(std::path::Path::new($file), text) {
                Ok(config) => {
                    prop_assert_eq!(&config.version, "v1");
                    $then(config);
                }
                Err(e) => prop_assert!(e.to_string().contains($file), "{e} does not name the file"),
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(hostile::config(256))]

            #[test]
            fn arbitrary_text_never_panics(text in hostile::text()) {
                check(&text)?;
            }

            #[test]
            fn hostile_values_never_panic(doc in hostile::toml_doc($keys, &["default"])) {
                check(&doc)?;
            }

            #[test]
            fn an_unknown_key_is_named(
                key in "[a-z_]{1,20}",
                value in hostile::toml_value(),
                section in prop::sample::select($sections),
            ) {
                prop_assume!(!$keys.contains(&key.as_str()) && key != "default");
                let text = format!("version = 'v1'\n{section}{key} = {value}\n");
                let err = $parse(std::path::Path::new($file), &text).expect_err("an unknown key");
                prop_assert!(err.to_string().contains(&key), "{err} does not name {key}");
            }
        }

        #[test]
        fn nesting_bombs_are_errors_naming_the_file() {
            for key in $keys.iter().skip(1) {
                for bomb in hostile::toml_bombs(key) {
                    let err = $parse(std::path::Path::new($file), &bomb).expect_err("not a config");
                    assert!(err.to_string().contains($file), "{err}");
                }
            }
        }
    };
}

/// A YAML alias bomb ("billion laughs"): nine levels of nine aliases, 9^9 strings if expanded;
/// one mapping entry per line, each line starting with `indent`.
pub fn laughs(indent: &str) -> String {
    let mut text = format!("{indent}a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut prev = 'a';
    for n in 'b'..='j' {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{indent}{n}: &{n} [{refs}]\n"));
        prev = n;
    }
    text
}
