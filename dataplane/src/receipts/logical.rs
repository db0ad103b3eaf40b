//! One logical receipt per message from its parts' receipts: a long message goes upstream as
//! several parts, each with its own upstream id and receipt, but the SP submitted one message
//! (or, with SAR/UDH parts of its own, wants one status per message it tracks).
//!
//! Call contract: feed every [`Matched`] from the correlator to [`LogicalStatus::handle_part`]
//! with the account's [`MultipartPolicy`]; deliver each [`LogicalReceipt`] it returns (both
//! fields of [`PartOutcome`]). Call [`LogicalStatus::poll_expired`] every loop turn until
//! `None`; [`LogicalStatus::poll_timeout`] says when next.
//!
//! Policies, over final receipts only (ENROUTE and ACCEPTD never decide, see
//! [`is_final`](super::is_final)):
//! - **First:** report on the first part's final receipt.
//! - **Last:** report when every part has a final receipt, with the stat of the one that came
//!   last.
//! - **Worst:** report when every part has a final receipt, with the worst stat by
//!   [`severity`].
//!
//! **At the deadline** (`timeout_ms` after the message's first receipt, not extended by later
//! ones), a message not yet reported is reported with what is known, marked incomplete. Parts
//! without a final receipt count as their latest intermediate stat, or UNKNOWN if they had
//! none; they are the ones that decide, being the last and none being first, and Worst weighs
//! them with the parts that did report. A single-part message needs no table: its final
//! receipt is reported at once.
//!
//! Bounds: `messages_max` messages waiting, each holding one octet of state per part. A full
//! table reports its oldest message with what is known (returned as [`PartOutcome::evicted`])
//! to make room; if more of that message's parts report later they start a new entry, and the
//! SP may hear twice (counted `evicted`).

use smsgw_shared::limits::CONCAT_PARTS_MAX;
use smsgw_shared::text::Stat;

use super::correlator::Matched;
use super::facts::ReceiptFacts;
use super::table::TtlTable;
use crate::admission::AccountId;

/// How an account wants a multipart message's status reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MultipartPolicy {
    /// On the first part's final receipt.
    First,
    /// When all parts reported, with the last one's stat.
    Last,
    /// When all parts reported, with the worst stat. The default: an SP that bills or retries
    /// on failure must hear about any part that failed.
    #[default]
    Worst,
}

/// How bad a stat is, 0 (best) to 7 (worst), for [`MultipartPolicy::Worst`]:
/// DELIVRD < ACCEPTD < ENROUTE < UNKNOWN < EXPIRED < DELETED < UNDELIV < REJECTD.
///
/// Delivered is best; accepted and en route have not failed yet; unknown is an absence of
/// news; then the failures, from "the SMSC gave up waiting" (expired, deleted) to "the network
/// said no" (undeliverable) to "refused outright" (rejected), which an SP must not retry
/// blindly.
pub fn severity(stat: Stat) -> u8 {
    match stat {
        Stat::DELIVRD => 0,
        Stat::ACCEPTD => 1,
        Stat::ENROUTE => 2,
        Stat::UNKNOWN => 3,
        Stat::EXPIRED => 4,
        Stat::DELETED => 5,
        Stat::UNDELIV => 6,
        Stat::REJECTD => 7,
    }
}

/// One status for one of our messages, to rewrite with our id and deliver to the SP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogicalReceipt {
    /// The SP.
    pub account: AccountId,
    /// Our message id.
    pub message_id: u64,
    /// Parts of the message (`sub` in the receipt text).
    pub parts_total: u8,
    /// Parts with a DELIVRD receipt so far (`dlvrd`).
    pub delivered_count: u8,
    /// Parts with a final receipt so far.
    pub reported_count: u8,
    /// Whether every part had a final receipt when this was reported.
    pub complete: bool,
    /// The deciding stat, with its part's err and dates when a receipt decided.
    pub facts: ReceiptFacts,
}

