//! Reassembling concatenated short messages (TS 23.040 §9.2.3.24.1 and §9.2.3.24.8, SMPP 3.4
//! §5.3.2.22-24 SAR TLVs), sans-IO and bounded.
//!
//! The caller names the stream a part belongs to with a key (e.g. source and destination
//! address, or a session id) and passes the part's reference, total and sequence number. Parts
//! may come in any order; a message completes when every sequence number has arrived. Time only
//! comes in as `now` (milliseconds, non-decreasing); [`Reassembler::poll_expired`] hands back
//! messages whose deadline passed so the caller can deliver the parts it has or fail them, and
//! [`Reassembler::poll_timeout`] says when to call it next.
//!
//! Choices:
//! - **A full table rejects the new message** ([`ReassemblyError::TableFull`]) instead of
//!   evicting the oldest: eviction would let a flood of first parts destroy messages that are
//!   about to complete. The caller passes the rejected part through unreassembled or answers
//!   with a throttling status. Parts of messages already held are still accepted.
//! - **The deadline is fixed at the first part** (`now + timeout_ms`); later parts do not extend
//!   it, so a trickle of parts cannot hold memory for ever.
//! - **A duplicate part is refused** ([`ReassemblyError::DuplicatePart`]) and the first copy
//!   kept; the caller acknowledges and drops it. A part whose total disagrees with the held
//!   message is refused and the held message is left as it was.
//!
//! Bounds: at most `capacity_max` messages, each of at most 255 parts of at most
//! [`PART_SIZE_MAX`] octets, so at most `capacity_max × 255 × 254` octets of payload plus one
//! slot vector per message. Tables are `BTreeMap`s: deterministic order (so a seeded
//! simulation replays exactly) and no hasher seeded from the OS.

use std::collections::BTreeMap;

use thiserror::Error;

use super::udh::ConcatReference;

/// A message whose parts have all arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed<K> {
    /// The caller's key.
    pub key: K,
    /// The concatenation reference.
    pub reference: ConcatReference,
    /// Part payloads in sequence order (index 0 is seqnum 1).
    pub parts: Vec<Vec<u8>>,
}

impl<K> Completed<K> {
    /// The payloads joined in order (for unpacked GSM, Latin-1, UCS2 and binary parts).
    pub fn payload(&self) -> Vec<u8> {
        self.parts.concat()
    }
}

/// A message whose deadline passed before every part arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired<K> {
    /// The caller's key.
    pub key: K,
    /// The concatenation reference.
    pub reference: ConcatReference,
    /// Parts the message announced.
    pub total: u8,
    /// The parts that did arrive, as (seqnum, payload), in sequence order.
    pub parts: Vec<(u8, Vec<u8>)>,
}

/// Why a part was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReassemblyError {
    /// The part announces a total of zero parts.
    #[error("concatenated part announces a total of 0 parts")]
    TotalZero,
    /// The part's sequence number is zero (they start at 1).
    #[error("concatenated part has sequence number 0")]
    SeqnumZero,
    /// The part's sequence number is over its total.
    #[error("sequence number {seqnum} is over the total of {total} parts")]
    SeqnumOverTotal {
        /// The sequence number.
        seqnum: u8,
        /// The total.
        total: u8,
    },
    /// The part's total differs from the total of the message already held.
    #[error("part announces {got} parts but the held message has {held}")]
    TotalMismatch {
        /// Total of the held message.
        held: u8,
        /// Total of this part.
        got: u8,
    },
    /// A part with this sequence number is already held.
    #[error("part {seqnum} is already held")]
    DuplicatePart {
        /// The sequence number.
        seqnum: u8,
    },
    /// The part's payload is over [`PART_SIZE_MAX`].
    #[error("part payload of {size} octets is over the maximum of {max}")]
    PartSizeOver {
        /// Octets given.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// The table holds `capacity_max` messages and this part starts a new one.
    #[error("reassembly table is full ({capacity_max} messages)")]
    TableFull {
        /// The table's capacity.
        capacity_max: usize,
    },
}

