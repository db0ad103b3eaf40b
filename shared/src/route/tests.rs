//! Routing tests across the tables: precedence, failover through the snapshot, statuses,
//! builder validation, the property test against the linear-scan reference, and the fuzz batch.

use std::collections::HashMap;
use std::sync::Arc;

use proptest::prelude::*;

use super::fuzz::{Reference, fuzz_route, longest_match};
use super::*;

/// A deterministic generator for fixed-seed batches.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}

fn member(connector: &str, priority: u8, weight: u16) -> MemberSpec {
    MemberSpec {
        connector: connector.into(),
        priority,
        weight,
    }
}

/// Three connectors; `uk` = a then b (failover), `uk-ported` = c, `fr` = b alone.
fn builder() -> RouteSnapshotBuilder {
    let mut builder = RouteSnapshotBuilder::new(7);
    for name in ["a", "b", "c"] {
        builder.connector(name).unwrap();
    }
    builder
        .group("uk", &[member("b", 1, 1), member("a", 0, 1)])
        .unwrap();
    builder.group("uk-ported", &[member("c", 0, 1)]).unwrap();
    builder.group("fr", &[member("b", 0, 1)]).unwrap();
    builder
}

fn up(_: ConnectorId) -> bool {
    true
}

// Proves the precedence portability > account override > global: the same number routes by
// its ported entry for every account, an account's own prefix beats a longer global prefix,
// other accounts use the global table, and a number the account table does not cover falls
// through to the global table.
#[test]
fn precedence_is_ported_then_account_then_global() {
    let mut builder = builder();
    builder.prefix("44", "uk").unwrap();
    builder.prefix("447700", "uk").unwrap();
    builder.prefix("33", "fr").unwrap();
    builder.account_prefix(AccountId(5), "44", "fr").unwrap();
    builder.ported_number("447700900123", "uk-ported").unwrap();
    let snapshot = builder.build().unwrap();
    let (uk, ported, fr) = (
        snapshot.group_id("uk").unwrap(),
        snapshot.group_id("uk-ported").unwrap(),
        snapshot.group_id("fr").unwrap(),
    );
    for account in [AccountId(1), AccountId(5)] {
        assert_eq!(
            snapshot.route(account, b"+447700900123"),
            Ok((ported, RouteSource::Ported))
        );
    }
    assert_eq!(
        snapshot.route(AccountId(5), b"447700900999"),
        Ok((fr, RouteSource::Account))
    );
    assert_eq!(
        snapshot.route(AccountId(1), b"447700900999"),
        Ok((uk, RouteSource::Global))
    );
    assert_eq!(
        snapshot.route(AccountId(5), b"33123456789"),
        Ok((fr, RouteSource::Global))
    );
    assert_eq!(
        snapshot.route(AccountId(5), b"1202555"),
        Err(RouteError::NoRoute)
    );
}

// Proves select walks the failover order through the snapshot: the primary while it is up,
// the backup (flagged failed_over) when it is down, and AllConnectorsDown naming the group
// when both are down; and that an invalid destination is refused before any table.
#[test]
fn select_fails_over_then_reports_all_down() {
    let mut builder = builder();
    builder.prefix("", "uk").unwrap();
    let snapshot = builder.build().unwrap();
    let (a, b) = (
        snapshot.connector_id("a").unwrap(),
        snapshot.connector_id("b").unwrap(),
    );
    let uk = snapshot.group_id("uk").unwrap();
    let selection = snapshot.select(AccountId(1), b"4412", 3, up).unwrap();
    assert_eq!(
        selection,
        Selection {
            connector: a,
            group: uk,
            source: RouteSource::Global,
            priority: 0,
            failed_over: false
        }
    );
    let selection = snapshot
        .select(AccountId(1), b"4412", 3, |id| id != a)
        .unwrap();
    assert_eq!((selection.connector, selection.priority), (b, 1));
    assert!(selection.failed_over);
    assert_eq!(
        snapshot.select(AccountId(1), b"4412", 3, |_| false),
        Err(RouteError::AllConnectorsDown { group: uk })
    );
    assert!(matches!(
        snapshot.select(AccountId(1), b"44-12", 3, up),
        Err(RouteError::InvalidNumber(NumberError::NonDigit {
            index: 2,
            ..
        }))
    ));
}

