//! A bounded table of token buckets by key: optional limits per sender address or per
//! destination prefix, on top of an account's TPS.
//!
//! # Bound and eviction
//!
//! The table holds at most `keys_max` keys (≤ [`KEYED_LIMITER_KEYS_MAX`]); all memory is
//! allocated by [`KeyedLimiter::new`]. A new key at the bound replaces one chosen by a CLOCK
//! sweep (second chance) that prefers keys whose bucket has refilled to full:
//! - A full bucket behaves exactly like a new one, so forgetting its key loses nothing; idle
//!   keys go first, whatever their age.
//! - Otherwise a slot whose key was looked up again since the hand last passed is spared once
//!   (its flag cleared); the first unflagged slot is taken. New keys start unflagged, so a flood
//!   of one-off keys evicts itself before it evicts keys that keep coming back (the ones a limit
//!   is for).
//!
//! What is lost at the bound: a key evicted with a non-full bucket comes back with a full one,
//! so it can exceed its limit by up to one burst per eviction. That needs more than `keys_max`
//! other keys, all active, between two of its submits; the account's own TPS bucket still
//! bounds the total. A sweep visits at most `2 × keys_max` slots (the second pass finds every
//! flag cleared) and is O(1) amortised: each visit clears a flag set by an earlier lookup.
//!
//! # Scope
//!
//! A limiter is per core (no locks): an SP whose binds land on several cores has a key limited
//! on each core separately. Divide the configured per-key rate by the core count for a strict
//! node-wide limit, or keep it whole for a lenient one.
//!
//! Memory per key: the slot (the key, a 32-byte [`TokenBucket`], a flag) plus an index entry
//! (the key and a `u32`) in a map sized for `2 × keys_max` entries; about 150 bytes for an
//! [`AddressKey`].

// HOT PATH: `try_take` and `bucket` allocate nothing (the map is sized so tombstone clean-up
// rehashes in place, and slots are preallocated), take no locks and log nothing.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

use super::TokenBucket;

/// Token buckets by key with a hard bound on keys; see the module doc for eviction.
///
/// Call contract: [`KeyedLimiter::try_take`] for a single check, or [`KeyedLimiter::bucket`]
/// to check several limits before taking from any; every method takes the same millisecond
/// clock as the account's bucket.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    index: HashMap<K, u32>,
    slots: Vec<Slot<K>>,
    /// The CLOCK hand: the next slot a sweep looks at.
    hand: usize,
    keys_max: usize,
    rate_milli_per_s: u64,
    burst: u64,
}

#[derive(Debug)]
struct Slot<K> {
    key: K,
    bucket: TokenBucket,
    /// Looked up again since the hand last passed.
    referenced: bool,
}

impl<K: Eq + Hash + Clone> KeyedLimiter<K> {
    /// A limiter for at most `keys_max` keys, each refilling `rate_milli_per_s` thousandths of a
    /// token per second up to `burst` tokens. Allocates everything it will ever use.
    ///
    /// Panics when `keys_max` is 0 or over [`KEYED_LIMITER_KEYS_MAX`], or on a rate or burst
    /// [`TokenBucket`] refuses (config validation bounds them).
    pub fn new(keys_max: usize, rate_milli_per_s: u64, burst: u64) -> KeyedLimiter<K> {
        assert!(keys_max >= 1);
        assert!(keys_max <= KEYED_LIMITER_KEYS_MAX, "keys_max={keys_max}");
        // Validates rate and burst once, here, rather than on the first key.
        let _ = TokenBucket::with_rate_milli(rate_milli_per_s, burst, 0);
        KeyedLimiter {
            // Twice the keys: with at most half the table live, hashbrown clears tombstones
            // by rehashing in place instead of growing, so inserts after evictions never
            // allocate.
            index: HashMap::with_capacity(2 * keys_max),
            slots: Vec::with_capacity(keys_max),
            hand: 0,
            keys_max,
            rate_milli_per_s,
            burst,
        }
    }

