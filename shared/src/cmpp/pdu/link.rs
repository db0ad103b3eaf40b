// HOT PATH: keep-alives arrive on every idle link. Banned here: allocation, blocking I/O,
// locks, per-PDU logging.
//! Link management: CMPP_TERMINATE (V3.0 §8.4.2) and CMPP_ACTIVE_TEST (V3.0 §8.4.7), the same
//! in 2.0.
//!
//! TERMINATE, TERMINATE_RESP and ACTIVE_TEST have no body; ACTIVE_TEST_RESP has one Reserved
//! octet (added in 2.0, change 10 of the revision history).

use crate::cmpp::wire::{Reader, put_u8};
use crate::cmpp::{CommandId, DecodeError};

/// CMPP_ACTIVE_TEST_RESP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActiveTestResp {
    /// Reserved (1).
    pub reserved: u8,
}

impl ActiveTestResp {
    /// Decodes the one-octet body.
    pub fn decode(body: &[u8]) -> Result<ActiveTestResp, DecodeError> {
        let mut reader = Reader::new(body);
        let resp = ActiveTestResp {
            reserved: reader.u8("reserved")?,
        };
        reader.finish(CommandId::CMPP_ACTIVE_TEST_RESP)?;
        Ok(resp)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u8(out, self.reserved);
    }
}

/// Checks that a PDU defined without a body has none.
pub(super) fn decode_empty(command_id: CommandId, body: &[u8]) -> Result<(), DecodeError> {
    Reader::new(body).finish(command_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing::{check_vector, concat, frame};
    use crate::cmpp::{CmppVersion, Pdu, decode};

    // Proves the three bodyless PDUs and ACTIVE_TEST_RESP decode from and encode to hand-built
    // frames, identical in both versions.
    #[test]
    fn link_vectors_both_versions() {
        for version in CmppVersion::ALL {
            let terminate = concat(&[
                &[0, 0, 0, 12], // Total_Length = 12, no body
                &[0, 0, 0, 2],  // Command_Id = CMPP_TERMINATE
                &[0, 0, 0, 3],  // Sequence_Id = 3
            ]);
            check_vector(version, &terminate, 3, &Pdu::Terminate);
            let terminate_resp = concat(&[
                &[0, 0, 0, 12],   // Total_Length = 12, no body
                &[0x80, 0, 0, 2], // Command_Id = CMPP_TERMINATE_RESP
                &[0, 0, 0, 3],    // Sequence_Id = 3
            ]);
            check_vector(version, &terminate_resp, 3, &Pdu::TerminateResp);
            let active_test = concat(&[
                &[0, 0, 0, 12],            // Total_Length = 12, no body
                &[0, 0, 0, 8],             // Command_Id = CMPP_ACTIVE_TEST
                &[0xFF, 0xFF, 0xFF, 0xFF], // Sequence_Id = u32::MAX
            ]);
            check_vector(version, &active_test, u32::MAX, &Pdu::ActiveTest);
            let active_test_resp = concat(&[
                &[0, 0, 0, 13],            // Total_Length = 12 + 1
                &[0x80, 0, 0, 8],          // Command_Id = CMPP_ACTIVE_TEST_RESP
                &[0xFF, 0xFF, 0xFF, 0xFF], // Sequence_Id = u32::MAX
                &[0],                      // Reserved (1)
            ]);
            check_vector(
                version,
                &active_test_resp,
                u32::MAX,
                &Pdu::ActiveTestResp(ActiveTestResp { reserved: 0 }),
            );
        }
    }

    // Proves a body on a bodyless PDU, and a missing Reserved octet, are typed errors.
    #[test]
    fn link_pdus_reject_wrong_body_sizes() {
        let version = CmppVersion::V3_0;
        assert_eq!(
            decode(&frame(CommandId::CMPP_ACTIVE_TEST, 1, &[0]), version),
            Err(DecodeError::TrailingBytes {
                command_id: CommandId::CMPP_ACTIVE_TEST,
                size: 1
            })
        );
        assert_eq!(
            decode(&frame(CommandId::CMPP_ACTIVE_TEST_RESP, 1, &[]), version),
            Err(DecodeError::FieldTruncated { field: "reserved" })
        );
        assert_eq!(
            decode(
                &frame(CommandId::CMPP_ACTIVE_TEST_RESP, 1, &[0, 0]),
                version
            ),
            Err(DecodeError::TrailingBytes {
                command_id: CommandId::CMPP_ACTIVE_TEST_RESP,
                size: 1
            })
        );
    }
}
