//! Session tests: an SP and an ISMG session connected in memory, bytes moved by `transfer`,
//! time advanced by hand. Every bound is hit with tiny limits (window 2, peer window 2, transmit
//! buffer one maximum PDU).

use super::*;
use crate::cmpp::testing::{frame, submit_example};
use crate::cmpp::{MsgId, StatusReport, Submit, TerminalIds};
use crate::frame::{FrameLimits, Frames};

/// What an event was, without borrowing the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // A handful per test: boxing would only obscure the asserts.
enum Seen {
    ConnectRequest {
        source_addr: Vec<u8>,
        version: u8,
        timestamp: u32,
    },
    Connected(CmppVersion),
    Request {
        command: CommandId,
        sequence_id: u32,
    },
    Response {
        token: u64,
        pdu: Pdu<'static>,
    },
    Malformed {
        token: u64,
    },
    Unexpected {
        sequence_id: u32,
    },
    Refused {
        command_id: CommandId,
        result: u32,
    },
    Closed(CloseReason),
}

fn seen(event: Event<'_>) -> Seen {
    match event {
        Event::ConnectRequest {
            source_addr,
            version,
            timestamp,
            ..
        } => Seen::ConnectRequest {
            source_addr: source_addr.to_vec(),
            version,
            timestamp,
        },
        Event::Connected { version } => Seen::Connected(version),
        Event::Request { sequence_id, pdu } => Seen::Request {
            command: pdu.command_id(),
            sequence_id,
        },
        Event::Response { request, pdu } => Seen::Response {
            token: request.token,
            pdu: pdu.into_owned(),
        },
        Event::MalformedResponse { request, .. } => Seen::Malformed {
            token: request.token,
        },
        Event::UnexpectedResponse { sequence_id, .. } => Seen::Unexpected { sequence_id },
        Event::Refused { command_id, result } => Seen::Refused { command_id, result },
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

/// Like `transfer`, but lets `alter` edit the bytes in flight.
fn transfer_altered(
    from: &mut Session,
    to: &mut Session,
    now_ms: u64,
    alter: impl FnOnce(&mut Vec<u8>),
) -> Vec<Seen> {
    let mut bytes = from.poll_transmit().to_vec();
    from.advance_transmit(bytes.len());
    alter(&mut bytes);
    deliver(to, &bytes, now_ms)
}

/// Feeds raw bytes to a session the way the runtime does.
fn deliver(to: &mut Session, bytes: &[u8], now_ms: u64) -> Vec<Seen> {
    let mut events = Vec::new();
    let mut frames = Frames::new(bytes, FrameLimits::CMPP);
    for frame in frames.by_ref() {
        match frame {
            Ok(frame) => events.extend(to.handle_frame(frame, now_ms).map(seen)),
            Err(_) => {
                // A bad length goes to the session as the rest of the buffer.
                let rest = &bytes[bytes.len().min(4)..];
                events.extend(to.handle_frame(rest, now_ms).map(seen));
                break;
            }
        }
    }
    events
}

/// Decodes what a session sent, in `version`, into owned PDUs with their Sequence_Ids.
fn sent(session: &mut Session, version: CmppVersion) -> Vec<(u32, Pdu<'static>)> {
    let bytes = session.poll_transmit().to_vec();
    session.advance_transmit(bytes.len());
    Frames::new(&bytes, FrameLimits::CMPP)
        .map(|frame| {
            let (header, pdu) = decode(frame.unwrap(), version).unwrap();
            (header.sequence_id, pdu.into_owned())
        })
        .collect()
}

fn test_config() -> SessionConfig {
    SessionConfig {
        window_max: 2,
        peer_window_max: 2,
        response_timeout_ms: 1_000,
        active_test_interval_ms: 5_000,
        idle_timeout_ms: 10_000,
        connect_timeout_ms: 2_000,
        transmit_size_max: crate::limits::CMPP_PDU_SIZE_MAX as usize,
    }
}

const SOURCE_ADDR: &[u8] = b"901234";
const SECRET: &[u8] = b"secret";
const TIMESTAMP: u32 = 1_231_235_959; // 12-31 23:59:59

fn sp(version: CmppVersion, secret: &[u8]) -> Session {
    let connect = SpConnect {
        source_addr: SOURCE_ADDR,
        shared_secret: secret,
        version,
        timestamp: TIMESTAMP,
    };
    Session::new_sp(test_config(), connect, 0).unwrap()
}

/// An SP asking for `sp_version` connected to an ISMG speaking up to `ismg_version`.
fn connected_pair(sp_version: CmppVersion, ismg_version: CmppVersion) -> (Session, Session) {
    let mut sp = sp(sp_version, SECRET);
    let mut ismg = Session::new_ismg(test_config(), ismg_version, 0);
    let events = transfer(&mut sp, &mut ismg, 0);
    assert!(
        matches!(events[..], [Seen::ConnectRequest { .. }]),
        "{events:?}"
    );
    ismg.accept_connect(SECRET, ismg_version).unwrap();
    let events = transfer(&mut ismg, &mut sp, 0);
    assert!(matches!(events[..], [Seen::Connected(_)]), "{events:?}");
    (sp, ismg)
}

fn submit(destination: &'static str) -> Pdu<'static> {
    Pdu::Submit(Submit {
        registered_delivery: 1,
        dest_terminal_id: TerminalIds::from(vec![Octets::from(destination)]),
        msg_content: Octets::from("hi"),
        ..Submit::default()
    })
}

fn submit_resp(msg_id: u64, result: SubmitResult) -> Pdu<'static> {
    Pdu::SubmitResp(SubmitResp { msg_id, result })
}

fn raw(version: CmppVersion, sequence_id: u32, pdu: &Pdu<'_>) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode(pdu, sequence_id, version, &mut bytes).unwrap();
    bytes
}

fn status_report(msg_id: u64) -> Pdu<'static> {
    Pdu::Deliver(crate::cmpp::Deliver {
        msg_id: 99,
        dest_id: Octets::from("1069"),
        service_id: Octets::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: 0,
        src_terminal_id: Octets::from("13800138000"),
        src_terminal_type: 0,
        content: crate::cmpp::DeliverContent::StatusReport(StatusReport {
            msg_id,
            stat: Octets::from("DELIVRD"),
            submit_time: Octets::from("2612312359"),
            done_time: Octets::from("2612312359"),
            dest_terminal_id: Octets::from("13800138000"),
            smsc_sequence: 1,
        }),
        reserved: Octets::EMPTY,
        link_id: Octets::EMPTY,
    })
}

// Proves the CONNECT handshake in both versions: the ISMG sees Source_Addr, Version and
// Timestamp, accepting connects both sides, and the SP checks AuthenticatorISMG and learns the
// version.
#[test]
fn connect_handshake_connects_both_sides() {
    for version in CmppVersion::ALL {
        let mut sp = sp(version, SECRET);
        let mut ismg = Session::new_ismg(test_config(), version, 0);
        assert_eq!(sp.state(), State::AwaitingConnectResp);
        assert_eq!(ismg.state(), State::AwaitingConnect);
        let events = transfer(&mut sp, &mut ismg, 1);
        assert_eq!(
            events,
            vec![Seen::ConnectRequest {
                source_addr: SOURCE_ADDR.to_vec(),
                version: version.version_octet(),
                timestamp: TIMESTAMP,
            }]
        );
        assert_eq!(ismg.accept_connect(SECRET, version), Ok(version));
        assert_eq!(ismg.state(), State::Connected { version });
        let events = transfer(&mut ismg, &mut sp, 2);
        assert_eq!(events, vec![Seen::Connected(version)]);
        assert_eq!(sp.state(), State::Connected { version });
        assert_eq!(sp.outstanding_count(), 0);
    }
}

// Proves version negotiation takes the lowest of what the SP asks, the ISMG speaks and the
// per-peer cap: a 3.0 SP and a 2.0 ISMG speak 2.0 (the CONNECT_RESP comes in the 2.0 layout and
// the SP reads it), a 2.0 SP and a 3.0 ISMG speak 2.0, and a cap of 2.0 wins over two 3.0 ends.
// Then a SUBMIT in the negotiated layout round-trips.
#[test]
fn version_negotiation_takes_the_lower_version() {
    use CmppVersion::{V2_0, V3_0};
    for (sp_version, ismg_version, cap) in
        [(V3_0, V2_0, V3_0), (V2_0, V3_0, V3_0), (V3_0, V3_0, V2_0)]
    {
        let mut sp = sp(sp_version, SECRET);
        let mut ismg = Session::new_ismg(test_config(), ismg_version, 0);
        transfer(&mut sp, &mut ismg, 0);
        assert_eq!(ismg.accept_connect(SECRET, cap), Ok(V2_0));
        let response = ismg.poll_transmit().to_vec();
        assert_eq!(response.len(), HEADER_SIZE + 18, "2.0 CONNECT_RESP layout");
        assert_eq!(response[HEADER_SIZE + 17], 0x20, "Version");
        let events = transfer(&mut ismg, &mut sp, 0);
        assert_eq!(events, vec![Seen::Connected(V2_0)]);
        assert_eq!(sp.version(), V2_0);
        sp.send_request(&submit("13800138000"), 1, 0).unwrap();
        let events = transfer(&mut sp, &mut ismg, 0);
        assert!(
            matches!(
                events[..],
                [Seen::Request {
                    command: CommandId::CMPP_SUBMIT,
                    ..
                }]
            ),
            "{events:?}"
        );
    }
}

// Proves an SP with the wrong secret is refused: accept_connect checks AuthenticatorSource,
// answers Status 3 and closes, and the SP closes with the Status.
#[test]
fn a_wrong_secret_is_refused_with_auth_error() {
    let mut sp = sp(CmppVersion::V3_0, b"not-the-secret");
    let mut ismg = Session::new_ismg(test_config(), CmppVersion::V3_0, 0);
    transfer(&mut sp, &mut ismg, 0);
    assert_eq!(
        ismg.accept_connect(SECRET, CmppVersion::V3_0),
        Err(SendError::AuthenticatorSourceMismatch)
    );
    assert_eq!(
        ismg.state(),
        State::Closed(CloseReason::ConnectRejected(ConnectStatus::AUTH_ERROR))
    );
    let events = transfer(&mut ismg, &mut sp, 0);
    assert_eq!(
        events,
        vec![Seen::Closed(CloseReason::ConnectRefused(
            ConnectStatus::AUTH_ERROR
        ))]
    );
}

// Proves the application's refusal (unknown Source_Addr) reaches the SP with its Status in the
// client's layout and closes both sides.
#[test]
fn a_rejected_connect_closes_both_with_the_status() {
    for version in CmppVersion::ALL {
        let mut sp = sp(version, SECRET);
        let mut ismg = Session::new_ismg(test_config(), CmppVersion::V3_0, 0);
        transfer(&mut sp, &mut ismg, 0);
        ismg.reject_connect(ConnectStatus::ILLEGAL_SOURCE_ADDR)
            .unwrap();
        assert_eq!(
            ismg.reject_connect(ConnectStatus::ILLEGAL_SOURCE_ADDR),
            Err(SendError::WrongState {
                command: CommandId::CMPP_CONNECT_RESP,
                state: ismg.state()
            })
        );
        let events = transfer(&mut ismg, &mut sp, 0);
        assert_eq!(
            events,
            vec![Seen::Closed(CloseReason::ConnectRefused(
                ConnectStatus::ILLEGAL_SOURCE_ADDR
            ))]
        );
    }
}

// Proves the SP authenticates the ISMG: a CONNECT_RESP whose AuthenticatorISMG was altered in
// flight closes the SP instead of connecting.
#[test]
fn a_wrong_authenticator_ismg_closes_the_sp() {
    let mut sp = sp(CmppVersion::V3_0, SECRET);
    let mut ismg = Session::new_ismg(test_config(), CmppVersion::V3_0, 0);
    transfer(&mut sp, &mut ismg, 0);
    ismg.accept_connect(SECRET, CmppVersion::V3_0).unwrap();
    let events = transfer_altered(&mut ismg, &mut sp, 0, |bytes| {
        bytes[HEADER_SIZE + 4] ^= 0x01; // first octet of AuthenticatorISMG (after Status 4)
    });
    assert_eq!(
        events,
        vec![Seen::Closed(CloseReason::AuthenticatorIsmgMismatch)]
    );
}

// Proves a CONNECT asking for a version below 2.0 is refused by the session itself with Status
// 5 in our layout, and that the SP rejects a CONNECT_RESP naming such a version.
#[test]
fn versions_below_2_0_are_refused() {
    let mut ismg = Session::new_ismg(test_config(), CmppVersion::V3_0, 0);
    let connect = Pdu::Connect(Connect {
        source_addr: Octets::from(SOURCE_ADDR),
        authenticator_source: [0; 16],
        version: 0x12,
        timestamp: TIMESTAMP,
    });
    let events = deliver(&mut ismg, &raw(CmppVersion::V3_0, 4, &connect), 0);
    assert_eq!(
        events,
        vec![Seen::Closed(CloseReason::ConnectRejected(
            ConnectStatus::OTHER_ERROR
        ))]
    );
    let responses = sent(&mut ismg, CmppVersion::V3_0);
    let [(4, Pdu::ConnectResp(resp))] = &responses[..] else {
        panic!("{responses:?}")
    };
    assert_eq!(resp.status, ConnectStatus::OTHER_ERROR);

    let mut sp = sp(CmppVersion::V3_0, SECRET);
    let mut ismg = Session::new_ismg(test_config(), CmppVersion::V3_0, 0);
    transfer(&mut sp, &mut ismg, 0);
    ismg.accept_connect(SECRET, CmppVersion::V3_0).unwrap();
    let events = transfer_altered(&mut ismg, &mut sp, 0, |bytes| {
        *bytes.last_mut().unwrap() = 0x10; // Version 1.0
    });
    assert_eq!(events, vec![Seen::Closed(CloseReason::ProtocolViolation)]);
}

// Proves responses correlate with their requests by Sequence_Id and come back with the caller's
// token, in whatever order the peer answers.
#[test]
fn responses_correlate_by_token_in_any_order() {
    let (mut sp, mut ismg) = connected_pair(CmppVersion::V3_0, CmppVersion::V3_0);
    sp.send_request(&submit("13800000001"), 11, 10).unwrap();
    sp.send_request(&submit("13800000002"), 22, 10).unwrap();
    let events = transfer(&mut sp, &mut ismg, 11);
    let sequence_ids: Vec<u32> = events
        .iter()
        .map(|event| match event {
            Seen::Request {
                command: CommandId::CMPP_SUBMIT,
                sequence_id,
            } => *sequence_id,
            other => panic!("{other:?}"),
        })
        .collect();
    ismg.respond(sequence_ids[1], &submit_resp(2, SubmitResult::OK))
        .unwrap();
    ismg.respond(
        sequence_ids[0],
        &submit_resp(0, SubmitResult::FLOW_CONTROL_ERROR),
    )
    .unwrap();
    let events = transfer(&mut ismg, &mut sp, 12);
    assert_eq!(
        events,
        vec![
            Seen::Response {
                token: 22,
                pdu: submit_resp(2, SubmitResult::OK)
            },
            Seen::Response {
                token: 11,
                pdu: submit_resp(0, SubmitResult::FLOW_CONTROL_ERROR)
            },
        ]
    );
    assert_eq!(sp.window_available(), 2);
    assert_eq!(
        ismg.respond(sequence_ids[0], &submit_resp(0, SubmitResult::OK)),
        Err(SendError::UnknownRequest(sequence_ids[0]))
    );
}

// Proves the window bound: the third request is refused until a response frees a slot.
#[test]
fn full_window_refuses_until_a_response_frees_it() {
    let (mut sp, mut ismg) = connected_pair(CmppVersion::V2_0, CmppVersion::V2_0);
    sp.send_request(&submit("1"), 1, 0).unwrap();
    sp.send_request(&submit("2"), 2, 0).unwrap();
    assert_eq!(
        sp.send_request(&submit("3"), 3, 0),
        Err(SendError::WindowFull { window_max: 2 })
    );
    let events = transfer(&mut sp, &mut ismg, 0);
    let Seen::Request { sequence_id, .. } = events[0] else {
        panic!("{events:?}")
    };
    ismg.respond(sequence_id, &submit_resp(1, SubmitResult::OK))
        .unwrap();
    transfer(&mut ismg, &mut sp, 0);
    assert_eq!(sp.window_available(), 1);
    assert!(sp.send_request(&submit("3"), 3, 0).is_ok());
}

// Proves the ISMG answers SUBMIT_RESP Result 8 (flow control) itself when the SP exceeds the
// peer window, without handing the request up, and Result 3 for a Sequence_Id still awaiting
// an answer.
#[test]
fn submits_over_the_peer_window_get_flow_control() {
    let version = CmppVersion::V3_0;
    let (_, mut ismg) = connected_pair(version, version);
    let mut bytes = Vec::new();
    for sequence_id in [11, 12, 13, 11] {
        bytes.extend(raw(version, sequence_id, &submit("13800138000")));
    }
    let events = deliver(&mut ismg, &bytes, 0);
    assert_eq!(
        events[2..],
        [
            Seen::Refused {
                command_id: CommandId::CMPP_SUBMIT,
                result: 8
            },
            Seen::Refused {
                command_id: CommandId::CMPP_SUBMIT,
                result: 3
            },
        ]
    );
    assert!(matches!(
        events[0],
        Seen::Request {
            sequence_id: 11,
            ..
        }
    ));
    assert!(matches!(
        events[1],
        Seen::Request {
            sequence_id: 12,
            ..
        }
    ));
    let responses = sent(&mut ismg, version);
    assert_eq!(
        responses,
        vec![
            (13, submit_resp(0, SubmitResult::FLOW_CONTROL_ERROR)),
            (11, submit_resp(0, SubmitResult::SEQUENCE_ID_REPEATED)),
        ]
    );
}

// Proves state and direction rules: a SUBMIT before CONNECT gets Result 2 and the ISMG keeps
// waiting for the CONNECT; a DELIVER sent to the ISMG and a SUBMIT sent to the SP get Result 2
// with the DELIVER's Msg_Id echoed; neither side may send the other side's requests.
#[test]
fn requests_in_the_wrong_state_or_direction_are_refused() {
    let version = CmppVersion::V2_0;
    let mut ismg = Session::new_ismg(test_config(), version, 0);
    let events = deliver(&mut ismg, &raw(version, 5, &submit("13800138000")), 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: CommandId::CMPP_SUBMIT,
            result: 2
        }]
    );
    assert_eq!(
        sent(&mut ismg, version),
        vec![(5, submit_resp(0, SubmitResult::COMMAND_ID_ERROR))]
    );
    assert_eq!(ismg.state(), State::AwaitingConnect);

    let (mut sp, mut ismg) = connected_pair(version, version);
    let events = deliver(&mut ismg, &raw(version, 6, &status_report(5)), 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: CommandId::CMPP_DELIVER,
            result: 2
        }]
    );
    assert_eq!(
        sent(&mut ismg, version),
        vec![(
            6,
            Pdu::DeliverResp(DeliverResp {
                msg_id: 99,
                result: DeliverResult::COMMAND_ID_ERROR
            })
        )]
    );
    let events = deliver(&mut sp, &raw(version, 7, &submit("1")), 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: CommandId::CMPP_SUBMIT,
            result: 2
        }]
    );
    assert!(matches!(
        sp.send_request(&status_report(1), 1, 0),
        Err(SendError::WrongState { .. })
    ));
    assert!(matches!(
        ismg.send_request(&submit("1"), 1, 0),
        Err(SendError::WrongState { .. })
    ));
}

