//! Property tests: every PDU round-trips (`decode(encode(x)) == x`), and hostile bytes (random,
//! and valid PDUs with mutations) never panic the frame splitter or the decoder.

use super::*;
use crate::smpp::fuzz::fuzz_decode;
use crate::smpp::tlv::{Tlvs, tag};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// A C-octet string value: no NUL, shorter than `size_max`.
fn c_octet(size_max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 0..size_max)
}

fn non_empty_c_octet(size_max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 1..size_max)
}

fn ton() -> impl Strategy<Value = u8> {
    0u8..=6
}

fn npi() -> impl Strategy<Value = u8> {
    prop::sample::select(vec![0u8, 1, 3, 4, 6, 8, 9, 10, 14, 18])
}

fn time() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        (
            0u8..100,
            1u8..=12,
            1u8..=28,
            0u8..24,
            0u8..60,
            0u8..60,
            0u8..10,
            0u8..=48,
            prop::bool::ANY
        )
            .prop_map(|(y, mo, d, h, mi, s, t, nn, plus)| {
                format!(
                    "{y:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}{t}{nn:02}{}",
                    if plus { '+' } else { '-' }
                )
                .into_bytes()
            }),
        (0u32..1_000_000_000).prop_map(|n| format!("{n:015}R").into_bytes()),
    ]
}

/// TLVs of known shapes and unknown tags, possibly empty.
fn tlvs(allow_payload: bool) -> impl Strategy<Value = Tlvs<Vec<u8>>> {
    let entry = prop_oneof![
        any::<u8>().prop_map(|v| (tag::message_state, vec![v])),
        any::<u16>().prop_map(|v| (tag::user_message_reference, v.to_be_bytes().to_vec())),
        c_octet(64).prop_map(|mut v| {
            v.push(0);
            (tag::receipted_message_id, v)
        }),
        vec(any::<u8>(), 0..40).prop_map(|v| (0x1400, v)),
        vec(any::<u8>(), 0..300).prop_map(move |v| (
            if allow_payload {
                tag::message_payload
            } else {
                0x1401
            },
            v
        )),
    ];
    vec(entry, 0..5).prop_map(|entries| {
        let mut tlvs = Tlvs::new();
        for (tag, value) in entries {
            tlvs.push(tag, &value).unwrap();
        }
        tlvs
    })
}

prop_compose! {
    fn bind()(system_id in c_octet(16), password in c_octet(9), system_type in c_octet(13),
              interface_version in any::<u8>(), addr_ton in ton(), addr_npi in npi(),
              address_range in c_octet(41)) -> Bind<Vec<u8>> {
        Bind { system_id, password, system_type, interface_version, addr_ton, addr_npi, address_range }
    }
}

prop_compose! {
    fn submit_sm(deliver: bool)(
        service_type in c_octet(6), source_addr_ton in ton(), source_addr_npi in npi(),
        source_addr in c_octet(21), dest_addr_ton in ton(), dest_addr_npi in npi(),
        destination_addr in non_empty_c_octet(21), mode in 0u8..4, gsm in 0u8..4,
        message_type in prop::sample::select(if deliver { vec![0u8, 0x04, 0x08, 0x10, 0x18, 0x20] } else { vec![0u8, 0x08, 0x10] }),
        protocol_id in any::<u8>(), priority_flag in 0u8..=4,
        schedule_delivery_time in time(), validity_period in time(),
        registered_delivery in any::<u8>(),
        replace_if_present_flag in 0u8..=1, data_coding in any::<u8>(), sm_default_msg_id in any::<u8>(),
        short_message in vec(any::<u8>(), 0..=255), tlvs in tlvs(false),
    ) -> SubmitSm<Vec<u8>> {
        SubmitSm {
            service_type, source_addr_ton, source_addr_npi, source_addr, dest_addr_ton,
            dest_addr_npi, destination_addr, esm_class: mode | message_type | (gsm << 6),
            protocol_id, priority_flag, schedule_delivery_time, validity_period,
            registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id,
            short_message, tlvs,
        }
    }
}

prop_compose! {
    fn submit_multi()(sm in submit_sm(false), dests in vec((ton(), npi(), non_empty_c_octet(21), prop::bool::ANY), 1..10)) -> SubmitMulti<Vec<u8>> {
        let mut dest_addresses = DestAddresses::new();
        for (ton, npi, address, is_list) in dests {
            if is_list {
                dest_addresses.push_distribution_list(&address).unwrap();
            } else {
                dest_addresses.push_sme(ton, npi, &address).unwrap();
            }
        }
        SubmitMulti {
            service_type: sm.service_type, source_addr_ton: sm.source_addr_ton,
            source_addr_npi: sm.source_addr_npi, source_addr: sm.source_addr, dest_addresses,
            esm_class: sm.esm_class, protocol_id: sm.protocol_id, priority_flag: sm.priority_flag,
            schedule_delivery_time: sm.schedule_delivery_time, validity_period: sm.validity_period,
            registered_delivery: sm.registered_delivery, replace_if_present_flag: sm.replace_if_present_flag,
            data_coding: sm.data_coding, sm_default_msg_id: sm.sm_default_msg_id,
            short_message: sm.short_message, tlvs: sm.tlvs,
        }
    }
}

