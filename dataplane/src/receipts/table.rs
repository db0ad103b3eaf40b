//! A fixed-capacity map whose entries expire in insertion order: the storage under every
//! receipt table.
//!
//! Every entry of one table lives the same `ttl_ms`, so deadlines grow with insertion order and
//! a doubly linked list through a slab (oldest to newest) is also the expiry order: expiring,
//! evicting the oldest and removing any entry are O(1), with a hash index for lookups. The slab
//! and the index are allocated at full capacity by [`TtlTable::new`]; nothing grows after.
//!
//! Time is clamped to the latest `now_ms` seen, so a clock that steps back cannot break the
//! order. Slot numbers are stable while an entry lives, so callers may keep them in side
//! indexes (the correlator's copies of one part).
//!
//! The index is a `HashMap` with FxHash: the keys (canonical upstream ids, 65 octets) come
//! from the operator's SMSCs, contracted peers rather than the open internet, and SipHash was
//! a visible share of the gateway's CPU per message (docs/benchmarks.md). Its iteration order
//! is never used, so a seeded simulation still replays exactly.

use rustc_hash::FxHashMap;
use std::hash::Hash;

/// A slot number in a [`TtlTable`].
pub(crate) type Slot = u32;

/// See the module doc.
#[derive(Debug)]
pub(crate) struct TtlTable<K, V> {
    slots: Vec<Entry<K, V>>,
    index: FxHashMap<K, Slot>,
    /// Head of the free list, linked through `newer`.
    free: Slot,
    oldest: Slot,
    newest: Slot,
    capacity_max: usize,
    ttl_ms: u64,
    now_last_ms: u64,
}

#[derive(Debug)]
struct Entry<K, V> {
    item: Option<(K, V)>,
    deadline_ms: u64,
    older: Slot,
    newer: Slot,
}

