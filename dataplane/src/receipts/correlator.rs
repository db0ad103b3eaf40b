//! Matching an SMSC's receipts to our messages (DESIGN.md §3 "Receipts and MO").
//!
//! Call contract, per shard (one `Correlator` per core, ids spread by
//! [`IdKey::shard_index`](super::IdKey::shard_index)):
//!
//! - [`Correlator::record_submit`] when a submit_sm_resp (CMPP: SUBMIT_RESP) with status OK
//!   lands: the upstream id now stands for our part. If a receipt for that id came first and
//!   was buffered, it is returned at once as a [`Matched`].
//! - [`Correlator::match_receipt`] for every receipt: [`Match::Matched`] gives our part;
//!   [`Match::Buffered`] means no mapping yet, so the receipt waits in the early-receipt table
//!   for its response; [`Match::Unmatched`] says why it never will (answer the SMSC with
//!   [`UnmatchedReason::deliver_sm_status`]).
//! - [`Correlator::poll_expired`] every loop turn until `None`: mappings past their TTL and
//!   early receipts whose response never came. [`Correlator::poll_timeout`] says when next.
//!
//! Choices:
//! - **A final receipt ends the mapping; an intermediate one keeps it** (ENROUTE, ACCEPTD), so
//!   the final receipt that follows still matches. A second final receipt for the same id is
//!   buffered and, with no response to wait for, expires as unmatched.
//! - **Early receipts are buffered always,** not only when a response is known to be pending:
//!   the correlator is sharded by upstream id, so the shard cannot know what other cores have
//!   in flight. A buffered receipt waits `early_ttl_ms`, longer than any response timeout.
//!   Buffering keeps the latest receipt per id, but a final one is never replaced.
//! - **Retries keep every copy.** A throttled submit_sm has no upstream id, so the part's
//!   [`OurRef`] simply travels with the retry and is recorded once it is accepted. When a part
//!   is accepted twice (a response that came after its timeout and the retry's response), both
//!   upstream ids map to it: each copy is a real message at the SMSC and either may report.
//!   The first final receipt wins and retires every copy of the part, so the SP hears once. At
//!   most [`COPIES_PER_PART_MAX`] copies are kept; a newer one supersedes the oldest.
//! - **A full mapping table evicts its oldest entry** (counted `evicted`): the newest mappings
//!   are the ones receipts are about to come for, and the oldest is closest to its TTL. A full
//!   early table refuses the receipt with a transient status so the SMSC sends it again, by
//!   when its response has usually landed.
//! - **An upstream id recorded again for another part replaces the old mapping** (counted
//!   `replaced`): the SMSC has reused the id, and only the newest message can still report.
//!
//! Bounds: `submits_max` mappings and `early_receipts_max` buffered receipts per shard, each
//! with a fixed TTL, all allocated up front. Receipts that come days later, after a restart or
//! past the in-memory bound, are for the journal issue's RocksDB-backed store: an expired
//! [`Expired::EarlyReceipt`] is where the caller looks there before counting it lost.

use rustc_hash::FxHashMap;

use smsgw_shared::smpp::CommandStatus;
use thiserror::Error;

use super::facts::ReceiptFacts;
use super::id::{ConnectorId, IdError, IdKey, IdMatching, IdSource};
use super::table::{Slot, TtlTable};
use crate::admission::AccountId;

/// Our side of a submitted part: what a receipt is rewritten to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OurRef {
    /// Our message id (the one the SP got in submit_sm_resp), before rendering.
    pub message_id: u64,
    /// The SP that sent it.
    pub account: AccountId,
    /// This part's index, 0-based.
    pub part_index: u8,
    /// Parts of the message, at least 1.
    pub parts_total: u8,
}

/// A receipt matched to our part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    /// The connector the receipt came from.
    pub connector: ConnectorId,
    /// Our part.
    pub our: OurRef,
    /// What the receipt says.
    pub facts: ReceiptFacts,
    /// Whether the receipt had waited for its response.
    pub early: bool,
}

/// The outcome of [`Correlator::match_receipt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Matched now.
    Matched(Matched),
    /// No mapping yet: buffered until its response lands or `early_ttl_ms` passes.
    Buffered,
    /// Will not match; counted.
    Unmatched(UnmatchedReason),
}

/// Why a receipt was not matched or buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum UnmatchedReason {
    /// The id cannot be keyed.
    #[error("receipt id: {0}")]
    Id(IdError),
    /// A final receipt for this id is already buffered.
    #[error("a final receipt for this id is already buffered")]
    Duplicate,
    /// The early-receipt table is full.
    #[error("early-receipt table is full")]
    EarlyTableFull,
}

