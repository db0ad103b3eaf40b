//! submit_sm, deliver_sm, data_sm and the message_id responses (SMPP v3.4 §4.4, §4.6, §4.7).
//!
//! submit_sm and deliver_sm share one syntax (§4.4.1, §4.6.1), so they share [`SubmitSm`];
//! the decoder checks the esm_class message types each direction may carry.
//!
//! HOT PATH: decode returns views into the frame and allocates nothing.

use super::super::error::{DecodeError, EncodeError, Field};
use super::super::tlv::Tlvs;
use super::super::wire::{Reader, check_npi, check_time, check_ton, put_c_octet};

/// Largest short_message: SMPP 5.0 §4.7.26 allows sm_length 0 to 255 (3.4 said 254). The decoder
/// accepts 255 from any version; a session talking to a 3.4 peer may stay at 254.
pub const SHORT_MESSAGE_SIZE_MAX: usize = 255;

/// The body of submit_sm and deliver_sm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SubmitSm<B> {
    /// The service type (max 6 octets with NUL).
    pub service_type: B,
    /// TON of source_addr.
    pub source_addr_ton: u8,
    /// NPI of source_addr.
    pub source_addr_npi: u8,
    /// The originator (max 21 octets with NUL).
    pub source_addr: B,
    /// TON of destination_addr.
    pub dest_addr_ton: u8,
    /// NPI of destination_addr.
    pub dest_addr_npi: u8,
    /// The recipient (max 21 octets with NUL).
    pub destination_addr: B,
    /// Messaging mode, message type and GSM features (UDHI 0x40, reply path 0x80).
    pub esm_class: u8,
    /// The protocol identifier (GSM TP-PID).
    pub protocol_id: u8,
    /// The priority (0 to 4).
    pub priority_flag: u8,
    /// Empty for immediate delivery, or an SMPP time.
    pub schedule_delivery_time: B,
    /// Empty for the SMSC default, or an SMPP time.
    pub validity_period: B,
    /// Receipt and acknowledgement requests.
    pub registered_delivery: u8,
    /// 1 to replace a pending message with the same source, destination and service_type.
    pub replace_if_present_flag: u8,
    /// The data coding scheme.
    pub data_coding: u8,
    /// A canned message id (0 when unused).
    pub sm_default_msg_id: u8,
    /// Up to 255 octets of user data; sm_length is its length.
    pub short_message: B,
    /// Optional parameters.
    pub tlvs: Tlvs<B>,
}

/// deliver_sm has the same syntax as submit_sm.
pub type DeliverSm<B> = SubmitSm<B>;

/// Which PDU a [`SubmitSm`] body belongs to; they allow different esm_class message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmDirection {
    /// submit_sm, submit_multi: ESME to SMSC.
    Submit,
    /// deliver_sm, data_sm: either way, receipts included.
    Deliver,
}