// Proves the status mapping: invalid number and no route answer ESME_RINVDSTADR (0x0B), all
// connectors down answers the transient ESME_RMSGQFUL (0x14); configured statuses replace the
// last two but never the invalid-number one; ESME_ROK is refused as a configured status.
#[test]
fn statuses_default_and_configured() {
    let all_down = RouteError::AllConnectorsDown {
        group: GroupId::new(0).unwrap(),
    };
    let invalid = RouteError::InvalidNumber(NumberError::Empty);
    assert_eq!(RouteError::NoRoute.status().0, 0x0B);
    assert_eq!(invalid.status().0, 0x0B);
    assert_eq!(all_down.status().0, 0x14);
    assert_eq!(CommandStatus::from(&all_down), CommandStatus::ESME_RMSGQFUL);
    assert!(all_down.status().is_transient());
    assert!(all_down.is_transient());
    assert!(!RouteError::NoRoute.is_transient());
    assert!(!invalid.is_transient());

    let mut builder = builder();
    let configured = RouteStatuses {
        no_route: CommandStatus(0x0400),
        all_connectors_down: CommandStatus::ESME_RSYSERR,
    };
    builder.statuses(configured).unwrap();
    let refused = RouteStatuses {
        no_route: CommandStatus::ESME_ROK,
        ..configured
    };
    assert_eq!(
        builder.statuses(refused),
        Err(BuildError::StatusOk { which: "no_route" })
    );
    let snapshot = builder.build().unwrap();
    assert_eq!(snapshot.status(&RouteError::NoRoute), CommandStatus(0x0400));
    assert_eq!(snapshot.status(&all_down), CommandStatus::ESME_RSYSERR);
    assert_eq!(snapshot.status(&invalid), CommandStatus::ESME_RINVDSTADR);
}

// Proves each builder rule gives its own typed error naming the entry, and leaves the
// builder usable: the valid entries around the refused ones still build and route.
#[test]
fn builder_refuses_each_bad_entry_by_name() {
    let mut builder = builder();
    let name_error = |name: &str| BuildError::NameInvalid {
        name: name.into(),
        max: NAME_SIZE_MAX,
    };
    assert_eq!(builder.connector(""), Err(name_error("")));
    assert_eq!(builder.connector("a b"), Err(name_error("a b")));
    let long = "x".repeat(NAME_SIZE_MAX + 1);
    assert_eq!(builder.connector(&long), Err(name_error(&long)));
    assert_eq!(
        builder.connector("a"),
        Err(BuildError::ConnectorDuplicate { name: "a".into() })
    );
    assert_eq!(
        builder.group("uk", &[member("a", 0, 1)]),
        Err(BuildError::GroupDuplicate { name: "uk".into() })
    );
    assert_eq!(
        builder.group("none", &[]),
        Err(BuildError::GroupEmpty {
            group: "none".into()
        })
    );
    let member_error = |connector: &str, rule| BuildError::GroupMember {
        group: "g".into(),
        connector: connector.into(),
        rule,
    };
    assert_eq!(
        builder.group("g", &[member("z", 0, 1)]),
        Err(member_error("z", MemberRule::ConnectorUnknown))
    );
    assert_eq!(
        builder.group("g", &[member("a", 0, 1), member("a", 1, 1)]),
        Err(member_error("a", MemberRule::ConnectorDuplicate))
    );
    assert_eq!(
        builder.group("g", &[member("a", 0, 0)]),
        Err(member_error("a", MemberRule::WeightZero))
    );
    let too_many: Vec<MemberSpec> = (0..=GROUP_MEMBERS_MAX).map(|_| member("a", 0, 1)).collect();
    assert!(matches!(
        builder.group("g", &too_many),
        Err(BuildError::GroupMembersOver {
            got: 65,
            max: 64,
            ..
        })
    ));
    assert_eq!(
        builder.prefix("44", "nowhere"),
        Err(BuildError::GroupUnknown {
            name: "nowhere".into()
        })
    );
    builder.prefix("44", "uk").unwrap();
    assert_eq!(
        builder.prefix("44", "fr"),
        Err(BuildError::Prefix(PrefixError::Duplicate {
            prefix: "44".into()
        }))
    );
    assert_eq!(
        builder.account_prefix(AccountId(3), "4x", "fr"),
        Err(BuildError::AccountPrefix {
            account: AccountId(3),
            error: PrefixError::NonDigit {
                prefix: "4x".into(),
                index: 1
            }
        })
    );
    assert!(matches!(
        builder.ported_number("+44", "uk"),
        Err(BuildError::Ported(PortedError::NumberInvalid { .. }))
    ));
    let snapshot = builder.build().unwrap();
    assert_eq!(snapshot.stats().account_count, 0);
    assert_eq!(
        snapshot.route(AccountId(3), b"44").unwrap().1,
        RouteSource::Global
    );
}

