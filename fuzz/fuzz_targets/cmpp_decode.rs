#![no_main]
//! Frames and decodes arbitrary bytes as CMPP 2.0 and 3.0; what decodes must round-trip.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smsgw_shared::cmpp::fuzz::fuzz_decode(data);
});
