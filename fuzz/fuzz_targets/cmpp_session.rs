#![no_main]
//! Drives an SP and an ISMG CMPP session (both versions) with arbitrary frames and timers.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smsgw_shared::cmpp::session::fuzz::fuzz_session(data);
});
