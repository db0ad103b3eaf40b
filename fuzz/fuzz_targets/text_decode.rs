#![no_main]
//! Feeds arbitrary bytes to the GSM 7-bit, UCS2 and Latin-1 decoders, the UDH parser and the
//! receipt-text parser.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smsgw_shared::text::fuzz::fuzz_text(data);
});