prop_compose! {
    fn submit_multi_resp()(message_id in c_octet(65), failed in vec((ton(), npi(), c_octet(21), any::<u32>()), 0..10), tlvs in tlvs(true)) -> SubmitMultiResp<Vec<u8>> {
        let mut unsuccess_smes = UnsuccessSmes::new();
        for (ton, npi, address, status) in failed.into_iter() {
            let address: Vec<u8> = address;
            unsuccess_smes.push(ton, npi, &address, CommandStatus(status)).unwrap();
        }
        SubmitMultiResp { message_id, unsuccess_smes, tlvs }
    }
}

prop_compose! {
    fn data_sm()(service_type in c_octet(6), source_addr_ton in ton(), source_addr_npi in npi(),
                 source_addr in c_octet(65), dest_addr_ton in ton(), dest_addr_npi in npi(),
                 destination_addr in non_empty_c_octet(65),
                 esm_class in prop::sample::select(vec![0u8, 0x04, 0x08, 0x40, 0x43]),
                 registered_delivery in 0u8..=2, data_coding in any::<u8>(), tlvs in tlvs(true)) -> DataSm<Vec<u8>> {
        DataSm { service_type, source_addr_ton, source_addr_npi, source_addr, dest_addr_ton,
                 dest_addr_npi, destination_addr, esm_class, registered_delivery, data_coding, tlvs }
    }
}

prop_compose! {
    fn message_id_resp()(message_id in c_octet(65), tlvs in tlvs(true)) -> MessageIdResp<Vec<u8>> {
        MessageIdResp { message_id, tlvs }
    }
}

prop_compose! {
    fn bind_resp()(system_id in c_octet(16), version in prop::option::of(any::<u8>())) -> BindResp<Vec<u8>> {
        let mut tlvs = Tlvs::new();
        if let Some(version) = version {
            tlvs.push_u8(tag::sc_interface_version, version).unwrap();
        }
        BindResp { system_id, tlvs }
    }
}

prop_compose! {
    fn query_sm()(message_id in non_empty_c_octet(65), source_addr_ton in ton(), source_addr_npi in npi(), source_addr in c_octet(21)) -> QuerySm<Vec<u8>> {
        QuerySm { message_id, source_addr_ton, source_addr_npi, source_addr }
    }
}

prop_compose! {
    fn query_sm_resp()(message_id in c_octet(65), final_date in time(), message_state in any::<u8>(), error_code in any::<u8>()) -> QuerySmResp<Vec<u8>> {
        QuerySmResp { message_id, final_date, message_state, error_code }
    }
}

prop_compose! {
    fn cancel_sm()(service_type in c_octet(6), message_id in c_octet(65), source_addr_ton in ton(), source_addr_npi in npi(),
                   source_addr in c_octet(21), dest_addr_ton in ton(), dest_addr_npi in npi(), destination_addr in c_octet(21)) -> CancelSm<Vec<u8>> {
        CancelSm { service_type, message_id, source_addr_ton, source_addr_npi, source_addr, dest_addr_ton, dest_addr_npi, destination_addr }
    }
}

prop_compose! {
    fn replace_sm()(message_id in non_empty_c_octet(65), source_addr_ton in ton(), source_addr_npi in npi(), source_addr in c_octet(21),
                    schedule_delivery_time in time(), validity_period in time(), registered_delivery in 0u8..=2,
                    sm_default_msg_id in any::<u8>(), short_message in vec(any::<u8>(), 0..=254), tlvs in tlvs(false)) -> ReplaceSm<Vec<u8>> {
        ReplaceSm { message_id, source_addr_ton, source_addr_npi, source_addr, schedule_delivery_time, validity_period,
                    registered_delivery, sm_default_msg_id, short_message, tlvs }
    }
}

prop_compose! {
    fn alert()(source_addr_ton in ton(), source_addr_npi in npi(), source_addr in c_octet(65),
               esme_addr_ton in ton(), esme_addr_npi in npi(), esme_addr in c_octet(65), tlvs in tlvs(true)) -> AlertNotification<Vec<u8>> {
        AlertNotification { source_addr_ton, source_addr_npi, source_addr, esme_addr_ton, esme_addr_npi, esme_addr, tlvs }
    }
}

