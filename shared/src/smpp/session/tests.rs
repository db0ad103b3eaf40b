//! Session tests: an ESME and an SMSC session connected in memory, bytes moved by
//! `transfer`, time advanced by hand. Every bound is hit with tiny limits.

use super::*;
use crate::frame::{FrameLimits, Frames};
use crate::smpp::pdu::{MessageIdResp, SubmitSm};

/// What an event was, without borrowing the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    BindRequest {
        mode: BindMode,
        system_id: Vec<u8>,
        password: Vec<u8>,
        version: u8,
    },
    Bound {
        mode: BindMode,
        version: u8,
    },
    Request {
        command: CommandId,
        sequence_number: u32,
    },
    Response {
        token: u64,
        status: CommandStatus,
        command: CommandId,
    },
    Malformed {
        token: u64,
    },
    Unexpected {
        sequence_number: u32,
    },
    Refused {
        command_id: u32,
        status: CommandStatus,
    },
    Closed(CloseReason),
}

fn seen(event: Event<'_>) -> Seen {
    match event {
        Event::BindRequest { mode, bind, .. } => Seen::BindRequest {
            mode,
            system_id: bind.system_id.to_vec(),
            password: bind.password.to_vec(),
            version: bind.interface_version,
        },
        Event::Bound {
            mode,
            interface_version,
            ..
        } => Seen::Bound {
            mode,
            version: interface_version,
        },
        Event::Request(pdu) => Seen::Request {
            command: pdu.command_id(),
            sequence_number: pdu.sequence_number,
        },
        Event::Response { request, pdu } => Seen::Response {
            token: request.token,
            status: pdu.command_status,
            command: pdu.command_id(),
        },
        Event::MalformedResponse { request, .. } => Seen::Malformed {
            token: request.token,
        },
        Event::UnexpectedResponse {
            sequence_number, ..
        } => Seen::Unexpected { sequence_number },
        Event::Refused { command_id, status } => Seen::Refused { command_id, status },
        Event::Closed(reason) => Seen::Closed(reason),
    }
}

/// Moves everything `from` has to send into `to`, returning what `to` reported. Bounded by the
/// bytes in flight.
fn transfer(from: &mut Session, to: &mut Session, now_ms: u64) -> Vec<Seen> {
    let bytes = from.poll_transmit().to_vec();
    from.advance_transmit(bytes.len());
    deliver(to, &bytes, now_ms)
}

/// Feeds raw bytes to a session.
fn deliver(to: &mut Session, bytes: &[u8], now_ms: u64) -> Vec<Seen> {
    let mut events = Vec::new();
    for frame in Frames::new(bytes, FrameLimits::SMPP) {
        match frame {
            Ok(frame) => events.extend(to.handle_frame(frame, now_ms).map(seen)),
            Err(_) => {
                // Hand the bad length to the session the way the runtime does: as a frame.
                events.extend(
                    to.handle_frame(&bytes[bytes.len().min(4)..], now_ms)
                        .map(seen),
                );
                break;
            }
        }
    }
    events
}

/// Decodes what a session sent into owned PDUs.
fn sent(session: &mut Session) -> Vec<Pdu<Vec<u8>>> {
    let bytes = session.poll_transmit().to_vec();
    session.advance_transmit(bytes.len());
    Frames::new(&bytes, FrameLimits::SMPP)
        .map(|frame| decode(frame.unwrap()).unwrap().into_owned())
        .collect()
}

fn test_config() -> SessionConfig {
    SessionConfig {
        window_max: 2,
        peer_window_max: 2,
        response_timeout_ms: 1_000,
        enquire_link_interval_ms: 5_000,
        idle_timeout_ms: 10_000,
        bind_timeout_ms: 2_000,
        transmit_size_max: crate::limits::SMPP_PDU_SIZE_MAX as usize,
    }
}

fn bind_body(version: u8) -> Bind<&'static [u8]> {
    Bind {
        system_id: b"acme",
        password: b"secret1",
        system_type: b"",
        interface_version: version,
        addr_ton: 0,
        addr_npi: 0,
        address_range: b"",
    }
}

