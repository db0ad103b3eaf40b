//! Receipts and MO waiting for an SP's receiving session (DESIGN.md §3: "When the SP is not
//! bound, delivery waits ... with retries until validity ends").
//!
//! Call contract, with `T` the delivery (a receipt or an MO message, as the caller stores it):
//!
//! - [`PendingQueue::push`] when a delivery for an account cannot go out at once, or always
//!   (the queue hands it straight back from `poll_deliver` if the SP is bound). A full queue
//!   refuses with [`Refused`], whose [`Refused::status`] the caller answers the SMSC's
//!   deliver_sm with (`ESME_RMSGQFUL`, CMPP: flow control) so the SMSC keeps it and retries.
//! - [`PendingQueue::poll_deliver`] with "which accounts have a receiving session": the next
//!   delivery to send, round-robin over accounts, oldest first within one. It stays queued,
//!   in flight, until the SP answers.
//! - [`PendingQueue::handle_delivered`] on the SP's OK; [`PendingQueue::handle_failed`] on an
//!   error, a response timeout or the session closing with it in flight: the delivery waits
//!   `backoff_initial_ms × 2^(attempts-1)`, at most `backoff_max_ms`, then goes again, until
//!   `attempts_max` attempts have failed.
//! - [`PendingQueue::poll_expired`] every loop turn until `None`: deliveries past their
//!   validity (or out of attempts) leave with a reason, for the journal and the logs.
//!   [`PendingQueue::poll_timeout`] says when next.
//!
//! Waiting for a session costs no attempts; only a delivery the SP failed does. Bounds: at
//! most `total_max` deliveries, and `per_account_max` for one account so one SP that is away
//! cannot take the room of all the others. Tables are `BTreeMap`s so a seeded simulation
//! replays exactly; they grow only while an SP is away, never per PDU of a bound one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use smsgw_shared::cmpp::DeliverResult;
use smsgw_shared::smpp::CommandStatus;

use crate::admission::AccountId;

/// A queued delivery's handle, unique for the queue's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(u64);

/// Run-time bounds and retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLimits {
    /// Deliveries held in all; 1 to [`PENDING_TOTAL_MAX`].
    pub total_max: usize,
    /// Deliveries held for one account; 1 to `total_max`.
    pub per_account_max: usize,
    /// Failed attempts before a delivery is dropped; 1 to [`DELIVERY_ATTEMPTS_MAX`].
    pub attempts_max: u32,
    /// Wait after the first failure, in ms; at least 1.
    pub backoff_initial_ms: u64,
    /// Longest wait between attempts, in ms; at least `backoff_initial_ms`.
    pub backoff_max_ms: u64,
}

impl PendingLimits {
    /// Limits for a node-wide `total_max` (the config's `limits.receipt_queue_max` or
    /// `limits.mo_queue_max`): one account may take a quarter, so at least four SPs can be
    /// away before one crowds out another; 10 attempts, 1 s doubling to 5 minutes.
    pub fn for_total(total_max: usize) -> PendingLimits {
        PendingLimits {
            total_max,
            per_account_max: (total_max / 4).max(1),
            attempts_max: DELIVERY_ATTEMPTS_DEFAULT,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 300_000,
        }
    }
}

/// A delivery handed out by [`PendingQueue::poll_deliver`].
#[derive(Debug, PartialEq, Eq)]
pub struct Attempt<'a, T> {
    /// Its handle, for `handle_delivered` or `handle_failed`.
    pub id: DeliveryId,
    /// The account to deliver to.
    pub account: AccountId,
    /// Which attempt this is, from 1.
    pub attempt_count: u32,
    /// The delivery.
    pub item: &'a T,
}

/// A delivery refused by a full queue, handed back.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused<T> {
    /// The delivery.
    pub item: T,
    /// Which bound was hit.
    pub reason: QueueFull,
}