/// Any PDU of any command, valid by construction.
fn any_pdu() -> impl Strategy<Value = Pdu<Vec<u8>>> {
    let body = prop_oneof![
        Just(Body::GenericNack),
        bind().prop_map(Body::BindReceiver),
        bind_resp().prop_map(Body::BindReceiverResp),
        bind().prop_map(Body::BindTransmitter),
        bind_resp().prop_map(Body::BindTransmitterResp),
        query_sm().prop_map(Body::QuerySm),
        query_sm_resp().prop_map(Body::QuerySmResp),
        submit_sm(false).prop_map(Body::SubmitSm),
        message_id_resp().prop_map(Body::SubmitSmResp),
        submit_sm(true).prop_map(Body::DeliverSm),
        message_id_resp().prop_map(Body::DeliverSmResp),
        Just(Body::Unbind),
        Just(Body::UnbindResp),
        replace_sm().prop_map(Body::ReplaceSm),
        Just(Body::ReplaceSmResp),
        cancel_sm().prop_map(Body::CancelSm),
        Just(Body::CancelSmResp),
        bind().prop_map(Body::BindTransceiver),
        bind_resp().prop_map(Body::BindTransceiverResp),
        (c_octet(16), c_octet(9)).prop_map(|(system_id, password)| Body::Outbind(Outbind {
            system_id,
            password
        })),
        Just(Body::EnquireLink),
        Just(Body::EnquireLinkResp),
        submit_multi().prop_map(Body::SubmitMulti),
        submit_multi_resp().prop_map(Body::SubmitMultiResp),
        alert().prop_map(Body::AlertNotification),
        data_sm().prop_map(Body::DataSm),
        message_id_resp().prop_map(Body::DataSmResp),
    ];
    (1u32..=0x7FFF_FFFF, any::<u32>(), body).prop_map(|(sequence_number, status, body)| {
        // Requests carry status 0; responses any status.
        let command_status = if body.command_id().is_response() {
            CommandStatus(status)
        } else {
            CommandStatus::ESME_ROK
        };
        Pdu {
            sequence_number,
            command_status,
            body,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    // Proves decode(encode(x)) == x for every command, and that the byte form is stable.
    #[test]
    fn every_pdu_round_trips(pdu in any_pdu()) {
        let mut bytes = Vec::new();
        let size = pdu.encode(&mut bytes).unwrap();
        prop_assert_eq!(size, bytes.len());
        let decoded = decode(&bytes).unwrap();
        prop_assert_eq!(decoded.clone().into_owned(), pdu);
        let mut again = Vec::new();
        decoded.encode(&mut again).unwrap();
        prop_assert_eq!(again, bytes);
    }

    // Proves arbitrary bytes never panic the splitter or decoder.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048)) {
        fuzz_decode(&bytes);
        let _ = decode(&bytes);
    }

    // Proves valid PDUs with random byte flips, cuts and length edits never panic, and that
    // any error maps to a status.
    #[test]
    fn mutated_pdus_never_panic(pdu in any_pdu(), flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>()) {
        let mut bytes = Vec::new();
        pdu.encode(&mut bytes).unwrap();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        fuzz_decode(&bytes);
        if let Err(error) = decode(&bytes) {
            prop_assert!(error.status() != CommandStatus::ESME_ROK);
        }
        let cut_at = cut.index(bytes.len() + 1);
        fuzz_decode(&bytes[..cut_at]);
        let _ = decode(&bytes[..cut_at]);
    }
}

/// A small deterministic generator, so the million-case run below is reproducible.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// Proves, at volume, that mutated valid PDUs never panic the decoder: one million mutations
// (bit flips, byte overwrites, length-field edits, truncations, splices) of a seed corpus,
// from a fixed seed so a failure replays. Bounded by count.
#[test]
fn a_million_mutated_pdus_never_panic() {
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..64 {
        let pdu = any_pdu().new_tree(&mut runner).unwrap().current();
        let mut bytes = Vec::new();
        pdu.encode(&mut bytes).unwrap();
        corpus.push(bytes);
    }
    let mut rng = XorShift(0x5EED_5A17_0000_0001);
    let mut decoded = 0usize;
    for round in 0..1_000_000usize {
        let mut bytes = corpus[round % corpus.len()].clone();
        let r = rng.next();
        let at = (r as usize >> 8) % bytes.len();
        match r % 5 {
            0 => bytes[at] ^= 1 << ((r >> 40) % 8),
            1 => bytes[at] = (r >> 32) as u8,
            2 => {
                let length = ((r >> 16) as u32) % 400;
                bytes[..4].copy_from_slice(&length.to_be_bytes());
            }
            3 => bytes.truncate(at),
            _ => {
                let other = &corpus[(r >> 24) as usize % corpus.len()];
                let from = (r >> 48) as usize % other.len();
                bytes.extend_from_slice(&other[from..]);
            }
        }
        if decode(&bytes).is_ok() {
            decoded += 1;
        }
        if round % 16 == 0 {
            fuzz_decode(&bytes);
        }
    }
    // Some mutations land in free-form bytes (text, TLV values) and still decode: the mix
    // exercised both paths.
    assert!(decoded > 0);
    assert!(decoded < 1_000_000);
}