/// What one part's receipt produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartOutcome {
    /// The message's logical receipt, when the policy says it is time.
    pub receipt: Option<LogicalReceipt>,
    /// Another message reported early to make room in a full table.
    pub evicted: Option<LogicalReceipt>,
}

/// Run-time size and deadline of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogicalLimits {
    /// Messages waiting for parts; 1 to [`LOGICAL_MESSAGES_MAX`].
    pub messages_max: usize,
    /// How long after its first receipt a message is reported with what is known; up to
    /// [`LOGICAL_TIMEOUT_MS_MAX`].
    pub timeout_ms: u64,
}

impl Default for LogicalLimits {
    fn default() -> LogicalLimits {
        LogicalLimits {
            messages_max: LOGICAL_MESSAGES_DEFAULT,
            timeout_ms: LOGICAL_TIMEOUT_MS_DEFAULT,
        }
    }
}

/// What the aggregator has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogicalCounters {
    /// Logical receipts returned (complete, timed out or evicted).
    pub reported: u64,
    /// Reported at the deadline with parts missing.
    pub timed_out: u64,
    /// Reported early because the table was full.
    pub evicted: u64,
    /// Final receipts for a part that already had one (ignored).
    pub duplicates: u64,
    /// Part receipts whose parts_total disagrees with the held message (ignored).
    pub inconsistent: u64,
}

/// See the module doc.
#[derive(Debug)]
pub struct LogicalStatus {
    pending: TtlTable<MessageKey, Pending>,
    counters: LogicalCounters,
}

impl LogicalStatus {
    /// An empty aggregator.
    pub fn new(limits: LogicalLimits) -> LogicalStatus {
        assert!((1..=LOGICAL_MESSAGES_MAX).contains(&limits.messages_max));
        assert!(limits.timeout_ms <= LOGICAL_TIMEOUT_MS_MAX);
        LogicalStatus {
            pending: TtlTable::new(limits.messages_max, limits.timeout_ms),
            counters: LogicalCounters::default(),
        }
    }

    /// Takes one part's matched receipt.
    pub fn handle_part(
        &mut self,
        matched: &Matched,
        policy: MultipartPolicy,
        now_ms: u64,
    ) -> PartOutcome {
        let our = matched.our;
        assert!(our.part_index < our.parts_total, "our={our:?}");
        let facts = matched.facts;
        if our.parts_total == 1 {
            if !facts.is_final() {
                return PartOutcome::default();
            }
            self.counters.reported += 1;
            let delivered_count = u8::from(facts.stat == Stat::DELIVRD);
            return PartOutcome {
                receipt: Some(LogicalReceipt {
                    account: our.account,
                    message_id: our.message_id,
                    parts_total: 1,
                    delivered_count,
                    reported_count: 1,
                    complete: true,
                    facts,
                }),
                evicted: None,
            };
        }
        let key = MessageKey {
            account: our.account,
            message_id: our.message_id,
        };
        let mut outcome = PartOutcome::default();
        if self.pending.get(&key).is_none() {
            outcome.evicted = self.make_room();
            self.pending
                .insert(key, Pending::new(policy, our.parts_total), now_ms);
        }
        let Some(pending) = self.pending.get_mut(&key) else {
            unreachable!("inserted above when absent");
        };
        match pending.record(our.part_index, our.parts_total, facts) {
            Recorded::Inconsistent => self.counters.inconsistent += 1,
            Recorded::Duplicate => self.counters.duplicates += 1,
            Recorded::Intermediate => {}
            Recorded::Final => {
                outcome.receipt = pending.decide().map(|facts| pending.receipt(key, facts));
                if outcome.receipt.is_some() {
                    pending.reported = true;
                    self.counters.reported += 1;
                }
                if pending.final_count == pending.parts_total {
                    self.pending.remove(&key);
                }
            }
        }
        outcome
    }

