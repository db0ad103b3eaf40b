//! A single-level hashed timer wheel for session and connector deadlines.
//!
//! Entries are lazy: the wheel only says "look at key K around time T"; the owner re-reads the
//! real deadline of K when it fires (sessions move their deadlines on every received PDU, so
//! cancelling would cost more than a stale look). The owner keeps at most a couple of entries
//! per key by scheduling only when its deadline moves earlier than the one already scheduled,
//! which bounds the wheel by the number of keys.
//!
//! Deadlines beyond the horizon (`slots × tick_ms`) go into the last slot of the horizon and
//! are put back when that slot comes round, so any deadline works.

/// Milliseconds per slot.
pub const TICK_MS: u64 = 4;
/// Slots in the wheel (a horizon of `SLOTS × TICK_MS` = about 16 s).
pub const SLOTS: usize = 4096;

/// The wheel. `K` names what to look at when the entry fires.
pub struct TimerWheel<K> {
    slots: Vec<Vec<(u64, K)>>,
    /// The tick whose slot is looked at next (everything before it has fired).
    cursor: u64,
    len: usize,
    /// A lower bound on the earliest deadline, for the poll timeout.
    earliest: Option<u64>,
}

impl<K: Copy> TimerWheel<K> {
    /// An empty wheel starting at `now_ms`.
    pub fn new(now_ms: u64) -> TimerWheel<K> {
        TimerWheel {
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
            cursor: now_ms / TICK_MS,
            len: 0,
            earliest: None,
        }
    }

    /// Entries in the wheel (including stale ones).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no entry is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Asks to look at `key` at `deadline_ms`.
    pub fn schedule(&mut self, deadline_ms: u64, key: K) {
        let tick = (deadline_ms / TICK_MS).max(self.cursor);
        let tick = tick.min(self.cursor + SLOTS as u64 - 1);
        self.slots[(tick % SLOTS as u64) as usize].push((deadline_ms, key));
        self.len += 1;
        self.earliest = Some(self.earliest.map_or(deadline_ms, |e| e.min(deadline_ms)));
    }

    /// Moves time to `now_ms` and appends to `fired` the keys whose deadline has come.
    pub fn expire(&mut self, now_ms: u64, fired: &mut Vec<K>) {
        let now_tick = now_ms / TICK_MS;
        if self.len == 0 {
            self.cursor = self.cursor.max(now_tick);
            self.earliest = None;
            return;
        }
        let mut requeue = Vec::new();
        // At most one lap: later laps would look at the same slots again.
        let last = now_tick.min(self.cursor + SLOTS as u64 - 1);
        while self.cursor <= last {
            let slot = &mut self.slots[(self.cursor % SLOTS as u64) as usize];
            if !slot.is_empty() {
                for (deadline, key) in slot.drain(..) {
                    self.len -= 1;
                    if deadline <= now_ms {
                        fired.push(key);
                    } else {
                        requeue.push((deadline, key));
                    }
                }
            }
            self.cursor += 1;
        }
        self.cursor = self.cursor.max(now_tick);
        self.earliest = None;
        for (deadline, key) in requeue {
            self.schedule(deadline, key);
        }
        if self.earliest.is_none() && self.len > 0 {
            self.earliest = Some(self.scan_earliest());
        }
    }

    /// When the next entry may fire (`None`: the wheel is empty).
    pub fn next_deadline(&self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        self.earliest
    }

    /// The start of the first non-empty slot from the cursor (a lower bound of its deadlines).
    fn scan_earliest(&self) -> u64 {
        for offset in 0..SLOTS as u64 {
            let tick = self.cursor + offset;
            let slot = &self.slots[(tick % SLOTS as u64) as usize];
            if let Some(min) = slot.iter().map(|(deadline, _)| *deadline).min() {
                return min.max(tick * TICK_MS);
            }
        }
        self.cursor * TICK_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_order_of_ticks_and_not_before() {
        let mut wheel = TimerWheel::new(1_000);
        wheel.schedule(1_010, 1u32);
        wheel.schedule(1_003, 2);
        wheel.schedule(1_000 + 100_000, 3); // beyond the horizon
        let mut fired = Vec::new();
        wheel.expire(1_002, &mut fired);
        assert!(fired.is_empty());
        assert_eq!(wheel.next_deadline(), Some(1_003));
        wheel.expire(1_004, &mut fired);
        assert_eq!(fired, vec![2]);
        wheel.expire(1_010, &mut fired);
        assert_eq!(fired, vec![2, 1]);
        assert_eq!(wheel.len(), 1);
        // Far deadline: put back at each lap, fires exactly when due.
        let mut t = 1_010;
        while t < 1_000 + 100_000 - 1 {
            t += 5_000;
            let before = fired.len();
            wheel.expire(t.min(1_000 + 100_000 - 1), &mut fired);
            assert_eq!(fired.len(), before);
        }
        wheel.expire(1_000 + 100_000, &mut fired);
        assert_eq!(fired, vec![2, 1, 3]);
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_deadline(), None);
    }

    #[test]
    fn a_deadline_in_the_past_fires_on_the_next_expire() {
        let mut wheel = TimerWheel::new(50_000);
        wheel.expire(60_000, &mut Vec::new());
        wheel.schedule(10, 7u8);
        let mut fired = Vec::new();
        wheel.expire(60_000, &mut fired);
        assert_eq!(fired, vec![7]);
    }

    #[test]
    fn a_long_jump_in_time_fires_everything_due() {
        let mut wheel = TimerWheel::new(0);
        for key in 0..100u32 {
            wheel.schedule(u64::from(key) * 997, key);
        }
        let mut fired = Vec::new();
        wheel.expire(10_000_000, &mut fired);
        fired.sort_unstable();
        assert_eq!(fired, (0..100).collect::<Vec<_>>());
        assert!(wheel.is_empty());
    }
}
