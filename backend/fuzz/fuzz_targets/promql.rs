//! PromQL analysis: any text through the shape check, the parser and every analysis.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::promql(data));
