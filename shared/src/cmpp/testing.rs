//! Test helpers for the CMPP codec: frame builders for hand-written vectors, example PDUs,
//! proptest strategies for every PDU in both versions, and the "decoding is total" check shared
//! by the hostile-input properties and the fuzz smoke test.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::octets::trim_nul_padding;
use super::*;

/// Concatenates the parts of a hand-written frame (one commented part per field).
pub(crate) fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// `value` NUL-padded to `size` octets, as a fixed-length field is on the wire.
pub(crate) fn pad(value: &[u8], size: usize) -> Vec<u8> {
    assert!(value.len() <= size);
    let mut field = value.to_vec();
    field.resize(size, 0);
    field
}

/// A frame with a correct header around `body`.
pub(crate) fn frame(command_id: CommandId, sequence_id: u32, body: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    Header {
        total_length: (HEADER_SIZE + body.len()) as u32,
        command_id,
        sequence_id,
    }
    .encode(&mut frame);
    frame.extend_from_slice(body);
    frame
}

/// Checks a hand-written vector both ways: `frame` decodes to `pdu` with `sequence_id`, and
/// `pdu` encodes to exactly `frame`.
#[track_caller]
pub(crate) fn check_vector(version: CmppVersion, frame: &[u8], sequence_id: u32, pdu: &Pdu<'_>) {
    let total_length = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    assert_eq!(
        total_length as usize,
        frame.len(),
        "vector's Total_Length is wrong"
    );
    let (header, decoded) = decode(frame, version).unwrap();
    assert_eq!(header.sequence_id, sequence_id);
    assert_eq!(header.command_id, pdu.command_id());
    assert_eq!(&decoded, pdu);
    let mut encoded = Vec::new();
    encode(pdu, sequence_id, version, &mut encoded).unwrap();
    assert_eq!(encoded, frame, "encoding differs from the vector");
}

/// A valid single-destination SUBMIT for `version`.
pub(crate) fn submit_example(version: CmppVersion) -> Submit<'static> {
    let v3 = version == CmppVersion::V3_0;
    Submit {
        registered_delivery: 1,
        service_id: b"MTEST".into(),
        fee_usertype: 2,
        msg_fmt: 8,
        msg_src: b"901234".into(),
        fee_type: b"02".into(),
        fee_code: b"10".into(),
        src_id: b"10690001".into(),
        dest_terminal_id: TerminalIds::from(vec![Octets::from("13800138000")]),
        msg_content: Octets::from(vec![0x4F; 140]),
        link_id: if v3 { b"LINK".into() } else { Octets::EMPTY },
        ..Submit::default()
    }
}

/// One valid example of every body-carrying PDU family with octet strings, for `version`.
pub(crate) fn examples(version: CmppVersion) -> Vec<Pdu<'static>> {
    let report = StatusReport {
        msg_id: 1,
        stat: b"DELIVRD".into(),
        submit_time: b"2406301405".into(),
        done_time: b"2406301406".into(),
        dest_terminal_id: b"13800138000".into(),
        smsc_sequence: 7,
    };
    let deliver = Deliver {
        msg_id: 1,
        dest_id: b"1069".into(),
        service_id: b"MTEST".into(),
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: 0,
        src_terminal_id: b"13800138000".into(),
        src_terminal_type: 0,
        content: DeliverContent::StatusReport(report),
        reserved: Octets::EMPTY,
        link_id: Octets::EMPTY,
    };
    vec![
        Pdu::Connect(Connect {
            source_addr: b"901234".into(),
            ..Connect::default()
        }),
        Pdu::Submit(submit_example(version)),
        Pdu::Deliver(deliver),
        Pdu::Query(Query {
            time: b"20240630".into(),
            ..Query::default()
        }),
        Pdu::QueryResp(QueryResp {
            time: b"20240630".into(),
            ..QueryResp::default()
        }),
        Pdu::Fwd(Fwd {
            source_id: b"079101".into(),
            dest_id: b"13800138000".into(),
            msg_content: b"hi".into(),
            ..Fwd::default()
        }),
    ]
}