// Proves undecodable requests get the code from the one mapping in status.rs and the session
// stays usable: Msg_Length over the maximum → Result 6, DestUsr_tl 0 → Result 1, a truncated
// CANCEL → Success_Id 1; a CONNECT after connecting gets Status 5.
#[test]
fn undecodable_requests_get_the_mapped_result_and_the_session_continues() {
    let version = CmppVersion::V3_0;
    let (_, mut ismg) = connected_pair(version, version);
    let long = Pdu::Submit(Submit {
        msg_fmt: 8,
        ..submit_example(version)
    });
    let mut over_max = raw(version, 20, &long);
    let msg_length_at = over_max.len() - 20 - 140 - 1; // before Msg_Content and LinkID
    assert_eq!(over_max[msg_length_at], 140);
    // Grow Msg_Content to 141 octets and fix up both lengths.
    over_max.insert(msg_length_at + 1, 0x4F);
    over_max[msg_length_at] = 141;
    let total = over_max.len() as u32;
    over_max[..4].copy_from_slice(&total.to_be_bytes());
    let no_destinations = frame(CommandId::CMPP_SUBMIT, 21, &{
        let mut body = raw(version, 0, &submit("1"))[HEADER_SIZE..].to_vec();
        let dest_usr_tl_at =
            8 + 1 + 1 + 1 + 1 + 10 + 1 + 32 + 1 + 1 + 1 + 1 + 6 + 2 + 6 + 17 + 17 + 21;
        assert_eq!(body[dest_usr_tl_at], 1);
        body[dest_usr_tl_at] = 0;
        body
    });
    let short_cancel = frame(CommandId::CMPP_CANCEL, 22, &[0; 4]);
    let mut bytes = over_max;
    bytes.extend(no_destinations);
    bytes.extend(short_cancel);
    let events = deliver(&mut ismg, &bytes, 0);
    assert_eq!(
        events,
        vec![
            Seen::Refused {
                command_id: CommandId::CMPP_SUBMIT,
                result: 6
            },
            Seen::Refused {
                command_id: CommandId::CMPP_SUBMIT,
                result: 1
            },
            Seen::Refused {
                command_id: CommandId::CMPP_CANCEL,
                result: 1
            },
        ]
    );
    let responses = sent(&mut ismg, version);
    assert_eq!(
        responses,
        vec![
            (20, submit_resp(0, SubmitResult::MSG_LENGTH_OVER_MAX)),
            (21, submit_resp(0, SubmitResult::MESSAGE_STRUCTURE_ERROR)),
            (
                22,
                Pdu::CancelResp(CancelResp {
                    success_id: CancelResult::FAILURE
                })
            ),
        ]
    );
    let connect = Pdu::Connect(Connect {
        source_addr: Octets::from(SOURCE_ADDR),
        version: 0x30,
        ..Connect::default()
    });
    let events = deliver(&mut ismg, &raw(version, 23, &connect), 0);
    assert_eq!(
        events,
        vec![Seen::Refused {
            command_id: CommandId::CMPP_CONNECT,
            result: 5
        }]
    );
    sent(&mut ismg, version);
    assert!(ismg.is_connected());
    let events = deliver(&mut ismg, &raw(version, 24, &submit("1")), 0);
    assert!(matches!(events[..], [Seen::Request { .. }]), "{events:?}");
}

