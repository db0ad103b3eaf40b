//! An independent review of the SMPP codec against SMPP v3.4 (issue 1.2) and v5.0: command ids,
//! command_status codes, every TLV tag and the lengths it may have, every C-octet field's
//! maximum in every PDU, boundary values (sm_length 255, 255 destinations, 64 TLVs, a 65,535
//! octet TLV, a PDU of exactly `SMPP_PDU_SIZE_MAX`), SMPP 3.3 encoding, header-only PDUs and
//! failed responses. PDUs are written out by hand from the specification, not built with the
//! encoder under test, wherever the bytes are the point.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns: a failed unwrap is a failed test.

use smsgw_shared::frame::{FrameError, FrameLimits, Frames};
use smsgw_shared::limits::{SMPP_PDU_SIZE_MAX, TLVS_PER_PDU_MAX};
use smsgw_shared::smpp::pdu::{
    DataSm, DestAddresses, INTERFACE_VERSION_33, INTERFACE_VERSION_34, INTERFACE_VERSION_50,
    SubmitSm,
};
use smsgw_shared::smpp::tlv::{STANDARD_TAGS, definition, tag};
use smsgw_shared::smpp::{
    Body, CommandId, CommandStatus, DecodeError, EncodeError, Field, Pdu, Tlvs, decode,
};