impl UnmatchedReason {
    /// The deliver_sm_resp status for the SMSC: OK when sending the receipt again cannot help,
    /// `ESME_RX_T_APPN` (0x64, a temporary error the SMSC retries) when the table is full.
    pub fn deliver_sm_status(&self) -> CommandStatus {
        match self {
            UnmatchedReason::Id(_) | UnmatchedReason::Duplicate => CommandStatus::ESME_ROK,
            UnmatchedReason::EarlyTableFull => CommandStatus::ESME_RX_T_APPN,
        }
    }
}

/// Something that reached its TTL, from [`Correlator::poll_expired`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// A mapping no final receipt came for within `submit_ttl_ms`.
    Submit {
        /// Its connector.
        connector: ConnectorId,
        /// Our part.
        our: OurRef,
    },
    /// A receipt whose response never came within `early_ttl_ms`; counted unmatched.
    EarlyReceipt {
        /// Its connector.
        connector: ConnectorId,
        /// Its canonical id.
        key: IdKey,
        /// What it says.
        facts: ReceiptFacts,
    },
}

/// Run-time sizes and lifetimes of one shard's tables, each within its ceiling below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelatorLimits {
    /// Mappings held; 1 to [`SUBMITS_MAX`].
    pub submits_max: usize,
    /// Buffered early receipts; 1 to [`EARLY_RECEIPTS_MAX`].
    pub early_receipts_max: usize,
    /// How long a mapping waits for its final receipt; up to [`SUBMIT_TTL_MS_MAX`].
    pub submit_ttl_ms: u64,
    /// How long an early receipt waits for its response; up to [`EARLY_TTL_MS_MAX`].
    pub early_ttl_ms: u64,
}

impl Default for CorrelatorLimits {
    fn default() -> CorrelatorLimits {
        CorrelatorLimits {
            submits_max: SUBMITS_DEFAULT,
            early_receipts_max: EARLY_RECEIPTS_DEFAULT,
            submit_ttl_ms: SUBMIT_TTL_MS_DEFAULT,
            early_ttl_ms: EARLY_TTL_MS_DEFAULT,
        }
    }
}

impl CorrelatorLimits {
    /// Tiny tables so tests reach every bound.
    pub fn test_min() -> CorrelatorLimits {
        CorrelatorLimits {
            submits_max: 4,
            early_receipts_max: 2,
            submit_ttl_ms: 10_000,
            early_ttl_ms: 1_000,
        }
    }
}

/// What the correlator has done, for metrics and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrelatorCounters {
    /// Receipts matched, at once or after buffering.
    pub matched: u64,
    /// Receipts buffered for want of a mapping.
    pub early_buffered: u64,
    /// Buffered receipts matched when their response landed (part of `matched`).
    pub early_matched: u64,
    /// Buffered intermediate receipts replaced by a newer one for the same id.
    pub early_replaced: u64,
    /// Receipts that will never match: unkeyable, duplicate, table full, or buffered past
    /// `early_ttl_ms`.
    pub unmatched: u64,
    /// Mappings that reached `submit_ttl_ms` without a final receipt.
    pub expired: u64,
    /// Mappings evicted from a full table.
    pub evicted: u64,
    /// Mappings replaced because the SMSC reused their upstream id.
    pub replaced: u64,
    /// Copies dropped because their part had [`COPIES_PER_PART_MAX`].
    pub superseded: u64,
    /// Other copies retired when one copy's final receipt matched.
    pub copies_retired: u64,
    /// Responses whose id could not be keyed (not recorded).
    pub response_id_invalid: u64,
}

/// See the module doc.
#[derive(Debug)]
pub struct Correlator {
    id_matching: Vec<IdMatching>,
    submits: TtlTable<SubmitKey, OurRef>,
    early: TtlTable<SubmitKey, ReceiptFacts>,
    copies: FxHashMap<PartKey, Copies>,
    counters: CorrelatorCounters,
}

impl Correlator {
    /// An empty correlator; `id_matching[c]` is connector `c`'s matching, and connectors past
    /// the end use [`IdMatching::default`].
    pub fn new(limits: CorrelatorLimits, id_matching: Vec<IdMatching>) -> Correlator {
        assert!((1..=SUBMITS_MAX).contains(&limits.submits_max));
        assert!((1..=EARLY_RECEIPTS_MAX).contains(&limits.early_receipts_max));
        assert!(limits.submit_ttl_ms <= SUBMIT_TTL_MS_MAX);
        assert!(limits.early_ttl_ms <= EARLY_TTL_MS_MAX);
        Correlator {
            id_matching,
            submits: TtlTable::new(limits.submits_max, limits.submit_ttl_ms),
            early: TtlTable::new(limits.early_receipts_max, limits.early_ttl_ms),
            copies: FxHashMap::with_capacity_and_hasher(limits.submits_max, Default::default()),
            counters: CorrelatorCounters::default(),
        }
    }

