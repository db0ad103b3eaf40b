//! The `--rate N` pacer of `load`: a token bucket per bind thread, on a clock the caller passes.
//!
//! A run's rate is split over its B bind threads with [`Pacer::split`]: each gets `rate / B`
//! messages per second and the first `rate % B` threads one more, so the sum is exactly `rate`.
//! Each thread's bucket holds at most `max(1, thread_rate / 100)` tokens (10 ms worth), so a
//! thread that fell behind catches up by at most that burst instead of flooding the peer.
//!
//! The bucket is kept as a theoretical arrival time (GCRA) in units of nanoseconds × rate, so
//! the arithmetic is exact integers: there is no rounding drift however long the run.
//! Time comes in as `now`, a monotonic [`Duration`] since the start of the run; nothing here
//! reads a clock or sleeps.

use std::num::NonZeroU64;
use std::time::Duration;

use thiserror::Error;

/// Why a rate cannot be split over the bind threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PaceError {
    /// Fewer messages per second than threads: some thread would never send.
    #[error("--rate {rate} is below --binds {binds}: each bind needs at least 1 msg/s")]
    RateBelowBinds {
        /// The rate asked for.
        rate: u64,
        /// The bind threads.
        binds: usize,
    },
    /// No threads to split over.
    #[error("--binds must be at least 1")]
    NoBinds,
}

/// One thread's rate limiter.
///
/// Call contract: before each submit, call [`Pacer::try_take`] with the current time; when it
/// says no, wait [`Pacer::next_ready`] (or do other work: read responses) and try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    bucket: Option<Bucket>,
}

impl Pacer {
    /// A pacer allowing `rate_per_s` messages per second, or any number when `None`.
    pub fn new(rate_per_s: Option<NonZeroU64>) -> Pacer {
        Pacer {
            bucket: rate_per_s.map(Bucket::new),
        }
    }

    /// One pacer per bind thread whose rates sum to `rate_per_s` (all unlimited when `None`).
    pub fn split(rate_per_s: Option<u64>, binds: usize) -> Result<Vec<Pacer>, PaceError> {
        if binds == 0 {
            return Err(PaceError::NoBinds);
        }
        let Some(rate) = rate_per_s else {
            return Ok(vec![Pacer::new(None); binds]);
        };
        let binds_u64 = u64::try_from(binds).unwrap_or(u64::MAX);
        let share = rate / binds_u64;
        let remainder = rate % binds_u64;
        let share = NonZeroU64::new(share).ok_or(PaceError::RateBelowBinds { rate, binds })?;
        let pacers: Vec<Pacer> = (0..binds_u64)
            .map(|index| {
                let extra = u64::from(index < remainder);
                Pacer::new(Some(share.saturating_add(extra)))
            })
            .collect();
        debug_assert_eq!(
            pacers.iter().filter_map(Pacer::rate_per_s).sum::<u64>(),
            rate
        );
        Ok(pacers)
    }

    /// The rate this pacer allows, `None` when unlimited.
    pub fn rate_per_s(&self) -> Option<u64> {
        self.bucket.as_ref().map(|bucket| bucket.rate_per_s)
    }

    /// Tokens the bucket may hold at once (1 when unlimited, meaning no burst limit applies).
    pub fn burst(&self) -> u64 {
        self.bucket.as_ref().map_or(1, |bucket| bucket.burst)
    }

    /// Takes one token if one is available at `now`; false means "not yet".
    pub fn try_take(&mut self, now: Duration) -> bool {
        match &mut self.bucket {
            None => true,
            Some(bucket) => bucket.try_take(now),
        }
    }

    /// How long after `now` one token will be available (zero when one is).
    pub fn next_ready(&self, now: Duration) -> Duration {
        match &self.bucket {
            None => Duration::ZERO,
            Some(bucket) => bucket.next_ready(now),
        }
    }
}

/// GCRA state: a token is available at `now` when `tat - tolerance <= now` (all scaled by rate).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bucket {
    rate_per_s: u64,
    burst: u64,
    /// Theoretical arrival time of the next token, in nanoseconds × rate.
    tat: u128,
    /// How far ahead of `now` the arrival time may run: (burst - 1) emission intervals.
    tolerance: u128,
}

impl Bucket {
    fn new(rate_per_s: NonZeroU64) -> Bucket {
        let rate_per_s = rate_per_s.get();
        let burst = (rate_per_s / BURST_DIVISOR).max(1);
        Bucket {
            rate_per_s,
            burst,
            tat: 0,
            tolerance: u128::from(burst - 1) * NANOS_PER_S,
        }
    }

    fn scaled(&self, now: Duration) -> u128 {
        now.as_nanos() * u128::from(self.rate_per_s)
    }

    fn try_take(&mut self, now: Duration) -> bool {
        let now = self.scaled(now);
        if self.tat > now + self.tolerance {
            return false;
        }
        // One emission interval is 1 s / rate, i.e. NANOS_PER_S in scaled units.
        self.tat = self.tat.max(now) + NANOS_PER_S;
        true
    }

    fn next_ready(&self, now: Duration) -> Duration {
        let now = self.scaled(now);
        let ready_at = self.tat.saturating_sub(self.tolerance);
        if ready_at <= now {
            return Duration::ZERO;
        }
        let wait_nanos = (ready_at - now).div_ceil(u128::from(self.rate_per_s));
        Duration::from_nanos(u64::try_from(wait_nanos).unwrap_or(u64::MAX))
    }
}

