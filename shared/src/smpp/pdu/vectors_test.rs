//! Byte-exact vectors for every SMPP PDU, written out by hand from SMPP v3.4 §4 (and v5.0 for
//! the 5.0-only TLVs), one comment per field. Each vector is decoded, checked field by field,
//! and re-encoded to the same bytes.

use super::*;
use crate::smpp::tlv::{Tlvs, tag};

/// Concatenates field pieces and prefixes the header with the right command_length.
fn pdu(command_id: u32, command_status: u32, sequence_number: u32, body: &[&[u8]]) -> Vec<u8> {
    let body: Vec<u8> = body.concat();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(16 + body.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&command_id.to_be_bytes());
    bytes.extend_from_slice(&command_status.to_be_bytes());
    bytes.extend_from_slice(&sequence_number.to_be_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

/// Decodes, hands the PDU to `check`, and asserts both encoders reproduce the bytes.
fn round_trip(bytes: &[u8], check: impl FnOnce(&Pdu<&[u8]>)) {
    let decoded = decode(bytes).unwrap();
    check(&decoded);
    let mut out = Vec::new();
    assert_eq!(decoded.encode(&mut out).unwrap(), bytes.len());
    assert_eq!(out, bytes);
    let owned = decoded.into_owned();
    let mut out = Vec::new();
    owned.encode(&mut out).unwrap();
    assert_eq!(out, bytes);
}

// Proves bind_transmitter (§4.1.1) decodes field by field and re-encodes byte-exact; the
// receiver and transceiver binds share the body and differ only in command_id.
#[test]
fn bind_requests_match_the_spec_layout() {
    for (command_id, command) in [
        (0x0000_0002, CommandId::bind_transmitter),
        (0x0000_0001, CommandId::bind_receiver),
        (0x0000_0009, CommandId::bind_transceiver),
    ] {
        let bytes = pdu(
            command_id,
            0,
            1,
            &[
                b"acme\0",      // system_id
                b"secret1\0",   // password
                b"VMA\0",       // system_type
                &[0x34],        // interface_version 3.4
                &[0x01, 0x01],  // addr_ton international, addr_npi E.164
                b"^2547\\d+\0", // address_range
            ],
        );
        round_trip(&bytes, |pdu| {
            assert_eq!(pdu.command_id(), command);
            assert_eq!(pdu.sequence_number, 1);
            let (Body::BindTransmitter(bind)
            | Body::BindReceiver(bind)
            | Body::BindTransceiver(bind)) = &pdu.body
            else {
                panic!("not a bind: {pdu:?}");
            };
            assert_eq!(bind.system_id, b"acme");
            assert_eq!(bind.password, b"secret1");
            assert_eq!(bind.system_type, b"VMA");
            assert_eq!(bind.interface_version, 0x34);
            assert_eq!((bind.addr_ton, bind.addr_npi), (1, 1));
            assert_eq!(bind.address_range, b"^2547\\d+");
        });
    }
}

// Proves the bind responses (§4.1.2) carry system_id and the sc_interface_version TLV, that
// SMPP 3.3 encoding drops the TLV, and that a failed response may have no body.
#[test]
fn bind_responses_match_the_spec_layout() {
    let bytes = pdu(
        0x8000_0009,
        0,
        7,
        &[
            b"SMSC\0",                 // system_id
            &[0x02, 0x10, 0x00, 0x01], // TLV sc_interface_version, length 1
            &[0x50],                   // value 5.0
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::BindTransceiverResp(resp) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(resp.system_id, b"SMSC");
        assert_eq!(resp.tlvs.sc_interface_version(), Some(0x50));
    });
    let decoded = decode(&bytes).unwrap();
    let mut v33 = Vec::new();
    decoded.encode_for(INTERFACE_VERSION_33, &mut v33).unwrap();
    assert_eq!(v33, pdu(0x8000_0009, 0, 7, &[b"SMSC\0"]));

    let failed = pdu(0x8000_0002, 0x0E, 8, &[]); // ESME_RINVPASWD, no body
    let decoded = decode(&failed).unwrap();
    assert_eq!(decoded.command_status, CommandStatus::ESME_RINVPASWD);
    assert_eq!(decoded.body, Body::BindTransmitterResp(BindResp::default()));
    let empty_ok = pdu(0x8000_0002, 0, 8, &[]);
    assert_eq!(
        decode(&empty_ok),
        Err(DecodeError::FieldTruncated(crate::smpp::Field::system_id)),
        "a successful response must carry its body"
    );
}

// Proves outbind (§4.1.7) carries system_id and password.
#[test]
fn outbind_matches_the_spec_layout() {
    let bytes = pdu(0x0000_000B, 0, 3, &[b"SMSC\0", b"pw\0"]); // system_id, password
    round_trip(&bytes, |pdu| {
        let Body::Outbind(outbind) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(
            (outbind.system_id, outbind.password),
            (&b"SMSC"[..], &b"pw"[..])
        );
    });
}

// Proves the header-only PDUs (unbind, enquire_link, their responses, generic_nack,
// cancel_sm_resp, replace_sm_resp) are 16 octets and reject a body.
#[test]
fn header_only_pdus_match_the_spec_layout() {
    for (command_id, body) in [
        (0x0000_0006, Body::Unbind),
        (0x8000_0006, Body::UnbindResp),
        (0x0000_0015, Body::EnquireLink),
        (0x8000_0015, Body::EnquireLinkResp),
        (0x8000_0000, Body::GenericNack),
        (0x8000_0008, Body::CancelSmResp),
        (0x8000_0007, Body::ReplaceSmResp),
    ] {
        let bytes = pdu(command_id, 0, 0x7FFF_FFFF, &[]);
        round_trip(&bytes, |pdu| assert_eq!(pdu.body, body));
        let with_body = pdu(command_id, 0, 1, &[&[0x00]]);
        assert_eq!(
            decode(&with_body),
            Err(DecodeError::TrailingBytes { extra: 1 })
        );
    }
    // generic_nack carrying an error status, as sent for an unknown command_id.
    let nack = pdu(0x8000_0000, 0x03, 5, &[]);
    assert_eq!(
        decode(&nack).unwrap().command_status,
        CommandStatus::ESME_RINVCMDID
    );
}

fn submit_sm_body() -> Vec<&'static [u8]> {
    vec![
        b"CMT\0",                              // service_type
        &[0x01, 0x01],         // source_addr_ton international, source_addr_npi E.164
        b"254700000001\0",     // source_addr
        &[0x01, 0x01],         // dest_addr_ton, dest_addr_npi
        b"254711000002\0",     // destination_addr
        &[0x40],               // esm_class: UDHI
        &[0x00],               // protocol_id
        &[0x01],               // priority_flag
        b"\0",                 // schedule_delivery_time: immediate
        b"000001000000000R\0", // validity_period: relative, one day
        &[0x01],               // registered_delivery: receipt on final state
        &[0x00],               // replace_if_present_flag
        &[0x00],               // data_coding: SMSC default alphabet
        &[0x00],               // sm_default_msg_id
        &[0x0B],               // sm_length 11
        &[0x05, 0x00, 0x03, 0x2A, 0x02, 0x01], // UDH: concat, ref 0x2A, 2 parts, part 1
        b"Hello",              // text
        &[0x02, 0x04, 0x00, 0x02, 0x00, 0x09], // TLV user_message_reference = 9
        &[0x14, 0x01, 0x00, 0x01, 0xFF], // vendor TLV 0x1401, kept byte-exact
    ]
}

// Proves submit_sm (§4.4.1) decodes every mandatory field and keeps known and unknown TLVs.
#[test]
fn submit_sm_matches_the_spec_layout() {
    let bytes = pdu(0x0000_0004, 0, 2, &submit_sm_body());
    round_trip(&bytes, |pdu| {
        let Body::SubmitSm(sm) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(sm.service_type, b"CMT");
        assert_eq!(sm.source_addr, b"254700000001");
        assert_eq!(sm.destination_addr, b"254711000002");
        assert_eq!((sm.source_addr_ton, sm.dest_addr_npi), (1, 1));
        assert!(sm.has_udh());
        assert!(!sm.is_delivery_receipt());
        assert_eq!(sm.priority_flag, 1);
        assert_eq!(sm.schedule_delivery_time, b"");
        assert_eq!(sm.validity_period, b"000001000000000R");
        assert_eq!(sm.registered_delivery, 1);
        assert_eq!(sm.short_message.len(), 11);
        assert_eq!(sm.payload(), sm.short_message);
        assert_eq!(sm.tlvs.user_message_reference(), Some(9));
        assert_eq!(sm.tlvs.get(0x1401), Some(&[0xFF][..]));
    });
}

// Proves a deliver_sm receipt (§4.6.1, esm_class 0x04) with receipted_message_id and
// message_state decodes; deliver_sm shares submit_sm's syntax.
#[test]
fn deliver_sm_receipt_matches_the_spec_layout() {
    let text = b"id:0A1B2C sub:001 dlvrd:001 submit date:2511221530 done date:2511221531 stat:DELIVRD err:000 text:Hello";
    let sm_length = [text.len() as u8];
    let bytes = pdu(
        0x0000_0005,
        0,
        77,
        &[
            b"\0",                                       // service_type
            &[0x01, 0x01],                               // source ton/npi
            b"254711000002\0",                           // source_addr: the handset
            &[0x00, 0x00],                               // dest ton/npi
            b"12345\0",                                  // destination_addr: the SP
            &[0x04],                                     // esm_class: SMSC delivery receipt
            &[0x00, 0x00],                               // protocol_id, priority_flag
            b"\0",                                       // schedule_delivery_time
            b"\0",                                       // validity_period
            &[0x00, 0x00, 0x00, 0x00], // registered_delivery, replace, data_coding, default id
            &sm_length,                // sm_length
            text,                      // short_message: the receipt text
            &[0x00, 0x1E, 0x00, 0x07], // TLV receipted_message_id, length 7
            b"0A1B2C\0",               // value with its NUL
            &[0x04, 0x27, 0x00, 0x01, 0x02], // TLV message_state = DELIVERED
            &[0x04, 0x23, 0x00, 0x03, 0x03, 0x00, 0x00], // TLV network_error_code GSM, 0
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::DeliverSm(sm) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert!(sm.is_delivery_receipt());
        assert_eq!(sm.tlvs.receipted_message_id(), Some(&b"0A1B2C"[..]));
        assert_eq!(sm.tlvs.message_state(), Some(2));
        assert_eq!(sm.tlvs.network_error_code(), Some(&[0x03, 0x00, 0x00][..]));
        assert_eq!(sm.short_message, text);
    });
}

// Proves the message_id responses (§4.4.2, §4.6.2, §4.7.2) decode, data_sm_resp keeps its TLVs,
// and a failed submit_sm_resp may omit its body.
#[test]
fn message_id_responses_match_the_spec_layout() {
    let bytes = pdu(0x8000_0004, 0, 2, &[b"5F3A9C01\0"]); // message_id
    round_trip(&bytes, |pdu| {
        assert_eq!(
            pdu.body,
            Body::SubmitSmResp(MessageIdResp {
                message_id: &b"5F3A9C01"[..],
                tlvs: Tlvs::default()
            })
        );
    });
    let bytes = pdu(0x8000_0005, 0, 77, &[b"\0"]); // deliver_sm_resp: message_id unused (NULL)
    round_trip(&bytes, |pdu| {
        assert!(matches!(pdu.body, Body::DeliverSmResp(_)))
    });
    let bytes = pdu(
        0x8000_0103,
        0x0000_00FE,
        9,
        &[
            b"\0",                           // message_id
            &[0x04, 0x25, 0x00, 0x01, 0x01], // TLV delivery_failure_reason: destination unavailable
            &[0x00, 0x1D, 0x00, 0x05],       // TLV additional_status_info_text
            b"busy\0",
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::DataSmResp(resp) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(pdu.command_status, CommandStatus::ESME_RDELIVERYFAILURE);
        assert_eq!(resp.tlvs.delivery_failure_reason(), Some(1));
        assert_eq!(resp.tlvs.additional_status_info_text(), Some(&b"busy"[..]));
    });
    let throttled = pdu(0x8000_0004, 0x58, 3, &[]);
    let decoded = decode(&throttled).unwrap();
    assert_eq!(decoded.command_status, CommandStatus::ESME_RTHROTTLED);
    assert_eq!(decoded.body, Body::SubmitSmResp(MessageIdResp::default()));
}

// Proves submit_multi (§4.5.1) with an SME address and a distribution list, and
// submit_multi_resp (§4.5.2) with one unsuccessful destination.
#[test]
fn submit_multi_matches_the_spec_layout() {
    let bytes = pdu(
        0x0000_0021,
        0,
        4,
        &[
            b"\0",                           // service_type
            &[0x05, 0x00],                   // source ton alphanumeric, npi unknown
            b"ACME\0",                       // source_addr
            &[0x02],                         // number_of_dests
            &[0x01, 0x01, 0x01],             // dest_flag SME, ton, npi
            b"254711000002\0",               // destination_addr
            &[0x02],                         // dest_flag distribution list
            b"vip\0",                        // dl_name
            &[0x00, 0x00, 0x00],             // esm_class, protocol_id, priority_flag
            b"\0",                           // schedule_delivery_time
            b"\0",                           // validity_period
            &[0x00, 0x00, 0x08, 0x00], // registered_delivery, replace, data_coding UCS2, default id
            &[0x04, 0x00, 0x48, 0x00, 0x69], // sm_length 4, "Hi" in UCS2
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::SubmitMulti(multi) = &pdu.body else {
            panic!("{pdu:?}")
        };
        let dests: Vec<Dest<'_>> = multi.dest_addresses.iter().collect();
        assert_eq!(
            dests,
            vec![
                Dest::Sme {
                    dest_addr_ton: 1,
                    dest_addr_npi: 1,
                    destination_addr: b"254711000002"
                },
                Dest::DistributionList { dl_name: b"vip" },
            ]
        );
        assert_eq!(multi.data_coding, 0x08);
        assert_eq!(multi.short_message, [0x00, 0x48, 0x00, 0x69]);
    });
    let bytes = pdu(
        0x8000_0021,
        0,
        4,
        &[
            b"M1\0",                   // message_id
            &[0x01],                   // no_unsuccess
            &[0x01, 0x01],             // dest_addr_ton, dest_addr_npi
            b"254799\0",               // destination_addr
            &[0x00, 0x00, 0x00, 0x0B], // error_status_code ESME_RINVDSTADR
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::SubmitMultiResp(resp) = &pdu.body else {
            panic!("{pdu:?}")
        };
        let failed: Vec<_> = resp.unsuccess_smes.iter().collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].destination_addr, b"254799");
        assert_eq!(failed[0].error_status_code, CommandStatus::ESME_RINVDSTADR);
    });
}

