//! An account's TPS shared by the cores without locks: each core owns a [`CoreShare`] (a rate
//! and burst for its own [`TokenBucket`]), and the shares always sum to the account's rate.
//!
//! # Even split
//!
//! At start and after a config change, [`CoreShare::even`] splits `tps × 1000` milli-TPS over
//! the cores: each gets the quotient, and the remainder goes one milli-TPS each to the lowest
//! core indexes. Because shares are in milli-TPS, a rate below the core count still reaches
//! every core (1 TPS over 8 cores is 125 milli-TPS each: one submit per 8 s per core), and the
//! account never exceeds its rate: the shares sum to exactly `tps × 1000`.
//!
//! # Rebalancing
//!
//! An even split strands rate on cores where the account has no binds. The hook:
//! 1. Each core counts the account's submit attempts (admitted and refused) on its own
//!    ([`super::AccountFlow::take_attempts`]); no shared counter, no atomics on the hot path.
//! 2. Every rebalance period (about a second; the caller's timer) the counts reach one
//!    coordinator (core 0 or the agent thread) over the existing SPSC rings, converted with
//!    [`demand_per_s`].
//! 3. The coordinator calls the pure function [`rebalance`] and sends each core its new share,
//!    which the core applies between loop iterations with [`CoreShare::apply`].
//!
//! [`rebalance`] keeps a floor on every core (together `1 / SHARE_FLOOR_DIVISOR` of the rate, so
//! an SP that binds on a new core is served at once, and that core's attempts show up as demand
//! in the next period), then water-fills the rest: cores wanting less than an equal part get
//! what they want, the others split what is left equally (max-min fairness). Rate nobody wants
//! is spread evenly so any core can grow into it. An account bound on one core thus gets
//! `tps × (1 - (C-1) / (C × SHARE_FLOOR_DIVISOR))` there, over 98.4% of its TPS.
//!
//! Transient bound: after a rebalance each core keeps the credit it had (capped at its new
//! burst), so in the period after a change the account may briefly admit up to the sum of the
//! old and new bursts; the long-run rate is exact.
//!
//! Cost of [`rebalance`]: one sort of at most [`CORES_MAX`] core indexes, on the stack; no
//! allocation.

use super::TokenBucket;
use super::bucket::RATE_PER_S_MAX;

/// Most cores an account's rate is split over: the message id layout's core limit, which is
/// also the config's `node.cores` ceiling. [`rebalance`] keeps a `[u16; CORES_MAX]` (512 bytes)
/// on the stack; more cores is a caller bug and panics.
pub use crate::ids::CORES_MAX;

/// One core's part of an account's rate: a rate in milli-TPS and the burst that goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreShare {
    rate_milli_per_s: u64,
    burst: u64,
}

impl CoreShare {
    /// Core `core_index`'s part of `tps` split evenly over `core_count` cores.
    ///
    /// Panics when `core_count` is 0 or over [`CORES_MAX`], `core_index ≥ core_count`, or
    /// `tps > RATE_PER_S_MAX` (caller bugs; config validation bounds all three).
    pub fn even(tps: u64, core_count: usize, core_index: usize) -> CoreShare {
        assert!(core_count >= 1);
        assert!(core_count <= CORES_MAX, "core_count={core_count}");
        assert!(core_index < core_count, "core_index={core_index}");
        assert!(tps <= RATE_PER_S_MAX, "tps={tps}");
        let total = tps * 1_000;
        let cores = core_count as u64;
        let extra = u64::from((core_index as u64) < total % cores);
        CoreShare::from_rate_milli(total / cores + extra)
    }

    /// A share of `rate_milli_per_s`, with a burst of [`SHARE_BURST_WINDOW_MS`] of that rate
    /// and at least one token (a bucket that can never hold a token would refuse everything).
    pub fn from_rate_milli(rate_milli_per_s: u64) -> CoreShare {
        let burst = (rate_milli_per_s * SHARE_BURST_WINDOW_MS / 1_000_000).max(1);
        CoreShare {
            rate_milli_per_s,
            burst,
        }
    }

    /// The rate in milli-TPS.
    pub fn rate_milli_per_s(self) -> u64 {
        self.rate_milli_per_s
    }

    /// The burst in tokens.
    pub fn burst(self) -> u64 {
        self.burst
    }

    /// A full bucket for this share.
    pub fn bucket(self, now_ms: u64) -> TokenBucket {
        TokenBucket::with_rate_milli(self.rate_milli_per_s, self.burst, now_ms)
    }

    /// Moves `bucket` to this share live: credit earned so far is kept, capped at the new burst.
    pub fn apply(self, bucket: &mut TokenBucket, now_ms: u64) {
        bucket.set_rate_milli(self.rate_milli_per_s, now_ms);
        bucket.set_burst(self.burst, now_ms);
    }
}