/// Concatenates field pieces and prefixes the 16-octet header with the right command_length.
fn pdu(command_id: u32, command_status: u32, sequence_number: u32, body: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = body.concat();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(16 + body.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&command_id.to_be_bytes());
    bytes.extend_from_slice(&command_status.to_be_bytes());
    bytes.extend_from_slice(&sequence_number.to_be_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

/// A C-octet string of `size` copies of `fill` and its NUL.
fn c_octet(size: usize, fill: u8) -> Vec<u8> {
    let mut value = vec![fill; size];
    value.push(0);
    value
}

/// A TLV: tag, length and value.
fn tlv(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut bytes = tag.to_be_bytes().to_vec();
    bytes.extend_from_slice(&(value.len() as u16).to_be_bytes());
    bytes.extend_from_slice(value);
    bytes
}

/// Decodes, and asserts the borrowed and the owned forms both re-encode to the same bytes.
fn assert_round_trip(bytes: &[u8]) -> Pdu<Vec<u8>> {
    let decoded = decode(bytes).unwrap();
    let mut out = Vec::new();
    assert_eq!(decoded.encode(&mut out).unwrap(), bytes.len());
    assert_eq!(out, bytes);
    let owned = decoded.into_owned();
    let mut out = Vec::new();
    owned.encode(&mut out).unwrap();
    assert_eq!(out, bytes);
    owned
}

/// The status a server answers for `bytes`, which must fail to decode.
fn status_of(bytes: &[u8]) -> CommandStatus {
    decode(bytes).unwrap_err().status()
}

/// Replaces field `index` of `body`.
fn with(mut body: Vec<Vec<u8>>, index: usize, value: Vec<u8>) -> Vec<Vec<u8>> {
    body[index] = value;
    body
}

// The bodies below are SMPP v3.4 §4 tables, one entry per mandatory field, in wire order.

fn bind_body() -> Vec<Vec<u8>> {
    vec![
        b"acme\0".to_vec(),   // 0 system_id (16)
        b"secret\0".to_vec(), // 1 password (9)
        b"VMA\0".to_vec(),    // 2 system_type (13)
        vec![0x34],           // 3 interface_version
        vec![0x01, 0x01],     // 4 addr_ton, addr_npi
        b"^2547\0".to_vec(),  // 5 address_range (41)
    ]
}

fn submit_sm_body() -> Vec<Vec<u8>> {
    vec![
        b"CMT\0".to_vec(),          // 0 service_type (6)
        vec![0x01, 0x01],           // 1 source_addr_ton, source_addr_npi
        b"254700000001\0".to_vec(), // 2 source_addr (21)
        vec![0x01, 0x01],           // 3 dest_addr_ton, dest_addr_npi
        b"254711000002\0".to_vec(), // 4 destination_addr (21)
        vec![0x00],                 // 5 esm_class
        vec![0x00],                 // 6 protocol_id
        vec![0x00],                 // 7 priority_flag
        b"\0".to_vec(),             // 8 schedule_delivery_time (17)
        b"\0".to_vec(),             // 9 validity_period (17)
        vec![0x01],                 // 10 registered_delivery
        vec![0x00],                 // 11 replace_if_present_flag
        vec![0x00],                 // 12 data_coding
        vec![0x00],                 // 13 sm_default_msg_id
        vec![0x05],                 // 14 sm_length
        b"hello".to_vec(),          // 15 short_message
    ]
}

fn data_sm_body() -> Vec<Vec<u8>> {
    vec![
        b"WAP\0".to_vec(),          // 0 service_type (6)
        vec![0x01, 0x01],           // 1 source_addr_ton, source_addr_npi
        b"254700000001\0".to_vec(), // 2 source_addr (65)
        vec![0x01, 0x01],           // 3 dest_addr_ton, dest_addr_npi
        b"254711000002\0".to_vec(), // 4 destination_addr (65)
        vec![0x00],                 // 5 esm_class
        vec![0x00],                 // 6 registered_delivery
        vec![0x00],                 // 7 data_coding
    ]
}

fn submit_multi_body() -> Vec<Vec<u8>> {
    vec![
        b"\0".to_vec(),               // 0 service_type (6)
        vec![0x01, 0x01],             // 1 source_addr_ton, source_addr_npi
        b"254700000001\0".to_vec(),   // 2 source_addr (21)
        vec![0x02],                   // 3 number_of_dests
        vec![0x01, 0x01, 0x01],       // 4 dest_flag SME, dest_addr_ton, dest_addr_npi
        b"254711000002\0".to_vec(),   // 5 destination_addr (21)
        vec![0x02],                   // 6 dest_flag distribution list
        b"vip\0".to_vec(),            // 7 dl_name (21)
        vec![0x00, 0x00, 0x00],       // 8 esm_class, protocol_id, priority_flag
        b"\0".to_vec(),               // 9 schedule_delivery_time (17)
        b"\0".to_vec(),               // 10 validity_period (17)
        vec![0x00, 0x00, 0x00, 0x00], // 11 registered_delivery, replace, data_coding, default id
        vec![0x02],                   // 12 sm_length
        b"hi".to_vec(),               // 13 short_message
    ]
}

fn submit_multi_resp_body() -> Vec<Vec<u8>> {
    vec![
        b"M1\0".to_vec(),             // 0 message_id (65)
        vec![0x01],                   // 1 no_unsuccess
        vec![0x01, 0x01],             // 2 dest_addr_ton, dest_addr_npi
        b"254711000009\0".to_vec(),   // 3 destination_addr (21)
        vec![0x00, 0x00, 0x00, 0x0B], // 4 error_status_code ESME_RINVDSTADR
    ]
}

fn query_sm_body() -> Vec<Vec<u8>> {
    vec![
        b"5F3A\0".to_vec(),         // 0 message_id (65)
        vec![0x01, 0x01],           // 1 source_addr_ton, source_addr_npi
        b"254700000001\0".to_vec(), // 2 source_addr (21)
    ]
}

fn query_sm_resp_body() -> Vec<Vec<u8>> {
    vec![
        b"5F3A\0".to_vec(),             // 0 message_id (65)
        b"251224153000004+\0".to_vec(), // 1 final_date (17)
        vec![0x02],                     // 2 message_state DELIVERED
        vec![0x00],                     // 3 error_code
    ]
}

fn cancel_sm_body() -> Vec<Vec<u8>> {
    vec![
        b"\0".to_vec(),             // 0 service_type (6)
        b"5F3A\0".to_vec(),         // 1 message_id (65)
        vec![0x01, 0x01],           // 2 source_addr_ton, source_addr_npi
        b"254700000001\0".to_vec(), // 3 source_addr (21)
        vec![0x01, 0x01],           // 4 dest_addr_ton, dest_addr_npi
        b"254711000002\0".to_vec(), // 5 destination_addr (21)
    ]
}

fn replace_sm_body() -> Vec<Vec<u8>> {
    vec![
        b"5F3A\0".to_vec(),         // 0 message_id (65)
        vec![0x01, 0x01],           // 1 source_addr_ton, source_addr_npi
        b"254700000001\0".to_vec(), // 2 source_addr (21)
        b"\0".to_vec(),             // 3 schedule_delivery_time (17)
        b"\0".to_vec(),             // 4 validity_period (17)
        vec![0x00],                 // 5 registered_delivery
        vec![0x00],                 // 6 sm_default_msg_id
        vec![0x03],                 // 7 sm_length
        b"new".to_vec(),            // 8 short_message
    ]
}

fn alert_notification_body() -> Vec<Vec<u8>> {
    vec![
        vec![0x01, 0x01],           // 0 source_addr_ton, source_addr_npi
        b"254711000002\0".to_vec(), // 1 source_addr (65)
        vec![0x00, 0x00],           // 2 esme_addr_ton, esme_addr_npi
        b"12345\0".to_vec(),        // 3 esme_addr (65)
    ]
}

// Proves every command_id matches the SMPP v3.4 §5.1.2.1 table, that the table has no extra
// entries, and that the deferred SMPP 5.0 broadcast commands are answered ESME_RINVCMDID.
#[test]
fn command_ids_match_the_spec_table() {
    let spec: [(u32, &str); 27] = [
        (0x8000_0000, "generic_nack"),
        (0x0000_0001, "bind_receiver"),
        (0x8000_0001, "bind_receiver_resp"),
        (0x0000_0002, "bind_transmitter"),
        (0x8000_0002, "bind_transmitter_resp"),
        (0x0000_0003, "query_sm"),
        (0x8000_0003, "query_sm_resp"),
        (0x0000_0004, "submit_sm"),
        (0x8000_0004, "submit_sm_resp"),
        (0x0000_0005, "deliver_sm"),
        (0x8000_0005, "deliver_sm_resp"),
        (0x0000_0006, "unbind"),
        (0x8000_0006, "unbind_resp"),
        (0x0000_0007, "replace_sm"),
        (0x8000_0007, "replace_sm_resp"),
        (0x0000_0008, "cancel_sm"),
        (0x8000_0008, "cancel_sm_resp"),
        (0x0000_0009, "bind_transceiver"),
        (0x8000_0009, "bind_transceiver_resp"),
        (0x0000_000B, "outbind"),
        (0x0000_0015, "enquire_link"),
        (0x8000_0015, "enquire_link_resp"),
        (0x0000_0021, "submit_multi"),
        (0x8000_0021, "submit_multi_resp"),
        (0x0000_0102, "alert_notification"),
        (0x0000_0103, "data_sm"),
        (0x8000_0103, "data_sm_resp"),
    ];
    assert_eq!(CommandId::ALL.len(), spec.len());
    for (value, name) in spec {
        let command = CommandId::from_u32(value).unwrap();
        assert_eq!(command.name(), name);
        assert_eq!(command as u32, value);
    }
    for value in [
        0x0000_0111,
        0x8000_0111,
        0x0000_0112,
        0x8000_0112,
        0x0000_0113,
    ] {
        assert_eq!(CommandId::from_u32(value), None);
        assert_eq!(
            status_of(&pdu(value, 0, 1, &[])),
            CommandStatus::ESME_RINVCMDID
        );
    }
}

// Proves every command_status value and name matches SMPP v3.4 §5.1.3 and SMPP v5.0 §4.7.6,
// that nothing else is named, and that the 3.4 names of 0xC0-0xC4 are aliases.
#[test]
fn command_statuses_match_the_spec_table() {
    let spec: [(u32, &str); 67] = [
        (0x00, "ESME_ROK"),
        (0x01, "ESME_RINVMSGLEN"),
        (0x02, "ESME_RINVCMDLEN"),
        (0x03, "ESME_RINVCMDID"),
        (0x04, "ESME_RINVBNDSTS"),
        (0x05, "ESME_RALYBND"),
        (0x06, "ESME_RINVPRTFLG"),
        (0x07, "ESME_RINVREGDLVFLG"),
        (0x08, "ESME_RSYSERR"),
        (0x0A, "ESME_RINVSRCADR"),
        (0x0B, "ESME_RINVDSTADR"),
        (0x0C, "ESME_RINVMSGID"),
        (0x0D, "ESME_RBINDFAIL"),
        (0x0E, "ESME_RINVPASWD"),
        (0x0F, "ESME_RINVSYSID"),
        (0x11, "ESME_RCANCELFAIL"),
        (0x13, "ESME_RREPLACEFAIL"),
        (0x14, "ESME_RMSGQFUL"),
        (0x15, "ESME_RINVSERTYP"),
        (0x33, "ESME_RINVNUMDESTS"),
        (0x34, "ESME_RINVDLNAME"),
        (0x40, "ESME_RINVDESTFLAG"),
        (0x42, "ESME_RINVSUBREP"),
        (0x43, "ESME_RINVESMCLASS"),
        (0x44, "ESME_RCNTSUBDL"),
        (0x45, "ESME_RSUBMITFAIL"),
        (0x48, "ESME_RINVSRCTON"),
        (0x49, "ESME_RINVSRCNPI"),
        (0x50, "ESME_RINVDSTTON"),
        (0x51, "ESME_RINVDSTNPI"),
        (0x53, "ESME_RINVSYSTYP"),
        (0x54, "ESME_RINVREPFLAG"),
        (0x55, "ESME_RINVNUMMSGS"),
        (0x58, "ESME_RTHROTTLED"),
        (0x61, "ESME_RINVSCHED"),
        (0x62, "ESME_RINVEXPIRY"),
        (0x63, "ESME_RINVDFTMSGID"),
        (0x64, "ESME_RX_T_APPN"),
        (0x65, "ESME_RX_P_APPN"),
        (0x66, "ESME_RX_R_APPN"),
        (0x67, "ESME_RQUERYFAIL"),
        (0xC0, "ESME_RINVTLVSTREAM"),
        (0xC1, "ESME_RTLVNOTALLWD"),
        (0xC2, "ESME_RINVTLVLEN"),
        (0xC3, "ESME_RMISSINGTLV"),
        (0xC4, "ESME_RINVTLVVAL"),
        (0xFE, "ESME_RDELIVERYFAILURE"),
        (0xFF, "ESME_RUNKNOWNERR"),
        (0x100, "ESME_RSERTYPUNAUTH"),
        (0x101, "ESME_RPROHIBITED"),
        (0x102, "ESME_RSERTYPUNAVAIL"),
        (0x103, "ESME_RSERTYPDENIED"),
        (0x104, "ESME_RINVDCS"),
        (0x105, "ESME_RINVSRCADDRSUBUNIT"),
        (0x106, "ESME_RINVDSTADDRSUBUNIT"),
        (0x107, "ESME_RINVBCASTFREQINT"),
        (0x108, "ESME_RINVBCASTALIAS_NAME"),
        (0x109, "ESME_RINVBCASTAREAFMT"),
        (0x10A, "ESME_RINVNUMBCAST_AREAS"),
        (0x10B, "ESME_RINVBCASTCNTTYPE"),
        (0x10C, "ESME_RINVBCASTMSGCLASS"),
        (0x10D, "ESME_RBCASTFAIL"),
        (0x10E, "ESME_RBCASTQUERYFAIL"),
        (0x10F, "ESME_RBCASTCANCELFAIL"),
        (0x110, "ESME_RINVBCAST_REP"),
        (0x111, "ESME_RINVBCASTSRVGRP"),
        (0x112, "ESME_RINVBCASTCHANIND"),
    ];
    for (value, name) in spec {
        assert_eq!(CommandStatus(value).name(), Some(name), "0x{value:X}");
    }
    let named = (0..=0x4FFu32)
        .filter(|value| CommandStatus(*value).name().is_some())
        .count();
    assert_eq!(named, spec.len());
    assert_eq!(CommandStatus::ESME_RINVOPTPARSTREAM.0, 0xC0);
    assert_eq!(CommandStatus::ESME_ROPTPARNOTALLWD.0, 0xC1);
    assert_eq!(CommandStatus::ESME_RINVPARLEN.0, 0xC2);
    assert_eq!(CommandStatus::ESME_RMISSINGOPTPARAM.0, 0xC3);
    assert_eq!(CommandStatus::ESME_RINVOPTPARAMVAL.0, 0xC4);
}

/// Every standard TLV: tag, name, and the smallest and largest value length the codec must
/// accept (SMPP v3.4 §5.3.2, SMPP v5.0 §4.8.4). C-octet TLVs are accepted from length 0 and
/// without their NUL (docs/protocols.md, tolerance choices).
const TLV_SPEC: [(u16, &str, u16, u16); 64] = [
    (0x0005, "dest_addr_subunit", 1, 1),
    (0x0006, "dest_network_type", 1, 1),
    (0x0007, "dest_bearer_type", 1, 1),
    (0x0008, "dest_telematics_id", 2, 2),
    (0x000D, "source_addr_subunit", 1, 1),
    (0x000E, "source_network_type", 1, 1),
    (0x000F, "source_bearer_type", 1, 1),
    // 1 octet in SMPP 3.4 §5.3.2.9, 2 octets in SMPP 5.0 §4.8.4.60 (like dest_telematics_id).
    (0x0010, "source_telematics_id", 1, 2),
    (0x0017, "qos_time_to_live", 4, 4),
    (0x0019, "payload_type", 1, 1),
    (0x001D, "additional_status_info_text", 0, 256),
    (0x001E, "receipted_message_id", 0, 65),
    (0x0030, "ms_msg_wait_facilities", 1, 1),
    (0x0201, "privacy_indicator", 1, 1),
    (0x0202, "source_subaddress", 2, 23),
    (0x0203, "dest_subaddress", 2, 23),
    (0x0204, "user_message_reference", 2, 2),
    (0x0205, "user_response_code", 1, 1),
    (0x020A, "source_port", 2, 2),
    (0x020B, "destination_port", 2, 2),
    (0x020C, "sar_msg_ref_num", 2, 2),
    (0x020D, "language_indicator", 1, 1),
    (0x020E, "sar_total_segments", 1, 1),
    (0x020F, "sar_segment_seqnum", 1, 1),
    (0x0210, "sc_interface_version", 1, 1),
    (0x0302, "callback_num_pres_ind", 1, 1),
    (0x0303, "callback_num_atag", 0, 65),
    (0x0304, "number_of_messages", 1, 1),
    (0x0381, "callback_num", 4, 19),
    (0x0420, "dpf_result", 1, 1),
    (0x0421, "set_dpf", 1, 1),
    (0x0422, "ms_availability_status", 1, 1),
    (0x0423, "network_error_code", 3, 3),
    (0x0424, "message_payload", 0, 65535),
    (0x0425, "delivery_failure_reason", 1, 1),
    (0x0426, "more_messages_to_send", 1, 1),
    (0x0427, "message_state", 1, 1),
    (0x0428, "congestion_state", 1, 1),
    (0x0501, "ussd_service_op", 1, 1),
    (0x0600, "broadcast_channel_indicator", 1, 1),
    (0x0601, "broadcast_content_type", 3, 3),
    (0x0602, "broadcast_content_type_info", 0, 255),
    (0x0603, "broadcast_message_class", 1, 1),
    (0x0604, "broadcast_rep_num", 2, 2),
    (0x0605, "broadcast_frequency_interval", 3, 3),
    (0x0606, "broadcast_area_identifier", 1, 100),
    (0x0607, "broadcast_error_status", 4, 4),
    (0x0608, "broadcast_area_success", 1, 1),
    (0x0609, "broadcast_end_time", 0, 17),
    (0x060A, "broadcast_service_group", 0, 255),
    (0x060B, "billing_identification", 0, 1024),
    (0x060D, "source_network_id", 0, 65),
    (0x060E, "dest_network_id", 0, 65),
    (0x060F, "source_node_id", 6, 6),
    (0x0610, "dest_node_id", 6, 6),
    (0x0611, "dest_addr_np_resolution", 1, 1),
    (0x0612, "dest_addr_np_information", 10, 10),
    (0x0613, "dest_addr_np_country", 1, 5),
    (0x1201, "display_time", 1, 1),
    (0x1203, "sms_signal", 2, 2),
    (0x1204, "ms_validity", 1, 4),
    (0x130C, "alert_on_message_delivery", 0, 1),
    (0x1380, "its_reply_type", 1, 1),
    (0x1383, "its_session_info", 2, 2),
];

// Proves the TLV table has exactly the spec's tags with the spec's names, and that each tag's
// value is accepted at its smallest and largest length and refused one octet outside them with
// ESME_RINVTLVLEN.
#[test]
fn tlv_tags_and_lengths_match_the_spec_table() {
    let tags: Vec<u16> = TLV_SPEC.iter().map(|(tag, ..)| *tag).collect();
    assert_eq!(STANDARD_TAGS, tags.as_slice());
    for (tag, name, min, max) in TLV_SPEC {
        assert_eq!(definition(tag).unwrap().0, name);
        for length in [min, max] {
            let raw = tlv(tag, &vec![b'7'; usize::from(length)]);
            assert!(Tlvs::parse(&raw, 0).is_ok(), "{name} length {length}");
        }
        let outside = [min.checked_sub(1), max.checked_add(1)];
        for length in outside.into_iter().flatten() {
            let raw = tlv(tag, &vec![b'7'; usize::from(length)]);
            let error = Tlvs::parse(&raw, 0).unwrap_err();
            assert_eq!(error, DecodeError::TlvLength { tag, length }, "{name}");
            assert_eq!(error.status(), CommandStatus::ESME_RINVTLVLEN);
        }
    }
}

// Proves a submit_sm from an SMPP 5.0 ESME carrying source_telematics_id with its 5.0 length
// of 2 octets is accepted and re-encoded byte-exact, and that the 3.4 1-octet form still is.
#[test]
fn source_telematics_id_of_either_version_is_accepted() {
    for value in [&[0x00, 0x00][..], &[0x00][..]] {
        let mut body = submit_sm_body();
        body.push(tlv(0x0010, value)); // TLV source_telematics_id
        let pdu = assert_round_trip(&pdu(0x0000_0004, 0, 1, &body));
        let Body::SubmitSm(sm) = pdu.body else {
            panic!()
        };
        assert_eq!(sm.tlvs.get(tag::source_telematics_id), Some(value));
    }
}

/// One C-octet field of one PDU: command_id, body, field index, spec maximum (NUL included),
/// the field and the status an SMSC answers when the maximum is exceeded.
struct COctetCase {
    command_id: u32,
    body: fn() -> Vec<Vec<u8>>,
    index: usize,
    size_max: usize,
    field: Field,
    status: CommandStatus,
}

fn case(
    command_id: u32,
    body: fn() -> Vec<Vec<u8>>,
    index: usize,
    size_max: usize,
    field: Field,
    status: CommandStatus,
) -> COctetCase {
    COctetCase {
        command_id,
        body,
        index,
        size_max,
        field,
        status,
    }
}

fn message_id_body() -> Vec<Vec<u8>> {
    vec![b"5F3A\0".to_vec()] // message_id (65)
}

fn outbind_body() -> Vec<Vec<u8>> {
    vec![b"SMSC\0".to_vec(), b"pw\0".to_vec()] // system_id (16), password (9)
}

fn bind_resp_body() -> Vec<Vec<u8>> {
    vec![b"SMSC\0".to_vec()] // system_id (16)
}

// Proves every C-octet field of every PDU has the maximum of its SMPP v3.4 §4 table: a value
// one octet short of the maximum (so NUL at the last allowed octet) decodes and re-encodes
// byte-exact; a value of the maximum's size (no NUL within it) is refused with the field's
// status; and the encoder draws the same line.
#[test]
fn c_octet_fields_have_their_spec_maximum_in_every_pdu() {
    use CommandStatus as S;
    let cases = [
        case(0x02, bind_body, 0, 16, Field::system_id, S::ESME_RINVSYSID),
        case(0x01, bind_body, 1, 9, Field::password, S::ESME_RINVPASWD),
        case(
            0x09,
            bind_body,
            2,
            13,
            Field::system_type,
            S::ESME_RINVSYSTYP,
        ),
        case(
            0x02,
            bind_body,
            5,
            41,
            Field::address_range,
            S::ESME_RBINDFAIL,
        ),
        case(
            0x8000_0009,
            bind_resp_body,
            0,
            16,
            Field::system_id,
            S::ESME_RINVSYSID,
        ),
        case(
            0x0B,
            outbind_body,
            0,
            16,
            Field::system_id,
            S::ESME_RINVSYSID,
        ),
        case(0x0B, outbind_body, 1, 9, Field::password, S::ESME_RINVPASWD),
        case(
            0x04,
            submit_sm_body,
            0,
            6,
            Field::service_type,
            S::ESME_RINVSERTYP,
        ),
        case(
            0x04,
            submit_sm_body,
            2,
            21,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x04,
            submit_sm_body,
            4,
            21,
            Field::destination_addr,
            S::ESME_RINVDSTADR,
        ),
        case(
            0x05,
            submit_sm_body,
            2,
            21,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x05,
            submit_sm_body,
            4,
            21,
            Field::destination_addr,
            S::ESME_RINVDSTADR,
        ),
        case(
            0x8000_0004,
            message_id_body,
            0,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x8000_0005,
            message_id_body,
            0,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x8000_0103,
            message_id_body,
            0,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x103,
            data_sm_body,
            0,
            6,
            Field::service_type,
            S::ESME_RINVSERTYP,
        ),
        case(
            0x103,
            data_sm_body,
            2,
            65,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x103,
            data_sm_body,
            4,
            65,
            Field::destination_addr,
            S::ESME_RINVDSTADR,
        ),
        case(
            0x21,
            submit_multi_body,
            2,
            21,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x21,
            submit_multi_body,
            5,
            21,
            Field::destination_addr,
            S::ESME_RINVDSTADR,
        ),
        case(
            0x21,
            submit_multi_body,
            7,
            21,
            Field::dl_name,
            S::ESME_RINVDLNAME,
        ),
        case(
            0x8000_0021,
            submit_multi_resp_body,
            0,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x8000_0021,
            submit_multi_resp_body,
            3,
            21,
            Field::destination_addr,
            S::ESME_RINVDSTADR,
        ),
        case(
            0x03,
            query_sm_body,
            0,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x03,
            query_sm_body,
            2,
            21,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x8000_0003,
            query_sm_resp_body,
            0,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x08,
            cancel_sm_body,
            0,
            6,
            Field::service_type,
            S::ESME_RINVSERTYP,
        ),
        case(
            0x08,
            cancel_sm_body,
            1,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x08,
            cancel_sm_body,
            3,
            21,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x08,
            cancel_sm_body,
            5,
            21,
            Field::destination_addr,
            S::ESME_RINVDSTADR,
        ),
        case(
            0x07,
            replace_sm_body,
            0,
            65,
            Field::message_id,
            S::ESME_RINVMSGID,
        ),
        case(
            0x07,
            replace_sm_body,
            2,
            21,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x102,
            alert_notification_body,
            1,
            65,
            Field::source_addr,
            S::ESME_RINVSRCADR,
        ),
        case(
            0x102,
            alert_notification_body,
            3,
            65,
            Field::esme_addr,
            S::ESME_RINVSRCADR,
        ),
    ];
    for (number, case) in cases.iter().enumerate() {
        let longest = pdu(
            case.command_id,
            0,
            1,
            &with((case.body)(), case.index, c_octet(case.size_max - 1, b'7')),
        );
        assert_round_trip(&longest);
        let over = pdu(
            case.command_id,
            0,
            1,
            &with((case.body)(), case.index, c_octet(case.size_max, b'7')),
        );
        let error = decode(&over).unwrap_err();
        assert_eq!(
            error,
            DecodeError::CStringTooLong {
                field: case.field,
                size_max: case.size_max
            },
            "case {number}"
        );
        assert_eq!(error.status(), case.status, "case {number}");
        assert!(!error.is_fatal(), "case {number}");
    }
    let mut sm = SubmitSm::<Vec<u8>> {
        source_addr: vec![b'7'; 20],
        destination_addr: vec![b'7'; 20],
        ..SubmitSm::default()
    };
    assert!(
        Pdu::new(1, Body::SubmitSm(sm.clone()))
            .encode(&mut Vec::new())
            .is_ok()
    );
    sm.destination_addr.push(b'7');
    assert_eq!(
        Pdu::new(1, Body::SubmitSm(sm)).encode(&mut Vec::new()),
        Err(EncodeError::CStringTooLong {
            field: Field::destination_addr,
            size: 21,
            size_max: 21
        })
    );
}

// Proves the time fields (17 octets with NUL, SMPP v3.4 §7.1.1) accept a 16-character time,
// refuse a 17-character one, and range-check absolute times at their edges (nn 48 is the
// largest quarter-hour offset, hour 24 and month 0 do not exist), with the field's status.
#[test]
fn time_fields_are_checked_at_their_edges() {
    let cases: [(&[u8], bool); 9] = [
        (b"991231235959948+", true),
        (b"000101000000000-", true),
        (b"991231235959949+", false),
        (b"991231240000000+", false),
        (b"990031000000000+", false),
        (b"991200000000000+", false),
        (b"000000000000000R", true),
        (b"0000000000000000", false),
        (b"991231235959948+0", false),
    ];
    for (time, valid) in cases {
        let mut value = time.to_vec();
        value.push(0);
        let schedule = pdu(0x04, 0, 1, &with(submit_sm_body(), 8, value.clone()));
        let validity = pdu(0x04, 0, 1, &with(submit_sm_body(), 9, value.clone()));
        let replace = pdu(0x07, 0, 1, &with(replace_sm_body(), 4, value));
        if valid {
            assert_round_trip(&schedule);
            assert_round_trip(&validity);
            assert_round_trip(&replace);
        } else {
            let time = String::from_utf8_lossy(time);
            assert_eq!(
                status_of(&schedule),
                CommandStatus::ESME_RINVSCHED,
                "{time}"
            );
            assert_eq!(
                status_of(&validity),
                CommandStatus::ESME_RINVEXPIRY,
                "{time}"
            );
            assert_eq!(
                status_of(&replace),
                CommandStatus::ESME_RINVEXPIRY,
                "{time}"
            );
        }
    }
}

// Proves sm_length 255 (SMPP 5.0's maximum; 3.4 said 254) with 255 octets of short_message is
// accepted and round-trips in submit_sm and replace_sm, that an sm_length longer than what
// follows is refused with ESME_RINVMSGLEN, and that the encoder refuses a 256-octet
// short_message rather than truncating it.
#[test]
fn sm_length_255_is_the_largest_accepted() {
    let at_max = pdu(
        0x04,
        0,
        1,
        &with(with(submit_sm_body(), 14, vec![255]), 15, vec![b'x'; 255]),
    );
    let decoded = assert_round_trip(&at_max);
    let Body::SubmitSm(sm) = decoded.body else {
        panic!()
    };
    assert_eq!(sm.short_message.len(), 255);
    let short = pdu(
        0x04,
        0,
        1,
        &with(with(submit_sm_body(), 14, vec![255]), 15, vec![b'x'; 200]),
    );
    assert_eq!(status_of(&short), CommandStatus::ESME_RINVMSGLEN);
    let replace_max = pdu(
        0x07,
        0,
        1,
        &with(with(replace_sm_body(), 7, vec![255]), 8, vec![b'x'; 255]),
    );
    assert_round_trip(&replace_max);
    let mut sm = SubmitSm::<Vec<u8>> {
        destination_addr: b"1".to_vec(),
        short_message: vec![b'x'; 256],
        ..SubmitSm::default()
    };
    let mut out = vec![0xAA];
    assert_eq!(
        Pdu::new(1, Body::DeliverSm(sm.clone())).encode(&mut out),
        Err(EncodeError::ShortMessageTooLong(256))
    );
    assert_eq!(out, [0xAA]);
    sm.short_message.pop();
    assert!(Pdu::new(1, Body::DeliverSm(sm)).encode(&mut out).is_ok());
}

// Proves submit_multi takes 255 destinations (number_of_dests is one octet; each entry a
// full-size 21-octet address), iterates them all and round-trips, that 0 destinations get
// ESME_RINVNUMDESTS, an unknown dest_flag ESME_RINVDESTFLAG, and that the builder refuses a
// 256th entry.
#[test]
fn submit_multi_takes_255_destinations() {
    let mut body = submit_multi_body();
    body[3] = vec![255];
    body[4] = Vec::new();
    body[6] = Vec::new();
    body[7] = Vec::new();
    body[5] = (0..255u32)
        .flat_map(|index| {
            let mut entry = vec![0x01, 0x01, 0x01]; // dest_flag SME, ton, npi
            entry.extend_from_slice(format!("2547110{index:013}\0").as_bytes());
            entry
        })
        .collect();
    let bytes = pdu(0x21, 0, 1, &body);
    let owned = assert_round_trip(&bytes);
    let Body::SubmitMulti(multi) = owned.body else {
        panic!()
    };
    assert_eq!(multi.dest_addresses.len(), 255);
    assert_eq!(multi.dest_addresses.iter().count(), 255);

    let mut none = submit_multi_body();
    none[3] = vec![0];
    for entry in &mut none[4..8] {
        entry.clear();
    }
    assert_eq!(
        status_of(&pdu(0x21, 0, 1, &none)),
        CommandStatus::ESME_RINVNUMDESTS
    );
    let bad_flag = with(submit_multi_body(), 6, vec![0x03]);
    assert_eq!(
        status_of(&pdu(0x21, 0, 1, &bad_flag)),
        CommandStatus::ESME_RINVDESTFLAG
    );
    let empty_dest = with(submit_multi_body(), 5, b"\0".to_vec());
    assert_eq!(
        status_of(&pdu(0x21, 0, 1, &empty_dest)),
        CommandStatus::ESME_RINVDSTADR
    );

    let mut dests = DestAddresses::new();
    for _ in 0..255 {
        dests.push_sme(1, 1, b"254711000002").unwrap();
    }
    assert_eq!(
        dests.push_distribution_list(b"vip").unwrap_err(),
        EncodeError::TooManyEntries {
            field: Field::number_of_dests,
            count: 256
        }
    );
}

// Proves the TLV flood limit sits exactly at TLVS_PER_PDU_MAX: 64 TLVs (here unknown tags of
// length 0, which must be kept) decode and round-trip, 65 are refused with ESME_RINVTLVSTREAM.
#[test]
fn sixty_four_tlvs_decode_and_sixty_five_are_refused() {
    assert_eq!(TLVS_PER_PDU_MAX, 64);
    let mut body = submit_sm_body();
    body.extend((0..64u16).map(|index| tlv(0x1400 + index, &[])));
    let bytes = pdu(0x04, 0, 1, &body);
    let owned = assert_round_trip(&bytes);
    let Body::SubmitSm(sm) = owned.body else {
        panic!()
    };
    assert_eq!(sm.tlvs.iter().count(), 64);
    assert!(sm.tlvs.iter().all(|tlv| tlv.value.is_empty()));
    body.push(tlv(0x1500, &[]));
    let bytes = pdu(0x04, 0, 1, &body);
    assert_eq!(
        decode(&bytes),
        Err(DecodeError::TooManyTlvs {
            max: TLVS_PER_PDU_MAX
        })
    );
    assert_eq!(status_of(&bytes), CommandStatus::ESME_RINVTLVSTREAM);
}

// Proves unknown and vendor TLVs survive byte-exact wherever they sit among known ones,
// including one of length 0 and one at the end, in every PDU that carries TLVs.
#[test]
fn unknown_tlvs_survive_byte_exact() {
    let tlvs = [
        tlv(0x1400, &[]),                          // vendor tag, length 0
        tlv(tag::user_message_reference, &[0, 9]), // known
        tlv(0x7FFF, &[1, 2, 3]),                   // reserved tag
        tlv(0xFFFF, &[]),                          // last tag, length 0
    ];
    for (command_id, body) in [
        (0x04, submit_sm_body()),
        (0x05, submit_sm_body()),
        (0x103, data_sm_body()),
        (0x21, submit_multi_body()),
        (0x07, replace_sm_body()),
        (0x102, alert_notification_body()),
        (0x8000_0004, message_id_body()),
        (0x8000_0103, message_id_body()),
        (0x8000_0021, submit_multi_resp_body()),
        (0x8000_0002, bind_resp_body()),
    ] {
        let mut body = body;
        body.extend(tlvs.iter().cloned());
        assert_round_trip(&pdu(command_id, 0, 1, &body));
    }
}

// Proves a TLV value of exactly 65,535 octets (the largest a 2-octet length can say) decodes,
// is read back whole and round-trips, and that the builder refuses 65,536.
#[test]
fn tlv_value_of_65535_octets_round_trips() {
    let payload = vec![b'p'; 65_535];
    let mut body = data_sm_body();
    body.push(tlv(tag::message_payload, &payload));
    let owned = assert_round_trip(&pdu(0x103, 0, 1, &body));
    let Body::DataSm(data) = owned.body else {
        panic!()
    };
    assert_eq!(data.tlvs.message_payload(), Some(payload.as_slice()));
    let mut tlvs = Tlvs::new();
    assert!(tlvs.push(0x1400, &payload).is_ok());
    assert_eq!(
        tlvs.push(0x1400, &vec![0; 65_536]).unwrap_err(),
        EncodeError::TlvTooLong {
            tag: 0x1400,
            size: 65_536
        }
    );
}

// Proves the TLV builder refuses a standard tag with a value of the wrong shape with an error
// that names the length (a 0-octet message_state is too short, not "over 65,535"), and that
// push_c_octet refuses an embedded NUL, which the peer would take for the end of the string.
#[test]
fn tlv_builder_refuses_wrong_shapes_and_embedded_nul() {
    let mut tlvs = Tlvs::new();
    assert_eq!(
        tlvs.push(tag::message_state, &[]).unwrap_err(),
        EncodeError::TlvLength {
            tag: tag::message_state,
            size: 0
        }
    );
    assert_eq!(
        tlvs.push_u16(tag::message_state, 2).unwrap_err(),
        EncodeError::TlvLength {
            tag: tag::message_state,
            size: 2
        }
    );
    assert_eq!(
        tlvs.push_c_octet(tag::receipted_message_id, &[b'7'; 65])
            .unwrap_err(),
        EncodeError::TlvLength {
            tag: tag::receipted_message_id,
            size: 66
        }
    );
    tlvs.push_c_octet(tag::receipted_message_id, &[b'7'; 64])
        .unwrap();
    assert_eq!(
        tlvs.push_c_octet(tag::receipted_message_id, b"7F\0X")
            .unwrap_err(),
        EncodeError::TlvEmbeddedNul(tag::receipted_message_id)
    );
    assert_eq!(
        tlvs.push_c_octet(0x1400, b"\0").unwrap_err(),
        EncodeError::TlvEmbeddedNul(0x1400)
    );
    assert_eq!(tlvs.iter().count(), 1);
    assert_eq!(tlvs.receipted_message_id(), Some(&[b'7'; 64][..]));
}

/// A data_sm of exactly `size` octets: a full message_payload plus a vendor TLV as padding.
fn data_sm_of_size(size: usize) -> Vec<u8> {
    let mut body = data_sm_body();
    body.push(tlv(tag::message_payload, &vec![b'p'; 65_535]));
    let used = 16 + body.concat().len() + 4;
    body.push(tlv(0x1400, &vec![b'v'; size - used]));
    let bytes = pdu(0x103, 0, 1, &body);
    assert_eq!(bytes.len(), size);
    bytes
}

// Proves a PDU of exactly SMPP_PDU_SIZE_MAX octets passes the frame splitter, decodes and
// re-encodes, that the encoder refuses one octet more and leaves its buffer as it was, and
// that decode itself refuses an oversize frame (so whatever decodes can be re-encoded).
#[test]
fn pdu_exactly_at_size_max_is_accepted_and_one_more_refused() {
    let size_max = SMPP_PDU_SIZE_MAX as usize;
    let at_max = data_sm_of_size(size_max);
    let mut frames = Frames::new(&at_max, FrameLimits::SMPP);
    assert_eq!(frames.next().unwrap().unwrap(), at_max.as_slice());
    assert_round_trip(&at_max);

    let over = data_sm_of_size(size_max + 1);
    let mut frames = Frames::new(&over, FrameLimits::SMPP);
    assert!(frames.next().unwrap().is_err());
    // `err()`, not `unwrap_err()`: a failure must not print 72,000 octets.
    let error = decode(&over).err();
    let frame_over = DecodeError::Frame(FrameError::LengthOver {
        got: SMPP_PDU_SIZE_MAX + 1,
        max: SMPP_PDU_SIZE_MAX,
    });
    assert_eq!(error, Some(frame_over));
    assert!(frame_over.is_fatal());
    assert_eq!(frame_over.status(), CommandStatus::ESME_RINVCMDLEN);

    let mut tlvs = Tlvs::new();
    tlvs.push(tag::message_payload, &vec![b'p'; 65_535])
        .unwrap();
    // Header 16, the fixed data_sm fields below 37, two TLV headers 8.
    let padding = size_max + 1 - (16 + 37 + 8 + 65_535);
    tlvs.push(0x1400, &vec![b'v'; padding]).unwrap();
    let data = DataSm::<Vec<u8>> {
        service_type: b"WAP".to_vec(),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: b"254700000001".to_vec(),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: b"254711000002".to_vec(),
        tlvs,
        ..DataSm::default()
    };
    let mut out = vec![0xAA];
    let result = Pdu::new(1, Body::DataSm(data)).encode(&mut out);
    assert_eq!(
        result,
        Err(EncodeError::PduTooLong {
            size: size_max + 1,
            size_max
        })
    );
    assert_eq!(out, [0xAA]);
    let decoded = decode(&at_max).unwrap();
    assert_eq!(decoded.encode(&mut out).unwrap(), size_max);
}

// Proves encode_for(0x33) leaves out the TLVs of every PDU kind that has them (bind responses'
// sc_interface_version included) and fixes command_length, while 3.4 and 5.0 keep them.
#[test]
fn encode_for_33_drops_tlvs_of_every_pdu_kind() {
    let extra = [
        tlv(tag::sc_interface_version, &[0x34]), // a known TLV
        tlv(0x1400, &[0xAB]),                    // a vendor TLV
    ];
    for (command_id, body) in [
        (0x8000_0001, bind_resp_body()),
        (0x8000_0002, bind_resp_body()),
        (0x8000_0009, bind_resp_body()),
        (0x04, submit_sm_body()),
        (0x05, submit_sm_body()),
        (0x8000_0004, message_id_body()),
        (0x8000_0005, message_id_body()),
        (0x103, data_sm_body()),
        (0x8000_0103, message_id_body()),
        (0x07, replace_sm_body()),
        (0x21, submit_multi_body()),
        (0x8000_0021, submit_multi_resp_body()),
        (0x102, alert_notification_body()),
    ] {
        let without = pdu(command_id, 0, 9, &body);
        let mut with_tlvs = body.clone();
        with_tlvs.extend(extra.iter().cloned());
        let with_tlvs = pdu(command_id, 0, 9, &with_tlvs);
        let decoded = decode(&with_tlvs).unwrap();
        let mut out = Vec::new();
        decoded.encode_for(INTERFACE_VERSION_33, &mut out).unwrap();
        assert_eq!(out, without, "0x{command_id:08X}");
        for version in [0x00, 0x32] {
            let mut out = Vec::new();
            decoded.encode_for(version, &mut out).unwrap();
            assert_eq!(out, without, "0x{command_id:08X} for 0x{version:02X}");
        }
        for version in [INTERFACE_VERSION_34, INTERFACE_VERSION_50] {
            let mut out = Vec::new();
            decoded.encode_for(version, &mut out).unwrap();
            assert_eq!(out, with_tlvs, "0x{command_id:08X} for 0x{version:02X}");
        }
    }
}

// Proves encode_for(0x33) refuses, rather than silently drops, a message whose user data is in
// message_payload (an SMPP 3.3 peer cannot receive TLVs, so it would get an empty message),
// leaves the buffer as it was, and still sends the same PDU to 3.4 peers.
#[test]
fn encode_for_33_refuses_to_drop_message_payload() {
    let payload = tlv(tag::message_payload, b"a long message");
    let empty_sm = |mut body: Vec<Vec<u8>>, sm_length: usize| {
        body[sm_length] = vec![0];
        body[sm_length + 1] = Vec::new();
        body.push(payload.clone());
        body
    };
    let mut data_sm = data_sm_body();
    data_sm.push(payload.clone());
    for (command_id, body) in [
        (0x04, empty_sm(submit_sm_body(), 14)),
        (0x05, empty_sm(submit_sm_body(), 14)),
        (0x07, empty_sm(replace_sm_body(), 7)),
        (0x21, empty_sm(submit_multi_body(), 12)),
        (0x103, data_sm),
    ] {
        let bytes = pdu(command_id, 0, 1, &body);
        let decoded = decode(&bytes).unwrap();
        let mut out = vec![0xAA];
        assert_eq!(
            decoded.encode_for(INTERFACE_VERSION_33, &mut out),
            Err(EncodeError::PayloadNeedsTlvs(14)),
            "0x{command_id:08X}"
        );
        assert_eq!(out, [0xAA]);
        let mut out = Vec::new();
        decoded.encode_for(INTERFACE_VERSION_34, &mut out).unwrap();
        assert_eq!(out, bytes);
    }
}

// Proves the header-only PDUs (SMPP v3.4 §4.2, §4.3, §4.9.2, §4.10.2, §4.11) are exactly 16
// octets, round-trip at both ends of the sequence_number range, refuse any body octet with
// ESME_RINVCMDLEN without closing the session, and that a failed one is still header-only.
#[test]
fn header_only_pdus_are_16_octets() {
    for command_id in [
        0x8000_0000u32,
        0x0000_0006,
        0x8000_0006,
        0x0000_0015,
        0x8000_0015,
        0x8000_0007,
        0x8000_0008,
    ] {
        for sequence_number in [1, 0x7FFF_FFFF] {
            let bytes = pdu(command_id, 0, sequence_number, &[]);
            assert_eq!(bytes.len(), 16);
            let owned = assert_round_trip(&bytes);
            assert_eq!(owned.sequence_number, sequence_number);
            assert_eq!(owned.command_id() as u32, command_id);
        }
        let with_body = pdu(command_id, 0, 1, &[vec![0x00]]);
        let error = decode(&with_body).unwrap_err();
        assert_eq!(error, DecodeError::TrailingBytes { extra: 1 });
        assert_eq!(error.status(), CommandStatus::ESME_RINVCMDLEN);
        assert!(!error.is_fatal());
        if command_id & 0x8000_0000 != 0 {
            let failed = pdu(command_id, 0x08, 1, &[]);
            let owned = assert_round_trip(&failed);
            assert_eq!(owned.command_status, CommandStatus::ESME_RSYSERR);
        }
    }
    assert!(decode(&pdu(0x15, 0, 1, &[])[..15]).unwrap_err().is_fatal());
}

// Proves a failed response that carries its body anyway (many SMSCs do; SMPP 5.0 adds TLVs
// such as additional_status_info_text and delivery_failure_reason to it) decodes field by
// field and re-encodes byte-exact, and that a failed response without a body decodes empty.
#[test]
fn failed_responses_with_a_body_decode_and_round_trip() {
    let submit_resp = pdu(
        0x8000_0004,
        0x45, // ESME_RSUBMITFAIL
        3,
        &[
            b"\0".to_vec(),                                       // message_id: none
            tlv(tag::additional_status_info_text, b"no route\0"), // TLV
        ],
    );
    let owned = assert_round_trip(&submit_resp);
    assert_eq!(owned.command_status, CommandStatus::ESME_RSUBMITFAIL);
    let Body::SubmitSmResp(resp) = &owned.body else {
        panic!()
    };
    assert!(resp.message_id.is_empty());
    assert_eq!(
        resp.tlvs.additional_status_info_text(),
        Some(&b"no route"[..])
    );

    let data_resp = pdu(
        0x8000_0103,
        0xFE, // ESME_RDELIVERYFAILURE
        4,
        &[
            b"\0".to_vec(),                                    // message_id
            tlv(tag::delivery_failure_reason, &[0x01]),        // destination unavailable
            tlv(tag::network_error_code, &[0x03, 0x00, 0x1B]), // GSM, absent subscriber
        ],
    );
    let owned = assert_round_trip(&data_resp);
    let Body::DataSmResp(resp) = &owned.body else {
        panic!()
    };
    assert_eq!(resp.tlvs.delivery_failure_reason(), Some(1));

    let bind_resp = pdu(0x8000_0009, 0x0E, 5, &[b"SMSC\0".to_vec()]); // ESME_RINVPASWD
    assert_round_trip(&bind_resp);

    let multi_resp = pdu(0x8000_0021, 0x45, 6, &submit_multi_resp_body());
    let owned = assert_round_trip(&multi_resp);
    let Body::SubmitMultiResp(resp) = &owned.body else {
        panic!()
    };
    let failed: Vec<_> = resp.unsuccess_smes.iter().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].destination_addr, b"254711000009");
    assert_eq!(failed[0].error_status_code, CommandStatus::ESME_RINVDSTADR);

    for command_id in [
        0x8000_0001u32,
        0x8000_0003,
        0x8000_0004,
        0x8000_0005,
        0x8000_0021,
        0x8000_0103,
    ] {
        let empty = pdu(command_id, 0x08, 7, &[]);
        let empty = decode(&empty).unwrap();
        assert_eq!(empty.command_status, CommandStatus::ESME_RSYSERR);
        assert_eq!(empty.command_id() as u32, command_id);
        let ok_empty = pdu(command_id, 0, 7, &[]);
        if matches!(command_id, 0x8000_0005 | 0x8000_0103) {
            // Bare deliver_sm_resp / data_sm_resp: common in the field, accepted.
            assert!(decode(&ok_empty).is_ok());
        } else {
            assert_eq!(status_of(&ok_empty), CommandStatus::ESME_RINVCMDLEN);
        }
    }
}

