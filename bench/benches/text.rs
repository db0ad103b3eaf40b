//! Criterion benchmarks of the text module: packing a 160-character GSM text (one full short
//! message) to 140 octets, and splitting a 1,000-character text into concatenated parts with an
//! 8-bit reference UDH, as GSM 7-bit (153-septet parts, extension characters included) and as
//! UCS2 (67-unit parts, emoji included).
//! Run: `cargo bench -p smsgw-bench --bench text` (see docs/benchmarks.md).
//!
//! Expected cost: packing touches 160 table entries and writes 140 octets into one allocation;
//! splitting walks the text twice (plan, encode) and allocates one payload per part.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgw_shared::text::{Coding, ConcatMode, Gsm7Packing, SplitOptions, gsm7, split_text};

fn gsm_text(length: usize) -> String {
    "The quick brown fox jumps over the lazy dog {€5} @ 10:00 ÄÖÜ "
        .chars()
        .cycle()
        .take(length)
        .collect()
}

fn ucs2_text(length: usize) -> String {
    "Привет, мир! 你好世界 😀 مرحبا "
        .chars()
        .cycle()
        .take(length)
        .collect()
}

fn gsm7_packing(c: &mut Criterion) {
    let text = gsm_text(160);
    let septets = gsm7::encode_unpacked(&text).expect("bench text is GSM");
    let mut group = c.benchmark_group("gsm7");
    group.throughput(Throughput::Elements(text.chars().count() as u64));
    group.bench_function("encode_packed_160", |b| {
        b.iter(|| gsm7::encode_packed(black_box(&text), 0))
    });
    group.bench_function("pack_160_septets", |b| {
        b.iter(|| gsm7::pack(black_box(&septets), 0))
    });
    group.finish();
}

fn splitting(c: &mut Criterion) {
    let options = SplitOptions {
        mode: ConcatMode::Udh8 { reference: 42 },
        gsm7_packing: Gsm7Packing::Unpacked,
    };
    let gsm = gsm_text(1_000);
    let ucs2 = ucs2_text(1_000);
    let mut group = c.benchmark_group("split");
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("gsm7_1000_chars", |b| {
        b.iter(|| split_text(black_box(&gsm), Coding::Gsm7, options))
    });
    group.bench_function("ucs2_1000_chars", |b| {
        b.iter(|| split_text(black_box(&ucs2), Coding::Ucs2, options))
    });
    group.finish();
}

criterion_group!(benches, gsm7_packing, splitting);
criterion_main!(benches);
