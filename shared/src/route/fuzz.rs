//! The routing fuzz body: builds a small snapshot from arbitrary bytes and routes arbitrary
//! destinations through it, checking every answer against `Reference`, a linear-scan model
//! that is slow, obvious and independent of the trie. Run by a stable test over a fixed-seed
//! batch (`route::tests`); a `cargo fuzz` target can call [`fuzz_route`] unchanged.

use super::group::MemberSpec;
use super::ported::PortedError;
use super::snapshot::{BuildError, RouteSnapshotBuilder, RouteSource};
use super::{AccountId, NUMBER_DIGITS_MAX, RouteError};

/// Splits `data` at `\n` into operations. The first byte of each picks: bits 0-1 the operation
/// (global prefix, account prefix, ported number, lookup); bits 2-3 the group, or for a lookup
/// the account (mod 3); bits 4-7 the account of a route (mod 3), or for a lookup which of the
/// four connectors are up. The rest is the prefix, number or destination. Panics only on a
/// routing bug.
pub fn fuzz_route(data: &[u8]) {
    let mut builder = RouteSnapshotBuilder::new(1);
    for name in CONNECTORS {
        assert!(builder.connector(name).is_ok());
    }
    for (name, members) in GROUPS {
        let specs: Vec<MemberSpec> = members
            .iter()
            .map(|&(connector, priority, weight)| MemberSpec {
                connector: CONNECTORS[connector].into(),
                priority,
                weight,
            })
            .collect();
        assert!(builder.group(name, &specs).is_ok());
    }
    let mut reference = Reference::default();
    let mut lookups = Vec::new();
    for chunk in data.split(|&byte| byte == b'\n') {
        let Some((&op, rest)) = chunk.split_first() else {
            continue;
        };
        let group = usize::from(op >> 2) % GROUPS.len();
        let account = AccountId(u32::from(op >> 4) % 3);
        let text = String::from_utf8_lossy(rest);
        match op % 4 {
            0 => {
                if builder.prefix(&text, GROUPS[group].0).is_ok() {
                    reference.global.push((text.into_owned(), group));
                }
            }
            1 => {
                if builder
                    .account_prefix(account, &text, GROUPS[group].0)
                    .is_ok()
                {
                    reference.accounts.push((account, text.into_owned(), group));
                }
            }
            2 => {
                if builder.ported_number(&text, GROUPS[group].0).is_ok() {
                    reference.ported.push((text.into_owned(), group));
                }
            }
            _ => lookups.push((op, rest)),
        }
    }
    let snapshot = match builder.build() {
        Ok(snapshot) => snapshot,
        Err(BuildError::Ported(PortedError::Duplicate { number, .. })) => {
            let count = reference
                .ported
                .iter()
                .filter(|(n, _)| *n == number)
                .count();
            assert!(count >= 2, "{number} reported as duplicate");
            return;
        }
        Err(error) => panic!("build fails only on duplicate ported numbers: {error}"),
    };
    assert!(reference.ported_is_unique());
    for (op, destination) in lookups {
        let account = AccountId(u32::from((op >> 2) & 3) % 3);
        let up = op >> 4;
        let seed = destination.iter().fold(u64::from(op), |seed, &byte| {
            seed.rotate_left(5) ^ u64::from(byte)
        });
        let is_up = |id: super::ConnectorId| up & (1 << id.index()) != 0;
        let selected = snapshot.select(account, destination, seed, is_up);
        let Some(expected) = reference.route(account, destination) else {
            assert!(matches!(selected, Err(RouteError::InvalidNumber(_))));
            continue;
        };
        let Some((group, source)) = expected else {
            assert_eq!(selected, Err(RouteError::NoRoute));
            continue;
        };
        let members = GROUPS[group].1;
        let priority = members
            .iter()
            .filter(|&&(connector, _, _)| up & (1 << connector) != 0)
            .map(|&(_, priority, _)| priority)
            .min();
        let Some(priority) = priority else {
            assert!(
                matches!(selected, Err(RouteError::AllConnectorsDown { group: g }) if g.index() == group)
            );
            continue;
        };
        let selection = match selected {
            Ok(selection) => selection,
            Err(error) => panic!("expected group {group} via {source:?}, got {error}"),
        };
        assert_eq!(selection.group.index(), group);
        assert_eq!(selection.source, source);
        assert_eq!(selection.priority, priority);
        assert!(is_up(selection.connector));
        let best = members.iter().map(|&(_, priority, _)| priority).min();
        assert_eq!(selection.failed_over, best != Some(priority));
        let tier_member = members.iter().any(|&(connector, member_priority, _)| {
            connector == selection.connector.index() && member_priority == priority
        });
        assert!(tier_member);
    }
}

/// A linear-scan model of the routing tables: what the snapshot must answer.
#[derive(Debug, Default)]
pub(crate) struct Reference {
    /// (prefix, group index) as accepted by the builder.
    pub(crate) global: Vec<(String, usize)>,
    pub(crate) accounts: Vec<(AccountId, String, usize)>,
    pub(crate) ported: Vec<(String, usize)>,
}

impl Reference {
    /// `None` when `destination` is not a number; else the group and source, if any route
    /// matches. Precedence: ported, then account, then global.
    pub(crate) fn route(
        &self,
        account: AccountId,
        destination: &[u8],
    ) -> Option<Option<(usize, RouteSource)>> {
        let number = destination.strip_prefix(b"+").unwrap_or(destination);
        let valid = !number.is_empty()
            && number.len() <= NUMBER_DIGITS_MAX
            && number.iter().all(u8::is_ascii_digit);
        if !valid {
            return None;
        }
        let number = std::str::from_utf8(number).ok()?;
        if let Some((_, group)) = self.ported.iter().find(|(ported, _)| ported == number) {
            return Some(Some((*group, RouteSource::Ported)));
        }
        let own = self
            .accounts
            .iter()
            .filter(|(owner, _, _)| *owner == account)
            .map(|(_, prefix, group)| (prefix, group));
        if let Some(group) = longest_match(own, number) {
            return Some(Some((group, RouteSource::Account)));
        }
        let global = self.global.iter().map(|(prefix, group)| (prefix, group));
        Some(longest_match(global, number).map(|group| (group, RouteSource::Global)))
    }

    fn ported_is_unique(&self) -> bool {
        let mut numbers: Vec<&String> = self.ported.iter().map(|(number, _)| number).collect();
        numbers.sort_unstable();
        numbers.windows(2).all(|pair| pair[0] != pair[1])
    }
}

/// The target of the longest `prefix` that `number` starts with.
pub(crate) fn longest_match<'a>(
    entries: impl Iterator<Item = (&'a String, &'a usize)>,
    number: &str,
) -> Option<usize> {
    entries
        .filter(|(prefix, _)| number.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, group)| *group)
}

/// (connector index, priority, weight) per member.
type GroupMembers = &'static [(usize, u8, u16)];

const CONNECTORS: [&str; 4] = ["c0", "c1", "c2", "c3"];

/// Groups as (name, [(connector index, priority, weight)]): one tier with weights, a
/// primary with one backup, and a tier order that differs from the configured order.
const GROUPS: [(&str, GroupMembers); 3] = [
    ("g0", &[(0, 0, 1), (1, 0, 3)]),
    ("g1", &[(2, 0, 1), (3, 1, 1)]),
    ("g2", &[(1, 5, 2), (3, 5, 2), (0, 9, 1)]),
];