impl<'a> SubmitSm<&'a [u8]> {
    pub(crate) fn decode(
        reader: &mut Reader<'a>,
        direction: SmDirection,
    ) -> Result<Self, DecodeError> {
        let service_type = reader.c_octet(Field::service_type, 6)?;
        let source_addr_ton =
            check_ton(Field::source_addr_ton, reader.u8(Field::source_addr_ton)?)?;
        let source_addr_npi =
            check_npi(Field::source_addr_npi, reader.u8(Field::source_addr_npi)?)?;
        let source_addr = reader.c_octet(Field::source_addr, 21)?;
        let dest_addr_ton = check_ton(Field::dest_addr_ton, reader.u8(Field::dest_addr_ton)?)?;
        let dest_addr_npi = check_npi(Field::dest_addr_npi, reader.u8(Field::dest_addr_npi)?)?;
        let destination_addr = reader.c_octet(Field::destination_addr, 21)?;
        if destination_addr.is_empty() {
            return Err(DecodeError::InvalidValue {
                field: Field::destination_addr,
                value: 0,
            });
        }
        let esm_class = check_esm_class(reader.u8(Field::esm_class)?, direction)?;
        let protocol_id = reader.u8(Field::protocol_id)?;
        let priority_flag = check_priority_flag(reader.u8(Field::priority_flag)?)?;
        let schedule_delivery_time = reader.c_octet(Field::schedule_delivery_time, 17)?;
        check_time(Field::schedule_delivery_time, schedule_delivery_time)?;
        let validity_period = reader.c_octet(Field::validity_period, 17)?;
        check_time(Field::validity_period, validity_period)?;
        let registered_delivery = reader.u8(Field::registered_delivery)?;
        let replace_if_present_flag = reader.u8(Field::replace_if_present_flag)?;
        if replace_if_present_flag > 1 {
            return Err(DecodeError::InvalidValue {
                field: Field::replace_if_present_flag,
                value: u32::from(replace_if_present_flag),
            });
        }
        let data_coding = reader.u8(Field::data_coding)?;
        let sm_default_msg_id = reader.u8(Field::sm_default_msg_id)?;
        let short_message = read_short_message(reader)?;
        let offset = reader.position();
        let tlvs = Tlvs::parse(reader.rest(), offset)?;
        if !short_message.is_empty() && tlvs.message_payload().is_some() {
            return Err(DecodeError::PayloadConflict);
        }
        Ok(SubmitSm {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs,
        })
    }
}

impl<B: AsRef<[u8]>> SubmitSm<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        put_c_octet(out, Field::service_type, self.service_type.as_ref(), 6)?;
        out.extend_from_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_c_octet(out, Field::source_addr, self.source_addr.as_ref(), 21)?;
        out.extend_from_slice(&[self.dest_addr_ton, self.dest_addr_npi]);
        put_c_octet(
            out,
            Field::destination_addr,
            self.destination_addr.as_ref(),
            21,
        )?;
        out.extend_from_slice(&[self.esm_class, self.protocol_id, self.priority_flag]);
        put_c_octet(
            out,
            Field::schedule_delivery_time,
            self.schedule_delivery_time.as_ref(),
            17,
        )?;
        put_c_octet(
            out,
            Field::validity_period,
            self.validity_period.as_ref(),
            17,
        )?;
        out.extend_from_slice(&[
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding,
            self.sm_default_msg_id,
        ]);
        put_short_message(out, self.short_message.as_ref())?;
        put_tlvs(out, &self.tlvs, with_tlvs)
    }

    /// The user data: short_message, or the message_payload TLV when short_message is empty.
    pub fn payload(&self) -> &[u8] {
        let short_message = self.short_message.as_ref();
        if short_message.is_empty() {
            self.tlvs.message_payload().unwrap_or(short_message)
        } else {
            short_message
        }
    }

    /// True when esm_class marks the message as an SMSC delivery receipt (message type 0x04).
    pub fn is_delivery_receipt(&self) -> bool {
        self.esm_class & ESM_CLASS_TYPE_MASK == ESM_CLASS_TYPE_DELIVERY_RECEIPT
    }

    /// True when the user data starts with a user data header (esm_class UDHI, 0x40).
    pub fn has_udh(&self) -> bool {
        self.esm_class & ESM_CLASS_UDHI != 0
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> SubmitSm<C> {
        SubmitSm {
            service_type: f(self.service_type),
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: f(self.source_addr),
            dest_addr_ton: self.dest_addr_ton,
            dest_addr_npi: self.dest_addr_npi,
            destination_addr: f(self.destination_addr),
            esm_class: self.esm_class,
            protocol_id: self.protocol_id,
            priority_flag: self.priority_flag,
            schedule_delivery_time: f(self.schedule_delivery_time),
            validity_period: f(self.validity_period),
            registered_delivery: self.registered_delivery,
            replace_if_present_flag: self.replace_if_present_flag,
            data_coding: self.data_coding,
            sm_default_msg_id: self.sm_default_msg_id,
            short_message: f(self.short_message),
            tlvs: self.tlvs.map(f),
        }
    }
}