/// Which bound refused a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFull {
    /// The account has `per_account_max`.
    Account,
    /// The queue has `total_max`.
    Total,
}

impl<T> Refused<T> {
    /// The deliver_sm_resp status for the SMSC: `ESME_RMSGQFUL` (0x14), transient, so the SMSC
    /// keeps the message and retries (the config reference documents the same).
    pub fn status(&self) -> CommandStatus {
        CommandStatus::ESME_RMSGQFUL
    }

    /// The CMPP_DELIVER_RESP Result for an upstream ISMG: 8, flow control, which it retries.
    pub fn deliver_result(&self) -> DeliverResult {
        DeliverResult::FLOW_CONTROL_ERROR
    }
}

/// A delivery that left the queue undelivered.
#[derive(Debug, PartialEq, Eq)]
pub struct Dropped<T> {
    /// The account it was for.
    pub account: AccountId,
    /// The delivery.
    pub item: T,
    /// Why.
    pub reason: DropReason,
    /// Attempts made.
    pub attempt_count: u32,
}

/// Why a delivery was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Its validity ended.
    Expired,
    /// `attempts_max` attempts failed.
    AttemptsExhausted,
}

/// What the queue has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingCounters {
    /// Deliveries taken.
    pub pushed: u64,
    /// Deliveries refused by a full queue.
    pub refused: u64,
    /// Attempts handed out.
    pub attempts: u64,
    /// Deliveries the SP acknowledged.
    pub delivered: u64,
    /// Attempts that failed.
    pub failed: u64,
    /// Deliveries dropped at the end of their validity.
    pub expired: u64,
    /// Deliveries dropped after `attempts_max` failures.
    pub exhausted: u64,
}

/// See the module doc.
#[derive(Debug)]
pub struct PendingQueue<T> {
    limits: PendingLimits,
    entries: BTreeMap<DeliveryId, Entry<T>>,
    accounts: BTreeMap<AccountId, AccountQueue>,
    /// (not before, id) of deliveries waiting after a failure.
    retries: BTreeSet<(u64, DeliveryId)>,
    /// (validity deadline, id) of every delivery.
    validity: BTreeSet<(u64, DeliveryId)>,
    /// The account served last, for round-robin.
    cursor: Option<AccountId>,
    id_next: u64,
    counters: PendingCounters,
}

#[derive(Debug)]
struct Entry<T> {
    account: AccountId,
    item: T,
    state: State,
    attempt_count: u32,
    validity_deadline_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In its account's ready queue.
    Ready,
    /// Sent, awaiting the SP's answer.
    InFlight,
    /// Waiting in `retries` until the time given.
    AwaitingRetry { not_before_ms: u64 },
}

#[derive(Debug, Default)]
struct AccountQueue {
    /// Deliveries ready to go, oldest first.
    ready: VecDeque<DeliveryId>,
    /// Deliveries held for the account in any state.
    len: usize,
}

impl<T> PendingQueue<T> {
    /// An empty queue.
    pub fn new(limits: PendingLimits) -> PendingQueue<T> {
        assert!((1..=PENDING_TOTAL_MAX).contains(&limits.total_max));
        assert!((1..=limits.total_max).contains(&limits.per_account_max));
        assert!((1..=DELIVERY_ATTEMPTS_MAX).contains(&limits.attempts_max));
        assert!(limits.backoff_initial_ms >= 1);
        assert!(limits.backoff_max_ms >= limits.backoff_initial_ms);
        PendingQueue {
            limits,
            entries: BTreeMap::new(),
            accounts: BTreeMap::new(),
            retries: BTreeSet::new(),
            validity: BTreeSet::new(),
            cursor: None,
            id_next: 0,
            counters: PendingCounters::default(),
        }
    }