// Proves CMPP's answer to what it cannot answer: an unknown Command_Id and a Total_Length that
// breaks the stream both close the session without sending anything (no generic_nack exists).
#[test]
fn unknown_commands_and_broken_lengths_close_the_connection() {
    let version = CmppVersion::V3_0;
    let (_, mut ismg) = connected_pair(version, version);
    let mut unknown = raw(version, 8, &Pdu::ActiveTest);
    unknown[4..8].copy_from_slice(&0x0000_0010u32.to_be_bytes()); // CMPP_MT_ROUTE (GNS)
    let events = deliver(&mut ismg, &unknown, 0);
    assert_eq!(
        events,
        vec![Seen::Closed(CloseReason::UnknownCommand {
            command_id: 0x10
        })]
    );
    assert!(ismg.poll_transmit().is_empty());

    let (mut sp, _) = connected_pair(version, version);
    let mut broken = raw(version, 3, &Pdu::ActiveTest);
    broken[3] = 200_u8; // Total_Length 200 for a 12-octet frame
    let events = sp.handle_frame(&broken, 0).map(seen);
    assert_eq!(events, Some(Seen::Closed(CloseReason::Framing)));
    let mut too_long = raw(version, 3, &Pdu::ActiveTest);
    too_long[..4].copy_from_slice(&9_000u32.to_be_bytes());
    let (_, mut ismg) = connected_pair(version, version);
    let events = deliver(&mut ismg, &too_long, 0);
    assert_eq!(events, vec![Seen::Closed(CloseReason::Framing)]);
    assert!(ismg.poll_transmit().is_empty());
}