    /// The next message past its deadline that was not yet reported, reported with what is
    /// known; messages already reported (First) leave silently. Call until `None`.
    pub fn poll_expired(&mut self, now_ms: u64) -> Option<LogicalReceipt> {
        // Bounded: each turn removes one entry from a finite table.
        while let Some((_, key, pending)) = self.pending.pop_expired(now_ms) {
            if let Some(receipt) = self.report_unfinished(key, &pending) {
                self.counters.timed_out += 1;
                return Some(receipt);
            }
        }
        None
    }

    /// When [`LogicalStatus::poll_expired`] next has something.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.pending.next_deadline_ms()
    }

    /// The counters so far.
    pub fn counters(&self) -> &LogicalCounters {
        &self.counters
    }

    /// Messages waiting for parts.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no message is waiting.
    pub fn is_empty(&self) -> bool {
        self.pending.len() == 0
    }

    /// Evicts the oldest message if the table is full, reporting it if it was not yet.
    fn make_room(&mut self) -> Option<LogicalReceipt> {
        if !self.pending.is_full() {
            return None;
        }
        let oldest = self.pending.oldest()?;
        let (key, pending) = self.pending.remove_slot(oldest);
        let receipt = self.report_unfinished(key, &pending);
        if receipt.is_some() {
            self.counters.evicted += 1;
        }
        receipt
    }

    fn report_unfinished(&mut self, key: MessageKey, pending: &Pending) -> Option<LogicalReceipt> {
        if pending.reported {
            return None;
        }
        self.counters.reported += 1;
        Some(pending.receipt(key, pending.decide_unfinished()))
    }
}

/// Most messages waiting for their parts' receipts (`messages_max` ceiling).
///
/// Cost: at most 400 octets each (one state octet per possible part, three receipts' facts;
/// a test pins it), up to 450 with hash slack, allocated up front: the default of
/// [`LOGICAL_MESSAGES_DEFAULT`] is at most 7 MiB, this ceiling at most 115 MiB. At the bound: the oldest message is reported with what is known
/// (`evicted` counter). Why: a message waits here only between its first and last part's
/// receipts, usually seconds; 262,144 covers a long outage of a busy SMSC's receipt stream.
pub const LOGICAL_MESSAGES_MAX: usize = 262_144;

/// `messages_max` when the config says nothing.
pub const LOGICAL_MESSAGES_DEFAULT: usize = 16_384;

/// Longest `timeout_ms`: one day.
///
/// Cost: entries are held this long at most. At the bound: a longer config value is refused.
/// Why: parts of one message reach the handset together, so their receipts are minutes apart
/// at worst; a day is far past any real gap.
pub const LOGICAL_TIMEOUT_MS_MAX: u64 = 86_400_000;

/// `timeout_ms` default: 30 minutes, well past the gap between parts' receipts seen in practice
/// while still telling the SP within the hour when an SMSC loses a part's receipt.
pub const LOGICAL_TIMEOUT_MS_DEFAULT: u64 = 1_800_000;

/// State octet of a part with no receipt; otherwise its message_state, with [`FINAL`] set
/// when final.
const NONE: u8 = 0;
const FINAL: u8 = 0x80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MessageKey {
    account: AccountId,
    message_id: u64,
}

#[derive(Debug)]
struct Pending {
    policy: MultipartPolicy,
    parts_total: u8,
    part_states: [u8; CONCAT_PARTS_MAX],
    final_count: u8,
    delivered_count: u8,
    first: Option<ReceiptFacts>,
    last: Option<ReceiptFacts>,
    worst: Option<ReceiptFacts>,
    reported: bool,
}

enum Recorded {
    Inconsistent,
    Duplicate,
    Intermediate,
    Final,
}