impl<K: Copy + Eq + Hash, V> TtlTable<K, V> {
    /// An empty table of `capacity_max` entries living `ttl_ms` each.
    pub(crate) fn new(capacity_max: usize, ttl_ms: u64) -> TtlTable<K, V> {
        assert!(capacity_max >= 1);
        assert!(capacity_max < NIL as usize);
        TtlTable {
            slots: Vec::with_capacity(capacity_max),
            index: FxHashMap::with_capacity_and_hasher(capacity_max, Default::default()),
            free: NIL,
            oldest: NIL,
            newest: NIL,
            capacity_max,
            ttl_ms,
            now_last_ms: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len() == self.capacity_max
    }

    pub(crate) fn slot_of(&self, key: &K) -> Option<Slot> {
        self.index.get(key).copied()
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.slot_of(key).map(|slot| self.value(slot))
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let slot = self.slot_of(key)?;
        self.slots[slot as usize]
            .item
            .as_mut()
            .map(|(_, value)| value)
    }

    /// The value in a live slot.
    pub(crate) fn value(&self, slot: Slot) -> &V {
        match &self.slots[slot as usize].item {
            Some((_, value)) => value,
            None => unreachable!("slot {slot} is free; callers only keep live slots"),
        }
    }

    /// Inserts `key` living until `now_ms + ttl_ms` and returns its slot. The key must be
    /// absent and the table not full (callers evict first).
    pub(crate) fn insert(&mut self, key: K, value: V, now_ms: u64) -> Slot {
        assert!(!self.is_full());
        assert!(!self.index.contains_key(&key));
        let now_ms = self.clamp(now_ms);
        let deadline_ms = now_ms.saturating_add(self.ttl_ms);
        let slot = if self.free != NIL {
            let slot = self.free;
            self.free = self.slots[slot as usize].newer;
            slot
        } else {
            // Not full and no free slot, so every slot is live and there are fewer than
            // capacity_max: the push stays within the capacity reserved by `new`.
            assert!(self.slots.len() < self.capacity_max);
            let slot = Slot::try_from(self.slots.len()).unwrap_or(NIL);
            self.slots.push(Entry {
                item: None,
                deadline_ms: 0,
                older: NIL,
                newer: NIL,
            });
            slot
        };
        let entry = &mut self.slots[slot as usize];
        assert!(entry.item.is_none());
        *entry = Entry {
            item: Some((key, value)),
            deadline_ms,
            older: self.newest,
            newer: NIL,
        };
        self.link_newest(slot);
        self.index.insert(key, slot);
        slot
    }

    /// Removes the entry in `slot` and returns it.
    pub(crate) fn remove_slot(&mut self, slot: Slot) -> (K, V) {
        let (older, newer) = {
            let entry = &self.slots[slot as usize];
            (entry.older, entry.newer)
        };
        match older {
            NIL => self.oldest = newer,
            older => self.slots[older as usize].newer = newer,
        }
        match newer {
            NIL => self.newest = older,
            newer => self.slots[newer as usize].older = older,
        }
        let entry = &mut self.slots[slot as usize];
        let Some((key, value)) = entry.item.take() else {
            unreachable!("slot {slot} is free; callers only remove live slots");
        };
        entry.older = NIL;
        entry.newer = self.free;
        self.free = slot;
        let removed = self.index.remove(&key);
        assert_eq!(removed, Some(slot));
        (key, value)
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self.slot_of(key)?;
        Some(self.remove_slot(slot).1)
    }

    /// The oldest entry's slot, the one to evict from a full table.
    pub(crate) fn oldest(&self) -> Option<Slot> {
        (self.oldest != NIL).then_some(self.oldest)
    }

    /// Removes and returns the oldest entry if its deadline is at or before `now_ms`.
    pub(crate) fn pop_expired(&mut self, now_ms: u64) -> Option<(Slot, K, V)> {
        let now_ms = self.clamp(now_ms);
        let slot = self.oldest()?;
        if self.slots[slot as usize].deadline_ms > now_ms {
            return None;
        }
        let (key, value) = self.remove_slot(slot);
        Some((slot, key, value))
    }

    /// When the oldest entry expires.
    pub(crate) fn next_deadline_ms(&self) -> Option<u64> {
        self.oldest()
            .map(|slot| self.slots[slot as usize].deadline_ms)
    }

    fn link_newest(&mut self, slot: Slot) {
        match self.newest {
            NIL => self.oldest = slot,
            newest => self.slots[newest as usize].newer = slot,
        }
        self.newest = slot;
    }

    fn clamp(&mut self, now_ms: u64) -> u64 {
        self.now_last_ms = self.now_last_ms.max(now_ms);
        self.now_last_ms
    }

    /// Octets one entry takes: its slab slot plus its index entry (before the hash table's
    /// load-factor slack), for the cost notes of the tables built on this one.
    #[cfg(test)]
    pub(crate) fn entry_size() -> usize {
        size_of::<Entry<K, V>>() + size_of::<(K, Slot)>()
    }

    /// Checks the list and index agree (O(n), tests only).
    #[cfg(test)]
    pub(crate) fn verify(&self) {
        let mut count = 0;
        let mut slot = self.oldest;
        let mut previous = NIL;
        let mut deadline_ms = 0;
        while slot != NIL {
            let entry = &self.slots[slot as usize];
            assert_eq!(entry.older, previous);
            assert!(entry.deadline_ms >= deadline_ms);
            deadline_ms = entry.deadline_ms;
            let Some((key, _)) = &entry.item else {
                panic!("free slot {slot} in the live list");
            };
            assert_eq!(self.index.get(key), Some(&slot));
            count += 1;
            previous = slot;
            slot = entry.newer;
        }
        assert_eq!(previous, self.newest);
        assert_eq!(count, self.index.len());
        assert!(self.slots.len() <= self.capacity_max);
    }
}

/// "No slot" in the links.
const NIL: Slot = Slot::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_in_insertion_order_at_their_deadline() {
        // Proves an entry lives exactly ttl_ms (expired at the deadline, not a millisecond
        // before) and a clock stepping back does not reorder deadlines.
        let mut table: TtlTable<u32, &str> = TtlTable::new(4, 100);
        table.insert(1, "a", 1_000);
        table.insert(2, "b", 500);
        table.insert(3, "c", 1_050);
        table.verify();
        assert_eq!(table.next_deadline_ms(), Some(1_100));
        assert!(table.pop_expired(1_099).is_none());
        assert_eq!(table.pop_expired(1_100).map(|(_, key, _)| key), Some(1));
        assert_eq!(table.pop_expired(1_100).map(|(_, key, _)| key), Some(2));
        assert!(table.pop_expired(1_149).is_none());
        assert_eq!(
            table.pop_expired(1_150).map(|(_, key, value)| (key, value)),
            Some((3, "c"))
        );
        assert!(table.pop_expired(u64::MAX).is_none());
        assert_eq!(table.len(), 0);
        table.verify();
    }

    #[test]
    fn removal_from_the_middle_and_slot_reuse_keep_the_list_whole() {
        // Proves removing the middle, oldest and newest entries relinks the list, freed slots
        // are reused without growing the slab, and a full table reports it.
        let mut table: TtlTable<u32, u32> = TtlTable::new(3, 10);
        let first = table.insert(1, 10, 0);
        table.insert(2, 20, 1);
        table.insert(3, 30, 2);
        assert!(table.is_full());
        assert_eq!(table.remove(&2), Some(20));
        table.verify();
        assert_eq!(table.remove(&2), None);
        assert_eq!(table.insert(4, 40, 3), 1);
        assert_eq!(table.oldest(), Some(first));
        assert_eq!(table.remove_slot(first), (1, 10));
        assert_eq!(table.remove(&4), Some(40));
        table.verify();
        assert_eq!(table.get(&3), Some(&30));
        *table.get_mut(&3).unwrap() = 33;
        assert_eq!(table.value(table.slot_of(&3).unwrap()), &33);
        assert_eq!(table.remove(&3), Some(33));
        assert_eq!(table.oldest(), None);
        assert_eq!(table.next_deadline_ms(), None);
        table.verify();
    }
}