// Proves keepalive: ACTIVE_TEST is answered (even with a stray body, and before CONNECT); a
// quiet link makes the session send one; no answer closes it with ActiveTestTimeout.
#[test]
fn quiet_links_are_probed_and_dead_ones_closed() {
    let version = CmppVersion::V3_0;
    let mut fresh = Session::new_ismg(test_config(), version, 0);
    assert_eq!(
        deliver(&mut fresh, &raw(version, 1, &Pdu::ActiveTest), 0),
        []
    );
    assert_eq!(
        sent(&mut fresh, version),
        vec![(1, Pdu::ActiveTestResp(ActiveTestResp::default()))]
    );

    let (mut sp, mut ismg) = connected_pair(version, version);
    assert_eq!(
        deliver(&mut ismg, &raw(version, 4, &Pdu::ActiveTest), 100),
        []
    );
    let with_body = frame(CommandId::CMPP_ACTIVE_TEST, 5, &[0]);
    assert_eq!(deliver(&mut ismg, &with_body, 100), []);
    let answers = sent(&mut ismg, version);
    assert_eq!(answers.len(), 2);
    assert!(
        answers
            .iter()
            .all(|(_, pdu)| pdu.command_id() == CommandId::CMPP_ACTIVE_TEST_RESP)
    );

    assert_eq!(sp.poll_timeout(), Some(5_000));
    assert_eq!(sp.handle_timeout(5_000), None);
    let probes = sent(&mut sp, version);
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0].1, Pdu::ActiveTest);
    assert_eq!(sp.poll_timeout(), Some(6_000));
    assert_eq!(
        sp.handle_timeout(6_000),
        Some(TimerEvent::Closed(CloseReason::ActiveTestTimeout))
    );
    assert!(sp.is_closed());
    assert_eq!(sp.poll_timeout(), None);
}