const NANOS_PER_S: u128 = 1_000_000_000;

/// The burst is the rate over this divisor: 10 ms worth of tokens.
const BURST_DIVISOR: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    fn rate(value: u64) -> Option<NonZeroU64> {
        NonZeroU64::new(value)
    }

    /// Counts tokens taken while stepping a fake clock from `start` to `end` in `step`s.
    fn take_all(pacer: &mut Pacer, start: Duration, end: Duration, step: Duration) -> u64 {
        let mut taken = 0;
        let mut now = start;
        while now < end {
            while pacer.try_take(now) {
                taken += 1;
                assert!(taken < 10_000_000, "runaway pacer");
            }
            now += step;
        }
        taken
    }

    #[test]
    fn unlimited_always_allows() {
        // Proves `None` never refuses and never asks to wait.
        let mut pacer = Pacer::new(None);
        for _ in 0..1_000 {
            assert!(pacer.try_take(Duration::ZERO));
        }
        assert_eq!(pacer.next_ready(Duration::ZERO), Duration::ZERO);
        assert_eq!(pacer.rate_per_s(), None);
    }

    #[test]
    fn rate_one_allows_one_per_second() {
        // Proves a 1 msg/s pacer (burst 1) allows one at t=0, refuses until t=1 s, says exactly
        // how long to wait, and allows again at t=1 s.
        let mut pacer = Pacer::new(rate(1));
        assert_eq!(pacer.burst(), 1);
        assert!(pacer.try_take(Duration::ZERO));
        assert!(!pacer.try_take(ms(999)));
        assert_eq!(pacer.next_ready(ms(250)), ms(750));
        assert!(pacer.try_take(ms(1_000)));
        assert!(!pacer.try_take(ms(1_000)));
    }

    #[test]
    fn rate_holds_over_time_without_drift() {
        // Proves the long-run count equals rate × time for a rate that does not divide 10^9
        // nanoseconds (3 msg/s, 333,333,333.3 ns apart): a caller that sleeps exactly
        // `next_ready` gets 300 tokens in [0, 100 s), with no rounding loss.
        let mut pacer = Pacer::new(rate(3));
        let end = Duration::from_secs(100);
        let mut now = Duration::ZERO;
        let mut taken = 0;
        for _ in 0..1_000 {
            if now >= end {
                break;
            }
            if pacer.try_take(now) {
                taken += 1;
            }
            now += pacer.next_ready(now);
        }
        assert!(now >= end);
        assert_eq!(taken, 300);
    }

    #[test]
    fn late_caller_loses_at_most_its_lateness() {
        // Proves a caller polling every 1 ms at 3 msg/s (so up to 1 ms late per token, with a
        // burst of 1) still gets at least 299 of 300 tokens in 100 s, and never more than 300.
        let mut pacer = Pacer::new(rate(3));
        let taken = take_all(&mut pacer, Duration::ZERO, Duration::from_secs(100), ms(1));
        assert!((299..=300).contains(&taken), "taken={taken}");
    }

    #[test]
    fn burst_is_capped_at_one_percent_of_rate() {
        // Proves a 10,000 msg/s pacer idle for 5 s allows a burst of exactly 100 (rate / 100),
        // not 50,000, and then one token per 100 µs.
        let mut pacer = Pacer::new(rate(10_000));
        assert_eq!(pacer.burst(), 100);
        let idle_until = Duration::from_secs(5);
        let mut burst = 0;
        while pacer.try_take(idle_until) {
            burst += 1;
            assert!(burst <= 1_000);
        }
        assert_eq!(burst, 100);
        assert_eq!(pacer.next_ready(idle_until), Duration::from_micros(100));
        assert!(pacer.try_take(idle_until + Duration::from_micros(100)));
    }

    #[test]
    fn split_spreads_the_remainder() {
        // Proves 10 msg/s over 3 binds is 4 + 3 + 3, that the sum is the rate, and that no rate
        // gives unlimited pacers.
        let pacers = Pacer::split(Some(10), 3).unwrap();
        let rates: Vec<_> = pacers.iter().map(Pacer::rate_per_s).collect();
        assert_eq!(rates, [Some(4), Some(3), Some(3)]);
        let unlimited = Pacer::split(None, 2).unwrap();
        assert!(unlimited.iter().all(|pacer| pacer.rate_per_s().is_none()));
    }

    #[test]
    fn split_refuses_rates_below_binds_and_zero_binds() {
        // Proves the operator errors: a thread would get 0 msg/s, or there are no threads.
        assert_eq!(
            Pacer::split(Some(3), 4),
            Err(PaceError::RateBelowBinds { rate: 3, binds: 4 })
        );
        assert_eq!(Pacer::split(Some(3), 0), Err(PaceError::NoBinds));
    }

    #[test]
    fn split_pacers_together_hold_the_rate() {
        // Proves four threads sharing 1,000 msg/s send 10,000 (+ their initial bursts) in 10 s
        // of fake time.
        let mut pacers = Pacer::split(Some(1_000), 4).unwrap();
        let total: u64 = pacers
            .iter_mut()
            .map(|pacer| take_all(pacer, Duration::ZERO, Duration::from_secs(10), ms(1)))
            .sum();
        let bursts: u64 = pacers.iter().map(Pacer::burst).sum();
        assert_eq!(total, 10_000 + bursts - 4);
    }
}
