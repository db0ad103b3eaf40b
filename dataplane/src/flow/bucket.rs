//! The token bucket: a rate in tokens per second, a burst in tokens, and credit refilled from
//! `now_ms`.
//!
//! # Exact arithmetic
//!
//! Credit is kept in micro-tokens ([`MICROTOKENS_PER_TOKEN`] per token) and the rate in
//! milli-tokens per second. One milli-token per second is exactly one micro-token per
//! millisecond, so a refill is `elapsed_ms × rate_milli_per_s` micro-tokens: integer, exact, no
//! rounding carried between calls and no drift however the calls are spaced. The milli unit
//! also lets a core own a fraction of a token per second (an account of 1 TPS split over 8
//! cores is 125 milli-TPS per core; see [`super::share`]).
//!
//! # Invariants
//!
//! - `credit ≤ burst × MICROTOKENS_PER_TOKEN` (a bucket never holds more than its burst).
//! - `credit ≥ -DEBT_MAX`: credit goes below zero only through [`TokenBucket::reserve`], which
//!   borrows at most `rate × wait_max_ms` with `wait_max_ms ≤ RESPONSE_HOLD_MAX_MS`.
//! - Time never runs backwards inside the bucket: a `now_ms` earlier than the last one seen
//!   refills nothing and is otherwise treated as the last one.
//!
//! Credit past the burst is not kept: a full bucket earns nothing until a take makes room, as
//! in any token bucket. With a burst of 1 a client paced exactly at the rate therefore loses
//! the fraction of a token earned between the bucket filling and its next submit.
//!
//! Over any interval of `t` ms, a bucket that starts full admits at most
//! `rate × t / 1000 + burst` tokens (property-tested below), counting a reservation at the
//! time its token becomes available.

// HOT PATH: `try_take`, `try_take_n`, `reserve` and `next_ready_ms` allocate nothing, take no
// locks and log nothing; each is a handful of integer operations.

use super::delay::RESPONSE_HOLD_MAX_MS;

/// A token bucket on a caller-supplied millisecond clock.
///
/// Call contract: pass the same monotonic millisecond clock to every method; create the bucket
/// full with [`TokenBucket::new`] or [`TokenBucket::with_rate_milli`]; change the rate or burst
/// live with [`TokenBucket::set_rate`] / [`TokenBucket::set_burst`] (credit earned so far is
/// kept, at the old rate, and capped at the new burst).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    /// Refill rate in milli-tokens per second, which is micro-tokens per millisecond.
    rate_milli_per_s: u64,
    /// Capacity in whole tokens, at least 1.
    burst: u64,
    /// Micro-tokens available; negative while reservations are outstanding.
    credit: i64,
    /// The latest `now_ms` seen.
    last_ms: u64,
}

impl TokenBucket {
    /// Creates a full bucket refilling `rate_per_s` tokens per second and holding `burst`.
    ///
    /// Panics (a config bug, not traffic) when `rate_per_s > RATE_PER_S_MAX`, `burst == 0` or
    /// `burst > BURST_MAX`.
    pub fn new(rate_per_s: u64, burst: u64, now_ms: u64) -> TokenBucket {
        assert!(rate_per_s <= RATE_PER_S_MAX, "rate_per_s={rate_per_s}");
        TokenBucket::with_rate_milli(rate_per_s * 1_000, burst, now_ms)
    }

    /// Creates a full bucket refilling `rate_milli_per_s` thousandths of a token per second.
    pub fn with_rate_milli(rate_milli_per_s: u64, burst: u64, now_ms: u64) -> TokenBucket {
        assert!(
            rate_milli_per_s <= RATE_MILLI_PER_S_MAX,
            "rate_milli_per_s={rate_milli_per_s}"
        );
        assert!(burst >= 1);
        assert!(burst <= BURST_MAX, "burst={burst}");
        TokenBucket {
            rate_milli_per_s,
            burst,
            credit: capacity(burst),
            last_ms: now_ms,
        }
    }

    /// Takes one token if one is available at `now_ms`.
    pub fn try_take(&mut self, now_ms: u64) -> bool {
        self.try_take_n(1, now_ms)
    }

