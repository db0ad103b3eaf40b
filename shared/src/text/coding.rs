//! Which alphabet a message uses, and the SMPP `data_coding` octet for it (SMPP 3.4 §5.2.19,
//! with the GSM data coding scheme groups of 3GPP TS 23.038 §4).
//!
//! `data_coding` 0x00 means "SMSC default alphabet": most SMSCs mean GSM 7-bit, some Latin-1;
//! [`DataCodingMap`] lets a connector say which. Values 0x00-0x0F follow SMPP's own table;
//! the rest follow TS 23.038's coding groups (general 0x10-0x3F, automatic deletion 0x40-0x7F,
//! message waiting 0xC0-0xEF, message class 0xF0-0xFF). Compressed text, the reserved groups and
//! alphabets we do not carry (JIS, Cyrillic, Hebrew, pictograms, KS C 5601) are typed errors.

use thiserror::Error;

use super::{gsm7, latin1, ucs2};

/// The alphabet of a short message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// GSM 7-bit default alphabet (TS 23.038 §6.2.1), carried unpacked unless told otherwise.
    Gsm7,
    /// ISO-8859-1 (SMPP `data_coding` 0x03). IA5/ASCII (0x01) decodes as this too.
    Latin1,
    /// UTF-16BE (SMPP `data_coding` 0x08).
    Ucs2,
    /// 8-bit data, not text (SMPP `data_coding` 0x04; also 0x02).
    Binary,
}

/// Why a `data_coding` value cannot be mapped to a [`Coding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CodingError {
    /// The scheme marks the text as compressed (TS 23.038 §4, bit 5), which we do not support.
    #[error("data_coding 0x{data_coding:02X} announces compressed text, which is not supported")]
    Compressed {
        /// The value.
        data_coding: u8,
    },
    /// A value the specs reserve.
    #[error("data_coding 0x{data_coding:02X} is reserved")]
    Reserved {
        /// The value.
        data_coding: u8,
    },
    /// A defined alphabet we do not carry (JIS, Cyrillic, Hebrew, pictograms, KS C 5601...).
    #[error("data_coding 0x{data_coding:02X} names an alphabet that is not supported")]
    AlphabetUnsupported {
        /// The value.
        data_coding: u8,
    },
}

