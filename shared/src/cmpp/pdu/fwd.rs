// HOT PATH: gateway-to-gateway traffic is decoded here. Banned here: allocation on the decode
// side, blocking I/O, locks, per-PDU logging.
//! CMPP_FWD and CMPP_FWD_RESP between ISMGs (CMPP V3.0 §8.5.4; 2.0 §7.5.4).
//!
//! Unlike SUBMIT and DELIVER, FWD keeps 21-octet numbers in 3.0 and adds pseudo numbers and user
//! types beside them (V3.0.0 changes 8 to 14):
//! - 3.0 adds Fee_terminal_Pseudo (32) and Fee_terminal_UserType (1) after Fee_terminal_Id;
//!   Src_Pseudo (32), Src_UserType (1) and Src_type (1) after Src_Id; Dest_Pseudo (32) and
//!   Dest_UserType (1) after Dest_Id.
//! - 2.0 ends with Reserve (8); 3.0 ends with LinkID (20).
//! - FWD_RESP Result is 1 octet in 2.0, 4 in 3.0.
//!
//! DestUsr_tl "必须为1" (must be 1), so a FWD has exactly one Dest_Id; any other value is
//! [`DecodeError::DestUsrTlInvalid`]. Msg_Content is kept raw: for Msg_Fwd_Type 2 it holds a
//! [`super::StatusReport`], for 3 the MO report of §8.5.4.1 note 1.

use crate::cmpp::octets::Octets;
use crate::cmpp::wire::{
    Reader, check_pk, check_pk_encode, put_fixed, put_msg_content, put_status, put_u8, put_u64,
    require_absent,
};
use crate::cmpp::{CmppVersion, CommandId, DecodeError, EncodeError, FwdResult};

/// CMPP_FWD: one ISMG forwards an MT, MO or status report to another.
///
/// Fields marked "3.0" or "2.0" exist in that version only; they decode as 0 or empty in the
/// other, and encoding refuses them when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fwd<'a> {
    /// Source_Id (6): the sending ISMG's code.
    pub source_id: Octets<'a>,
    /// Destination_Id (6): the receiving ISMG's code.
    pub destination_id: Octets<'a>,
    /// NodesCount (1): gateways passed.
    pub nodes_count: u8,
    /// Msg_Fwd_Type (1): 0 MT, 1 MO, 2 MT status report, 3 MO status report.
    pub msg_fwd_type: u8,
    /// Msg_Id (8).
    pub msg_id: u64,
    /// Pk_total (1), from 1.
    pub pk_total: u8,
    /// Pk_number (1), from 1.
    pub pk_number: u8,
    /// Registered_Delivery (1).
    pub registered_delivery: u8,
    /// Msg_level (1).
    pub msg_level: u8,
    /// Service_Id (10).
    pub service_id: Octets<'a>,
    /// Fee_UserType (1).
    pub fee_usertype: u8,
    /// Fee_terminal_Id (21 in both versions).
    pub fee_terminal_id: Octets<'a>,
    /// Fee_terminal_Pseudo (32, 3.0).
    pub fee_terminal_pseudo: Octets<'a>,
    /// Fee_terminal_UserType (1, 3.0): 0 GoTone, 1 Shenzhouxing.
    pub fee_terminal_usertype: u8,
    /// TP_pid (1).
    pub tp_pid: u8,
    /// TP_udhi (1).
    pub tp_udhi: u8,
    /// Msg_Fmt (1).
    pub msg_fmt: u8,
    /// Msg_src (6).
    pub msg_src: Octets<'a>,
    /// FeeType (2).
    pub fee_type: Octets<'a>,
    /// FeeCode (6).
    pub fee_code: Octets<'a>,
    /// Valid_Time (17).
    pub valid_time: Octets<'a>,
    /// At_Time (17).
    pub at_time: Octets<'a>,
    /// Src_Id (21).
    pub src_id: Octets<'a>,
    /// Src_Pseudo (32, 3.0).
    pub src_pseudo: Octets<'a>,
    /// Src_UserType (1, 3.0).
    pub src_usertype: u8,
    /// Src_type (1, 3.0): 0 real number, 1 pseudo number passed to the SP.
    pub src_type: u8,
    /// Dest_Id (21); DestUsr_tl is always 1.
    pub dest_id: Octets<'a>,
    /// Dest_Pseudo (32, 3.0).
    pub dest_pseudo: Octets<'a>,
    /// Dest_UserType (1, 3.0).
    pub dest_usertype: u8,
    /// Msg_Content (Msg_Length octets).
    pub msg_content: Octets<'a>,
    /// Reserve (8, 2.0).
    pub reserve: Octets<'a>,
    /// LinkID (20, 3.0).
    pub link_id: Octets<'a>,
}