// Proves duplicate ported numbers are found at build, with the number named.
#[test]
fn duplicate_ported_numbers_fail_the_build() {
    let mut builder = builder();
    builder.ported_number("447700900123", "uk").unwrap();
    builder.ported_number("447700900123", "fr").unwrap();
    assert_eq!(
        builder.build().unwrap_err(),
        BuildError::Ported(PortedError::Duplicate {
            number: "447700900123".into(),
            duplicate_count: 1
        })
    );
}

// Proves the account bound is enforced at exactly ACCOUNTS_WITH_ROUTES_MAX new accounts while
// accounts already present can still take prefixes.
#[test]
fn accounts_with_routes_are_bounded() {
    let mut builder = builder();
    for account in 0..ACCOUNTS_WITH_ROUTES_MAX as u32 {
        builder
            .account_prefix(AccountId(account), "1", "uk")
            .unwrap();
    }
    assert_eq!(
        builder.account_prefix(AccountId(u32::MAX), "1", "uk"),
        Err(BuildError::AccountsOver {
            max: ACCOUNTS_WITH_ROUTES_MAX
        })
    );
    builder.account_prefix(AccountId(0), "2", "fr").unwrap();
    let snapshot = builder.build().unwrap();
    let stats = snapshot.stats();
    assert_eq!(stats.account_count, ACCOUNTS_WITH_ROUTES_MAX);
    assert_eq!(stats.account_prefix_count, ACCOUNTS_WITH_ROUTES_MAX + 1);
    assert_eq!(
        snapshot.route(AccountId(0), b"2").unwrap().1,
        RouteSource::Account
    );
}

// Proves the snapshot is Send + Sync, shared as an Arc across threads' worth of clones, and
// reports its version and names.
#[test]
fn snapshot_is_shareable_and_versioned() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RouteSnapshot>();
    assert_send_sync::<Arc<RouteSnapshot>>();
    let snapshot = builder().build().unwrap();
    let shared = Arc::clone(&snapshot);
    assert_eq!(shared.version(), 7);
    assert_eq!(shared.connector_count(), 3);
    let c = shared.connector_id("c").unwrap();
    assert_eq!(c.index(), 2);
    assert_eq!(shared.connector_name(c), Some("c"));
    assert_eq!(
        shared.group(shared.group_id("fr").unwrap()).unwrap().name(),
        "fr"
    );
    assert_eq!(shared.connector_id("zz"), None);
}

// Proves the trie agrees with a hash-map reference (probe every length, longest first) on a
// table large enough for a 4-digit direct level, for hits, misses and short numbers.
#[test]
fn large_table_matches_hash_reference() {
    let mut random = SplitMix64(0x0007_0ADE);
    let mut builder = PrefixTableBuilder::new();
    let mut reference: HashMap<String, GroupId> = HashMap::new();
    while reference.len() < 20_000 {
        let length = 2 + random.below(6);
        let prefix: String = (0..length)
            .map(|_| char::from(b'0' + random.below(10) as u8))
            .collect();
        let group = GroupId::new(random.below(1_000) as u32).unwrap();
        if let std::collections::hash_map::Entry::Vacant(entry) = reference.entry(prefix) {
            builder.insert(entry.key(), group).unwrap();
            entry.insert(group);
        }
    }
    let table = builder.build();
    assert_eq!(table.direct_digits(), 4);
    for _ in 0..50_000 {
        let length = 1 + random.below(12);
        let number: String = (0..length)
            .map(|_| char::from(b'0' + random.below(10) as u8))
            .collect();
        let expected = (0..=number.len())
            .rev()
            .find_map(|length| reference.get(&number[..length]).copied());
        assert_eq!(table.lookup(number.as_bytes()), Ok(expected), "{number}");
    }
}