// Proves esm_class message types (bits 2-5, SMPP v3.4 §5.2.12) are checked per direction:
// submit_sm and submit_multi take default, delivery ack and user ack; deliver_sm and data_sm
// also receipts, conversation abort and intermediate notification; the rest get
// ESME_RINVESMCLASS whatever the mode and GSM feature bits.
#[test]
fn esm_class_message_types_are_checked_per_direction() {
    for message_type in 0..16u8 {
        for other_bits in [0x00, 0xC3] {
            let esm_class = (message_type << 2) | other_bits;
            let submit_ok = matches!(message_type, 0 | 2 | 4);
            let deliver_ok = matches!(message_type, 0 | 1 | 2 | 4 | 6 | 8);
            for (command_id, body, index, ok) in [
                (0x04, submit_sm_body(), 5, submit_ok),
                (0x21, submit_multi_body(), 8, submit_ok),
                (0x05, submit_sm_body(), 5, deliver_ok),
                (0x103, data_sm_body(), 5, deliver_ok),
            ] {
                let mut field = body[index].clone();
                field[0] = esm_class;
                let bytes = pdu(command_id, 0, 1, &with(body, index, field));
                if ok {
                    assert_round_trip(&bytes);
                } else {
                    assert_eq!(
                        status_of(&bytes),
                        CommandStatus::ESME_RINVESMCLASS,
                        "0x{command_id:X} esm_class 0x{esm_class:02X}"
                    );
                }
            }
        }
    }
}