/// An ESME and SMSC bound as `mode` with the ESME speaking `version`.
fn bound_pair(mode: BindMode, version: u8) -> (Session, Session) {
    let mut esme = Session::new_esme(test_config(), mode, bind_body(version), 0);
    let mut smsc = Session::new_smsc(test_config(), 0x34, 0);
    let events = transfer(&mut esme, &mut smsc, 0);
    assert!(
        matches!(events[..], [Seen::BindRequest { .. }]),
        "{events:?}"
    );
    smsc.accept_bind(b"SMSC").unwrap();
    let events = transfer(&mut smsc, &mut esme, 0);
    assert!(matches!(events[..], [Seen::Bound { .. }]), "{events:?}");
    (esme, smsc)
}

fn submit(destination: &'static [u8]) -> Body<&'static [u8]> {
    Body::SubmitSm(SubmitSm {
        destination_addr: destination,
        short_message: b"hi",
        ..SubmitSm::default()
    })
}

fn submit_resp(message_id: &'static [u8]) -> Body<&'static [u8]> {
    Body::SubmitSmResp(MessageIdResp {
        message_id,
        tlvs: Tlvs::default(),
    })
}

fn raw(sequence_number: u32, body: Body<&[u8]>) -> Vec<u8> {
    let mut bytes = Vec::new();
    Pdu::new(sequence_number, body).encode(&mut bytes).unwrap();
    bytes
}

// Proves the bind handshake: the SMSC sees the credentials and version, accepting binds both
// sides, and the ESME learns the SMSC's version from sc_interface_version.
#[test]
fn bind_handshake_binds_both_sides() {
    let mut esme = Session::new_esme(test_config(), BindMode::Transceiver, bind_body(0x34), 0);
    let mut smsc = Session::new_smsc(test_config(), 0x50, 0);
    assert_eq!(esme.state(), State::AwaitingBindResp);
    let events = transfer(&mut esme, &mut smsc, 1);
    assert_eq!(
        events,
        vec![Seen::BindRequest {
            mode: BindMode::Transceiver,
            system_id: b"acme".to_vec(),
            password: b"secret1".to_vec(),
            version: 0x34
        }]
    );
    smsc.accept_bind(b"SMSC").unwrap();
    assert_eq!(
        smsc.state(),
        State::Bound {
            mode: BindMode::Transceiver,
            interface_version: 0x34
        }
    );
    let events = transfer(&mut smsc, &mut esme, 2);
    assert_eq!(
        events,
        vec![Seen::Bound {
            mode: BindMode::Transceiver,
            version: 0x50
        }]
    );
    assert!(esme.is_bound());
}

// Proves a refused bind reaches the ESME with the SMSC's status and closes both sides.
#[test]
fn rejected_bind_closes_both_with_the_status() {
    let mut esme = Session::new_esme(test_config(), BindMode::Transmitter, bind_body(0x34), 0);
    let mut smsc = Session::new_smsc(test_config(), 0x34, 0);
    transfer(&mut esme, &mut smsc, 0);
    smsc.reject_bind(CommandStatus::ESME_RINVPASWD).unwrap();
    assert_eq!(
        smsc.state(),
        State::Closed(CloseReason::BindRejected(CommandStatus::ESME_RINVPASWD))
    );
    let events = transfer(&mut smsc, &mut esme, 0);
    assert_eq!(
        events,
        vec![Seen::Closed(CloseReason::BindRefused(
            CommandStatus::ESME_RINVPASWD
        ))]
    );
}

// Proves responses correlate with their requests by sequence_number and come back with the
// caller's token, in whatever order the peer answers.
#[test]
fn responses_correlate_by_token_in_any_order() {
    let (mut esme, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    esme.send_request(submit(b"2547001"), 11, 10).unwrap();
    esme.send_request(submit(b"2547002"), 22, 10).unwrap();
    let events = transfer(&mut esme, &mut smsc, 11);
    let sequence_numbers: Vec<u32> = events
        .iter()
        .map(|event| match event {
            Seen::Request {
                command: CommandId::submit_sm,
                sequence_number,
            } => *sequence_number,
            other => panic!("{other:?}"),
        })
        .collect();
    smsc.respond(
        sequence_numbers[1],
        CommandStatus::ESME_ROK,
        submit_resp(b"B"),
    )
    .unwrap();
    smsc.respond(
        sequence_numbers[0],
        CommandStatus::ESME_RTHROTTLED,
        submit_resp(b""),
    )
    .unwrap();
    let events = transfer(&mut smsc, &mut esme, 12);
    assert_eq!(
        events,
        vec![
            Seen::Response {
                token: 22,
                status: CommandStatus::ESME_ROK,
                command: CommandId::submit_sm_resp
            },
            Seen::Response {
                token: 11,
                status: CommandStatus::ESME_RTHROTTLED,
                command: CommandId::submit_sm_resp
            },
        ]
    );
    assert_eq!(esme.window_available(), 2);
    assert_eq!(
        smsc.respond(
            sequence_numbers[0],
            CommandStatus::ESME_ROK,
            submit_resp(b"")
        ),
        Err(SendError::UnknownRequest(sequence_numbers[0]))
    );
}

// Proves the window bound: the third request is refused until a response frees a slot.
#[test]
fn full_window_refuses_until_a_response_frees_it() {
    let (mut esme, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    esme.send_request(submit(b"1"), 1, 0).unwrap();
    esme.send_request(submit(b"2"), 2, 0).unwrap();
    assert_eq!(
        esme.send_request(submit(b"3"), 3, 0),
        Err(SendError::WindowFull { window_max: 2 })
    );
    let events = transfer(&mut esme, &mut smsc, 0);
    let Seen::Request {
        sequence_number, ..
    } = events[0]
    else {
        panic!()
    };
    smsc.respond(sequence_number, CommandStatus::ESME_ROK, submit_resp(b"A"))
        .unwrap();
    transfer(&mut smsc, &mut esme, 0);
    assert_eq!(esme.window_available(), 1);
    assert!(esme.send_request(submit(b"3"), 3, 0).is_ok());
}

// Proves the SMSC answers ESME_RTHROTTLED itself when the ESME exceeds the peer window (more
// unanswered requests than the application allows), without handing the request up.
#[test]
fn requests_over_the_peer_window_are_throttled() {
    let (_, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    let mut bytes = Vec::new();
    for sequence_number in 1..=3 {
        bytes.extend(raw(sequence_number + 10, submit(b"2547")));
    }
    let events = deliver(&mut smsc, &bytes, 0);
    assert_eq!(events.len(), 3);
    assert!(matches!(events[0], Seen::Request { .. }));
    assert!(matches!(events[1], Seen::Request { .. }));
    assert_eq!(
        events[2],
        Seen::Refused {
            command_id: 0x04,
            status: CommandStatus::ESME_RTHROTTLED
        }
    );
    let responses = sent(&mut smsc);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].sequence_number, 13);
    assert_eq!(responses[0].command_id(), CommandId::submit_sm_resp);
    assert_eq!(responses[0].command_status, CommandStatus::ESME_RTHROTTLED);
}

// Proves set_windows moves the peer window after the bind (the gateway learns the account's
// window only from the bind): a window of 1 throttles the second unanswered request.
#[test]
fn set_windows_applies_to_the_next_request() {
    let (_, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    smsc.set_windows(1, 1);
    let mut bytes = Vec::new();
    for sequence_number in 1..=2 {
        bytes.extend(raw(sequence_number + 10, submit(b"2547")));
    }
    let events = deliver(&mut smsc, &bytes, 0);
    assert!(matches!(events[0], Seen::Request { .. }));
    assert_eq!(
        events[1],
        Seen::Refused {
            command_id: 0x04,
            status: CommandStatus::ESME_RTHROTTLED
        }
    );
    smsc.set_windows(0, 100_000);
    assert_eq!(smsc.window_available(), 1);
}

// Proves a window raised after the bind holds: 1,000 requests outstanding at once on a session
// created with a window of 2 (the deadline FIFO follows; it used to assert at 4 × 16 entries).
#[test]
fn a_raised_window_takes_that_many_outstanding_requests() {
    let (mut esme, _) = bound_pair(BindMode::Transceiver, 0x34);
    esme.set_windows(1_000, 1_000);
    for token in 0..1_000 {
        esme.send_request(submit(b"2547"), token, 0).unwrap();
    }
    assert_eq!(esme.outstanding_count(), 1_000);
    assert_eq!(esme.window_available(), 0);
}

// Proves bind-state rules: submit before bind and submit on a receiver bind get
// ESME_RINVBNDSTS, a second bind ESME_RALYBND, and the ESME may not send what its mode forbids.
#[test]
fn bind_state_rules_are_enforced() {
    let mut smsc = Session::new_smsc(test_config(), 0x34, 0);
    let events = deliver(&mut smsc, &raw(5, submit(b"2547")), 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: 0x04,
            status: CommandStatus::ESME_RINVBNDSTS
        }]
    );
    let responses = sent(&mut smsc);
    assert_eq!(responses[0].command_id(), CommandId::submit_sm_resp);
    assert_eq!(responses[0].sequence_number, 5);

    let (mut esme, mut smsc) = bound_pair(BindMode::Receiver, 0x34);
    assert!(matches!(
        esme.send_request(submit(b"1"), 1, 0),
        Err(SendError::WrongState { .. })
    ));
    let events = deliver(&mut smsc, &raw(6, submit(b"2547")), 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: 0x04,
            status: CommandStatus::ESME_RINVBNDSTS
        }]
    );
    sent(&mut smsc);
    let events = deliver(
        &mut smsc,
        &raw(7, Body::BindTransceiver(bind_body(0x34))),
        0,
    );
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: 0x09,
            status: CommandStatus::ESME_RALYBND
        }]
    );
    assert_eq!(
        sent(&mut smsc)[0].command_id(),
        CommandId::bind_transceiver_resp
    );
}

