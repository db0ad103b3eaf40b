//! UCS2 as SMPP and SMS carry it: UTF-16 big-endian (`data_coding` 0x08, TS 23.038 §5 "UCS2",
//! with the surrogate pairs of ISO/IEC 10646 as handsets send them).
//!
//! Every Rust string encodes; characters above U+FFFF take a surrogate pair (two code units,
//! four octets). Decoding is strict by default: an odd octet count or an unpaired surrogate is a
//! typed error, so a caller can answer the peer or log the exact offset. [`decode_lossy`] is the
//! replacement policy for delivery paths that must pass text on anyway: each bad unit, and an
//! odd last octet, becomes U+FFFD.

use thiserror::Error;

/// Why octets are not valid UTF-16BE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Ucs2Error {
    /// UTF-16 needs two octets per code unit.
    #[error("UCS2 data of {size} octets is not a whole number of 16-bit units")]
    OddLength {
        /// Octets given.
        size: usize,
    },
    /// A high surrogate without its low one, or a low surrogate alone.
    #[error("unpaired surrogate 0x{unit:04X} at octet {index}")]
    UnpairedSurrogate {
        /// Octet offset of the unit.
        index: usize,
        /// The unit.
        unit: u16,
    },
}

/// Encodes `text` as UTF-16BE.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2);
    encode_into(text, &mut out);
    out
}

/// Appends `text` as UTF-16BE to `out`.
pub fn encode_into(text: &str, out: &mut Vec<u8>) {
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

/// Counts the UTF-16 code units of `text` (a character above U+FFFF counts 2).
pub fn unit_count(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Decodes UTF-16BE strictly.
pub fn decode(octets: &[u8]) -> Result<String, Ucs2Error> {
    let mut out = String::with_capacity(octets.len());
    decode_into(octets, &mut out)?;
    Ok(out)
}

/// Appends the text of UTF-16BE `octets` to `out`. On error `out` is left as it was.
pub fn decode_into(octets: &[u8], out: &mut String) -> Result<(), Ucs2Error> {
    if !octets.len().is_multiple_of(2) {
        return Err(Ucs2Error::OddLength { size: octets.len() });
    }
    let size_before = out.len();
    for (position, decoded) in char::decode_utf16(units(octets)).enumerate() {
        match decoded {
            Ok(ch) => out.push(ch),
            Err(error) => {
                out.truncate(size_before);
                return Err(Ucs2Error::UnpairedSurrogate {
                    index: unit_offset(octets, position, error.unpaired_surrogate()),
                    unit: error.unpaired_surrogate(),
                });
            }
        }
    }
    Ok(())
}

/// Decodes UTF-16BE, replacing each unpaired surrogate and an odd last octet with U+FFFD.
pub fn decode_lossy(octets: &[u8]) -> String {
    let mut out: String = char::decode_utf16(units(octets))
        .map(|decoded| decoded.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if !octets.len().is_multiple_of(2) {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

fn units(octets: &[u8]) -> impl Iterator<Item = u16> + '_ {
    octets
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
}

/// Finds the octet offset of the unpaired `unit`, the `position`-th decoded item.
///
/// `decode_utf16` reports items, not offsets; errors are rare, so recount here rather than
/// track offsets on the hot path.
fn unit_offset(octets: &[u8], position: usize, unit: u16) -> usize {
    let mut offset = 0;
    for (item, decoded) in char::decode_utf16(units(octets)).enumerate() {
        if item == position {
            debug_assert_eq!(
                decoded.err().map(|error| error.unpaired_surrogate()),
                Some(unit)
            );
            return offset;
        }
        offset += match decoded {
            Ok(ch) => ch.len_utf16() * 2,
            Err(_) => 2,
        };
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bmp_and_supplementary_characters_encode_to_spec_bytes() {
        // Proves big-endian unit order and the surrogate pair for U+1F600 (D83D DE00).
        assert_eq!(encode("Aé"), [0x00, 0x41, 0x00, 0xE9]);
        assert_eq!(encode("😀"), [0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(unit_count("a😀"), 3);
        assert_eq!(
            decode(&[0xD8, 0x3D, 0xDE, 0x00, 0x00, 0x41]).unwrap(),
            "😀A"
        );
    }

    #[test]
    fn odd_length_is_typed_error() {
        // Proves a dangling octet is refused strictly and replaced by U+FFFD in lossy mode.
        assert_eq!(
            decode(&[0x00, 0x41, 0x00]),
            Err(Ucs2Error::OddLength { size: 3 })
        );
        assert_eq!(decode_lossy(&[0x00, 0x41, 0x00]), "A\u{FFFD}");
    }

    #[test]
    fn unpaired_surrogates_report_their_offset() {
        // Proves a lone high surrogate, a lone low surrogate and a high surrogate at the end are
        // all typed errors naming the unit and its octet offset.
        assert_eq!(
            decode(&[0x00, 0x41, 0xD8, 0x3D, 0x00, 0x41]),
            Err(Ucs2Error::UnpairedSurrogate {
                index: 2,
                unit: 0xD83D
            })
        );
        assert_eq!(
            decode(&[0xD8, 0x3D, 0xDE, 0x00, 0xDE, 0x00]),
            Err(Ucs2Error::UnpairedSurrogate {
                index: 4,
                unit: 0xDE00
            })
        );
        assert_eq!(
            decode(&[0xD8, 0x3D]),
            Err(Ucs2Error::UnpairedSurrogate {
                index: 0,
                unit: 0xD83D
            })
        );
        assert_eq!(decode_lossy(&[0xDE, 0x00, 0x00, 0x41]), "\u{FFFD}A");
    }

    proptest! {
        #[test]
        fn any_string_round_trips(text in any::<String>()) {
            // Proves decode(encode(s)) == s for every Rust string, and the unit count matches.
            let octets = encode(&text);
            prop_assert_eq!(octets.len(), unit_count(&text) * 2);
            prop_assert_eq!(decode(&octets).unwrap(), text);
        }

        #[test]
        fn random_octets_decode_or_fail_typed(octets in proptest::collection::vec(any::<u8>(), 0..300)) {
            // Proves hostile input never panics, and that whatever decodes strictly re-encodes
            // to the same octets (and equals the lossy decode).
            match decode(&octets) {
                Ok(text) => {
                    prop_assert_eq!(encode(&text), octets.clone());
                    prop_assert_eq!(decode_lossy(&octets), text);
                }
                Err(Ucs2Error::OddLength { size }) => prop_assert_eq!(size % 2, 1),
                Err(Ucs2Error::UnpairedSurrogate { index, unit }) => {
                    prop_assert_eq!(u16::from_be_bytes([octets[index], octets[index + 1]]), unit);
                }
            }
        }
    }
}
