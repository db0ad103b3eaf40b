//! Mobile-terminated traffic through the running gateway over loopback: SPs bind with the
//! blocking [`Client`], submit through the gateway to an SMSC (the bench simulator, or a
//! recording SMSC that keeps every submit_sm), and receive the receipts the gateway rewrites
//! to its own message ids. Each scenario runs on every available I/O backend.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use std::collections::BTreeSet;

use gateway_support::{
    RecordingSmsc, Sim, SmscOptions, WAIT, account, backends, connector, receipted_id, route,
    start_gateway, submit, text_id, text_submit,
};
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::CommandStatus;
use smsgw_shared::smpp::pdu::{Body, DataSm, SubmitSm};
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::tlv::{Tlvs, tag};
use smsgw_shared::text::{Coding, ConcatMode, Gsm7Packing, SplitOptions, Stat, split_text};

/// Messages each bind submits in the receipt scenario.
const MESSAGES_PER_BIND: usize = 3;

// Proves the MT round trip for SMPP 3.3, 3.4 and 5.0 binds and both id formats: each submit is
// answered ESME_ROK with our id (16 hex digits, or decimal digits for a decimal account), and
// the SMSC's receipt comes back rewritten to that id, in the text's `id:` field and, for 3.4 and
// 5.0, in receipted_message_id and message_state; a 3.3 bind gets no TLVs at all.
#[test]
fn receipts_carry_our_message_id_for_smpp_33_34_and_50() {
    for backend in backends() {
        let sim = Sim::start(|_| {});
        let body = [
            account("acme", "max_binds = 8\ntps = 1000"),
            account(
                "dec",
                "max_binds = 8\ntps = 1000\nmessage_id_format = \"decimal\"",
            ),
            connector("sim", sim.addr, "binds = 1"),
            route("", &["sim"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 1, &body);
        gateway.wait_bound(0, 1);
        for (system_id, version) in [
            ("acme", 0x33),
            ("acme", 0x34),
            ("acme", 0x50),
            ("dec", 0x34),
        ] {
            let what = format!("{backend}: {system_id} SMPP {version:#x}");
            let mut client = Client::bind(
                gateway.addr,
                BindMode::Transceiver,
                system_id,
                "secret1",
                version,
            )
            .unwrap();
            let mut ids = BTreeSet::new();
            for index in 0..MESSAGES_PER_BIND {
                let destination = format!("25471100{version:02x}{index:02}");
                let response = client
                    .request(text_submit(&destination, "hello", true), WAIT)
                    .unwrap();
                assert_eq!(response.status, CommandStatus::ESME_ROK, "{what}");
                let id = response.message_id();
                if system_id == "dec" {
                    assert!(
                        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
                        "{what}: decimal id {id:?}"
                    );
                } else {
                    assert_eq!(id.len(), 16, "{what}: hex id {id:?}");
                    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{what}: {id:?}");
                }
                assert!(ids.insert(id), "{what}: ids are unique");
            }
            let receipts = client.wait_deliveries(MESSAGES_PER_BIND, WAIT);
            assert_eq!(receipts.len(), MESSAGES_PER_BIND, "{what}: every receipt");
            let mut receipted = BTreeSet::new();
            for receipt in &receipts {
                assert_eq!(receipt.esm_class & 0x3C, 0x04, "{what}: a receipt");
                let id = text_id(receipt);
                let text = String::from_utf8_lossy(&receipt.short_message);
                assert!(text.contains("stat:DELIVRD"), "{what}: {text}");
                if version >= 0x34 {
                    assert_eq!(receipted_id(receipt), Some(id.clone()), "{what}: {text}");
                    assert_eq!(
                        receipt.tlvs.message_state(),
                        Some(Stat::DELIVRD.message_state()),
                        "{what}"
                    );
                } else {
                    assert!(
                        receipt.tlvs.is_empty(),
                        "{what}: SMPP 3.3 gets no TLVs: {:?}",
                        receipt.tlvs
                    );
                }
                assert!(receipted.insert(id), "{what}: one receipt per message");
            }
            assert_eq!(
                receipted, ids,
                "{what}: receipts name the ids we were given"
            );
            client.unbind();
        }
        let counters = gateway.join();
        let expected = (4 * MESSAGES_PER_BIND) as u64;
        assert_eq!(
            counters.submits_accepted, expected,
            "{backend}: {counters:?}"
        );
        assert_eq!(
            counters.receipts_matched, expected,
            "{backend}: {counters:?}"
        );
        assert_eq!(
            counters.delivered_to_sp, expected,
            "{backend}: {counters:?}"
        );
        assert_eq!(counters.receipts_unmatched, 0, "{backend}: {counters:?}");
    }
}

/// Everything the content scenario submits, with a unique destination each.
fn content_messages() -> Vec<SubmitSm<Vec<u8>>> {
    let mut messages = Vec::new();
    let mut destination = {
        let mut next = 0;
        move || {
            next += 1;
            format!("2547220000{next:02}")
        }
    };
    let udh8 = SplitOptions {
        mode: ConcatMode::Udh8 { reference: 0x2A },
        gsm7_packing: Gsm7Packing::Unpacked,
    };
    let long_gsm = "A long GSM message travels as several concatenated parts; ".repeat(8);
    let parts = split_text(&long_gsm, Coding::Gsm7, udh8).unwrap();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    for part in &parts {
        assert!(part.esm_class_udhi);
        messages.push(submit(&destination(), &part.short_message(), 0x00, 0x40, 1));
    }
    let ucs2 = "UCS2: Привет, 你好, مرحبا 👋 \u{0000} end";
    let parts = split_text(ucs2, Coding::Ucs2, udh8).unwrap();
    assert_eq!(parts.len(), 1);
    messages.push(submit(
        &destination(),
        &parts[0].short_message(),
        0x08,
        0x00,
        1,
    ));
    let udh16 = SplitOptions {
        mode: ConcatMode::Udh16 { reference: 0xBEEF },
        gsm7_packing: Gsm7Packing::Unpacked,
    };
    let long_ucs2 = "Длинное сообщение 很长的消息 🚀 ".repeat(10);
    let parts = split_text(&long_ucs2, Coding::Ucs2, udh16).unwrap();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    for part in &parts {
        messages.push(submit(&destination(), &part.short_message(), 0x08, 0x40, 1));
    }
    let sar = SplitOptions {
        mode: ConcatMode::Sar {
            sar_msg_ref_num: 0x1234,
        },
        gsm7_packing: Gsm7Packing::Unpacked,
    };
    let parts = split_text(&long_gsm, Coding::Gsm7, sar).unwrap();
    assert!(parts.len() >= 2, "{} parts", parts.len());
    for part in &parts {
        let sar = part.sar.unwrap();
        let mut message = submit(&destination(), &part.short_message(), 0x00, 0x00, 1);
        let mut tlvs = Tlvs::new();
        tlvs.push_u16(tag::sar_msg_ref_num, sar.sar_msg_ref_num)
            .unwrap();
        tlvs.push_u8(tag::sar_total_segments, sar.sar_total_segments)
            .unwrap();
        tlvs.push_u8(tag::sar_segment_seqnum, sar.sar_segment_seqnum)
            .unwrap();
        message.tlvs = tlvs;
        messages.push(message);
    }
    // 8-bit data with every octet value, NUL included: nothing may stop at a NUL.
    let binary: Vec<u8> = (0..=254u8).collect();
    messages.push(submit(&destination(), &binary, 0x04, 0x00, 0));
    messages
}

// Proves content passes the gateway unchanged: UDH-concatenated GSM (8-bit reference), UCS2,
// UDH-concatenated UCS2 (16-bit reference), SAR-concatenated parts and 8-bit binary with NULs
// reach the SMSC as submit_sm equal field by field (addresses, esm_class UDHI, data_coding,
// registered_delivery, short_message octets, TLVs) to what the SP sent; and a data_sm whose
// 600-octet UCS2 text is in message_payload reaches the SMSC with that payload intact.
#[test]
fn long_ucs2_and_binary_messages_reach_the_smsc_intact() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let body = [
            account("acme", "tps = 1000"),
            connector("rec", smsc.addr, "binds = 1"),
            route("", &["rec"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 1, &body);
        gateway.wait_bound(0, 1);
        let mut client =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let messages = content_messages();
        for message in &messages {
            let response = client
                .request(Body::SubmitSm(message.clone()), WAIT)
                .unwrap();
            assert_eq!(response.status, CommandStatus::ESME_ROK, "{backend}");
        }
        let payload: Vec<u8> = "Ünïcödé payload ✓ "
            .repeat(17)
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .take(600)
            .collect();
        let mut tlvs = Tlvs::new();
        tlvs.push(tag::message_payload, &payload).unwrap();
        let data_sm = DataSm {
            source_addr_ton: 5,
            source_addr: b"ACME".to_vec(),
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: b"254722999999".to_vec(),
            registered_delivery: 1,
            data_coding: 0x08,
            tlvs,
            ..DataSm::default()
        };
        let response = client.request(Body::DataSm(data_sm), WAIT).unwrap();
        assert_eq!(response.status, CommandStatus::ESME_ROK, "{backend}");
        assert!(
            matches!(response.pdu.body, Body::DataSmResp(_)),
            "{backend}"
        );
        assert_eq!(response.message_id().len(), 16, "{backend}");

        let accepted = smsc.wait_accepted(messages.len() + 1, WAIT);
        assert_eq!(accepted.len(), messages.len() + 1, "{backend}: none twice");
        for sent in &messages {
            let got: Vec<_> = accepted
                .iter()
                .filter(|a| a.submit_sm.destination_addr == sent.destination_addr)
                .collect();
            assert_eq!(got.len(), 1, "{backend}: one copy each");
            assert_eq!(
                &got[0].submit_sm, sent,
                "{backend}: the SMSC got what the SP sent"
            );
        }
        let got = accepted
            .iter()
            .find(|a| a.submit_sm.destination_addr == b"254722999999")
            .expect("the data_sm reached the SMSC");
        let (data_coding, tlvs) = match &got.data_sm {
            Some(data_sm) => (data_sm.data_coding, &data_sm.tlvs),
            None => (got.submit_sm.data_coding, &got.submit_sm.tlvs),
        };
        assert_eq!(data_coding, 0x08, "{backend}");
        assert_eq!(
            tlvs.message_payload(),
            Some(&payload[..]),
            "{backend}: payload intact"
        );
        client.unbind();
        let counters = gateway.join();
        assert_eq!(
            counters.submits_accepted,
            messages.len() as u64 + 1,
            "{backend}: {counters:?}"
        );
    }
}
