//! Prometheus API answers: any bytes with any status, read as each kind of answer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::prom_answer(data));
