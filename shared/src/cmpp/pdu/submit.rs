// HOT PATH: every MT message from an SP is decoded here. Banned here: allocation on the decode
// side, blocking I/O, locks, per-PDU logging.
//! CMPP_SUBMIT and CMPP_SUBMIT_RESP (CMPP V3.0 §8.4.3; 2.0 §7.4.3).
//!
//! Differences (V3.0.0 revision history, changes 1 to 5 and 16):
//! - Fee_terminal_Id is 21 octets in 2.0, 32 in 3.0, followed in 3.0 by Fee_terminal_type (1).
//! - Each Dest_terminal_Id is 21 octets in 2.0, 32 in 3.0; 3.0 adds one Dest_terminal_type (1)
//!   after the whole list (not one per entry).
//! - 2.0 ends with Reserve (8); 3.0 ends with LinkID (20) instead.
//! - SUBMIT_RESP Result is 1 octet in 2.0, 4 in 3.0.
//!
//! Checks on decode: 1 ≤ Pk_number ≤ Pk_total, 1 ≤ DestUsr_tl ≤ [`DEST_USR_TL_MAX`], Msg_Length
//! equal to the room Total_Length leaves, and Msg_Length within [`Submit::msg_length_max`].

use crate::cmpp::octets::{Octets, TerminalIds};
use crate::cmpp::wire::{
    Reader, check_pk, check_pk_encode, put_fixed, put_msg_content, put_status, put_terminal_ids,
    put_u8, put_u64, require_absent,
};
use crate::cmpp::{
    CmppVersion, CommandId, DEST_USR_TL_MAX, DecodeError, EncodeError, HEADER_SIZE, SubmitResult,
};
use crate::limits::CMPP_PDU_SIZE_MAX;

/// CMPP_SUBMIT: an SP submits a message.
///
/// Fields marked "3.0" or "2.0" exist in that version only; they decode as 0 or empty in the
/// other, and encoding refuses them when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit<'a> {
    /// Msg_Id (8): empty (0) from an SP; the ISMG assigns it in SUBMIT_RESP.
    pub msg_id: u64,
    /// Pk_total (1): parts with the same Msg_Id, from 1.
    pub pk_total: u8,
    /// Pk_number (1): this part's number, from 1.
    pub pk_number: u8,
    /// Registered_Delivery (1): 0 no status report, 1 status report (2.0 also 2, SMC bill).
    pub registered_delivery: u8,
    /// Msg_level (1): priority.
    pub msg_level: u8,
    /// Service_Id (10).
    pub service_id: Octets<'a>,
    /// Fee_UserType (1): 0 destination, 1 source, 2 SP, 3 see Fee_terminal_Id.
    pub fee_usertype: u8,
    /// Fee_terminal_Id (21 in 2.0, 32 in 3.0): the charged number when Fee_UserType is 3.
    pub fee_terminal_id: Octets<'a>,
    /// Fee_terminal_type (1, 3.0): 0 real number, 1 pseudo number.
    pub fee_terminal_type: u8,
    /// TP_pId (1): GSM 03.40 §9.2.3.9.
    pub tp_pid: u8,
    /// TP_udhi (1): GSM 03.40 §9.2.3.23; 1 when Msg_Content starts with a UDH.
    pub tp_udhi: u8,
    /// Msg_Fmt (1): 0 ASCII, 3 SIM write, 4 binary, 8 UCS2, 15 GB; kept raw.
    pub msg_fmt: u8,
    /// Msg_src (6): the SP_Id.
    pub msg_src: Octets<'a>,
    /// FeeType (2): "01" free, "02" per message, "03" monthly.
    pub fee_type: Octets<'a>,
    /// FeeCode (6): fee in fen.
    pub fee_code: Octets<'a>,
    /// ValId_Time (17): validity, SMPP 3.3 time format.
    pub valid_time: Octets<'a>,
    /// At_Time (17): scheduled delivery, SMPP 3.3 time format.
    pub at_time: Octets<'a>,
    /// Src_Id (21): the SP's service code, shown as the sender.
    pub src_id: Octets<'a>,
    /// Dest_terminal_Id (21 or 32 each) × DestUsr_tl (1..=[`DEST_USR_TL_MAX`]).
    pub dest_terminal_id: TerminalIds<'a>,
    /// Dest_terminal_type (1, 3.0): 0 real numbers, 1 pseudo numbers.
    pub dest_terminal_type: u8,
    /// Msg_Content (Msg_Length octets, at most [`Submit::msg_length_max`]).
    pub msg_content: Octets<'a>,
    /// Reserve (8, 2.0).
    pub reserve: Octets<'a>,
    /// LinkID (20, 3.0): ties an on-demand MT to the MO that asked for it.
    pub link_id: Octets<'a>,
}