// Proves malformed input is answered with the right status and the session stays usable:
// an unknown command gets generic_nack/ESME_RINVCMDID, a bad field its own status.
#[test]
fn bad_pdus_get_their_status_and_the_session_continues() {
    let (_, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    let mut unknown = raw(8, Body::EnquireLink);
    unknown[4..8].copy_from_slice(&0x0000_0111u32.to_be_bytes());
    let events = deliver(&mut smsc, &unknown, 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: 0x111,
            status: CommandStatus::ESME_RINVCMDID
        }]
    );
    let responses = sent(&mut smsc);
    assert_eq!(responses[0].command_id(), CommandId::generic_nack);
    assert_eq!(responses[0].sequence_number, 8);

    let mut bad_ton = raw(9, submit(b"2547"));
    bad_ton[16 + 4] = 9; // after service_type "\0", source ton/npi and source_addr "\0": dest_addr_ton
    let events = deliver(&mut smsc, &bad_ton, 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: 0x04,
            status: CommandStatus::ESME_RINVDSTTON
        }]
    );
    assert_eq!(
        sent(&mut smsc)[0].command_status,
        CommandStatus::ESME_RINVDSTTON
    );
    assert!(smsc.is_bound());
    let events = deliver(&mut smsc, &raw(10, submit(b"2547")), 0);
    assert!(matches!(events[..], [Seen::Request { .. }]));
}