/// The body of submit_sm_resp, deliver_sm_resp and data_sm_resp: a message_id and, from 3.4
/// (data_sm_resp) and 5.0 (all three), optional parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MessageIdResp<B> {
    /// The SMSC's id for the message (max 65 octets with NUL; empty in deliver_sm_resp).
    pub message_id: B,
    /// Optional parameters (e.g. additional_status_info_text, delivery_failure_reason).
    pub tlvs: Tlvs<B>,
}

impl<'a> MessageIdResp<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let message_id = reader.c_octet(Field::message_id, 65)?;
        let offset = reader.position();
        Ok(MessageIdResp {
            message_id,
            tlvs: Tlvs::parse(reader.rest(), offset)?,
        })
    }
}

impl<B: AsRef<[u8]>> MessageIdResp<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        put_c_octet(out, Field::message_id, self.message_id.as_ref(), 65)?;
        if with_tlvs {
            out.extend_from_slice(self.tlvs.raw());
        }
        Ok(())
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> MessageIdResp<C> {
        MessageIdResp {
            message_id: f(self.message_id),
            tlvs: self.tlvs.map(f),
        }
    }
}

/// The body of data_sm (SMPP v3.4 §4.7.1): addresses up to 65 octets and all user data in TLVs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DataSm<B> {
    /// The service type (max 6 octets with NUL).
    pub service_type: B,
    /// TON of source_addr.
    pub source_addr_ton: u8,
    /// NPI of source_addr.
    pub source_addr_npi: u8,
    /// The originator (max 65 octets with NUL).
    pub source_addr: B,
    /// TON of destination_addr.
    pub dest_addr_ton: u8,
    /// NPI of destination_addr.
    pub dest_addr_npi: u8,
    /// The recipient (max 65 octets with NUL).
    pub destination_addr: B,
    /// Messaging mode, message type and GSM features.
    pub esm_class: u8,
    /// Receipt and acknowledgement requests.
    pub registered_delivery: u8,
    /// The data coding scheme.
    pub data_coding: u8,
    /// Optional parameters (message_payload carries the user data).
    pub tlvs: Tlvs<B>,
}

impl<'a> DataSm<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let service_type = reader.c_octet(Field::service_type, 6)?;
        let source_addr_ton =
            check_ton(Field::source_addr_ton, reader.u8(Field::source_addr_ton)?)?;
        let source_addr_npi =
            check_npi(Field::source_addr_npi, reader.u8(Field::source_addr_npi)?)?;
        let source_addr = reader.c_octet(Field::source_addr, 65)?;
        let dest_addr_ton = check_ton(Field::dest_addr_ton, reader.u8(Field::dest_addr_ton)?)?;
        let dest_addr_npi = check_npi(Field::dest_addr_npi, reader.u8(Field::dest_addr_npi)?)?;
        let destination_addr = reader.c_octet(Field::destination_addr, 65)?;
        if destination_addr.is_empty() {
            return Err(DecodeError::InvalidValue {
                field: Field::destination_addr,
                value: 0,
            });
        }
        let esm_class = check_esm_class(reader.u8(Field::esm_class)?, SmDirection::Deliver)?;
        let registered_delivery = reader.u8(Field::registered_delivery)?;
        let data_coding = reader.u8(Field::data_coding)?;
        let offset = reader.position();
        Ok(DataSm {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
            esm_class,
            registered_delivery,
            data_coding,
            tlvs: Tlvs::parse(reader.rest(), offset)?,
        })
    }
}

