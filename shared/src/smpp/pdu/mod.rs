//! Whole SMPP PDUs: the header plus one typed body per command (SMPP v3.4 §4, SMPP v5.0 §4).
//!
//! Call contract: split the stream with [`crate::frame::Frames`] (or [`crate::frame::next_frame`])
//! under [`crate::frame::FrameLimits::SMPP`], then [`decode`] each frame. The result borrows
//! from the frame ([`Pdu<&[u8]>`]) and allocates nothing; [`Pdu::into_owned`] copies it when it
//! must outlive the receive buffer. When decode fails, [`crate::smpp::Header::peek`] still gives
//! the command_id and sequence_number to answer with [`DecodeError::status`].
//!
//! Response tolerance: a response with a non-zero command_status and an empty body decodes
//! with empty fields (SMPP v3.4 §4.4.2 lets SMSCs omit the body of failed responses), and so
//! does a successful deliver_sm_resp or data_sm_resp without its (unused) message_id.
//!
//! HOT PATH: no allocation on decode; encode appends to a caller's buffer.

mod bind;
mod manage;
mod multi;
mod sm;

pub use bind::{Bind, BindResp, Outbind};
pub use manage::{AlertNotification, CancelSm, QuerySm, QuerySmResp, ReplaceSm};
pub use multi::{
    DEST_FLAG_DISTRIBUTION_LIST, DEST_FLAG_SME_ADDRESS, Dest, DestAddresses, SubmitMulti,
    SubmitMultiResp, UnsuccessSme, UnsuccessSmes,
};
pub use sm::{
    DataSm, DeliverSm, ESM_CLASS_TYPE_DELIVERY_RECEIPT, ESM_CLASS_TYPE_MASK, ESM_CLASS_UDHI,
    MessageIdResp, SHORT_MESSAGE_SIZE_MAX, SubmitSm,
};

use super::error::{DecodeError, EncodeError};
use super::header::{CommandId, HEADER_SIZE, Header};
use super::status::CommandStatus;
use super::wire::Reader;
use crate::frame::FrameError;
use crate::limits::SMPP_PDU_SIZE_MAX;
use sm::SmDirection;

/// interface_version of SMPP 3.3 (and anything lower): no TLVs may be sent.
pub const INTERFACE_VERSION_33: u8 = 0x33;
/// interface_version of SMPP 3.4.
pub const INTERFACE_VERSION_34: u8 = 0x34;
/// interface_version of SMPP 5.0.
pub const INTERFACE_VERSION_50: u8 = 0x50;

/// One PDU: sequence_number, command_status and a body whose variant is the command_id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pdu<B> {
    /// Pairs a response with its request.
    pub sequence_number: u32,
    /// Zero in requests; the outcome in responses.
    pub command_status: CommandStatus,
    /// The typed body.
    pub body: Body<B>,
}

/// The body of each SMPP command.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body<B> {
    GenericNack,
    BindReceiver(Bind<B>),
    BindReceiverResp(BindResp<B>),
    BindTransmitter(Bind<B>),
    BindTransmitterResp(BindResp<B>),
    QuerySm(QuerySm<B>),
    QuerySmResp(QuerySmResp<B>),
    SubmitSm(SubmitSm<B>),
    SubmitSmResp(MessageIdResp<B>),
    DeliverSm(DeliverSm<B>),
    DeliverSmResp(MessageIdResp<B>),
    Unbind,
    UnbindResp,
    ReplaceSm(ReplaceSm<B>),
    ReplaceSmResp,
    CancelSm(CancelSm<B>),
    CancelSmResp,
    BindTransceiver(Bind<B>),
    BindTransceiverResp(BindResp<B>),
    Outbind(Outbind<B>),
    EnquireLink,
    EnquireLinkResp,
    SubmitMulti(SubmitMulti<B>),
    SubmitMultiResp(SubmitMultiResp<B>),
    AlertNotification(AlertNotification<B>),
    DataSm(DataSm<B>),
    DataSmResp(MessageIdResp<B>),
}

