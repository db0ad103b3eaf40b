//! submit_multi and submit_multi_resp (SMPP v3.4 §4.5).
//!
//! The destination list and the unsuccessful-delivery list stay as raw bytes validated at
//! decode time, like TLVs: iterating them allocates nothing, and builders append entries.

use super::super::error::{DecodeError, EncodeError, Field};
use super::super::status::CommandStatus;
use super::super::tlv::Tlvs;
use super::super::wire::{Reader, check_npi, check_time, check_ton, put_c_octet};
use super::sm::{
    SmDirection, check_esm_class, check_priority_flag, put_short_message, put_tlvs,
    read_short_message,
};
use crate::limits::SUBMIT_MULTI_DESTS_MAX;

/// dest_flag for an SME address.
pub const DEST_FLAG_SME_ADDRESS: u8 = 1;
/// dest_flag for a distribution list name.
pub const DEST_FLAG_DISTRIBUTION_LIST: u8 = 2;

/// The body of submit_multi.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SubmitMulti<B> {
    /// The service type (max 6 octets with NUL).
    pub service_type: B,
    /// TON of source_addr.
    pub source_addr_ton: u8,
    /// NPI of source_addr.
    pub source_addr_npi: u8,
    /// The originator (max 21 octets with NUL).
    pub source_addr: B,
    /// The destinations (number_of_dests and the dest_address structures).
    pub dest_addresses: DestAddresses<B>,
    /// As in submit_sm.
    pub esm_class: u8,
    /// As in submit_sm.
    pub protocol_id: u8,
    /// As in submit_sm.
    pub priority_flag: u8,
    /// As in submit_sm.
    pub schedule_delivery_time: B,
    /// As in submit_sm.
    pub validity_period: B,
    /// As in submit_sm.
    pub registered_delivery: u8,
    /// As in submit_sm.
    pub replace_if_present_flag: u8,
    /// As in submit_sm.
    pub data_coding: u8,
    /// As in submit_sm.
    pub sm_default_msg_id: u8,
    /// Up to 255 octets of user data.
    pub short_message: B,
    /// Optional parameters.
    pub tlvs: Tlvs<B>,
}

/// One destination of a submit_multi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest<'a> {
    /// dest_flag 1: an SME address.
    Sme {
        /// TON.
        dest_addr_ton: u8,
        /// NPI.
        dest_addr_npi: u8,
        /// The address (max 21 octets with NUL).
        destination_addr: &'a [u8],
    },
    /// dest_flag 2: a distribution list held by the SMSC.
    DistributionList {
        /// The list name (max 21 octets with NUL).
        dl_name: &'a [u8],
    },
}

/// number_of_dests and the raw dest_address structures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DestAddresses<B> {
    count: u8,
    raw: B,
}

impl<'a> DestAddresses<&'a [u8]> {
    fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let count = reader.u8(Field::number_of_dests)?;
        if count == 0 {
            return Err(DecodeError::InvalidValue {
                field: Field::number_of_dests,
                value: 0,
            });
        }
        let start = reader.position();
        for _ in 0..count {
            match reader.u8(Field::dest_flag)? {
                DEST_FLAG_SME_ADDRESS => {
                    check_ton(Field::dest_addr_ton, reader.u8(Field::dest_addr_ton)?)?;
                    check_npi(Field::dest_addr_npi, reader.u8(Field::dest_addr_npi)?)?;
                    if reader.c_octet(Field::destination_addr, 21)?.is_empty() {
                        return Err(DecodeError::InvalidValue {
                            field: Field::destination_addr,
                            value: 0,
                        });
                    }
                }
                DEST_FLAG_DISTRIBUTION_LIST => {
                    reader.c_octet(Field::dl_name, 21)?;
                }
                other => {
                    return Err(DecodeError::InvalidValue {
                        field: Field::dest_flag,
                        value: u32::from(other),
                    });
                }
            }
        }
        Ok(DestAddresses {
            count,
            raw: reader.slice(start, reader.position() - start),
        })
    }
}

impl DestAddresses<Vec<u8>> {
    /// An empty list (a submit_multi needs at least one entry).
    pub fn new() -> DestAddresses<Vec<u8>> {
        DestAddresses {
            count: 0,
            raw: Vec::new(),
        }
    }

