//! CMPP codec micro-benchmarks: the PDUs every message costs us.
//!
//! - `cmpp3_submit/decode` and `cmpp3_submit/encode`: a CMPP 3.0 SUBMIT with one destination
//!   and a 140-octet message (one full SMS), 335 octets on the wire.
//! - `cmpp3_deliver_report/decode`: a CMPP 3.0 DELIVER carrying a status report (180 octets).
//!
//! Expected cost (sketch, STYLE.md §8): decode allocates nothing and touches each octet once
//! (about 5 cache lines for the SUBMIT); encode appends into a reused `Vec`, so after the first
//! iteration it allocates nothing either. Run with
//! `cargo bench -p smsgw-bench --bench cmpp`; record numbers only in `docs/benchmarks.md`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgw_shared::cmpp::{
    CmppVersion, Deliver, DeliverContent, Octets, Pdu, StatusReport, Submit, TerminalIds, decode,
    encode,
};

const VERSION: CmppVersion = CmppVersion::V3_0;

fn submit_140<'a>(destinations: &'a [Octets<'a>], content: &'a [u8]) -> Pdu<'a> {
    Pdu::Submit(Submit {
        registered_delivery: 1,
        service_id: b"MTEST".into(),
        fee_usertype: 2,
        msg_fmt: 8,
        msg_src: b"901234".into(),
        fee_type: b"02".into(),
        fee_code: b"10".into(),
        src_id: b"1069000101".into(),
        dest_terminal_id: TerminalIds::from_slice(destinations),
        msg_content: content.into(),
        link_id: b"LINK000000000001".into(),
        ..Submit::default()
    })
}

fn deliver_report() -> Pdu<'static> {
    Pdu::Deliver(Deliver {
        msg_id: 0x1122_3344_5566_7788,
        dest_id: b"1069000101".into(),
        service_id: b"MTEST".into(),
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: 0,
        src_terminal_id: b"13800138000".into(),
        src_terminal_type: 0,
        content: DeliverContent::StatusReport(StatusReport {
            msg_id: 0x0102_0304_0506_0708,
            stat: b"DELIVRD".into(),
            submit_time: b"2406301405".into(),
            done_time: b"2406301406".into(),
            dest_terminal_id: b"13800138000".into(),
            smsc_sequence: 42,
        }),
        reserved: Octets::EMPTY,
        link_id: Octets::EMPTY,
    })
}

/// The frame of `pdu`; the bench PDUs are valid, so a failure is a bug in this file.
fn frame_of(pdu: &Pdu<'_>) -> Vec<u8> {
    let mut frame = Vec::new();
    if let Err(error) = encode(pdu, 1, VERSION, &mut frame) {
        panic!("bench PDU does not encode: {error}");
    }
    frame
}

fn bench_submit(c: &mut Criterion) {
    let destinations = [Octets::from("13800138000")];
    let content = [0x4Fu8; 140];
    let pdu = submit_140(&destinations, &content);
    let frame = frame_of(&pdu);
    let mut group = c.benchmark_group("cmpp3_submit");
    group.throughput(Throughput::Bytes(frame.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| decode(black_box(&frame), VERSION).is_ok());
    });
    let mut out = Vec::with_capacity(frame.len());
    group.bench_function("encode", |b| {
        b.iter(|| {
            out.clear();
            encode(black_box(&pdu), black_box(7), VERSION, &mut out).is_ok()
        });
    });
    group.finish();
}

fn bench_deliver_report(c: &mut Criterion) {
    let frame = frame_of(&deliver_report());
    let mut group = c.benchmark_group("cmpp3_deliver_report");
    group.throughput(Throughput::Bytes(frame.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| match decode(black_box(&frame), VERSION) {
            Ok((_, Pdu::Deliver(deliver))) => deliver.status_report().map(|report| report.msg_id),
            _ => None,
        });
    });
    group.finish();
}

criterion_group!(benches, bench_submit, bench_deliver_report);
criterion_main!(benches);