/// Decodes one whole PDU (exactly one frame) into views of `frame`, validating every field as
/// an SMSC would.
pub fn decode(frame: &[u8]) -> Result<Pdu<&[u8]>, DecodeError> {
    let header = Header::peek(frame).ok_or(FrameError::LengthUnder {
        got: frame.len() as u32,
        min: HEADER_SIZE as u32,
    })?;
    if header.command_length as usize != frame.len() {
        return Err(DecodeError::LengthMismatch {
            command_length: header.command_length,
            frame_size: frame.len(),
        });
    }
    // The frame splitter already bounds frames; checked again so that whatever decodes can be
    // re-encoded (the encoder refuses the same sizes).
    if header.command_length > SMPP_PDU_SIZE_MAX {
        return Err(DecodeError::Frame(FrameError::LengthOver {
            got: header.command_length,
            max: SMPP_PDU_SIZE_MAX,
        }));
    }
    let command = header
        .command()
        .ok_or(DecodeError::UnknownCommandId(header.command_id))?;
    let mut reader = Reader::new(frame, HEADER_SIZE);
    let failed_response = command.is_response() && !header.command_status.is_ok();
    // Many SMSCs and ESMEs answer deliver_sm and data_sm with a bare 16-octet response; refusing
    // it would leave receipts and MO unacknowledged and redelivered.
    let bare_ack = matches!(
        command,
        CommandId::deliver_sm_resp | CommandId::data_sm_resp
    );
    let body = if (failed_response || bare_ack) && reader.is_empty() {
        Body::empty_response(command)
    } else {
        Body::decode(command, &mut reader)?
    };
    if !reader.is_empty() {
        return Err(DecodeError::TrailingBytes {
            extra: frame.len() - reader.position(),
        });
    }
    Ok(Pdu {
        sequence_number: header.sequence_number,
        command_status: header.command_status,
        body,
    })
}

impl<'a> Body<&'a [u8]> {
    fn decode(command: CommandId, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(match command {
            CommandId::generic_nack => Body::GenericNack,
            CommandId::bind_receiver => Body::BindReceiver(Bind::decode(reader)?),
            CommandId::bind_receiver_resp => Body::BindReceiverResp(BindResp::decode(reader)?),
            CommandId::bind_transmitter => Body::BindTransmitter(Bind::decode(reader)?),
            CommandId::bind_transmitter_resp => {
                Body::BindTransmitterResp(BindResp::decode(reader)?)
            }
            CommandId::query_sm => Body::QuerySm(QuerySm::decode(reader)?),
            CommandId::query_sm_resp => Body::QuerySmResp(QuerySmResp::decode(reader)?),
            CommandId::submit_sm => Body::SubmitSm(SubmitSm::decode(reader, SmDirection::Submit)?),
            CommandId::submit_sm_resp => Body::SubmitSmResp(MessageIdResp::decode(reader)?),
            CommandId::deliver_sm => {
                Body::DeliverSm(SubmitSm::decode(reader, SmDirection::Deliver)?)
            }
            CommandId::deliver_sm_resp => Body::DeliverSmResp(MessageIdResp::decode(reader)?),
            CommandId::unbind => Body::Unbind,
            CommandId::unbind_resp => Body::UnbindResp,
            CommandId::replace_sm => Body::ReplaceSm(ReplaceSm::decode(reader)?),
            CommandId::replace_sm_resp => Body::ReplaceSmResp,
            CommandId::cancel_sm => Body::CancelSm(CancelSm::decode(reader)?),
            CommandId::cancel_sm_resp => Body::CancelSmResp,
            CommandId::bind_transceiver => Body::BindTransceiver(Bind::decode(reader)?),
            CommandId::bind_transceiver_resp => {
                Body::BindTransceiverResp(BindResp::decode(reader)?)
            }
            CommandId::outbind => Body::Outbind(Outbind::decode(reader)?),
            CommandId::enquire_link => Body::EnquireLink,
            CommandId::enquire_link_resp => Body::EnquireLinkResp,
            CommandId::submit_multi => Body::SubmitMulti(SubmitMulti::decode(reader)?),
            CommandId::submit_multi_resp => Body::SubmitMultiResp(SubmitMultiResp::decode(reader)?),
            CommandId::alert_notification => {
                Body::AlertNotification(AlertNotification::decode(reader)?)
            }
            CommandId::data_sm => Body::DataSm(DataSm::decode(reader)?),
            CommandId::data_sm_resp => Body::DataSmResp(MessageIdResp::decode(reader)?),
        })
    }

    fn empty_response(command: CommandId) -> Self {
        match empty_response(command) {
            Some(body) => body,
            None => unreachable!("decode only asks for responses"),
        }
    }
}

