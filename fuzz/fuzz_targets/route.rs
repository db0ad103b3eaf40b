#![no_main]
//! Builds routing tables and looks up numbers from arbitrary bytes, checked against a
//! linear-scan reference model.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smsgw_shared::route::fuzz::fuzz_route(data);
});
