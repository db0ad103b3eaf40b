// HOT PATH: every received and sent PDU goes through `decode` and `encode`. Banned here:
// allocation on the decode side, blocking I/O, locks, per-PDU logging.
//! Every CMPP PDU as a typed body, and the whole-frame [`decode`] and [`encode`].
//!
//! One file per PDU family (CMPP V3.0 §8.4 and §8.5): `connect` (§8.4.1), `link` (TERMINATE
//! §8.4.2, ACTIVE_TEST §8.4.7), `submit` (§8.4.3), `query` (§8.4.4), `deliver` (§8.4.5),
//! `report` (the status report inside a DELIVER, §8.4.5.1), `cancel` (§8.4.6), `fwd` (§8.5.4).
//!
//! Bodies whose layout differs between 2.0 and 3.0 carry the fields of both versions; a field
//! of the other version decodes as zero or empty, and encoding refuses it when set
//! ([`EncodeError::FieldNotInVersion`]), so no value is ever dropped silently.

mod cancel;
mod connect;
mod deliver;
mod fwd;
mod link;
mod query;
mod report;
mod submit;

pub use cancel::{Cancel, CancelResp};
pub use connect::{Connect, ConnectResp};
pub use deliver::{Deliver, DeliverContent, DeliverResp};
pub use fwd::{Fwd, FwdResp};
pub use link::ActiveTestResp;
pub use query::{Query, QueryResp};
pub use report::StatusReport;
pub use submit::{Submit, SubmitResp};

use super::{CmppVersion, CommandId, DecodeError, EncodeError, HEADER_SIZE, Header};
use crate::limits::CMPP_PDU_SIZE_MAX;