// Proves the one-octet flags take exactly their spec ranges: priority_flag 0-4 (4 is SMPP
// 5.0), replace_if_present_flag 0-1, each refused with its own status, and registered_delivery
// any value (bits 0-1 = 3 was reserved in 3.4 and is defined in 5.0).
#[test]
fn one_octet_flags_take_their_spec_ranges() {
    for value in 0..=255u8 {
        let priority = pdu(0x04, 0, 1, &with(submit_sm_body(), 7, vec![value]));
        let replace = pdu(0x04, 0, 1, &with(submit_sm_body(), 11, vec![value]));
        let registered = pdu(0x04, 0, 1, &with(submit_sm_body(), 10, vec![value]));
        if value <= 4 {
            assert_round_trip(&priority);
        } else {
            assert_eq!(status_of(&priority), CommandStatus::ESME_RINVPRTFLG);
        }
        if value <= 1 {
            assert_round_trip(&replace);
        } else {
            assert_eq!(status_of(&replace), CommandStatus::ESME_RINVREPFLAG);
        }
        // Every value: 3 in bits 0-1 is "receipt on success only" in SMPP 5.0.
        assert_round_trip(&registered);
    }
}

// Proves TON (0-6) and NPI (0, 1, 3, 4, 6, 8, 9, 10, 14, 18) are checked on the source and the
// destination of submit_sm with their own statuses (0x48/0x49, 0x50/0x51), and on each
// submit_multi destination.
#[test]
fn ton_and_npi_are_checked_with_their_statuses() {
    let npis = [0u8, 1, 3, 4, 6, 8, 9, 10, 14, 18];
    for value in 0..=255u8 {
        let source_ton = pdu(0x04, 0, 1, &with(submit_sm_body(), 1, vec![value, 1]));
        let source_npi = pdu(0x04, 0, 1, &with(submit_sm_body(), 1, vec![1, value]));
        let dest_ton = pdu(0x04, 0, 1, &with(submit_sm_body(), 3, vec![value, 1]));
        let dest_npi = pdu(0x04, 0, 1, &with(submit_sm_body(), 3, vec![1, value]));
        let multi_npi = pdu(0x21, 0, 1, &with(submit_multi_body(), 4, vec![1, 1, value]));
        if value <= 6 {
            assert_round_trip(&source_ton);
            assert_round_trip(&dest_ton);
        } else {
            assert_eq!(status_of(&source_ton), CommandStatus::ESME_RINVSRCTON);
            assert_eq!(status_of(&dest_ton), CommandStatus::ESME_RINVDSTTON);
        }
        if npis.contains(&value) {
            assert_round_trip(&source_npi);
            assert_round_trip(&dest_npi);
            assert_round_trip(&multi_npi);
        } else {
            assert_eq!(status_of(&source_npi), CommandStatus::ESME_RINVSRCNPI);
            assert_eq!(status_of(&dest_npi), CommandStatus::ESME_RINVDSTNPI);
            assert_eq!(status_of(&multi_npi), CommandStatus::ESME_RINVDSTNPI);
        }
    }
}