// Proves a broken length field is fatal: generic_nack with ESME_RINVCMDLEN, then closed.
#[test]
fn a_broken_stream_is_nacked_and_closed() {
    let (_, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    let mut bytes = raw(3, Body::EnquireLink);
    bytes[3] = 17; // command_length 17 for a 16-octet frame
    let events = smsc.handle_frame(&bytes, 0).map(seen);
    assert_eq!(events, Some(Seen::Closed(CloseReason::Framing)));
    let responses = sent(&mut smsc);
    assert_eq!(responses[0].command_id(), CommandId::generic_nack);
    assert_eq!(responses[0].command_status, CommandStatus::ESME_RINVCMDLEN);
}

// Proves keepalive: enquire_link is answered; a quiet link makes the session send one; no
// answer closes the session with EnquireLinkTimeout.
#[test]
fn quiet_links_are_probed_and_dead_ones_closed() {
    let (mut esme, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    assert_eq!(deliver(&mut smsc, &raw(4, Body::EnquireLink), 100), vec![]);
    assert_eq!(
        sent(&mut smsc)[0].command_id(),
        CommandId::enquire_link_resp
    );

    assert_eq!(esme.poll_timeout(), Some(5_000));
    assert_eq!(esme.handle_timeout(5_000), None);
    let probes = sent(&mut esme);
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0].command_id(), CommandId::enquire_link);
    // No answer: the probe's response timeout closes the session.
    assert_eq!(esme.poll_timeout(), Some(6_000));
    assert_eq!(
        esme.handle_timeout(6_000),
        Some(TimerEvent::Closed(CloseReason::EnquireLinkTimeout))
    );
    assert!(esme.is_closed());
}