/// CMPP_FWD_RESP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FwdResp {
    /// Msg_Id (8): the FWD's Msg_Id.
    pub msg_id: u64,
    /// Pk_total (1): the FWD's Pk_total.
    pub pk_total: u8,
    /// Pk_number (1): the FWD's Pk_number.
    pub pk_number: u8,
    /// Result (1 octet in 2.0, 4 in 3.0).
    pub result: FwdResult,
}

impl Default for Fwd<'_> {
    /// A single-part FWD (Pk_total = Pk_number = 1) with every other field zero or empty.
    fn default() -> Self {
        Fwd {
            source_id: Octets::default(),
            destination_id: Octets::default(),
            nodes_count: 0,
            msg_fwd_type: 0,
            msg_id: 0,
            pk_total: 1,
            pk_number: 1,
            registered_delivery: 0,
            msg_level: 0,
            service_id: Octets::default(),
            fee_usertype: 0,
            fee_terminal_id: Octets::default(),
            fee_terminal_pseudo: Octets::default(),
            fee_terminal_usertype: 0,
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: 0,
            msg_src: Octets::default(),
            fee_type: Octets::default(),
            fee_code: Octets::default(),
            valid_time: Octets::default(),
            at_time: Octets::default(),
            src_id: Octets::default(),
            src_pseudo: Octets::default(),
            src_usertype: 0,
            src_type: 0,
            dest_id: Octets::default(),
            dest_pseudo: Octets::default(),
            dest_usertype: 0,
            msg_content: Octets::default(),
            reserve: Octets::default(),
            link_id: Octets::default(),
        }
    }
}