    /// Takes one token from `key`'s bucket if it has one at `now_ms`.
    pub fn try_take(&mut self, key: &K, now_ms: u64) -> bool {
        self.bucket(key, now_ms).try_take(now_ms)
    }

    /// `key`'s bucket, created full if the key is new (evicting one at the bound).
    pub fn bucket(&mut self, key: &K, now_ms: u64) -> &mut TokenBucket {
        let slot_index = match self.index.get(key) {
            Some(&slot_index) => {
                let slot_index = slot_index as usize;
                self.slots[slot_index].referenced = true;
                slot_index
            }
            None => self.insert(key, now_ms),
        };
        &mut self.slots[slot_index].bucket
    }

    /// Changes every key's rate and burst live (credit kept, capped at the new burst). O(keys):
    /// a config push, not a per-submit operation.
    pub fn set_limit(&mut self, rate_milli_per_s: u64, burst: u64, now_ms: u64) {
        for slot in &mut self.slots {
            slot.bucket.set_rate_milli(rate_milli_per_s, now_ms);
            slot.bucket.set_burst(burst, now_ms);
        }
        self.rate_milli_per_s = rate_milli_per_s;
        self.burst = burst;
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The bound on keys held.
    pub fn keys_max(&self) -> usize {
        self.keys_max
    }

    /// True when `key` has a bucket (whether or not it has tokens).
    pub fn contains(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    /// Adds `key` with a full bucket, in a free slot or in place of a swept one.
    fn insert(&mut self, key: &K, now_ms: u64) -> usize {
        let bucket = TokenBucket::with_rate_milli(self.rate_milli_per_s, self.burst, now_ms);
        let slot = Slot {
            key: key.clone(),
            bucket,
            referenced: false,
        };
        let slot_index = if self.slots.len() < self.keys_max {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let victim = self.sweep(now_ms);
            let evicted = self.index.remove(&self.slots[victim].key);
            assert_eq!(evicted, Some(victim as u32));
            self.slots[victim] = slot;
            victim
        };
        // slot_index < keys_max ≤ KEYED_LIMITER_KEYS_MAX < u32::MAX.
        let previous = self.index.insert(key.clone(), slot_index as u32);
        assert!(previous.is_none());
        assert!(self.index.len() == self.slots.len());
        slot_index
    }

    /// Moves the hand to a slot to reuse and returns it (module doc).
    fn sweep(&mut self, now_ms: u64) -> usize {
        assert!(self.slots.len() == self.keys_max);
        for _ in 0..2 * self.keys_max {
            let slot_index = self.hand;
            self.hand = (self.hand + 1) % self.keys_max;
            let slot = &mut self.slots[slot_index];
            if slot.bucket.is_full(now_ms) || !slot.referenced {
                return slot_index;
            }
            slot.referenced = false;
        }
        unreachable!("the first pass clears every flag, so the second pass returns");
    }
}

/// An address (or its prefix) as a fixed-size key: no allocation per lookup.
///
/// Holds up to [`ADDRESS_KEY_SIZE_MAX`] octets, the longest address field of SMPP
/// (`source_addr`, `destination_addr`: 20 characters) and CMPP (`Dest_terminal_Id`: 32 octets
/// in 3.0). Longer input is cut at that size (no decoder yields it). Normalise numbers (e.g. a
/// leading `+`) before building keys; the key compares octets.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey {
    size: u8,
    octets: [u8; ADDRESS_KEY_SIZE_MAX],
}

impl AddressKey {
    /// The key for a whole address.
    pub fn new(address: &[u8]) -> AddressKey {
        let size = address.len().min(ADDRESS_KEY_SIZE_MAX);
        let mut octets = [0; ADDRESS_KEY_SIZE_MAX];
        octets[..size].copy_from_slice(&address[..size]);
        // size ≤ ADDRESS_KEY_SIZE_MAX ≤ u8::MAX.
        AddressKey {
            size: size as u8,
            octets,
        }
    }