/// CMPP_SUBMIT_RESP: the ISMG's answer, with the Msg_Id it assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitResp {
    /// Msg_Id (8): see [`crate::cmpp::MsgId`].
    pub msg_id: u64,
    /// Result (1 octet in 2.0, 4 in 3.0).
    pub result: SubmitResult,
}

impl Default for Submit<'_> {
    /// A single-part message (Pk_total = Pk_number = 1) with every other field zero or empty;
    /// set at least one destination before encoding.
    fn default() -> Self {
        Submit {
            msg_id: 0,
            pk_total: 1,
            pk_number: 1,
            registered_delivery: 0,
            msg_level: 0,
            service_id: Octets::default(),
            fee_usertype: 0,
            fee_terminal_id: Octets::default(),
            fee_terminal_type: 0,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: 0,
            msg_src: Octets::default(),
            fee_type: Octets::default(),
            fee_code: Octets::default(),
            valid_time: Octets::default(),
            at_time: Octets::default(),
            src_id: Octets::default(),
            dest_terminal_id: TerminalIds::default(),
            dest_terminal_type: 0,
            msg_content: Octets::default(),
            reserve: Octets::default(),
            link_id: Octets::default(),
        }
    }
}

impl<'a> Submit<'a> {
    /// Largest Msg_Length for a Msg_Fmt (V3.0 §8.4.3.1: under 160 for ASCII, 140 otherwise).
    /// Tolerance: ASCII accepts 160, the length of one GSM 7-bit SMS, which SPs send.
    pub const fn msg_length_max(msg_fmt: u8) -> u8 {
        match msg_fmt {
            0 => 160,
            _ => 140,
        }
    }

