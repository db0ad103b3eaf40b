//! The admission decision for one submit and its wire statuses, and [`AccountFlow`]: the per-core
//! flow state of one account that makes the decision.
//!
//! Order of checks in [`AccountFlow::admit`]: the queue first (a full queue refuses without
//! spending tokens), then every bucket that applies (the account's share, the sender's and the
//! destination prefix's when configured) is checked before any is taken from, so a refusal
//! costs no bucket anything. When all have a token the submit is admitted; when some must wait
//! and the account asked for delayed responses, each borrows its next token and the response
//! is held until the latest of them; otherwise the answer is `Throttle`.

// HOT PATH: `admit` allocates nothing, takes no locks and logs nothing.

use smsgw_shared::cmpp::SubmitResult;
use smsgw_shared::smpp::CommandStatus;

use super::{AddressKey, CoreShare, DelayedResponse, KeyedLimiter, Load, TokenBucket};

/// What to answer a submit with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Accept now.
    Admit,
    /// Accept, and hold the response (and the forwarding) until `respond_at_ms` (see
    /// [`DelayedResponse`]).
    Hold {
        /// When to answer, on the caller's millisecond clock.
        respond_at_ms: u64,
    },
    /// Over the account's (or a key's) rate.
    Throttle,
    /// The queue the message would enter is full.
    QueueFull,
}

impl Admission {
    /// The SMPP command_status of the response (`Hold` answers `ESME_ROK` when it is sent).
    pub fn status(self) -> CommandStatus {
        match self {
            Admission::Admit | Admission::Hold { .. } => CommandStatus::ESME_ROK,
            Admission::Throttle => CommandStatus::ESME_RTHROTTLED,
            Admission::QueueFull => CommandStatus::ESME_RMSGQFUL,
        }
    }

    /// The CMPP_SUBMIT_RESP Result. CMPP has no queue-full code; both refusals are 8
    /// (流量控制错, flow control error), which CMPP clients treat as "retry later".
    pub fn cmpp_result(self) -> SubmitResult {
        match self {
            Admission::Admit | Admission::Hold { .. } => SubmitResult::OK,
            Admission::Throttle | Admission::QueueFull => SubmitResult::FLOW_CONTROL_ERROR,
        }
    }

    /// True when the message is accepted (now or with a held response).
    pub fn is_accepted(self) -> bool {
        matches!(self, Admission::Admit | Admission::Hold { .. })
    }
}

/// A per-key limit: at most `keys_max` keys, each refilling `rate_milli_per_s` thousandths of a
/// token per second up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyedLimit {
    /// Bound on keys held (see [`KeyedLimiter`]).
    pub keys_max: usize,
    /// Rate per key in milli-TPS: 1,000 is one per second, 16 about one per minute.
    pub rate_milli_per_s: u64,
    /// Burst per key, in tokens.
    pub burst: u64,
}

/// One account's flow state on one core.
///
/// Call contract: build it from the core's [`CoreShare`] when the account appears in a config
/// snapshot; call [`AccountFlow::admit`] for every submit and act on the [`Admission`]; apply
/// new shares with [`AccountFlow::apply_share`]; every rebalance period hand
/// [`AccountFlow::take_attempts`] to the coordinator (see [`super::share`]).
#[derive(Debug)]
pub struct AccountFlow {
    bucket: TokenBucket,
    senders: Option<KeyedLimiter<AddressKey>>,
    destinations: Option<(KeyedLimiter<AddressKey>, usize)>,
    delay: Option<DelayedResponse>,
    attempts: u64,
    last_ms: u64,
}

impl AccountFlow {
    /// An account limited only by its share of TPS.
    pub fn new(share: CoreShare, now_ms: u64) -> AccountFlow {
        AccountFlow {
            bucket: share.bucket(now_ms),
            senders: None,
            destinations: None,
            delay: None,
            attempts: 0,
            last_ms: now_ms,
        }
    }

    /// Adds a limit per `source_addr` (allocates the limiter now).
    pub fn with_sender_limit(mut self, limit: KeyedLimit) -> AccountFlow {
        self.senders = Some(KeyedLimiter::new(
            limit.keys_max,
            limit.rate_milli_per_s,
            limit.burst,
        ));
        self
    }