/// Why text cannot be encoded in, or decoded from, a coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TextError {
    /// GSM 7-bit failed.
    #[error(transparent)]
    Gsm7(#[from] gsm7::Gsm7Error),
    /// Latin-1 failed.
    #[error(transparent)]
    Latin1(#[from] latin1::Latin1Error),
    /// UCS2 failed.
    #[error(transparent)]
    Ucs2(#[from] ucs2::Ucs2Error),
    /// [`Coding::Binary`] holds data, not text.
    #[error("8-bit binary data is not text")]
    BinaryIsNotText,
}

impl Coding {
    /// The SMPP `data_coding` value with the default map (GSM 7-bit as 0x00).
    pub fn data_coding(self) -> u8 {
        DataCodingMap::DEFAULT.data_coding(self)
    }

    /// Maps a `data_coding` value with the default map (0x00 is GSM 7-bit).
    pub fn from_data_coding(data_coding: u8) -> Result<Coding, CodingError> {
        DataCodingMap::DEFAULT.coding(data_coding)
    }

    /// GSM 7-bit when every character is in the default alphabet, else UCS2.
    pub fn choose(text: &str) -> Coding {
        if gsm7::is_encodable(text) {
            Coding::Gsm7
        } else {
            Coding::Ucs2
        }
    }

    /// Encodes `text` (GSM 7-bit unpacked, one septet per octet).
    pub fn encode(self, text: &str) -> Result<Vec<u8>, TextError> {
        match self {
            Coding::Gsm7 => Ok(gsm7::encode_unpacked(text)?),
            Coding::Latin1 => Ok(latin1::encode(text)?),
            Coding::Ucs2 => Ok(ucs2::encode(text)),
            Coding::Binary => Err(TextError::BinaryIsNotText),
        }
    }

    /// Decodes `octets` (GSM 7-bit unpacked, UCS2 strictly).
    pub fn decode(self, octets: &[u8]) -> Result<String, TextError> {
        match self {
            Coding::Gsm7 => Ok(gsm7::decode_unpacked(octets)?),
            Coding::Latin1 => Ok(latin1::decode(octets)),
            Coding::Ucs2 => Ok(ucs2::decode(octets)?),
            Coding::Binary => Err(TextError::BinaryIsNotText),
        }
    }
}

/// A connector's reading of `data_coding`: what 0x00 means and what GSM 7-bit is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataCodingMap {
    /// What the SMSC's default alphabet (0x00) is: usually [`Coding::Gsm7`].
    pub smsc_default: Coding,
    /// The `data_coding` sent for GSM 7-bit: 0x00 when the SMSC default is GSM, else e.g. 0xF0
    /// (message class group, default alphabet, no class meaning in SMPP terms).
    pub gsm7_data_coding: u8,
}

impl DataCodingMap {
    /// SMSC default alphabet is GSM 7-bit, sent as 0x00.
    pub const DEFAULT: DataCodingMap = DataCodingMap {
        smsc_default: Coding::Gsm7,
        gsm7_data_coding: 0x00,
    };

    /// The `data_coding` value for `coding`.
    pub fn data_coding(&self, coding: Coding) -> u8 {
        match coding {
            Coding::Gsm7 => self.gsm7_data_coding,
            Coding::Latin1 => 0x03,
            Coding::Ucs2 => 0x08,
            Coding::Binary => 0x04,
        }
    }

    /// The coding a `data_coding` value announces.
    pub fn coding(&self, data_coding: u8) -> Result<Coding, CodingError> {
        match data_coding {
            0x00 => Ok(self.smsc_default),
            // IA5 is ASCII, a subset of Latin-1.
            0x01 | 0x03 => Ok(Coding::Latin1),
            0x02 | 0x04 => Ok(Coding::Binary),
            0x08 => Ok(Coding::Ucs2),
            0x05..=0x07 | 0x09 | 0x0A | 0x0D | 0x0E => {
                Err(CodingError::AlphabetUnsupported { data_coding })
            }
            0x0B | 0x0C | 0x0F => Err(CodingError::Reserved { data_coding }),
            // General (00xx xxxx) and automatic deletion (01xx xxxx) groups: bit 5 compressed,
            // bits 3-2 the alphabet.
            0x10..=0x7F => {
                if data_coding & 0x20 != 0 {
                    return Err(CodingError::Compressed { data_coding });
                }
                match (data_coding >> 2) & 0x03 {
                    0 => Ok(Coding::Gsm7),
                    1 => Ok(Coding::Binary),
                    2 => Ok(Coding::Ucs2),
                    _ => Err(CodingError::Reserved { data_coding }),
                }
            }
            0x80..=0xBF => Err(CodingError::Reserved { data_coding }),
            // Message waiting indication: discard and store (GSM 7-bit), store (UCS2).
            0xC0..=0xDF => Ok(Coding::Gsm7),
            0xE0..=0xEF => Ok(Coding::Ucs2),
            // Message class group: bit 2 selects 8-bit data over the default alphabet.
            0xF0..=0xFF => {
                if data_coding & 0x04 != 0 {
                    Ok(Coding::Binary)
                } else {
                    Ok(Coding::Gsm7)
                }
            }
        }
    }
}

impl Default for DataCodingMap {
    fn default() -> Self {
        DataCodingMap::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_coding_has_its_smpp_value() {
        // Proves the SMPP 3.4 §5.2.19 values and that each maps back to its coding.
        let cases = [
            (Coding::Gsm7, 0x00),
            (Coding::Latin1, 0x03),
            (Coding::Ucs2, 0x08),
            (Coding::Binary, 0x04),
        ];
        for (coding, value) in cases {
            assert_eq!(coding.data_coding(), value);
            assert_eq!(Coding::from_data_coding(value), Ok(coding));
        }
    }

    #[test]
    fn dcs_groups_map_to_their_alphabet() {
        // Proves the TS 23.038 groups: general with class, message class, MWI, and the errors
        // for compressed, reserved and unsupported values.
        assert_eq!(Coding::from_data_coding(0x01), Ok(Coding::Latin1));
        assert_eq!(Coding::from_data_coding(0x02), Ok(Coding::Binary));
        assert_eq!(Coding::from_data_coding(0x11), Ok(Coding::Gsm7));
        assert_eq!(Coding::from_data_coding(0x15), Ok(Coding::Binary));
        assert_eq!(Coding::from_data_coding(0x18), Ok(Coding::Ucs2));
        assert_eq!(Coding::from_data_coding(0x48), Ok(Coding::Ucs2));
        assert_eq!(Coding::from_data_coding(0xF0), Ok(Coding::Gsm7));
        assert_eq!(Coding::from_data_coding(0xF1), Ok(Coding::Gsm7));
        assert_eq!(Coding::from_data_coding(0xF4), Ok(Coding::Binary));
        assert_eq!(Coding::from_data_coding(0xF7), Ok(Coding::Binary));
        assert_eq!(Coding::from_data_coding(0xC8), Ok(Coding::Gsm7));
        assert_eq!(Coding::from_data_coding(0xE0), Ok(Coding::Ucs2));
        assert_eq!(
            Coding::from_data_coding(0x28),
            Err(CodingError::Compressed { data_coding: 0x28 })
        );
        assert_eq!(
            Coding::from_data_coding(0x1C),
            Err(CodingError::Reserved { data_coding: 0x1C })
        );
        assert_eq!(
            Coding::from_data_coding(0x90),
            Err(CodingError::Reserved { data_coding: 0x90 })
        );
        assert_eq!(
            Coding::from_data_coding(0x06),
            Err(CodingError::AlphabetUnsupported { data_coding: 0x06 })
        );
    }

    #[test]
    fn smsc_default_is_configurable() {
        // Proves a connector whose SMSC default is Latin-1 reads 0x00 as Latin-1 and can send
        // GSM 7-bit as 0xF0.
        let map = DataCodingMap {
            smsc_default: Coding::Latin1,
            gsm7_data_coding: 0xF0,
        };
        assert_eq!(map.coding(0x00), Ok(Coding::Latin1));
        assert_eq!(map.data_coding(Coding::Gsm7), 0xF0);
        assert_eq!(map.coding(map.data_coding(Coding::Gsm7)), Ok(Coding::Gsm7));
    }

    #[test]
    fn choose_prefers_gsm_and_falls_back_to_ucs2() {
        // Proves extension characters stay GSM, one non-GSM character switches to UCS2.
        assert_eq!(Coding::choose("Hello {world} €5"), Coding::Gsm7);
        assert_eq!(Coding::choose(""), Coding::Gsm7);
        assert_eq!(Coding::choose("Hello ç"), Coding::Ucs2);
        assert_eq!(Coding::choose("Hi 😀"), Coding::Ucs2);
    }

    #[test]
    fn binary_is_not_text() {
        // Proves the text helpers refuse Binary instead of guessing a charset.
        assert_eq!(Coding::Binary.encode("a"), Err(TextError::BinaryIsNotText));
        assert_eq!(Coding::Binary.decode(b"a"), Err(TextError::BinaryIsNotText));
    }

    proptest! {
        #[test]
        fn every_data_coding_maps_or_fails_typed(data_coding in any::<u8>()) {
            // Proves from_data_coding is total, and a mapped coding's own value maps back to it.
            if let Ok(coding) = Coding::from_data_coding(data_coding) {
                prop_assert_eq!(Coding::from_data_coding(coding.data_coding()), Ok(coding));
            }
        }
    }
}
