//! Rule files: any text, never a panic, and every parsed rule can be summarised.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::rules_yaml(data));
