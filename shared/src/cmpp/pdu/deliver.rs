// HOT PATH: every MO message and delivery receipt is decoded here. Banned here: allocation on
// the decode side, blocking I/O, locks, per-PDU logging.
//! CMPP_DELIVER and CMPP_DELIVER_RESP (CMPP V3.0 §8.4.5; 2.0 §7.4.5).
//!
//! Differences (V3.0.0 revision history, changes 1, 6, 7 and 16):
//! - Src_terminal_Id is 21 octets in 2.0, 32 in 3.0, followed in 3.0 by Src_terminal_type (1).
//! - 2.0 ends with Reserved (8); 3.0 ends with LinkID (20).
//! - The status report's Dest_terminal_Id is 21 or 32 octets (see [`StatusReport`]).
//! - DELIVER_RESP Result is 1 octet in 2.0, 4 in 3.0.
//!
//! Registered_Delivery says what Msg_Content holds: 0 a message, 1 a [`StatusReport`]; the
//! decoder returns it as a [`DeliverContent`] so a receipt is typed, and rejects other values.

use super::report::StatusReport;
use crate::cmpp::octets::Octets;
use crate::cmpp::wire::{
    Reader, put_fixed, put_msg_content, put_status, put_u8, put_u64, require_absent,
};
use crate::cmpp::{CmppVersion, CommandId, DecodeError, DeliverResult, EncodeError};

/// CMPP_DELIVER: the ISMG delivers an MO message or a status report to the SP.
///
/// Fields marked "3.0" or "2.0" exist in that version only; they decode as 0 or empty in the
/// other, and encoding refuses them when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver<'a> {
    /// Msg_Id (8).
    pub msg_id: u64,
    /// Dest_Id (21): the SP's service code the user sent to.
    pub dest_id: Octets<'a>,
    /// Service_Id (10).
    pub service_id: Octets<'a>,
    /// TP_pid (1): GSM 03.40 §9.2.3.9.
    pub tp_pid: u8,
    /// TP_udhi (1): GSM 03.40 §9.2.3.23.
    pub tp_udhi: u8,
    /// Msg_Fmt (1): kept raw.
    pub msg_fmt: u8,
    /// Src_terminal_Id (21 in 2.0, 32 in 3.0): the sender; for a report, the SUBMIT's
    /// destination.
    pub src_terminal_id: Octets<'a>,
    /// Src_terminal_type (1, 3.0): 0 real number, 1 pseudo number.
    pub src_terminal_type: u8,
    /// Registered_Delivery (1), Msg_Length (1) and Msg_Content, typed.
    pub content: DeliverContent<'a>,
    /// Reserved (8, 2.0).
    pub reserved: Octets<'a>,
    /// LinkID (20, 3.0).
    pub link_id: Octets<'a>,
}

/// What a CMPP_DELIVER's Msg_Content holds, chosen by Registered_Delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliverContent<'a> {
    /// Registered_Delivery 0: an MO message of up to 255 octets.
    Message(Octets<'a>),
    /// Registered_Delivery 1: a status report.
    StatusReport(StatusReport<'a>),
}

/// CMPP_DELIVER_RESP: the SP's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverResp {
    /// Msg_Id (8): the DELIVER's Msg_Id.
    pub msg_id: u64,
    /// Result (1 octet in 2.0, 4 in 3.0).
    pub result: DeliverResult,
}

impl DeliverContent<'_> {
    /// The Registered_Delivery value this content is sent with.
    pub fn registered_delivery(&self) -> u8 {
        match self {
            DeliverContent::Message(_) => 0,
            DeliverContent::StatusReport(_) => 1,
        }
    }
}

