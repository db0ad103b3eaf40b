//! Fuzz body for the CMPP session, as a plain function: `cargo fuzz` can call
//! [`fuzz_session`] with its inputs, and a stable `#[test]` runs it over a fixed-seed batch of
//! mutated streams built from [`seed_frames`] (CI smoke).
//!
//! Property: for any byte stream, an ISMG session and an SP session in each version, fed the
//! stream's frames as their peer's, with the application answering every request, accepting
//! every CONNECT and sending a request now and then, never panic and keep every bound (transmit
//! buffer, window, peer window). The frame splitter bounds every frame by
//! [`crate::limits::CMPP_PDU_SIZE_MAX`] and each frame does bounded work, so the work per input
//! is bounded by its size.

use super::{Event, Session, SessionConfig, SpConnect};
use crate::cmpp::{
    ActiveTestResp, Cancel, CancelResp, CancelResult, CmppVersion, Connect, ConnectResp,
    ConnectStatus, Deliver, DeliverContent, DeliverResp, DeliverResult, Octets, Pdu, Query,
    QueryResp, StatusReport, Submit, SubmitResp, SubmitResult, TerminalIds, authenticator_ismg,
    authenticator_source, encode,
};
use crate::frame::{FrameLimits, Frames};

/// Source_Addr the fuzzed SP connects with.
pub const FUZZ_SOURCE_ADDR: &[u8] = b"901234";
/// Shared secret of the fuzzed SP, and the one the fuzzed ISMG accepts.
pub const FUZZ_SHARED_SECRET: &[u8] = b"secret";
/// Timestamp of the fuzzed SP's CONNECT: 01-02 03:04:05.
pub const FUZZ_TIMESTAMP: u32 = 102_030_405;

/// Feeds `data`'s frames to an ISMG and an SP session in each version.
///
/// Panics (the fuzzer's signal) when a session panics or breaks a bound. Returns how many of
/// the four sessions were connected at some point, so a smoke test can check its inputs go
/// past the handshake.
pub fn fuzz_session(data: &[u8]) -> usize {
    CmppVersion::ALL
        .into_iter()
        .map(|version| fuzz_session_in(data, version))
        .sum()
}

/// Valid frames in `version` that take both sessions through every state: the CONNECT and
/// CONNECT_RESP the fuzzed pair expects, requests of both directions, their responses, and the
/// link PDUs. Mutating and concatenating them makes a useful corpus.
pub fn seed_frames(version: CmppVersion) -> Vec<Vec<u8>> {
    let connect_authenticator =
        authenticator_source(FUZZ_SOURCE_ADDR, FUZZ_SHARED_SECRET, FUZZ_TIMESTAMP);
    let status = ConnectStatus::OK;
    let pdus = [
        Pdu::Connect(Connect {
            source_addr: Octets::borrowed(FUZZ_SOURCE_ADDR),
            authenticator_source: connect_authenticator,
            version: version.version_octet(),
            timestamp: FUZZ_TIMESTAMP,
        }),
        Pdu::ConnectResp(ConnectResp {
            status,
            authenticator_ismg: authenticator_ismg(
                version,
                status,
                &connect_authenticator,
                FUZZ_SHARED_SECRET,
            ),
            version: version.version_octet(),
        }),
        Pdu::Submit(submit()),
        Pdu::SubmitResp(SubmitResp {
            msg_id: 7,
            result: SubmitResult::OK,
        }),
        Pdu::Deliver(report(7)),
        Pdu::DeliverResp(DeliverResp {
            msg_id: 7,
            result: DeliverResult::OK,
        }),
        Pdu::ActiveTest,
        Pdu::ActiveTestResp(ActiveTestResp::default()),
        Pdu::Terminate,
        Pdu::TerminateResp,
        Pdu::Cancel(Cancel { msg_id: 7 }),
        Pdu::Query(Query::default()),
    ];
    let mut frames = Vec::with_capacity(pdus.len());
    for (index, pdu) in (1u32..).zip(&pdus) {
        // The SP's CONNECT is its first request, so its CONNECT_RESP must carry Sequence_Id 1.
        let sequence_id = match pdu {
            Pdu::ConnectResp(_) => 1,
            _ => index,
        };
        let mut frame = Vec::new();
        // Every example is valid in both versions (tested), so this appends a frame.
        if encode(pdu, sequence_id, version, &mut frame).is_ok() {
            frames.push(frame);
        }
    }
    frames
}

