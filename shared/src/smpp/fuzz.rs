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
