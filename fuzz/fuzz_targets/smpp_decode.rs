#![no_main]
//! Frames and decodes arbitrary bytes as SMPP; what decodes must re-encode byte-exact.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smsgw_shared::smpp::fuzz::fuzz_decode(data);
});
