//! Seeded randomized test of the whole receipt path: responses and receipts for thousands of
//! multipart messages arrive in shuffled orders over two shards, and every final receipt must
//! match exactly once and yield exactly one logical receipt per message.
//!
//! `SMSGW_SEED=<n>` replays a seed; the seed is printed on failure.

use std::collections::HashMap;

use smsgw_shared::text::{IdCase, IdNormalization, IdRadix, Stat};

use super::*;
use crate::admission::AccountId;

#[test]
fn shuffled_responses_and_receipts_match_exactly_once() {
    // Proves, for 3,000 messages of 1 to 3 parts on two connectors (one comparing hex responses
    // with decimal receipt text, one padding and re-casing ids), with each part's response
    // placed anywhere among its receipts (an optional ENROUTE then a final one): every final
    // receipt matches exactly one part, the right one, once; intermediates match or are
    // replaced while buffered; nothing is left in any table or counted unmatched; and each
    // message gets exactly one logical receipt whose stat follows its account's policy.
    let seed = std::env::var("SMSGW_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0x5EED_0001_u64);
    let result = std::panic::catch_unwind(|| simulate(seed, 3_000));
    if result.is_err() {
        panic!("failed with SMSGW_SEED={seed}");
    }
}

fn simulate(seed: u64, messages_count: u64) {
    let mut rng = Rng(seed);
    let matchings = vec![
        IdMatching::Numeric {
            response: IdRadix::Hex,
            receipt_tlv: IdRadix::Hex,
            receipt_text: IdRadix::Decimal,
        },
        IdMatching::Text(IdNormalization {
            case: IdCase::Lower,
            strip_leading_zeros: true,
        }),
    ];
    let limits = CorrelatorLimits {
        submits_max: 16_384,
        early_receipts_max: 16_384,
        submit_ttl_ms: SUBMIT_TTL_MS_MAX,
        early_ttl_ms: EARLY_TTL_MS_MAX,
    };
    let mut shards = [
        Correlator::new(limits, matchings.clone()),
        Correlator::new(limits, matchings.clone()),
    ];
    let mut logical = LogicalStatus::new(LogicalLimits::default());
    let policies = [
        MultipartPolicy::First,
        MultipartPolicy::Last,
        MultipartPolicy::Worst,
    ];
    let finals = [Stat::DELIVRD, Stat::UNDELIV, Stat::EXPIRED, Stat::REJECTD];

    // Each part's events in its own order, then merged at random.
    let mut sequences: Vec<Vec<Event>> = Vec::new();
    let mut parts_by_value: HashMap<(u16, u128), OurRef> = HashMap::new();
    let mut intermediates_count = 0;
    for message_id in 0..messages_count {
        let parts_total = 1 + rng.below(3) as u8;
        let account = AccountId(rng.below(3) as u32);
        for part_index in 0..parts_total {
            let connector = ConnectorId(rng.below(2) as u16);
            let value = u128::from(message_id) << 8 | u128::from(part_index);
            let our = OurRef {
                message_id,
                account,
                part_index,
                parts_total,
            };
            parts_by_value.insert((connector.0, value), our);
            let intermediate = rng.below(3) == 0;
            intermediates_count += usize::from(intermediate);
            let final_stat = finals[rng.below(finals.len() as u64) as usize];
            let mut receipts = Vec::new();
            if intermediate {
                receipts.push(Event::Receipt {
                    connector,
                    value,
                    stat: Stat::ENROUTE,
                });
            }
            receipts.push(Event::Receipt {
                connector,
                value,
                stat: final_stat,
            });
            let response_at = rng.below(receipts.len() as u64 + 1) as usize;
            receipts.insert(
                response_at,
                Event::Response {
                    connector,
                    value,
                    our,
                },
            );
            sequences.push(receipts);
        }
    }
    let events = merge(&mut rng, sequences);

    let mut finals_matched: HashMap<(u16, u128), u32> = HashMap::new();
    let mut intermediates_matched = 0;
    let mut matched_order: HashMap<(AccountId, u64), Vec<Stat>> = HashMap::new();
    let mut logical_receipts: HashMap<(AccountId, u64), LogicalReceipt> = HashMap::new();
    for (now_ms, event) in (0u64..).zip(events) {
        let matched = match event {
            Event::Response {
                connector,
                value,
                our,
            } => {
                let raw = spell(&mut rng, connector, value, IdSource::Response);
                let shard = shard_of(&shards[0], connector, &raw, IdSource::Response);
                shards[shard]
                    .record_submit(connector, &raw, our, now_ms)
                    .unwrap()
            }
            Event::Receipt {
                connector,
                value,
                stat,
            } => {
                let source = if rng.below(2) == 0 {
                    IdSource::ReceiptText
                } else {
                    IdSource::ReceiptTlv
                };
                let raw = spell(&mut rng, connector, value, source);
                let shard = shard_of(&shards[0], connector, &raw, source);
                let facts = ReceiptFacts::new(stat);
                match shards[shard].match_receipt(connector, &raw, source, facts, now_ms) {
                    Match::Matched(matched) => Some(matched),
                    Match::Buffered => None,
                    Match::Unmatched(reason) => panic!("unmatched {value}: {reason}"),
                }
            }
        };
        let Some(matched) = matched else {
            continue;
        };
        let value = value_of(&parts_by_value, &matched);
        if matched.facts.is_final() {
            *finals_matched.entry(value).or_default() += 1;
            matched_order
                .entry((matched.our.account, matched.our.message_id))
                .or_default()
                .push(matched.facts.stat);
        } else {
            intermediates_matched += 1;
        }
        let policy = policies[matched.our.account.0 as usize];
        let outcome = logical.handle_part(&matched, policy, now_ms);
        assert_eq!(outcome.evicted, None);
        if let Some(receipt) = outcome.receipt {
            let key = (receipt.account, receipt.message_id);
            assert!(
                logical_receipts.insert(key, receipt).is_none(),
                "{key:?} twice"
            );
        }
    }

    // Every final receipt matched once, to its own part.
    assert_eq!(finals_matched.len(), parts_by_value.len());
    assert!(finals_matched.values().all(|&count| count == 1));
    let replaced: u64 = shards.iter().map(|s| s.counters().early_replaced).sum();
    assert_eq!(
        intermediates_matched + replaced as usize,
        intermediates_count
    );
    for shard in &shards {
        assert_eq!(shard.counters().unmatched, 0);
        assert_eq!((shard.submits_len(), shard.early_len()), (0, 0));
        assert_eq!(shard.counters().evicted, 0);
        shard.verify();
    }
    let buffered: u64 = shards.iter().map(|s| s.counters().early_buffered).sum();
    assert!(
        buffered > 1_000,
        "the shuffle should buffer many receipts: {buffered}"
    );

    // One logical receipt per message, decided by the account's policy.
    assert!(logical.is_empty());
    assert_eq!(logical_receipts.len(), messages_count as usize);
    for (key, receipt) in &logical_receipts {
        let stats = &matched_order[key];
        let expected = match policies[key.0.0 as usize] {
            MultipartPolicy::First => stats[0],
            MultipartPolicy::Last => stats[stats.len() - 1],
            MultipartPolicy::Worst => *stats.iter().max_by_key(|&&s| severity(s)).unwrap(),
        };
        assert_eq!(receipt.facts.stat, expected, "{key:?} {stats:?}");
        let delivered = stats.iter().filter(|&&s| s == Stat::DELIVRD).count();
        if receipt.complete {
            assert_eq!(usize::from(receipt.delivered_count), delivered);
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Response {
        connector: ConnectorId,
        value: u128,
        our: OurRef,
    },
    Receipt {
        connector: ConnectorId,
        value: u128,
        stat: Stat,
    },
}

/// Writes an id as the SMSC might: connector 0 in hex for responses and TLVs and decimal in
/// text; connector 1 in hex with random zero padding and letter case.
fn spell(rng: &mut Rng, connector: ConnectorId, value: u128, source: IdSource) -> String {
    let zeros = "0".repeat(rng.below(3) as usize);
    match (connector.0, source) {
        (0, IdSource::ReceiptText) => format!("{zeros}{value}"),
        (0, _) => format!("{zeros}{value:X}"),
        _ if rng.below(2) == 0 => format!("{zeros}{value:x}"),
        _ => format!("{zeros}{value:X}"),
    }
}

fn shard_of(any: &Correlator, connector: ConnectorId, raw: &str, source: IdSource) -> usize {
    any.key(connector, raw, source)
        .unwrap()
        .shard_index(connector, 2)
}

fn value_of(parts: &HashMap<(u16, u128), OurRef>, matched: &Matched) -> (u16, u128) {
    let our = matched.our;
    let value = u128::from(our.message_id) << 8 | u128::from(our.part_index);
    let key = (matched.connector.0, value);
    assert_eq!(parts.get(&key), Some(&our), "matched to the wrong part");
    key
}

/// Interleaves the sequences at random, keeping each one's own order.
fn merge(rng: &mut Rng, mut sequences: Vec<Vec<Event>>) -> Vec<Event> {
    for sequence in &mut sequences {
        sequence.reverse();
    }
    let mut merged = Vec::new();
    while !sequences.is_empty() {
        let index = rng.below(sequences.len() as u64) as usize;
        if let Some(event) = sequences[index].pop() {
            merged.push(event);
        }
        if sequences[index].is_empty() {
            sequences.swap_remove(index);
        }
    }
    merged
}

/// SplitMix64: small, seedable, good enough to shuffle.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}
