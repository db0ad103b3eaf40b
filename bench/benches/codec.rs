//! Criterion benchmarks of the SMPP codec: submit_sm (160-character GSM text, three SAR TLVs)
//! and a deliver_sm receipt, each decoded (borrowed, no allocation) and encoded into a reused
//! buffer. Run: `cargo bench -p smsgw-bench --bench codec` (see docs/benchmarks.md).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgw_shared::smpp::pdu::{Body, ESM_CLASS_TYPE_DELIVERY_RECEIPT, SubmitSm};
use smsgw_shared::smpp::tlv::tag;
use smsgw_shared::smpp::{Pdu, Tlvs, decode};

fn submit_sm() -> Pdu<Vec<u8>> {
    let mut tlvs = Tlvs::new();
    tlvs.push_u16(tag::sar_msg_ref_num, 0x1234).expect("fits");
    tlvs.push_u8(tag::sar_total_segments, 2).expect("fits");
    tlvs.push_u8(tag::sar_segment_seqnum, 1).expect("fits");
    let text: Vec<u8> = (0..160u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz"[i as usize % 26])
        .collect();
    Pdu::new(
        42,
        Body::SubmitSm(SubmitSm {
            service_type: b"CMT".to_vec(),
            source_addr_ton: 5,
            source_addr: b"ACME".to_vec(),
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: b"254711000002".to_vec(),
            validity_period: b"000001000000000R".to_vec(),
            registered_delivery: 1,
            short_message: text,
            tlvs,
            ..SubmitSm::default()
        }),
    )
}

fn deliver_sm_receipt() -> Pdu<Vec<u8>> {
    let mut tlvs = Tlvs::new();
    tlvs.push_c_octet(tag::receipted_message_id, b"0A1B2C3D4E5F")
        .expect("fits");
    tlvs.push_u8(tag::message_state, 2).expect("fits");
    tlvs.push(tag::network_error_code, &[3, 0, 0])
        .expect("fits");
    Pdu::new(
        77,
        Body::DeliverSm(SubmitSm {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: b"254711000002".to_vec(),
            destination_addr: b"ACME".to_vec(),
            esm_class: ESM_CLASS_TYPE_DELIVERY_RECEIPT,
            short_message: b"id:0A1B2C3D4E5F sub:001 dlvrd:001 submit date:2511221530 done date:2511221531 stat:DELIVRD err:000 text:abcdefghijklmnopqrst".to_vec(),
            tlvs,
            ..SubmitSm::default()
        }),
    )
}

fn bench_pdu(c: &mut Criterion, name: &str, pdu: &Pdu<Vec<u8>>) {
    let mut bytes = Vec::new();
    pdu.encode(&mut bytes).expect("valid PDU");
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            let decoded = decode(black_box(&bytes)).expect("valid PDU");
            black_box(decoded.sequence_number)
        })
    });
    let mut out = Vec::with_capacity(bytes.len());
    group.bench_function("encode", |b| {
        b.iter(|| {
            out.clear();
            black_box(pdu).encode(&mut out).expect("valid PDU");
            black_box(out.len())
        })
    });
    group.finish();
}

fn codec(c: &mut Criterion) {
    bench_pdu(c, "smpp_submit_sm", &submit_sm());
    bench_pdu(c, "smpp_deliver_sm_receipt", &deliver_sm_receipt());
}

criterion_group!(benches, codec);
criterion_main!(benches);
