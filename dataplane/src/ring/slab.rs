//! The in-flight slab: one slot per submitted operation, owning the operation's kernel-bound
//! memory from SQE push until its final CQE. Capacity is fixed at construction (at most
//! [`IN_FLIGHT_MAX`](super::IN_FLIGHT_MAX)); `insert` on a full slab hands the operation back
//! and nothing grows on the hot path.
//!
//! A slot is addressed by a [`Token`]: index plus generation, packed into the SQE's `user_data`.
//! Freeing a slot bumps its generation, so a token kept after its completion no longer matches
//! and a stale token can never name the slot's next occupant.

use super::op::InFlightOp;

/// Names one submitted operation. Returned by every submission and carried by its completions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    index: u32,
    generation: u32,
}

impl Token {
    /// Packs the token into an SQE's `user_data`: generation high, index low.
    pub(super) fn user_data(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.index)
    }

    pub(super) fn from_user_data(user_data: u64) -> Self {
        let index = u32::try_from(user_data & u64::from(u32::MAX)).unwrap_or(u32::MAX);
        let generation = u32::try_from(user_data >> 32).unwrap_or(u32::MAX);
        Self { index, generation }
    }
}

/// Whether anyone still wants an operation's completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Interest {
    Caller,
    /// The caller dropped interest; the slot still owns the memory and frees it on the final CQE.
    Orphaned,
}

#[derive(Debug)]
pub(super) struct Slab {
    slots: Vec<Slot>,
    /// Indices of vacant slots; capacity reserved up front, so push never allocates.
    free: Vec<u32>,
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    state: SlotState,
}

#[derive(Debug)]
enum SlotState {
    Vacant,
    InFlight { op: InFlightOp, interest: Interest },
}

impl Slab {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        assert!(capacity > 0);
        assert!(capacity <= super::IN_FLIGHT_MAX, "capacity={capacity}");
        let slots = (0..capacity)
            .map(|_| Slot {
                generation: 0,
                state: SlotState::Vacant,
            })
            .collect();
        // Popped from the end: lowest index first, which keeps tests readable.
        let free = (0..capacity)
            .rev()
            .map(|index| u32::try_from(index).unwrap_or(u32::MAX))
            .collect();
        Self { slots, free }
    }

    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn in_flight_count(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Takes a vacant slot for `op`, or hands `op` back when every slot is in flight.
    pub(super) fn insert(&mut self, op: InFlightOp) -> Result<Token, InFlightOp> {
        let Some(index) = self.free.pop() else {
            return Err(op);
        };
        let slot = &mut self.slots[index as usize];
        assert!(matches!(slot.state, SlotState::Vacant), "index={index}");
        slot.state = SlotState::InFlight {
            op,
            interest: Interest::Caller,
        };
        Ok(Token {
            index,
            generation: slot.generation,
        })
    }

    /// The live operation `token` names, or `None` when the token is stale.
    pub(super) fn get_mut(&mut self, token: Token) -> Option<(&mut InFlightOp, Interest)> {
        let slot = self.slots.get_mut(token.index as usize)?;
        if slot.generation != token.generation {
            return None;
        }
        match &mut slot.state {
            SlotState::InFlight { op, interest } => Some((op, *interest)),
            SlotState::Vacant => None,
        }
    }

    /// Frees the slot `token` names and returns its operation; `None` when the token is stale.
    pub(super) fn remove(&mut self, token: Token) -> Option<(InFlightOp, Interest)> {
        self.get_mut(token)?;
        let slot = &mut self.slots[token.index as usize];
        let SlotState::InFlight { op, interest } =
            std::mem::replace(&mut slot.state, SlotState::Vacant)
        else {
            unreachable!("get_mut just found the slot in flight")
        };
        slot.generation = slot.generation.wrapping_add(1);
        assert!(self.free.len() < self.free.capacity());
        self.free.push(token.index);
        Some((op, interest))
    }

    /// Marks a live operation orphaned; returns false when the token is stale.
    pub(super) fn orphan(&mut self, token: Token) -> bool {
        let Some(slot) = self.slots.get_mut(token.index as usize) else {
            return false;
        };
        if slot.generation != token.generation {
            return false;
        }
        match &mut slot.state {
            SlotState::InFlight { interest, .. } => {
                *interest = Interest::Orphaned;
                true
            }
            SlotState::Vacant => false,
        }
    }

    /// Tokens of every operation in flight (shutdown path only).
    pub(super) fn live_tokens(&self) -> impl Iterator<Item = Token> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| match slot.state {
                SlotState::InFlight { .. } => Some(Token {
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    generation: slot.generation,
                }),
                SlotState::Vacant => None,
            })
    }

    /// Leaks every slot's memory: called only when the kernel may still write to it after the
    /// ring is gone, where a leak is the only sound choice.
    pub(super) fn leak(&mut self) {
        std::mem::forget(std::mem::take(&mut self.slots));
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::op::timeout::TimeoutOp;
    use std::time::Duration;

    fn op() -> InFlightOp {
        InFlightOp::Timeout(TimeoutOp::new(Duration::from_secs(1)))
    }

    // Proves user_data round-trips a token exactly, including the top generation bits, so the
    // drain attributes each CQE to the slot and generation that submitted it.
    #[test]
    fn token_round_trips_through_user_data() {
        let token = Token {
            index: 7,
            generation: u32::MAX - 1,
        };
        assert_eq!(Token::from_user_data(token.user_data()), token);
    }

    // Proves a stale token (kept after its slot was freed and reused) never reaches the new
    // occupant: lookups, removal and orphaning all refuse it by generation.
    #[test]
    fn stale_token_never_names_the_next_occupant() {
        let mut slab = Slab::with_capacity(1);
        let first = slab.insert(op()).unwrap();
        assert!(slab.remove(first).is_some());
        let second = slab.insert(op()).unwrap();
        assert_eq!(first.index, second.index);
        assert!(slab.get_mut(first).is_none());
        assert!(!slab.orphan(first));
        assert!(slab.remove(first).is_none());
        assert!(slab.get_mut(second).is_some());
    }

    // Proves the slab refuses past its capacity and hands the operation back, then accepts again
    // once a slot is freed.
    #[test]
    fn full_slab_hands_the_operation_back() {
        let mut slab = Slab::with_capacity(2);
        let first = slab.insert(op()).unwrap();
        let _second = slab.insert(op()).unwrap();
        assert!(matches!(slab.insert(op()), Err(InFlightOp::Timeout(_))));
        assert_eq!(slab.in_flight_count(), 2);
        slab.remove(first).unwrap();
        assert!(slab.insert(op()).is_ok());
    }
}