/// Whether every octet string in `pdu` is a view (nothing was allocated to decode it).
pub(crate) fn all_borrowed(pdu: &Pdu<'_>) -> bool {
    match pdu {
        Pdu::Connect(body) => body.source_addr.is_borrowed(),
        Pdu::Submit(body) => {
            [
                &body.service_id,
                &body.fee_terminal_id,
                &body.msg_src,
                &body.fee_type,
                &body.fee_code,
                &body.valid_time,
                &body.at_time,
                &body.src_id,
                &body.msg_content,
                &body.reserve,
                &body.link_id,
            ]
            .iter()
            .all(|field| field.is_borrowed())
                && body.dest_terminal_id.is_borrowed()
        }
        Pdu::Deliver(body) => {
            let content = match &body.content {
                DeliverContent::Message(message) => message.is_borrowed(),
                DeliverContent::StatusReport(report) => [
                    &report.stat,
                    &report.submit_time,
                    &report.done_time,
                    &report.dest_terminal_id,
                ]
                .iter()
                .all(|field| field.is_borrowed()),
            };
            content
                && [
                    &body.dest_id,
                    &body.service_id,
                    &body.src_terminal_id,
                    &body.reserved,
                    &body.link_id,
                ]
                .iter()
                .all(|field| field.is_borrowed())
        }
        Pdu::Query(body) => {
            body.time.is_borrowed() && body.query_code.is_borrowed() && body.reserve.is_borrowed()
        }
        Pdu::QueryResp(body) => body.time.is_borrowed() && body.query_code.is_borrowed(),
        Pdu::Fwd(body) => [
            &body.source_id,
            &body.destination_id,
            &body.service_id,
            &body.fee_terminal_id,
            &body.fee_terminal_pseudo,
            &body.msg_src,
            &body.fee_type,
            &body.fee_code,
            &body.valid_time,
            &body.at_time,
            &body.src_id,
            &body.src_pseudo,
            &body.dest_id,
            &body.dest_pseudo,
            &body.msg_content,
            &body.reserve,
            &body.link_id,
        ]
        .iter()
        .all(|field| field.is_borrowed()),
        Pdu::ConnectResp(_)
        | Pdu::Terminate
        | Pdu::TerminateResp
        | Pdu::SubmitResp(_)
        | Pdu::DeliverResp(_)
        | Pdu::Cancel(_)
        | Pdu::CancelResp(_)
        | Pdu::ActiveTest
        | Pdu::ActiveTestResp(_)
        | Pdu::FwdResp(_) => true,
    }
}

/// Decodes `frame` in `version`; an error must be typed and mappable to a wire code, and a
/// success must re-encode to exactly `frame`.
pub(crate) fn check_decode_is_total(
    frame: &[u8],
    version: CmppVersion,
) -> Result<(), TestCaseError> {
    match decode(frame, version) {
        Ok((header, pdu)) => {
            let mut encoded = Vec::new();
            prop_assert!(encode(&pdu, header.sequence_id, version, &mut encoded).is_ok());
            prop_assert_eq!(encoded.as_slice(), frame);
        }
        Err(error) => {
            let code = SubmitResult::from(&error);
            prop_assert!(code.0 >= 1 && code.0 <= 8, "{error} -> {code:?}");
        }
    }
    Ok(())
}

/// An edit of a valid frame, to reach the decoder's rejection paths.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// Replace the octet at `index % len` with `value`.
    Set { index: usize, value: u8 },
    /// Keep the first `size % len` octets, with Total_Length fixed up or not.
    Truncate { size: usize, fix_length: bool },
    /// Append octets, with Total_Length fixed up or not.
    Extend { extra: Vec<u8>, fix_length: bool },
    /// Swap the body onto another Command_Id.
    Retarget { command_id: CommandId },
}

