//! The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1 and
//! §6.2.1.1), and the 7-bit packing of user data (TS 23.038 §6.1.2.1.1, with the fill bits of
//! TS 23.040 §9.2.3.24 when a user data header comes first).
//!
//! A character maps to one septet of the base table, or to two septets: the escape 0x1B and a
//! septet of the extension table (`^ { } \ [ ~ ] | €` and form feed). SMPP usually carries
//! `data_coding` 0 as *unpacked* septets, one per octet; the air interface and some SMSCs use
//! *packed* septets, eight in seven octets, least significant bit first.
//!
//! Decoding follows the spec's fallbacks and never fails on a septet value:
//! - an escape followed by a septet the extension table does not define decodes as that septet's
//!   base-table character (TS 23.038 §6.2.1.1, last paragraph);
//! - escape, escape (the reserved second extension table) decodes as one space, as the spec asks
//!   "until another extension table is defined";
//! - a lone escape at the end of the text decodes as a space, the spec's rendering of an escape
//!   a receiver does not understand (§6.2.1, note 1).
//!
//! The national language single and locking shift tables (§6.2.1.2.4, Annex A) are not
//! supported: encoding uses the default tables only, and decoding ignores shift IEs.
//!
//! Cost: every lookup is one table read; nothing allocates per character. The `_into` forms
//! append to a caller's buffer so a hot path can reuse one.

use thiserror::Error;

/// How one character is written in the default alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GsmChar {
    /// One septet of the base table.
    Base(u8),
    /// The escape 0x1B followed by this septet of the extension table.
    Extension(u8),
}

impl GsmChar {
    /// How many septets the character takes: 1 in the base table, 2 in the extension table.
    pub fn septet_count(self) -> usize {
        match self {
            GsmChar::Base(_) => 1,
            GsmChar::Extension(_) => 2,
        }
    }
}

/// Why text cannot be converted to or from the default alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Gsm7Error {
    /// The text holds a character neither table defines.
    #[error("character {ch:?} at byte {index} is not in the GSM 7-bit default alphabet")]
    Unencodable {
        /// The character.
        ch: char,
        /// Its byte offset in the text.
        index: usize,
    },
    /// An unpacked septet has its eighth bit set.
    #[error("octet {index} holds 0x{value:02X}, over the largest septet 0x7F")]
    SeptetOver {
        /// Offset of the octet.
        index: usize,
        /// Its value.
        value: u8,
    },
    /// The packed data is shorter than the septet count and fill bits announce.
    #[error(
        "{septet_count} packed septets after {fill_bits} fill bits need more than {size} octets"
    )]
    PackedTooShort {
        /// Septets announced (TP-UDL minus the header's septets).
        septet_count: usize,
        /// Fill bits before the first septet.
        fill_bits: u8,
        /// Octets available.
        size: usize,
    },
    /// The fill bits are more than the 6 a septet boundary can need.
    #[error("{fill_bits} fill bits, over the maximum of 6")]
    FillBitsOver {
        /// The fill bits asked for.
        fill_bits: u8,
    },
}

/// Returns how `ch` is written in the default alphabet, or `None` when neither table has it.
#[inline]
pub fn encode_char(ch: char) -> Option<GsmChar> {
    let code = lookup(ch);
    if code == NONE {
        None
    } else if code & EXTENSION_FLAG != 0 {
        Some(GsmChar::Extension((code & 0x7F) as u8))
    } else {
        Some(GsmChar::Base(code as u8))
    }
}

/// Returns the base-table character of `septet` (its low seven bits). The escape alone decodes
/// as a space.
#[inline]
pub fn decode_septet(septet: u8) -> char {
    BASE[usize::from(septet & 0x7F)]
}

/// Returns the extension-table character of `septet` (the septet after an escape), or `None`
/// when the extension table does not define it.
#[inline]
pub fn decode_extension(septet: u8) -> Option<char> {
    match septet & 0x7F {
        0x0A => Some('\u{000C}'),
        0x14 => Some('^'),
        0x28 => Some('{'),
        0x29 => Some('}'),
        0x2F => Some('\\'),
        0x3C => Some('['),
        0x3D => Some('~'),
        0x3E => Some(']'),
        0x40 => Some('|'),
        0x65 => Some('€'),
        _ => None,
    }
}

/// Returns whether every character of `text` is in the default alphabet.
pub fn is_encodable(text: &str) -> bool {
    text.chars().all(|ch| lookup(ch) != NONE)
}

