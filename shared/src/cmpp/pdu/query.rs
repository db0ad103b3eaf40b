// HOT PATH: shares the decode rules of the hot PDUs. Banned here: allocation on the decode
// side, blocking I/O, locks, per-PDU logging.
//! CMPP_QUERY and CMPP_QUERY_RESP (CMPP V3.0 §8.4.4; 2.0 §7.4.4): traffic statistics for one
//! day, in total or per Service_Id. The layout is the same in both versions.

use crate::cmpp::octets::Octets;
use crate::cmpp::wire::{Reader, put_fixed, put_u8, put_u32};
use crate::cmpp::{CommandId, DecodeError, EncodeError};

/// CMPP_QUERY: an SP asks for one day's statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query<'a> {
    /// Time (8): YYYYMMDD.
    pub time: Octets<'a>,
    /// Query_Type (1): 0 totals, 1 per Service_Id.
    pub query_type: u8,
    /// Query_Code (10): the Service_Id when Query_Type is 1.
    pub query_code: Octets<'a>,
    /// Reserve (8).
    pub reserve: Octets<'a>,
}

/// CMPP_QUERY_RESP: the statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryResp<'a> {
    /// Time (8): YYYYMMDD.
    pub time: Octets<'a>,
    /// Query_Type (1).
    pub query_type: u8,
    /// Query_Code (10).
    pub query_code: Octets<'a>,
    /// MT_TLMsg (4): messages received from the SP.
    pub mt_tlmsg: u32,
    /// MT_Tlusr (4): users the SP sent to.
    pub mt_tlusr: u32,
    /// MT_Scs (4): forwarded successfully.
    pub mt_scs: u32,
    /// MT_WT (4): waiting to be forwarded.
    pub mt_wt: u32,
    /// MT_FL (4): failed to forward.
    pub mt_fl: u32,
    /// MO_Scs (4): delivered to the SP.
    pub mo_scs: u32,
    /// MO_WT (4): waiting for delivery to the SP.
    pub mo_wt: u32,
    /// MO_FL (4): failed delivery to the SP.
    pub mo_fl: u32,
}

impl<'a> Query<'a> {
    /// Decodes a QUERY body.
    pub fn decode(body: &'a [u8]) -> Result<Query<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let query = Query {
            time: reader.fixed("time", TIME_SIZE)?,
            query_type: reader.u8("query_type")?,
            query_code: reader.fixed("query_code", QUERY_CODE_SIZE)?,
            reserve: reader.fixed("reserve", RESERVE_SIZE)?,
        };
        reader.finish(CommandId::CMPP_QUERY)?;
        Ok(query)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_fixed(out, "time", &self.time, TIME_SIZE)?;
        put_u8(out, self.query_type);
        put_fixed(out, "query_code", &self.query_code, QUERY_CODE_SIZE)?;
        put_fixed(out, "reserve", &self.reserve, RESERVE_SIZE)
    }

    /// Copies the borrowed fields.
    pub fn into_owned(self) -> Query<'static> {
        Query {
            time: self.time.into_owned(),
            query_type: self.query_type,
            query_code: self.query_code.into_owned(),
            reserve: self.reserve.into_owned(),
        }
    }
}

