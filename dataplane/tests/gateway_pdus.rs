//! Bad PDUs from an SP, written byte for byte over loopback to the running gateway: each is
//! answered with the status SMPP v3.4 §5.1.3 gives it, and the session stays usable (a good
//! submit_sm right after is accepted) unless the stream itself is out of sync, in which case the
//! gateway answers generic_nack ESME_RINVCMDLEN and closes, and other sessions are unaffected.
//! Each scenario runs on every available I/O backend.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use gateway_support::{
    RawEnd, RawSp, RecordingSmsc, SmscOptions, WAIT, account, backends, connector, route,
    start_gateway, text_submit,
};
use smsgw_dataplane::ids::{MessageId, MessageIdFormat};
use smsgw_shared::smpp::pdu::{Bind, Body, CancelSm, QuerySm, ReplaceSm};
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::{CommandId, CommandStatus};

/// Sequence numbers of hand-made PDUs start here, far from the [`RawSp`]'s own.
const RAW_SEQUENCE_BASE: u32 = 10_000;

/// A whole PDU: header (command_length from `body`, unless `command_length` overrides it)
/// then `body`.
fn frame(
    command_id: u32,
    sequence_number: u32,
    body: &[u8],
    command_length: Option<u32>,
) -> Vec<u8> {
    let size = u32::try_from(16 + body.len()).unwrap();
    let mut bytes = Vec::with_capacity(16 + body.len());
    bytes.extend_from_slice(&command_length.unwrap_or(size).to_be_bytes());
    bytes.extend_from_slice(&command_id.to_be_bytes());
    bytes.extend_from_slice(&0u32.to_be_bytes()); // command_status
    bytes.extend_from_slice(&sequence_number.to_be_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// A submit_sm body, field by field (SMPP v3.4 §4.4.1), so that fields can break the rules.
fn submit_body(
    dest_addr_ton: u8,
    destination_addr: &[u8],
    sm_length: u8,
    short_message: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    body.push(0); // service_type: ""
    body.extend_from_slice(&[5, 0]); // source_addr_ton (alphanumeric), source_addr_npi
    body.extend_from_slice(b"ACME\0"); // source_addr
    body.extend_from_slice(&[dest_addr_ton, 1]); // dest_addr_ton, dest_addr_npi (ISDN)
    body.extend_from_slice(destination_addr);
    body.push(0); // destination_addr's NUL
    body.extend_from_slice(&[0, 0, 0]); // esm_class, protocol_id, priority_flag
    body.push(0); // schedule_delivery_time: ""
    body.push(0); // validity_period: ""
    // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
    body.extend_from_slice(&[0, 0, 0, 0]);
    body.push(sm_length);
    body.extend_from_slice(short_message);
    body
}

/// `body` followed by one raw TLV.
fn with_tlv(body: &[u8], tlv: &[u8]) -> Vec<u8> {
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(tlv);
    bytes
}

/// command_id of submit_sm.
const SUBMIT_SM: u32 = 0x0000_0004;

fn start(backend: &str, smsc: &RecordingSmsc) -> gateway_support::Running {
    let body = [
        account("acme", "tps = 1000"),
        connector("rec", smsc.addr, "binds = 1"),
        route("", &["rec"]),
    ]
    .concat();
    let gateway = start_gateway(backend, 1, &body);
    gateway.wait_bound(0, 1);
    gateway
}

/// A good submit on `sp` is accepted (the session is still usable).
fn assert_usable(sp: &mut RawSp, what: &str) {
    let sequence_number = sp.send(text_submit("254777000000", "still fine", false));
    let response = sp.response(sequence_number, WAIT).unwrap();
    assert_eq!(
        response.command_status,
        CommandStatus::ESME_ROK,
        "{what}: a good submit after it"
    );
    assert_eq!(response.command_id(), CommandId::submit_sm_resp, "{what}");
}

// Proves each recoverable bad PDU gets its own status on the right response and the session
// carries on: an unknown command_id gets generic_nack ESME_RINVCMDID (0x03); a submit_sm whose
// command_length ends inside its fields gets ESME_RINVCMDLEN (0x02); a destination_addr of 25
// digits gets ESME_RINVDSTADR (0x0B); dest_addr_ton 9 gets ESME_RINVDSTTON (0x50); an sm_length
// past the end gets ESME_RINVMSGLEN (0x01); esm_class with the receipt type in a submit gets
// ESME_RINVESMCLASS (0x43); a TLV running past the end gets ESME_RINVTLVSTREAM (0xC0), a TLV of
// the wrong length for its tag ESME_RINVTLVLEN (0xC2), message_payload beside a short_message
// ESME_RTLVNOTALLWD (0xC1); a second bind on a bound session gets ESME_RALYBND (0x05). After
// each one a good submit_sm is accepted, and only the good ones reach the SMSC.
#[test]
fn bad_pdus_get_their_status_and_the_session_stays_usable() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let gateway = start(backend, &smsc);
        let mut sp =
            RawSp::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let good = submit_body(1, b"254777000001", 2, b"ok");
        let cases: Vec<(&str, Vec<u8>, CommandId, CommandStatus)> = vec![
            (
                "unknown command_id 0x00000099",
                frame(0x0000_0099, RAW_SEQUENCE_BASE, &[], None),
                CommandId::generic_nack,
                CommandStatus::ESME_RINVCMDID,
            ),
            (
                "command_length ends inside the fields",
                frame(SUBMIT_SM, RAW_SEQUENCE_BASE + 1, &good[..12], None),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RINVCMDLEN,
            ),
            (
                "destination_addr of 25 digits",
                frame(
                    SUBMIT_SM,
                    RAW_SEQUENCE_BASE + 2,
                    &submit_body(1, b"2547770000012345678901234", 2, b"ok"),
                    None,
                ),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RINVDSTADR,
            ),
            (
                "dest_addr_ton 9",
                frame(
                    SUBMIT_SM,
                    RAW_SEQUENCE_BASE + 3,
                    &submit_body(9, b"254777000001", 2, b"ok"),
                    None,
                ),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RINVDSTTON,
            ),
            (
                "sm_length past the end",
                frame(
                    SUBMIT_SM,
                    RAW_SEQUENCE_BASE + 4,
                    &submit_body(1, b"254777000001", 100, b"short"),
                    None,
                ),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RINVMSGLEN,
            ),
            (
                "esm_class of a receipt in submit_sm",
                frame(
                    SUBMIT_SM,
                    RAW_SEQUENCE_BASE + 5,
                    &{
                        let mut body = good.clone();
                        body[23] = 0x04; // esm_class: after "", 5, 0, "ACME", 1, 1, "254777000001"
                        body
                    },
                    None,
                ),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RINVESMCLASS,
            ),
            (
                "a TLV running past the end",
                frame(
                    SUBMIT_SM,
                    RAW_SEQUENCE_BASE + 6,
                    &with_tlv(&good, &[0x02, 0x0C, 0x00, 0x0A, 0x12]),
                    None,
                ),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RINVTLVSTREAM,
            ),
            (
                "sar_msg_ref_num of one octet",
                frame(
                    SUBMIT_SM,
                    RAW_SEQUENCE_BASE + 7,
                    &with_tlv(&good, &[0x02, 0x0C, 0x00, 0x01, 0x12]),
                    None,
                ),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RINVTLVLEN,
            ),
            (
                "message_payload beside short_message",
                frame(
                    SUBMIT_SM,
                    RAW_SEQUENCE_BASE + 8,
                    &with_tlv(&good, &[0x04, 0x24, 0x00, 0x02, b'h', b'i']),
                    None,
                ),
                CommandId::submit_sm_resp,
                CommandStatus::ESME_RTLVNOTALLWD,
            ),
        ];
        for (what, bytes, command, status) in cases {
            let what = format!("{backend}: {what}");
            let sequence_number = u32::from_be_bytes(bytes[12..16].try_into().unwrap());
            sp.send_bytes(&bytes);
            let response = sp.response(sequence_number, WAIT).unwrap();
            assert_eq!(response.command_id(), command, "{what}");
            assert_eq!(response.command_status, status, "{what}");
            assert_usable(&mut sp, &what);
        }
        let what = format!("{backend}: bind while bound");
        let sequence_number = sp.send(Body::BindTransceiver(Bind {
            system_id: b"acme".to_vec(),
            password: b"secret1".to_vec(),
            interface_version: 0x34,
            ..Bind::default()
        }));
        let response = sp.response(sequence_number, WAIT).unwrap();
        assert_eq!(
            response.command_id(),
            CommandId::bind_transceiver_resp,
            "{what}"
        );
        assert_eq!(
            response.command_status,
            CommandStatus::ESME_RALYBND,
            "{what}"
        );
        assert_usable(&mut sp, &what);
        // Ten good submits (one after each case); the bad ones never left the gateway.
        let accepted = smsc.wait_accepted(10, WAIT);
        assert_eq!(accepted.len(), 10, "{backend}");
        drop(sp);
        let counters = gateway.join();
        assert_eq!(counters.submits_accepted, 10, "{backend}: {counters:?}");
    }
}