impl Pending {
    fn new(policy: MultipartPolicy, parts_total: u8) -> Pending {
        Pending {
            policy,
            parts_total,
            part_states: [NONE; CONCAT_PARTS_MAX],
            final_count: 0,
            delivered_count: 0,
            first: None,
            last: None,
            worst: None,
            reported: false,
        }
    }

    fn record(&mut self, part_index: u8, parts_total: u8, facts: ReceiptFacts) -> Recorded {
        if parts_total != self.parts_total {
            return Recorded::Inconsistent;
        }
        let state = &mut self.part_states[usize::from(part_index)];
        if *state & FINAL != 0 {
            return Recorded::Duplicate;
        }
        *state = facts.stat.message_state();
        if !facts.is_final() {
            return Recorded::Intermediate;
        }
        *state |= FINAL;
        self.final_count += 1;
        assert!(self.final_count <= self.parts_total);
        self.delivered_count += u8::from(facts.stat == Stat::DELIVRD);
        self.first.get_or_insert(facts);
        self.last = Some(facts);
        if self
            .worst
            .is_none_or(|worst| severity(facts.stat) > severity(worst.stat))
        {
            self.worst = Some(facts);
        }
        Recorded::Final
    }

    /// The deciding facts after a final receipt, or `None` when the policy waits.
    fn decide(&self) -> Option<ReceiptFacts> {
        if self.reported {
            return None;
        }
        let all = self.final_count == self.parts_total;
        match self.policy {
            MultipartPolicy::First => self.first,
            MultipartPolicy::Last if all => self.last,
            MultipartPolicy::Worst if all => self.worst,
            MultipartPolicy::Last | MultipartPolicy::Worst => None,
        }
    }

    /// The deciding facts when reporting before every part is final (see the module doc).
    fn decide_unfinished(&self) -> ReceiptFacts {
        let unreported = self.part_states[..usize::from(self.parts_total)]
            .iter()
            .filter(|&&state| state & FINAL == 0)
            .map(|&state| Stat::from_message_state(state).unwrap_or(Stat::UNKNOWN))
            .max_by_key(|&stat| severity(stat));
        let Some(unreported) = unreported else {
            unreachable!("a message with every part final was removed when it completed");
        };
        match (self.policy, self.worst) {
            (MultipartPolicy::Worst, Some(worst))
                if severity(worst.stat) >= severity(unreported) =>
            {
                worst
            }
            // Either way: the unreported parts decide.
            (MultipartPolicy::First | MultipartPolicy::Last | MultipartPolicy::Worst, _) => {
                ReceiptFacts::new(unreported)
            }
        }
    }

