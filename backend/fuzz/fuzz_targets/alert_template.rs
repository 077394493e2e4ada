//! Annotation templates: any text, never a panic, and never an expansion past the limit.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::alert_template(data));
