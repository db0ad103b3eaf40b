//! query_sm, cancel_sm, replace_sm and alert_notification (SMPP v3.4 §4.8-§4.10, §4.12).

use super::super::error::{DecodeError, EncodeError, Field};
use super::super::tlv::Tlvs;
use super::super::wire::{Reader, check_npi, check_time, check_ton, put_c_octet};
use super::sm::{put_short_message, put_tlvs, read_short_message};

/// The body of query_sm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct QuerySm<B> {
    /// The id the SMSC gave the message (max 65 octets with NUL).
    pub message_id: B,
    /// TON of source_addr.
    pub source_addr_ton: u8,
    /// NPI of source_addr.
    pub source_addr_npi: u8,
    /// The originator of the message (max 21 octets with NUL).
    pub source_addr: B,
}

impl<'a> QuerySm<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let message_id = reader.c_octet(Field::message_id, 65)?;
        if message_id.is_empty() {
            return Err(DecodeError::InvalidValue {
                field: Field::message_id,
                value: 0,
            });
        }
        Ok(QuerySm {
            message_id,
            source_addr_ton: check_ton(Field::source_addr_ton, reader.u8(Field::source_addr_ton)?)?,
            source_addr_npi: check_npi(Field::source_addr_npi, reader.u8(Field::source_addr_npi)?)?,
            source_addr: reader.c_octet(Field::source_addr, 21)?,
        })
    }
}

impl<B: AsRef<[u8]>> QuerySm<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_c_octet(out, Field::message_id, self.message_id.as_ref(), 65)?;
        out.extend_from_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_c_octet(out, Field::source_addr, self.source_addr.as_ref(), 21)
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> QuerySm<C> {
        QuerySm {
            message_id: f(self.message_id),
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: f(self.source_addr),
        }
    }
}

/// The body of query_sm_resp.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct QuerySmResp<B> {
    /// The message id queried (max 65 octets with NUL).
    pub message_id: B,
    /// When the message reached a final state; empty while it has not.
    pub final_date: B,
    /// The message_state (SMPP v3.4 §5.2.28: 1 ENROUTE ... 8 REJECTED).
    pub message_state: u8,
    /// A network error code, where one applies.
    pub error_code: u8,
}

impl<'a> QuerySmResp<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let message_id = reader.c_octet(Field::message_id, 65)?;
        let final_date = reader.c_octet(Field::final_date, 17)?;
        check_time(Field::final_date, final_date)?;
        Ok(QuerySmResp {
            message_id,
            final_date,
            message_state: reader.u8(Field::message_state)?,
            error_code: reader.u8(Field::error_code)?,
        })
    }
}

impl<B: AsRef<[u8]>> QuerySmResp<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_c_octet(out, Field::message_id, self.message_id.as_ref(), 65)?;
        put_c_octet(out, Field::final_date, self.final_date.as_ref(), 17)?;
        out.extend_from_slice(&[self.message_state, self.error_code]);
        Ok(())
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> QuerySmResp<C> {
        QuerySmResp {
            message_id: f(self.message_id),
            final_date: f(self.final_date),
            message_state: self.message_state,
            error_code: self.error_code,
        }
    }
}

/// The body of cancel_sm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CancelSm<B> {
    /// With an empty message_id: cancel every message of this service_type between the two
    /// addresses (max 6 octets with NUL).
    pub service_type: B,
    /// The message to cancel, or empty (max 65 octets with NUL).
    pub message_id: B,
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
    /// The recipient; may be empty when message_id is given (max 21 octets with NUL).
    pub destination_addr: B,
}

impl<'a> CancelSm<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(CancelSm {
            service_type: reader.c_octet(Field::service_type, 6)?,
            message_id: reader.c_octet(Field::message_id, 65)?,
            source_addr_ton: check_ton(Field::source_addr_ton, reader.u8(Field::source_addr_ton)?)?,
            source_addr_npi: check_npi(Field::source_addr_npi, reader.u8(Field::source_addr_npi)?)?,
            source_addr: reader.c_octet(Field::source_addr, 21)?,
            dest_addr_ton: check_ton(Field::dest_addr_ton, reader.u8(Field::dest_addr_ton)?)?,
            dest_addr_npi: check_npi(Field::dest_addr_npi, reader.u8(Field::dest_addr_npi)?)?,
            destination_addr: reader.c_octet(Field::destination_addr, 21)?,
        })
    }
}

impl<B: AsRef<[u8]>> CancelSm<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_c_octet(out, Field::service_type, self.service_type.as_ref(), 6)?;
        put_c_octet(out, Field::message_id, self.message_id.as_ref(), 65)?;
        out.extend_from_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_c_octet(out, Field::source_addr, self.source_addr.as_ref(), 21)?;
        out.extend_from_slice(&[self.dest_addr_ton, self.dest_addr_npi]);
        put_c_octet(
            out,
            Field::destination_addr,
            self.destination_addr.as_ref(),
            21,
        )
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> CancelSm<C> {
        CancelSm {
            service_type: f(self.service_type),
            message_id: f(self.message_id),
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: f(self.source_addr),
            dest_addr_ton: self.dest_addr_ton,
            dest_addr_npi: self.dest_addr_npi,
            destination_addr: f(self.destination_addr),
        }
    }
}