    /// Takes `count` tokens at once if all are available at `now_ms`; takes none otherwise.
    /// A `count` above the burst can never succeed and returns false.
    pub fn try_take_n(&mut self, count: u64, now_ms: u64) -> bool {
        self.refill(now_ms);
        if count > self.burst {
            return false;
        }
        // count ≤ burst ≤ BURST_MAX, so the product fits an i64 (asserted at the bottom).
        let need = count as i64 * MICROTOKENS_PER_TOKEN;
        if self.credit < need {
            return false;
        }
        self.credit -= need;
        self.check_invariants();
        true
    }

    /// The earliest time at or after `now_ms` when one token is available, or `None` when that
    /// never happens (rate 0 and no credit). Does not change the bucket.
    pub fn next_ready_ms(&self, now_ms: u64) -> Option<u64> {
        let now_ms = now_ms.max(self.last_ms);
        let credit = self.credit_at(now_ms);
        if credit >= MICROTOKENS_PER_TOKEN {
            return Some(now_ms);
        }
        if self.rate_milli_per_s == 0 {
            return None;
        }
        // missing > 0 and ≤ 1 token + DEBT_MAX, far inside u64.
        let missing = (MICROTOKENS_PER_TOKEN - credit) as u64;
        Some(now_ms + missing.div_ceil(self.rate_milli_per_s))
    }

    /// Takes one token now, or borrows the next one to become available if that happens within
    /// `wait_max_ms`, and returns when it is (or was) available; `None` (nothing taken) when it
    /// would take longer. Borrowed tokens leave the credit negative, so later takes and
    /// reservations queue behind them in order.
    ///
    /// Panics when `wait_max_ms > RESPONSE_HOLD_MAX_MS` (a caller bug: the debt bound rests
    /// on it).
    pub fn reserve(&mut self, now_ms: u64, wait_max_ms: u64) -> Option<u64> {
        assert!(
            wait_max_ms <= RESPONSE_HOLD_MAX_MS,
            "wait_max_ms={wait_max_ms}"
        );
        self.refill(now_ms);
        let ready_ms = self.next_ready_ms(now_ms)?;
        let now_ms = self.last_ms;
        if ready_ms - now_ms > wait_max_ms {
            return None;
        }
        self.credit -= MICROTOKENS_PER_TOKEN;
        self.check_invariants();
        Some(ready_ms)
    }

    /// Changes the rate from `now_ms` on. Credit earned up to `now_ms` is kept (earned at the old
    /// rate), so a live change neither forgives debt nor grants a fresh burst.
    pub fn set_rate(&mut self, rate_per_s: u64, now_ms: u64) {
        assert!(rate_per_s <= RATE_PER_S_MAX, "rate_per_s={rate_per_s}");
        self.set_rate_milli(rate_per_s * 1_000, now_ms);
    }

    /// [`TokenBucket::set_rate`] in milli-tokens per second.
    pub fn set_rate_milli(&mut self, rate_milli_per_s: u64, now_ms: u64) {
        assert!(
            rate_milli_per_s <= RATE_MILLI_PER_S_MAX,
            "rate_milli_per_s={rate_milli_per_s}"
        );
        self.refill(now_ms);
        self.rate_milli_per_s = rate_milli_per_s;
        self.check_invariants();
    }

    /// Changes the burst from `now_ms` on; credit above the new burst is dropped, credit below
    /// it (or debt) is kept.
    pub fn set_burst(&mut self, burst: u64, now_ms: u64) {
        assert!(burst >= 1);
        assert!(burst <= BURST_MAX, "burst={burst}");
        self.refill(now_ms);
        self.burst = burst;
        self.credit = self.credit.min(capacity(burst));
        self.check_invariants();
    }

    /// The refill rate in milli-tokens per second.
    pub fn rate_milli_per_s(&self) -> u64 {
        self.rate_milli_per_s
    }

    /// The capacity in whole tokens.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// Whole tokens available at `now_ms` (0 while in debt). Does not change the bucket.
    pub fn tokens(&self, now_ms: u64) -> u64 {
        let credit = self.credit_at(now_ms.max(self.last_ms));
        // credit ≥ 0 here, so the cast keeps the value.
        (credit.max(0) / MICROTOKENS_PER_TOKEN) as u64
    }