impl<B: AsRef<[u8]>> DataSm<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        put_c_octet(out, Field::service_type, self.service_type.as_ref(), 6)?;
        out.extend_from_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_c_octet(out, Field::source_addr, self.source_addr.as_ref(), 65)?;
        out.extend_from_slice(&[self.dest_addr_ton, self.dest_addr_npi]);
        put_c_octet(
            out,
            Field::destination_addr,
            self.destination_addr.as_ref(),
            65,
        )?;
        out.extend_from_slice(&[self.esm_class, self.registered_delivery, self.data_coding]);
        put_tlvs(out, &self.tlvs, with_tlvs)
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> DataSm<C> {
        DataSm {
            service_type: f(self.service_type),
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: f(self.source_addr),
            dest_addr_ton: self.dest_addr_ton,
            dest_addr_npi: self.dest_addr_npi,
            destination_addr: f(self.destination_addr),
            esm_class: self.esm_class,
            registered_delivery: self.registered_delivery,
            data_coding: self.data_coding,
            tlvs: self.tlvs.map(f),
        }
    }
}

/// esm_class bits 2-5: the message type.
pub const ESM_CLASS_TYPE_MASK: u8 = 0x3C;
/// esm_class message type: SMSC delivery receipt.
pub const ESM_CLASS_TYPE_DELIVERY_RECEIPT: u8 = 0x04;
/// esm_class bit 6: the user data starts with a UDH.
pub const ESM_CLASS_UDHI: u8 = 0x40;

/// Checks esm_class's message type (SMPP v3.4 §5.2.12): an ESME may submit default,
/// delivery-acknowledgement and user-acknowledgement messages; deliveries may also be
/// receipts, conversation aborts and intermediate notifications. Messaging-mode and GSM
/// feature bits take any value.
pub(crate) fn check_esm_class(value: u8, direction: SmDirection) -> Result<u8, DecodeError> {
    let message_type = value & ESM_CLASS_TYPE_MASK;
    let allowed = match direction {
        SmDirection::Submit => matches!(message_type, 0x00 | 0x08 | 0x10),
        SmDirection::Deliver => matches!(message_type, 0x00 | 0x04 | 0x08 | 0x10 | 0x18 | 0x20),
    };
    if allowed {
        Ok(value)
    } else {
        Err(DecodeError::InvalidValue {
            field: Field::esm_class,
            value: u32::from(value),
        })
    }
}

/// Checks priority_flag: 0 to 3 in SMPP 3.4, 4 added by 5.0 (§4.7.19).
pub(crate) fn check_priority_flag(value: u8) -> Result<u8, DecodeError> {
    if value <= 4 {
        Ok(value)
    } else {
        Err(DecodeError::InvalidValue {
            field: Field::priority_flag,
            value: u32::from(value),
        })
    }
}

/// Reads sm_length and short_message.
pub(crate) fn read_short_message<'a>(reader: &mut Reader<'a>) -> Result<&'a [u8], DecodeError> {
    let sm_length = reader.u8(Field::sm_length)?;
    reader
        .octets(Field::short_message, usize::from(sm_length))
        .map_err(|_| DecodeError::ShortMessageTruncated { sm_length })
}

/// Writes sm_length and short_message.
pub(crate) fn put_short_message(
    out: &mut Vec<u8>,
    short_message: &[u8],
) -> Result<(), EncodeError> {
    if short_message.len() > SHORT_MESSAGE_SIZE_MAX {
        return Err(EncodeError::ShortMessageTooLong(short_message.len()));
    }
    // Checked just above: at most 255, so it fits the one-octet sm_length.
    out.push(short_message.len() as u8);
    out.extend_from_slice(short_message);
    Ok(())
}

/// Writes the TLV region, or leaves it out for a peer without TLVs (SMPP 3.3). Then the user
/// data must not be in message_payload: leaving it out would send an empty message.
pub(crate) fn put_tlvs<B: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    tlvs: &Tlvs<B>,
    with_tlvs: bool,
) -> Result<(), EncodeError> {
    if with_tlvs {
        out.extend_from_slice(tlvs.raw());
    } else if let Some(payload) = tlvs.message_payload() {
        return Err(EncodeError::PayloadNeedsTlvs(payload.len()));
    }
    Ok(())
}