// Proves an answered probe keeps the link open: the ISMG auto-answers the SP's ACTIVE_TEST and
// the SP schedules the next probe from the answer.
#[test]
fn answered_probes_keep_the_link_open() {
    let (mut sp, mut ismg) = connected_pair(CmppVersion::V2_0, CmppVersion::V2_0);
    assert_eq!(sp.handle_timeout(5_000), None);
    assert_eq!(transfer(&mut sp, &mut ismg, 5_100), []);
    assert_eq!(transfer(&mut ismg, &mut sp, 5_200), []);
    assert_eq!(sp.outstanding_count(), 0);
    assert_eq!(sp.poll_timeout(), Some(10_200));
    assert!(sp.is_connected());
}

// Proves a request without response times out with its token, and a late response is reported
// as unexpected rather than matched to anything.
#[test]
fn unanswered_requests_time_out_and_late_responses_are_unexpected() {
    let (mut sp, mut ismg) = connected_pair(CmppVersion::V3_0, CmppVersion::V3_0);
    let sequence_id = sp.send_request(&submit("1"), 77, 100).unwrap();
    transfer(&mut sp, &mut ismg, 100);
    assert_eq!(sp.handle_timeout(1_099), None);
    match sp.handle_timeout(1_100) {
        Some(TimerEvent::RequestTimedOut(request)) => {
            assert_eq!(request.token, 77);
            assert_eq!(request.sequence_id, sequence_id);
        }
        other => panic!("{other:?}"),
    }
    ismg.respond(sequence_id, &submit_resp(1, SubmitResult::OK))
        .unwrap();
    let events = transfer(&mut ismg, &mut sp, 1_200);
    assert_eq!(events, vec![Seen::Unexpected { sequence_id }]);
}