    /// True when the bucket is full at `now_ms`: it then behaves exactly like a new bucket, so
    /// forgetting it loses nothing (see [`super::keyed`]).
    pub fn is_full(&self, now_ms: u64) -> bool {
        self.credit_at(now_ms.max(self.last_ms)) == capacity(self.burst)
    }

    /// Adds the credit earned between the last call and `now_ms`, capped at the burst.
    fn refill(&mut self, now_ms: u64) {
        if now_ms <= self.last_ms {
            return;
        }
        self.credit = self.credit_at(now_ms);
        self.last_ms = now_ms;
        self.check_invariants();
    }

    /// The credit at `now_ms ≥ last_ms`, without storing it.
    fn credit_at(&self, now_ms: u64) -> i64 {
        let elapsed_ms = now_ms - self.last_ms;
        let cap = capacity(self.burst);
        // credit ≤ cap (invariant), so room ≥ 0; saturating_mul keeps a clock jump of years
        // from overflowing before the cap applies.
        let room = (cap - self.credit) as u64;
        let earned = elapsed_ms.saturating_mul(self.rate_milli_per_s).min(room);
        // earned ≤ room ≤ cap + DEBT_MAX < i64::MAX.
        self.credit + earned as i64
    }

    fn check_invariants(&self) {
        assert!(
            self.credit <= capacity(self.burst),
            "credit={}",
            self.credit
        );
        assert!(self.credit >= -DEBT_MAX, "credit={}", self.credit);
    }
}

/// Micro-tokens in one token: the unit of [`TokenBucket`]'s credit.
pub const MICROTOKENS_PER_TOKEN: i64 = 1_000_000;

/// Highest rate a bucket accepts, in tokens per second.
///
/// Cost: none (the rate is one integer). At the bound: a construction or `set_rate` above it is
/// a caller bug and panics; config validation (`account.tps`, `connector.tps`, at most
/// 1,000,000) keeps traffic-driven values below it. Why: equal to the config's TPS ceiling,
/// far above one node's capacity, and small enough that `rate × hold` debt stays exact in i64.
pub const RATE_PER_S_MAX: u64 = 1_000_000;

/// [`RATE_PER_S_MAX`] in milli-tokens per second.
pub const RATE_MILLI_PER_S_MAX: u64 = RATE_PER_S_MAX * 1_000;

/// Largest burst a bucket accepts, in tokens.
///
/// Cost: none. At the bound: construction above it panics (a caller bug). Why: one second of
/// the highest rate; a larger burst would let a key or account send more than a second's worth
/// at once, which no contract wants.
pub const BURST_MAX: u64 = RATE_PER_S_MAX;

/// The deepest debt reservations can leave: the highest rate for the longest hold.
const DEBT_MAX: i64 = (RATE_MILLI_PER_S_MAX * RESPONSE_HOLD_MAX_MS) as i64;

fn capacity(burst: u64) -> i64 {
    // burst ≤ BURST_MAX, so this fits (asserted below).
    burst as i64 * MICROTOKENS_PER_TOKEN
}

