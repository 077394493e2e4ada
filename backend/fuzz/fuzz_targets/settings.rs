//! The app's settings as Grafana hands them over: any jsonData and secrets, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::settings(data));