impl<'a> Deliver<'a> {
    /// Decodes a DELIVER body in `version`'s layout.
    pub fn decode(body: &'a [u8], version: CmppVersion) -> Result<Deliver<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let msg_id = reader.u64("msg_id")?;
        let dest_id = reader.fixed("dest_id", DEST_ID_SIZE)?;
        let service_id = reader.fixed("service_id", SERVICE_ID_SIZE)?;
        let tp_pid = reader.u8("tp_pid")?;
        let tp_udhi = reader.u8("tp_udhi")?;
        let msg_fmt = reader.u8("msg_fmt")?;
        let src_terminal_id = reader.fixed("src_terminal_id", version.terminal_id_size())?;
        let src_terminal_type = match version {
            CmppVersion::V2_0 => 0,
            CmppVersion::V3_0 => reader.u8("src_terminal_type")?,
        };
        let registered_delivery = reader.u8("registered_delivery")?;
        let msg_content = reader.msg_content(trailer_size(version))?;
        let content = match registered_delivery {
            0 => DeliverContent::Message(Octets::borrowed(msg_content)),
            1 => DeliverContent::StatusReport(StatusReport::decode(msg_content, version)?),
            got => return Err(DecodeError::RegisteredDeliveryInvalid { got }),
        };
        let (reserved, link_id) = match version {
            CmppVersion::V2_0 => (reader.fixed("reserved", RESERVED_SIZE)?, Octets::EMPTY),
            CmppVersion::V3_0 => (Octets::EMPTY, reader.fixed("link_id", LINK_ID_SIZE)?),
        };
        reader.finish(CommandId::CMPP_DELIVER)?;
        Ok(Deliver {
            msg_id,
            dest_id,
            service_id,
            tp_pid,
            tp_udhi,
            msg_fmt,
            src_terminal_id,
            src_terminal_type,
            content,
            reserved,
            link_id,
        })
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.check_version_fields(version)?;
        put_u64(out, self.msg_id);
        put_fixed(out, "dest_id", &self.dest_id, DEST_ID_SIZE)?;
        put_fixed(out, "service_id", &self.service_id, SERVICE_ID_SIZE)?;
        put_u8(out, self.tp_pid);
        put_u8(out, self.tp_udhi);
        put_u8(out, self.msg_fmt);
        put_fixed(
            out,
            "src_terminal_id",
            &self.src_terminal_id,
            version.terminal_id_size(),
        )?;
        if version == CmppVersion::V3_0 {
            put_u8(out, self.src_terminal_type);
        }
        put_u8(out, self.content.registered_delivery());
        match &self.content {
            DeliverContent::Message(message) => put_msg_content(out, message, u8::MAX)?,
            DeliverContent::StatusReport(report) => {
                // 60 or 71 octets: always fits Msg_Length.
                put_u8(out, StatusReport::size(version) as u8);
                report.encode(version, out)?;
            }
        }
        match version {
            CmppVersion::V2_0 => put_fixed(out, "reserved", &self.reserved, RESERVED_SIZE),
            CmppVersion::V3_0 => put_fixed(out, "link_id", &self.link_id, LINK_ID_SIZE),
        }
    }

    /// The status report, when this DELIVER carries one.
    pub fn status_report(&self) -> Option<&StatusReport<'a>> {
        match &self.content {
            DeliverContent::StatusReport(report) => Some(report),
            DeliverContent::Message(_) => None,
        }
    }

    /// Copies the borrowed fields.
    pub fn into_owned(self) -> Deliver<'static> {
        Deliver {
            msg_id: self.msg_id,
            dest_id: self.dest_id.into_owned(),
            service_id: self.service_id.into_owned(),
            tp_pid: self.tp_pid,
            tp_udhi: self.tp_udhi,
            msg_fmt: self.msg_fmt,
            src_terminal_id: self.src_terminal_id.into_owned(),
            src_terminal_type: self.src_terminal_type,
            content: match self.content {
                DeliverContent::Message(message) => DeliverContent::Message(message.into_owned()),
                DeliverContent::StatusReport(report) => {
                    DeliverContent::StatusReport(report.into_owned())
                }
            },
            reserved: self.reserved.into_owned(),
            link_id: self.link_id.into_owned(),
        }
    }

    /// Refuses a set field that `version` does not carry.
    fn check_version_fields(&self, version: CmppVersion) -> Result<(), EncodeError> {
        match version {
            CmppVersion::V2_0 => {
                require_absent("src_terminal_type", self.src_terminal_type == 0, version)?;
                require_absent("link_id", self.link_id.is_empty(), version)
            }
            CmppVersion::V3_0 => require_absent("reserved", self.reserved.is_empty(), version),
        }
    }
}

impl DeliverResp {
    /// Decodes a DELIVER_RESP body in `version`'s layout.
    pub fn decode(body: &[u8], version: CmppVersion) -> Result<DeliverResp, DecodeError> {
        let mut reader = Reader::new(body);
        let resp = DeliverResp {
            msg_id: reader.u64("msg_id")?,
            result: DeliverResult(reader.status("result", version)?),
        };
        reader.finish(CommandId::CMPP_DELIVER_RESP)?;
        Ok(resp)
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u64(out, self.msg_id);
        put_status(out, "result", self.result.0, version)
    }
}

/// Octets after Msg_Content: Reserved in 2.0, LinkID in 3.0.
const fn trailer_size(version: CmppVersion) -> usize {
    match version {
        CmppVersion::V2_0 => RESERVED_SIZE,
        CmppVersion::V3_0 => LINK_ID_SIZE,
    }
}