// Proves data_sm (§4.7.1) with 65-octet address fields and message_payload.
#[test]
fn data_sm_matches_the_spec_layout() {
    let bytes = pdu(
        0x0000_0103,
        0,
        10,
        &[
            b"USSD\0",                 // service_type
            &[0x01, 0x01],             // source ton/npi
            b"254700000001\0",         // source_addr
            &[0x00, 0x00],             // dest ton/npi
            b"*144#\0",                // destination_addr
            &[0x00, 0x00, 0x0F],       // esm_class, registered_delivery, data_coding
            &[0x04, 0x24, 0x00, 0x03], // TLV message_payload, length 3
            b"abc",
            &[0x05, 0x01, 0x00, 0x01, 0x01], // TLV ussd_service_op: PSSR request
            &[0x13, 0x83, 0x00, 0x02, 0x05, 0x00], // TLV its_session_info
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::DataSm(data) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(data.destination_addr, b"*144#");
        assert_eq!(data.tlvs.message_payload(), Some(&b"abc"[..]));
        assert_eq!(data.tlvs.ussd_service_op(), Some(1));
        assert_eq!(data.tlvs.its_session_info(), Some(&[0x05, 0x00][..]));
    });
}

// Proves query_sm (§4.8.1) and query_sm_resp (§4.8.2).
#[test]
fn query_sm_matches_the_spec_layout() {
    let bytes = pdu(
        0x0000_0003,
        0,
        11,
        &[b"5F3A9C01\0", &[0x01, 0x01], b"254700000001\0"],
    ); // message_id, ton, npi, source_addr
    round_trip(&bytes, |pdu| {
        let Body::QuerySm(query) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(query.message_id, b"5F3A9C01");
        assert_eq!(query.source_addr, b"254700000001");
    });
    let bytes = pdu(
        0x8000_0003,
        0,
        11,
        &[
            b"5F3A9C01\0",         // message_id
            b"251122153100004+\0", // final_date
            &[0x02],               // message_state DELIVERED
            &[0x00],               // error_code
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::QuerySmResp(resp) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(resp.final_date, b"251122153100004+");
        assert_eq!((resp.message_state, resp.error_code), (2, 0));
    });
}