    /// The key for the first `prefix_size` octets of `address` (all of it when shorter): the
    /// key of a per-destination-prefix limit.
    pub fn prefix(address: &[u8], prefix_size: usize) -> AddressKey {
        AddressKey::new(&address[..prefix_size.min(address.len())])
    }

    /// The key's octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.octets[..usize::from(self.size)]
    }
}

impl fmt::Debug for AddressKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AddressKey({:?})",
            String::from_utf8_lossy(self.as_bytes())
        )
    }
}

/// Hard ceiling on the keys of one [`KeyedLimiter`].
///
/// Cost: about 150 bytes per [`AddressKey`] key, allocated when the limiter is built (about
/// 150 MiB at the ceiling, per limiter per core). At the bound: new keys replace old ones as
/// the module doc describes; nothing is refused. Why: a million senders or prefixes covers any
/// single account's traffic mix; limiters are optional and sized per account below this.
pub const KEYED_LIMITER_KEYS_MAX: usize = 1 << 20;

/// The key count an account's keyed limit gets when the config does not choose one: 16,384
/// keys, about 2.4 MiB per limiter per core.
pub const KEYED_LIMITER_KEYS_DEFAULT: usize = 16_384;

/// Longest address an [`AddressKey`] holds, in octets (CMPP 3.0 `Dest_terminal_Id`).
pub const ADDRESS_KEY_SIZE_MAX: usize = 32;