impl<'a> Fwd<'a> {
    /// Decodes a FWD body in `version`'s layout.
    pub fn decode(body: &'a [u8], version: CmppVersion) -> Result<Fwd<'a>, DecodeError> {
        let v3 = version == CmppVersion::V3_0;
        let mut reader = Reader::new(body);
        let mut fwd = Fwd {
            source_id: reader.fixed("source_id", ISMG_ID_SIZE)?,
            destination_id: reader.fixed("destination_id", ISMG_ID_SIZE)?,
            nodes_count: reader.u8("nodes_count")?,
            msg_fwd_type: reader.u8("msg_fwd_type")?,
            msg_id: reader.u64("msg_id")?,
            pk_total: reader.u8("pk_total")?,
            pk_number: reader.u8("pk_number")?,
            ..Fwd::default()
        };
        check_pk(fwd.pk_total, fwd.pk_number)?;
        fwd.registered_delivery = reader.u8("registered_delivery")?;
        fwd.msg_level = reader.u8("msg_level")?;
        fwd.service_id = reader.fixed("service_id", SERVICE_ID_SIZE)?;
        fwd.fee_usertype = reader.u8("fee_usertype")?;
        fwd.fee_terminal_id = reader.fixed("fee_terminal_id", NUMBER_SIZE)?;
        if v3 {
            fwd.fee_terminal_pseudo = reader.fixed("fee_terminal_pseudo", PSEUDO_SIZE)?;
            fwd.fee_terminal_usertype = reader.u8("fee_terminal_usertype")?;
        }
        fwd.tp_pid = reader.u8("tp_pid")?;
        fwd.tp_udhi = reader.u8("tp_udhi")?;
        fwd.msg_fmt = reader.u8("msg_fmt")?;
        fwd.msg_src = reader.fixed("msg_src", MSG_SRC_SIZE)?;
        fwd.fee_type = reader.fixed("fee_type", FEE_TYPE_SIZE)?;
        fwd.fee_code = reader.fixed("fee_code", FEE_CODE_SIZE)?;
        fwd.valid_time = reader.fixed("valid_time", TIME_SIZE)?;
        fwd.at_time = reader.fixed("at_time", TIME_SIZE)?;
        fwd.src_id = reader.fixed("src_id", NUMBER_SIZE)?;
        if v3 {
            fwd.src_pseudo = reader.fixed("src_pseudo", PSEUDO_SIZE)?;
            fwd.src_usertype = reader.u8("src_usertype")?;
            fwd.src_type = reader.u8("src_type")?;
        }
        let dest_usr_tl = reader.u8("dest_usr_tl")?;
        if dest_usr_tl != 1 {
            return Err(DecodeError::DestUsrTlInvalid {
                got: dest_usr_tl,
                max: 1,
            });
        }
        fwd.dest_id = reader.fixed("dest_id", NUMBER_SIZE)?;
        if v3 {
            fwd.dest_pseudo = reader.fixed("dest_pseudo", PSEUDO_SIZE)?;
            fwd.dest_usertype = reader.u8("dest_usertype")?;
        }
        fwd.msg_content = Octets::borrowed(reader.msg_content(trailer_size(version))?);
        match version {
            CmppVersion::V2_0 => fwd.reserve = reader.fixed("reserve", RESERVE_SIZE)?,
            CmppVersion::V3_0 => fwd.link_id = reader.fixed("link_id", LINK_ID_SIZE)?,
        }
        reader.finish(CommandId::CMPP_FWD)?;
        Ok(fwd)
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let v3 = version == CmppVersion::V3_0;
        check_pk_encode(self.pk_total, self.pk_number)?;
        self.check_version_fields(version)?;
        put_fixed(out, "source_id", &self.source_id, ISMG_ID_SIZE)?;
        put_fixed(out, "destination_id", &self.destination_id, ISMG_ID_SIZE)?;
        put_u8(out, self.nodes_count);
        put_u8(out, self.msg_fwd_type);
        put_u64(out, self.msg_id);
        put_u8(out, self.pk_total);
        put_u8(out, self.pk_number);
        put_u8(out, self.registered_delivery);
        put_u8(out, self.msg_level);
        put_fixed(out, "service_id", &self.service_id, SERVICE_ID_SIZE)?;
        put_u8(out, self.fee_usertype);
        put_fixed(out, "fee_terminal_id", &self.fee_terminal_id, NUMBER_SIZE)?;
        if v3 {
            put_fixed(
                out,
                "fee_terminal_pseudo",
                &self.fee_terminal_pseudo,
                PSEUDO_SIZE,
            )?;
            put_u8(out, self.fee_terminal_usertype);
        }
        put_u8(out, self.tp_pid);
        put_u8(out, self.tp_udhi);
        put_u8(out, self.msg_fmt);
        put_fixed(out, "msg_src", &self.msg_src, MSG_SRC_SIZE)?;
        put_fixed(out, "fee_type", &self.fee_type, FEE_TYPE_SIZE)?;
        put_fixed(out, "fee_code", &self.fee_code, FEE_CODE_SIZE)?;
        put_fixed(out, "valid_time", &self.valid_time, TIME_SIZE)?;
        put_fixed(out, "at_time", &self.at_time, TIME_SIZE)?;
        put_fixed(out, "src_id", &self.src_id, NUMBER_SIZE)?;
        if v3 {
            put_fixed(out, "src_pseudo", &self.src_pseudo, PSEUDO_SIZE)?;
            put_u8(out, self.src_usertype);
            put_u8(out, self.src_type);
        }
        put_u8(out, 1);
        put_fixed(out, "dest_id", &self.dest_id, NUMBER_SIZE)?;
        if v3 {
            put_fixed(out, "dest_pseudo", &self.dest_pseudo, PSEUDO_SIZE)?;
            put_u8(out, self.dest_usertype);
        }
        put_msg_content(out, &self.msg_content, u8::MAX)?;
        match version {
            CmppVersion::V2_0 => put_fixed(out, "reserve", &self.reserve, RESERVE_SIZE),
            CmppVersion::V3_0 => put_fixed(out, "link_id", &self.link_id, LINK_ID_SIZE),
        }
    }

    /// Copies the borrowed fields.
    pub fn into_owned(self) -> Fwd<'static> {
        Fwd {
            source_id: self.source_id.into_owned(),
            destination_id: self.destination_id.into_owned(),
            nodes_count: self.nodes_count,
            msg_fwd_type: self.msg_fwd_type,
            msg_id: self.msg_id,
            pk_total: self.pk_total,
            pk_number: self.pk_number,
            registered_delivery: self.registered_delivery,
            msg_level: self.msg_level,
            service_id: self.service_id.into_owned(),
            fee_usertype: self.fee_usertype,
            fee_terminal_id: self.fee_terminal_id.into_owned(),
            fee_terminal_pseudo: self.fee_terminal_pseudo.into_owned(),
            fee_terminal_usertype: self.fee_terminal_usertype,
            tp_pid: self.tp_pid,
            tp_udhi: self.tp_udhi,
            msg_fmt: self.msg_fmt,
            msg_src: self.msg_src.into_owned(),
            fee_type: self.fee_type.into_owned(),
            fee_code: self.fee_code.into_owned(),
            valid_time: self.valid_time.into_owned(),
            at_time: self.at_time.into_owned(),
            src_id: self.src_id.into_owned(),
            src_pseudo: self.src_pseudo.into_owned(),
            src_usertype: self.src_usertype,
            src_type: self.src_type,
            dest_id: self.dest_id.into_owned(),
            dest_pseudo: self.dest_pseudo.into_owned(),
            dest_usertype: self.dest_usertype,
            msg_content: self.msg_content.into_owned(),
            reserve: self.reserve.into_owned(),
            link_id: self.link_id.into_owned(),
        }
    }