    /// Adds a limit per destination prefix of `prefix_size` digits (allocates the limiter now).
    pub fn with_destination_limit(mut self, limit: KeyedLimit, prefix_size: usize) -> AccountFlow {
        assert!(prefix_size >= 1);
        let limiter = KeyedLimiter::new(limit.keys_max, limit.rate_milli_per_s, limit.burst);
        self.destinations = Some((limiter, prefix_size));
        self
    }

    /// Holds responses instead of throttling, within `policy`'s bound.
    pub fn with_delayed_response(mut self, policy: DelayedResponse) -> AccountFlow {
        self.delay = Some(policy);
        self
    }

    /// Decides one submit from `source_addr` to `destination_addr` entering a path under
    /// `load` (module doc for the order of checks). Counts the attempt whatever the answer.
    pub fn admit(
        &mut self,
        now_ms: u64,
        source_addr: &[u8],
        destination_addr: &[u8],
        load: &Load,
    ) -> Admission {
        self.attempts = self.attempts.saturating_add(1);
        // One clock for every bucket, never behind the latest reading.
        self.last_ms = self.last_ms.max(now_ms);
        let now_ms = self.last_ms;
        if load.queue_full() {
            return Admission::QueueFull;
        }
        let sender = self
            .senders
            .as_mut()
            .map(|limiter| limiter.bucket(&AddressKey::new(source_addr), now_ms));
        let destination = self.destinations.as_mut().map(|(limiter, prefix_size)| {
            let key = AddressKey::prefix(destination_addr, *prefix_size);
            limiter.bucket(&key, now_ms)
        });
        let mut buckets = [Some(&mut self.bucket), sender, destination];

        let mut ready_ms = now_ms;
        for bucket in buckets.iter().flatten() {
            match bucket.next_ready_ms(now_ms) {
                Some(bucket_ready_ms) => ready_ms = ready_ms.max(bucket_ready_ms),
                None => return Admission::Throttle,
            }
        }
        if ready_ms == now_ms {
            for bucket in buckets.iter_mut().flatten() {
                let taken = bucket.try_take(now_ms);
                assert!(taken);
            }
            return Admission::Admit;
        }
        match self.delay {
            Some(policy) if ready_ms - now_ms <= policy.hold_max_ms() => {
                for bucket in buckets.iter_mut().flatten() {
                    let reserved = bucket.reserve(now_ms, ready_ms - now_ms);
                    assert!(reserved.is_some_and(|at_ms| at_ms <= ready_ms));
                }
                Admission::Hold {
                    respond_at_ms: ready_ms,
                }
            }
            // Either way: no policy, or a wait past its bound.
            Some(_) | None => Admission::Throttle,
        }
    }

    /// Moves the account's bucket to a new share (credit kept, capped at the new burst).
    pub fn apply_share(&mut self, share: CoreShare, now_ms: u64) {
        self.last_ms = self.last_ms.max(now_ms);
        share.apply(&mut self.bucket, self.last_ms);
    }

    /// Submits seen since the last call (admitted and refused), for [`super::rebalance`]; resets
    /// the count.
    pub fn take_attempts(&mut self) -> u64 {
        std::mem::take(&mut self.attempts)
    }