// Proves a response that cannot be decoded ends its request with MalformedResponse and the
// caller's token.
#[test]
fn malformed_responses_end_their_request() {
    let version = CmppVersion::V2_0;
    let (mut sp, mut ismg) = connected_pair(version, version);
    let sequence_id = sp.send_request(&submit("1"), 5, 0).unwrap();
    transfer(&mut sp, &mut ismg, 0);
    let short = frame(CommandId::CMPP_SUBMIT_RESP, sequence_id, &[0; 3]);
    assert_eq!(
        deliver(&mut sp, &short, 0),
        vec![Seen::Malformed { token: 5 }]
    );
    assert_eq!(sp.outstanding_count(), 0);
}

// Proves an orderly TERMINATE in both directions: the peer answers and closes; we close on its
// TERMINATE_RESP; and a TERMINATE with no answer closes at the response timeout.
#[test]
fn terminate_closes_both_sides_politely() {
    let (mut sp, mut ismg) = connected_pair(CmppVersion::V3_0, CmppVersion::V3_0);
    sp.terminate(0).unwrap();
    assert_eq!(sp.state(), State::AwaitingTerminateResp);
    assert!(matches!(
        sp.send_request(&submit("1"), 1, 0),
        Err(SendError::WrongState { .. })
    ));
    let events = transfer(&mut sp, &mut ismg, 0);
    assert_eq!(events, vec![Seen::Closed(CloseReason::PeerTerminated)]);
    let events = transfer(&mut ismg, &mut sp, 0);
    assert_eq!(events, vec![Seen::Closed(CloseReason::Terminated)]);

    let (mut sp, mut ismg) = connected_pair(CmppVersion::V2_0, CmppVersion::V2_0);
    ismg.terminate(0).unwrap();
    let events = transfer(&mut ismg, &mut sp, 0);
    assert_eq!(events, vec![Seen::Closed(CloseReason::PeerTerminated)]);
    assert_eq!(
        ismg.handle_timeout(1_000),
        Some(TimerEvent::Closed(CloseReason::Terminated))
    );
}

// Proves a receipt sent while we wait for TERMINATE_RESP is still handed up and can be
// answered, so a closing SP does not lose status reports already on the wire.
#[test]
fn requests_during_terminate_are_still_handed_up() {
    let version = CmppVersion::V3_0;
    let (mut sp, mut ismg) = connected_pair(version, version);
    ismg.send_request(&status_report(7), 1, 0).unwrap();
    sp.terminate(0).unwrap();
    let events = transfer(&mut ismg, &mut sp, 0);
    let [Seen::Request { sequence_id, .. }] = events[..] else {
        panic!("{events:?}")
    };
    let answer = Pdu::DeliverResp(DeliverResp {
        msg_id: 99,
        result: DeliverResult::OK,
    });
    sp.respond(sequence_id, &answer).unwrap();
    assert_eq!(
        sent(&mut sp, version),
        vec![(2, Pdu::Terminate), (sequence_id, answer)]
    );
}