/// Computes new per-core shares of `tps` from each core's recent demand.
///
/// `demand_per_s[i]` is core `i`'s submits per second over the last period (admitted plus
/// refused; see [`demand_per_s`]); `shares_milli_per_s[i]` receives core `i`'s new rate in
/// milli-TPS (turn it into a [`CoreShare`] with [`CoreShare::from_rate_milli`]). The shares sum
/// to exactly `tps × 1000`, each is at least `tps × 1000 / (C × SHARE_FLOOR_DIVISOR)`, and the
/// split is max-min fair over demand above the floor (module doc). Pure and deterministic.
///
/// Panics when the slices differ in length, are empty or longer than [`CORES_MAX`], or
/// `tps > RATE_PER_S_MAX`.
pub fn rebalance(tps: u64, demand_per_s: &[u64], shares_milli_per_s: &mut [u64]) {
    let core_count = demand_per_s.len();
    assert!(core_count >= 1);
    assert!(core_count <= CORES_MAX, "core_count={core_count}");
    assert_eq!(shares_milli_per_s.len(), core_count);
    assert!(tps <= RATE_PER_S_MAX, "tps={tps}");
    let total = tps * 1_000;
    let cores = core_count as u64;
    let floor = total / (cores * SHARE_FLOOR_DIVISOR);
    shares_milli_per_s.fill(floor);
    let mut pool = total - floor * cores;

    // Demand beyond the floor, in milli-TPS; saturating, since demand is a measurement.
    let need = |index: usize| {
        demand_per_s[index]
            .saturating_mul(1_000)
            .saturating_sub(floor)
    };
    // Serve the smallest needs first: each gets its need while that is at most an equal part
    // of what is left; from the first that wants more, everyone left gets the equal part.
    let mut order = [0u16; CORES_MAX];
    for (index, slot) in order[..core_count].iter_mut().enumerate() {
        // core_count ≤ CORES_MAX ≤ u16::MAX + 1, so the index fits.
        *slot = index as u16;
    }
    let order = &mut order[..core_count];
    order.sort_unstable_by_key(|&index| (need(usize::from(index)), index));
    let mut position = 0;
    while position < core_count {
        let index = usize::from(order[position]);
        let left = (core_count - position) as u64;
        if need(index) > pool / left {
            break;
        }
        shares_milli_per_s[index] += need(index);
        pool -= need(index);
        position += 1;
    }
    let capped = &order[position..];
    if capped.is_empty() {
        spread(pool, order, shares_milli_per_s);
    } else {
        spread(pool, capped, shares_milli_per_s);
    }

    debug_assert_eq!(shares_milli_per_s.iter().sum::<u64>(), total);
    assert!(shares_milli_per_s.iter().all(|&share| share >= floor));
}

/// Converts `attempts` counted over `period_ms` into submits per second, rounding up so any
/// activity at all counts as demand.
pub fn demand_per_s(attempts: u64, period_ms: u64) -> u64 {
    assert!(period_ms >= 1);
    attempts.saturating_mul(1_000).div_ceil(period_ms)
}

/// Adds `pool` to the shares of `cores` as evenly as integers allow: the quotient to each,
/// one more to the first `pool % len` of them.
fn spread(pool: u64, cores: &[u16], shares_milli_per_s: &mut [u64]) {
    let count = cores.len() as u64;
    assert!(count >= 1);
    for (position, &index) in cores.iter().enumerate() {
        let extra = u64::from((position as u64) < pool % count);
        shares_milli_per_s[usize::from(index)] += pool / count + extra;
    }
}

/// Each core's floor in [`rebalance`] is `1 / (cores × SHARE_FLOOR_DIVISOR)` of the rate: all
/// floors together are `1 / SHARE_FLOOR_DIVISOR`.
///
/// Why 64: 1.6% of the rate stays spread for cores that see a first submit, enough for an SP
/// that binds on a new core to get answers at once, small enough that one hot core keeps over
/// 98% of its account's TPS.
pub const SHARE_FLOOR_DIVISOR: u64 = 64;

/// A share's burst is this many milliseconds of its rate (at least one token).
///
/// Why one second: "N TPS" contracts are counted per second, so a client that sends its second's
/// worth at once is within contract; across all cores the account's burst is at most
/// `tps + cores` tokens (each core rounds a sub-token burst up to one).
pub const SHARE_BURST_WINDOW_MS: u64 = 1_000;

