//! Response deadlines of one CMPP session.
//!
//! Every request gets the same timeout, so deadlines arrive in send order: a FIFO holds them and
//! the front is always the earliest. Answered requests leave stale entries behind, skipped when
//! they reach the front; the FIFO is compacted when it grows past four windows, so its size is
//! bounded by `4 × window_max` whatever the response pattern. (The same scheme as the SMPP
//! session's; each session keeps its own copy because its `Outstanding` type differs.)

use std::collections::{HashMap, VecDeque};

use super::Outstanding;

/// The FIFO of (sent_at_ms, Sequence_Id).
pub(super) struct Deadlines {
    entries: VecDeque<(u64, u32)>,
    size_max: usize,
}

impl Deadlines {
    pub(super) fn new(window_max: usize) -> Deadlines {
        Deadlines {
            entries: VecDeque::with_capacity(window_max.min(1024)),
            size_max: 4 * window_max.max(16),
        }
    }

    /// Records a request sent at `sent_at_ms` (deadlines must be pushed in time order).
    pub(super) fn push(
        &mut self,
        sent_at_ms: u64,
        sequence_id: u32,
        outstanding: &HashMap<u32, Outstanding>,
    ) {
        debug_assert!(
            self.entries
                .back()
                .is_none_or(|(last, _)| *last <= sent_at_ms)
        );
        if self.entries.len() >= self.size_max {
            self.entries
                .retain(|(_, sequence_id)| outstanding.contains_key(sequence_id));
        }
        self.entries.push_back((sent_at_ms, sequence_id));
        assert!(self.entries.len() <= self.size_max + 1);
    }

    /// The earliest send time, possibly of an answered request (harmless: the caller wakes
    /// early).
    pub(super) fn next_sent_at(&self) -> Option<u64> {
        self.entries.front().map(|(sent_at_ms, _)| *sent_at_ms)
    }

    /// Pops the next request whose `sent_at + timeout_ms` has passed.
    pub(super) fn pop_expired(&mut self, now_ms: u64, timeout_ms: u64) -> Option<u32> {
        let (sent_at_ms, sequence_id) = *self.entries.front()?;
        if sent_at_ms + timeout_ms > now_ms {
            return None;
        }
        self.entries.pop_front();
        Some(sequence_id)
    }

    /// Drops answered requests from the front, so [`Deadlines::next_sent_at`] is exact whenever
    /// the oldest request was answered first (the usual case).
    pub(super) fn skip_answered(&mut self, outstanding: &HashMap<u32, Outstanding>) {
        while let Some((_, sequence_id)) = self.entries.front() {
            if outstanding.contains_key(sequence_id) {
                break;
            }
            self.entries.pop_front();
        }
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}