/// One decoded PDU body, borrowing from its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu<'a> {
    /// CMPP_CONNECT.
    Connect(Connect<'a>),
    /// CMPP_CONNECT_RESP.
    ConnectResp(ConnectResp),
    /// CMPP_TERMINATE (no body).
    Terminate,
    /// CMPP_TERMINATE_RESP (no body).
    TerminateResp,
    /// CMPP_SUBMIT.
    Submit(Submit<'a>),
    /// CMPP_SUBMIT_RESP.
    SubmitResp(SubmitResp),
    /// CMPP_DELIVER.
    Deliver(Deliver<'a>),
    /// CMPP_DELIVER_RESP.
    DeliverResp(DeliverResp),
    /// CMPP_QUERY.
    Query(Query<'a>),
    /// CMPP_QUERY_RESP.
    QueryResp(QueryResp<'a>),
    /// CMPP_CANCEL.
    Cancel(Cancel),
    /// CMPP_CANCEL_RESP.
    CancelResp(CancelResp),
    /// CMPP_ACTIVE_TEST (no body).
    ActiveTest,
    /// CMPP_ACTIVE_TEST_RESP.
    ActiveTestResp(ActiveTestResp),
    /// CMPP_FWD.
    Fwd(Fwd<'a>),
    /// CMPP_FWD_RESP.
    FwdResp(FwdResp),
}

/// Decodes one whole frame (as returned by [`crate::frame::next_frame`]) in `version`.
///
/// On error the session can still read the Sequence_Id with [`Header::decode`] to answer.
pub fn decode(frame: &[u8], version: CmppVersion) -> Result<(Header, Pdu<'_>), DecodeError> {
    let header = Header::decode(frame)?;
    // Header::decode checked Total_Length == frame.len() >= HEADER_SIZE.
    let body = &frame[HEADER_SIZE..];
    let pdu = Pdu::decode_body(header.command_id, body, version)?;
    Ok((header, pdu))
}

/// Appends `pdu` as one whole frame with `sequence_id`, in `version`. On error nothing is
/// appended.
pub fn encode(
    pdu: &Pdu<'_>,
    sequence_id: u32,
    version: CmppVersion,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = out.len();
    let header = Header {
        total_length: 0,
        command_id: pdu.command_id(),
        sequence_id,
    };
    header.encode(out);
    if let Err(error) = pdu.encode_body(version, out) {
        out.truncate(start);
        return Err(error);
    }
    let total_length = out.len() - start;
    // The largest body (a 3.0 SUBMIT with DEST_USR_TL_MAX destinations) is checked against the
    // limit at compile time in `submit.rs`, so this holds for every PDU.
    assert!(
        total_length <= CMPP_PDU_SIZE_MAX as usize,
        "total_length={total_length}"
    );
    let total_length = (total_length as u32).to_be_bytes();
    out[start..start + 4].copy_from_slice(&total_length);
    Ok(())
}

impl<'a> Pdu<'a> {
    /// Decodes a body (the frame after its header) of the PDU `command_id` in `version`.
    pub fn decode_body(
        command_id: CommandId,
        body: &'a [u8],
        version: CmppVersion,
    ) -> Result<Pdu<'a>, DecodeError> {
        Ok(match command_id {
            CommandId::CMPP_CONNECT => Pdu::Connect(Connect::decode(body)?),
            CommandId::CMPP_CONNECT_RESP => Pdu::ConnectResp(ConnectResp::decode(body, version)?),
            CommandId::CMPP_TERMINATE => {
                link::decode_empty(command_id, body)?;
                Pdu::Terminate
            }
            CommandId::CMPP_TERMINATE_RESP => {
                link::decode_empty(command_id, body)?;
                Pdu::TerminateResp
            }
            CommandId::CMPP_SUBMIT => Pdu::Submit(Submit::decode(body, version)?),
            CommandId::CMPP_SUBMIT_RESP => Pdu::SubmitResp(SubmitResp::decode(body, version)?),
            CommandId::CMPP_DELIVER => Pdu::Deliver(Deliver::decode(body, version)?),
            CommandId::CMPP_DELIVER_RESP => Pdu::DeliverResp(DeliverResp::decode(body, version)?),
            CommandId::CMPP_QUERY => Pdu::Query(Query::decode(body)?),
            CommandId::CMPP_QUERY_RESP => Pdu::QueryResp(QueryResp::decode(body)?),
            CommandId::CMPP_CANCEL => Pdu::Cancel(Cancel::decode(body)?),
            CommandId::CMPP_CANCEL_RESP => Pdu::CancelResp(CancelResp::decode(body, version)?),
            CommandId::CMPP_ACTIVE_TEST => {
                link::decode_empty(command_id, body)?;
                Pdu::ActiveTest
            }
            CommandId::CMPP_ACTIVE_TEST_RESP => Pdu::ActiveTestResp(ActiveTestResp::decode(body)?),
            CommandId::CMPP_FWD => Pdu::Fwd(Fwd::decode(body, version)?),
            CommandId::CMPP_FWD_RESP => Pdu::FwdResp(FwdResp::decode(body, version)?),
        })
    }

    /// Appends the body (no header) in `version`. May leave a partial body on error; [`encode`]
    /// removes it.
    pub fn encode_body(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Pdu::Connect(body) => body.encode(out),
            Pdu::ConnectResp(body) => body.encode(version, out),
            Pdu::Terminate | Pdu::TerminateResp | Pdu::ActiveTest => Ok(()),
            Pdu::Submit(body) => body.encode(version, out),
            Pdu::SubmitResp(body) => body.encode(version, out),
            Pdu::Deliver(body) => body.encode(version, out),
            Pdu::DeliverResp(body) => body.encode(version, out),
            Pdu::Query(body) => body.encode(out),
            Pdu::QueryResp(body) => body.encode(out),
            Pdu::Cancel(body) => {
                body.encode(out);
                Ok(())
            }
            Pdu::CancelResp(body) => body.encode(version, out),
            Pdu::ActiveTestResp(body) => {
                body.encode(out);
                Ok(())
            }
            Pdu::Fwd(body) => body.encode(version, out),
            Pdu::FwdResp(body) => body.encode(version, out),
        }
    }

    /// The Command_Id this PDU is sent with.
    pub fn command_id(&self) -> CommandId {
        match self {
            Pdu::Connect(_) => CommandId::CMPP_CONNECT,
            Pdu::ConnectResp(_) => CommandId::CMPP_CONNECT_RESP,
            Pdu::Terminate => CommandId::CMPP_TERMINATE,
            Pdu::TerminateResp => CommandId::CMPP_TERMINATE_RESP,
            Pdu::Submit(_) => CommandId::CMPP_SUBMIT,
            Pdu::SubmitResp(_) => CommandId::CMPP_SUBMIT_RESP,
            Pdu::Deliver(_) => CommandId::CMPP_DELIVER,
            Pdu::DeliverResp(_) => CommandId::CMPP_DELIVER_RESP,
            Pdu::Query(_) => CommandId::CMPP_QUERY,
            Pdu::QueryResp(_) => CommandId::CMPP_QUERY_RESP,
            Pdu::Cancel(_) => CommandId::CMPP_CANCEL,
            Pdu::CancelResp(_) => CommandId::CMPP_CANCEL_RESP,
            Pdu::ActiveTest => CommandId::CMPP_ACTIVE_TEST,
            Pdu::ActiveTestResp(_) => CommandId::CMPP_ACTIVE_TEST_RESP,
            Pdu::Fwd(_) => CommandId::CMPP_FWD,
            Pdu::FwdResp(_) => CommandId::CMPP_FWD_RESP,
        }
    }

    /// Copies every borrowed field so the PDU outlives its frame.
    pub fn into_owned(self) -> Pdu<'static> {
        match self {
            Pdu::Connect(body) => Pdu::Connect(body.into_owned()),
            Pdu::ConnectResp(body) => Pdu::ConnectResp(body),
            Pdu::Terminate => Pdu::Terminate,
            Pdu::TerminateResp => Pdu::TerminateResp,
            Pdu::Submit(body) => Pdu::Submit(body.into_owned()),
            Pdu::SubmitResp(body) => Pdu::SubmitResp(body),
            Pdu::Deliver(body) => Pdu::Deliver(body.into_owned()),
            Pdu::DeliverResp(body) => Pdu::DeliverResp(body),
            Pdu::Query(body) => Pdu::Query(body.into_owned()),
            Pdu::QueryResp(body) => Pdu::QueryResp(body.into_owned()),
            Pdu::Cancel(body) => Pdu::Cancel(body),
            Pdu::CancelResp(body) => Pdu::CancelResp(body),
            Pdu::ActiveTest => Pdu::ActiveTest,
            Pdu::ActiveTestResp(body) => Pdu::ActiveTestResp(body),
            Pdu::Fwd(body) => Pdu::Fwd(body.into_owned()),
            Pdu::FwdResp(body) => Pdu::FwdResp(body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing;
    use proptest::prelude::*;

    // Proves a failed encode appends nothing, so a caller's batch buffer stays well formed.
    #[test]
    fn failed_encode_leaves_buffer_unchanged() {
        let mut out = b"earlier PDUs".to_vec();
        let submit = Submit {
            service_id: b"longer than ten".into(),
            ..testing::submit_example(CmppVersion::V3_0)
        };
        let result = encode(&Pdu::Submit(submit), 1, CmppVersion::V3_0, &mut out);
        assert!(matches!(
            result,
            Err(EncodeError::FieldTooLong {
                field: "service_id",
                ..
            })
        ));
        assert_eq!(out, b"earlier PDUs");
    }

    // Proves several PDUs appended to one buffer come back out of the frame splitter and the
    // decoder in order, with their Sequence_Ids.
    #[test]
    fn pdus_appended_to_one_buffer_split_and_decode_in_order() {
        let version = CmppVersion::V3_0;
        let pdus = [
            Pdu::ActiveTest,
            Pdu::Submit(testing::submit_example(version)),
            Pdu::ActiveTestResp(ActiveTestResp { reserved: 0 }),
        ];
        let mut out = Vec::new();
        for (sequence_id, pdu) in (1u32..).zip(&pdus) {
            encode(pdu, sequence_id, version, &mut out).unwrap();
        }
        let frames = crate::frame::Frames::new(&out, crate::frame::FrameLimits::CMPP);
        for ((frame, pdu), sequence_id) in frames.zip(&pdus).zip(1u32..) {
            let (header, decoded) = decode(frame.unwrap(), version).unwrap();
            assert_eq!(header.sequence_id, sequence_id);
            assert_eq!(&decoded, pdu);
        }
    }

    // Proves the decoder allocates nothing: every octet string of a decoded SUBMIT, DELIVER and
    // FWD is a view into the frame, and `into_owned` turns them into owned copies.
    #[test]
    fn decoded_fields_borrow_from_the_frame() {
        for version in CmppVersion::ALL {
            for pdu in testing::examples(version) {
                let mut frame = Vec::new();
                encode(&pdu, 9, version, &mut frame).unwrap();
                let (_, decoded) = decode(&frame, version).unwrap();
                assert!(testing::all_borrowed(&decoded), "{decoded:?}");
                let owned = decoded.clone().into_owned();
                assert_eq!(owned, decoded);
                drop(frame);
                assert_eq!(owned, pdu);
            }
        }
    }

    // Proves with a counting allocator that splitting and decoding valid PDUs of every family,
    // reading their destinations and receipts, and rejecting truncated copies of them allocate
    // nothing; the owned copy allocating shows the counter is live.
    #[test]
    fn decode_allocates_nothing_even_when_rejecting() {
        let mut stream = Vec::new();
        let mut truncated = Vec::new();
        for version in CmppVersion::ALL {
            for pdu in testing::examples(version) {
                let start = stream.len();
                encode(&pdu, 1, version, &mut stream).unwrap();
                let mut cut = stream[start..stream.len() - 1].to_vec();
                let size = (cut.len() as u32).to_be_bytes();
                cut[..4].copy_from_slice(&size);
                truncated.push(cut);
            }
        }
        let control = allocation_counter::measure(|| {
            // The first frame is the 2.0 CONNECT example; its Source_Addr is copied.
            let first = crate::frame::next_frame(&stream, crate::frame::FrameLimits::CMPP);
            let (_, pdu) = decode(&stream[..first.unwrap().unwrap()], CmppVersion::V2_0).unwrap();
            drop(pdu.into_owned());
        });
        assert!(
            control.count_total > 0,
            "the counting allocator is not installed"
        );
        let info = allocation_counter::measure(|| {
            let mut checksum = 0usize;
            for version in CmppVersion::ALL {
                let frames = crate::frame::Frames::new(&stream, crate::frame::FrameLimits::CMPP);
                for frame in frames {
                    match decode(frame.unwrap(), version) {
                        Ok((_, Pdu::Submit(submit))) => {
                            checksum += submit
                                .dest_terminal_id
                                .iter()
                                .map(<[u8]>::len)
                                .sum::<usize>();
                        }
                        Ok((_, Pdu::Deliver(deliver))) => {
                            checksum += deliver
                                .status_report()
                                .map_or(0, |report| report.stat.len());
                        }
                        Ok(_) | Err(_) => checksum += 1,
                    }
                }
                for frame in &truncated {
                    checksum += usize::from(decode(frame, version).is_err());
                }
            }
            assert!(checksum > 0);
        });
        assert_eq!(info.count_total, 0, "{info:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        // Proves decode(encode(x)) == x and that re-encoding the decoded PDU gives the same
        // bytes, for every PDU type in both versions.
        #[test]
        fn every_pdu_round_trips((version, pdu) in testing::any_pdu(), sequence_id in any::<u32>()) {
            let mut frame = Vec::new();
            encode(&pdu, sequence_id, version, &mut frame).unwrap();
            let (header, decoded) = decode(&frame, version).unwrap();
            prop_assert_eq!(header.sequence_id, sequence_id);
            prop_assert_eq!(header.total_length as usize, frame.len());
            prop_assert_eq!(&decoded, &pdu);
            let mut again = Vec::new();
            encode(&decoded, sequence_id, version, &mut again).unwrap();
            prop_assert_eq!(again, frame);
        }

        // Proves arbitrary bytes behind a plausible header (real Command_Id, matching
        // Total_Length) never panic the decoder in either version, and that whatever decodes
        // re-encodes to the same bytes.
        #[test]
        fn arbitrary_bodies_never_panic(
            command_id in proptest::sample::select(CommandId::ALL.to_vec()),
            body in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let frame = testing::frame(command_id, 1, &body);
            for version in CmppVersion::ALL {
                testing::check_decode_is_total(&frame, version)?;
            }
        }

        // Proves valid PDUs with one octet changed, cut short or extended (Total_Length fixed up
        // or not) never panic the decoder, and whatever decodes re-encodes to the same bytes.
        #[test]
        fn mutated_valid_pdus_never_panic(
            (version, pdu) in testing::any_pdu(),
            mutation in testing::mutation(),
        ) {
            let mut frame = Vec::new();
            encode(&pdu, 5, version, &mut frame).unwrap();
            let mutated = mutation.apply(&frame);
            for version in CmppVersion::ALL {
                testing::check_decode_is_total(&mutated, version)?;
            }
        }

        // Proves completely random bytes (no plausible header) never panic the decoder.
        #[test]
        fn random_frames_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            for version in CmppVersion::ALL {
                testing::check_decode_is_total(&bytes, version)?;
            }
        }
    }
}
