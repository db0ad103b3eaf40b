//! ISO-8859-1 (Latin-1), SMPP `data_coding` 0x03 (SMPP 3.4 §5.2.19).
//!
//! Every octet is the code point of the same value, U+0000 to U+00FF, so decoding never fails.
//! The C1 range 0x80-0x9F decodes to the C1 controls, not to Windows-1252's punctuation: SMPP
//! names ISO-8859-1. Encoding fails on the first character above U+00FF.

use thiserror::Error;

/// Why text cannot be written in Latin-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Latin1Error {
    /// A character above U+00FF.
    #[error("character {ch:?} at byte {index} is not in ISO-8859-1")]
    Unencodable {
        /// The character.
        ch: char,
        /// Its byte offset in the text.
        index: usize,
    },
}

/// Returns the Latin-1 octet of `ch`, or `None` above U+00FF.
#[inline]
pub fn encode_char(ch: char) -> Option<u8> {
    u8::try_from(u32::from(ch)).ok()
}

/// Encodes `text` as Latin-1.
pub fn encode(text: &str) -> Result<Vec<u8>, Latin1Error> {
    let mut out = Vec::with_capacity(text.len());
    encode_into(text, &mut out)?;
    Ok(out)
}

/// Appends `text` as Latin-1 to `out`. On error `out` is left as it was.
pub fn encode_into(text: &str, out: &mut Vec<u8>) -> Result<(), Latin1Error> {
    let size_before = out.len();
    for (index, ch) in text.char_indices() {
        match encode_char(ch) {
            Some(octet) => out.push(octet),
            None => {
                out.truncate(size_before);
                return Err(Latin1Error::Unencodable { ch, index });
            }
        }
    }
    Ok(())
}

/// Decodes Latin-1 octets (infallible: every octet is a character).
pub fn decode(octets: &[u8]) -> String {
    octets.iter().map(|&octet| char::from(octet)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn latin1_maps_octets_to_same_code_points() {
        // Proves identity mapping at the range edges, including C1 controls and ÿ.
        assert_eq!(encode("Aé\u{80}ÿ").unwrap(), [0x41, 0xE9, 0x80, 0xFF]);
        assert_eq!(decode(&[0x41, 0xE9, 0x80, 0xFF]), "Aé\u{80}ÿ");
    }

    #[test]
    fn characters_above_u00ff_are_typed_errors() {
        // Proves '€' (U+20AC) is refused with its byte offset.
        assert_eq!(
            encode("a€"),
            Err(Latin1Error::Unencodable {
                ch: '€', index: 1
            })
        );
    }

    proptest! {
        #[test]
        fn any_octets_round_trip(octets in proptest::collection::vec(any::<u8>(), 0..300)) {
            // Proves decode then encode gives back any octet string (no octet is invalid).
            prop_assert_eq!(encode(&decode(&octets)).unwrap(), octets);
        }

        #[test]
        fn latin1_text_round_trips(text in "[\\x00-\\xFF]{0,200}") {
            // Proves encode then decode gives back any text of U+0000..U+00FF.
            prop_assert_eq!(decode(&encode(&text).unwrap()), text);
        }
    }
}