impl Mutation {
    pub(crate) fn apply(&self, frame: &[u8]) -> Vec<u8> {
        let mut out = frame.to_vec();
        match self {
            Mutation::Set { index, value } => {
                let index = index % out.len();
                out[index] = *value;
            }
            Mutation::Truncate { size, fix_length } => {
                out.truncate(size % out.len());
                if *fix_length {
                    fix_total_length(&mut out);
                }
            }
            Mutation::Extend { extra, fix_length } => {
                out.extend_from_slice(extra);
                if *fix_length {
                    fix_total_length(&mut out);
                }
            }
            Mutation::Retarget { command_id } => {
                out[4..8].copy_from_slice(&(*command_id as u32).to_be_bytes());
            }
        }
        out
    }
}

fn fix_total_length(frame: &mut [u8]) {
    if frame.len() >= 4 {
        let size = (frame.len() as u32).to_be_bytes();
        frame[..4].copy_from_slice(&size);
    }
}

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(index, value)| Mutation::Set { index, value }),
        2 => (any::<usize>(), any::<bool>())
            .prop_map(|(size, fix_length)| Mutation::Truncate { size, fix_length }),
        1 => (vec(any::<u8>(), 1..40), any::<bool>())
            .prop_map(|(extra, fix_length)| Mutation::Extend { extra, fix_length }),
        1 => proptest::sample::select(CommandId::ALL.to_vec())
            .prop_map(|command_id| Mutation::Retarget { command_id }),
    ]
}

/// Any valid PDU of any type, with the version it is valid in.
pub(crate) fn any_pdu() -> impl Strategy<Value = (CmppVersion, Pdu<'static>)> {
    proptest::sample::select(CmppVersion::ALL.to_vec())
        .prop_flat_map(|version| pdu(version).prop_map(move |pdu| (version, pdu)))
}

/// Any valid PDU of any type in `version`.
pub(crate) fn pdu(version: CmppVersion) -> impl Strategy<Value = Pdu<'static>> {
    let status_max = match version {
        CmppVersion::V2_0 => u32::from(u8::MAX),
        CmppVersion::V3_0 => u32::MAX,
    };
    let status = move || 0..=status_max;
    prop_oneof![
        connect().prop_map(Pdu::Connect),
        (status(), any::<[u8; 16]>(), any::<u8>()).prop_map(
            |(status, authenticator_ismg, version)| {
                Pdu::ConnectResp(ConnectResp {
                    status: ConnectStatus(status),
                    authenticator_ismg,
                    version,
                })
            }
        ),
        Just(Pdu::Terminate),
        Just(Pdu::TerminateResp),
        submit(version).prop_map(Pdu::Submit),
        (any::<u64>(), status()).prop_map(|(msg_id, result)| {
            Pdu::SubmitResp(SubmitResp {
                msg_id,
                result: SubmitResult(result),
            })
        }),
        deliver(version).prop_map(Pdu::Deliver),
        (any::<u64>(), status()).prop_map(|(msg_id, result)| {
            Pdu::DeliverResp(DeliverResp {
                msg_id,
                result: DeliverResult(result),
            })
        }),
        query().prop_map(Pdu::Query),
        query_resp().prop_map(Pdu::QueryResp),
        any::<u64>().prop_map(|msg_id| Pdu::Cancel(Cancel { msg_id })),
        status().prop_map(|success_id| Pdu::CancelResp(CancelResp {
            success_id: CancelResult(success_id)
        })),
        Just(Pdu::ActiveTest),
        any::<u8>().prop_map(|reserved| Pdu::ActiveTestResp(ActiveTestResp { reserved })),
        fwd(version).prop_map(Pdu::Fwd),
        (any::<u64>(), any::<u8>(), any::<u8>(), status()).prop_map(
            |(msg_id, pk_total, pk_number, result)| {
                Pdu::FwdResp(FwdResp {
                    msg_id,
                    pk_total,
                    pk_number,
                    result: FwdResult(result),
                })
            }
        ),
    ]
}

/// A fixed-length field's value: up to `size` octets, never ending in NUL (which would be
/// indistinguishable from padding).
fn fixed(size: usize) -> impl Strategy<Value = Octets<'static>> {
    vec(any::<u8>(), 0..=size).prop_map(|bytes| {
        let kept = trim_nul_padding(&bytes).len();
        let mut bytes = bytes;
        bytes.truncate(kept);
        Octets::from(bytes)
    })
}

