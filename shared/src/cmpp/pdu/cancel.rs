// HOT PATH: shares the decode rules of the hot PDUs. Banned here: allocation, blocking I/O,
// locks, per-PDU logging.
//! CMPP_CANCEL and CMPP_CANCEL_RESP (CMPP V3.0 §8.4.6; 2.0 §7.4.6).
//!
//! CANCEL is Msg_Id (8) in both versions; CANCEL_RESP's Success_Id is 1 octet in 2.0 and 4 in
//! 3.0 (V3.0.0 change 16).

use crate::cmpp::wire::{Reader, put_status, put_u64};
use crate::cmpp::{CancelResult, CmppVersion, CommandId, DecodeError, EncodeError};

/// CMPP_CANCEL: an SP asks to delete a submitted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cancel {
    /// Msg_Id (8): the id from SUBMIT_RESP.
    pub msg_id: u64,
}

/// CMPP_CANCEL_RESP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelResp {
    /// Success_Id (1 octet in 2.0, 4 in 3.0).
    pub success_id: CancelResult,
}

impl Cancel {
    /// Decodes a CANCEL body.
    pub fn decode(body: &[u8]) -> Result<Cancel, DecodeError> {
        let mut reader = Reader::new(body);
        let cancel = Cancel {
            msg_id: reader.u64("msg_id")?,
        };
        reader.finish(CommandId::CMPP_CANCEL)?;
        Ok(cancel)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, self.msg_id);
    }
}

impl CancelResp {
    /// Decodes a CANCEL_RESP body in `version`'s layout.
    pub fn decode(body: &[u8], version: CmppVersion) -> Result<CancelResp, DecodeError> {
        let mut reader = Reader::new(body);
        let resp = CancelResp {
            success_id: CancelResult(reader.status("success_id", version)?),
        };
        reader.finish(CommandId::CMPP_CANCEL_RESP)?;
        Ok(resp)
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_status(out, "success_id", self.success_id.0, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::Pdu;
    use crate::cmpp::testing::{check_vector, concat};

    // Proves CMPP_CANCEL is Msg_Id alone in both versions.
    #[test]
    fn cancel_vector_both_versions() {
        let frame = concat(&[
            &[0, 0, 0, 20],               // Total_Length = 12 + 8
            &[0, 0, 0, 7],                // Command_Id = CMPP_CANCEL
            &[0, 0, 0, 11],               // Sequence_Id = 11
            &[0xFF, 0, 0, 0, 0, 0, 0, 1], // Msg_Id
        ]);
        let pdu = Pdu::Cancel(Cancel {
            msg_id: 0xFF00_0000_0000_0001,
        });
        for version in CmppVersion::ALL {
            check_vector(version, &frame, 11, &pdu);
        }
    }

    // Proves CANCEL_RESP's Success_Id is 1 octet in 2.0 and 4 in 3.0.
    #[test]
    fn cancel_resp_vectors_success_id_width_per_version() {
        let v2 = concat(&[
            &[0, 0, 0, 13],   // Total_Length = 12 + 1
            &[0x80, 0, 0, 7], // Command_Id = CMPP_CANCEL_RESP
            &[0, 0, 0, 11],   // Sequence_Id = 11
            &[1],             // Success_Id (1) = 1, failed
        ]);
        let v3 = concat(&[
            &[0, 0, 0, 16],   // Total_Length = 12 + 4
            &[0x80, 0, 0, 7], // Command_Id = CMPP_CANCEL_RESP
            &[0, 0, 0, 11],   // Sequence_Id = 11
            &[0, 0, 0, 1],    // Success_Id (4) = 1, failed
        ]);
        let pdu = Pdu::CancelResp(CancelResp {
            success_id: CancelResult::FAILURE,
        });
        check_vector(CmppVersion::V2_0, &v2, 11, &pdu);
        check_vector(CmppVersion::V3_0, &v3, 11, &pdu);
    }
}
