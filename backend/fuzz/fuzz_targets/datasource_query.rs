//! A data source query as any viewer can send one through `/api/ds/query`: never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codexflow_backend::fuzz_checks::datasource_query(data));