/// A fixed-length field that exists only when `present`.
fn fixed_if(present: bool, size: usize) -> impl Strategy<Value = Octets<'static>> {
    fixed(size).prop_map(move |value| if present { value } else { Octets::EMPTY })
}

/// A one-octet field that exists only when `present`.
fn u8_if(present: bool) -> impl Strategy<Value = u8> {
    any::<u8>().prop_map(move |value| if present { value } else { 0 })
}

/// Variable-length content of up to `max` octets (trailing NULs are data here).
fn content(max: u8) -> impl Strategy<Value = Octets<'static>> {
    vec(any::<u8>(), 0..=usize::from(max)).prop_map(Octets::from)
}

/// Pk_total and a Pk_number in 1..=Pk_total.
fn pk() -> impl Strategy<Value = (u8, u8)> {
    (1u8..=u8::MAX).prop_flat_map(|total| (Just(total), 1..=total))
}

fn terminal_ids(size: usize) -> impl Strategy<Value = TerminalIds<'static>> {
    let max = usize::from(DEST_USR_TL_MAX);
    prop_oneof![
        4 => vec(fixed(size), 1..=4),
        1 => vec(fixed(size), max - 2..=max),
    ]
    .prop_map(TerminalIds::from)
}

fn connect() -> impl Strategy<Value = Connect<'static>> {
    (fixed(6), any::<[u8; 16]>(), any::<u8>(), any::<u32>()).prop_map(
        |(source_addr, authenticator_source, version, timestamp)| Connect {
            source_addr,
            authenticator_source,
            version,
            timestamp,
        },
    )
}

fn submit(version: CmppVersion) -> impl Strategy<Value = Submit<'static>> {
    let v3 = version == CmppVersion::V3_0;
    let size = version.terminal_id_size();
    let head = (
        any::<u64>(),
        pk(),
        any::<u8>(),
        any::<u8>(),
        fixed(10),
        any::<u8>(),
    );
    let fee = (
        fixed(size),
        u8_if(v3),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
    );
    let strings = (
        fixed(6),
        fixed(2),
        fixed(6),
        fixed(17),
        fixed(17),
        fixed(21),
    );
    let tail = (
        terminal_ids(size),
        u8_if(v3),
        fixed_if(!v3, 8),
        fixed_if(v3, 20),
    );
    (head, fee, strings, tail)
        .prop_map(|(head, fee, strings, tail)| {
            let (
                msg_id,
                (pk_total, pk_number),
                registered_delivery,
                msg_level,
                service_id,
                fee_usertype,
            ) = head;
            let (fee_terminal_id, fee_terminal_type, tp_pid, tp_udhi, msg_fmt) = fee;
            let (msg_src, fee_type, fee_code, valid_time, at_time, src_id) = strings;
            let (dest_terminal_id, dest_terminal_type, reserve, link_id) = tail;
            Submit {
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
                msg_content: Octets::EMPTY,
                reserve,
                link_id,
            }
        })
        .prop_flat_map(|submit| {
            let max = Submit::msg_length_max(submit.msg_fmt);
            content(max).prop_map(move |msg_content| Submit {
                msg_content,
                ..submit.clone()
            })
        })
}

fn status_report(version: CmppVersion) -> impl Strategy<Value = StatusReport<'static>> {
    (
        any::<u64>(),
        fixed(7),
        fixed(10),
        fixed(10),
        fixed(version.terminal_id_size()),
        any::<u32>(),
    )
        .prop_map(
            |(msg_id, stat, submit_time, done_time, dest_terminal_id, smsc_sequence)| {
                StatusReport {
                    msg_id,
                    stat,
                    submit_time,
                    done_time,
                    dest_terminal_id,
                    smsc_sequence,
                }
            },
        )
}