    /// Appends an SME address.
    pub fn push_sme(
        &mut self,
        dest_addr_ton: u8,
        dest_addr_npi: u8,
        destination_addr: &[u8],
    ) -> Result<&mut Self, EncodeError> {
        self.check_room()?;
        let mut entry = vec![DEST_FLAG_SME_ADDRESS, dest_addr_ton, dest_addr_npi];
        put_c_octet(&mut entry, Field::destination_addr, destination_addr, 21)?;
        self.raw.extend_from_slice(&entry);
        self.count += 1;
        Ok(self)
    }

    /// Appends a distribution list name.
    pub fn push_distribution_list(&mut self, dl_name: &[u8]) -> Result<&mut Self, EncodeError> {
        self.check_room()?;
        let mut entry = vec![DEST_FLAG_DISTRIBUTION_LIST];
        put_c_octet(&mut entry, Field::dl_name, dl_name, 21)?;
        self.raw.extend_from_slice(&entry);
        self.count += 1;
        Ok(self)
    }

    fn check_room(&self) -> Result<(), EncodeError> {
        if usize::from(self.count) >= SUBMIT_MULTI_DESTS_MAX {
            return Err(EncodeError::TooManyEntries {
                field: Field::number_of_dests,
                count: usize::from(self.count) + 1,
            });
        }
        Ok(())
    }
}

impl<B: AsRef<[u8]>> DestAddresses<B> {
    /// number_of_dests.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries in wire order.
    pub fn iter(&self) -> impl Iterator<Item = Dest<'_>> {
        let mut reader = Reader::new(self.raw.as_ref(), 0);
        // The list was validated (decode) or built (push), so reads cannot fail; stop if they did.
        (0..self.count).map_while(move |_| match reader.u8(Field::dest_flag).ok()? {
            DEST_FLAG_SME_ADDRESS => Some(Dest::Sme {
                dest_addr_ton: reader.u8(Field::dest_addr_ton).ok()?,
                dest_addr_npi: reader.u8(Field::dest_addr_npi).ok()?,
                destination_addr: reader.c_octet(Field::destination_addr, 21).ok()?,
            }),
            _ => Some(Dest::DistributionList {
                dl_name: reader.c_octet(Field::dl_name, 21).ok()?,
            }),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.count);
        out.extend_from_slice(self.raw.as_ref());
    }

    fn map<C>(self, f: &mut impl FnMut(B) -> C) -> DestAddresses<C> {
        DestAddresses {
            count: self.count,
            raw: f(self.raw),
        }
    }
}

