//! Criterion benchmarks of the routing engine at carrier scale: lookups in a 1,000,000-prefix
//! table (random 4-9 digit prefixes, fixed seed) for random 12-digit numbers that hit a table
//! prefix, numbers drawn uniformly, and numbers no prefix matches; exact lookups among
//! 1,000,000 ported numbers; a whole `select` through a snapshot holding both; and the time to
//! build the 1,000,000-prefix table.
//! Run: `cargo bench --profile production -p smsgw-bench --bench route` (see
//! docs/benchmarks.md). The table's memory is printed to stderr before the runs.
//!
//! Expected cost (shared/src/route/prefix.rs): validating 12 digits, one direct-table read (a
//! 4 MB array: usually a cache miss), then usually one node or bucket read (a second miss). A
//! miss stops at the direct read. Ported lookups read the directory, then binary-search two or
//! three keys. Nothing allocates. The plain runs let the CPU overlap independent lookups (a
//! batch of messages); the `_chained` runs make each lookup wait for the previous answer, so
//! they show the latency of one.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use smsgw_shared::route::{
    AccountId, GroupId, MemberSpec, PortedNumbers, PortedNumbersBuilder, PrefixTable,
    PrefixTableBuilder, RouteSnapshot, RouteSnapshotBuilder,
};

/// Prefixes in the big table.
const PREFIX_COUNT: usize = 1_000_000;
/// Distinct route groups the prefixes point at.
const GROUP_COUNT: u32 = 1_000;
/// Numbers per lookup set: a power of two, cycled through by index.
const NUMBER_COUNT: usize = 1 << 20;

fn prefix_lookups(c: &mut Criterion) {
    let entries = prefix_entries();
    let table = prefix_table(&entries);
    eprintln!(
        "route bench: {} prefixes, {} nodes, {} buckets, {} direct digits, {} bytes ({:.1} per prefix)",
        table.len(),
        table.node_count(),
        table.bucket_count(),
        table.direct_digits(),
        table.heap_size(),
        table.heap_size() as f64 / table.len() as f64,
    );
    let mut random = SplitMix64(0x0012_D161);
    let hit = numbers(NUMBER_COUNT, |number| {
        let prefix = entries[random.below(entries.len())].0.as_bytes();
        number[..prefix.len()].copy_from_slice(prefix);
        fill_digits(&mut random, &mut number[prefix.len()..]);
    });
    let uniform = numbers(NUMBER_COUNT, |number| {
        fill_digits(&mut random, number);
        number[0] = b'1' + random.below(9) as u8;
    });
    // No table prefix starts with 0 (as no E.164 country code does).
    let miss = numbers(NUMBER_COUNT, |number| {
        fill_digits(&mut random, number);
        number[0] = b'0';
    });
    let mut group = c.benchmark_group("route_prefix_1m");
    for (name, set) in [("hit", &hit), ("uniform", &uniform), ("miss", &miss)] {
        let mut index = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                index = (index + 1) & (NUMBER_COUNT - 1);
                table.lookup(black_box(&set[index]))
            })
        });
    }
    // Each lookup waits for the previous one (the next number depends on its answer): the
    // latency of one lookup, where the runs above let the CPU overlap independent lookups.
    let mut index = 0usize;
    group.bench_function("hit_chained", |b| {
        b.iter(|| {
            let found = table.lookup(&hit[index]);
            let step = found
                .ok()
                .flatten()
                .map_or(1, |group| 1 + (group.index() & 1));
            index = (index + step) & (NUMBER_COUNT - 1);
        })
    });
    group.finish();
}

fn ported_lookups(c: &mut Criterion) {
    let mut random = SplitMix64(0x0090_87ED);
    let (ported, seen) = ported_numbers();
    let mut builder = PortedNumbersBuilder::new();
    for number in &ported {
        let target = group_id(random.below(GROUP_COUNT as usize));
        builder
            .insert(ascii(number), target)
            .expect("bench numbers are valid");
    }
    let table: PortedNumbers = builder.build().expect("bench numbers are distinct");
    eprintln!(
        "route bench: {} ported numbers, {} bytes",
        table.len(),
        table.heap_size()
    );
    let hit = numbers(NUMBER_COUNT, |number| {
        *number = ported[random.below(ported.len())];
    });
    // In the same range as the ported numbers, so a miss searches a directory bucket too.
    let miss = numbers(NUMBER_COUNT, |number| {
        loop {
            *number = *b"447000000000";
            fill_digits(&mut random, &mut number[3..]);
            if !seen.contains(number) {
                break;
            }
        }
    });
    let mut group = c.benchmark_group("route_ported_1m");
    for (name, set) in [("hit", &hit), ("miss", &miss)] {
        let mut index = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                index = (index + 1) & (NUMBER_COUNT - 1);
                let digits = smsgw_shared::route::Digits::parse(black_box(&set[index]));
                digits.ok().and_then(|digits| table.lookup_digits(&digits))
            })
        });
    }
    group.finish();
}