// Proves a request without response times out with its token, and a late response is reported
// as unexpected rather than matched to anything.
#[test]
fn unanswered_requests_time_out_and_late_responses_are_unexpected() {
    let (mut esme, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    let sequence_number = esme.send_request(submit(b"1"), 77, 100).unwrap();
    transfer(&mut esme, &mut smsc, 100);
    assert_eq!(esme.handle_timeout(1_099), None);
    match esme.handle_timeout(1_100) {
        Some(TimerEvent::RequestTimedOut(request)) => {
            assert_eq!(request.token, 77);
            assert_eq!(request.sequence_number, sequence_number);
        }
        other => panic!("{other:?}"),
    }
    smsc.respond(sequence_number, CommandStatus::ESME_ROK, submit_resp(b"X"))
        .unwrap();
    let events = transfer(&mut smsc, &mut esme, 1_200);
    assert_eq!(events, vec![Seen::Unexpected { sequence_number }]);
}

// Proves an orderly unbind: the peer answers and closes; we close on its unbind_resp.
#[test]
fn unbind_closes_both_sides_politely() {
    let (mut esme, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    esme.unbind(0).unwrap();
    assert_eq!(esme.state(), State::AwaitingUnbindResp);
    let events = transfer(&mut esme, &mut smsc, 0);
    assert_eq!(events, vec![Seen::Closed(CloseReason::PeerUnbound)]);
    let events = transfer(&mut smsc, &mut esme, 0);
    assert_eq!(events, vec![Seen::Closed(CloseReason::Unbound)]);
}

// Proves requests in flight when a session dies are handed back for a retry elsewhere, oldest
// first, and the session's own probes are not among them.
#[test]
fn outstanding_requests_are_drained_after_a_close() {
    let (mut esme, _) = bound_pair(BindMode::Transceiver, 0x34);
    esme.send_request(submit(b"1"), 5, 10).unwrap();
    esme.send_request(submit(b"2"), 6, 20).unwrap();
    let drained: Vec<u64> = esme
        .drain_outstanding()
        .iter()
        .map(|request| request.token)
        .collect();
    assert_eq!(drained, vec![5, 6]);
    assert_eq!(esme.outstanding_count(), 0);
}

// Proves an SMPP 3.3 ESME gets no TLVs: no sc_interface_version in the bind response and none
// on a deliver_sm sent to it.
#[test]
fn smpp_33_peers_get_no_tlvs() {
    let mut esme = Session::new_esme(test_config(), BindMode::Transceiver, bind_body(0x33), 0);
    let mut smsc = Session::new_smsc(test_config(), 0x34, 0);
    transfer(&mut esme, &mut smsc, 0);
    smsc.accept_bind(b"SMSC").unwrap();
    let bind_resp = sent(&mut smsc);
    let Body::BindTransceiverResp(resp) = &bind_resp[0].body else {
        panic!()
    };
    assert!(resp.tlvs.is_empty());
    let mut tlvs = Tlvs::new();
    tlvs.push_u8(tag::message_state, 2).unwrap();
    let deliver_sm = Body::DeliverSm(SubmitSm {
        destination_addr: b"acme".to_vec(),
        short_message: b"id:1 stat:DELIVRD".to_vec(),
        tlvs,
        ..SubmitSm::default()
    });
    smsc.send_request(deliver_sm, 1, 0).unwrap();
    let delivered = sent(&mut smsc);
    let Body::DeliverSm(sm) = &delivered[0].body else {
        panic!()
    };
    assert!(sm.tlvs.is_empty());
}

// Proves a connection that never binds is closed at the bind timeout.
#[test]
fn a_connection_that_never_binds_times_out() {
    let mut smsc = Session::new_smsc(test_config(), 0x34, 0);
    assert_eq!(smsc.poll_timeout(), Some(2_000));
    assert_eq!(smsc.handle_timeout(1_999), None);
    assert_eq!(
        smsc.handle_timeout(2_000),
        Some(TimerEvent::Closed(CloseReason::BindTimeout))
    );
    assert_eq!(smsc.poll_timeout(), None);
}

// Proves a peer that does not read is cut off: responses past twice the transmit limit close
// the session instead of growing the buffer without bound.
#[test]
fn a_peer_that_does_not_read_is_cut_off() {
    let (_, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    let limit = 2 * test_config().transmit_size_max;
    let mut rounds = 0;
    while !smsc.is_closed() {
        rounds += 1;
        assert!(rounds < 100_000, "never closed");
        deliver(&mut smsc, &raw(rounds, Body::EnquireLink), 0);
    }
    assert_eq!(smsc.state(), State::Closed(CloseReason::PeerNotReading));
    assert!(smsc.poll_transmit().len() <= limit + 64);
}

// Proves deliveries flow SMSC → ESME on a transceiver bind and the ESME's answer reaches the SMSC
// with the token; and that an SMSC may not deliver to a transmitter bind.
#[test]
fn deliveries_flow_to_receiving_binds_only() {
    let (mut esme, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    let deliver_sm = Body::DeliverSm(SubmitSm {
        destination_addr: &b"acme"[..],
        short_message: &b"MO text"[..],
        ..SubmitSm::default()
    });
    smsc.send_request(deliver_sm.clone(), 9, 0).unwrap();
    let events = transfer(&mut smsc, &mut esme, 0);
    let Seen::Request {
        command: CommandId::deliver_sm,
        sequence_number,
    } = events[0]
    else {
        panic!("{events:?}")
    };
    esme.respond(
        sequence_number,
        CommandStatus::ESME_ROK,
        Body::DeliverSmResp(MessageIdResp::<&[u8]>::default()),
    )
    .unwrap();
    let events = transfer(&mut esme, &mut smsc, 0);
    assert_eq!(
        events,
        vec![Seen::Response {
            token: 9,
            status: CommandStatus::ESME_ROK,
            command: CommandId::deliver_sm_resp
        }]
    );

    let (_, mut smsc) = bound_pair(BindMode::Transmitter, 0x34);
    assert!(matches!(
        smsc.send_request(deliver_sm, 1, 0),
        Err(SendError::WrongState { .. })
    ));
}

// Proves, over a fixed-seed batch of valid and mutated PDU streams, that no peer input reaches
// an assertion in either session role (the same body cargo-fuzz runs as `smpp_session`).
#[test]
fn arbitrary_streams_never_panic_a_session() {
    let mut seed = 0x00C0_FFEE_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let templates: Vec<Vec<u8>> = vec![
        raw(1, Body::BindTransceiver(bind_body(0x34))),
        raw(2, submit(b"2547")),
        raw(3, Body::EnquireLink),
        raw(4, Body::Unbind),
        raw(
            5,
            Body::DeliverSm(SubmitSm {
                destination_addr: &b"1"[..],
                ..SubmitSm::default()
            }),
        ),
        raw(6, submit_resp(b"abc")),
        raw(7, Body::GenericNack),
    ];
    for _ in 0..5_000 {
        let mut stream = Vec::new();
        for _ in 0..(next() % 12) {
            let mut pdu = templates[(next() % templates.len() as u64) as usize].clone();
            if next() % 3 == 0 {
                let at = (next() as usize) % pdu.len();
                pdu[at] = next() as u8;
            }
            stream.extend(pdu);
        }
        crate::smpp::fuzz::fuzz_session(&stream);
    }
}

// Proves a peer reusing a sequence_number still awaiting our answer, with a different command,
// is refused without replacing the first request: the application's answer to the first (a
// submit_sm_resp) is still accepted instead of panicking on a "wrong response type".
#[test]
fn a_reused_sequence_number_does_not_replace_the_unanswered_request() {
    let (_, mut smsc) = bound_pair(BindMode::Transceiver, 0x34);
    let mut bytes = raw(7, submit(b"2547"));
    bytes.extend(raw(
        7,
        Body::QuerySm(crate::smpp::pdu::QuerySm {
            message_id: b"A",
            ..Default::default()
        }),
    ));
    let events = deliver(&mut smsc, &bytes, 0);
    assert_eq!(
        events,
        vec![
            Seen::Request {
                command: CommandId::submit_sm,
                sequence_number: 7
            },
            Seen::Refused {
                command_id: 0x03,
                status: CommandStatus::ESME_RSYSERR
            }
        ]
    );
    smsc.respond(7, CommandStatus::ESME_ROK, submit_resp(b"M"))
        .unwrap();
}

// Proves a session waiting for unbind_resp never reports a timer that is already due after
// handle_timeout said there is nothing to do (a runtime sleeping until poll_timeout would spin).
#[test]
fn awaiting_unbind_resp_does_not_report_a_past_deadline() {
    let (mut esme, _) = bound_pair(BindMode::Transceiver, 0x34);
    esme.unbind(4_900).unwrap();
    assert_eq!(esme.handle_timeout(5_000), None);
    let next = esme.poll_timeout().unwrap();
    assert!(next > 5_000, "poll_timeout {next} is not after now");
}