// Proves requests in flight when a session dies are handed back for a retry elsewhere, oldest
// first, and the session's own requests (its TERMINATE here) are not among them.
#[test]
fn outstanding_requests_are_drained_after_a_close() {
    let (mut sp, _) = connected_pair(CmppVersion::V3_0, CmppVersion::V3_0);
    sp.send_request(&submit("1"), 6, 20).unwrap();
    sp.send_request(&submit("2"), 5, 30).unwrap();
    sp.terminate(40).unwrap();
    assert_eq!(sp.outstanding_count(), 3);
    let drained: Vec<u64> = sp
        .drain_outstanding()
        .iter()
        .map(|request| request.token)
        .collect();
    assert_eq!(drained, vec![6, 5]);
    assert_eq!(sp.outstanding_count(), 0);
}

// Proves connections that never complete CONNECT are closed at the connect timeout, on both
// sides (an ISMG waiting for the CONNECT, an SP waiting for the CONNECT_RESP).
#[test]
fn a_connection_that_never_connects_times_out() {
    let mut ismg = Session::new_ismg(test_config(), CmppVersion::V3_0, 0);
    assert_eq!(ismg.poll_timeout(), Some(2_000));
    assert_eq!(ismg.handle_timeout(1_999), None);
    assert_eq!(
        ismg.handle_timeout(2_000),
        Some(TimerEvent::Closed(CloseReason::ConnectTimeout))
    );
    let mut sp = sp(CmppVersion::V3_0, SECRET);
    assert_eq!(
        sp.poll_timeout(),
        Some(1_000),
        "the CONNECT's response deadline"
    );
    assert_eq!(
        sp.handle_timeout(1_000),
        Some(TimerEvent::Closed(CloseReason::ConnectTimeout))
    );
}

// Proves a peer that does not read is cut off: responses past twice the transmit limit close
// the session instead of growing the buffer without bound, and new requests are refused past
// the soft limit first.
#[test]
fn a_peer_that_does_not_read_is_cut_off() {
    let version = CmppVersion::V3_0;
    let (mut sp, mut ismg) = connected_pair(version, version);
    let limit = 2 * test_config().transmit_size_max;
    let mut rounds = 0;
    while !ismg.is_closed() {
        rounds += 1;
        assert!(rounds < 100_000, "never closed");
        deliver(&mut ismg, &raw(version, rounds, &Pdu::ActiveTest), 0);
    }
    assert_eq!(ismg.state(), State::Closed(CloseReason::PeerNotReading));
    assert!(ismg.poll_transmit().len() <= limit + 64);

    let big = Pdu::Submit(submit_example(version));
    let mut refused = None;
    for token in 0..1_000 {
        // Free the window without draining the transmit buffer.
        sp.outstanding.clear();
        if let Err(error) = sp.send_request(&big, token, 0) {
            refused = Some(error);
            break;
        }
    }
    assert_eq!(refused, Some(SendError::TransmitFull));
}

// Proves a status report flows ISMG → SP as a DELIVER, the SP's DELIVER_RESP reaches the ISMG
// with the token, and the report's Msg_Id is the one the SUBMIT_RESP gave.
#[test]
fn status_reports_flow_to_the_sp_and_are_acknowledged() {
    for version in CmppVersion::ALL {
        let (mut sp, mut ismg) = connected_pair(version, version);
        let msg_id = MsgId {
            month: 12,
            day: 31,
            hour: 23,
            minute: 59,
            second: 59,
            ismg_id: 79_101,
            sequence: 1,
        }
        .pack()
        .unwrap();
        sp.send_request(&submit("13800138000"), 1, 0).unwrap();
        let events = transfer(&mut sp, &mut ismg, 0);
        let [Seen::Request { sequence_id, .. }] = events[..] else {
            panic!("{events:?}")
        };
        ismg.respond(sequence_id, &submit_resp(msg_id, SubmitResult::OK))
            .unwrap();
        ismg.send_request(&status_report(msg_id), 9, 0).unwrap();
        let bytes = ismg.poll_transmit().to_vec();
        ismg.advance_transmit(bytes.len());
        let mut events = Vec::new();
        let mut report_sequence_id = None;
        for frame in Frames::new(&bytes, FrameLimits::CMPP) {
            match sp.handle_frame(frame.unwrap(), 0) {
                Some(Event::Request {
                    sequence_id,
                    pdu: Pdu::Deliver(deliver),
                }) => {
                    let crate::cmpp::DeliverContent::StatusReport(report) = &deliver.content else {
                        panic!("{deliver:?}")
                    };
                    assert_eq!(report.msg_id, msg_id);
                    assert_eq!(report.stat.as_bytes(), b"DELIVRD");
                    report_sequence_id = Some(sequence_id);
                }
                other => events.push(other.map(seen)),
            }
        }
        assert_eq!(
            events,
            vec![Some(Seen::Response {
                token: 1,
                pdu: submit_resp(msg_id, SubmitResult::OK)
            })]
        );
        let answer = Pdu::DeliverResp(DeliverResp {
            msg_id: 99,
            result: DeliverResult::OK,
        });
        sp.respond(report_sequence_id.unwrap(), &answer).unwrap();
        let events = transfer(&mut sp, &mut ismg, 0);
        assert_eq!(
            events,
            vec![Seen::Response {
                token: 9,
                pdu: answer
            }]
        );
    }
}

