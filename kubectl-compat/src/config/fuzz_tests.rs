//! Fuzzing `ank.conf`: arbitrary text, hostile values for every key and nesting bombs never
//! panic the parser or the merge with the flags; every error names the file, an unknown key is
//! named. Failures persist in `kubectl-compat/proptest-regressions/config/`.

use clap::Parser;
use proptest::prelude::*;

use super::*;

const KEYS: &[&str] = &[
    "version",
    "response_timeout",
    "verbose",
    "quiet",
    "no_wait",
    "server_url",
    "insecure",
    "ca_pem",
    "crt_pem",
    "key_pem",
    "ca_pem_content",
    "crt_pem_content",
    "key_pem_content",
];
const FILE: &str = "/home/u/.config/ankaios/odd[.]ank.conf";

#[derive(Parser)]
struct Opts {
    #[command(flatten)]
    global: GlobalOptions,
}

/// The settings `ank` would use: the file merged under no flags.
fn build(file: FileConfig) {
    let _ = merge(&Opts::parse_from(["ank"]).global, file, false);
}

config_suite! {
    keys: KEYS,
    sections: &["", "[default]\n"],
    file: FILE,
    parse: parse,
    then: build,
}

#[test]
fn a_hostile_version_is_shown_escaped() {
    let err = parse(Path::new(FILE), "version = \"v1\\u001b[2J\"").expect_err("not v1");
    assert_eq!(
        err.to_string(),
        format!(r"config file {FILE}: unsupported version 'v1\u{{1b}}[2J' (expected 'v1')")
    );
}

/// The longest response timeout a file can give is a duration, not an overflow.
#[test]
fn the_largest_response_timeout_is_kept() {
    let file = parse(
        Path::new(FILE),
        &format!("version = 'v1'\nresponse_timeout = {}\n", i64::MAX),
    )
    .expect("a u64");
    let global = Opts::parse_from(["ank"]).global;
    let settings = merge(&global, file, false);
    assert_eq!(settings.response_timeout.as_millis(), i64::MAX as u128);
}