/// The body of `response` with every field empty, as sent with an error status (a refused
/// submit_sm gets a submit_sm_resp with no message_id). `None` when `response` is a request.
pub fn empty_response<'a>(response: CommandId) -> Option<Body<&'a [u8]>> {
    Some(match response {
        CommandId::bind_receiver_resp => Body::BindReceiverResp(BindResp::default()),
        CommandId::bind_transmitter_resp => Body::BindTransmitterResp(BindResp::default()),
        CommandId::bind_transceiver_resp => Body::BindTransceiverResp(BindResp::default()),
        CommandId::query_sm_resp => Body::QuerySmResp(QuerySmResp::default()),
        CommandId::submit_sm_resp => Body::SubmitSmResp(MessageIdResp::default()),
        CommandId::deliver_sm_resp => Body::DeliverSmResp(MessageIdResp::default()),
        CommandId::submit_multi_resp => Body::SubmitMultiResp(SubmitMultiResp::default()),
        CommandId::data_sm_resp => Body::DataSmResp(MessageIdResp::default()),
        CommandId::generic_nack => Body::GenericNack,
        CommandId::unbind_resp => Body::UnbindResp,
        CommandId::replace_sm_resp => Body::ReplaceSmResp,
        CommandId::cancel_sm_resp => Body::CancelSmResp,
        CommandId::enquire_link_resp => Body::EnquireLinkResp,
        CommandId::bind_receiver
        | CommandId::bind_transmitter
        | CommandId::bind_transceiver
        | CommandId::query_sm
        | CommandId::submit_sm
        | CommandId::deliver_sm
        | CommandId::unbind
        | CommandId::replace_sm
        | CommandId::cancel_sm
        | CommandId::outbind
        | CommandId::enquire_link
        | CommandId::submit_multi
        | CommandId::alert_notification
        | CommandId::data_sm => return None,
    })
}

impl<B> Body<B> {
    /// The command_id this body is sent with.
    pub fn command_id(&self) -> CommandId {
        match self {
            Body::GenericNack => CommandId::generic_nack,
            Body::BindReceiver(_) => CommandId::bind_receiver,
            Body::BindReceiverResp(_) => CommandId::bind_receiver_resp,
            Body::BindTransmitter(_) => CommandId::bind_transmitter,
            Body::BindTransmitterResp(_) => CommandId::bind_transmitter_resp,
            Body::QuerySm(_) => CommandId::query_sm,
            Body::QuerySmResp(_) => CommandId::query_sm_resp,
            Body::SubmitSm(_) => CommandId::submit_sm,
            Body::SubmitSmResp(_) => CommandId::submit_sm_resp,
            Body::DeliverSm(_) => CommandId::deliver_sm,
            Body::DeliverSmResp(_) => CommandId::deliver_sm_resp,
            Body::Unbind => CommandId::unbind,
            Body::UnbindResp => CommandId::unbind_resp,
            Body::ReplaceSm(_) => CommandId::replace_sm,
            Body::ReplaceSmResp => CommandId::replace_sm_resp,
            Body::CancelSm(_) => CommandId::cancel_sm,
            Body::CancelSmResp => CommandId::cancel_sm_resp,
            Body::BindTransceiver(_) => CommandId::bind_transceiver,
            Body::BindTransceiverResp(_) => CommandId::bind_transceiver_resp,
            Body::Outbind(_) => CommandId::outbind,
            Body::EnquireLink => CommandId::enquire_link,
            Body::EnquireLinkResp => CommandId::enquire_link_resp,
            Body::SubmitMulti(_) => CommandId::submit_multi,
            Body::SubmitMultiResp(_) => CommandId::submit_multi_resp,
            Body::AlertNotification(_) => CommandId::alert_notification,
            Body::DataSm(_) => CommandId::data_sm,
            Body::DataSmResp(_) => CommandId::data_sm_resp,
        }
    }
}

impl<B: AsRef<[u8]>> Body<B> {
    fn map<C>(self, f: &mut impl FnMut(B) -> C) -> Body<C> {
        match self {
            Body::GenericNack => Body::GenericNack,
            Body::BindReceiver(b) => Body::BindReceiver(b.map(f)),
            Body::BindReceiverResp(b) => Body::BindReceiverResp(b.map(f)),
            Body::BindTransmitter(b) => Body::BindTransmitter(b.map(f)),
            Body::BindTransmitterResp(b) => Body::BindTransmitterResp(b.map(f)),
            Body::QuerySm(b) => Body::QuerySm(b.map(f)),
            Body::QuerySmResp(b) => Body::QuerySmResp(b.map(f)),
            Body::SubmitSm(b) => Body::SubmitSm(b.map(f)),
            Body::SubmitSmResp(b) => Body::SubmitSmResp(b.map(f)),
            Body::DeliverSm(b) => Body::DeliverSm(b.map(f)),
            Body::DeliverSmResp(b) => Body::DeliverSmResp(b.map(f)),
            Body::Unbind => Body::Unbind,
            Body::UnbindResp => Body::UnbindResp,
            Body::ReplaceSm(b) => Body::ReplaceSm(b.map(f)),
            Body::ReplaceSmResp => Body::ReplaceSmResp,
            Body::CancelSm(b) => Body::CancelSm(b.map(f)),
            Body::CancelSmResp => Body::CancelSmResp,
            Body::BindTransceiver(b) => Body::BindTransceiver(b.map(f)),
            Body::BindTransceiverResp(b) => Body::BindTransceiverResp(b.map(f)),
            Body::Outbind(b) => Body::Outbind(b.map(f)),
            Body::EnquireLink => Body::EnquireLink,
            Body::EnquireLinkResp => Body::EnquireLinkResp,
            Body::SubmitMulti(b) => Body::SubmitMulti(b.map(f)),
            Body::SubmitMultiResp(b) => Body::SubmitMultiResp(b.map(f)),
            Body::AlertNotification(b) => Body::AlertNotification(b.map(f)),
            Body::DataSm(b) => Body::DataSm(b.map(f)),
            Body::DataSmResp(b) => Body::DataSmResp(b.map(f)),
        }
    }
}