// Proves query_sm, cancel_sm and replace_sm for ids we never issued are answered, not dropped,
// and never upset the core that reads them: an id naming another node and core 255, an id of
// this node naming core 200 (the gateway has one), and a malformed id each get their own
// response type with a failure status (ESME_RINVMSGID for the malformed one), and the session
// stays usable after each.
#[test]
fn manage_operations_on_ids_we_never_issued_fail_and_the_session_carries_on() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let gateway = start(backend, &smsc);
        let mut sp =
            RawSp::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        // Layout in docs/message-ids.md: node (7 here) at bits 22..15, core at bits 14..7.
        let missing_core = MessageId::from_u64((1 << 23) | (7 << 15) | (200 << 7))
            .render(MessageIdFormat::Hex)
            .as_str()
            .to_string();
        let ids = [
            ("another node and core 255", "FFFFFFFFFFFFFFFF".to_string()),
            ("this node, core 200", missing_core),
            ("malformed", "not-an-id!".to_string()),
        ];
        for (kind, id) in ids {
            let message_id = id.into_bytes();
            let source_addr = b"ACME".to_vec();
            let requests: Vec<(&str, Body<Vec<u8>>, CommandId)> = vec![
                (
                    "query_sm",
                    Body::QuerySm(QuerySm {
                        message_id: message_id.clone(),
                        source_addr_ton: 5,
                        source_addr: source_addr.clone(),
                        ..QuerySm::default()
                    }),
                    CommandId::query_sm_resp,
                ),
                (
                    "cancel_sm",
                    Body::CancelSm(CancelSm {
                        message_id: message_id.clone(),
                        source_addr_ton: 5,
                        source_addr: source_addr.clone(),
                        dest_addr_ton: 1,
                        dest_addr_npi: 1,
                        destination_addr: b"254777000002".to_vec(),
                        ..CancelSm::default()
                    }),
                    CommandId::cancel_sm_resp,
                ),
                (
                    "replace_sm",
                    Body::ReplaceSm(ReplaceSm {
                        message_id,
                        source_addr_ton: 5,
                        source_addr,
                        short_message: b"new text".to_vec(),
                        ..ReplaceSm::default()
                    }),
                    CommandId::replace_sm_resp,
                ),
            ];
            for (what, body, command) in requests {
                let what = format!("{backend}: {what} of an id of {kind}");
                let sequence_number = sp.send(body);
                let response = sp.response(sequence_number, WAIT).unwrap();
                assert_eq!(response.command_id(), command, "{what}");
                assert!(!response.command_status.is_ok(), "{what}: {response:?}");
                if kind == "malformed" {
                    assert_eq!(
                        response.command_status,
                        CommandStatus::ESME_RINVMSGID,
                        "{what}"
                    );
                }
                assert_usable(&mut sp, &what);
            }
        }
        drop(sp);
        let counters = gateway.join();
        assert_eq!(counters.submits_accepted, 9, "{backend}: {counters:?}");
    }
}