const DEST_ID_SIZE: usize = 21;
const SERVICE_ID_SIZE: usize = 10;
const RESERVED_SIZE: usize = 8;
const LINK_ID_SIZE: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing::{check_vector, concat, frame, pad};
    use crate::cmpp::{Pdu, decode};

    fn mo_example<'a>() -> Deliver<'a> {
        Deliver {
            msg_id: 0x0102_0304_0506_0708,
            dest_id: b"1069000101".into(),
            service_id: b"MTEST".into(),
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: 15,
            src_terminal_id: b"13800138000".into(),
            src_terminal_type: 0,
            content: DeliverContent::Message(b"TD".into()),
            reserved: Octets::EMPTY,
            link_id: Octets::EMPTY,
        }
    }

    fn report_example<'a>() -> StatusReport<'a> {
        StatusReport {
            msg_id: 0x1122_3344_5566_7788,
            stat: b"DELIVRD".into(),
            submit_time: b"2406301405".into(),
            done_time: b"2406301406".into(),
            dest_terminal_id: b"13800138000".into(),
            smsc_sequence: 0x0A0B_0C0D,
        }
    }

    // Proves the 2.0 DELIVER layout for an MO message: 21-octet Src_terminal_Id, no type octet,
    // Reserved (8) at the end.
    #[test]
    fn deliver_mo_vector_v2() {
        let frame = concat(&[
            &[0, 0, 0, 0x57],          // Total_Length = 12 + 73 + 2 = 87
            &[0, 0, 0, 5],             // Command_Id = CMPP_DELIVER
            &[0, 0, 0, 7],             // Sequence_Id = 7
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &pad(b"1069000101", 21),   // Dest_Id (21)
            &pad(b"MTEST", 10),        // Service_Id (10)
            &[0],                      // TP_pid
            &[0],                      // TP_udhi
            &[15],                     // Msg_Fmt = 15, GB
            &pad(b"13800138000", 21),  // Src_terminal_Id (21)
            &[0],                      // Registered_Delivery = 0, a message
            &[2],                      // Msg_Length = 2
            b"TD",                     // Msg_Content
            &[0; 8],                   // Reserved (8)
        ]);
        check_vector(CmppVersion::V2_0, &frame, 7, &Pdu::Deliver(mo_example()));
    }

    // Proves the 3.0 DELIVER layout for an MO message: 32-octet Src_terminal_Id plus
    // Src_terminal_type, LinkID (20) at the end.
    #[test]
    fn deliver_mo_vector_v3() {
        let deliver = Deliver {
            src_terminal_type: 1,
            link_id: b"LINK".into(),
            ..mo_example()
        };
        let frame = concat(&[
            &[0, 0, 0, 0x6F],          // Total_Length = 12 + 97 + 2 = 111
            &[0, 0, 0, 5],             // Command_Id = CMPP_DELIVER
            &[0, 0, 0, 7],             // Sequence_Id = 7
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &pad(b"1069000101", 21),   // Dest_Id (21)
            &pad(b"MTEST", 10),        // Service_Id (10)
            &[0],                      // TP_pid
            &[0],                      // TP_udhi
            &[15],                     // Msg_Fmt = 15, GB
            &pad(b"13800138000", 32),  // Src_terminal_Id (32)
            &[1],                      // Src_terminal_type = 1, pseudo
            &[0],                      // Registered_Delivery = 0, a message
            &[2],                      // Msg_Length = 2
            b"TD",                     // Msg_Content
            &pad(b"LINK", 20),         // LinkID (20)
        ]);
        check_vector(CmppVersion::V3_0, &frame, 7, &Pdu::Deliver(deliver));
    }

    // Proves a 2.0 status report DELIVER: Registered_Delivery 1, Msg_Length 60, and the report
    // fields with a 21-octet Dest_terminal_Id.
    #[test]
    fn deliver_status_report_vector_v2() {
        let deliver = Deliver {
            content: DeliverContent::StatusReport(report_example()),
            ..mo_example()
        };
        let frame = concat(&[
            &[0, 0, 0, 0x91],          // Total_Length = 12 + 73 + 60 = 145
            &[0, 0, 0, 5],             // Command_Id = CMPP_DELIVER
            &[0, 0, 0, 7],             // Sequence_Id = 7
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &pad(b"1069000101", 21),   // Dest_Id (21)
            &pad(b"MTEST", 10),        // Service_Id (10)
            &[0],                      // TP_pid
            &[0],                      // TP_udhi
            &[15],                     // Msg_Fmt
            &pad(b"13800138000", 21),  // Src_terminal_Id (21)
            &[1],                      // Registered_Delivery = 1, a report
            &[60],                     // Msg_Length = 60
            &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], // report Msg_Id
            b"DELIVRD",                // report Stat (7)
            b"2406301405",             // report Submit_time (10)
            b"2406301406",             // report Done_time (10)
            &pad(b"13800138000", 21),  // report Dest_terminal_Id (21)
            &[0x0A, 0x0B, 0x0C, 0x0D], // report SMSC_sequence
            &[0; 8],                   // Reserved (8)
        ]);
        check_vector(CmppVersion::V2_0, &frame, 7, &Pdu::Deliver(deliver));
    }

    // Proves a 3.0 status report DELIVER: Msg_Length 71 and a 32-octet report
    // Dest_terminal_Id.
    #[test]
    fn deliver_status_report_vector_v3() {
        let deliver = Deliver {
            content: DeliverContent::StatusReport(report_example()),
            ..mo_example()
        };
        let frame = concat(&[
            &[0, 0, 0, 0xB4],          // Total_Length = 12 + 97 + 71 = 180
            &[0, 0, 0, 5],             // Command_Id = CMPP_DELIVER
            &[0, 0, 0, 7],             // Sequence_Id = 7
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &pad(b"1069000101", 21),   // Dest_Id (21)
            &pad(b"MTEST", 10),        // Service_Id (10)
            &[0],                      // TP_pid
            &[0],                      // TP_udhi
            &[15],                     // Msg_Fmt
            &pad(b"13800138000", 32),  // Src_terminal_Id (32)
            &[0],                      // Src_terminal_type = 0
            &[1],                      // Registered_Delivery = 1, a report
            &[71],                     // Msg_Length = 71
            &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], // report Msg_Id
            b"DELIVRD",                // report Stat (7)
            b"2406301405",             // report Submit_time (10)
            b"2406301406",             // report Done_time (10)
            &pad(b"13800138000", 32),  // report Dest_terminal_Id (32)
            &[0x0A, 0x0B, 0x0C, 0x0D], // report SMSC_sequence
            &[0; 20],                  // LinkID (20)
        ]);
        check_vector(CmppVersion::V3_0, &frame, 7, &Pdu::Deliver(deliver.clone()));
        let (_, decoded) = decode(&frame, CmppVersion::V3_0).unwrap();
        let Pdu::Deliver(decoded) = decoded else {
            panic!("{decoded:?}")
        };
        assert_eq!(decoded.status_report(), Some(&report_example()));
    }

    // Proves DELIVER_RESP's Result is 1 octet in 2.0 and 4 in 3.0.
    #[test]
    fn deliver_resp_vectors_both_versions() {
        let v2 = concat(&[
            &[0, 0, 0, 21],            // Total_Length = 12 + 8 + 1
            &[0x80, 0, 0, 5],          // Command_Id = CMPP_DELIVER_RESP
            &[0, 0, 0, 7],             // Sequence_Id = 7
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &[0],                      // Result (1) = 0
        ]);
        let v3 = concat(&[
            &[0, 0, 0, 24],            // Total_Length = 12 + 8 + 4
            &[0x80, 0, 0, 5],          // Command_Id = CMPP_DELIVER_RESP
            &[0, 0, 0, 7],             // Sequence_Id = 7
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &[0, 0, 0, 0],             // Result (4) = 0
        ]);
        let resp = Pdu::DeliverResp(DeliverResp {
            msg_id: 0x0102_0304_0506_0708,
            result: DeliverResult::OK,
        });
        check_vector(CmppVersion::V2_0, &v2, 7, &resp);
        check_vector(CmppVersion::V3_0, &v3, 7, &resp);
    }

    // Proves Registered_Delivery other than 0 or 1, a report of the wrong size, and a 3.0
    // field set on a 2.0 DELIVER are typed errors.
    #[test]
    fn deliver_rejects_bad_registered_delivery_and_report_size() {
        let mut body = Vec::new();
        mo_example().encode(CmppVersion::V3_0, &mut body).unwrap();
        // Registered_Delivery sits at offset 8 + 21 + 10 + 3 + 32 + 1 = 75 in a 3.0 body.
        body[75] = 2;
        assert_eq!(
            decode(&frame(CommandId::CMPP_DELIVER, 1, &body), CmppVersion::V3_0),
            Err(DecodeError::RegisteredDeliveryInvalid { got: 2 })
        );
        // A 2-octet content marked as a report.
        body[75] = 1;
        assert_eq!(
            decode(&frame(CommandId::CMPP_DELIVER, 1, &body), CmppVersion::V3_0),
            Err(DecodeError::StatusReportSize {
                size: 2,
                expected: 71
            })
        );
        let typed = Deliver {
            src_terminal_type: 1,
            ..mo_example()
        };
        assert_eq!(
            typed.encode(CmppVersion::V2_0, &mut Vec::new()),
            Err(EncodeError::FieldNotInVersion {
                field: "src_terminal_type",
                version: CmppVersion::V2_0
            })
        );
    }
}