impl<'a> SubmitMulti<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let service_type = reader.c_octet(Field::service_type, 6)?;
        let source_addr_ton =
            check_ton(Field::source_addr_ton, reader.u8(Field::source_addr_ton)?)?;
        let source_addr_npi =
            check_npi(Field::source_addr_npi, reader.u8(Field::source_addr_npi)?)?;
        let source_addr = reader.c_octet(Field::source_addr, 21)?;
        let dest_addresses = DestAddresses::decode(reader)?;
        let esm_class = check_esm_class(reader.u8(Field::esm_class)?, SmDirection::Submit)?;
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
        Ok(SubmitMulti {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addresses,
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

impl<B: AsRef<[u8]>> SubmitMulti<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        put_c_octet(out, Field::service_type, self.service_type.as_ref(), 6)?;
        out.extend_from_slice(&[self.source_addr_ton, self.source_addr_npi]);
        put_c_octet(out, Field::source_addr, self.source_addr.as_ref(), 21)?;
        self.dest_addresses.encode(out);
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

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> SubmitMulti<C> {
        SubmitMulti {
            service_type: f(self.service_type),
            source_addr_ton: self.source_addr_ton,
            source_addr_npi: self.source_addr_npi,
            source_addr: f(self.source_addr),
            dest_addresses: self.dest_addresses.map(f),
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

/// One destination the SMSC could not accept, from submit_multi_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsuccessSme<'a> {
    /// TON.
    pub dest_addr_ton: u8,
    /// NPI.
    pub dest_addr_npi: u8,
    /// The address (max 21 octets with NUL).
    pub destination_addr: &'a [u8],
    /// Why it failed.
    pub error_status_code: CommandStatus,
}

/// no_unsuccess and the raw unsuccess_sme structures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UnsuccessSmes<B> {
    count: u8,
    raw: B,
}

impl UnsuccessSmes<Vec<u8>> {
    /// An empty list.
    pub fn new() -> UnsuccessSmes<Vec<u8>> {
        UnsuccessSmes {
            count: 0,
            raw: Vec::new(),
        }
    }

    /// Appends one failed destination.
    pub fn push(
        &mut self,
        dest_addr_ton: u8,
        dest_addr_npi: u8,
        destination_addr: &[u8],
        error_status_code: CommandStatus,
    ) -> Result<&mut Self, EncodeError> {
        if usize::from(self.count) >= SUBMIT_MULTI_DESTS_MAX {
            return Err(EncodeError::TooManyEntries {
                field: Field::no_unsuccess,
                count: usize::from(self.count) + 1,
            });
        }
        let mut entry = vec![dest_addr_ton, dest_addr_npi];
        put_c_octet(&mut entry, Field::destination_addr, destination_addr, 21)?;
        entry.extend_from_slice(&error_status_code.0.to_be_bytes());
        self.raw.extend_from_slice(&entry);
        self.count += 1;
        Ok(self)
    }
}

impl<B: AsRef<[u8]>> UnsuccessSmes<B> {
    /// no_unsuccess.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// True when every destination was accepted.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries in wire order.
    pub fn iter(&self) -> impl Iterator<Item = UnsuccessSme<'_>> {
        let mut reader = Reader::new(self.raw.as_ref(), 0);
        // Validated or built: reads cannot fail; stop if they did.
        (0..self.count).map_while(move |_| {
            Some(UnsuccessSme {
                dest_addr_ton: reader.u8(Field::dest_addr_ton).ok()?,
                dest_addr_npi: reader.u8(Field::dest_addr_npi).ok()?,
                destination_addr: reader.c_octet(Field::destination_addr, 21).ok()?,
                error_status_code: CommandStatus(reader.u32(Field::error_status_code).ok()?),
            })
        })
    }

    fn map<C>(self, f: &mut impl FnMut(B) -> C) -> UnsuccessSmes<C> {
        UnsuccessSmes {
            count: self.count,
            raw: f(self.raw),
        }
    }
}

/// The body of submit_multi_resp.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SubmitMultiResp<B> {
    /// The SMSC's id for the message (max 65 octets with NUL).
    pub message_id: B,
    /// Destinations that failed.
    pub unsuccess_smes: UnsuccessSmes<B>,
    /// Optional parameters (SMPP 5.0).
    pub tlvs: Tlvs<B>,
}

impl<'a> SubmitMultiResp<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let message_id = reader.c_octet(Field::message_id, 65)?;
        let count = reader.u8(Field::no_unsuccess)?;
        let start = reader.position();
        for _ in 0..count {
            reader.u8(Field::dest_addr_ton)?;
            reader.u8(Field::dest_addr_npi)?;
            reader.c_octet(Field::destination_addr, 21)?;
            reader.u32(Field::error_status_code)?;
        }
        let raw = reader.slice(start, reader.position() - start);
        let offset = reader.position();
        Ok(SubmitMultiResp {
            message_id,
            unsuccess_smes: UnsuccessSmes { count, raw },
            tlvs: Tlvs::parse(reader.rest(), offset)?,
        })
    }
}

impl<B: AsRef<[u8]>> SubmitMultiResp<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        put_c_octet(out, Field::message_id, self.message_id.as_ref(), 65)?;
        out.push(self.unsuccess_smes.count);
        out.extend_from_slice(self.unsuccess_smes.raw.as_ref());
        if with_tlvs {
            out.extend_from_slice(self.tlvs.raw());
        }
        Ok(())
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> SubmitMultiResp<C> {
        SubmitMultiResp {
            message_id: f(self.message_id),
            unsuccess_smes: self.unsuccess_smes.map(f),
            tlvs: self.tlvs.map(f),
        }
    }
}