// Proves an out-of-sync stream ends the session cleanly and only that session: a
// command_length below the 16-octet header, and one above `limits.pdu_size_max`, are each
// answered generic_nack ESME_RINVCMDLEN (0x02) and the connection is closed; a new session then
// binds and submits as usual.
#[test]
fn broken_framing_is_nacked_and_closes_only_that_session() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let gateway = start(backend, &smsc);
        let mut bystander =
            RawSp::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        for (what, bytes) in [
            (
                "command_length 8",
                frame(SUBMIT_SM, RAW_SEQUENCE_BASE, &[0; 8], Some(8)),
            ),
            (
                "command_length 100000",
                frame(SUBMIT_SM, RAW_SEQUENCE_BASE, &[0; 64], Some(100_000)),
            ),
        ] {
            let what = format!("{backend}: {what}");
            let mut sp =
                RawSp::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
            sp.send_bytes(&bytes);
            let nack = sp.next_pdu(WAIT).unwrap();
            assert_eq!(nack.command_id(), CommandId::generic_nack, "{what}");
            assert_eq!(
                nack.command_status,
                CommandStatus::ESME_RINVCMDLEN,
                "{what}"
            );
            assert!(
                sp.wait_closed(WAIT),
                "{what}: the gateway closes the session"
            );
            assert!(
                matches!(sp.next_pdu(std::time::Duration::ZERO), Err(RawEnd::Closed)),
                "{what}"
            );
            assert_usable(&mut bystander, &what);
            let mut fresh =
                RawSp::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
            assert_usable(&mut fresh, &what);
        }
        drop(bystander);
        let counters = gateway.join();
        assert_eq!(counters.submits_accepted, 4, "{backend}: {counters:?}");
    }
}

