//! What a receipt says, read from an SMSC's deliver_sm (receipted_message_id and message_state
//! TLVs, SMPP 3.4 §5.3.2.12 and §5.3.2.35, and the Appendix B text), and the receipt text we
//! write for the SP with our message id.
//!
//! The TLVs win over the text when both are present and readable: they are structured, while
//! the text is vendor specific. The text still supplies the dates and `err`, which have no
//! standard TLV in SMPP 3.4.

use std::fmt;

use smsgw_shared::text::{Receipt, ReceiptDate, ReceiptError, Stat};
use thiserror::Error;

use super::id::IdSource;
use super::logical::LogicalReceipt;

/// The parts of a receipt the gateway keeps and forwards; small and `Copy` so it can wait in
/// the early-receipt table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptFacts {
    /// The state; an unknown or missing stat is [`Stat::UNKNOWN`].
    pub stat: Stat,
    /// The `err` value as given.
    pub err: Option<ErrCode>,
    /// `submit date`.
    pub submit_date: Option<ReceiptDate>,
    /// `done date`.
    pub done_date: Option<ReceiptDate>,
}

impl ReceiptFacts {
    /// Facts with only a stat.
    pub fn new(stat: Stat) -> ReceiptFacts {
        ReceiptFacts {
            stat,
            err: None,
            submit_date: None,
            done_date: None,
        }
    }

    /// Whether the stat is final: the message will not change state again, so its mapping can
    /// go. ENROUTE and ACCEPTD are intermediate: SMSCs send ACCEPTD for "accepted, not yet
    /// delivered" far more often than in the SMPP 3.4 sense of "read by customer service", and
    /// a final receipt follows.
    pub fn is_final(&self) -> bool {
        is_final(self.stat)
    }
}

/// Whether `stat` is final (see [`ReceiptFacts::is_final`]).
pub fn is_final(stat: Stat) -> bool {
    match stat {
        Stat::ENROUTE | Stat::ACCEPTD => false,
        Stat::DELIVRD
        | Stat::EXPIRED
        | Stat::DELETED
        | Stat::UNDELIV
        | Stat::UNKNOWN
        | Stat::REJECTD => true,
    }
}

/// A receipt `err` value as given (printable ASCII, at most [`ERR_SIZE_MAX`] octets), kept
/// inline so [`ReceiptFacts`] stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrCode {
    len: u8,
    octets: [u8; ERR_SIZE_MAX],
}

impl ErrCode {
    /// `None` for an empty value, one over [`ERR_SIZE_MAX`] or one that is not printable ASCII.
    pub fn new(text: &str) -> Option<ErrCode> {
        let printable = text.bytes().all(|octet| octet.is_ascii_graphic());
        if text.is_empty() || text.len() > ERR_SIZE_MAX || !printable {
            return None;
        }
        let mut octets = [0; ERR_SIZE_MAX];
        octets[..text.len()].copy_from_slice(text.as_bytes());
        Some(ErrCode {
            len: u8::try_from(text.len()).unwrap_or(0),
            octets,
        })
    }

    /// The value as given.
    pub fn as_str(&self) -> &str {
        // Checked printable ASCII in `new`, so always UTF-8.
        std::str::from_utf8(&self.octets[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrCode({:?})", self.as_str())
    }
}

/// A receipt read from a deliver_sm: the id to match and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptInput<'a> {
    /// The upstream id as given.
    pub id: &'a str,
    /// Where the id came from.
    pub id_source: IdSource,
    /// What the receipt says.
    pub facts: ReceiptFacts,
}

/// Why a deliver_sm flagged as a receipt cannot be matched at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReadError {
    /// Neither a usable receipted_message_id TLV nor a readable `id:` in the text.
    #[error("receipt has no usable id (text: {text})")]
    MissingId {
        /// Why the text did not give one.
        text: ReceiptError,
    },
}

/// Reads a receipt from a deliver_sm's `receipted_message_id` and `message_state` TLVs (as the
/// `Tlvs` accessors return them) and its short_message (or message_payload).
pub fn read_receipt<'a>(
    receipted_message_id: Option<&'a [u8]>,
    message_state: Option<u8>,
    short_message: &'a [u8],
) -> Result<ReceiptInput<'a>, ReadError> {
    let text = Receipt::parse_bytes(short_message);
    let tlv_id = receipted_message_id
        .and_then(|octets| std::str::from_utf8(octets).ok())
        .map(|id| id.trim_end_matches('\0'))
        .filter(|id| !id.is_empty());
    let (id, id_source) = match (tlv_id, &text) {
        (Some(id), _) => (id, IdSource::ReceiptTlv),
        (None, Ok(receipt)) => (receipt.id, IdSource::ReceiptText),
        (None, Err(error)) => return Err(ReadError::MissingId { text: *error }),
    };
    let receipt = text.ok();
    let stat = message_state
        .and_then(Stat::from_message_state)
        .or_else(|| receipt.and_then(|receipt| receipt.stat))
        .unwrap_or(Stat::UNKNOWN);
    let facts = ReceiptFacts {
        stat,
        err: receipt
            .and_then(|receipt| receipt.err)
            .and_then(ErrCode::new),
        submit_date: receipt.and_then(|receipt| receipt.submit_date),
        done_date: receipt.and_then(|receipt| receipt.done_date),
    };
    Ok(ReceiptInput {
        id,
        id_source,
        facts,
    })
}

