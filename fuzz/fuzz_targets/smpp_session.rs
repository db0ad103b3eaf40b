#![no_main]
//! Drives an SMSC and an ESME SMPP session with arbitrary frames, timers and answers.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smsgw_shared::smpp::fuzz::fuzz_session(data);
});