// Proves requests in the wrong bind state are refused with ESME_RINVBNDSTS (0x04) and change
// nothing: a submit_sm before any bind (the connection can still bind and submit afterwards),
// and a submit_sm on a receiver bind; neither reaches the SMSC.
#[test]
fn submits_in_the_wrong_bind_state_get_invalid_bind_status() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let gateway = start(backend, &smsc);
        let what = format!("{backend}: submit before bind");
        let mut sp = RawSp::connect(gateway.addr);
        let sequence_number = sp.send(text_submit("254777000003", "too early", false));
        let response = sp.response(sequence_number, WAIT).unwrap();
        assert_eq!(response.command_id(), CommandId::submit_sm_resp, "{what}");
        assert_eq!(
            response.command_status,
            CommandStatus::ESME_RINVBNDSTS,
            "{what}"
        );
        let sequence_number = sp.send(Body::BindTransceiver(Bind {
            system_id: b"acme".to_vec(),
            password: b"secret1".to_vec(),
            interface_version: 0x34,
            ..Bind::default()
        }));
        let response = sp.response(sequence_number, WAIT).unwrap();
        assert_eq!(
            response.command_status,
            CommandStatus::ESME_ROK,
            "{what}: bind after"
        );
        assert_usable(&mut sp, &what);

        let what = format!("{backend}: submit on a receiver");
        let mut receiver =
            RawSp::bind(gateway.addr, BindMode::Receiver, "acme", "secret1", 0x34).unwrap();
        let sequence_number = receiver.send(text_submit("254777000004", "not allowed", false));
        let response = receiver.response(sequence_number, WAIT).unwrap();
        assert_eq!(response.command_id(), CommandId::submit_sm_resp, "{what}");
        assert_eq!(
            response.command_status,
            CommandStatus::ESME_RINVBNDSTS,
            "{what}"
        );
        let accepted = smsc.wait_accepted(1, WAIT);
        assert_eq!(accepted.len(), 1, "{what}: only the good submit went on");
        drop(sp);
        drop(receiver);
        let counters = gateway.join();
        assert_eq!(counters.submits_accepted, 1, "{backend}: {counters:?}");
    }
}