    /// Queues a delivery for `account`, valid until `validity_deadline_ms`; a full queue hands
    /// it back.
    pub fn push(
        &mut self,
        account: AccountId,
        item: T,
        validity_deadline_ms: u64,
    ) -> Result<DeliveryId, Refused<T>> {
        let account_len = self.accounts.get(&account).map_or(0, |queue| queue.len);
        let reason = if self.entries.len() >= self.limits.total_max {
            Some(QueueFull::Total)
        } else if account_len >= self.limits.per_account_max {
            Some(QueueFull::Account)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.counters.refused += 1;
            return Err(Refused { item, reason });
        }
        let id = DeliveryId(self.id_next);
        self.id_next += 1;
        self.entries.insert(
            id,
            Entry {
                account,
                item,
                state: State::Ready,
                attempt_count: 0,
                validity_deadline_ms,
            },
        );
        let queue = self.accounts.entry(account).or_default();
        queue.ready.push_back(id);
        queue.len += 1;
        self.validity.insert((validity_deadline_ms, id));
        self.counters.pushed += 1;
        Ok(id)
    }

    /// The next delivery to send to an account that `has_receiver` says has a receiving
    /// session, marked in flight; `None` when nothing can go now.
    pub fn poll_deliver(
        &mut self,
        now_ms: u64,
        mut has_receiver: impl FnMut(AccountId) -> bool,
    ) -> Option<Attempt<'_, T>> {
        self.promote_retries(now_ms);
        let start = self.cursor;
        let after = self
            .accounts
            .iter()
            .filter(|(account, _)| start.is_none_or(|cursor| **account > cursor));
        let before = self
            .accounts
            .iter()
            .filter(|(account, _)| start.is_some_and(|cursor| **account <= cursor));
        let account = after
            .chain(before)
            .filter(|(_, queue)| !queue.ready.is_empty())
            .map(|(account, _)| *account)
            .find(|account| has_receiver(*account))?;
        self.cursor = Some(account);
        let Some(id) = self
            .accounts
            .get_mut(&account)
            .and_then(|queue| queue.ready.pop_front())
        else {
            unreachable!("the account was chosen for a non-empty ready queue");
        };
        let Some(entry) = self.entries.get_mut(&id) else {
            unreachable!("ready ids are in entries");
        };
        assert_eq!(entry.state, State::Ready);
        entry.state = State::InFlight;
        entry.attempt_count += 1;
        self.counters.attempts += 1;
        Some(Attempt {
            id,
            account,
            attempt_count: entry.attempt_count,
            item: &entry.item,
        })
    }

    /// The SP acknowledged the delivery: it leaves the queue and is returned. `None` when it
    /// is no longer held (it expired while in flight) or is not in flight.
    pub fn handle_delivered(&mut self, id: DeliveryId) -> Option<T> {
        if self.entries.get(&id)?.state != State::InFlight {
            return None;
        }
        let entry = self.remove(id);
        self.counters.delivered += 1;
        Some(entry.item)
    }

    /// The attempt failed: the delivery waits its backoff, or is dropped after
    /// `attempts_max` failures (returned). Unknown or not in flight: nothing happens.
    pub fn handle_failed(&mut self, id: DeliveryId, now_ms: u64) -> Option<Dropped<T>> {
        let attempts_max = self.limits.attempts_max;
        let backoff_ms = {
            let entry = self.entries.get(&id)?;
            if entry.state != State::InFlight {
                return None;
            }
            self.backoff_ms(entry.attempt_count)
        };
        self.counters.failed += 1;
        let Some(entry) = self.entries.get_mut(&id) else {
            unreachable!("checked above");
        };
        if entry.attempt_count >= attempts_max {
            self.counters.exhausted += 1;
            return Some(self.dropped(id, DropReason::AttemptsExhausted));
        }
        let not_before_ms = now_ms.saturating_add(backoff_ms);
        entry.state = State::AwaitingRetry { not_before_ms };
        self.retries.insert((not_before_ms, id));
        None
    }

    /// The next delivery whose validity ended at or before `now_ms`, removed (in flight or
    /// not). Call until `None`.
    pub fn poll_expired(&mut self, now_ms: u64) -> Option<Dropped<T>> {
        let &(deadline_ms, id) = self.validity.first()?;
        if deadline_ms > now_ms {
            return None;
        }
        self.counters.expired += 1;
        Some(self.dropped(id, DropReason::Expired))
    }

    /// When the next retry becomes due or validity ends; a bound account's ready deliveries
    /// are due at once and not included.
    pub fn poll_timeout(&self) -> Option<u64> {
        let retry = self.retries.first().map(|&(at, _)| at);
        let validity = self.validity.first().map(|&(at, _)| at);
        match (retry, validity) {
            (Some(retry), Some(validity)) => Some(retry.min(validity)),
            (retry, validity) => retry.or(validity),
        }
    }

    /// Deliveries held in all.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Deliveries held for `account`.
    pub fn account_len(&self, account: AccountId) -> usize {
        self.accounts.get(&account).map_or(0, |queue| queue.len)
    }

    /// The counters so far.
    pub fn counters(&self) -> &PendingCounters {
        &self.counters
    }

    /// Moves deliveries whose backoff ended back to their account's ready queue.
    fn promote_retries(&mut self, now_ms: u64) {
        // Bounded: each turn removes one retry, and there are at most total_max.
        while let Some(&(not_before_ms, id)) = self.retries.first() {
            if not_before_ms > now_ms {
                break;
            }
            self.retries.pop_first();
            let Some(entry) = self.entries.get_mut(&id) else {
                unreachable!("retries only hold live entries");
            };
            assert_eq!(entry.state, State::AwaitingRetry { not_before_ms });
            entry.state = State::Ready;
            let Some(queue) = self.accounts.get_mut(&entry.account) else {
                unreachable!("a live entry's account has a queue");
            };
            queue.ready.push_back(id);
        }
    }

    fn backoff_ms(&self, attempt_count: u32) -> u64 {
        assert!(attempt_count >= 1);
        let doublings = (attempt_count - 1).min(63);
        self.limits
            .backoff_initial_ms
            .saturating_mul(1_u64 << doublings)
            .min(self.limits.backoff_max_ms)
    }

    fn dropped(&mut self, id: DeliveryId, reason: DropReason) -> Dropped<T> {
        let entry = self.remove(id);
        Dropped {
            account: entry.account,
            item: entry.item,
            reason,
            attempt_count: entry.attempt_count,
        }
    }

    /// Removes a delivery from every index.
    fn remove(&mut self, id: DeliveryId) -> Entry<T> {
        let Some(entry) = self.entries.remove(&id) else {
            unreachable!("callers remove only live ids");
        };
        assert!(self.validity.remove(&(entry.validity_deadline_ms, id)));
        let Some(queue) = self.accounts.get_mut(&entry.account) else {
            unreachable!("a live entry's account has a queue");
        };
        match entry.state {
            State::Ready => {
                // Ready queues are short-lived; the scan is over one account's ready ids.
                let Some(position) = queue.ready.iter().position(|&ready| ready == id) else {
                    unreachable!("a ready entry is in its ready queue");
                };
                queue.ready.remove(position);
            }
            State::AwaitingRetry { not_before_ms } => {
                assert!(self.retries.remove(&(not_before_ms, id)));
            }
            State::InFlight => {}
        }
        queue.len -= 1;
        if queue.len == 0 {
            assert!(queue.ready.is_empty());
            self.accounts.remove(&entry.account);
        }
        entry
    }
}