/// The body of replace_sm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ReplaceSm<B> {
    /// The message to replace (max 65 octets with NUL).
    pub message_id: B,
    /// TON of source_addr.
    pub source_addr_ton: u8,
    /// NPI of source_addr.
    pub source_addr_npi: u8,
    /// The originator (max 21 octets with NUL).
    pub source_addr: B,
    /// New schedule, or empty to keep it.
    pub schedule_delivery_time: B,
    /// New validity, or empty to keep it.
    pub validity_period: B,
    /// New receipt request.
    pub registered_delivery: u8,
    /// A canned message id (0 when unused).
    pub sm_default_msg_id: u8,
    /// The new user data (up to 255 octets).
    pub short_message: B,
    /// Optional parameters (SMPP 5.0 allows message_payload).
    pub tlvs: Tlvs<B>,
}

impl<'a> ReplaceSm<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let message_id = reader.c_octet(Field::message_id, 65)?;
        if message_id.is_empty() {
            return Err(DecodeError::InvalidValue {
                field: Field::message_id,
                value: 0,
            });
        }
        let source_addr_ton =
            check_ton(Field::source_addr_ton, reader.u8(Field::source_addr_ton)?)?;
        let source_addr_npi =
            check_npi(Field::source_addr_npi, reader.u8(Field::source_addr_npi)?)?;
        let source_addr = reader.c_octet(Field::source_addr, 21)?;
        let schedule_delivery_time = reader.c_octet(Field::schedule_delivery_time, 17)?;
        check_time(Field::schedule_delivery_time, schedule_delivery_time)?;
        let validity_period = reader.c_octet(Field::validity_period, 17)?;
        check_time(Field::validity_period, validity_period)?;
        let registered_delivery = reader.u8(Field::registered_delivery)?;
        let sm_default_msg_id = reader.u8(Field::sm_default_msg_id)?;
        let short_message = read_short_message(reader)?;
        let offset = reader.position();
        let tlvs = Tlvs::parse(reader.rest(), offset)?;
        if !short_message.is_empty() && tlvs.message_payload().is_some() {
            return Err(DecodeError::PayloadConflict);
        }
        Ok(ReplaceSm {
            message_id,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            sm_default_msg_id,
            short_message,
            tlvs,
        })
    }
}

impl<B: AsRef<[u8]>> ReplaceSm<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        put_c_octet(out, Field::message_id, self.message_id.as_ref(), 65)?;
        out.extend_from_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_c_octet(out, Field::source_addr, self.source_addr.as_ref(), 21)?;
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
        out.extend_from_slice(&[self.registered_delivery, self.sm_default_msg_id]);
        put_short_message(out, self.short_message.as_ref())?;
        put_tlvs(out, &self.tlvs, with_tlvs)
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> ReplaceSm<C> {
        ReplaceSm {
            message_id: f(self.message_id),
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: f(self.source_addr),
            schedule_delivery_time: f(self.schedule_delivery_time),
            validity_period: f(self.validity_period),
            registered_delivery: self.registered_delivery,
            sm_default_msg_id: self.sm_default_msg_id,
            short_message: f(self.short_message),
            tlvs: self.tlvs.map(f),
        }
    }
}

/// The body of alert_notification (SMPP v3.4 §4.12): a subscriber became reachable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AlertNotification<B> {
    /// TON of source_addr.
    pub source_addr_ton: u8,
    /// NPI of source_addr.
    pub source_addr_npi: u8,
    /// The subscriber now available (max 65 octets with NUL).
    pub source_addr: B,
    /// TON of esme_addr.
    pub esme_addr_ton: u8,
    /// NPI of esme_addr.
    pub esme_addr_npi: u8,
    /// The ESME that asked to be told (max 65 octets with NUL).
    pub esme_addr: B,
    /// Optional parameters (ms_availability_status).
    pub tlvs: Tlvs<B>,
}

impl<'a> AlertNotification<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let source_addr_ton =
            check_ton(Field::source_addr_ton, reader.u8(Field::source_addr_ton)?)?;
        let source_addr_npi =
            check_npi(Field::source_addr_npi, reader.u8(Field::source_addr_npi)?)?;
        let source_addr = reader.c_octet(Field::source_addr, 65)?;
        let esme_addr_ton = check_ton(Field::esme_addr_ton, reader.u8(Field::esme_addr_ton)?)?;
        let esme_addr_npi = check_npi(Field::esme_addr_npi, reader.u8(Field::esme_addr_npi)?)?;
        let esme_addr = reader.c_octet(Field::esme_addr, 65)?;
        let offset = reader.position();
        Ok(AlertNotification {
            source_addr_ton,
            source_addr_npi,
            source_addr,
            esme_addr_ton,
            esme_addr_npi,
            esme_addr,
            tlvs: Tlvs::parse(reader.rest(), offset)?,
        })
    }
}

impl<B: AsRef<[u8]>> AlertNotification<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        out.extend_from_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_c_octet(out, Field::source_addr, self.source_addr.as_ref(), 65)?;
        out.extend_from_slice(&[self.esme_addr_ton, self.esme_addr_npi]);
        put_c_octet(out, Field::esme_addr, self.esme_addr.as_ref(), 65)?;
        if with_tlvs {
            out.extend_from_slice(self.tlvs.raw());
        }
        Ok(())
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> AlertNotification<C> {
        AlertNotification {
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: f(self.source_addr),
            esme_addr_ton: self.esme_addr_ton,
            esme_addr_npi: self.esme_addr_npi,
            esme_addr: f(self.esme_addr),
            tlvs: self.tlvs.map(f),
        }
    }
}