// Proves cancel_sm (§4.9.1) and replace_sm (§4.10.1).
#[test]
fn cancel_and_replace_match_the_spec_layout() {
    let bytes = pdu(
        0x0000_0008,
        0,
        12,
        &[
            b"\0",
            b"5F3A9C01\0",
            &[0x01, 0x01],
            b"254700000001\0",
            &[0x01, 0x01],
            b"254711000002\0",
        ],
    ); // service_type, message_id, source ton/npi/addr, dest ton/npi/addr
    round_trip(&bytes, |pdu| {
        let Body::CancelSm(cancel) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(cancel.message_id, b"5F3A9C01");
        assert_eq!(cancel.destination_addr, b"254711000002");
    });
    let bytes = pdu(
        0x0000_0007,
        0,
        13,
        &[
            b"5F3A9C01\0",         // message_id
            &[0x01, 0x01],         // source ton/npi
            b"254700000001\0",     // source_addr
            b"\0",                 // schedule_delivery_time
            b"251231235959000+\0", // validity_period absolute
            &[0x01, 0x00],         // registered_delivery, sm_default_msg_id
            &[0x03],               // sm_length
            b"new",                // short_message
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::ReplaceSm(replace) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(replace.short_message, b"new");
        assert_eq!(replace.validity_period, b"251231235959000+");
    });
}