    /// The account's bucket on this core.
    pub fn bucket(&self) -> &TokenBucket {
        &self.bucket
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Load = Load {
        queue_len: 0,
        queue_max: 10,
        window_used: 0,
        window_max: 64,
    };

    fn flow(tps: u64) -> AccountFlow {
        AccountFlow::new(CoreShare::even(tps, 1, 0), 0)
    }

    // Proves the wire mapping: SMPP 0x58 for throttle and 0x14 for a full queue, CMPP Result 8
    // for both, and OK for accepted submits (held ones included).
    #[test]
    fn admissions_map_to_wire_statuses() {
        assert_eq!(Admission::Admit.status(), CommandStatus::ESME_ROK);
        assert_eq!(Admission::Throttle.status().0, 0x58);
        assert_eq!(Admission::QueueFull.status().0, 0x14);
        let hold = Admission::Hold { respond_at_ms: 5 };
        assert_eq!(hold.status(), CommandStatus::ESME_ROK);
        assert_eq!(Admission::Admit.cmpp_result(), SubmitResult::OK);
        assert_eq!(hold.cmpp_result(), SubmitResult::OK);
        assert_eq!(Admission::Throttle.cmpp_result().0, 8);
        assert_eq!(Admission::QueueFull.cmpp_result().0, 8);
        assert!(hold.is_accepted());
        assert!(!Admission::QueueFull.is_accepted());
    }

    // Proves an account is throttled past its burst and admitted again after a refill.
    #[test]
    fn submit_over_account_tps_is_throttled() {
        let mut flow = flow(2);
        assert_eq!(flow.admit(0, b"1", b"2", &OPEN), Admission::Admit);
        assert_eq!(flow.admit(0, b"1", b"2", &OPEN), Admission::Admit);
        assert_eq!(flow.admit(0, b"1", b"2", &OPEN), Admission::Throttle);
        assert_eq!(flow.admit(500, b"1", b"2", &OPEN), Admission::Admit);
        assert_eq!(flow.take_attempts(), 4);
        assert_eq!(flow.take_attempts(), 0);
    }

    // Proves a full queue answers QueueFull before any bucket is spent.
    #[test]
    fn submit_into_full_queue_spends_no_tokens() {
        let mut flow = flow(1);
        let full = Load {
            queue_len: 10,
            ..OPEN
        };
        assert_eq!(flow.admit(0, b"1", b"2", &full), Admission::QueueFull);
        assert_eq!(flow.bucket().tokens(0), 1);
        assert_eq!(flow.admit(0, b"1", b"2", &OPEN), Admission::Admit);
    }

    // Proves keyed limits refuse without spending the account's token, and that a second
    // sender is unaffected by the first one's limit.
    #[test]
    fn sender_limit_throttles_without_spending_account_tokens() {
        let limit = KeyedLimit {
            keys_max: 4,
            rate_milli_per_s: 1_000,
            burst: 1,
        };
        let mut flow = flow(100).with_sender_limit(limit);
        assert_eq!(flow.admit(0, b"alice", b"2", &OPEN), Admission::Admit);
        assert_eq!(flow.admit(0, b"alice", b"2", &OPEN), Admission::Throttle);
        assert_eq!(flow.bucket().tokens(0), 99);
        assert_eq!(flow.admit(0, b"bob", b"2", &OPEN), Admission::Admit);
    }

    // Proves a destination-prefix limit groups numbers by prefix.
    #[test]
    fn destination_prefix_limit_groups_numbers() {
        let limit = KeyedLimit {
            keys_max: 4,
            rate_milli_per_s: 1_000,
            burst: 1,
        };
        let mut flow = flow(100).with_destination_limit(limit, 4);
        assert_eq!(flow.admit(0, b"s", b"254711", &OPEN), Admission::Admit);
        assert_eq!(flow.admit(0, b"s", b"254722", &OPEN), Admission::Throttle);
        assert_eq!(flow.admit(0, b"s", b"255711", &OPEN), Admission::Admit);
    }

    // Proves delayed responses hold until the latest bucket is ready, reserving in every bucket,
    // and throttle once the hold would pass its bound.
    #[test]
    fn delayed_account_is_held_until_every_limit_allows() {
        let limit = KeyedLimit {
            keys_max: 4,
            rate_milli_per_s: 2_000,
            burst: 1,
        };
        let mut flow = flow(10)
            .with_sender_limit(limit)
            .with_delayed_response(DelayedResponse::new(1_000));
        assert_eq!(flow.admit(0, b"a", b"2", &OPEN), Admission::Admit);
        // The sender refills every 500 ms, the account has tokens: held until 500.
        assert_eq!(
            flow.admit(0, b"a", b"2", &OPEN),
            Admission::Hold { respond_at_ms: 500 }
        );
        assert_eq!(
            flow.admit(0, b"a", b"2", &OPEN),
            Admission::Hold {
                respond_at_ms: 1_000
            }
        );
        assert_eq!(flow.admit(0, b"a", b"2", &OPEN), Admission::Throttle);
        // The account spent three of its ten tokens; only the sender borrowed ahead.
        assert_eq!(flow.bucket().tokens(0), 7);
    }

    // Proves a clock reading behind an earlier one is treated as the earlier one, so a bucket
    // that has tokens is not mistaken for one that must wait (10 TPS: 9 tokens left at 6000).
    #[test]
    fn backwards_clock_does_not_turn_admit_into_throttle() {
        let mut flow = flow(10);
        assert_eq!(flow.admit(6_000, b"1", b"2", &OPEN), Admission::Admit);
        assert_eq!(flow.admit(5_500, b"1", b"2", &OPEN), Admission::Admit);
        assert_eq!(flow.bucket().tokens(6_000), 8);
    }
}
