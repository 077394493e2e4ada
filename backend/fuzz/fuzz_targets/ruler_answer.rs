//! Rules API answers: any `data`, through selection, phase placement and the choice of rules.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::ruler_answer(data));