/// A bounded table of partly received concatenated messages, keyed by `(K, reference)`.
#[derive(Debug)]
pub struct Reassembler<K> {
    capacity_max: usize,
    timeout_ms: u64,
    pending: BTreeMap<(K, ConcatReference), Pending>,
    /// Expiry order: (deadline, arrival serial) to the pending message's key.
    deadlines: BTreeMap<(u64, u64), (K, ConcatReference)>,
    serial_next: u64,
}

#[derive(Debug)]
struct Pending {
    /// One slot per sequence number; `slots.len()` is the total.
    slots: Vec<Option<Vec<u8>>>,
    received: usize,
    deadline: (u64, u64),
}

impl<K: Ord + Clone> Reassembler<K> {
    /// A table of at most `capacity_max` messages, each given `timeout_ms` from its first part.
    ///
    /// Panics if either is zero: both come from validated config, and zero would mean a table
    /// that can hold nothing or a message that expires as it arrives.
    pub fn new(capacity_max: usize, timeout_ms: u64) -> Self {
        assert!(capacity_max > 0);
        assert!(timeout_ms > 0);
        Reassembler {
            capacity_max,
            timeout_ms,
            pending: BTreeMap::new(),
            deadlines: BTreeMap::new(),
            serial_next: 0,
        }
    }

    /// Takes part `seqnum` of `total` of the message `(key, reference)`; returns the message
    /// when this part completes it. A single-part message (`total` 1) completes at once and is
    /// never held.
    pub fn handle_part(
        &mut self,
        key: K,
        reference: ConcatReference,
        total: u8,
        seqnum: u8,
        payload: &[u8],
        now: u64,
    ) -> Result<Option<Completed<K>>, ReassemblyError> {
        check_part(total, seqnum, payload)?;
        let slot_index = usize::from(seqnum - 1);
        let map_key = (key, reference);
        if let Some(pending) = self.pending.get_mut(&map_key) {
            let held = pending.total();
            if held != total {
                return Err(ReassemblyError::TotalMismatch { held, got: total });
            }
            let slot = &mut pending.slots[slot_index];
            if slot.is_some() {
                return Err(ReassemblyError::DuplicatePart { seqnum });
            }
            *slot = Some(payload.to_vec());
            pending.received += 1;
            assert!(pending.received <= pending.slots.len());
            if pending.received < pending.slots.len() {
                return Ok(None);
            }
            return Ok(Some(self.complete(map_key)));
        }
        if total == 1 {
            let (key, reference) = map_key;
            return Ok(Some(Completed {
                key,
                reference,
                parts: vec![payload.to_vec()],
            }));
        }
        if self.pending.len() >= self.capacity_max {
            return Err(ReassemblyError::TableFull {
                capacity_max: self.capacity_max,
            });
        }
        let deadline = (now.saturating_add(self.timeout_ms), self.serial_next);
        self.serial_next += 1;
        let mut slots = vec![None; usize::from(total)];
        slots[slot_index] = Some(payload.to_vec());
        self.deadlines.insert(deadline, map_key.clone());
        let replaced = self.pending.insert(
            map_key,
            Pending {
                slots,
                received: 1,
                deadline,
            },
        );
        assert!(replaced.is_none());
        assert_eq!(self.pending.len(), self.deadlines.len());
        Ok(None)
    }

    /// Removes and returns one message whose deadline is at or before `now`, oldest first.
    /// Call until it returns `None`.
    pub fn poll_expired(&mut self, now: u64) -> Option<Expired<K>> {
        let (&deadline, _) = self.deadlines.first_key_value()?;
        if deadline.0 > now {
            return None;
        }
        let (_, map_key) = self.deadlines.pop_first()?;
        let pending = self.pending.remove(&map_key);
        // Both maps change together, so every deadline has its pending message.
        let Some(pending) = pending else {
            unreachable!("deadline without a pending message");
        };
        assert_eq!(pending.deadline, deadline);
        let total = pending.total();
        let parts = (1..=total)
            .zip(pending.slots)
            .filter_map(|(seqnum, slot)| slot.map(|payload| (seqnum, payload)))
            .collect();
        let (key, reference) = map_key;
        Some(Expired {
            key,
            reference,
            total,
            parts,
        })
    }