// Proves alert_notification (§4.12.1) with ms_availability_status.
#[test]
fn alert_notification_matches_the_spec_layout() {
    let bytes = pdu(
        0x0000_0102,
        0,
        14,
        &[
            &[0x01, 0x01],                   // source ton/npi
            b"254711000002\0",               // source_addr
            &[0x00, 0x00],                   // esme ton/npi
            b"12345\0",                      // esme_addr
            &[0x04, 0x22, 0x00, 0x01, 0x00], // TLV ms_availability_status: available
        ],
    );
    round_trip(&bytes, |pdu| {
        let Body::AlertNotification(alert) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(alert.esme_addr, b"12345");
        assert_eq!(alert.tlvs.ms_availability_status(), Some(0));
    });
}

/// Builds a submit_sm with one field replaced, for the rejection tests.
fn submit_sm_with(index: usize, replacement: &'static [u8]) -> Vec<u8> {
    let mut body = submit_sm_body();
    body[index] = replacement;
    pdu(0x0000_0004, 0, 2, &body)
}

// Proves each invalid submit_sm field is rejected with the status an SMSC answers
// (SMPP v3.4 §5.1.3), so the gateway's submit_sm_resp tells the SP exactly what is wrong.
#[test]
fn invalid_submit_sm_fields_get_their_status() {
    let cases: [(Vec<u8>, CommandStatus); 13] = [
        (
            submit_sm_with(0, b"TOOLONG\0"),
            CommandStatus::ESME_RINVSERTYP,
        ),
        (
            submit_sm_with(1, &[0x07, 0x01]),
            CommandStatus::ESME_RINVSRCTON,
        ),
        (
            submit_sm_with(1, &[0x01, 0x02]),
            CommandStatus::ESME_RINVSRCNPI,
        ),
        (
            submit_sm_with(2, b"2547000000010000000000\0"),
            CommandStatus::ESME_RINVSRCADR,
        ),
        (
            submit_sm_with(3, &[0x09, 0x01]),
            CommandStatus::ESME_RINVDSTTON,
        ),
        (
            submit_sm_with(3, &[0x01, 0x05]),
            CommandStatus::ESME_RINVDSTNPI,
        ),
        (submit_sm_with(4, b"\0"), CommandStatus::ESME_RINVDSTADR),
        (submit_sm_with(5, &[0x04]), CommandStatus::ESME_RINVESMCLASS),
        (submit_sm_with(7, &[0x05]), CommandStatus::ESME_RINVPRTFLG),
        (
            submit_sm_with(8, b"2512241530\0"),
            CommandStatus::ESME_RINVSCHED,
        ),
        (
            submit_sm_with(9, b"991301000000000+\0"),
            CommandStatus::ESME_RINVEXPIRY,
        ),
        (submit_sm_with(11, &[0x02]), CommandStatus::ESME_RINVREPFLAG),
        (submit_sm_with(14, &[0xFF]), CommandStatus::ESME_RINVMSGLEN),
    ];
    for (index, (bytes, status)) in cases.iter().enumerate() {
        let error = decode(bytes).unwrap_err();
        assert_eq!(error.status(), *status, "case {index}: {error}");
        assert!(!error.is_fatal(), "case {index}");
    }
    // registered_delivery 3 was reserved in 3.4; SMPP 5.0 defines it (receipt on success only),
    // so it is accepted from any peer.
    assert!(decode(&submit_sm_with(10, &[0x03])).is_ok());
}

