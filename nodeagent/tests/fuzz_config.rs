//! Fuzzing `ank-agent.conf`: arbitrary text, hostile values for every key and nesting bombs
//! never panic the parser or the settings built from it; every parse error names the file, an
//! unknown key is named.

#[path = "../../model/tests/support/hostile.rs"]
#[macro_use]
mod hostile;

use std::path::Path;

use nodeagent::config::{parse_file, read_file, settings, ConfigError, FileConfig, Flags};
use proptest::prelude::*;

const KEYS: &[&str] = &[
    "version",
    "name",
    "server_url",
    "run_folder",
    "insecure",
    "ca_pem",
    "crt_pem",
    "key_pem",
    "ca_pem_content",
    "crt_pem_content",
    "key_pem_content",
    "dead_link_timeout",
];
const FILE: &str = "/etc/ankaios/odd[.]ank-agent.conf";

/// The settings the agent would build from an accepted file (in a private run folder instead
/// of the file's): any error, no panic.
fn build(mut file: FileConfig) {
    let run = tempfile::tempdir().expect("a temporary folder");
    file.run_folder = Some(run.path().join("run"));
    let _ = settings(Flags::default(), file);
}

config_suite! {
    keys: KEYS,
    sections: &[""],
    file: FILE,
    parse: parse_file,
    then: build,
}

proptest! {
    #![proptest_config(hostile::config(256))]

    #[test]
    fn hostile_urls_and_timeouts_for_a_valid_name_never_panic(
        url in hostile::text(),
        timeout in hostile::text(),
        insecure in any::<bool>(),
    ) {
        let doc = format!(
            "version = 'v1'\nname = 'a'\ninsecure = {insecure}\nserver_url = {}\ndead_link_timeout = {}\n",
            hostile::toml_string(&url),
            hostile::toml_string(&timeout),
        );
        check(&doc)?;
    }
}

/// A file that is not UTF-8 is a read error naming the file.
#[test]
fn a_binary_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("ank-agent.conf");
    std::fs::write(&path, [0xff, 0xfe, 0x00, b'v']).expect("writes");
    let err = read_file(&path).expect_err("not text");
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");
    assert!(err.to_string().contains("ank-agent.conf"), "{err}");
}

/// An empty file (no `version`) and another version name the file and the key.
#[test]
fn version_errors_name_the_file() {
    let err = parse_file(Path::new(FILE), "").expect_err("no version");
    assert!(err.to_string().contains(FILE), "{err}");
    assert!(err.to_string().contains("version"), "{err}");
    let err = parse_file(Path::new(FILE), "version = \"v2\\u001b[2J\"").expect_err("not v1");
    assert_eq!(
        err.to_string(),
        format!(r"unsupported agent config version 'v2\u{{1b}}[2J' in '{FILE}' (expected 'v1')")
    );
}