fn snapshot_select(c: &mut Criterion) {
    let entries = prefix_entries();
    let (ported, _) = ported_numbers();
    let snapshot = snapshot(&entries, &ported);
    eprintln!("route bench: snapshot {:?}", snapshot.stats());
    let mut random = SplitMix64(0x005E_1EC7);
    let hit = numbers(NUMBER_COUNT, |number| {
        let prefix = entries[random.below(entries.len())].0.as_bytes();
        number[..prefix.len()].copy_from_slice(prefix);
        fill_digits(&mut random, &mut number[prefix.len()..]);
    });
    let mut group = c.benchmark_group("route_select");
    let mut index = 0usize;
    group.bench_function("snapshot_1m_hit", |b| {
        b.iter(|| {
            index = (index + 1) & (NUMBER_COUNT - 1);
            // Connector 3 is down, so some groups fail over.
            snapshot.select(
                AccountId(index as u32 & 15),
                black_box(&hit[index]),
                index as u64,
                |connector| connector.index() != 3,
            )
        })
    });
    let mut index = 0usize;
    group.bench_function("snapshot_1m_hit_chained", |b| {
        b.iter(|| {
            let selected = snapshot.select(
                AccountId(index as u32 & 15),
                &hit[index],
                index as u64,
                |connector| connector.index() != 3,
            );
            let step = selected.map_or(1, |selection| 1 + (selection.connector.index() & 1));
            index = (index + step) & (NUMBER_COUNT - 1);
        })
    });
    group.finish();
}

fn build(c: &mut Criterion) {
    let entries = prefix_entries();
    let mut group = c.benchmark_group("route_build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(40));
    group.bench_function("prefix_table_1m", |b| b.iter(|| prefix_table(&entries)));
    group.finish();
}

/// `PREFIX_COUNT` distinct 12-digit numbers starting 447 (as UK mobiles), and their set.
fn ported_numbers() -> (Vec<[u8; 12]>, HashSet<[u8; 12]>) {
    let mut random = SplitMix64(0x0090_87ED);
    let mut seen = HashSet::with_capacity(PREFIX_COUNT);
    let mut ported = Vec::with_capacity(PREFIX_COUNT);
    while ported.len() < PREFIX_COUNT {
        let mut number = *b"447000000000";
        fill_digits(&mut random, &mut number[3..]);
        if seen.insert(number) {
            ported.push(number);
        }
    }
    (ported, seen)
}

fn ascii(number: &[u8]) -> &str {
    std::str::from_utf8(number).expect("bench numbers are ASCII digits")
}

/// `PREFIX_COUNT` distinct prefixes of 4-9 digits, first digit 1-9, with their targets.
fn prefix_entries() -> Vec<(String, GroupId)> {
    let mut random = SplitMix64(0x0001_2345);
    let mut seen = HashSet::with_capacity(PREFIX_COUNT);
    let mut entries = Vec::with_capacity(PREFIX_COUNT);
    while entries.len() < PREFIX_COUNT {
        let mut prefix = vec![0u8; 4 + random.below(6)];
        fill_digits(&mut random, &mut prefix);
        prefix[0] = b'1' + random.below(9) as u8;
        let prefix = String::from_utf8(prefix).expect("digits are ASCII");
        if seen.insert(prefix.clone()) {
            entries.push((prefix, group_id(random.below(GROUP_COUNT as usize))));
        }
    }
    entries
}

fn prefix_table(entries: &[(String, GroupId)]) -> PrefixTable {
    let mut builder = PrefixTableBuilder::new();
    for (prefix, target) in entries {
        builder
            .insert(prefix, *target)
            .expect("bench prefixes are valid");
    }
    builder.build()
}

/// 16 connectors; group n uses connectors n, n+1 (weights 1 and 3) then n+2 as backup; the
/// global table, 16 accounts with 100 prefixes each, and the ported numbers.
fn snapshot(entries: &[(String, GroupId)], ported: &[[u8; 12]]) -> std::sync::Arc<RouteSnapshot> {
    let mut builder = RouteSnapshotBuilder::new(1);
    let connectors: Vec<String> = (0..16).map(|index| format!("smsc-{index}")).collect();
    for name in &connectors {
        builder.connector(name).expect("bench connectors are valid");
    }
    let names: Vec<String> = (0..GROUP_COUNT).map(|index| format!("g{index}")).collect();
    for (index, name) in names.iter().enumerate() {
        let member = |offset: usize, priority: u8, weight: u16| MemberSpec {
            connector: connectors[(index + offset) % connectors.len()].clone(),
            priority,
            weight,
        };
        let members = [member(0, 0, 1), member(1, 0, 3), member(2, 1, 1)];
        builder
            .group(name, &members)
            .expect("bench groups are valid");
    }
    for (prefix, target) in entries {
        builder
            .prefix(prefix, &names[target.index()])
            .expect("bench prefixes are valid");
    }
    let mut random = SplitMix64(0x00AC_C0DE);
    for account in 0..16u32 {
        for _ in 0..100 {
            let mut prefix = *b"4470000";
            fill_digits(&mut random, &mut prefix[3..]);
            let prefix = ascii(&prefix);
            // Random prefixes may repeat within an account: those are refused and skipped.
            let _ = builder.account_prefix(AccountId(account), prefix, &names[0]);
        }
    }
    for (index, number) in ported.iter().enumerate() {
        builder
            .ported_number(ascii(number), &names[index % names.len()])
            .expect("bench numbers are valid");
    }
    builder.build().expect("bench snapshot is valid")
}

fn numbers(count: usize, mut fill: impl FnMut(&mut [u8; 12])) -> Vec<[u8; 12]> {
    (0..count)
        .map(|_| {
            let mut number = [0u8; 12];
            fill(&mut number);
            number
        })
        .collect()
}

fn fill_digits(random: &mut SplitMix64, digits: &mut [u8]) {
    for digit in digits {
        *digit = b'0' + random.below(10) as u8;
    }
}

fn group_id(index: usize) -> GroupId {
    GroupId::new(index as u32).expect("bench group ids are below GROUPS_MAX")
}

/// A deterministic generator: the same tables and numbers on every run.
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

criterion_group!(
    benches,
    prefix_lookups,
    ported_lookups,
    snapshot_select,
    build
);
criterion_main!(benches);