    fn receipt(&self, key: MessageKey, facts: ReceiptFacts) -> LogicalReceipt {
        LogicalReceipt {
            account: key.account,
            message_id: key.message_id,
            parts_total: self.parts_total,
            delivered_count: self.delivered_count,
            reported_count: self.final_count,
            complete: self.final_count == self.parts_total,
            facts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::{ConnectorId, ErrCode, OurRef};

    fn part(message_id: u64, part_index: u8, parts_total: u8, stat: Stat) -> Matched {
        Matched {
            connector: ConnectorId(0),
            our: OurRef {
                message_id,
                account: AccountId(3),
                part_index,
                parts_total,
            },
            facts: ReceiptFacts::new(stat),
            early: false,
        }
    }

    fn status(limits: LogicalLimits) -> LogicalStatus {
        LogicalStatus::new(limits)
    }

    fn small() -> LogicalStatus {
        status(LogicalLimits {
            messages_max: 2,
            timeout_ms: 1_000,
        })
    }

    /// Feeds parts in order and returns the stats of the receipts reported.
    fn run(policy: MultipartPolicy, parts: &[Stat]) -> Vec<(usize, Stat, bool)> {
        let mut logical = small();
        let total = u8::try_from(parts.len()).unwrap();
        let mut reported = Vec::new();
        for (index, &stat) in parts.iter().enumerate() {
            let outcome = logical.handle_part(&part(1, index as u8, total, stat), policy, 0);
            assert_eq!(outcome.evicted, None);
            if let Some(receipt) = outcome.receipt {
                reported.push((index, receipt.facts.stat, receipt.complete));
            }
        }
        assert!(logical.is_empty());
        reported
    }

    #[test]
    fn severity_orders_stats_as_documented() {
        // Proves the Worst order, best to worst, covers every stat once.
        let order = [
            Stat::DELIVRD,
            Stat::ACCEPTD,
            Stat::ENROUTE,
            Stat::UNKNOWN,
            Stat::EXPIRED,
            Stat::DELETED,
            Stat::UNDELIV,
            Stat::REJECTD,
        ];
        let ranks: Vec<u8> = order.iter().map(|&stat| severity(stat)).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn each_policy_reports_once_with_its_stat() {
        // Proves First reports on the first final part, Last and Worst on the last part with
        // the last and the worst stat, each exactly once and complete when all parts reported.
        let parts = [Stat::DELIVRD, Stat::UNDELIV, Stat::EXPIRED];
        assert_eq!(
            run(MultipartPolicy::First, &parts),
            [(0, Stat::DELIVRD, false)]
        );
        assert_eq!(
            run(MultipartPolicy::Last, &parts),
            [(2, Stat::EXPIRED, true)]
        );
        assert_eq!(
            run(MultipartPolicy::Worst, &parts),
            [(2, Stat::UNDELIV, true)]
        );
        assert_eq!(
            run(MultipartPolicy::Worst, &[Stat::DELIVRD, Stat::DELIVRD]),
            [(1, Stat::DELIVRD, true)]
        );
    }

    #[test]
    fn intermediate_and_duplicate_parts_do_not_decide() {
        // Proves ENROUTE does not count as a part's report, a second final for a part is
        // ignored and counted, and the counts (sub, dlvrd) are those of the distinct parts.
        let mut logical = small();
        let policy = MultipartPolicy::Worst;
        let nothing = PartOutcome::default();
        assert_eq!(
            logical.handle_part(&part(1, 0, 2, Stat::ENROUTE), policy, 0),
            nothing
        );
        assert_eq!(
            logical.handle_part(&part(1, 0, 2, Stat::DELIVRD), policy, 1),
            nothing
        );
        assert_eq!(
            logical.handle_part(&part(1, 0, 2, Stat::REJECTD), policy, 2),
            nothing
        );
        assert_eq!(logical.counters().duplicates, 1);
        let receipt = logical
            .handle_part(&part(1, 1, 2, Stat::DELIVRD), policy, 3)
            .receipt
            .unwrap();
        assert_eq!(
            (
                receipt.facts.stat,
                receipt.delivered_count,
                receipt.parts_total
            ),
            (Stat::DELIVRD, 2, 2)
        );
        assert!(logical.is_empty());
    }

    #[test]
    fn single_part_messages_report_at_once() {
        // Proves a one-part message needs no table: its final receipt is reported with all its
        // facts, and an intermediate one is not reported.
        let mut logical = small();
        let mut matched = part(5, 0, 1, Stat::UNDELIV);
        matched.facts.err = ErrCode::new("001");
        let receipt = logical
            .handle_part(&matched, MultipartPolicy::First, 0)
            .receipt
            .unwrap();
        assert_eq!(receipt.facts, matched.facts);
        assert_eq!((receipt.delivered_count, receipt.complete), (0, true));
        let enroute = part(6, 0, 1, Stat::ENROUTE);
        assert_eq!(
            logical.handle_part(&enroute, MultipartPolicy::Last, 0),
            PartOutcome::default()
        );
        assert!(logical.is_empty());
    }

    #[test]
    fn the_deadline_reports_what_is_known() {
        // Proves at the deadline: Worst weighs the finals against the missing parts (UNKNOWN,
        // or their intermediate stat), Last lets the missing parts decide, a First message
        // already reported leaves silently, and each is reported once, incomplete.
        let mut logical = status(LogicalLimits {
            messages_max: 8,
            timeout_ms: 1_000,
        });
        logical.handle_part(&part(1, 0, 3, Stat::UNDELIV), MultipartPolicy::Worst, 0);
        logical.handle_part(&part(2, 0, 3, Stat::DELIVRD), MultipartPolicy::Worst, 0);
        logical.handle_part(&part(2, 1, 3, Stat::ENROUTE), MultipartPolicy::Worst, 0);
        logical.handle_part(&part(3, 0, 2, Stat::DELIVRD), MultipartPolicy::Last, 0);
        logical.handle_part(&part(3, 1, 2, Stat::ACCEPTD), MultipartPolicy::Last, 0);
        let first = logical.handle_part(&part(4, 0, 2, Stat::DELIVRD), MultipartPolicy::First, 0);
        assert!(first.receipt.is_some());
        assert_eq!(logical.poll_timeout(), Some(1_000));
        assert_eq!(logical.poll_expired(999), None);
        let stats: Vec<(u64, Stat, u8, bool)> = std::iter::from_fn(|| logical.poll_expired(1_000))
            .map(|receipt| {
                (
                    receipt.message_id,
                    receipt.facts.stat,
                    receipt.reported_count,
                    receipt.complete,
                )
            })
            .collect();
        assert_eq!(
            stats,
            [
                (1, Stat::UNDELIV, 1, false),
                (2, Stat::UNKNOWN, 1, false),
                (3, Stat::ACCEPTD, 1, false),
            ]
        );
        assert!(logical.is_empty());
        assert_eq!(logical.counters().timed_out, 3);
    }

    #[test]
    fn a_full_table_reports_its_oldest_message_to_make_room() {
        // Proves the bound: a third message in a two-message table reports the oldest with
        // what is known, and an oldest message that was already reported leaves silently.
        let mut logical = small();
        let worst = MultipartPolicy::Worst;
        logical.handle_part(&part(1, 0, 2, Stat::DELIVRD), worst, 0);
        logical.handle_part(&part(2, 0, 2, Stat::DELIVRD), MultipartPolicy::First, 1);
        let outcome = logical.handle_part(&part(3, 0, 2, Stat::DELIVRD), worst, 2);
        let evicted = outcome.evicted.unwrap();
        assert_eq!((evicted.message_id, evicted.facts.stat), (1, Stat::UNKNOWN));
        assert_eq!(outcome.receipt, None);
        let outcome = logical.handle_part(&part(4, 0, 2, Stat::DELIVRD), worst, 3);
        assert_eq!(
            outcome.evicted, None,
            "message 2 was already reported (First)"
        );
        assert_eq!(logical.len(), 2);
        assert_eq!(logical.counters().evicted, 1);
    }

    #[test]
    fn entry_size_matches_the_documented_cost() {
        // Proves the cost note on LOGICAL_MESSAGES_MAX: a waiting message's slot and index
        // entry stay within 400 octets before hash slack.
        let size = TtlTable::<MessageKey, Pending>::entry_size();
        assert!(size <= 400, "size={size}");
    }

    #[test]
    fn a_part_with_another_total_is_ignored() {
        // Proves an inconsistent parts_total is counted and does not corrupt the held message.
        let mut logical = small();
        logical.handle_part(&part(1, 0, 2, Stat::DELIVRD), MultipartPolicy::Worst, 0);
        let outcome = logical.handle_part(&part(1, 1, 3, Stat::DELIVRD), MultipartPolicy::Worst, 0);
        assert_eq!(outcome, PartOutcome::default());
        assert_eq!(logical.counters().inconsistent, 1);
        let done = logical.handle_part(&part(1, 1, 2, Stat::DELIVRD), MultipartPolicy::Worst, 0);
        assert!(done.receipt.unwrap().complete);
    }
}
