//! Receipt correlation (DESIGN.md §3 "Receipts and MO"; SMPP 3.4 §4.6.1 deliver_sm, §5.3.2.12
//! receipted_message_id, Appendix B receipt text).
//!
//! A receipt from an SMSC names the SMSC's message id; the SP knows ours. This module turns
//! one into the other, sans-IO (time is `now_ms`):
//!
//! 1. [`read_receipt`] takes the id and the facts (stat, err, dates) out of a deliver_sm.
//! 2. [`Correlator`] maps upstream ids to our parts ([`OurRef`]), per connector and after the
//!    connector's [`IdMatching`] (case, leading zeros, hex or decimal), buffering receipts that
//!    beat their submit_sm_resp and expiring what is never answered.
//! 3. [`LogicalStatus`] folds a long message's part receipts into one [`LogicalReceipt`] by the
//!    account's [`MultipartPolicy`] (First, Last, Worst).
//! 4. [`receipt_text`] writes the SP's receipt with our id.
//!
//! Every table is bounded and allocated up front; `docs/receipts.md` describes the bounds, the
//! counters and the choices. Nothing here panics on SMSC input: bad ids and surprises are
//! counted and reported as values.

mod correlator;
mod facts;
mod id;
mod logical;
mod table;

#[cfg(test)]
mod tests;

pub use correlator::{
    COPIES_PER_PART_MAX, Correlator, CorrelatorCounters, CorrelatorLimits, EARLY_RECEIPTS_DEFAULT,
    EARLY_RECEIPTS_MAX, EARLY_TTL_MS_DEFAULT, EARLY_TTL_MS_MAX, Expired, Match, Matched, OurRef,
    SUBMIT_TTL_MS_DEFAULT, SUBMIT_TTL_MS_MAX, SUBMITS_DEFAULT, SUBMITS_MAX, UnmatchedReason,
};
pub use facts::{
    ERR_SIZE_MAX, ErrCode, ReadError, ReceiptFacts, ReceiptInput, is_final, read_receipt,
    receipt_text,
};
pub use id::{ConnectorId, ID_SIZE_MAX, IdError, IdKey, IdMatching, IdSource};
pub use logical::{
    LOGICAL_MESSAGES_DEFAULT, LOGICAL_MESSAGES_MAX, LOGICAL_TIMEOUT_MS_DEFAULT,
    LOGICAL_TIMEOUT_MS_MAX, LogicalCounters, LogicalLimits, LogicalReceipt, LogicalStatus,
    MultipartPolicy, PartOutcome, severity,
};