/// Counts the septets `text` takes (extension characters count 2).
pub fn septet_count(text: &str) -> Result<usize, Gsm7Error> {
    let mut count = 0;
    for_each_code(text, |_, code| count += code_septet_count(code))
        .map_err(|(ch, index)| Gsm7Error::Unencodable { ch, index })?;
    Ok(count)
}

/// Encodes `text` as unpacked septets, one per octet.
pub fn encode_unpacked(text: &str) -> Result<Vec<u8>, Gsm7Error> {
    let mut out = Vec::with_capacity(text.len());
    encode_unpacked_into(text, &mut out)?;
    Ok(out)
}

/// Appends `text` as unpacked septets to `out`. On error `out` is left as it was.
pub fn encode_unpacked_into(text: &str, out: &mut Vec<u8>) -> Result<(), Gsm7Error> {
    let size_before = out.len();
    let result = for_each_code(text, |_, code| {
        if code & EXTENSION_FLAG == 0 {
            out.push(code as u8);
        } else {
            out.extend_from_slice(&[ESCAPE, (code & 0x7F) as u8]);
        }
    });
    result.map_err(|(ch, index)| {
        out.truncate(size_before);
        Gsm7Error::Unencodable { ch, index }
    })
}

/// Encodes `text` as packed septets after `fill_bits` zero bits (0 to 6; see [`fill_bits_for`]).
pub fn encode_packed(text: &str, fill_bits: u8) -> Result<Vec<u8>, Gsm7Error> {
    let mut out = Vec::with_capacity(text.len());
    encode_packed_into(text, fill_bits, &mut out)?;
    Ok(out)
}

/// Appends `text` as packed septets after `fill_bits` zero bits to `out`; returns the septet
/// count written. On error `out` is left as it was.
///
/// Panics if `fill_bits` is over 6: it comes from our own header size, never from a peer.
pub fn encode_packed_into(
    text: &str,
    fill_bits: u8,
    out: &mut Vec<u8>,
) -> Result<usize, Gsm7Error> {
    assert!(fill_bits <= FILL_BITS_MAX, "fill_bits={fill_bits}");
    let size_before = out.len();
    let mut packer = Packer::new(fill_bits);
    let result = for_each_code(text, |_, code| {
        if code & EXTENSION_FLAG == 0 {
            packer.push(code as u8, out);
        } else {
            packer.push(ESCAPE, out);
            packer.push((code & 0x7F) as u8, out);
        }
    });
    if let Err((ch, index)) = result {
        out.truncate(size_before);
        return Err(Gsm7Error::Unencodable { ch, index });
    }
    Ok(packer.finish(out))
}

/// Packs unpacked `septets` (low seven bits of each octet) after `fill_bits` zero bits.
///
/// The result has `packed_size(septets.len(), fill_bits)` octets; unused high bits of the last
/// octet are zero. Panics if `fill_bits` is over 6 (a caller's constant, never peer input).
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(packed_size(septets.len(), fill_bits));
    pack_into(septets, fill_bits, &mut out);
    out
}

/// Appends packed `septets` after `fill_bits` zero bits to `out`. See [`pack`].
pub fn pack_into(septets: &[u8], fill_bits: u8, out: &mut Vec<u8>) {
    assert!(fill_bits <= FILL_BITS_MAX, "fill_bits={fill_bits}");
    let size_before = out.len();
    let mut packer = Packer::new(fill_bits);
    let mut chunks = septets.chunks_exact(8);
    for chunk in &mut chunks {
        packer.push_eight(chunk, out);
    }
    for &septet in chunks.remainder() {
        packer.push(septet & 0x7F, out);
    }
    packer.finish(out);
    debug_assert_eq!(
        out.len() - size_before,
        packed_size(septets.len(), fill_bits)
    );
}

/// Octets that `septet_count` packed septets after `fill_bits` fill bits take (0 for none).
pub fn packed_size(septet_count: usize, fill_bits: u8) -> usize {
    if septet_count == 0 {
        0
    } else {
        (usize::from(fill_bits) + septet_count * 7).div_ceil(8)
    }
}

/// Fill bits that align the first septet after a `udh_size`-octet user data header (UDHL octet
/// included) to a septet boundary (TS 23.040 §9.2.3.24).
pub fn fill_bits_for(udh_size: usize) -> u8 {
    // (7 - (bits % 7)) % 7 is below 7, so it fits in u8.
    ((7 - (udh_size * 8) % 7) % 7) as u8
}

