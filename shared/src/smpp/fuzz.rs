//! The SMPP fuzz body: run by `cargo fuzz` (fuzz/fuzz_targets/smpp_decode.rs) and by a stable
//! test over a fixed-seed batch, so CI exercises it on every run.

use super::pdu::decode;
use crate::frame::{FrameLimits, Frames};

/// Splits `data` into frames, decodes each, and checks that whatever decodes re-encodes to the
/// same bytes and decodes again to the same PDU. Panics only on a codec bug.
pub fn fuzz_decode(data: &[u8]) {
    for frame in Frames::new(data, FrameLimits::SMPP) {
        let Ok(frame) = frame else { break };
        let Ok(pdu) = decode(frame) else { continue };
        let mut encoded = Vec::with_capacity(frame.len());
        let size = match pdu.encode(&mut encoded) {
            Ok(size) => size,
            Err(error) => panic!("a decoded PDU must re-encode: {error}"),
        };
        assert_eq!(size, encoded.len());
        let again = match decode(&encoded) {
            Ok(again) => again,
            Err(error) => panic!("a re-encoded PDU must decode: {error}"),
        };
        assert_eq!(again, pdu);
        // Empty failed responses are re-encoded with their (empty) fields, so only PDUs that
        // came with a body must be byte-identical.
        if encoded.len() == frame.len() {
            assert_eq!(encoded, frame);
        }
        let owned = pdu.clone().into_owned();
        let mut owned_encoded = Vec::new();
        assert!(owned.encode(&mut owned_encoded).is_ok());
        assert_eq!(owned_encoded, encoded);
    }
}

/// The session fuzz body: feeds `data`, split into frames, to an SMSC session and an ESME session
/// whose application accepts every bind and answers every request, advancing the clock by the
/// first byte of each frame (in seconds) and running timers. Peer bytes must never reach an
/// assertion, and the transmit buffer must stay bounded.
pub fn fuzz_session(data: &[u8]) {
    use super::CommandStatus;
    use super::pdu::{Bind, empty_response};
    use super::session::{BindMode, Event, Session, SessionConfig};

    let config = SessionConfig {
        window_max: 4,
        peer_window_max: 4,
        response_timeout_ms: 1_000,
        enquire_link_interval_ms: 2_000,
        idle_timeout_ms: 10_000,
        bind_timeout_ms: 5_000,
        transmit_size_max: crate::limits::SMPP_PDU_SIZE_MAX as usize,
    };
    let bind = Bind {
        system_id: &b"fuzz"[..],
        password: &b"pw"[..],
        system_type: &b""[..],
        interface_version: 0x34,
        addr_ton: 0,
        addr_npi: 0,
        address_range: &b""[..],
    };
    let mut smsc = Session::new_smsc(config, 0x34, 0);
    let mut esme = Session::new_esme(config, BindMode::Transceiver, bind, 0);
    let mut now_ms = 0u64;
    for frame in Frames::new(data, FrameLimits::SMPP) {
        let frame = match frame {
            Ok(frame) => frame,
            Err(_) => &data[data.len().min(4)..],
        };
        now_ms += u64::from(frame.get(4).copied().unwrap_or(0) % 4) * 1_000;
        for session in [&mut smsc, &mut esme] {
            let answer = match session.handle_frame(frame, now_ms) {
                Some(Event::BindRequest { .. }) => Some((0, None)),
                Some(Event::Request(pdu)) => pdu
                    .command_id()
                    .response()
                    .map(|response| (pdu.sequence_number, Some(response))),
                _ => None,
            };
            match answer {
                Some((_, None)) => {
                    let _ = session.accept_bind(b"SMSC");
                }
                Some((sequence_number, Some(response))) => {
                    if let Some(body) = empty_response(response) {
                        let _ = session.respond(sequence_number, CommandStatus::ESME_ROK, body);
                    }
                }
                None => {}
            }
            while session.handle_timeout(now_ms).is_some() {}
            assert!(session.poll_transmit().len() <= 3 * config.transmit_size_max);
            let pending = session.poll_transmit().len();
            session.advance_transmit(pending);
        }
    }
}