    /// The earliest deadline held, for the caller's timer.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadlines
            .first_key_value()
            .map(|(&(deadline, _), _)| deadline)
    }

    /// Messages held.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no message is held.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    fn complete(&mut self, map_key: (K, ConcatReference)) -> Completed<K> {
        let pending = self.pending.remove(&map_key);
        let Some(pending) = pending else {
            unreachable!("complete is called with a held key");
        };
        let removed = self.deadlines.remove(&pending.deadline);
        assert!(removed.is_some());
        let parts: Vec<Vec<u8>> = pending.slots.into_iter().flatten().collect();
        assert_eq!(parts.len(), pending.received);
        let (key, reference) = map_key;
        Completed {
            key,
            reference,
            parts,
        }
    }
}

impl Pending {
    fn total(&self) -> u8 {
        // Built from a u8 total.
        self.slots.len() as u8
    }
}

fn check_part(total: u8, seqnum: u8, payload: &[u8]) -> Result<(), ReassemblyError> {
    if total == 0 {
        return Err(ReassemblyError::TotalZero);
    }
    if seqnum == 0 {
        return Err(ReassemblyError::SeqnumZero);
    }
    if seqnum > total {
        return Err(ReassemblyError::SeqnumOverTotal { seqnum, total });
    }
    if payload.len() > PART_SIZE_MAX {
        return Err(ReassemblyError::PartSizeOver {
            size: payload.len(),
            max: PART_SIZE_MAX,
        });
    }
    Ok(())
}