    /// Sets a connector's id matching (a config push). Mappings recorded under the old
    /// matching keep their keys and may stop matching; change it on an idle connector.
    pub fn set_id_matching(&mut self, connector: ConnectorId, matching: IdMatching) {
        let index = usize::from(connector.0);
        if index >= self.id_matching.len() {
            self.id_matching.resize(index + 1, IdMatching::default());
        }
        self.id_matching[index] = matching;
    }

    /// The canonical key of an id from `connector` (for sharding before the call).
    pub fn key(
        &self,
        connector: ConnectorId,
        raw: &str,
        source: IdSource,
    ) -> Result<IdKey, IdError> {
        self.id_matching
            .get(usize::from(connector.0))
            .copied()
            .unwrap_or_default()
            .key(raw, source)
    }

    /// Records that `connector` accepted our part under `upstream_id_raw`; returns the early
    /// receipt that was waiting for it, if any.
    pub fn record_submit(
        &mut self,
        connector: ConnectorId,
        upstream_id_raw: &str,
        our: OurRef,
        now_ms: u64,
    ) -> Result<Option<Matched>, IdError> {
        let key = self
            .key(connector, upstream_id_raw, IdSource::Response)
            .inspect_err(|_| self.counters.response_id_invalid += 1)?;
        Ok(self.record_submit_key(connector, key, our, now_ms))
    }

    /// [`Correlator::record_submit`] with the key already made (e.g. a CMPP Msg_Id as
    /// [`IdKey::number`]).
    pub fn record_submit_key(
        &mut self,
        connector: ConnectorId,
        key: IdKey,
        our: OurRef,
        now_ms: u64,
    ) -> Option<Matched> {
        assert!(our.parts_total >= 1);
        assert!(our.part_index < our.parts_total, "our={our:?}");
        let submit_key = SubmitKey { connector, key };
        let early = self.early.remove(&submit_key).map(|facts| {
            self.counters.matched += 1;
            self.counters.early_matched += 1;
            Matched {
                connector,
                our,
                facts,
                early: true,
            }
        });
        if let Some(matched) = &early
            && matched.facts.is_final()
        {
            // The part is done: no mapping, and any earlier copy is retired.
            self.retire_copies(PartKey::of(&our), false);
            return early;
        }
        self.insert_mapping(submit_key, our, now_ms);
        early
    }

    /// Matches a receipt whose id is `receipt_id_raw`, read from `source`.
    pub fn match_receipt(
        &mut self,
        connector: ConnectorId,
        receipt_id_raw: &str,
        source: IdSource,
        facts: ReceiptFacts,
        now_ms: u64,
    ) -> Match {
        match self.key(connector, receipt_id_raw, source) {
            Ok(key) => self.match_receipt_key(connector, key, facts, now_ms),
            Err(error) => {
                self.counters.unmatched += 1;
                Match::Unmatched(UnmatchedReason::Id(error))
            }
        }
    }

    /// [`Correlator::match_receipt`] with the key already made.
    pub fn match_receipt_key(
        &mut self,
        connector: ConnectorId,
        key: IdKey,
        facts: ReceiptFacts,
        now_ms: u64,
    ) -> Match {
        let submit_key = SubmitKey { connector, key };
        if let Some(&our) = self.submits.get(&submit_key) {
            self.counters.matched += 1;
            if facts.is_final() {
                self.retire_copies(PartKey::of(&our), true);
                assert!(self.submits.get(&submit_key).is_none());
            }
            return Match::Matched(Matched {
                connector,
                our,
                facts,
                early: false,
            });
        }
        self.buffer_early(submit_key, facts, now_ms)
    }

    /// Our part recorded for `key` on `connector`, without matching anything (so the caller
    /// can check there is room to deliver before it consumes the mapping).
    pub fn peek(&self, connector: ConnectorId, key: &IdKey) -> Option<OurRef> {
        self.submits
            .get(&SubmitKey {
                connector,
                key: *key,
            })
            .copied()
    }

