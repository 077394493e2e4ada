//! Every resource body a viewer can send, read and (for evaluate) planned.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::resource_bodies(data));
