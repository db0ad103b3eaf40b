// HOT PATH: every delivery receipt is decoded here. Banned here: allocation, blocking I/O,
// locks, per-PDU logging.
//! The status report carried in a CMPP_DELIVER's Msg_Content when Registered_Delivery is 1
//! (CMPP V3.0 §8.4.5.1, second table; 2.0 §7.4.5.1).
//!
//! Layout: Msg_Id (8), Stat (7), Submit_time (10, YYMMDDHHMM), Done_time (10),
//! Dest_terminal_Id (21 in 2.0, 32 in 3.0: V3.0.0 change 28), SMSC_sequence (4). The report is
//! 60 octets in 2.0 and 71 in 3.0; any other size is [`DecodeError::StatusReportSize`].

use crate::cmpp::octets::Octets;
use crate::cmpp::wire::{Reader, put_fixed, put_u32, put_u64};
use crate::cmpp::{CmppVersion, CommandId, DecodeError, EncodeError};

/// A status report: what happened to a message an SP submitted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusReport<'a> {
    /// Msg_Id (8): the id the ISMG gave the SUBMIT in SUBMIT_RESP.
    pub msg_id: u64,
    /// Stat (7): "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD",
    /// or an error such as "MA:0001" (V3.0 §8.4.5.1, table 1).
    pub stat: Octets<'a>,
    /// Submit_time (10): YYMMDDHHMM.
    pub submit_time: Octets<'a>,
    /// Done_time (10): YYMMDDHHMM.
    pub done_time: Octets<'a>,
    /// Dest_terminal_Id (21 in 2.0, 32 in 3.0): the number the SUBMIT was sent to.
    pub dest_terminal_id: Octets<'a>,
    /// SMSC_sequence (4): the SMSC's message reference.
    pub smsc_sequence: u32,
}

impl<'a> StatusReport<'a> {
    /// Size of a status report: 60 octets in 2.0, 71 in 3.0.
    pub const fn size(version: CmppVersion) -> usize {
        8 + STAT_SIZE + 2 * TIME_SIZE + version.terminal_id_size() + 4
    }

    /// Decodes a status report from a DELIVER's Msg_Content.
    pub fn decode(
        content: &'a [u8],
        version: CmppVersion,
    ) -> Result<StatusReport<'a>, DecodeError> {
        let expected = StatusReport::size(version);
        if content.len() != expected {
            return Err(DecodeError::StatusReportSize {
                size: content.len(),
                expected,
            });
        }
        let mut reader = Reader::new(content);
        let report = StatusReport {
            msg_id: reader.u64("msg_id")?,
            stat: reader.fixed("stat", STAT_SIZE)?,
            submit_time: reader.fixed("submit_time", TIME_SIZE)?,
            done_time: reader.fixed("done_time", TIME_SIZE)?,
            dest_terminal_id: reader.fixed("dest_terminal_id", version.terminal_id_size())?,
            smsc_sequence: reader.u32("smsc_sequence")?,
        };
        reader.finish(CommandId::CMPP_DELIVER)?;
        Ok(report)
    }

    /// Appends the report (exactly [`StatusReport::size`] octets).
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u64(out, self.msg_id);
        put_fixed(out, "stat", &self.stat, STAT_SIZE)?;
        put_fixed(out, "submit_time", &self.submit_time, TIME_SIZE)?;
        put_fixed(out, "done_time", &self.done_time, TIME_SIZE)?;
        put_fixed(
            out,
            "dest_terminal_id",
            &self.dest_terminal_id,
            version.terminal_id_size(),
        )?;
        put_u32(out, self.smsc_sequence);
        Ok(())
    }

    /// Copies the borrowed fields.
    pub fn into_owned(self) -> StatusReport<'static> {
        StatusReport {
            msg_id: self.msg_id,
            stat: self.stat.into_owned(),
            submit_time: self.submit_time.into_owned(),
            done_time: self.done_time.into_owned(),
            dest_terminal_id: self.dest_terminal_id.into_owned(),
            smsc_sequence: self.smsc_sequence,
        }
    }
}

const STAT_SIZE: usize = 7;
const TIME_SIZE: usize = 10;

const _: () = assert!(StatusReport::size(CmppVersion::V2_0) == 60);
const _: () = assert!(StatusReport::size(CmppVersion::V3_0) == 71);

#[cfg(test)]
mod tests {
    use super::*;

    // Proves a report of the wrong size for the version is a typed error, in both directions.
    #[test]
    fn status_report_size_must_match_version() {
        let report = StatusReport {
            stat: b"DELIVRD".into(),
            ..StatusReport::default()
        };
        let mut v2 = Vec::new();
        report.encode(CmppVersion::V2_0, &mut v2).unwrap();
        assert_eq!(v2.len(), 60);
        assert_eq!(
            StatusReport::decode(&v2, CmppVersion::V2_0),
            Ok(report.clone())
        );
        assert_eq!(
            StatusReport::decode(&v2, CmppVersion::V3_0),
            Err(DecodeError::StatusReportSize {
                size: 60,
                expected: 71
            })
        );
        assert_eq!(
            StatusReport::decode(&v2[..59], CmppVersion::V2_0),
            Err(DecodeError::StatusReportSize {
                size: 59,
                expected: 60
            })
        );
        let long_stat = StatusReport {
            stat: b"DELIVRDX".into(),
            ..report
        };
        assert!(matches!(
            long_stat.encode(CmppVersion::V3_0, &mut Vec::new()),
            Err(EncodeError::FieldTooLong {
                field: "stat",
                size: 8,
                max: 7
            })
        ));
    }
}