    /// The next mapping or early receipt at or past its TTL, removed; call until `None`.
    pub fn poll_expired(&mut self, now_ms: u64) -> Option<Expired> {
        if let Some((_, submit_key, facts)) = self.early.pop_expired(now_ms) {
            self.counters.unmatched += 1;
            return Some(Expired::EarlyReceipt {
                connector: submit_key.connector,
                key: submit_key.key,
                facts,
            });
        }
        let (slot, submit_key, our) = self.submits.pop_expired(now_ms)?;
        self.counters.expired += 1;
        self.forget_copy(PartKey::of(&our), slot);
        Some(Expired::Submit {
            connector: submit_key.connector,
            our,
        })
    }

    /// When [`Correlator::poll_expired`] next has something.
    pub fn poll_timeout(&self) -> Option<u64> {
        match (
            self.early.next_deadline_ms(),
            self.submits.next_deadline_ms(),
        ) {
            (Some(early), Some(submit)) => Some(early.min(submit)),
            (early, submit) => early.or(submit),
        }
    }

    /// The counters so far.
    pub fn counters(&self) -> &CorrelatorCounters {
        &self.counters
    }

    /// Mappings held.
    pub fn submits_len(&self) -> usize {
        self.submits.len()
    }

    /// Early receipts buffered.
    pub fn early_len(&self) -> usize {
        self.early.len()
    }

    fn insert_mapping(&mut self, submit_key: SubmitKey, our: OurRef, now_ms: u64) {
        if let Some(slot) = self.submits.slot_of(&submit_key) {
            let held = *self.submits.value(slot);
            if held != our {
                self.counters.replaced += 1;
            }
            // Either way: the entry is made again, so a repeated response refreshes its TTL.
            self.submits.remove_slot(slot);
            self.forget_copy(PartKey::of(&held), slot);
        }
        if self.submits.is_full() {
            let Some(oldest) = self.submits.oldest() else {
                unreachable!("a full table has an oldest entry");
            };
            let (_, evicted) = self.submits.remove_slot(oldest);
            self.forget_copy(PartKey::of(&evicted), oldest);
            self.counters.evicted += 1;
        }
        let part = PartKey::of(&our);
        let oldest_copy = self.copies.get(&part).filter(|copies| copies.is_full());
        if let Some(oldest) = oldest_copy.map(|copies| copies.slots[0]) {
            self.submits.remove_slot(oldest);
            self.forget_copy(part, oldest);
            self.counters.superseded += 1;
        }
        let slot = self.submits.insert(submit_key, our, now_ms);
        self.copies.entry(part).or_default().push(slot);
    }

    fn buffer_early(&mut self, submit_key: SubmitKey, facts: ReceiptFacts, now_ms: u64) -> Match {
        if let Some(held) = self.early.get_mut(&submit_key) {
            if held.is_final() {
                self.counters.unmatched += 1;
                return Match::Unmatched(UnmatchedReason::Duplicate);
            }
            // The held one is intermediate: the newer receipt says more.
            *held = facts;
            self.counters.early_replaced += 1;
            self.counters.early_buffered += 1;
            return Match::Buffered;
        }
        if self.early.is_full() {
            self.counters.unmatched += 1;
            return Match::Unmatched(UnmatchedReason::EarlyTableFull);
        }
        self.early.insert(submit_key, facts, now_ms);
        self.counters.early_buffered += 1;
        Match::Buffered
    }

    /// Removes every mapping of `part`; `matched_held` says whether the receipt that ends the
    /// part matched one of them (which is then not counted as retired).
    fn retire_copies(&mut self, part: PartKey, matched_held: bool) {
        let Some(copies) = self.copies.remove(&part) else {
            assert!(!matched_held);
            return;
        };
        for &slot in copies.slots() {
            let (_, our) = self.submits.remove_slot(slot);
            assert_eq!(PartKey::of(&our), part);
        }
        let others = copies.slots().len() - usize::from(matched_held);
        self.counters.copies_retired += others as u64;
    }

    /// Drops `slot` from `part`'s copies after the mapping in it was removed.
    fn forget_copy(&mut self, part: PartKey, slot: Slot) {
        let Some(copies) = self.copies.get_mut(&part) else {
            unreachable!("every mapping is listed in its part's copies");
        };
        copies.remove(slot);
        if copies.slots().is_empty() {
            self.copies.remove(&part);
        }
    }

    /// Checks the tables and the copies index agree (O(n), tests only).
    #[cfg(test)]
    pub(crate) fn verify(&self) {
        self.submits.verify();
        self.early.verify();
        let listed: usize = self
            .copies
            .values()
            .map(|copies| copies.slots().len())
            .sum();
        assert_eq!(listed, self.submits.len());
        for (part, copies) in &self.copies {
            assert!(!copies.slots().is_empty());
            for &slot in copies.slots() {
                assert_eq!(PartKey::of(self.submits.value(slot)), *part);
            }
        }
    }
}