fn deliver(version: CmppVersion) -> impl Strategy<Value = Deliver<'static>> {
    let v3 = version == CmppVersion::V3_0;
    let deliver_content = prop_oneof![
        content(u8::MAX).prop_map(DeliverContent::Message),
        status_report(version).prop_map(DeliverContent::StatusReport),
    ];
    let head = (
        any::<u64>(),
        fixed(21),
        fixed(10),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
    );
    let tail = (
        fixed(version.terminal_id_size()),
        u8_if(v3),
        deliver_content,
        fixed_if(!v3, 8),
        fixed_if(v3, 20),
    );
    (head, tail).prop_map(|(head, tail)| {
        let (msg_id, dest_id, service_id, tp_pid, tp_udhi, msg_fmt) = head;
        let (src_terminal_id, src_terminal_type, content, reserved, link_id) = tail;
        Deliver {
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
        }
    })
}

fn query() -> impl Strategy<Value = Query<'static>> {
    (fixed(8), any::<u8>(), fixed(10), fixed(8)).prop_map(
        |(time, query_type, query_code, reserve)| Query {
            time,
            query_type,
            query_code,
            reserve,
        },
    )
}

fn query_resp() -> impl Strategy<Value = QueryResp<'static>> {
    (fixed(8), any::<u8>(), fixed(10), any::<[u32; 8]>()).prop_map(
        |(time, query_type, query_code, counters)| {
            let [
                mt_tlmsg,
                mt_tlusr,
                mt_scs,
                mt_wt,
                mt_fl,
                mo_scs,
                mo_wt,
                mo_fl,
            ] = counters;
            QueryResp {
                time,
                query_type,
                query_code,
                mt_tlmsg,
                mt_tlusr,
                mt_scs,
                mt_wt,
                mt_fl,
                mo_scs,
                mo_wt,
                mo_fl,
            }
        },
    )
}

fn fwd(version: CmppVersion) -> impl Strategy<Value = Fwd<'static>> {
    let v3 = version == CmppVersion::V3_0;
    let route = (
        fixed(6),
        fixed(6),
        any::<u8>(),
        any::<u8>(),
        any::<u64>(),
        pk(),
    );
    let fee = (
        any::<u8>(),
        any::<u8>(),
        fixed(10),
        any::<u8>(),
        fixed(21),
        fixed_if(v3, 32),
        u8_if(v3),
    );
    let message = (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        fixed(6),
        fixed(2),
        fixed(6),
    );
    let times = (fixed(17), fixed(17));
    let src = (fixed(21), fixed_if(v3, 32), u8_if(v3), u8_if(v3));
    let dest = (fixed(21), fixed_if(v3, 32), u8_if(v3), content(u8::MAX));
    let trailer = (fixed_if(!v3, 8), fixed_if(v3, 20));
    (route, fee, message, times, src, dest, trailer).prop_map(
        |(route, fee, message, times, src, dest, trailer)| {
            let (
                source_id,
                destination_id,
                nodes_count,
                msg_fwd_type,
                msg_id,
                (pk_total, pk_number),
            ) = route;
            let (
                registered_delivery,
                msg_level,
                service_id,
                fee_usertype,
                fee_terminal_id,
                fee_terminal_pseudo,
                fee_terminal_usertype,
            ) = fee;
            let (tp_pid, tp_udhi, msg_fmt, msg_src, fee_type, fee_code) = message;
            let (valid_time, at_time) = times;
            let (src_id, src_pseudo, src_usertype, src_type) = src;
            let (dest_id, dest_pseudo, dest_usertype, msg_content) = dest;
            let (reserve, link_id) = trailer;
            Fwd {
                source_id,
                destination_id,
                nodes_count,
                msg_fwd_type,
                msg_id,
                pk_total,
                pk_number,
                registered_delivery,
                msg_level,
                service_id,
                fee_usertype,
                fee_terminal_id,
                fee_terminal_pseudo,
                fee_terminal_usertype,
                tp_pid,
                tp_udhi,
                msg_fmt,
                msg_src,
                fee_type,
                fee_code,
                valid_time,
                at_time,
                src_id,
                src_pseudo,
                src_usertype,
                src_type,
                dest_id,
                dest_pseudo,
                dest_usertype,
                msg_content,
                reserve,
                link_id,
            }
        },
    )
}