// Proves the TLV-level rejections: short_message and message_payload together, a known TLV
// with a wrong length, a cut TLV, and sm_length longer than what follows.
#[test]
fn invalid_optional_parts_get_their_status() {
    let both = submit_sm_with(17, &[0x04, 0x24, 0x00, 0x01, b'x']);
    assert_eq!(decode(&both), Err(DecodeError::PayloadConflict));
    assert_eq!(
        DecodeError::PayloadConflict.status(),
        CommandStatus::ESME_RTLVNOTALLWD
    );

    let wrong_length = submit_sm_with(17, &[0x02, 0x04, 0x00, 0x01, 0x09]);
    assert_eq!(
        decode(&wrong_length).unwrap_err().status(),
        CommandStatus::ESME_RINVTLVLEN
    );

    let cut = submit_sm_with(18, &[0x14, 0x01, 0x00, 0x05, 0xFF]);
    assert_eq!(
        decode(&cut).unwrap_err().status(),
        CommandStatus::ESME_RINVTLVSTREAM
    );

    // sm_length 30 with 11 octets of text and 11 of TLVs after it: the message runs off the end.
    let long = submit_sm_with(14, &[0x1E]);
    assert_eq!(
        decode(&long).unwrap_err().status(),
        CommandStatus::ESME_RINVMSGLEN
    );
}

