//! bind_transmitter, bind_receiver, bind_transceiver, their responses and outbind
//! (SMPP v3.4 §4.1, SMPP v5.0 §4.1).

use super::super::error::{DecodeError, EncodeError, Field};
use super::super::tlv::Tlvs;
use super::super::wire::{Reader, check_npi, check_ton, put_c_octet};

/// The body of the three bind requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Bind<B> {
    /// Identifies the ESME (max 16 octets with NUL).
    pub system_id: B,
    /// The password (max 9 octets with NUL).
    pub password: B,
    /// The type of ESME (max 13 octets with NUL).
    pub system_type: B,
    /// 0x33 for SMPP 3.3, 0x34 for 3.4, 0x50 for 5.0 (lower values mean 3.3).
    pub interface_version: u8,
    /// TON of the address range.
    pub addr_ton: u8,
    /// NPI of the address range.
    pub addr_npi: u8,
    /// The addresses the ESME serves, as a regular expression (max 41 octets with NUL).
    pub address_range: B,
}

impl<'a> Bind<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(Bind {
            system_id: reader.c_octet(Field::system_id, 16)?,
            password: reader.c_octet(Field::password, 9)?,
            system_type: reader.c_octet(Field::system_type, 13)?,
            interface_version: reader.u8(Field::interface_version)?,
            addr_ton: check_ton(Field::addr_ton, reader.u8(Field::addr_ton)?)?,
            addr_npi: check_npi(Field::addr_npi, reader.u8(Field::addr_npi)?)?,
            address_range: reader.c_octet(Field::address_range, 41)?,
        })
    }
}

impl<B: AsRef<[u8]>> Bind<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_c_octet(out, Field::system_id, self.system_id.as_ref(), 16)?;
        put_c_octet(out, Field::password, self.password.as_ref(), 9)?;
        put_c_octet(out, Field::system_type, self.system_type.as_ref(), 13)?;
        out.extend_from_slice(&[self.interface_version, self.addr_ton, self.addr_npi]);
        put_c_octet(out, Field::address_range, self.address_range.as_ref(), 41)
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> Bind<C> {
        Bind {
            system_id: f(self.system_id),
            password: f(self.password),
            system_type: f(self.system_type),
            interface_version: self.interface_version,
            addr_ton: self.addr_ton,
            addr_npi: self.addr_npi,
            address_range: f(self.address_range),
        }
    }
}

/// The body of the three bind responses: the SMSC's system_id and, from 3.4 on, the optional
/// sc_interface_version TLV.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BindResp<B> {
    /// Identifies the SMSC (max 16 octets with NUL).
    pub system_id: B,
    /// Optional parameters (sc_interface_version).
    pub tlvs: Tlvs<B>,
}

impl<'a> BindResp<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let system_id = reader.c_octet(Field::system_id, 16)?;
        let offset = reader.position();
        Ok(BindResp {
            system_id,
            tlvs: Tlvs::parse(reader.rest(), offset)?,
        })
    }
}

impl<B: AsRef<[u8]>> BindResp<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>, with_tlvs: bool) -> Result<(), EncodeError> {
        put_c_octet(out, Field::system_id, self.system_id.as_ref(), 16)?;
        if with_tlvs {
            out.extend_from_slice(self.tlvs.raw());
        }
        Ok(())
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> BindResp<C> {
        BindResp {
            system_id: f(self.system_id),
            tlvs: self.tlvs.map(f),
        }
    }
}

/// The body of outbind (SMPP v3.4 §4.1.7): the SMSC asks the ESME to bind as a receiver.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Outbind<B> {
    /// Identifies the SMSC (max 16 octets with NUL).
    pub system_id: B,
    /// The password (max 9 octets with NUL).
    pub password: B,
}

impl<'a> Outbind<&'a [u8]> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(Outbind {
            system_id: reader.c_octet(Field::system_id, 16)?,
            password: reader.c_octet(Field::password, 9)?,
        })
    }
}

impl<B: AsRef<[u8]>> Outbind<B> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_c_octet(out, Field::system_id, self.system_id.as_ref(), 16)?;
        put_c_octet(out, Field::password, self.password.as_ref(), 9)
    }

    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> Outbind<C> {
        Outbind {
            system_id: f(self.system_id),
            password: f(self.password),
        }
    }
}