fn fuzz_session_in(data: &[u8], version: CmppVersion) -> usize {
    let config = SessionConfig {
        window_max: 4,
        peer_window_max: 4,
        response_timeout_ms: 1_000,
        active_test_interval_ms: 2_000,
        idle_timeout_ms: 10_000,
        connect_timeout_ms: 5_000,
        transmit_size_max: crate::limits::CMPP_PDU_SIZE_MAX as usize,
    };
    let connect = SpConnect {
        source_addr: FUZZ_SOURCE_ADDR,
        shared_secret: FUZZ_SHARED_SECRET,
        version,
        timestamp: FUZZ_TIMESTAMP,
    };
    let mut ismg = Session::new_ismg(config, version, 0);
    let Ok(mut sp) = Session::new_sp(config, connect, 0) else {
        unreachable!("the fuzz Source_Addr fits its field");
    };
    let mut now_ms = 0u64;
    let mut token = 0u64;
    let mut connected = [false; 2];
    for frame in Frames::new(data, FrameLimits::CMPP) {
        let frame = match frame {
            Ok(frame) => frame,
            // Hand the bad length over the way the runtime does: as the rest of the buffer.
            Err(_) => data.get(data.len().min(4)..).unwrap_or_default(),
        };
        let last = frame.last().copied().unwrap_or(0);
        now_ms += u64::from(last % 4) * 700;
        for (session, connected) in [&mut ismg, &mut sp].into_iter().zip(&mut connected) {
            step(session, frame, now_ms, last, &mut token);
            *connected |= session.is_connected();
            assert!(session.poll_transmit().len() <= 3 * config.transmit_size_max);
            // The window plus the session's own CONNECT, ACTIVE_TEST and TERMINATE.
            assert!(session.outstanding_count() <= config.window_max + 3);
            assert!(session.unanswered_count() <= config.peer_window_max);
            let pending = session.poll_transmit().len();
            session.advance_transmit(pending);
        }
    }
    connected.into_iter().filter(|connected| *connected).count()
}

/// One frame into one session, with the application's reaction.
fn step(session: &mut Session, frame: &[u8], now_ms: u64, last: u8, token: &mut u64) {
    let version = session.version();
    let answer = match session.handle_frame(frame, now_ms) {
        Some(Event::ConnectRequest { .. }) => {
            let _ = session.accept_connect(FUZZ_SHARED_SECRET, version);
            None
        }
        Some(Event::Request { sequence_id, pdu }) => response_to(&pdu).map(|r| (sequence_id, r)),
        _ => None,
    };
    if let Some((sequence_id, response)) = answer {
        let _ = session.respond(sequence_id, &response);
    }
    if last.is_multiple_of(3) {
        *token += 1;
        let request = match session.role() {
            super::Role::Sp => Pdu::Submit(submit()),
            super::Role::Ismg => Pdu::Deliver(report(*token)),
        };
        let _ = session.send_request(&request, *token, now_ms);
    }
    if last == 0xFF {
        let _ = session.terminate(now_ms);
    }
    // Each call either returns None or removes an outstanding request or closes, so the
    // window bounds the loop; the extra turns cover the session's own requests.
    for _ in 0..session.outstanding_count() + 4 {
        if session.handle_timeout(now_ms).is_none() {
            break;
        }
    }
}

/// The application's answer to a request handed up.
fn response_to(request: &Pdu<'_>) -> Option<Pdu<'static>> {
    Some(match request {
        Pdu::Submit(_) => Pdu::SubmitResp(SubmitResp {
            msg_id: 1,
            result: SubmitResult::OK,
        }),
        Pdu::Deliver(deliver) => Pdu::DeliverResp(DeliverResp {
            msg_id: deliver.msg_id,
            result: DeliverResult::OK,
        }),
        Pdu::Query(_) => Pdu::QueryResp(QueryResp::default()),
        Pdu::Cancel(_) => Pdu::CancelResp(CancelResp {
            success_id: CancelResult::SUCCESS,
        }),
        _ => return None,
    })
}

fn submit() -> Submit<'static> {
    Submit {
        registered_delivery: 1,
        msg_src: Octets::borrowed(FUZZ_SOURCE_ADDR),
        dest_terminal_id: TerminalIds::from(vec![Octets::borrowed(b"13800138000")]),
        msg_content: Octets::borrowed(b"hello"),
        ..Submit::default()
    }
}

fn report(msg_id: u64) -> Deliver<'static> {
    Deliver {
        msg_id,
        dest_id: Octets::borrowed(b"1069"),
        service_id: Octets::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: 0,
        src_terminal_id: Octets::borrowed(b"13800138000"),
        src_terminal_type: 0,
        content: DeliverContent::StatusReport(StatusReport {
            msg_id,
            stat: Octets::borrowed(b"DELIVRD"),
            submit_time: Octets::borrowed(b"2601020304"),
            done_time: Octets::borrowed(b"2601020305"),
            dest_terminal_id: Octets::borrowed(b"13800138000"),
            smsc_sequence: 1,
        }),
        reserved: Octets::EMPTY,
        link_id: Octets::EMPTY,
    }
}
