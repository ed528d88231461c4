//! `cargo +nightly fuzz run validate` (from podspec/): any input must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podspec::{translate_file, validate_file, Options};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for strict in [false, true] {
            let options = Options { strict };
            let _ = validate_file(text, &options);
            let _ = translate_file(text, &options);
        }
    }
});
