//! Any text as the config file; and what loads renders and loads back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch::fuzzing;

fuzz_target!(|text: &str| {
    if let Ok(config) = fuzzing::config_text(text) {
        fuzzing::config_roundtrip(&config);
    }
});