/// Largest part payload held, in octets: SMPP's short_message maximum (sm_length is at most
/// 254, SMPP 3.4 §5.2.21).
///
/// Cost: bounds one message at 255 × 254 octets. At the bound: [`ReassemblyError::PartSizeOver`]
/// and the caller passes the part through or rejects it. Why: a concatenated part is a short
/// message; anything larger is not one.
pub const PART_SIZE_MAX: usize = 254;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REF: ConcatReference = ConcatReference::Ref8(5);

    #[test]
    fn out_of_order_parts_complete_in_sequence_order() {
        // Proves parts 3, 1, 2 complete on the last arrival with payloads in seqnum order and
        // leave the table empty.
        let mut table = Reassembler::new(2, 100);
        assert_eq!(table.handle_part(1, REF, 3, 3, b"c", 0), Ok(None));
        assert_eq!(table.handle_part(1, REF, 3, 1, b"a", 1), Ok(None));
        let completed = table.handle_part(1, REF, 3, 2, b"b", 2).unwrap().unwrap();
        assert_eq!(
            completed.parts,
            [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        assert_eq!(completed.payload(), b"abc");
        assert!(table.is_empty());
        assert_eq!(table.poll_timeout(), None);
    }

    #[test]
    fn duplicate_and_inconsistent_parts_are_refused() {
        // Proves a duplicate seqnum and a different total are typed errors that keep the held
        // message intact, so it still completes with the first copies.
        let mut table = Reassembler::new(2, 100);
        table.handle_part(1, REF, 2, 1, b"a", 0).unwrap();
        assert_eq!(
            table.handle_part(1, REF, 2, 1, b"x", 0),
            Err(ReassemblyError::DuplicatePart { seqnum: 1 })
        );
        assert_eq!(
            table.handle_part(1, REF, 3, 2, b"x", 0),
            Err(ReassemblyError::TotalMismatch { held: 2, got: 3 })
        );
        let completed = table.handle_part(1, REF, 2, 2, b"b", 0).unwrap().unwrap();
        assert_eq!(completed.payload(), b"ab");
    }

    #[test]
    fn bad_numbers_are_refused_before_storage() {
        // Proves total 0, seqnum 0, seqnum over total and an oversized payload are typed errors
        // and store nothing.
        let mut table = Reassembler::new(2, 100);
        assert_eq!(
            table.handle_part(1, REF, 0, 1, b"", 0),
            Err(ReassemblyError::TotalZero)
        );
        assert_eq!(
            table.handle_part(1, REF, 2, 0, b"", 0),
            Err(ReassemblyError::SeqnumZero)
        );
        assert_eq!(
            table.handle_part(1, REF, 2, 3, b"", 0),
            Err(ReassemblyError::SeqnumOverTotal {
                seqnum: 3,
                total: 2
            })
        );
        assert_eq!(
            table.handle_part(1, REF, 2, 1, &[0; 255], 0),
            Err(ReassemblyError::PartSizeOver {
                size: 255,
                max: 254
            })
        );
        assert!(table.is_empty());
    }

    #[test]
    fn eight_and_sixteen_bit_references_are_distinct_messages() {
        // Proves Ref8(5) and Ref16(5) from the same key, and the same reference from two keys,
        // are kept apart.
        let mut table = Reassembler::new(4, 100);
        table.handle_part(1, REF, 2, 1, b"a", 0).unwrap();
        table
            .handle_part(1, ConcatReference::Ref16(5), 2, 1, b"b", 0)
            .unwrap();
        table.handle_part(2, REF, 2, 1, b"c", 0).unwrap();
        assert_eq!(table.len(), 3);
        let completed = table
            .handle_part(1, ConcatReference::Ref16(5), 2, 2, b"B", 0)
            .unwrap()
            .unwrap();
        assert_eq!(completed.payload(), b"bB");
    }

    #[test]
    fn full_table_rejects_new_messages_but_feeds_held_ones() {
        // Proves the reject-new policy at capacity 1: a second message is TableFull, the held
        // one still completes, and a single-part message passes without a slot.
        let mut table = Reassembler::new(1, 100);
        table.handle_part("a", REF, 2, 1, b"1", 0).unwrap();
        assert_eq!(
            table.handle_part("b", REF, 2, 1, b"1", 0),
            Err(ReassemblyError::TableFull { capacity_max: 1 })
        );
        let single = table.handle_part("b", REF, 1, 1, b"s", 0).unwrap().unwrap();
        assert_eq!(single.payload(), b"s");
        assert!(
            table
                .handle_part("a", REF, 2, 2, b"2", 0)
                .unwrap()
                .is_some()
        );
        assert!(
            table
                .handle_part("b", REF, 2, 1, b"1", 0)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn incomplete_messages_expire_oldest_first_at_their_deadline() {
        // Proves poll_expired returns nothing before the deadline, then each incomplete message
        // once, oldest first, with the parts that arrived; later parts do not extend it.
        let mut table = Reassembler::new(4, 100);
        table.handle_part(1, REF, 3, 2, b"b", 10).unwrap();
        table.handle_part(2, REF, 2, 1, b"x", 20).unwrap();
        table.handle_part(1, REF, 3, 3, b"c", 90).unwrap();
        assert_eq!(table.poll_timeout(), Some(110));
        assert_eq!(table.poll_expired(109), None);
        let first = table.poll_expired(200).unwrap();
        assert_eq!(first.key, 1);
        assert_eq!(first.total, 3);
        assert_eq!(first.parts, [(2, b"b".to_vec()), (3, b"c".to_vec())]);
        assert_eq!(table.poll_expired(200).unwrap().key, 2);
        assert_eq!(table.poll_expired(200), None);
        assert!(table.is_empty());
    }

    proptest! {
        #[test]
        fn hostile_part_streams_keep_the_table_bounded(
            parts in proptest::collection::vec(
                (0u8..3, 0u8..4, 0u8..6, 0u8..6, 0usize..300, 0u64..50),
                0..200,
            ),
        ) {
            // Proves random keys, references, totals, seqnums, sizes and clock steps never
            // panic, never exceed capacity, and every completed message has exactly its total
            // of parts; afterwards everything expires.
            let mut table = Reassembler::new(3, 100);
            let mut now = 0u64;
            for (key, reference, total, seqnum, size, step) in parts {
                now += step;
                let payload = vec![seqnum; size];
                let reference = ConcatReference::Ref8(reference);
                if let Ok(Some(done)) = table.handle_part(key, reference, total, seqnum, &payload, now) {
                    prop_assert_eq!(done.parts.len(), usize::from(total));
                }
                prop_assert!(table.len() <= 3);
                while table.poll_expired(now).is_some() {}
            }
            prop_assert!(table.poll_timeout().is_none_or(|deadline| deadline > now));
            while table.poll_expired(u64::MAX).is_some() {}
            prop_assert!(table.is_empty());
        }
    }
}