// Proves stream-level problems: a command_length that disagrees with the frame is fatal, an
// unknown command_id gets ESME_RINVCMDID, and a body cut inside a field gets ESME_RINVCMDLEN.
#[test]
fn framing_problems_get_their_status() {
    let mut bytes = pdu(0x0000_0015, 0, 1, &[]);
    bytes[3] = 20;
    let error = decode(&bytes).unwrap_err();
    assert!(error.is_fatal());
    assert_eq!(error.status(), CommandStatus::ESME_RINVCMDLEN);

    let unknown = pdu(0x0000_0111, 0, 1, &[]); // broadcast_sm: not decoded yet
    assert_eq!(decode(&unknown), Err(DecodeError::UnknownCommandId(0x111)));
    assert_eq!(
        decode(&unknown).unwrap_err().status(),
        CommandStatus::ESME_RINVCMDID
    );

    let cut = pdu(0x0000_0004, 0, 1, &[b"CMT\0", &[0x01]]);
    assert_eq!(
        decode(&cut).unwrap_err().status(),
        CommandStatus::ESME_RINVCMDLEN
    );

    assert!(decode(&[0, 0, 0]).unwrap_err().is_fatal());
}

// Proves the encoder refuses, rather than truncates, values that do not fit, and leaves the
// output buffer as it was.
#[test]
fn encoder_refuses_values_that_do_not_fit() {
    let mut sm = SubmitSm::<Vec<u8>> {
        destination_addr: b"254711000002".to_vec(),
        short_message: vec![b'x'; 256],
        ..SubmitSm::default()
    };
    let mut out = vec![0xAA];
    let pdu = Pdu::new(1, Body::SubmitSm(sm.clone()));
    assert_eq!(
        pdu.encode(&mut out),
        Err(EncodeError::ShortMessageTooLong(256))
    );
    assert_eq!(out, [0xAA]);
    sm.short_message = b"ok".to_vec();
    sm.source_addr = vec![b'1'; 21];
    let pdu = Pdu::new(1, Body::SubmitSm(sm));
    assert!(matches!(
        pdu.encode(&mut out),
        Err(EncodeError::CStringTooLong { .. })
    ));
    assert_eq!(out, [0xAA]);
}

// Proves a long message sent in message_payload (up to 64 KiB) encodes and decodes, and that
// payload() finds it when short_message is empty.
#[test]
fn message_payload_carries_long_messages() {
    let mut tlvs = Tlvs::new();
    tlvs.push(tag::message_payload, &vec![b'y'; 60_000])
        .unwrap();
    let sm = SubmitSm::<Vec<u8>> {
        destination_addr: b"254711000002".to_vec(),
        tlvs,
        ..SubmitSm::default()
    };
    let mut out = Vec::new();
    Pdu::new(9, Body::SubmitSm(sm)).encode(&mut out).unwrap();
    let decoded = decode(&out).unwrap();
    let Body::SubmitSm(sm) = decoded.body else {
        panic!()
    };
    assert_eq!(sm.payload().len(), 60_000);
}
