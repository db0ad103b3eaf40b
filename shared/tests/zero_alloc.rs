//! Proves the borrowed decode path allocates nothing: a counting global allocator (from the
//! allocation-counter crate, in this test binary only) measures decoding, iterating TLVs and
//! submit_multi destinations, and splitting frames.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns: a failed unwrap is a failed test.

use smsgw_shared::frame::{FrameLimits, Frames};
use smsgw_shared::smpp::pdu::{Body, DestAddresses, SubmitMulti, SubmitSm};
use smsgw_shared::smpp::tlv::tag;
use smsgw_shared::smpp::{Pdu, Tlvs, decode};

fn submit_sm_bytes() -> Vec<u8> {
    let mut tlvs = Tlvs::new();
    tlvs.push_u16(tag::sar_msg_ref_num, 7).unwrap();
    tlvs.push_u8(tag::sar_total_segments, 2).unwrap();
    tlvs.push_u8(tag::sar_segment_seqnum, 1).unwrap();
    let sm = SubmitSm::<Vec<u8>> {
        source_addr: b"ACME".to_vec(),
        destination_addr: b"254711000002".to_vec(),
        validity_period: b"000001000000000R".to_vec(),
        registered_delivery: 1,
        short_message: vec![b'a'; 160],
        tlvs,
        ..SubmitSm::default()
    };
    let mut bytes = Vec::new();
    Pdu::new(1, Body::SubmitSm(sm)).encode(&mut bytes).unwrap();
    bytes
}

fn submit_multi_bytes() -> Vec<u8> {
    let mut dest_addresses = DestAddresses::new();
    dest_addresses.push_sme(1, 1, b"254711000002").unwrap();
    dest_addresses.push_distribution_list(b"vip").unwrap();
    let multi = SubmitMulti::<Vec<u8>> {
        source_addr: b"ACME".to_vec(),
        dest_addresses,
        short_message: b"hello".to_vec(),
        ..SubmitMulti::default()
    };
    let mut bytes = Vec::new();
    Pdu::new(2, Body::SubmitMulti(multi))
        .encode(&mut bytes)
        .unwrap();
    bytes
}

#[test]
fn borrowed_decode_allocates_nothing() {
    // Positive control: the owned form does allocate, so the counter is live in this binary.
    let bytes = submit_sm_bytes();
    let control = allocation_counter::measure(|| {
        let owned = decode(&bytes).unwrap().into_owned();
        assert_eq!(owned.sequence_number, 1);
    });
    assert!(
        control.count_total > 0,
        "the counting allocator is not installed"
    );

    let mut stream = submit_sm_bytes();
    stream.extend(submit_multi_bytes());
    let info = allocation_counter::measure(|| {
        let mut checksum = 0usize;
        for _ in 0..100 {
            for frame in Frames::new(&stream, FrameLimits::SMPP) {
                let pdu = decode(frame.unwrap()).unwrap();
                match &pdu.body {
                    Body::SubmitSm(sm) => {
                        checksum += sm.short_message.len();
                        checksum += usize::from(sm.tlvs.sar_msg_ref_num().unwrap());
                        checksum += sm.tlvs.iter().count();
                    }
                    Body::SubmitMulti(multi) => {
                        checksum += multi.dest_addresses.iter().count();
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(checksum, 100 * (160 + 7 + 3 + 2));
    });
    assert_eq!(info.count_total, 0, "decode allocated: {info:?}");
}