/// The SP-facing receipt text (SMPP 3.4 Appendix B) for a logical receipt, with our message id
/// as the SP knows it (already rendered in the account's format) and the first characters of
/// the SP's text when the caller has them.
///
/// `sub` is the number of parts, `dlvrd` the parts delivered; a missing `err` is written as
/// `000` because many SP parsers require the field. Absent dates are left out.
pub fn receipt_text(
    our_message_id: &str,
    receipt: &LogicalReceipt,
    text_excerpt: Option<&str>,
) -> String {
    let facts = &receipt.facts;
    Receipt {
        id: our_message_id,
        sub: Some(u16::from(receipt.parts_total)),
        dlvrd: Some(u16::from(receipt.delivered_count)),
        submit_date: facts.submit_date,
        done_date: facts.done_date,
        stat: Some(facts.stat),
        stat_text: None,
        err: Some(facts.err.as_ref().map_or(ERR_NONE, ErrCode::as_str)),
        text: text_excerpt.map(Receipt::text_excerpt),
    }
    .to_string()
}

/// Longest `err` value kept, in octets.
///
/// Cost: this many octets in every [`ReceiptFacts`]. At the bound: a longer value is dropped
/// (the SP sees `err:000`). Why: Appendix B gives 3 digits; vendors write up to about 6
/// (`0x0045`); 8 keeps those with room.
pub const ERR_SIZE_MAX: usize = 8;

/// `err` written when the SMSC gave none.
const ERR_NONE: &str = "000";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::AccountId;

    #[test]
    fn tlvs_win_over_the_text() {
        // Proves the receipted_message_id TLV (NUL trimmed) and message_state TLV are used when
        // present, while dates and err still come from the text.
        let text = b"id:123 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 \
                     stat:UNDELIV err:042 text:hi";
        let input = read_receipt(Some(b"7B\0"), Some(2), text).unwrap();
        assert_eq!(input.id, "7B");
        assert_eq!(input.id_source, IdSource::ReceiptTlv);
        assert_eq!(input.facts.stat, Stat::DELIVRD);
        assert_eq!(input.facts.err.unwrap().as_str(), "042");
        assert_eq!(input.facts.done_date.unwrap().minute, 31);
    }

    #[test]
    fn text_alone_is_enough_and_bad_values_degrade() {
        // Proves a text-only receipt gives its id and stat, an unknown stat and an invalid
        // message_state become UNKNOWN, and no id anywhere is an error.
        let input = read_receipt(None, None, b"id:00AB stat:DELIVRD").unwrap();
        assert_eq!((input.id, input.id_source), ("00AB", IdSource::ReceiptText));
        assert_eq!(input.facts.stat, Stat::DELIVRD);
        let odd = read_receipt(Some(b""), Some(9), b"id:5 stat:WEIRD err:0123456789").unwrap();
        assert_eq!(odd.id, "5");
        assert_eq!(odd.facts.stat, Stat::UNKNOWN);
        assert_eq!(odd.facts.err, None);
        assert_eq!(
            read_receipt(Some(b"\xFF"), None, b"stat:DELIVRD"),
            Err(ReadError::MissingId {
                text: ReceiptError::MissingId
            })
        );
        let tlv_only = read_receipt(Some(b"abc"), Some(5), b"\xFF\xFE").unwrap();
        assert_eq!((tlv_only.id, tlv_only.facts.stat), ("abc", Stat::UNDELIV));
    }

    #[test]
    fn sp_receipt_text_carries_our_id_and_part_counts() {
        // Proves the rewritten receipt: our id, sub = parts, dlvrd = delivered parts, the
        // SMSC's dates and err, a 20-character text excerpt, and err:000 when none was given.
        let submit_date = ReceiptDate::parse("2403151230");
        let done_date = ReceiptDate::parse("2403151231");
        let receipt = LogicalReceipt {
            account: AccountId(1),
            message_id: 77,
            parts_total: 3,
            delivered_count: 2,
            reported_count: 3,
            complete: true,
            facts: ReceiptFacts {
                stat: Stat::UNDELIV,
                err: ErrCode::new("011"),
                submit_date,
                done_date,
            },
        };
        assert_eq!(
            receipt_text("4d2", &receipt, Some("Hello there, this is long")),
            "id:4d2 sub:003 dlvrd:002 submit date:2403151230 done date:2403151231 \
             stat:UNDELIV err:011 text:Hello there, this is"
        );
        let bare = LogicalReceipt {
            parts_total: 1,
            delivered_count: 1,
            facts: ReceiptFacts::new(Stat::DELIVRD),
            ..receipt
        };
        assert_eq!(
            receipt_text("1234", &bare, None),
            "id:1234 sub:001 dlvrd:001 stat:DELIVRD err:000"
        );
        let written = receipt_text("1234", &bare, Some(""));
        let parsed = Receipt::parse(&written).unwrap();
        assert_eq!(parsed.id, "1234");
        assert_eq!(parsed.stat, Some(Stat::DELIVRD));
    }

    #[test]
    fn err_codes_keep_short_printable_values() {
        // Proves ErrCode keeps values as given and refuses empty, long or non-printable ones.
        assert_eq!(ErrCode::new("0x45").unwrap().as_str(), "0x45");
        assert_eq!(
            format!("{:?}", ErrCode::new("1").unwrap()),
            "ErrCode(\"1\")"
        );
        assert_eq!(ErrCode::new(""), None);
        assert_eq!(ErrCode::new("123456789"), None);
        assert_eq!(ErrCode::new("1 2"), None);
        assert!(ErrCode::new("12345678").is_some());
    }

    #[test]
    fn only_enroute_and_acceptd_are_intermediate() {
        // Proves the finality split the correlator relies on to keep or drop a mapping.
        let intermediate: Vec<Stat> = Stat::ALL.into_iter().filter(|s| !is_final(*s)).collect();
        assert_eq!(intermediate, [Stat::ENROUTE, Stat::ACCEPTD]);
    }
}