/// Unpacks `septet_count` septets that follow `fill_bits` bits of `packed`, one per octet.
pub fn unpack(packed: &[u8], septet_count: usize, fill_bits: u8) -> Result<Vec<u8>, Gsm7Error> {
    check_packed(packed, septet_count, fill_bits)?;
    let mut out = Vec::with_capacity(septet_count);
    out.extend(PackedSeptets::new(packed, septet_count, fill_bits));
    Ok(out)
}

/// Decodes unpacked septets (one per octet) to text, with the fallbacks of the module doc.
pub fn decode_unpacked(septets: &[u8]) -> Result<String, Gsm7Error> {
    let mut out = String::with_capacity(septets.len());
    decode_unpacked_into(septets, &mut out)?;
    Ok(out)
}

/// Appends the text of unpacked `septets` to `out`. On error `out` is left as it was.
pub fn decode_unpacked_into(septets: &[u8], out: &mut String) -> Result<(), Gsm7Error> {
    if let Some(index) = septets.iter().position(|&octet| octet > 0x7F) {
        return Err(Gsm7Error::SeptetOver {
            index,
            value: septets[index],
        });
    }
    decode_septets(septets.iter().copied(), out);
    Ok(())
}

/// Decodes `septet_count` packed septets that follow `fill_bits` bits of `packed`.
pub fn decode_packed(
    packed: &[u8],
    septet_count: usize,
    fill_bits: u8,
) -> Result<String, Gsm7Error> {
    check_packed(packed, septet_count, fill_bits)?;
    let mut out = String::with_capacity(septet_count);
    decode_septets(
        PackedSeptets::new(packed, septet_count, fill_bits),
        &mut out,
    );
    Ok(out)
}

/// Calls `emit` with the byte offset and code of each character (a base septet, or
/// `EXTENSION_FLAG | septet`), or returns the first character neither table has, with its byte
/// offset. ASCII, the common case, skips UTF-8 decoding.
#[inline]
pub(super) fn for_each_code(
    text: &str,
    mut emit: impl FnMut(usize, u16),
) -> Result<(), (char, usize)> {
    let octets = text.as_bytes();
    let mut index = 0;
    while let Some(&octet) = octets.get(index) {
        let (code, ch, size) = if octet.is_ascii() {
            (ENCODE_LATIN[usize::from(octet)], char::from(octet), 1)
        } else {
            // `index` is on a character boundary: it only ever moves by whole characters.
            let Some(ch) = text[index..].chars().next() else {
                break;
            };
            (lookup(ch), ch, ch.len_utf8())
        };
        if code == NONE {
            return Err((ch, index));
        }
        emit(index, code);
        index += size;
    }
    Ok(())
}

/// Septets a code from `for_each_code` takes.
#[inline]
pub(super) fn code_septet_count(code: u16) -> usize {
    if code & EXTENSION_FLAG == 0 { 1 } else { 2 }
}

/// Decodes a stream of septets (each already below 0x80).
fn decode_septets(mut septets: impl Iterator<Item = u8>, out: &mut String) {
    while let Some(septet) = septets.next() {
        if septet != ESCAPE {
            out.push(decode_septet(septet));
            continue;
        }
        let ch = match septets.next() {
            // A trailing lone escape: the spec's rendering of an escape not understood.
            None => ' ',
            // The reserved second extension table: a space until it is defined.
            Some(ESCAPE) => ' ',
            Some(next) => decode_extension(next).unwrap_or_else(|| decode_septet(next)),
        };
        out.push(ch);
    }
}

fn check_packed(packed: &[u8], septet_count: usize, fill_bits: u8) -> Result<(), Gsm7Error> {
    if fill_bits > FILL_BITS_MAX {
        return Err(Gsm7Error::FillBitsOver { fill_bits });
    }
    let bits_needed = septet_count
        .checked_mul(7)
        .and_then(|bits| bits.checked_add(usize::from(fill_bits)));
    match bits_needed {
        Some(bits) if septet_count == 0 || bits <= packed.len().saturating_mul(8) => Ok(()),
        _ => Err(Gsm7Error::PackedTooShort {
            septet_count,
            fill_bits,
            size: packed.len(),
        }),
    }
}

/// Reads septets out of packed octets; the caller has checked the length with `check_packed`.
struct PackedSeptets<'a> {
    packed: &'a [u8],
    bit_offset: usize,
    remaining: usize,
}

impl<'a> PackedSeptets<'a> {
    fn new(packed: &'a [u8], septet_count: usize, fill_bits: u8) -> Self {
        PackedSeptets {
            packed,
            bit_offset: usize::from(fill_bits),
            remaining: septet_count,
        }
    }
}

