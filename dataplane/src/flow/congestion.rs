//! The SMPP v5.0 `congestion_state` TLV (tag 0x0428, SMPP v5.0 §4.8.4): a 0..=100 load figure
//! an MC may add to its responses so an ESME can pace itself before it is throttled.
//!
//! The spec's bands are percentages of capacity, so the value is the fill of the most loaded
//! resource on the path a submit takes, in percent:
//!
//! | value | SMPP v5.0 band | from [`congestion_state`] |
//! | --- | --- | --- |
//! | 0 | Idle | queue and window both empty |
//! | 1-29 | Low Load | fullest resource up to 29% |
//! | 30-49 | Medium Load | 30-49% |
//! | 50-79 | High Load | 50-79% |
//! | 80-89 | Optimum Load | 80-89% |
//! | 90-99 | Nearing Congestion | 90% up to one slot short of full |
//! | 100 | Congested | a queue or window is full (the next submit may be refused) |
//!
//! Percentages are rounded up, so any load at all reads at least 1, except that 100 is kept
//! for "full": a resource one slot short of full reads 99.

/// The load on the path a submit takes: the queue it enters (the chosen connector's queue) and
/// the window of the binds that carry it (outstanding requests summed over that connector's
/// binds, against the sum of their windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Messages waiting in the queue.
    pub queue_len: usize,
    /// The queue's bound (at least 1).
    pub queue_max: usize,
    /// Requests awaiting a response on the binds.
    pub window_used: usize,
    /// The binds' windows summed (at least 1).
    pub window_max: usize,
}

impl Load {
    /// True when the queue cannot take another message (answer `ESME_RMSGQFUL`).
    pub fn queue_full(&self) -> bool {
        self.queue_len >= self.queue_max
    }
}

/// The `congestion_state` value for `load` (module doc for the thresholds).
///
/// Panics when `queue_max` or `window_max` is 0 (bounds are never 0; see STYLE §4).
pub fn congestion_state(load: &Load) -> u8 {
    let state = fill_percent(load.queue_len, load.queue_max)
        .max(fill_percent(load.window_used, load.window_max));
    assert!(state <= CONGESTION_STATE_MAX);
    state
}

/// `used` out of `max` in percent: rounded up, 100 only when full.
fn fill_percent(used: usize, max: usize) -> u8 {
    assert!(max >= 1);
    if used >= max {
        return CONGESTION_STATE_MAX;
    }
    // used < max, so the result is at most 100 and at most 99 after the min.
    let percent = (used as u128 * 100).div_ceil(max as u128).min(99);
    percent as u8
}

/// The largest `congestion_state` value (SMPP v5.0: "Congested").
pub const CONGESTION_STATE_MAX: u8 = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn load(queue_len: usize, queue_max: usize, window_used: usize, window_max: usize) -> Load {
        Load {
            queue_len,
            queue_max,
            window_used,
            window_max,
        }
    }

    // Proves each band edge of the table in the module doc, with the queue as the driver and
    // the window as the driver.
    #[test]
    fn fill_maps_onto_the_spec_bands() {
        assert_eq!(congestion_state(&load(0, 100, 0, 64)), 0);
        assert_eq!(congestion_state(&load(1, 1_000, 0, 64)), 1);
        assert_eq!(congestion_state(&load(29, 100, 0, 64)), 29);
        assert_eq!(congestion_state(&load(30, 100, 0, 64)), 30);
        assert_eq!(congestion_state(&load(0, 100, 32, 64)), 50);
        assert_eq!(congestion_state(&load(85, 100, 10, 64)), 85);
        assert_eq!(congestion_state(&load(999, 1_000, 0, 64)), 99);
        assert_eq!(congestion_state(&load(100, 100, 0, 64)), 100);
        assert_eq!(congestion_state(&load(0, 100, 64, 64)), 100);
    }

    // Proves the queue_full test agrees with the 100 reading of the queue.
    #[test]
    fn queue_full_is_the_congested_queue() {
        assert!(load(5, 5, 0, 1).queue_full());
        assert!(!load(4, 5, 0, 1).queue_full());
    }

    proptest! {
        // Proves the value is always in 0..=100, is 0 only when nothing is used, is 100 exactly
        // when a resource is full, and never decreases when load grows.
        #[test]
        fn state_is_bounded_exact_at_the_ends_and_monotonic(
            queue_max in 1usize..=1_000_000, window_max in 1usize..=65_535,
            queue_len in 0usize..=1_100_000, window_used in 0usize..=70_000,
        ) {
            let state = congestion_state(&load(queue_len, queue_max, window_used, window_max));
            prop_assert!(state <= 100);
            prop_assert_eq!(state == 0, queue_len == 0 && window_used == 0);
            prop_assert_eq!(state == 100, queue_len >= queue_max || window_used >= window_max);
            let more = congestion_state(&load(queue_len + 1, queue_max, window_used, window_max));
            prop_assert!(more >= state);
        }
    }
}