impl<B: AsRef<[u8]>> Body<B> {
    fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        match self {
            Body::GenericNack
            | Body::Unbind
            | Body::UnbindResp
            | Body::ReplaceSmResp
            | Body::CancelSmResp
            | Body::EnquireLink
            | Body::EnquireLinkResp => Ok(()),
            Body::BindReceiver(b) | Body::BindTransmitter(b) | Body::BindTransceiver(b) => {
                b.encode(out)
            }
            Body::BindReceiverResp(b)
            | Body::BindTransmitterResp(b)
            | Body::BindTransceiverResp(b) => b.encode(out, with_tlvs),
            Body::QuerySm(b) => b.encode(out),
            Body::QuerySmResp(b) => b.encode(out),
            Body::SubmitSm(b) | Body::DeliverSm(b) => b.encode(out, with_tlvs),
            Body::SubmitSmResp(b) | Body::DeliverSmResp(b) | Body::DataSmResp(b) => {
                b.encode(out, with_tlvs)
            }
            Body::ReplaceSm(b) => b.encode(out, with_tlvs),
            Body::CancelSm(b) => b.encode(out),
            Body::Outbind(b) => b.encode(out),
            Body::SubmitMulti(b) => b.encode(out, with_tlvs),
            Body::SubmitMultiResp(b) => b.encode(out, with_tlvs),
            Body::AlertNotification(b) => b.encode(out, with_tlvs),
            Body::DataSm(b) => b.encode(out, with_tlvs),
        }
    }
}

impl<B: AsRef<[u8]>> Pdu<B> {
    /// A PDU with `ESME_ROK`.
    pub fn new(sequence_number: u32, body: Body<B>) -> Pdu<B> {
        Pdu {
            sequence_number,
            command_status: CommandStatus::ESME_ROK,
            body,
        }
    }

    /// The command_id.
    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// Appends the PDU to `out` and returns its size. On error `out` is left as it was.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        self.encode_inner(out, true)
    }

    /// Appends the PDU as a peer of `interface_version` may receive it: below 3.4 (SMPP 3.3)
    /// optional parameters are left out, because 3.3 peers do not know them. A message whose
    /// user data is in message_payload is refused ([`EncodeError::PayloadNeedsTlvs`]) rather
    /// than sent empty.
    pub fn encode_for(
        &self,
        interface_version: u8,
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        self.encode_inner(out, interface_version >= INTERFACE_VERSION_34)
    }

    fn encode_inner(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<usize, EncodeError> {
        encode_parts(
            self.sequence_number,
            self.command_status,
            &self.body,
            with_tlvs,
            out,
        )
    }
}

/// Encodes a PDU from its parts, as [`Pdu::encode_for`] does, without owning the body (the
/// session encodes bodies it only borrows).
pub fn encode_body_for<B: AsRef<[u8]>>(
    sequence_number: u32,
    command_status: CommandStatus,
    body: &Body<B>,
    interface_version: u8,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    encode_parts(
        sequence_number,
        command_status,
        body,
        interface_version >= INTERFACE_VERSION_34,
        out,
    )
}

fn encode_parts<B: AsRef<[u8]>>(
    sequence_number: u32,
    command_status: CommandStatus,
    body: &Body<B>,
    with_tlvs: bool,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let start = out.len();
    let header = Header {
        command_length: 0,
        command_id: body.command_id() as u32,
        command_status,
        sequence_number,
    };
    header.encode(out);
    if let Err(error) = body.encode(out, with_tlvs) {
        out.truncate(start);
        return Err(error);
    }
    let size = out.len() - start;
    if size > SMPP_PDU_SIZE_MAX as usize {
        out.truncate(start);
        return Err(EncodeError::PduTooLong {
            size,
            size_max: SMPP_PDU_SIZE_MAX as usize,
        });
    }
    // Checked just above: size fits the u32 limit.
    out[start..start + 4].copy_from_slice(&(size as u32).to_be_bytes());
    Ok(size)
}

impl Pdu<&[u8]> {
    /// Copies every field out of the receive buffer.
    pub fn into_owned(self) -> Pdu<Vec<u8>> {
        Pdu {
            sequence_number: self.sequence_number,
            command_status: self.command_status,
            body: self.body.map(&mut |bytes: &[u8]| bytes.to_vec()),
        }
    }
}

#[cfg(test)]
mod prop_test;
#[cfg(test)]
mod vectors_test;