impl Iterator for PackedSeptets<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let octet_index = self.bit_offset / 8;
        let shift = self.bit_offset % 8;
        self.bit_offset += 7;
        let low = u16::from(self.packed.get(octet_index).copied().unwrap_or(0));
        // The septet reaches the next octet only when shift > 1; past the end it is padding.
        let high = u16::from(self.packed.get(octet_index + 1).copied().unwrap_or(0));
        Some((((high << 8 | low) >> shift) & 0x7F) as u8)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Accumulates septets least significant bit first in a u64 and writes seven octets whenever
/// 56 bits are held: one shift, one or, one compare per septet.
struct Packer {
    bits: u64,
    /// Bits held, below 56 between pushes.
    bit_count: u32,
    septet_count: usize,
}

impl Packer {
    fn new(fill_bits: u8) -> Self {
        Packer {
            bits: 0,
            bit_count: u32::from(fill_bits),
            septet_count: 0,
        }
    }

    #[inline]
    fn push(&mut self, septet: u8, out: &mut Vec<u8>) {
        debug_assert!(septet <= 0x7F);
        debug_assert!(self.bit_count < 56);
        self.bits |= u64::from(septet) << self.bit_count;
        self.bit_count += 7;
        self.septet_count += 1;
        if self.bit_count >= 56 {
            out.extend_from_slice(&self.bits.to_le_bytes()[..7]);
            self.bits >>= 56;
            self.bit_count -= 56;
        }
    }

    /// Pushes eight septets at once while fewer than 8 bits are held (as from the start): 56
    /// bits in, 7 octets out, so the held bit count stays below 8.
    #[inline]
    fn push_eight(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        debug_assert_eq!(chunk.len(), 8);
        debug_assert!(self.bit_count < 8);
        let mut bits = self.bits;
        for (position, &septet) in chunk.iter().enumerate() {
            bits |= u64::from(septet & 0x7F) << (self.bit_count + 7 * position as u32);
        }
        out.extend_from_slice(&bits.to_le_bytes()[..7]);
        self.bits = bits >> 56;
        self.septet_count += 8;
    }

    /// Writes the octets still held; returns the septet count. No septets write nothing.
    fn finish(self, out: &mut Vec<u8>) -> usize {
        if self.septet_count > 0 {
            let size = self.bit_count.div_ceil(8) as usize;
            out.extend_from_slice(&self.bits.to_le_bytes()[..size]);
        }
        self.septet_count
    }
}

/// The escape to the extension table (TS 23.038 §6.2.1, code 0x1B).
pub const ESCAPE: u8 = 0x1B;

/// Marks an extension-table code in the encode tables.
const EXTENSION_FLAG: u16 = 0x100;
/// Marks a character neither table defines.
const NONE: u16 = 0xFFFF;
/// A septet boundary is at most 6 bits away.
const FILL_BITS_MAX: u8 = 6;

/// Base table by septet (TS 23.038 §6.2.1). 0x1B is the escape; alone it renders as a space.
const BASE: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// Extension table characters and their septets (TS 23.038 §6.2.1.1).
const EXTENSION: [(char, u8); 10] = [
    ('\u{000C}', 0x0A),
    ('^', 0x14),
    ('{', 0x28),
    ('}', 0x29),
    ('\\', 0x2F),
    ('[', 0x3C),
    ('~', 0x3D),
    (']', 0x3E),
    ('|', 0x40),
    ('€', 0x65),
];

/// Code of every character below U+0100: a base septet, `EXTENSION_FLAG | septet`, or `NONE`.
const ENCODE_LATIN: [u16; 256] = build_encode_latin();
/// Greek capitals of the base table start here (U+0393 Γ) and end at U+03A9 Ω.
const GREEK_FIRST: u32 = 0x0393;
/// Code of U+0393..=U+03A9, as `ENCODE_LATIN`.
const ENCODE_GREEK: [u16; 23] = build_encode_greek();

#[inline]
fn lookup(ch: char) -> u16 {
    let code_point = u32::from(ch);
    if code_point < 0x100 {
        ENCODE_LATIN[code_point as usize]
    } else if (GREEK_FIRST..GREEK_FIRST + ENCODE_GREEK.len() as u32).contains(&code_point) {
        ENCODE_GREEK[(code_point - GREEK_FIRST) as usize]
    } else if ch == '€' {
        EXTENSION_FLAG | 0x65
    } else {
        NONE
    }
}

