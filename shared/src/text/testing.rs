//! Test helpers for the text module: proptest strategies for GSM and arbitrary text, and a
//! seeded generator for fuzz smoke runs.

use std::ops::Range;

use proptest::prelude::*;

use super::gsm7;

/// Every character of the GSM default alphabet: 127 base characters and the 10 extension ones.
pub fn gsm_chars() -> Vec<char> {
    let base = (0..0x80u8)
        .filter(|&septet| septet != gsm7::ESCAPE)
        .map(gsm7::decode_septet);
    let extension = (0..0x80u8).filter_map(gsm7::decode_extension);
    base.chain(extension).collect()
}

/// One GSM character, extension characters weighted up so boundaries see them.
pub fn gsm_char() -> impl Strategy<Value = char> {
    let extension: Vec<char> = (0..0x80u8).filter_map(gsm7::decode_extension).collect();
    prop_oneof![
        3 => proptest::sample::select(gsm_chars()),
        1 => proptest::sample::select(extension),
    ]
}

/// A GSM-encodable text of `length` characters.
pub fn gsm_text(length: Range<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(gsm_char(), length).prop_map(|chars| chars.into_iter().collect())
}

/// Any text: GSM characters, emoji (surrogate pairs in UTF-16) and arbitrary code points.
pub fn any_text(length: Range<usize>) -> impl Strategy<Value = String> {
    let emoji = proptest::char::range('\u{1F300}', '\u{1FAFF}');
    let ch = prop_oneof![2 => gsm_char(), 1 => emoji, 1 => any::<char>()];
    proptest::collection::vec(ch, length).prop_map(|chars| chars.into_iter().collect())
}

/// SplitMix64: a tiny deterministic generator for seeded smoke runs.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}
