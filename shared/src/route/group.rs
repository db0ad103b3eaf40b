//! Route groups: the connectors a route may use, in failover order, with weights among equals.
//!
//! Members are sorted by priority (lower first; equal priorities keep their configured order)
//! and cut into tiers of equal priority. [`RouteGroup::select`] tries tiers in order; in the
//! first tier with an available member it picks one available member with probability
//! proportional to its weight, by a caller-given `seed`. Weights of unavailable members are
//! left out, so a down connector's share goes to the others in its tier. The same seed and the
//! same availability always give the same member (no RNG: tests and simulations replay).
//!
//! Layout: the snapshot keeps every group's members in one flat array (6 bytes a member) and a
//! span per group; [`RouteGroup`] is a view of one span. Cost: one `is_available` call per
//! member of each tier tried (at most [`GROUP_MEMBERS_MAX`](super::GROUP_MEMBERS_MAX)), one
//! multiply to map the seed, no allocation.

// HOT PATH: `select` allocates nothing, takes no locks and logs nothing.

use super::ConnectorId;

/// One connector of a group as the config gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    /// The connector's name, declared before the group.
    pub connector: String,
    /// Failover order: all members of the lowest priority are tried before any higher one.
    pub priority: u8,
    /// Relative share among available members of the same priority, 1 or more.
    pub weight: u16,
}

/// One connector of a compiled group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The connector.
    pub connector: ConnectorId,
    /// Its priority (lower is tried first).
    pub priority: u8,
    /// Its weight within the priority, at least 1.
    pub weight: u16,
}

/// A compiled route group: a view into the snapshot's flat member array.
#[derive(Debug, Clone, Copy)]
pub struct RouteGroup<'a> {
    pub(crate) name: &'a str,
    /// Sorted by priority, ascending; configured order within a priority.
    pub(crate) members: &'a [Member],
}

impl<'a> RouteGroup<'a> {
    /// The group's configured name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The members in failover order.
    pub fn members(&self) -> &'a [Member] {
        self.members
    }

    /// The first available member by priority, chosen by weight among available members of
    /// that priority using `seed`; with `failed_over` true when a better tier had no available
    /// member. `None` when no member is available.
    pub fn select(
        &self,
        seed: u64,
        is_available: impl Fn(ConnectorId) -> bool,
    ) -> Option<(Member, bool)> {
        let mut rest = self.members;
        let mut failed_over = false;
        // Each turn removes one tier (at least one member), so this ends.
        while let Some(first) = rest.first() {
            let tier_size = rest
                .iter()
                .take_while(|member| member.priority == first.priority)
                .count();
            let (tier, after) = rest.split_at(tier_size);
            if let Some(member) = select_in_tier(tier, seed, &is_available) {
                return Some((member, failed_over));
            }
            failed_over = true;
            rest = after;
        }
        None
    }
}

/// Puts members validated by the caller (1 to 64, weights of at least 1, each connector
/// once) in failover order: by priority, configured order within a priority.
pub(crate) fn members_sort(members: &mut [Member]) {
    assert!(!members.is_empty());
    assert!(members.len() <= super::GROUP_MEMBERS_MAX);
    assert!(members.iter().all(|member| member.weight >= 1));
    // Stable: equal priorities keep their configured order.
    members.sort_by_key(|member| member.priority);
}

/// The member of `tier` (at most 64) chosen by weight among the available ones, if any.
fn select_in_tier(
    tier: &[Member],
    seed: u64,
    is_available: &impl Fn(ConnectorId) -> bool,
) -> Option<Member> {
    debug_assert!(tier.len() <= 64);
    let mut available = 0u64;
    let mut weight_total = 0u64;
    for (index, member) in tier.iter().enumerate() {
        if is_available(member.connector) {
            available |= 1 << index;
            weight_total += u64::from(member.weight);
        }
    }
    if available == 0 {
        return None;
    }
    // A point in [0, weight_total): the mixed seed scaled by a multiply, so every seed maps,
    // sequential seeds spread, and no division is needed.
    let mut point = ((u128::from(seed_mix(seed)) * u128::from(weight_total)) >> 64) as u64;
    assert!(point < weight_total);
    let mut chosen = None;
    for (index, member) in tier.iter().enumerate() {
        if available & (1 << index) == 0 {
            continue;
        }
        chosen = Some(*member);
        if point < u64::from(member.weight) {
            break;
        }
        point -= u64::from(member.weight);
    }
    chosen
}