/// Most mappings one shard may hold (`submits_max` ceiling).
///
/// Cost: at most 240 octets each (a slab entry with its 65-octet key, the hash index entry, the
/// copies index entry; a test pins it), up to 400 with the hash tables' slack, allocated when
/// the correlator is made: the default of [`SUBMITS_DEFAULT`] is at most 50 MiB per shard,
/// this ceiling at most 800 MiB. At the bound:
/// the oldest mapping is evicted (`evicted` counter, `smsgw_receipt_mappings_evicted_total`);
/// its receipt, if it ever comes, is looked up in the RocksDB store once the journal issue adds
/// it, else counted unmatched. Why: two million is over half an hour of a busy shard's traffic
/// at 1,000 submits per second, and most receipts come within minutes.
pub const SUBMITS_MAX: usize = 2_097_152;

/// `submits_max` when the config says nothing: over 2 minutes at 1,000 submits per second per
/// shard, when most receipts have come.
pub const SUBMITS_DEFAULT: usize = 131_072;

/// Most early receipts one shard buffers (`early_receipts_max` ceiling).
///
/// Cost: at most 200 octets each, up to 350 with hash slack, allocated up front (the default
/// at most 1.4 MiB, this ceiling 23 MiB). At the bound: the receipt is refused with
/// `ESME_RX_T_APPN` so the SMSC retries it ([`UnmatchedReason::EarlyTableFull`], counted
/// `unmatched`); receipts already buffered are kept, so a flood of unknown ids cannot push out
/// real early receipts. Why: early receipts only exist in the race between an SMSC's response
/// and its receipt, a few per second at most; 65,536 absorbs a minute of bogus ids.
pub const EARLY_RECEIPTS_MAX: usize = 65_536;

/// `early_receipts_max` when the config says nothing.
pub const EARLY_RECEIPTS_DEFAULT: usize = 4_096;

/// Longest `submit_ttl_ms`: 7 days.
///
/// Cost: none by itself; memory is bounded by [`SUBMITS_MAX`]. At the bound: a longer config
/// value is refused. Why: SMSCs keep undelivered messages for at most a few days (validity
/// period), so no receipt comes after a week.
pub const SUBMIT_TTL_MS_MAX: u64 = 7 * DAY_MS;

/// `submit_ttl_ms` default: 3 days, the longest validity period common SMSCs allow.
pub const SUBMIT_TTL_MS_DEFAULT: u64 = 3 * DAY_MS;

/// Longest `early_ttl_ms`: 10 minutes.
///
/// Cost: early receipts are held this long at most. At the bound: a longer config value is
/// refused. Why: twice the longest `limits.response_timeout_ms` (300 s); a response later than
/// that was already given up on by the session.
pub const EARLY_TTL_MS_MAX: u64 = 600_000;

/// `early_ttl_ms` default: 60 s, six times the default response timeout of 10 s.
pub const EARLY_TTL_MS_DEFAULT: u64 = 60_000;

/// Most upstream copies of one part kept at once.
///
/// Cost: 4 octets each in the copies index entry. At the bound: the oldest copy's mapping is
/// dropped (`superseded` counter). Why: a copy only appears when a response arrives after its
/// timeout and the retry is accepted too; four covers three such retries in a row.
pub const COPIES_PER_PART_MAX: usize = 4;

const DAY_MS: u64 = 86_400_000;

/// A mapping's key: ids are only unique per connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SubmitKey {
    connector: ConnectorId,
    key: IdKey,
}

/// One part of one of our messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PartKey {
    account: AccountId,
    message_id: u64,
    part_index: u8,
}

impl PartKey {
    fn of(our: &OurRef) -> PartKey {
        PartKey {
            account: our.account,
            message_id: our.message_id,
            part_index: our.part_index,
        }
    }
}

/// The slots of one part's mappings, oldest first.
#[derive(Debug, Default)]
struct Copies {
    slots: [Slot; COPIES_PER_PART_MAX],
    len: u8,
}

impl Copies {
    fn slots(&self) -> &[Slot] {
        &self.slots[..usize::from(self.len)]
    }

    fn is_full(&self) -> bool {
        usize::from(self.len) == COPIES_PER_PART_MAX
    }

    fn push(&mut self, slot: Slot) {
        assert!(!self.is_full());
        self.slots[usize::from(self.len)] = slot;
        self.len += 1;
    }

