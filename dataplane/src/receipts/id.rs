//! Upstream message ids brought to one canonical key per connector, so the id an SMSC returns
//! in submit_sm_resp and the id it later writes in a receipt compare equal however it spells
//! them (SMPP 3.4 §4.4.2 message_id, §5.3.2.12 receipted_message_id, Appendix B `id:`).
//!
//! Each connector has an [`IdMatching`]: either text after [`IdNormalization`] (case, leading
//! zeros), or numbers, with the radix the SMSC uses in each place (some answer hex in
//! submit_sm_resp and the receipted_message_id TLV but decimal in the receipt text). A numeric
//! connector that sends an id that is not a number in the expected radix falls back to the
//! text key (lower case, leading zeros stripped) instead of failing, so an SMSC that is
//! inconsistent about its ids still matches when it repeats the same spelling.
//!
//! Keys are fixed-size values (no allocation) and hash with FNV-1a for
//! [`IdKey::shard_index`], which is stable across processes and builds, so every core sends a
//! given id to the same shard.

use std::fmt;

use smsgw_shared::text::{IdCase, IdNormalization, IdRadix, id_value, normalize_id};
use thiserror::Error;

/// An upstream connector's index in the node's connector list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorId(pub u16);

/// Where a receipt's id was read from; a connector may spell them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdSource {
    /// The message_id of submit_sm_resp.
    Response,
    /// The receipted_message_id TLV of deliver_sm (SMPP 3.4 §5.3.2.12).
    ReceiptTlv,
    /// The `id:` field of the receipt text (SMPP 3.4 Appendix B).
    ReceiptText,
}

/// How a connector's ids are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdMatching {
    /// As text, after normalisation.
    Text(IdNormalization),
    /// As numbers, each place read in its radix.
    Numeric {
        /// Radix of submit_sm_resp message_id.
        response: IdRadix,
        /// Radix of the receipted_message_id TLV.
        receipt_tlv: IdRadix,
        /// Radix of the receipt text's `id:`.
        receipt_text: IdRadix,
    },
}

impl Default for IdMatching {
    /// Text, lower case, leading zeros stripped: case and zero padding are the differences
    /// seen most often, and ignoring them never merges two ids one SMSC issues in practice.
    fn default() -> IdMatching {
        IdMatching::Text(TEXT_FALLBACK)
    }
}

impl IdMatching {
    /// The canonical key of `raw` read from `source`.
    pub fn key(&self, raw: &str, source: IdSource) -> Result<IdKey, IdError> {
        if raw.is_empty() {
            return Err(IdError::Empty);
        }
        if raw.len() > ID_SIZE_MAX {
            return Err(IdError::TooLong {
                size: raw.len(),
                max: ID_SIZE_MAX,
            });
        }
        match *self {
            IdMatching::Text(normalization) => Ok(IdKey::text(raw, normalization)),
            IdMatching::Numeric {
                response,
                receipt_tlv,
                receipt_text,
            } => {
                let radix = match source {
                    IdSource::Response => response,
                    IdSource::ReceiptTlv => receipt_tlv,
                    IdSource::ReceiptText => receipt_text,
                };
                Ok(id_value(raw, radix)
                    .map_or_else(|| IdKey::text(raw, TEXT_FALLBACK), IdKey::number))
            }
        }
    }
}

/// Why an id cannot be keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IdError {
    /// The id is empty.
    #[error("message id is empty")]
    Empty,
    /// The id is longer than SMPP allows.
    #[error("message id of {size} octets is over the maximum of {max}")]
    TooLong {
        /// Octets given.
        size: usize,
        /// [`ID_SIZE_MAX`].
        max: usize,
    },
}

/// A canonical id: a number, or normalised text of at most [`ID_SIZE_MAX`] octets.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdKey {
    /// 0 for a number (then `octets[..16]` is its big-endian value), else the text's length.
    len: u8,
    octets: [u8; ID_SIZE_MAX],
}

impl IdKey {
    /// The key of a numeric id (e.g. a CMPP Msg_Id, or a decimal or hex SMPP id's value).
    pub fn number(value: u128) -> IdKey {
        let mut octets = [0; ID_SIZE_MAX];
        octets[..16].copy_from_slice(&value.to_be_bytes());
        IdKey { len: 0, octets }
    }

    /// The key of `raw` after `normalization`; `raw` must be 1 to [`ID_SIZE_MAX`] octets.
    fn text(raw: &str, normalization: IdNormalization) -> IdKey {
        let normalized = normalize_id(raw, normalization);
        let text = normalized.as_bytes();
        // Normalising only drops zeros and changes ASCII case, so it never grows the id, and
        // keeps at least one octet of a non-empty id.
        assert!(!text.is_empty());
        assert!(text.len() <= ID_SIZE_MAX);
        let mut octets = [0; ID_SIZE_MAX];
        octets[..text.len()].copy_from_slice(text);
        IdKey {
            len: u8::try_from(text.len()).unwrap_or(u8::MAX),
            octets,
        }
    }