// Milli-TPS at the highest rate times the burst window stays far inside a u64.
const _: () = assert!(RATE_PER_S_MAX * 1_000 * SHARE_BURST_WINDOW_MS < u64::MAX / 2);
// The floor is a strict fraction of the rate.
const _: () = assert!(SHARE_FLOOR_DIVISOR >= 2);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Proves the even split sums to the rate exactly, spreads the remainder to the lowest
    // indexes, and gives every core a positive share even when the rate is below the core
    // count (3 TPS over 8 cores: 375 milli-TPS each).
    #[test]
    fn even_split_sums_exactly_and_covers_rates_below_core_count() {
        let shares: Vec<u64> = (0..3)
            .map(|index| CoreShare::even(1_000, 3, index).rate_milli_per_s())
            .collect();
        assert_eq!(shares, [333_334, 333_333, 333_333]);
        let small: Vec<CoreShare> = (0..8).map(|index| CoreShare::even(3, 8, index)).collect();
        assert!(small.iter().all(|share| share.rate_milli_per_s() == 375));
        assert!(small.iter().all(|share| share.burst() == 1));
        assert_eq!(CoreShare::even(1_000, 3, 0).burst(), 333);
    }

    // Proves an account bound on one core gets almost all of its TPS there after one
    // rebalance, and that the idle cores keep exactly their floor.
    #[test]
    fn rebalance_gives_a_single_hot_core_almost_everything() {
        let mut shares = [0u64; 4];
        rebalance(1_000, &[0, 0, 5_000, 0], &mut shares);
        let floor = 1_000_000 / (4 * SHARE_FLOOR_DIVISOR);
        assert_eq!(shares, [floor, floor, 1_000_000 - 3 * floor, floor]);
        assert!(shares[2] * 1_000 > 1_000_000 * 984);
    }

    // Proves max-min fairness: a core wanting little gets what it wants and the two hungry
    // cores split the rest equally.
    #[test]
    fn rebalance_serves_small_demand_and_splits_the_rest() {
        let mut shares = [0u64; 3];
        rebalance(1_000, &[100, 900, 900], &mut shares);
        assert_eq!(shares, [100_000, 450_000, 450_000]);
    }

    // Proves rate nobody wants is spread evenly, so every core has headroom to grow.
    #[test]
    fn rebalance_spreads_unwanted_rate_evenly() {
        let mut shares = [0u64; 2];
        rebalance(1_000, &[100, 300], &mut shares);
        assert_eq!(shares, [400_000, 600_000]);
        rebalance(1_000, &[0, 0], &mut shares);
        assert_eq!(shares, [500_000, 500_000]);
    }

    // Proves demand_per_s rounds up and saturates instead of overflowing.
    #[test]
    fn demand_per_s_rounds_up_and_saturates() {
        assert_eq!(demand_per_s(1, 1_000), 1);
        assert_eq!(demand_per_s(1, 3_000), 1);
        assert_eq!(demand_per_s(0, 1_000), 0);
        assert_eq!(demand_per_s(500, 500), 1_000);
        assert_eq!(demand_per_s(u64::MAX, 1), u64::MAX);
    }

    // Proves a rebalanced share moves a live bucket without granting a fresh burst.
    #[test]
    fn applying_a_share_keeps_the_bucket_credit() {
        let mut bucket = CoreShare::even(100, 2, 0).bucket(0);
        assert!(bucket.try_take_n(50, 0));
        CoreShare::from_rate_milli(100_000).apply(&mut bucket, 0);
        assert_eq!(bucket.burst(), 100);
        assert_eq!(bucket.tokens(0), 0);
        assert_eq!(bucket.tokens(10), 1);
    }

    proptest! {
        // Proves for any demand vector: shares sum to the rate exactly, each is at least the
        // floor, every core whose demand fits gets at least it, and no core ends more than one
        // milli-TPS above the lowest core left short of its demand (max-min fairness).
        #[test]
        fn rebalance_is_exact_floored_and_max_min_fair(
            tps in 0u64..=RATE_PER_S_MAX,
            demand in proptest::collection::vec(
                prop_oneof![0u64..=100, 0u64..=2_000_000, Just(u64::MAX)], 1..=CORES_MAX),
        ) {
            let mut shares = vec![0u64; demand.len()];
            rebalance(tps, &demand, &mut shares);
            let total = tps * 1_000;
            prop_assert_eq!(shares.iter().sum::<u64>(), total);
            let floor = total / (demand.len() as u64 * SHARE_FLOOR_DIVISOR);
            let target = |index: usize| demand[index].saturating_mul(1_000).max(floor);
            let short = (0..demand.len()).filter(|&index| shares[index] < target(index));
            if let Some(level) = short.map(|index| shares[index]).min() {
                for &share in &shares {
                    prop_assert!(share >= floor);
                    prop_assert!(share <= level + 1, "share {} over level {}", share, level);
                }
            } else {
                for (index, &share) in shares.iter().enumerate() {
                    prop_assert!(share >= target(index));
                }
            }
        }
    }
}