impl<'a> QueryResp<'a> {
    /// Decodes a QUERY_RESP body.
    pub fn decode(body: &'a [u8]) -> Result<QueryResp<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let resp = QueryResp {
            time: reader.fixed("time", TIME_SIZE)?,
            query_type: reader.u8("query_type")?,
            query_code: reader.fixed("query_code", QUERY_CODE_SIZE)?,
            mt_tlmsg: reader.u32("mt_tlmsg")?,
            mt_tlusr: reader.u32("mt_tlusr")?,
            mt_scs: reader.u32("mt_scs")?,
            mt_wt: reader.u32("mt_wt")?,
            mt_fl: reader.u32("mt_fl")?,
            mo_scs: reader.u32("mo_scs")?,
            mo_wt: reader.u32("mo_wt")?,
            mo_fl: reader.u32("mo_fl")?,
        };
        reader.finish(CommandId::CMPP_QUERY_RESP)?;
        Ok(resp)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_fixed(out, "time", &self.time, TIME_SIZE)?;
        put_u8(out, self.query_type);
        put_fixed(out, "query_code", &self.query_code, QUERY_CODE_SIZE)?;
        for counter in [
            self.mt_tlmsg,
            self.mt_tlusr,
            self.mt_scs,
            self.mt_wt,
            self.mt_fl,
            self.mo_scs,
            self.mo_wt,
            self.mo_fl,
        ] {
            put_u32(out, counter);
        }
        Ok(())
    }

    /// Copies the borrowed fields.
    pub fn into_owned(self) -> QueryResp<'static> {
        QueryResp {
            time: self.time.into_owned(),
            query_code: self.query_code.into_owned(),
            query_type: self.query_type,
            mt_tlmsg: self.mt_tlmsg,
            mt_tlusr: self.mt_tlusr,
            mt_scs: self.mt_scs,
            mt_wt: self.mt_wt,
            mt_fl: self.mt_fl,
            mo_scs: self.mo_scs,
            mo_wt: self.mo_wt,
            mo_fl: self.mo_fl,
        }
    }
}

const TIME_SIZE: usize = 8;
const QUERY_CODE_SIZE: usize = 10;
const RESERVE_SIZE: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing::{check_vector, concat, pad};
    use crate::cmpp::{CmppVersion, Pdu};

    // Proves CMPP_QUERY decodes from and encodes to a hand-built frame, the same in both
    // versions.
    #[test]
    fn query_vector_both_versions() {
        let frame = concat(&[
            &[0, 0, 0, 39],     // Total_Length = 12 + 27
            &[0, 0, 0, 6],      // Command_Id = CMPP_QUERY
            &[0, 0, 0, 9],      // Sequence_Id = 9
            b"20240630",        // Time (8)
            &[1],               // Query_Type = 1, per Service_Id
            &pad(b"MTEST", 10), // Query_Code (10)
            &[0; 8],            // Reserve (8)
        ]);
        let pdu = Pdu::Query(Query {
            time: b"20240630".into(),
            query_type: 1,
            query_code: b"MTEST".into(),
            reserve: Octets::EMPTY,
        });
        for version in CmppVersion::ALL {
            check_vector(version, &frame, 9, &pdu);
        }
    }

    // Proves CMPP_QUERY_RESP's eight counters are big-endian u32s in spec order, the same in
    // both versions.
    #[test]
    fn query_resp_vector_both_versions() {
        let frame = concat(&[
            &[0, 0, 0, 63],   // Total_Length = 12 + 51
            &[0x80, 0, 0, 6], // Command_Id = CMPP_QUERY_RESP
            &[0, 0, 0, 9],    // Sequence_Id = 9
            b"20240630",      // Time (8)
            &[0],             // Query_Type = 0, totals
            &[0; 10],         // Query_Code (10), empty
            &[0, 0, 0, 1],    // MT_TLMsg = 1
            &[0, 0, 0, 2],    // MT_Tlusr = 2
            &[0, 0, 0, 3],    // MT_Scs = 3
            &[0, 0, 0, 4],    // MT_WT = 4
            &[0, 0, 0, 5],    // MT_FL = 5
            &[0, 0, 0, 6],    // MO_Scs = 6
            &[0, 0, 0, 7],    // MO_WT = 7
            &[0x01, 0, 0, 8], // MO_FL = 0x01000008
        ]);
        let pdu = Pdu::QueryResp(QueryResp {
            time: b"20240630".into(),
            query_type: 0,
            query_code: Octets::EMPTY,
            mt_tlmsg: 1,
            mt_tlusr: 2,
            mt_scs: 3,
            mt_wt: 4,
            mt_fl: 5,
            mo_scs: 6,
            mo_wt: 7,
            mo_fl: 0x0100_0008,
        });
        for version in CmppVersion::ALL {
            check_vector(version, &frame, 9, &pdu);
        }
    }
}