    /// Decodes a SUBMIT body in `version`'s layout.
    pub fn decode(body: &'a [u8], version: CmppVersion) -> Result<Submit<'a>, DecodeError> {
        let terminal_id_size = version.terminal_id_size();
        let mut reader = Reader::new(body);
        let msg_id = reader.u64("msg_id")?;
        let pk_total = reader.u8("pk_total")?;
        let pk_number = reader.u8("pk_number")?;
        check_pk(pk_total, pk_number)?;
        let registered_delivery = reader.u8("registered_delivery")?;
        let msg_level = reader.u8("msg_level")?;
        let service_id = reader.fixed("service_id", SERVICE_ID_SIZE)?;
        let fee_usertype = reader.u8("fee_usertype")?;
        let fee_terminal_id = reader.fixed("fee_terminal_id", terminal_id_size)?;
        let fee_terminal_type = match version {
            CmppVersion::V2_0 => 0,
            CmppVersion::V3_0 => reader.u8("fee_terminal_type")?,
        };
        let tp_pid = reader.u8("tp_pid")?;
        let tp_udhi = reader.u8("tp_udhi")?;
        let msg_fmt = reader.u8("msg_fmt")?;
        let msg_src = reader.fixed("msg_src", MSG_SRC_SIZE)?;
        let fee_type = reader.fixed("fee_type", FEE_TYPE_SIZE)?;
        let fee_code = reader.fixed("fee_code", FEE_CODE_SIZE)?;
        let valid_time = reader.fixed("valid_time", TIME_SIZE)?;
        let at_time = reader.fixed("at_time", TIME_SIZE)?;
        let src_id = reader.fixed("src_id", SRC_ID_SIZE)?;
        let dest_terminal_id =
            reader.terminal_ids("dest_usr_tl", "dest_terminal_id", terminal_id_size)?;
        let dest_terminal_type = match version {
            CmppVersion::V2_0 => 0,
            CmppVersion::V3_0 => reader.u8("dest_terminal_type")?,
        };
        let msg_content = reader.msg_content(trailer_size(version))?;
        let msg_length_max = Submit::msg_length_max(msg_fmt);
        if msg_content.len() > usize::from(msg_length_max) {
            return Err(DecodeError::MsgLengthOverMax {
                msg_fmt,
                // msg_content() read at most 255 octets (its length came from one octet).
                msg_length: msg_content.len() as u8,
                max: msg_length_max,
            });
        }
        let (reserve, link_id) = match version {
            CmppVersion::V2_0 => (reader.fixed("reserve", RESERVE_SIZE)?, Octets::EMPTY),
            CmppVersion::V3_0 => (Octets::EMPTY, reader.fixed("link_id", LINK_ID_SIZE)?),
        };
        reader.finish(CommandId::CMPP_SUBMIT)?;
        Ok(Submit {
            msg_id,
            pk_total,
            pk_number,
            registered_delivery,
            msg_level,
            service_id,
            fee_usertype,
            fee_terminal_id,
            fee_terminal_type,
            tp_pid,
            tp_udhi,
            msg_fmt,
            msg_src,
            fee_type,
            fee_code,
            valid_time,
            at_time,
            src_id,
            dest_terminal_id,
            dest_terminal_type,
            msg_content: Octets::borrowed(msg_content),
            reserve,
            link_id,
        })
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let terminal_id_size = version.terminal_id_size();
        check_pk_encode(self.pk_total, self.pk_number)?;
        self.check_version_fields(version)?;
        put_u64(out, self.msg_id);
        put_u8(out, self.pk_total);
        put_u8(out, self.pk_number);
        put_u8(out, self.registered_delivery);
        put_u8(out, self.msg_level);
        put_fixed(out, "service_id", &self.service_id, SERVICE_ID_SIZE)?;
        put_u8(out, self.fee_usertype);
        put_fixed(
            out,
            "fee_terminal_id",
            &self.fee_terminal_id,
            terminal_id_size,
        )?;
        if version == CmppVersion::V3_0 {
            put_u8(out, self.fee_terminal_type);
        }
        put_u8(out, self.tp_pid);
        put_u8(out, self.tp_udhi);
        put_u8(out, self.msg_fmt);
        put_fixed(out, "msg_src", &self.msg_src, MSG_SRC_SIZE)?;
        put_fixed(out, "fee_type", &self.fee_type, FEE_TYPE_SIZE)?;
        put_fixed(out, "fee_code", &self.fee_code, FEE_CODE_SIZE)?;
        put_fixed(out, "valid_time", &self.valid_time, TIME_SIZE)?;
        put_fixed(out, "at_time", &self.at_time, TIME_SIZE)?;
        put_fixed(out, "src_id", &self.src_id, SRC_ID_SIZE)?;
        put_terminal_ids(
            out,
            "dest_terminal_id",
            &self.dest_terminal_id,
            terminal_id_size,
        )?;
        if version == CmppVersion::V3_0 {
            put_u8(out, self.dest_terminal_type);
        }
        put_msg_content(out, &self.msg_content, Submit::msg_length_max(self.msg_fmt))?;
        match version {
            CmppVersion::V2_0 => put_fixed(out, "reserve", &self.reserve, RESERVE_SIZE),
            CmppVersion::V3_0 => put_fixed(out, "link_id", &self.link_id, LINK_ID_SIZE),
        }
    }

    /// Copies the borrowed fields.
    pub fn into_owned(self) -> Submit<'static> {
        Submit {
            msg_id: self.msg_id,
            pk_total: self.pk_total,
            pk_number: self.pk_number,
            registered_delivery: self.registered_delivery,
            msg_level: self.msg_level,
            service_id: self.service_id.into_owned(),
            fee_usertype: self.fee_usertype,
            fee_terminal_id: self.fee_terminal_id.into_owned(),
            fee_terminal_type: self.fee_terminal_type,
            tp_pid: self.tp_pid,
            tp_udhi: self.tp_udhi,
            msg_fmt: self.msg_fmt,
            msg_src: self.msg_src.into_owned(),
            fee_type: self.fee_type.into_owned(),
            fee_code: self.fee_code.into_owned(),
            valid_time: self.valid_time.into_owned(),
            at_time: self.at_time.into_owned(),
            src_id: self.src_id.into_owned(),
            dest_terminal_id: self.dest_terminal_id.into_owned(),
            dest_terminal_type: self.dest_terminal_type,
            msg_content: self.msg_content.into_owned(),
            reserve: self.reserve.into_owned(),
            link_id: self.link_id.into_owned(),
        }
    }

