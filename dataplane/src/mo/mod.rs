//! Deliveries from SMSCs to SPs (DESIGN.md §3 "Receipts and MO"): telling receipts from MO
//! (SMPP 3.4 §5.2.12 esm_class), routing MO by destination short code to the SP that owns it,
//! and holding receipts and MO in a bounded queue with retries while the SP has no receiving
//! session.
//!
//! - [`DeliverKind::of`]: is a deliver_sm a receipt (to the receipt correlator) or MO?
//! - [`ShortCodeTable`]: destination address to account.
//! - [`PendingQueue`]: per-account waiting deliveries, retry schedule, validity, overflow.
//!
//! Concatenated MO is reassembled, when the account asks for it, with the bounded
//! [`smsgw_shared::text::Reassembler`] keyed by account and addresses before it is queued;
//! otherwise its parts are queued as they come. Sans-IO: time is `now_ms`.

mod pending;
mod short_code;

pub use pending::{
    Attempt, DELIVERY_ATTEMPTS_DEFAULT, DELIVERY_ATTEMPTS_MAX, DeliveryId, DropReason, Dropped,
    PENDING_TOTAL_MAX, PendingCounters, PendingLimits, PendingQueue, QueueFull, Refused,
};
pub use short_code::{SHORT_CODE_DIGITS_MAX, ShortCode, ShortCodeError, ShortCodeTable};

/// What an SMSC's deliver_sm carries, from its esm_class message type (bits 5-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverKind {
    /// An SMSC delivery receipt (type 0001) or intermediate delivery notification (1000).
    Receipt,
    /// A mobile-originated message, or an SME acknowledgement (types 0010, 0100), which is
    /// addressed like MO and goes to the SP the same way.
    Mo,
}

impl DeliverKind {
    /// Classifies by esm_class (SMPP 3.4 §5.2.12). Receipts flagged as type 0 are not guessed
    /// from their text: an SMSC that does that is misconfigured, and guessing would turn a
    /// subscriber's "id:..." message into a receipt.
    pub fn of(esm_class: u8) -> DeliverKind {
        match esm_class & ESM_CLASS_TYPE_MASK {
            ESM_CLASS_TYPE_RECEIPT | ESM_CLASS_TYPE_INTERMEDIATE => DeliverKind::Receipt,
            _ => DeliverKind::Mo,
        }
    }
}

/// esm_class bits 5-2: the message type.
const ESM_CLASS_TYPE_MASK: u8 = 0b0011_1100;
/// Message type 0001: SMSC delivery receipt.
const ESM_CLASS_TYPE_RECEIPT: u8 = 0b0000_0100;
/// Message type 1000: intermediate delivery notification.
const ESM_CLASS_TYPE_INTERMEDIATE: u8 = 0b0010_0000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esm_class_tells_receipts_from_mo() {
        // Proves the message type bits decide, whatever the messaging mode and GSM bits (UDHI
        // 0x40, reply path 0x80) around them.
        assert_eq!(DeliverKind::of(0x04), DeliverKind::Receipt);
        assert_eq!(DeliverKind::of(0x20), DeliverKind::Receipt);
        assert_eq!(DeliverKind::of(0x04 | 0x40 | 0x03), DeliverKind::Receipt);
        assert_eq!(DeliverKind::of(0x00), DeliverKind::Mo);
        assert_eq!(DeliverKind::of(0x40), DeliverKind::Mo);
        assert_eq!(DeliverKind::of(0x08), DeliverKind::Mo);
        assert_eq!(DeliverKind::of(0x10), DeliverKind::Mo);
    }
}
