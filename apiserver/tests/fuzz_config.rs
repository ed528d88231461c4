//! Fuzzing `ank-server.conf`: arbitrary text, hostile values for every key and nesting bombs
//! never panic the parser; every error names the file, an unknown key is named.

#[path = "../../model/tests/support/hostile.rs"]
#[macro_use]
mod hostile;

use std::path::Path;

use apiserver::config::ServerConfig;
use proptest::prelude::*;

const KEYS: &[&str] = &[
    "version",
    "startup_manifest",
    "address",
    "insecure",
    "ca_pem",
    "crt_pem",
    "key_pem",
    "ca_pem_content",
    "crt_pem_content",
    "key_pem_content",
    "state_file",
    "startup_grace",
    "dead_link_timeout",
];
const FILE: &str = "/etc/ankaios/odd[.]ank-server.conf";

config_suite! {
    keys: KEYS,
    sections: &[""],
    file: FILE,
    parse: ServerConfig::parse,
    then: |_| {},
}

/// The first failure found: an empty file (no `version`) gave an error without the file's name.
#[test]
fn an_empty_file_names_the_file() {
    let err = ServerConfig::parse(Path::new(FILE), "").expect_err("no version");
    assert_eq!(
        err.to_string(),
        format!("unsupported server config version '' in {FILE} (expected 'v1')")
    );
}

/// A version holding control characters is shown escaped, on one line.
#[test]
fn a_hostile_version_is_shown_escaped() {
    let err =
        ServerConfig::parse(Path::new(FILE), "version = \"v1\\n\\u001b[2J\"").expect_err("not v1");
    assert!(!err.to_string().contains(char::is_control), "{err}");
    assert!(err.to_string().contains(r"v1\n\u{1b}[2J"), "{err}");
}