// Proves the other validation rules answer the documented status: empty destination_addr
// (submit_sm, data_sm), empty message_id (query_sm, replace_sm), short_message together with
// message_payload, sm_length past the end, a TLV cut short, and a mandatory field cut short.
#[test]
fn other_validation_rules_answer_their_status() {
    let cases: [(Vec<u8>, CommandStatus); 8] = [
        (
            pdu(0x04, 0, 1, &with(submit_sm_body(), 4, b"\0".to_vec())),
            CommandStatus::ESME_RINVDSTADR,
        ),
        (
            pdu(0x103, 0, 1, &with(data_sm_body(), 4, b"\0".to_vec())),
            CommandStatus::ESME_RINVDSTADR,
        ),
        (
            pdu(0x03, 0, 1, &with(query_sm_body(), 0, b"\0".to_vec())),
            CommandStatus::ESME_RINVMSGID,
        ),
        (
            pdu(0x07, 0, 1, &with(replace_sm_body(), 0, b"\0".to_vec())),
            CommandStatus::ESME_RINVMSGID,
        ),
        (
            {
                let mut body = submit_sm_body();
                body.push(tlv(tag::message_payload, b"x"));
                pdu(0x04, 0, 1, &body)
            },
            CommandStatus::ESME_RTLVNOTALLWD,
        ),
        (
            pdu(0x04, 0, 1, &with(submit_sm_body(), 14, vec![6])),
            CommandStatus::ESME_RINVMSGLEN,
        ),
        (
            {
                let mut body = submit_sm_body();
                body.push(vec![0x14, 0x00, 0x00, 0x02, 0xFF]);
                pdu(0x04, 0, 1, &body)
            },
            CommandStatus::ESME_RINVTLVSTREAM,
        ),
        (
            pdu(0x04, 0, 1, &submit_sm_body()[..7]),
            CommandStatus::ESME_RINVCMDLEN,
        ),
    ];
    for (index, (bytes, status)) in cases.iter().enumerate() {
        let error = decode(bytes).unwrap_err();
        assert_eq!(error.status(), *status, "case {index}: {error}");
        assert!(!error.is_fatal(), "case {index}");
    }
    // cancel_sm may leave message_id or destination_addr empty (SMPP v3.4 §4.9.1).
    assert_round_trip(&pdu(0x08, 0, 1, &with(cancel_sm_body(), 1, b"\0".to_vec())));
    assert_round_trip(&pdu(0x08, 0, 1, &with(cancel_sm_body(), 5, b"\0".to_vec())));
    // A command_length that disagrees with the frame is fatal.
    let mut bytes = pdu(0x15, 0, 1, &[]);
    bytes[3] = 17;
    assert!(decode(&bytes).unwrap_err().is_fatal());
}