    /// Refuses a set field that `version` does not carry.
    fn check_version_fields(&self, version: CmppVersion) -> Result<(), EncodeError> {
        match version {
            CmppVersion::V2_0 => {
                require_absent("fee_terminal_type", self.fee_terminal_type == 0, version)?;
                require_absent("dest_terminal_type", self.dest_terminal_type == 0, version)?;
                require_absent("link_id", self.link_id.is_empty(), version)
            }
            CmppVersion::V3_0 => require_absent("reserve", self.reserve.is_empty(), version),
        }
    }
}

impl SubmitResp {
    /// Decodes a SUBMIT_RESP body in `version`'s layout.
    pub fn decode(body: &[u8], version: CmppVersion) -> Result<SubmitResp, DecodeError> {
        let mut reader = Reader::new(body);
        let resp = SubmitResp {
            msg_id: reader.u64("msg_id")?,
            result: SubmitResult(reader.status("result", version)?),
        };
        reader.finish(CommandId::CMPP_SUBMIT_RESP)?;
        Ok(resp)
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u64(out, self.msg_id);
        put_status(out, "result", self.result.0, version)
    }
}

/// Octets after Msg_Content: Reserve in 2.0, LinkID in 3.0.
const fn trailer_size(version: CmppVersion) -> usize {
    match version {
        CmppVersion::V2_0 => RESERVE_SIZE,
        CmppVersion::V3_0 => LINK_ID_SIZE,
    }
}

const SERVICE_ID_SIZE: usize = 10;
const MSG_SRC_SIZE: usize = 6;
const FEE_TYPE_SIZE: usize = 2;
const FEE_CODE_SIZE: usize = 6;
const TIME_SIZE: usize = 17;
const SRC_ID_SIZE: usize = 21;
const RESERVE_SIZE: usize = 8;
const LINK_ID_SIZE: usize = 20;

/// Body of a 3.0 SUBMIT without destinations and content: the largest fixed part.
const SUBMIT_V3_FIXED_SIZE: usize = 8
    + 4
    + SERVICE_ID_SIZE
    + 1
    + 32
    + 1
    + 3
    + MSG_SRC_SIZE
    + FEE_TYPE_SIZE
    + FEE_CODE_SIZE
    + 2 * TIME_SIZE
    + SRC_ID_SIZE
    + 1
    + 1
    + 1
    + LINK_ID_SIZE;