    /// Which of `shards_count` shards owns this key on `connector`; the same on every core and
    /// in every process.
    pub fn shard_index(&self, connector: ConnectorId, shards_count: usize) -> usize {
        assert!(shards_count >= 1);
        let mut hash = FNV_OFFSET_BASIS;
        let bytes = connector
            .0
            .to_be_bytes()
            .into_iter()
            .chain([self.len])
            .chain(self.payload().iter().copied());
        for octet in bytes {
            hash ^= u64::from(octet);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
        // The remainder is below shards_count, a usize.
        usize::try_from(hash % shards_count as u64).unwrap_or(0)
    }

    /// The octets that carry the key: the 16-octet value or the text.
    fn payload(&self) -> &[u8] {
        match self.len {
            0 => &self.octets[..16],
            len => &self.octets[..usize::from(len)],
        }
    }
}

impl fmt::Debug for IdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.len {
            0 => {
                let mut value = [0; 16];
                value.copy_from_slice(&self.octets[..16]);
                write!(f, "IdKey::Number({})", u128::from_be_bytes(value))
            }
            _ => write!(
                f,
                "IdKey::Text({:?})",
                String::from_utf8_lossy(self.payload())
            ),
        }
    }
}

/// Longest id accepted, in octets: SMPP message_id is a C-Octet String of at most 65 octets
/// with its NUL (SMPP 3.4 §5.2.23).
///
/// Cost: every key is this size plus one octet, in each table entry and index slot. At the
/// bound: [`IdError::TooLong`]; a response with such an id is not recorded and a receipt with
/// one is counted unmatched. Why: the spec's maximum, so no legal id is refused.
pub const ID_SIZE_MAX: usize = 64;

/// The text normalisation used by default and when a numeric connector sends a non-number.
const TEXT_FALLBACK: IdNormalization = IdNormalization {
    case: IdCase::Lower,
    strip_leading_zeros: true,
};

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: IdMatching = IdMatching::Text(IdNormalization {
        case: IdCase::Keep,
        strip_leading_zeros: false,
    });

    const HEX_RESPONSE_DECIMAL_TEXT: IdMatching = IdMatching::Numeric {
        response: IdRadix::Hex,
        receipt_tlv: IdRadix::Hex,
        receipt_text: IdRadix::Decimal,
    };

    #[test]
    fn text_keys_follow_the_connector_normalisation() {
        // Proves the default ignores case and leading zeros while an exact connector does not.
        let default = IdMatching::default();
        let key = |matching: IdMatching, raw: &str| matching.key(raw, IdSource::Response);
        assert_eq!(key(default, "00AbC1"), key(default, "abc1"));
        assert_eq!(key(default, "0"), key(default, "0000"));
        assert_ne!(key(EXACT, "00AbC1"), key(EXACT, "abc1"));
        assert_ne!(key(EXACT, "ABC"), key(EXACT, "abc"));
        assert_eq!(key(EXACT, "ABC"), key(EXACT, "ABC"));
    }

    #[test]
    fn numeric_keys_equate_hex_and_decimal_spellings() {
        // Proves a hex response id and a decimal receipt-text id of the same value share a key,
        // leading zeros and hex case do not matter, and a non-number falls back to text.
        let matching = HEX_RESPONSE_DECIMAL_TEXT;
        let response = matching.key("00FF", IdSource::Response).unwrap();
        assert_eq!(response, IdKey::number(255));
        assert_eq!(matching.key("ff", IdSource::ReceiptTlv).unwrap(), response);
        assert_eq!(
            matching.key("255", IdSource::ReceiptText).unwrap(),
            response
        );
        assert_eq!(
            matching.key("0000255", IdSource::ReceiptText).unwrap(),
            response
        );
        assert_ne!(matching.key("ff", IdSource::ReceiptText).unwrap(), response);
        let odd = matching.key("X-17", IdSource::Response).unwrap();
        assert_eq!(matching.key("x-17", IdSource::ReceiptText).unwrap(), odd);
        assert_eq!(format!("{response:?}"), "IdKey::Number(255)");
        assert_eq!(format!("{odd:?}"), "IdKey::Text(\"x-17\")");
    }

    #[test]
    fn empty_and_over_long_ids_are_refused() {
        // Proves the two unkeyable ids: empty, and over the 64-octet SMPP maximum.
        let matching = IdMatching::default();
        assert_eq!(matching.key("", IdSource::Response), Err(IdError::Empty));
        let long = "1".repeat(ID_SIZE_MAX + 1);
        assert_eq!(
            matching.key(&long, IdSource::Response),
            Err(IdError::TooLong { size: 65, max: 64 })
        );
        assert!(matching.key(&long[1..], IdSource::Response).is_ok());
    }

    #[test]
    fn shard_index_is_stable_and_spreads() {
        // Proves the shard of a key is a fixed function (a pinned value), equal for equal keys
        // whatever their spelling, and spreads 1,000 ids over 4 shards.
        let matching = HEX_RESPONSE_DECIMAL_TEXT;
        let hex = matching.key("ff", IdSource::Response).unwrap();
        let decimal = matching.key("255", IdSource::ReceiptText).unwrap();
        assert_eq!(
            hex.shard_index(ConnectorId(3), 7),
            decimal.shard_index(ConnectorId(3), 7)
        );
        // FNV-1a 64 of [connector 0x0000, kind 0, 15 zero octets, 0x01], computed independently.
        assert_eq!(
            IdKey::number(1).shard_index(ConnectorId(0), 1_000_003),
            655_573
        );
        let mut counts = [0; 4];
        for value in 0..1_000 {
            counts[IdKey::number(value).shard_index(ConnectorId(1), 4)] += 1;
        }
        assert!(counts.iter().all(|&count| count > 200), "{counts:?}");
    }
}