    fn remove(&mut self, slot: Slot) {
        let len = usize::from(self.len);
        let Some(position) = self.slots[..len].iter().position(|&held| held == slot) else {
            unreachable!("slot {slot} is not a copy of this part");
        };
        self.slots.copy_within(position + 1..len, position);
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use smsgw_shared::text::{IdCase, IdNormalization, IdRadix, Stat};

    use super::*;

    const SMSC: ConnectorId = ConnectorId(0);
    const TEXT: IdSource = IdSource::ReceiptText;

    fn our(message_id: u64) -> OurRef {
        OurRef {
            message_id,
            account: AccountId(7),
            part_index: 0,
            parts_total: 1,
        }
    }

    fn delivered() -> ReceiptFacts {
        ReceiptFacts::new(Stat::DELIVRD)
    }

    fn correlator() -> Correlator {
        Correlator::new(CorrelatorLimits::test_min(), Vec::new())
    }

    fn matched(outcome: Match) -> OurRef {
        match outcome {
            Match::Matched(matched) => matched.our,
            other => panic!("expected a match, got {other:?}"),
        }
    }

    #[test]
    fn response_then_receipt_matches_once() {
        // Proves the plain order: the response records the mapping, the final receipt matches
        // it and removes it, so the same receipt again is only buffered (and never matches).
        let mut correlator = correlator();
        assert_eq!(correlator.record_submit(SMSC, "abc1", our(1), 0), Ok(None));
        let outcome = correlator.match_receipt(SMSC, "ABC1", TEXT, delivered(), 10);
        assert_eq!(matched(outcome), our(1));
        assert_eq!(correlator.submits_len(), 0);
        assert_eq!(
            correlator.match_receipt(SMSC, "abc1", TEXT, delivered(), 20),
            Match::Buffered
        );
        assert_eq!(correlator.counters().matched, 1);
        correlator.verify();
    }

    #[test]
    fn early_receipt_matches_when_the_response_lands() {
        // Proves a receipt that beats its submit_sm_resp is buffered, then returned by
        // record_submit as an early match, and the final receipt leaves no mapping behind.
        let mut correlator = correlator();
        assert_eq!(
            correlator.match_receipt(SMSC, "0042", TEXT, delivered(), 0),
            Match::Buffered
        );
        assert_eq!(correlator.early_len(), 1);
        let early = correlator
            .record_submit(SMSC, "42", our(9), 5)
            .unwrap()
            .unwrap();
        assert_eq!(
            (early.our, early.facts, early.early),
            (our(9), delivered(), true)
        );
        assert_eq!((correlator.early_len(), correlator.submits_len()), (0, 0));
        let counters = *correlator.counters();
        assert_eq!(
            (
                counters.early_buffered,
                counters.early_matched,
                counters.matched
            ),
            (1, 1, 1)
        );
        correlator.verify();
    }

    #[test]
    fn intermediate_receipts_keep_the_mapping() {
        // Proves ENROUTE matches without ending the mapping, so the final DELIVRD matches
        // too; and an early intermediate receipt is replaced by the final one that follows it.
        let mut correlator = correlator();
        correlator.record_submit(SMSC, "1", our(1), 0).unwrap();
        let enroute = ReceiptFacts::new(Stat::ENROUTE);
        assert_eq!(
            matched(correlator.match_receipt(SMSC, "1", TEXT, enroute, 1)),
            our(1)
        );
        assert_eq!(correlator.submits_len(), 1);
        assert_eq!(
            matched(correlator.match_receipt(SMSC, "1", TEXT, delivered(), 2)),
            our(1)
        );
        assert_eq!(correlator.submits_len(), 0);

        assert_eq!(
            correlator.match_receipt(SMSC, "2", TEXT, enroute, 3),
            Match::Buffered
        );
        assert_eq!(
            correlator.match_receipt(SMSC, "2", TEXT, delivered(), 4),
            Match::Buffered
        );
        assert_eq!(
            correlator.match_receipt(SMSC, "2", TEXT, enroute, 5),
            Match::Unmatched(UnmatchedReason::Duplicate)
        );
        let early = correlator
            .record_submit(SMSC, "2", our(2), 6)
            .unwrap()
            .unwrap();
        assert_eq!(early.facts, delivered());
        assert_eq!(correlator.counters().early_replaced, 1);
        assert_eq!(correlator.submits_len(), 0);

        assert_eq!(
            correlator.match_receipt(SMSC, "3", TEXT, enroute, 7),
            Match::Buffered
        );
        let early = correlator
            .record_submit(SMSC, "3", our(3), 8)
            .unwrap()
            .unwrap();
        assert_eq!(early.facts, enroute);
        assert_eq!(
            correlator.submits_len(),
            1,
            "intermediate early receipt keeps it"
        );
        correlator.verify();
    }

    #[test]
    fn hex_response_and_decimal_receipt_match() {
        // Proves a connector configured hex-in-response, decimal-in-text matches the two
        // spellings of one id, and another connector's same id does not cross over.
        let numeric = IdMatching::Numeric {
            response: IdRadix::Hex,
            receipt_tlv: IdRadix::Hex,
            receipt_text: IdRadix::Decimal,
        };
        let mut correlator = Correlator::new(CorrelatorLimits::test_min(), vec![numeric]);
        correlator.record_submit(SMSC, "1A2B", our(1), 0).unwrap();
        correlator
            .record_submit(ConnectorId(1), "6699", our(2), 0)
            .unwrap();
        let tlv = correlator.match_receipt(SMSC, "00001a2b", IdSource::ReceiptTlv, delivered(), 1);
        let enroute = ReceiptFacts::new(Stat::ENROUTE);
        assert_eq!(matched(tlv), our(1));
        correlator.record_submit(SMSC, "1A2B", our(1), 2).unwrap();
        let text = correlator.match_receipt(SMSC, "6699", TEXT, enroute, 3);
        assert_eq!(matched(text), our(1));
        let other = correlator.match_receipt(ConnectorId(1), "6699", TEXT, delivered(), 4);
        assert_eq!(matched(other), our(2));
    }

    #[test]
    fn leading_zeros_and_case_follow_the_connector() {
        // Proves the default matching ignores zero padding and case, while an exact connector
        // set by set_id_matching does not.
        let mut correlator = correlator();
        correlator.set_id_matching(
            ConnectorId(2),
            IdMatching::Text(IdNormalization {
                case: IdCase::Keep,
                strip_leading_zeros: false,
            }),
        );
        correlator.record_submit(SMSC, "000AbC", our(1), 0).unwrap();
        correlator
            .record_submit(ConnectorId(2), "000AbC", our(2), 0)
            .unwrap();
        assert_eq!(
            matched(correlator.match_receipt(SMSC, "abc", TEXT, delivered(), 1)),
            our(1)
        );
        assert_eq!(
            correlator.match_receipt(ConnectorId(2), "abc", TEXT, delivered(), 1),
            Match::Buffered
        );
        let exact = correlator.match_receipt(ConnectorId(2), "000AbC", TEXT, delivered(), 1);
        assert_eq!(matched(exact), our(2));
    }

    #[test]
    fn mappings_and_early_receipts_expire_at_their_ttl() {
        // Proves a mapping lives submit_ttl_ms and an early receipt early_ttl_ms, each expiry
        // is reported once and counted, and poll_timeout names the next deadline.
        let mut correlator = correlator();
        correlator.record_submit(SMSC, "1", our(1), 0).unwrap();
        correlator.match_receipt(SMSC, "2", TEXT, delivered(), 500);
        assert_eq!(correlator.poll_timeout(), Some(1_500));
        assert_eq!(correlator.poll_expired(1_499), None);
        let Some(Expired::EarlyReceipt { key, facts, .. }) = correlator.poll_expired(1_500) else {
            panic!("early receipt should expire at 1,500");
        };
        assert_eq!(key, correlator.key(SMSC, "2", TEXT).unwrap());
        assert_eq!(facts, delivered());
        assert_eq!(correlator.poll_timeout(), Some(10_000));
        assert_eq!(correlator.poll_expired(9_999), None);
        assert_eq!(
            correlator.poll_expired(10_000),
            Some(Expired::Submit {
                connector: SMSC,
                our: our(1)
            })
        );
        assert_eq!(correlator.poll_expired(u64::MAX), None);
        assert_eq!(correlator.poll_timeout(), None);
        let counters = *correlator.counters();
        assert_eq!((counters.expired, counters.unmatched), (1, 1));
        correlator.verify();
    }

    #[test]
    fn full_tables_evict_the_oldest_mapping_and_refuse_early_receipts() {
        // Proves the two bounds: a fifth mapping evicts the oldest (which then no longer
        // matches), and a third early receipt is refused with the transient ESME_RX_T_APPN.
        let mut correlator = correlator();
        for id in 1..=5 {
            correlator
                .record_submit(SMSC, &id.to_string(), our(id), id)
                .unwrap();
        }
        assert_eq!(correlator.submits_len(), 4);
        assert_eq!(correlator.counters().evicted, 1);
        assert_eq!(
            correlator.match_receipt(SMSC, "1", TEXT, delivered(), 6),
            Match::Buffered
        );
        assert_eq!(
            matched(correlator.match_receipt(SMSC, "5", TEXT, delivered(), 6)),
            our(5)
        );
        assert_eq!(
            correlator.match_receipt(SMSC, "8", TEXT, delivered(), 6),
            Match::Buffered
        );
        let refused = correlator.match_receipt(SMSC, "9", TEXT, delivered(), 6);
        assert_eq!(refused, Match::Unmatched(UnmatchedReason::EarlyTableFull));
        assert_eq!(
            UnmatchedReason::EarlyTableFull.deliver_sm_status(),
            CommandStatus::ESME_RX_T_APPN
        );
        assert_eq!(
            UnmatchedReason::Duplicate.deliver_sm_status(),
            CommandStatus::ESME_ROK
        );
        correlator.verify();
    }

    #[test]
    fn retried_copies_all_match_until_one_is_final() {
        // Proves the retry choice: two upstream ids for one part both map to it, an
        // intermediate receipt on either keeps both, the first final retires both, and a
        // fifth copy supersedes the oldest.
        let mut correlator = Correlator::new(
            CorrelatorLimits {
                submits_max: 16,
                ..CorrelatorLimits::test_min()
            },
            Vec::new(),
        );
        correlator.record_submit(SMSC, "a", our(1), 0).unwrap();
        correlator.record_submit(SMSC, "b", our(1), 1).unwrap();
        let enroute = ReceiptFacts::new(Stat::ENROUTE);
        assert_eq!(
            matched(correlator.match_receipt(SMSC, "a", TEXT, enroute, 2)),
            our(1)
        );
        assert_eq!(correlator.submits_len(), 2);
        assert_eq!(
            matched(correlator.match_receipt(SMSC, "b", TEXT, delivered(), 3)),
            our(1)
        );
        assert_eq!(correlator.submits_len(), 0);
        assert_eq!(correlator.counters().copies_retired, 1);
        assert_eq!(
            correlator.match_receipt(SMSC, "a", TEXT, delivered(), 4),
            Match::Buffered
        );

        for (index, id) in ["c", "d", "e", "f", "g"].into_iter().enumerate() {
            correlator
                .record_submit(SMSC, id, our(2), 10 + index as u64)
                .unwrap();
        }
        assert_eq!(correlator.submits_len(), COPIES_PER_PART_MAX);
        assert_eq!(correlator.counters().superseded, 1);
        assert_eq!(
            correlator.match_receipt(SMSC, "c", TEXT, delivered(), 20),
            Match::Buffered
        );
        correlator.verify();
    }

    #[test]
    fn a_reused_upstream_id_maps_to_the_newest_part() {
        // Proves an SMSC reusing an id replaces the old mapping (counted), and recording the
        // same response twice is idempotent.
        let mut correlator = correlator();
        correlator.record_submit(SMSC, "7", our(1), 0).unwrap();
        correlator.record_submit(SMSC, "7", our(1), 1).unwrap();
        assert_eq!(correlator.counters().replaced, 0);
        correlator.record_submit(SMSC, "7", our(2), 2).unwrap();
        assert_eq!(correlator.counters().replaced, 1);
        assert_eq!(correlator.submits_len(), 1);
        assert_eq!(
            matched(correlator.match_receipt(SMSC, "7", TEXT, delivered(), 3)),
            our(2)
        );
        correlator.verify();
    }

    #[test]
    fn entry_sizes_match_the_documented_cost() {
        // Proves the cost notes on SUBMITS_MAX and EARLY_RECEIPTS_MAX: a mapping (slab slot,
        // index entry, copies entry) and an early receipt (slot, index entry) stay within the
        // octets documented before the hash tables' slack.
        let mapping = TtlTable::<SubmitKey, OurRef>::entry_size() + size_of::<(PartKey, Copies)>();
        let early = TtlTable::<SubmitKey, ReceiptFacts>::entry_size();
        assert!(mapping <= 240, "mapping={mapping}");
        assert!(early <= 200, "early={early}");
    }

    #[test]
    fn unkeyable_ids_are_counted_not_fatal() {
        // Proves an empty receipt id is unmatched with an OK status for the SMSC, and a
        // response with an over-long id is refused without recording anything.
        let mut correlator = correlator();
        assert_eq!(
            correlator.match_receipt(SMSC, "", TEXT, delivered(), 0),
            Match::Unmatched(UnmatchedReason::Id(IdError::Empty))
        );
        let long = "9".repeat(65);
        assert!(correlator.record_submit(SMSC, &long, our(1), 0).is_err());
        let counters = *correlator.counters();
        assert_eq!((counters.unmatched, counters.response_id_invalid), (1, 1));
        assert_eq!(correlator.submits_len(), 0);
    }
}