// The largest SUBMIT (3.0, DEST_USR_TL_MAX destinations, 255 octets of content) fits a frame,
// so `encode` can assert instead of failing.
const _: () = assert!(SUBMIT_V3_FIXED_SIZE == 151);
const _: () = assert!(
    HEADER_SIZE + SUBMIT_V3_FIXED_SIZE + 32 * DEST_USR_TL_MAX as usize + 255
        <= CMPP_PDU_SIZE_MAX as usize
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing::{check_vector, concat, frame, pad};
    use crate::cmpp::{Pdu, decode};

    fn example<'a>(dests: &'a [Octets<'a>]) -> Submit<'a> {
        Submit {
            msg_id: 0,
            pk_total: 1,
            pk_number: 1,
            registered_delivery: 1,
            msg_level: 1,
            service_id: b"MTEST".into(),
            fee_usertype: 2,
            fee_terminal_id: Octets::EMPTY,
            fee_terminal_type: 0,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: 8,
            msg_src: b"901234".into(),
            fee_type: b"02".into(),
            fee_code: b"10".into(),
            valid_time: Octets::EMPTY,
            at_time: Octets::EMPTY,
            src_id: b"10690001".into(),
            dest_terminal_id: TerminalIds::from_slice(dests),
            dest_terminal_type: 0,
            msg_content: (&[0x4F, 0x60, 0x59, 0x7D]).into(),
            reserve: Octets::EMPTY,
            link_id: Octets::EMPTY,
        }
    }

    // Proves the 2.0 SUBMIT layout byte for byte: 21-octet Fee_terminal_Id and destinations, no
    // type octets, Reserve (8) at the end.
    #[test]
    fn submit_vector_v2() {
        let dests = [Octets::from("13800138000"), Octets::from("13900139000")];
        let frame = concat(&[
            &[0, 0, 0, 0xB8],          // Total_Length = 12 + 126 + 2*21 + 4 = 184
            &[0, 0, 0, 4],             // Command_Id = CMPP_SUBMIT
            &[0, 0, 0, 0x2A],          // Sequence_Id = 42
            &[0; 8],                   // Msg_Id = 0
            &[1],                      // Pk_total = 1
            &[1],                      // Pk_number = 1
            &[1],                      // Registered_Delivery = 1
            &[1],                      // Msg_level = 1
            &pad(b"MTEST", 10),        // Service_Id (10)
            &[2],                      // Fee_UserType = 2, charge the SP
            &[0; 21],                  // Fee_terminal_Id (21), empty
            &[0],                      // TP_pId
            &[0],                      // TP_udhi
            &[8],                      // Msg_Fmt = 8, UCS2
            b"901234",                 // Msg_src (6)
            b"02",                     // FeeType (2)
            &pad(b"10", 6),            // FeeCode (6)
            &[0; 17],                  // ValId_Time (17), empty
            &[0; 17],                  // At_Time (17), empty
            &pad(b"10690001", 21),     // Src_Id (21)
            &[2],                      // DestUsr_tl = 2
            &pad(b"13800138000", 21),  // Dest_terminal_Id[0] (21)
            &pad(b"13900139000", 21),  // Dest_terminal_Id[1] (21)
            &[4],                      // Msg_Length = 4
            &[0x4F, 0x60, 0x59, 0x7D], // Msg_Content, UCS2 "你好"
            &[0; 8],                   // Reserve (8)
        ]);
        check_vector(CmppVersion::V2_0, &frame, 42, &Pdu::Submit(example(&dests)));
    }

    // Proves the 3.0 SUBMIT layout byte for byte: 32-octet Fee_terminal_Id plus
    // Fee_terminal_type, 32-octet destinations plus one Dest_terminal_type, LinkID (20) at the
    // end.
    #[test]
    fn submit_vector_v3() {
        let dests = [Octets::from("13800138000")];
        let submit = Submit {
            fee_usertype: 3,
            fee_terminal_id: b"13700137000".into(),
            fee_terminal_type: 1,
            dest_terminal_type: 1,
            link_id: b"LINK0001".into(),
            ..example(&dests)
        };
        let frame = concat(&[
            &[0, 0, 0, 0xC7],          // Total_Length = 12 + 151 + 32 + 4 = 199
            &[0, 0, 0, 4],             // Command_Id = CMPP_SUBMIT
            &[0, 0, 0, 0x2A],          // Sequence_Id = 42
            &[0; 8],                   // Msg_Id = 0
            &[1],                      // Pk_total = 1
            &[1],                      // Pk_number = 1
            &[1],                      // Registered_Delivery = 1
            &[1],                      // Msg_level = 1
            &pad(b"MTEST", 10),        // Service_Id (10)
            &[3],                      // Fee_UserType = 3, see Fee_terminal_Id
            &pad(b"13700137000", 32),  // Fee_terminal_Id (32)
            &[1],                      // Fee_terminal_type = 1, pseudo
            &[0],                      // TP_pId
            &[0],                      // TP_udhi
            &[8],                      // Msg_Fmt = 8, UCS2
            b"901234",                 // Msg_src (6)
            b"02",                     // FeeType (2)
            &pad(b"10", 6),            // FeeCode (6)
            &[0; 17],                  // ValId_Time (17), empty
            &[0; 17],                  // At_Time (17), empty
            &pad(b"10690001", 21),     // Src_Id (21)
            &[1],                      // DestUsr_tl = 1
            &pad(b"13800138000", 32),  // Dest_terminal_Id[0] (32)
            &[1],                      // Dest_terminal_type = 1, pseudo
            &[4],                      // Msg_Length = 4
            &[0x4F, 0x60, 0x59, 0x7D], // Msg_Content, UCS2 "你好"
            &pad(b"LINK0001", 20),     // LinkID (20)
        ]);
        check_vector(CmppVersion::V3_0, &frame, 42, &Pdu::Submit(submit));
    }

    // Proves SUBMIT_RESP's Result is 1 octet in 2.0 and 4 in 3.0, and that a vendor code
    // survives.
    #[test]
    fn submit_resp_vectors_both_versions() {
        let v2 = concat(&[
            &[0, 0, 0, 21],                                    // Total_Length = 12 + 8 + 1
            &[0x80, 0, 0, 4],                                  // Command_Id = CMPP_SUBMIT_RESP
            &[0, 0, 0, 0x2A],                                  // Sequence_Id = 42
            &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], // Msg_Id
            &[8],                                              // Result (1) = 8, flow control
        ]);
        let v3 = concat(&[
            &[0, 0, 0, 24],                                    // Total_Length = 12 + 8 + 4
            &[0x80, 0, 0, 4],                                  // Command_Id = CMPP_SUBMIT_RESP
            &[0, 0, 0, 0x2A],                                  // Sequence_Id = 42
            &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], // Msg_Id
            &[0, 0, 0, 150],                                   // Result (4) = 150, vendor code
        ]);
        let resp = |result| {
            Pdu::SubmitResp(SubmitResp {
                msg_id: 0x1122_3344_5566_7788,
                result,
            })
        };
        check_vector(
            CmppVersion::V2_0,
            &v2,
            42,
            &resp(SubmitResult::FLOW_CONTROL_ERROR),
        );
        check_vector(CmppVersion::V3_0, &v3, 42, &resp(SubmitResult(150)));
    }

    /// Encodes `submit` as a 3.0 body, edits one octet at `offset`, and decodes it.
    fn decode_edited(submit: &Submit<'_>, offset: usize, value: u8) -> Result<(), DecodeError> {
        let mut body = Vec::new();
        submit.encode(CmppVersion::V3_0, &mut body).unwrap();
        body[offset] = value;
        let frame = frame(CommandId::CMPP_SUBMIT, 1, &body);
        decode(&frame, CmppVersion::V3_0).map(|_| ())
    }

    // Proves the structural rules are typed decode errors: Pk_number over Pk_total or zero,
    // DestUsr_tl zero or over 100, Msg_Length disagreeing with Total_Length, content over the
    // Msg_Fmt maximum, a short body, and trailing octets.
    #[test]
    fn submit_decode_rejects_structural_errors() {
        let dests = [Octets::from("13800138000")];
        let submit = example(&dests);
        // Offsets in a 3.0 body: Pk_total 8, Pk_number 9, DestUsr_tl 128, Msg_Length 162.
        assert_eq!(
            decode_edited(&submit, 9, 2),
            Err(DecodeError::PkNumberInvalid {
                pk_total: 1,
                pk_number: 2
            })
        );
        assert_eq!(
            decode_edited(&submit, 9, 0),
            Err(DecodeError::PkNumberInvalid {
                pk_total: 1,
                pk_number: 0
            })
        );
        assert_eq!(
            decode_edited(&submit, 128, 0),
            Err(DecodeError::DestUsrTlInvalid { got: 0, max: 100 })
        );
        assert_eq!(
            decode_edited(&submit, 128, 101),
            Err(DecodeError::DestUsrTlInvalid { got: 101, max: 100 })
        );
        // DestUsr_tl 2 asks for 64 octets of numbers; the body has fewer after them.
        assert_eq!(
            decode_edited(&submit, 128, 2),
            Err(DecodeError::FieldTruncated {
                field: "dest_terminal_id"
            })
        );
        assert_eq!(
            decode_edited(&submit, 162, 5),
            Err(DecodeError::MsgLengthMismatch {
                msg_length: 5,
                content_size: 4
            })
        );
        assert_eq!(
            decode_edited(&submit, 162, 3),
            Err(DecodeError::MsgLengthMismatch {
                msg_length: 3,
                content_size: 4
            })
        );
        let mut body = Vec::new();
        submit.encode(CmppVersion::V3_0, &mut body).unwrap();
        assert_eq!(
            Submit::decode(&body[..100], CmppVersion::V3_0),
            Err(DecodeError::FieldTruncated { field: "at_time" })
        );
        // A 3.0 body read as 2.0 is misaligned from Fee_terminal_Id on; it must fail, not pass.
        assert!(Submit::decode(&body, CmppVersion::V2_0).is_err());
        let long = [7u8; 141];
        let over = Submit {
            msg_content: (&long[..]).into(),
            ..example(&dests)
        };
        let mut body = Vec::new();
        assert_eq!(
            over.encode(CmppVersion::V3_0, &mut body),
            Err(EncodeError::MsgContentTooLong {
                size: 141,
                max: 140
            })
        );
        body.clear();
        Submit { msg_fmt: 0, ..over }
            .encode(CmppVersion::V3_0, &mut body)
            .unwrap();
        body[58] = 8; // Msg_Fmt (offset 58 in a 3.0 body) back to UCS2, with 141 octets
        assert!(matches!(
            Submit::decode(&body, CmppVersion::V3_0),
            Err(DecodeError::MsgLengthOverMax {
                msg_fmt: 8,
                msg_length: 141,
                max: 140
            })
        ));
    }

    // Proves the encoder refuses what the decoder would reject or what the version cannot
    // carry: no destinations, 101 destinations, a 3.0 field in 2.0, a 2.0 field in 3.0, an
    // overlong number.
    #[test]
    fn submit_encode_refuses_invalid_values() {
        let dests = [Octets::from("13800138000")];
        let mut out = Vec::new();
        let none = Submit {
            dest_terminal_id: TerminalIds::default(),
            ..example(&dests)
        };
        assert_eq!(
            none.encode(CmppVersion::V3_0, &mut out),
            Err(EncodeError::DestUsrTlInvalid { count: 0, max: 100 })
        );
        let many: Vec<Octets<'_>> = (0..101).map(|_| Octets::from("1")).collect();
        let too_many = Submit {
            dest_terminal_id: TerminalIds::from_slice(&many),
            ..example(&dests)
        };
        assert_eq!(
            too_many.encode(CmppVersion::V3_0, &mut out),
            Err(EncodeError::DestUsrTlInvalid {
                count: 101,
                max: 100
            })
        );
        let link = Submit {
            link_id: b"L".into(),
            ..example(&dests)
        };
        assert_eq!(
            link.encode(CmppVersion::V2_0, &mut out),
            Err(EncodeError::FieldNotInVersion {
                field: "link_id",
                version: CmppVersion::V2_0
            })
        );
        let reserve = Submit {
            reserve: b"R".into(),
            ..example(&dests)
        };
        assert_eq!(
            reserve.encode(CmppVersion::V3_0, &mut out),
            Err(EncodeError::FieldNotInVersion {
                field: "reserve",
                version: CmppVersion::V3_0
            })
        );
        let long_number = [Octets::from(&[b'1'; 22])];
        let long = Submit {
            dest_terminal_id: TerminalIds::from_slice(&long_number),
            ..example(&dests)
        };
        assert!(long.encode(CmppVersion::V3_0, &mut Vec::new()).is_ok());
        assert_eq!(
            long.encode(CmppVersion::V2_0, &mut out),
            Err(EncodeError::FieldTooLong {
                field: "dest_terminal_id",
                size: 22,
                max: 21
            })
        );
        let pk = Submit {
            pk_total: 2,
            pk_number: 3,
            ..example(&dests)
        };
        assert_eq!(
            pk.encode(CmppVersion::V3_0, &mut out),
            Err(EncodeError::PkNumberInvalid {
                pk_total: 2,
                pk_number: 3
            })
        );
    }
}