// Proves the fuzz body (which checks every answer against the reference model) holds on a
// fixed-seed batch: structured inputs drawn mostly from digits, '+' and newlines so tables
// and matches happen, and fully random byte strings.
#[test]
fn fuzz_route_survives_a_fixed_seed_batch() {
    let mut random = SplitMix64(0x5EED_0B0E);
    let alphabet = b"01201234+\n\n\n";
    for round in 0..3_000 {
        let length = random.below(400);
        let data: Vec<u8> = if round % 3 == 0 {
            (0..length).map(|_| random.next_u64() as u8).collect()
        } else {
            let mut data = Vec::with_capacity(length + 1);
            while data.len() < length {
                match random.below(8) {
                    0 => data.push(random.next_u64() as u8),
                    _ => data.push(alphabet[random.below(alphabet.len())]),
                }
                if data.last() == Some(&b'\n') {
                    // The byte after a newline is an operation code: make every one likely.
                    data.push(random.next_u64() as u8);
                }
            }
            data
        };
        fuzz_route(&data);
    }
}

/// A digit string over a small alphabet (so prefixes overlap), `length` digits.
fn digits(length: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec!['0', '1', '2']), length)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // Proves PrefixTable lookups equal the linear-scan longest match on random tables
    // (default route included, duplicates dropped as the builder refuses them) for random
    // numbers with and without '+'.
    #[test]
    fn prefix_table_matches_reference(
        entries in proptest::collection::vec((digits(0..=7), 0u32..50), 0..120),
        numbers in proptest::collection::vec((digits(1..=10), any::<bool>()), 1..60),
    ) {
        let mut builder = PrefixTableBuilder::new();
        let mut accepted: Vec<(String, usize)> = Vec::new();
        for (prefix, target) in entries {
            let duplicate = accepted.iter().any(|(known, _)| *known == prefix);
            let result = builder.insert(&prefix, GroupId::new(target).unwrap());
            prop_assert_eq!(result.is_err(), duplicate);
            if !duplicate {
                accepted.push((prefix, target as usize));
            }
        }
        let table = builder.build();
        for (number, plus) in numbers {
            let expected = longest_match(accepted.iter().map(|(p, g)| (p, g)), &number);
            let text = if plus { format!("+{number}") } else { number };
            let found = table.lookup(text.as_bytes()).unwrap().map(GroupId::index);
            prop_assert_eq!(found, expected, "{}", text);
        }
    }

    // Proves whole-snapshot routing equals the reference model with ported numbers, two
    // accounts' tables and the global table populated at random.
    #[test]
    fn snapshot_routing_matches_reference(
        global in proptest::collection::vec((digits(0..=5), 0usize..3), 0..40),
        accounts in proptest::collection::vec((0u32..2, digits(0..=5), 0usize..3), 0..40),
        ported in proptest::collection::btree_map(digits(1..=7), 0usize..3, 0..20),
        numbers in proptest::collection::vec((0u32..3, digits(1..=8)), 1..40),
    ) {
        let names = ["uk", "uk-ported", "fr"];
        let mut builder = builder();
        let mut reference = Reference::default();
        for (prefix, group) in global {
            if builder.prefix(&prefix, names[group]).is_ok() {
                reference.global.push((prefix, group));
            }
        }
        for (account, prefix, group) in accounts {
            if builder.account_prefix(AccountId(account), &prefix, names[group]).is_ok() {
                reference.accounts.push((AccountId(account), prefix, group));
            }
        }
        for (number, group) in ported {
            builder.ported_number(&number, names[group]).unwrap();
            reference.ported.push((number, group));
        }
        let snapshot = builder.build().unwrap();
        for (account, number) in numbers {
            let expected = reference.route(AccountId(account), number.as_bytes()).unwrap();
            let found = snapshot
                .route(AccountId(account), number.as_bytes())
                .ok()
                .map(|(group, source)| (group.index(), source));
            prop_assert_eq!(found, expected, "{}", number);
        }
    }
}