/// The splitmix64 finaliser: a bijection that spreads nearby seeds (a counter, a message id)
/// over the whole range.
fn seed_mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, mut members: Vec<Member>) -> (String, Vec<Member>) {
        members_sort(&mut members);
        (name.to_owned(), members)
    }

    fn view(group: &(String, Vec<Member>)) -> RouteGroup<'_> {
        RouteGroup {
            name: &group.0,
            members: &group.1,
        }
    }

    fn member(connector: u16, priority: u8, weight: u16) -> Member {
        Member {
            connector: ConnectorId(connector),
            priority,
            weight,
        }
    }

    // Proves tiers are tried by ascending priority whatever the configured order, and that
    // `failed_over` is set only when a better tier had nobody available.
    #[test]
    fn failover_follows_priority() {
        let owned = group("g", vec![member(2, 2, 1), member(0, 0, 1), member(1, 1, 1)]);
        let group = view(&owned);
        assert_eq!(group.name(), "g");
        let all = |_: ConnectorId| true;
        assert_eq!(group.select(7, all), Some((member(0, 0, 1), false)));
        let not_0 = |id: ConnectorId| id != ConnectorId(0);
        assert_eq!(group.select(7, not_0), Some((member(1, 1, 1), true)));
        let only_2 = |id: ConnectorId| id == ConnectorId(2);
        assert_eq!(group.select(7, only_2), Some((member(2, 2, 1), true)));
        assert_eq!(group.select(7, |_| false), None);
    }

    // Proves weighted choice is deterministic per seed and proportional to weight over a
    // fixed run of sequential seeds (exact counts are fixed by the seeds, so the tolerance
    // only guards against a biased mapping), and that a down member's share moves to the rest.
    #[test]
    fn weights_are_deterministic_and_proportional() {
        let owned = group("g", vec![member(0, 0, 1), member(1, 0, 3), member(2, 0, 6)]);
        let group = view(&owned);
        let mut counts = [0u32; 3];
        for seed in 0..100_000u64 {
            let (chosen, failed_over) = group.select(seed, |_| true).unwrap();
            assert!(!failed_over);
            assert_eq!(group.select(seed, |_| true).unwrap().0, chosen);
            counts[chosen.connector.index()] += 1;
        }
        for (count, expected) in counts.iter().zip([10_000, 30_000, 60_000]) {
            assert!(count.abs_diff(expected) < 1_000, "{counts:?}");
        }
        let mut counts = [0u32; 3];
        for seed in 0..100_000u64 {
            let (chosen, _) = group.select(seed, |id| id != ConnectorId(2)).unwrap();
            counts[chosen.connector.index()] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!(counts[0].abs_diff(25_000) < 1_000, "{counts:?}");
    }

    // Proves extreme seeds and weights stay in range: the point is always below the total and
    // the last available member is chosen for the largest seeds.
    #[test]
    fn extreme_seeds_and_weights_stay_in_range() {
        let members: Vec<Member> = (0..64).map(|index| member(index, 0, u16::MAX)).collect();
        let owned = group("g", members);
        let group = view(&owned);
        for seed in [0, 1, u64::MAX, u64::MAX / 2] {
            assert!(group.select(seed, |_| true).is_some());
        }
        let only_last = |id: ConnectorId| id == ConnectorId(63);
        assert_eq!(
            group.select(u64::MAX, only_last).unwrap().0.connector,
            ConnectorId(63)
        );
    }
}