// Proves a response that cannot be encoded in the negotiated version leaves the request
// unanswered, so the application can answer again correctly.
#[test]
fn a_response_that_cannot_be_encoded_leaves_the_request_unanswered() {
    let version = CmppVersion::V2_0;
    let (mut sp, mut ismg) = connected_pair(version, version);
    sp.send_request(&submit("1"), 1, 0).unwrap();
    let events = transfer(&mut sp, &mut ismg, 0);
    let [Seen::Request { sequence_id, .. }] = events[..] else {
        panic!("{events:?}")
    };
    // Result 300 does not fit 2.0's one-octet field.
    let too_wide = submit_resp(1, SubmitResult(300));
    assert!(matches!(
        ismg.respond(sequence_id, &too_wide),
        Err(SendError::Encode(_))
    ));
    assert_eq!(ismg.unanswered_count(), 1);
    ismg.respond(sequence_id, &submit_resp(1, SubmitResult::OK))
        .unwrap();
    assert_eq!(ismg.unanswered_count(), 0);
}

// Proves an over-long Source_Addr is an error at creation, not a session that closes later.
#[test]
fn an_over_long_source_addr_is_refused_at_creation() {
    let connect = SpConnect {
        source_addr: b"1234567",
        shared_secret: SECRET,
        version: CmppVersion::V3_0,
        timestamp: TIMESTAMP,
    };
    assert!(matches!(
        Session::new_sp(test_config(), connect, 0),
        Err(SendError::Encode(EncodeError::FieldTooLong {
            field: "source_addr",
            ..
        }))
    ));
}

// Proves the default config and the tiny test config satisfy `validate`, and that it names
// each broken relation.
#[test]
fn config_validation_names_each_broken_relation() {
    assert_eq!(SessionConfig::default().validate(), Ok(()));
    assert_eq!(test_config().validate(), Ok(()));
    let idle = SessionConfig {
        idle_timeout_ms: 6_000,
        ..test_config()
    };
    assert!(idle.validate().unwrap_err().contains("idle_timeout_ms"));
    let window = SessionConfig {
        window_max: 0,
        ..test_config()
    };
    assert!(window.validate().unwrap_err().contains("window_max"));
    let transmit = SessionConfig {
        transmit_size_max: 100,
        ..test_config()
    };
    assert!(
        transmit
            .validate()
            .unwrap_err()
            .contains("transmit_size_max")
    );
}

// Proves, over a fixed-seed batch of valid and mutated PDU streams in both versions, that no
// peer input reaches an assertion in either session role and every bound holds (the body
// `cargo fuzz` can run as a `cmpp_session` target), and that the batch reaches connected
// sessions, not just refusals.
#[test]
fn arbitrary_streams_never_panic_a_session() {
    let mut seed = 0x00C0_FFEE_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let templates: Vec<Vec<u8>> = CmppVersion::ALL
        .into_iter()
        .flat_map(fuzz::seed_frames)
        .collect();
    assert_eq!(templates.len(), 24);
    let mut connected = 0;
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
        connected += fuzz::fuzz_session(&stream);
    }
    assert!(connected > 1_000, "connected={connected}");
    // The seeds authenticate with the fuzz credentials, so the batch reaches connected
    // sessions on both sides.
    for version in CmppVersion::ALL {
        let seeds = fuzz::seed_frames(version);
        let mut ismg = Session::new_ismg(test_config(), version, 0);
        assert!(matches!(
            deliver(&mut ismg, &seeds[0], 0)[..],
            [Seen::ConnectRequest { .. }]
        ));
        assert_eq!(
            ismg.accept_connect(fuzz::FUZZ_SHARED_SECRET, version),
            Ok(version)
        );
        let connect = SpConnect {
            source_addr: fuzz::FUZZ_SOURCE_ADDR,
            shared_secret: fuzz::FUZZ_SHARED_SECRET,
            version,
            timestamp: fuzz::FUZZ_TIMESTAMP,
        };
        let mut sp = Session::new_sp(test_config(), connect, 0).unwrap();
        assert_eq!(
            deliver(&mut sp, &seeds[1], 0),
            vec![Seen::Connected(version)]
        );
    }
}

// Proves a session waiting for TERMINATE_RESP never reports a timer that is already due after
// handle_timeout said there is nothing to do (a runtime sleeping until poll_timeout would spin).
#[test]
fn awaiting_terminate_resp_does_not_report_a_past_deadline() {
    let (mut sp, _) = connected_pair(CmppVersion::V3_0, CmppVersion::V3_0);
    sp.terminate(4_900).unwrap();
    assert_eq!(sp.handle_timeout(5_000), None);
    let next = sp.poll_timeout().unwrap();
    assert!(next > 5_000, "poll_timeout {next} is not after now");
}

// Proves a connected session whose probe is held back by a full transmit buffer does not report
// a past deadline after handle_timeout said there is nothing to do (it would spin until the
// idle timeout while the peer does not read).
#[test]
fn a_probe_held_back_by_a_full_buffer_does_not_report_a_past_deadline() {
    let version = CmppVersion::V3_0;
    let (mut sp, _) = connected_pair(version, version);
    let big = Pdu::Submit(submit_example(version));
    for token in 0..1_000 {
        sp.outstanding.clear();
        if sp.send_request(&big, token, 0).is_err() {
            break;
        }
    }
    sp.outstanding.clear();
    sp.deadlines.clear();
    assert_eq!(sp.handle_timeout(5_000), None);
    assert!(sp.is_connected());
    let next = sp.poll_timeout().unwrap();
    assert!(next > 5_000, "poll_timeout {next} is not after now");
}