    /// Refuses a set field that `version` does not carry.
    fn check_version_fields(&self, version: CmppVersion) -> Result<(), EncodeError> {
        match version {
            CmppVersion::V2_0 => {
                let absent = [
                    ("fee_terminal_pseudo", self.fee_terminal_pseudo.is_empty()),
                    ("fee_terminal_usertype", self.fee_terminal_usertype == 0),
                    ("src_pseudo", self.src_pseudo.is_empty()),
                    ("src_usertype", self.src_usertype == 0),
                    ("src_type", self.src_type == 0),
                    ("dest_pseudo", self.dest_pseudo.is_empty()),
                    ("dest_usertype", self.dest_usertype == 0),
                    ("link_id", self.link_id.is_empty()),
                ];
                for (field, is_absent) in absent {
                    require_absent(field, is_absent, version)?;
                }
                Ok(())
            }
            CmppVersion::V3_0 => require_absent("reserve", self.reserve.is_empty(), version),
        }
    }
}

impl FwdResp {
    /// Decodes a FWD_RESP body in `version`'s layout.
    pub fn decode(body: &[u8], version: CmppVersion) -> Result<FwdResp, DecodeError> {
        let mut reader = Reader::new(body);
        let resp = FwdResp {
            msg_id: reader.u64("msg_id")?,
            pk_total: reader.u8("pk_total")?,
            pk_number: reader.u8("pk_number")?,
            result: FwdResult(reader.status("result", version)?),
        };
        reader.finish(CommandId::CMPP_FWD_RESP)?;
        Ok(resp)
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u64(out, self.msg_id);
        put_u8(out, self.pk_total);
        put_u8(out, self.pk_number);
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

const ISMG_ID_SIZE: usize = 6;
const SERVICE_ID_SIZE: usize = 10;
const NUMBER_SIZE: usize = 21;
const PSEUDO_SIZE: usize = 32;
const MSG_SRC_SIZE: usize = 6;
const FEE_TYPE_SIZE: usize = 2;
const FEE_CODE_SIZE: usize = 6;
const TIME_SIZE: usize = 17;
const RESERVE_SIZE: usize = 8;
const LINK_ID_SIZE: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing::{check_vector, concat, frame, pad};
    use crate::cmpp::{Pdu, decode};

    fn example<'a>() -> Fwd<'a> {
        Fwd {
            source_id: b"079101".into(),
            destination_id: b"001001".into(),
            nodes_count: 1,
            msg_fwd_type: 0,
            msg_id: 0x0102_0304_0506_0708,
            pk_total: 2,
            pk_number: 1,
            registered_delivery: 1,
            msg_level: 3,
            service_id: b"MTEST".into(),
            fee_usertype: 0,
            fee_terminal_id: b"13800138000".into(),
            tp_pid: 0,
            tp_udhi: 1,
            msg_fmt: 8,
            msg_src: b"901234".into(),
            fee_type: b"01".into(),
            fee_code: b"0".into(),
            src_id: b"10690001".into(),
            dest_id: b"13900139000".into(),
            msg_content: (&[0x05, 0x00, 0x03, 0x2A, 0x02, 0x01]).into(),
            ..Fwd::default()
        }
    }

    /// The fields both layouts share up to Src_Id, with 2.0 widths; `v3_fee` is inserted after
    /// Fee_terminal_Id and `v3_src` after Src_Id.
    fn fwd_frame(total_length: u8, v3_fee: &[u8], v3_src: &[u8], tail: &[u8]) -> Vec<u8> {
        concat(&[
            &[0, 0, 0, total_length],  // Total_Length
            &[0, 0, 0, 9],             // Command_Id = CMPP_FWD
            &[0, 0, 0, 13],            // Sequence_Id = 13
            b"079101",                 // Source_Id (6)
            b"001001",                 // Destination_Id (6)
            &[1],                      // NodesCount = 1
            &[0],                      // Msg_Fwd_Type = 0, MT
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &[2],                      // Pk_total = 2
            &[1],                      // Pk_number = 1
            &[1],                      // Registered_Delivery = 1
            &[3],                      // Msg_level = 3
            &pad(b"MTEST", 10),        // Service_Id (10)
            &[0],                      // Fee_UserType = 0
            &pad(b"13800138000", 21),  // Fee_terminal_Id (21)
            v3_fee,                    // 3.0: Fee_terminal_Pseudo, _UserType
            &[0],                      // TP_pid
            &[1],                      // TP_udhi = 1
            &[8],                      // Msg_Fmt = 8, UCS2
            b"901234",                 // Msg_src (6)
            b"01",                     // FeeType (2)
            &pad(b"0", 6),             // FeeCode (6)
            &[0; 17],                  // Valid_Time (17)
            &[0; 17],                  // At_Time (17)
            &pad(b"10690001", 21),     // Src_Id (21)
            v3_src,                    // 3.0: Src_Pseudo, Src_UserType, Src_type
            tail,                      // DestUsr_tl onwards
        ])
    }

    // Proves the 2.0 FWD layout byte for byte: no pseudo numbers or user types, Reserve (8).
    #[test]
    fn fwd_vector_v2() {
        let tail = concat(&[
            &[1],                                  // DestUsr_tl = 1
            &pad(b"13900139000", 21),              // Dest_Id (21)
            &[6],                                  // Msg_Length = 6
            &[0x05, 0x00, 0x03, 0x2A, 0x02, 0x01], // Msg_Content, a UDH
            &[0; 8],                               // Reserve (8)
        ]);
        // Total_Length = 12 + 161 + 6 = 179.
        let frame = fwd_frame(179, &[], &[], &tail);
        check_vector(CmppVersion::V2_0, &frame, 13, &Pdu::Fwd(example()));
    }

    // Proves the 3.0 FWD layout byte for byte: 21-octet numbers kept, each followed by its
    // 32-octet pseudo number and user type, Src_type after Src_UserType, LinkID (20).
    #[test]
    fn fwd_vector_v3() {
        let fwd = Fwd {
            fee_terminal_pseudo: b"PSEUDO-FEE".into(),
            fee_terminal_usertype: 1,
            src_pseudo: b"PSEUDO-SRC".into(),
            src_usertype: 1,
            src_type: 1,
            dest_pseudo: b"PSEUDO-DEST".into(),
            dest_usertype: 1,
            link_id: b"LINK".into(),
            ..example()
        };
        let v3_fee = concat(&[
            &pad(b"PSEUDO-FEE", 32), // Fee_terminal_Pseudo (32)
            &[1],                    // Fee_terminal_UserType = 1
        ]);
        let v3_src = concat(&[
            &pad(b"PSEUDO-SRC", 32), // Src_Pseudo (32)
            &[1],                    // Src_UserType = 1
            &[1],                    // Src_type = 1, pseudo
        ]);
        let tail = concat(&[
            &[1],                                  // DestUsr_tl = 1
            &pad(b"13900139000", 21),              // Dest_Id (21)
            &pad(b"PSEUDO-DEST", 32),              // Dest_Pseudo (32)
            &[1],                                  // Dest_UserType = 1
            &[6],                                  // Msg_Length = 6
            &[0x05, 0x00, 0x03, 0x2A, 0x02, 0x01], // Msg_Content, a UDH
            &pad(b"LINK", 20),                     // LinkID (20)
        ]);
        // Total_Length = 12 + 273 + 6 = 291 = 0x123; the helper writes the low octet only.
        let mut frame = fwd_frame(0x23, &v3_fee, &v3_src, &tail);
        frame[2] = 0x01;
        check_vector(CmppVersion::V3_0, &frame, 13, &Pdu::Fwd(fwd));
    }

    // Proves FWD_RESP carries Msg_Id, Pk_total, Pk_number and a 1-octet (2.0) or 4-octet (3.0)
    // Result.
    #[test]
    fn fwd_resp_vectors_both_versions() {
        let v2 = concat(&[
            &[0, 0, 0, 23],            // Total_Length = 12 + 11
            &[0x80, 0, 0, 9],          // Command_Id = CMPP_FWD_RESP
            &[0, 0, 0, 13],            // Sequence_Id = 13
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &[2],                      // Pk_total = 2
            &[1],                      // Pk_number = 1
            &[9],                      // Result (1) = 9, wrong route
        ]);
        let v3 = concat(&[
            &[0, 0, 0, 26],            // Total_Length = 12 + 14
            &[0x80, 0, 0, 9],          // Command_Id = CMPP_FWD_RESP
            &[0, 0, 0, 13],            // Sequence_Id = 13
            &[1, 2, 3, 4, 5, 6, 7, 8], // Msg_Id
            &[2],                      // Pk_total = 2
            &[1],                      // Pk_number = 1
            &[0, 0, 0, 9],             // Result (4) = 9, wrong route
        ]);
        let pdu = Pdu::FwdResp(FwdResp {
            msg_id: 0x0102_0304_0506_0708,
            pk_total: 2,
            pk_number: 1,
            result: FwdResult::FWD_ROUTE_ERROR,
        });
        check_vector(CmppVersion::V2_0, &v2, 13, &pdu);
        check_vector(CmppVersion::V3_0, &v3, 13, &pdu);
    }

    // Proves a FWD with DestUsr_tl other than 1 is rejected, and a 3.0 field on a 2.0 FWD is
    // refused on encode.
    #[test]
    fn fwd_requires_one_destination_and_version_fields() {
        let mut body = Vec::new();
        example().encode(CmppVersion::V2_0, &mut body).unwrap();
        // DestUsr_tl sits at offset 130 in a 2.0 body.
        body[130] = 2;
        assert_eq!(
            decode(&frame(CommandId::CMPP_FWD, 1, &body), CmppVersion::V2_0),
            Err(DecodeError::DestUsrTlInvalid { got: 2, max: 1 })
        );
        let pseudo = Fwd {
            dest_pseudo: b"P".into(),
            ..example()
        };
        assert_eq!(
            pseudo.encode(CmppVersion::V2_0, &mut Vec::new()),
            Err(EncodeError::FieldNotInVersion {
                field: "dest_pseudo",
                version: CmppVersion::V2_0
            })
        );
    }
}