// A full bucket plus the deepest debt, and one token more, must fit an i64 so no credit
// arithmetic can overflow.
const _: () = assert!(
    (BURST_MAX as i128 + 1) * MICROTOKENS_PER_TOKEN as i128 + DEBT_MAX as i128 <= i64::MAX as i128
);
// The highest rate times the longest hold fits the i64 debt bound without truncation.
const _: () =
    assert!((RATE_MILLI_PER_S_MAX as u128) * (RESPONSE_HOLD_MAX_MS as u128) < i64::MAX as u128);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Proves a new bucket holds its burst and then admits exactly one token per 1000/rate ms:
    // at 10 TPS, one token every 100 ms, none in between.
    #[test]
    fn full_bucket_admits_burst_then_refills_at_rate() {
        let mut bucket = TokenBucket::new(10, 3, 1_000);
        assert!(bucket.try_take(1_000));
        assert!(bucket.try_take(1_000));
        assert!(bucket.try_take(1_000));
        assert!(!bucket.try_take(1_000));
        assert!(!bucket.try_take(1_099));
        assert!(bucket.try_take(1_100));
        assert!(!bucket.try_take(1_199));
        assert!(bucket.try_take(1_200));
    }

    // Proves there is no drift: 1 TPS (burst 2, so the bucket never overflows between polls)
    // polled every 7 ms, a step that does not divide 1000, admits exactly one token per 1000 ms
    // over a long run, each at the first poll after its whole second.
    #[test]
    fn refill_is_exact_under_uneven_polling() {
        let mut bucket = TokenBucket::new(1, 2, 0);
        assert!(bucket.try_take_n(2, 0));
        let mut admitted = 0;
        let mut now_ms = 0;
        while now_ms <= 700_000 {
            if bucket.try_take(now_ms) {
                admitted += 1;
                assert!(now_ms % 1_000 < 7, "now_ms={now_ms}");
            }
            now_ms += 7;
        }
        assert_eq!(admitted, 700);
    }

    // Proves a full bucket earns nothing: at 1 TPS with burst 1, the half second spent full
    // between 1000 and 1500 ms is not credited, so the next token comes at 2500 ms.
    #[test]
    fn full_bucket_earns_nothing() {
        let mut bucket = TokenBucket::new(1, 1, 0);
        assert!(bucket.try_take(0));
        assert!(bucket.try_take(1_500));
        assert_eq!(bucket.next_ready_ms(1_500), Some(2_500));
    }

    // Proves a fractional rate (250 milli-TPS) yields a token every 4 s exactly.
    #[test]
    fn fractional_rate_refills_one_token_per_four_seconds() {
        let mut bucket = TokenBucket::with_rate_milli(250, 1, 0);
        assert!(bucket.try_take(0));
        assert_eq!(bucket.next_ready_ms(0), Some(4_000));
        assert!(!bucket.try_take(3_999));
        assert!(bucket.try_take(4_000));
    }

    // Proves try_take_n is all-or-nothing and that a count above the burst never succeeds.
    #[test]
    fn try_take_n_takes_all_or_nothing() {
        let mut bucket = TokenBucket::new(100, 5, 0);
        assert!(!bucket.try_take_n(6, 1_000_000));
        assert!(bucket.try_take_n(4, 0));
        assert!(!bucket.try_take_n(2, 0));
        assert_eq!(bucket.tokens(0), 1);
        assert!(bucket.try_take_n(1, 0));
    }

    // Proves next_ready_ms answers now when a token is there, the exact refill time otherwise,
    // and None when the rate is 0 and the bucket empty; and that it changes nothing.
    #[test]
    fn next_ready_ms_reports_refill_time() {
        let mut bucket = TokenBucket::new(3, 1, 0);
        assert_eq!(bucket.next_ready_ms(0), Some(0));
        assert!(bucket.try_take(0));
        // 1 token at 3 TPS = 333.33 ms, rounded up to the first whole ms with enough credit.
        assert_eq!(bucket.next_ready_ms(0), Some(334));
        assert_eq!(bucket.next_ready_ms(100), Some(334));
        assert!(!bucket.try_take(333));
        assert!(bucket.try_take(334));
        let mut stopped = TokenBucket::new(0, 1, 0);
        assert!(stopped.try_take(0));
        assert_eq!(stopped.next_ready_ms(1_000_000), None);
    }

    // Proves a clock that steps backwards earns nothing and takes nothing extra: credit is
    // neither lost nor doubled when time returns.
    #[test]
    fn backwards_clock_earns_nothing() {
        let mut bucket = TokenBucket::new(1, 1, 10_000);
        assert!(bucket.try_take(10_000));
        assert!(!bucket.try_take(5_000));
        assert!(!bucket.try_take(10_999));
        assert!(bucket.try_take(11_000));
    }

    // Proves a live rate change keeps credit earned at the old rate and earns at the new rate
    // from the change on, and that a lower burst caps credit while a higher one grants nothing.
    #[test]
    fn set_rate_and_burst_keep_credit_sane() {
        let mut bucket = TokenBucket::new(10, 10, 0);
        assert!(bucket.try_take_n(10, 0));
        // 500 ms at 10 TPS earns 5 tokens; then 1000 TPS from 500 ms on.
        bucket.set_rate(1_000, 500);
        assert_eq!(bucket.tokens(500), 5);
        assert_eq!(bucket.tokens(502), 7);
        bucket.set_burst(3, 502);
        assert_eq!(bucket.tokens(502), 3);
        bucket.set_burst(100, 502);
        assert_eq!(bucket.tokens(502), 3);
        assert_eq!(bucket.tokens(600), 100);
    }

    // Proves reserve borrows future tokens in order (each later reservation waits one more
    // refill period) and refuses once the wait would pass wait_max_ms, taking nothing then.
    #[test]
    fn reserve_queues_borrowed_tokens_up_to_wait_max() {
        let mut bucket = TokenBucket::new(10, 1, 0);
        assert_eq!(bucket.reserve(0, 250), Some(0));
        assert_eq!(bucket.reserve(0, 250), Some(100));
        assert_eq!(bucket.reserve(0, 250), Some(200));
        assert_eq!(bucket.reserve(0, 250), None);
        assert!(!bucket.try_take(250));
        // The debt is repaid by 300 ms: the bucket is back to earning from empty.
        assert!(bucket.try_take(300));
        assert!(!bucket.try_take(399));
    }

    // Proves a multi-year clock jump cannot overflow the refill: credit saturates at the burst.
    #[test]
    fn huge_clock_jump_saturates_at_burst() {
        let mut bucket = TokenBucket::new(RATE_PER_S_MAX, BURST_MAX, 0);
        assert!(bucket.try_take_n(BURST_MAX, 0));
        assert!(bucket.is_full(u64::MAX));
        assert!(bucket.try_take_n(BURST_MAX, u64::MAX));
        assert!(!bucket.try_take(u64::MAX));
    }

    proptest! {
        // Proves the rate bound over every window: for any run of takes and reservations at
        // arbitrary non-decreasing times, the tokens granted within any [a, b] never exceed
        // rate × (b - a) / 1000 + burst, a reservation counted at the time it is granted for.
        #[test]
        fn bucket_never_admits_more_than_rate_times_t_plus_burst(
            rate_milli_per_s in 0u64..=5_000_000,
            burst in 1u64..=50,
            steps in proptest::collection::vec((0u64..=400, 0u8..=3, 1u64..=4), 1..300),
        ) {
            let mut bucket = TokenBucket::with_rate_milli(rate_milli_per_s, burst, 0);
            let mut now_ms = 0;
            let mut granted: Vec<u64> = Vec::new();
            for (advance_ms, op, count) in steps {
                now_ms += advance_ms;
                match op {
                    0 => if bucket.try_take(now_ms) { granted.push(now_ms) },
                    1 => if bucket.try_take_n(count, now_ms) {
                        granted.extend(std::iter::repeat_n(now_ms, count as usize));
                    },
                    2 => if let Some(at_ms) = bucket.reserve(now_ms, 1_000) {
                        prop_assert!(at_ms >= now_ms);
                        granted.push(at_ms);
                    },
                    _ => bucket.set_burst(burst, now_ms),
                }
            }
            granted.sort_unstable();
            // Every window [granted[first], granted[last]] holds last - first + 1 grants.
            for first in 0..granted.len() {
                for last in first..granted.len() {
                    let count = (last - first + 1) as u128;
                    let window_ms = u128::from(granted[last] - granted[first]);
                    let allowed_micro = window_ms * u128::from(rate_milli_per_s)
                        + u128::from(burst) * MICROTOKENS_PER_TOKEN as u128;
                    prop_assert!(
                        count * MICROTOKENS_PER_TOKEN as u128 <= allowed_micro,
                        "{} tokens in [{}, {}] ms", count, granted[first], granted[last]
                    );
                }
            }
        }

        // Proves a bucket drained every millisecond is not stingy either: taking whenever
        // possible for T ms yields exactly burst + ⌊rate × T / 1000⌋ tokens. The burst exceeds
        // one millisecond's earnings plus a token, so the bucket never fills between polls
        // (a full bucket earns nothing: full_bucket_earns_nothing).
        #[test]
        fn bucket_drained_every_ms_admits_exactly_rate_times_t(
            rate_per_s in 1u64..=2_000,
            burst_extra in 0u64..=20,
            duration_ms in 1u64..=5_000,
        ) {
            let burst = 2 + rate_per_s / 1_000 + burst_extra;
            let mut bucket = TokenBucket::new(rate_per_s, burst, 0);
            let mut admitted = 0u64;
            for now_ms in 0..=duration_ms {
                while bucket.try_take(now_ms) {
                    admitted += 1;
                }
            }
            prop_assert_eq!(admitted, rate_per_s * duration_ms / 1_000 + burst);
        }
    }
}