const fn build_encode_latin() -> [u16; 256] {
    let mut table = [NONE; 256];
    let mut septet = 0;
    while septet < 128 {
        let code_point = BASE[septet] as u32;
        if septet != ESCAPE as usize && code_point < 0x100 {
            table[code_point as usize] = septet as u16;
        }
        septet += 1;
    }
    let mut index = 0;
    while index < EXTENSION.len() {
        let (ch, septet) = EXTENSION[index];
        if (ch as u32) < 0x100 {
            table[ch as usize] = EXTENSION_FLAG | septet as u16;
        }
        index += 1;
    }
    table
}

const fn build_encode_greek() -> [u16; 23] {
    let mut table = [NONE; 23];
    let mut septet = 0;
    while septet < 128 {
        let code_point = BASE[septet] as u32;
        if code_point >= GREEK_FIRST && code_point < GREEK_FIRST + 23 {
            table[(code_point - GREEK_FIRST) as usize] = septet as u16;
        }
        septet += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::testing::{gsm_char, gsm_text};
    use proptest::prelude::*;

    #[test]
    fn hellohello_packs_to_the_spec_vector() {
        // Proves the packing bit order on the classic vector: "hellohello" (10 septets) packs
        // to 9 octets E8 32 9B FD 46 97 D9 EC 37, and unpacks back.
        let packed = encode_packed("hellohello", 0).unwrap();
        assert_eq!(
            packed,
            [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
        assert_eq!(decode_packed(&packed, 10, 0).unwrap(), "hellohello");
        assert_eq!(pack(&encode_unpacked("hellohello").unwrap(), 0), packed);
    }

    #[test]
    fn at_sign_is_septet_zero_and_base_table_is_exact() {
        // Proves a few landmarks of the base table by value: '@' is 0x00, '£' 0x01, LF 0x0A,
        // CR 0x0D, 'Δ' 0x10, ' ' 0x20, '¡' 0x40, '§' 0x5F, '¿' 0x60, 'à' 0x7F.
        let cases = [
            ('@', 0x00),
            ('£', 0x01),
            ('\n', 0x0A),
            ('\r', 0x0D),
            ('Δ', 0x10),
            ('Ξ', 0x1A),
            ('É', 0x1F),
            (' ', 0x20),
            ('¤', 0x24),
            ('¡', 0x40),
            ('§', 0x5F),
            ('¿', 0x60),
            ('à', 0x7F),
        ];
        for (ch, septet) in cases {
            assert_eq!(encode_char(ch), Some(GsmChar::Base(septet)), "{ch:?}");
            assert_eq!(decode_septet(septet), ch);
        }
    }

    #[test]
    fn extension_characters_take_escape_and_code() {
        // Proves every extension-table character encodes as 1B xx with the spec's xx and
        // counts as two septets.
        let text = "\u{000C}^{}\\[~]|€";
        assert_eq!(
            encode_unpacked(text).unwrap(),
            [
                0x1B, 0x0A, 0x1B, 0x14, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x2F, 0x1B, 0x3C, 0x1B, 0x3D,
                0x1B, 0x3E, 0x1B, 0x40, 0x1B, 0x65,
            ]
        );
        assert_eq!(septet_count(text).unwrap(), 20);
        assert_eq!(
            decode_unpacked(&encode_unpacked(text).unwrap()).unwrap(),
            text
        );
    }

    #[test]
    fn characters_outside_both_tables_are_typed_errors() {
        // Proves unencodable characters report the character and its byte offset, and leave
        // the output buffer untouched.
        assert_eq!(
            septet_count("ab😀"),
            Err(Gsm7Error::Unencodable {
                ch: '😀', index: 2
            })
        );
        let mut out = vec![0xAA];
        assert_eq!(
            encode_unpacked_into("a`", &mut out),
            Err(Gsm7Error::Unencodable { ch: '`', index: 1 })
        );
        assert_eq!(out, [0xAA]);
        assert!(!is_encodable("ç"));
        assert!(is_encodable("Ç"));
    }

    #[test]
    fn unknown_escape_falls_back_to_base_table() {
        // Proves TS 23.038 §6.2.1.1's fallback: 1B 41 ('A' has no extension meaning) decodes as
        // 'A', 1B 1B as one space, and a trailing lone escape as a space.
        assert_eq!(decode_unpacked(&[0x1B, 0x41, 0x42]).unwrap(), "AB");
        assert_eq!(decode_unpacked(&[0x1B, 0x1B, 0x41]).unwrap(), " A");
        assert_eq!(decode_unpacked(&[0x41, 0x1B]).unwrap(), "A ");
        assert_eq!(decode_unpacked(&[0x1B, 0x0D]).unwrap(), "\r");
    }

    #[test]
    fn unpacked_octet_over_0x7f_is_typed_error() {
        // Proves a high bit in unpacked data is reported with its offset instead of masked.
        assert_eq!(
            decode_unpacked(&[0x41, 0xC1]),
            Err(Gsm7Error::SeptetOver {
                index: 1,
                value: 0xC1
            })
        );
    }

    #[test]
    fn fill_bits_align_after_concat_headers() {
        // Proves TS 23.040's alignment: a 6-octet UDH needs 1 fill bit, a 7-octet one none, and
        // packing "A" after 1 fill bit shifts it left by one.
        assert_eq!(fill_bits_for(6), 1);
        assert_eq!(fill_bits_for(7), 0);
        assert_eq!(fill_bits_for(1), 6);
        assert_eq!(pack(&[0x41], 1), [0x82]);
        assert_eq!(unpack(&[0x82], 1, 1).unwrap(), [0x41]);
    }

    #[test]
    fn short_packed_input_is_typed_error() {
        // Proves unpacking more septets than the octets hold is refused, as are 7 fill bits.
        assert_eq!(
            unpack(&[0xE8, 0x32], 3, 0),
            Err(Gsm7Error::PackedTooShort {
                septet_count: 3,
                fill_bits: 0,
                size: 2
            })
        );
        assert_eq!(
            unpack(&[0; 8], 1, 7),
            Err(Gsm7Error::FillBitsOver { fill_bits: 7 })
        );
        assert_eq!(
            unpack(&[], usize::MAX, 0).unwrap_err(),
            Gsm7Error::PackedTooShort {
                septet_count: usize::MAX,
                fill_bits: 0,
                size: 0
            }
        );
        assert_eq!(unpack(&[], 0, 3).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn every_base_septet_except_escape_round_trips() {
        // Proves the decode and encode tables are inverse on all 127 base septets.
        for septet in 0..0x80u8 {
            if septet == ESCAPE {
                continue;
            }
            assert_eq!(
                encode_char(decode_septet(septet)),
                Some(GsmChar::Base(septet))
            );
        }
    }

    proptest! {
        #[test]
        fn gsm_text_round_trips_unpacked(text in gsm_text(0..400)) {
            // Proves decode_unpacked(encode_unpacked(t)) == t for any GSM-encodable text, and
            // that the septet count equals the encoded length.
            let septets = encode_unpacked(&text).unwrap();
            prop_assert_eq!(septets.len(), septet_count(&text).unwrap());
            prop_assert_eq!(decode_unpacked(&septets).unwrap(), text);
        }

        #[test]
        fn gsm_text_round_trips_packed_with_any_fill(text in gsm_text(0..400), fill in 0u8..7) {
            // Proves packed encoding round-trips for every fill-bit alignment, that it equals
            // pack(unpacked), and that its size is packed_size.
            let count = septet_count(&text).unwrap();
            let packed = encode_packed(&text, fill).unwrap();
            prop_assert_eq!(packed.len(), packed_size(count, fill));
            prop_assert_eq!(&packed, &pack(&encode_unpacked(&text).unwrap(), fill));
            prop_assert_eq!(decode_packed(&packed, count, fill).unwrap(), text);
        }

        #[test]
        fn any_septets_pack_and_unpack_identically(
            septets in proptest::collection::vec(0u8..0x80, 0..300),
            fill in 0u8..7,
        ) {
            // Proves pack/unpack are inverse on raw septets, including the escape value.
            let packed = pack(&septets, fill);
            prop_assert_eq!(unpack(&packed, septets.len(), fill).unwrap(), septets);
        }

        #[test]
        fn single_char_encodes_to_its_count(ch in gsm_char()) {
            // Proves septet_count agrees with encode_char for every table character.
            let expected = encode_char(ch).unwrap().septet_count();
            prop_assert_eq!(septet_count(&ch.to_string()).unwrap(), expected);
        }

        #[test]
        fn random_bytes_never_panic_the_decoders(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            count in 0usize..400,
            fill in 0u8..10,
        ) {
            // Proves hostile input only ever yields text or a typed error.
            let _ = decode_unpacked(&bytes);
            let _ = decode_packed(&bytes, count, fill);
            let _ = unpack(&bytes, count, fill);
        }
    }
}
