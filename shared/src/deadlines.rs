//! Response deadlines of one protocol session (SMPP and CMPP share this).
//!
//! Every request gets the same timeout, so deadlines arrive in send order: a FIFO holds them and
//! the front is always the earliest. Answered requests leave stale entries behind, skipped when
//! they reach the front; the FIFO is compacted when it grows past four windows, so its size is
//! bounded by `4 × window_max` whatever the response pattern.

use std::collections::{HashMap, VecDeque};

/// The FIFO of (deadline, sequence_number).
pub(crate) struct Deadlines {
    entries: VecDeque<(u64, u32)>,
    size_max: usize,
}

impl Deadlines {
    pub(crate) fn new(window_max: usize) -> Deadlines {
        Deadlines {
            entries: VecDeque::with_capacity(window_max.min(1024)),
            size_max: 4 * window_max.max(16),
        }
    }

    /// Records a request sent at `sent_at_ms` (deadlines must be pushed in time order).
    pub(crate) fn push<V>(
        &mut self,
        sent_at_ms: u64,
        sequence_number: u32,
        outstanding: &HashMap<u32, V>,
    ) {
        debug_assert!(
            self.entries
                .back()
                .is_none_or(|(last, _)| *last <= sent_at_ms)
        );
        if self.entries.len() >= self.size_max {
            self.entries
                .retain(|(_, sequence_number)| outstanding.contains_key(sequence_number));
        }
        self.entries.push_back((sent_at_ms, sequence_number));
        assert!(self.entries.len() <= self.size_max + 1);
    }

    /// The earliest deadline, possibly of an answered request (harmless: the caller wakes early).
    pub(crate) fn next_sent_at(&self) -> Option<u64> {
        self.entries.front().map(|(sent_at_ms, _)| *sent_at_ms)
    }

    /// Pops the next request whose `sent_at + timeout_ms` has passed.
    pub(crate) fn pop_expired(&mut self, now_ms: u64, timeout_ms: u64) -> Option<u32> {
        let (sent_at_ms, sequence_number) = *self.entries.front()?;
        if sent_at_ms + timeout_ms > now_ms {
            return None;
        }
        self.entries.pop_front();
        Some(sequence_number)
    }

    /// Drops answered requests from the front, so [`Deadlines::next_sent_at`] is exact whenever
    /// the oldest request was answered first (the usual case).
    pub(crate) fn skip_answered<V>(&mut self, outstanding: &HashMap<u32, V>) {
        while let Some((_, sequence_number)) = self.entries.front() {
            if outstanding.contains_key(sequence_number) {
                break;
            }
            self.entries.pop_front();
        }
    }

    /// Follows a window change. The bound only grows: requests sent under a larger window may
    /// still be outstanding, and compaction keeps every outstanding one.
    pub(crate) fn set_window(&mut self, window_max: usize) {
        self.size_max = self.size_max.max(4 * window_max.max(16));
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