// Slot indexes are stored as u32 in the index map.
const _: () = assert!(KEYED_LIMITER_KEYS_MAX < u32::MAX as usize);
const _: () = assert!(KEYED_LIMITER_KEYS_DEFAULT <= KEYED_LIMITER_KEYS_MAX);
// An AddressKey's size is a u8.
const _: () = assert!(ADDRESS_KEY_SIZE_MAX <= u8::MAX as usize);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(text: &str) -> AddressKey {
        AddressKey::new(text.as_bytes())
    }

    // Proves keys are limited independently: exhausting one sender leaves another untouched.
    #[test]
    fn keys_have_independent_buckets() {
        let mut limiter = KeyedLimiter::new(8, 1_000, 2);
        assert!(limiter.try_take(&key("alice"), 0));
        assert!(limiter.try_take(&key("alice"), 0));
        assert!(!limiter.try_take(&key("alice"), 0));
        assert!(limiter.try_take(&key("bob"), 0));
        assert!(limiter.try_take(&key("alice"), 1_000));
    }

    // Proves a prefix key groups destinations by their first digits and that shorter
    // addresses are their own prefix.
    #[test]
    fn prefix_keys_group_destinations() {
        assert_eq!(
            AddressKey::prefix(b"254712345678", 4),
            AddressKey::prefix(b"254799999999", 4)
        );
        assert_ne!(
            AddressKey::prefix(b"254712345678", 4),
            AddressKey::prefix(b"255712345678", 4)
        );
        assert_eq!(AddressKey::prefix(b"25", 4).as_bytes(), b"25");
        assert_eq!(
            AddressKey::new(&[b'9'; 40]).as_bytes().len(),
            ADDRESS_KEY_SIZE_MAX
        );
    }

    // Proves the eviction preference at the bound: an idle key (full bucket) is replaced before
    // busy ones, so the busy keys keep their debt.
    #[test]
    fn at_the_bound_idle_keys_are_evicted_first() {
        let mut limiter = KeyedLimiter::new(3, 1_000, 1);
        // All three take their only token at 0 ms; by 1000 ms all have refilled, and "a" and
        // "b" are drained again while "c" stays full (idle).
        assert!(limiter.try_take(&key("a"), 0));
        assert!(limiter.try_take(&key("b"), 0));
        assert!(limiter.try_take(&key("c"), 0));
        assert!(limiter.try_take(&key("a"), 1_000));
        assert!(limiter.try_take(&key("b"), 1_000));
        assert!(limiter.is_full_for_test(&key("c"), 1_000));
        assert!(limiter.try_take(&key("d"), 1_000));
        assert_eq!(limiter.len(), 3);
        assert!(!limiter.contains(&key("c")));
        assert!(!limiter.try_take(&key("a"), 1_000));
        assert!(!limiter.try_take(&key("b"), 1_000));
    }

    // Proves the second chance: with every bucket busy, a key looked up again since the hand
    // passed survives the sweep and an unflagged one is evicted instead.
    #[test]
    fn at_the_bound_recently_used_keys_get_a_second_chance() {
        let mut limiter = KeyedLimiter::new(2, 1_000, 5);
        assert!(limiter.try_take(&key("a"), 0));
        assert!(limiter.try_take(&key("b"), 0));
        // "a" is used again (flag set); "b" is not.
        assert!(limiter.try_take(&key("a"), 0));
        assert!(limiter.try_take(&key("c"), 0));
        assert!(limiter.contains(&key("a")));
        assert!(!limiter.contains(&key("b")));
        assert!(limiter.contains(&key("c")));
    }

    // Proves a live limit change reaches existing keys and new ones alike.
    #[test]
    fn set_limit_applies_to_existing_and_new_keys() {
        let mut limiter = KeyedLimiter::new(4, 1_000, 1);
        assert!(limiter.try_take(&key("a"), 0));
        limiter.set_limit(10_000, 10, 0);
        assert!(limiter.try_take(&key("a"), 100));
        assert!(!limiter.try_take(&key("a"), 100));
        assert_eq!(limiter.bucket(&key("new"), 100).burst(), 10);
    }

    impl<K: Eq + Hash + Clone> KeyedLimiter<K> {
        fn is_full_for_test(&mut self, key: &K, now_ms: u64) -> bool {
            self.bucket(key, now_ms).is_full(now_ms)
        }
    }

    proptest! {
        // Proves the bound and the index stay consistent under any key stream: the table never
        // holds more than keys_max keys, every held key is findable, and the map and slots
        // agree.
        #[test]
        fn table_never_exceeds_its_bound(
            keys_max in 1usize..=16,
            stream in proptest::collection::vec((0u8..=40, 0u64..=50), 1..500),
        ) {
            let mut limiter = KeyedLimiter::new(keys_max, 2_000, 2);
            let mut now_ms = 0;
            for (id, advance_ms) in stream {
                now_ms += advance_ms;
                let _ = limiter.try_take(&id, now_ms);
                prop_assert!(limiter.len() <= keys_max);
                prop_assert!(limiter.contains(&id));
                prop_assert_eq!(limiter.index.len(), limiter.slots.len());
                for (slot_index, slot) in limiter.slots.iter().enumerate() {
                    prop_assert_eq!(limiter.index.get(&slot.key), Some(&(slot_index as u32)));
                }
            }
        }

        // Proves that while the table has room for every key, each key is held to exactly its
        // own rate bound: tokens by time T ≤ rate × T / 1000 + burst.
        #[test]
        fn keys_within_the_bound_are_limited_exactly(
            rate_milli_per_s in 1u64..=20_000,
            burst in 1u64..=4,
            stream in proptest::collection::vec((0u8..=7, 0u64..=100), 1..400),
        ) {
            let mut limiter = KeyedLimiter::new(8, rate_milli_per_s, burst);
            let mut granted = [0u64; 8];
            let mut now_ms = 0;
            for (id, advance_ms) in stream {
                now_ms += advance_ms;
                if limiter.try_take(&id, now_ms) {
                    granted[usize::from(id)] += 1;
                }
                let allowed_micro = u128::from(now_ms) * u128::from(rate_milli_per_s)
                    + u128::from(burst) * 1_000_000;
                prop_assert!(u128::from(granted[usize::from(id)]) * 1_000_000 <= allowed_micro);
            }
        }
    }
}