/// Most deliveries one queue holds (`total_max` ceiling): the config's
/// `DELIVER_QUEUE_MAX_CEILING` for `limits.receipt_queue_max` and `limits.mo_queue_max`.
///
/// Cost: the delivery itself plus about 150 octets of index entries each; memory grows only
/// while SPs are away. At the bound: [`PendingQueue::push`] refuses with `ESME_RMSGQFUL`
/// (CMPP: flow control), counted `refused`, so the SMSC keeps the message and retries. Why:
/// ten million is hours of receipts for an SP that is away; past that the SMSC's own retry
/// queue is the right buffer.
pub const PENDING_TOTAL_MAX: usize = 10_000_000;

/// Most failed attempts before a delivery is dropped (`attempts_max` ceiling).
///
/// Cost: none. At the bound: a larger config value is refused. Why: with backoff capped at
/// minutes, 100 attempts already span hours; validity ends the rest.
pub const DELIVERY_ATTEMPTS_MAX: u32 = 100;

/// `attempts_max` default: 10 failures, about 17 minutes of doubling backoff from 1 s.
pub const DELIVERY_ATTEMPTS_DEFAULT: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    const A: AccountId = AccountId(1);
    const B: AccountId = AccountId(2);

    fn queue(total_max: usize, per_account_max: usize) -> PendingQueue<&'static str> {
        PendingQueue::new(PendingLimits {
            total_max,
            per_account_max,
            attempts_max: 3,
            backoff_initial_ms: 100,
            backoff_max_ms: 150,
        })
    }

    fn next(
        queue: &mut PendingQueue<&'static str>,
        now_ms: u64,
        bound: &[AccountId],
    ) -> Option<(DeliveryId, &'static str, u32)> {
        queue
            .poll_deliver(now_ms, |account| bound.contains(&account))
            .map(|attempt| (attempt.id, *attempt.item, attempt.attempt_count))
    }

    #[test]
    fn deliveries_wait_for_a_receiving_session() {
        // Proves nothing goes out while the account has no receiver, waiting costs no attempt,
        // and once bound the deliveries go oldest first and leave when acknowledged.
        let mut queue = queue(8, 8);
        queue.push(A, "r1", 10_000).unwrap();
        queue.push(A, "r2", 10_000).unwrap();
        assert_eq!(next(&mut queue, 0, &[B]), None);
        let (id, item, attempt) = next(&mut queue, 5_000, &[A]).unwrap();
        assert_eq!((item, attempt), ("r1", 1));
        assert_eq!(queue.handle_delivered(id), Some("r1"));
        assert_eq!(queue.handle_delivered(id), None);
        let (id, item, _) = next(&mut queue, 5_000, &[A]).unwrap();
        assert_eq!(item, "r2");
        assert_eq!(next(&mut queue, 5_000, &[A]), None, "r2 is in flight");
        queue.handle_delivered(id);
        assert!(queue.is_empty());
        assert_eq!(queue.counters().delivered, 2);
    }

    #[test]
    fn accounts_are_served_round_robin() {
        // Proves one busy account cannot starve another: deliveries alternate between bound
        // accounts in account order.
        let mut queue = queue(8, 8);
        for item in ["a1", "a2", "a3"] {
            queue.push(A, item, 10_000).unwrap();
        }
        queue.push(B, "b1", 10_000).unwrap();
        let order: Vec<&str> = std::iter::from_fn(|| next(&mut queue, 0, &[A, B]))
            .map(|(_, item, _)| item)
            .collect();
        assert_eq!(order, ["a1", "b1", "a2", "a3"]);
    }

    #[test]
    fn failures_back_off_exponentially_then_drop() {
        // Proves the retry schedule: a failed attempt waits 100 ms, the next 150 ms (capped),
        // and the third failure drops the delivery as exhausted with its attempt count.
        let mut queue = queue(8, 8);
        queue.push(A, "mo", 1_000_000).unwrap();
        let (id, _, _) = next(&mut queue, 0, &[A]).unwrap();
        assert_eq!(queue.handle_failed(id, 0), None);
        assert_eq!(queue.poll_timeout(), Some(100));
        assert_eq!(next(&mut queue, 99, &[A]), None);
        let (id, _, attempt) = next(&mut queue, 100, &[A]).unwrap();
        assert_eq!(attempt, 2);
        assert_eq!(queue.handle_failed(id, 100), None);
        assert_eq!(next(&mut queue, 249, &[A]), None);
        let (id, _, attempt) = next(&mut queue, 250, &[A]).unwrap();
        assert_eq!(attempt, 3);
        let dropped = queue.handle_failed(id, 250).unwrap();
        assert_eq!(
            (dropped.item, dropped.reason, dropped.attempt_count),
            ("mo", DropReason::AttemptsExhausted, 3)
        );
        assert!(queue.is_empty());
        assert_eq!(queue.handle_failed(id, 300), None);
        let counters = *queue.counters();
        assert_eq!((counters.failed, counters.exhausted), (3, 1));
    }

    #[test]
    fn validity_ends_waiting_and_in_flight_deliveries() {
        // Proves expiry: a waiting delivery, one in backoff and one in flight all leave at
        // their validity deadline with reason Expired, and a late acknowledgement is ignored.
        let mut queue = queue(8, 8);
        queue.push(B, "waiting", 1_000).unwrap();
        queue.push(A, "in flight", 2_000).unwrap();
        queue.push(A, "backing off", 3_000).unwrap();
        let (in_flight, _, _) = next(&mut queue, 0, &[A]).unwrap();
        let (backing_off, _, _) = next(&mut queue, 0, &[A]).unwrap();
        queue.handle_failed(backing_off, 0);
        assert_eq!(queue.poll_timeout(), Some(100));
        assert_eq!(queue.poll_expired(999), None);
        let expired: Vec<&str> = std::iter::from_fn(|| queue.poll_expired(3_000))
            .inspect(|dropped| assert_eq!(dropped.reason, DropReason::Expired))
            .map(|dropped| dropped.item)
            .collect();
        assert_eq!(expired, ["waiting", "in flight", "backing off"]);
        assert_eq!(queue.handle_delivered(in_flight), None);
        assert!(queue.is_empty());
        assert_eq!(queue.poll_timeout(), None);
        assert_eq!(next(&mut queue, 3_000, &[A, B]), None);
    }

    #[test]
    fn a_full_queue_refuses_with_a_transient_status() {
        // Proves the overflow behaviour: over per_account_max or total_max the delivery is
        // handed back with ESME_RMSGQFUL (CMPP flow control), counted, and room reappears when
        // a delivery leaves.
        let mut queue = queue(3, 2);
        queue.push(A, "1", 10_000).unwrap();
        queue.push(A, "2", 10_000).unwrap();
        let refused = queue.push(A, "3", 10_000).unwrap_err();
        assert_eq!((refused.item, refused.reason), ("3", QueueFull::Account));
        assert_eq!(refused.status(), CommandStatus::ESME_RMSGQFUL);
        assert_eq!(refused.deliver_result(), DeliverResult::FLOW_CONTROL_ERROR);
        queue.push(B, "4", 10_000).unwrap();
        let refused = queue.push(B, "5", 10_000).unwrap_err();
        assert_eq!(refused.reason, QueueFull::Total);
        assert_eq!(queue.counters().refused, 2);
        assert_eq!((queue.account_len(A), queue.account_len(B)), (2, 1));
        let (id, _, _) = next(&mut queue, 0, &[A]).unwrap();
        queue.handle_delivered(id);
        assert!(queue.push(B, "5", 10_000).is_ok());
    }

    #[test]
    fn limits_for_a_total_share_the_room() {
        // Proves the default split: a quarter of the total per account, never zero.
        assert_eq!(PendingLimits::for_total(100_000).per_account_max, 25_000);
        assert_eq!(PendingLimits::for_total(3).per_account_max, 1);
        let _: PendingQueue<()> = PendingQueue::new(PendingLimits::for_total(1));
    }
}
