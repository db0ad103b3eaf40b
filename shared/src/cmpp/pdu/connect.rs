// HOT PATH: decoded once per connection, but shares the decode rules. Banned here: allocation
// on the decode side, blocking I/O, locks, per-PDU logging.
//! CMPP_CONNECT and CMPP_CONNECT_RESP (CMPP V3.0 §8.4.1; 2.0 §7.4.1).
//!
//! CONNECT is the same in both versions (27 octets). CONNECT_RESP's Status is 1 octet in 2.0
//! (body 18 octets) and 4 in 3.0 (body 21). A client that asked for 3.0 may be answered in the
//! 2.0 layout by a server that only speaks 2.0 (Status 4, version too high), so
//! [`ConnectResp::decode_either_layout`] picks the layout by body size.

use crate::cmpp::octets::Octets;
use crate::cmpp::wire::{Reader, put_fixed, put_status, put_u8, put_u32};
use crate::cmpp::{CmppVersion, CommandId, ConnectStatus, DecodeError, EncodeError};

/// CMPP_CONNECT: the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connect<'a> {
    /// Source_Addr (6): the SP_Id, or the source ISMG code between gateways.
    pub source_addr: Octets<'a>,
    /// AuthenticatorSource (16): see [`crate::cmpp::authenticator_source`].
    pub authenticator_source: [u8; 16],
    /// Version: the version the client asks for (0x20, 0x30); kept raw for negotiation.
    pub version: u8,
    /// Timestamp: MMDDHHMMSS as an integer; see [`crate::cmpp::timestamp`].
    pub timestamp: u32,
}

/// CMPP_CONNECT_RESP: the server's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectResp {
    /// Status (1 octet in 2.0, 4 in 3.0).
    pub status: ConnectStatus,
    /// AuthenticatorISMG (16): see [`crate::cmpp::authenticator_ismg`]; zeros when refused.
    pub authenticator_ismg: [u8; 16],
    /// Version: the highest version the server supports.
    pub version: u8,
}

impl<'a> Connect<'a> {
    /// Decodes a CONNECT body (the same in both versions).
    pub fn decode(body: &'a [u8]) -> Result<Connect<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let connect = Connect {
            source_addr: reader.fixed("source_addr", SOURCE_ADDR_SIZE)?,
            authenticator_source: reader.array16("authenticator_source")?,
            version: reader.u8("version")?,
            timestamp: reader.u32("timestamp")?,
        };
        reader.finish(CommandId::CMPP_CONNECT)?;
        Ok(connect)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_fixed(out, "source_addr", &self.source_addr, SOURCE_ADDR_SIZE)?;
        out.extend_from_slice(&self.authenticator_source);
        put_u8(out, self.version);
        put_u32(out, self.timestamp);
        Ok(())
    }

    /// Copies the borrowed fields.
    pub fn into_owned(self) -> Connect<'static> {
        Connect {
            source_addr: self.source_addr.into_owned(),
            authenticator_source: self.authenticator_source,
            version: self.version,
            timestamp: self.timestamp,
        }
    }
}

impl ConnectResp {
    /// Decodes a CONNECT_RESP body in `version`'s layout.
    pub fn decode(body: &[u8], version: CmppVersion) -> Result<ConnectResp, DecodeError> {
        let mut reader = Reader::new(body);
        let resp = ConnectResp {
            status: ConnectStatus(reader.status("status", version)?),
            authenticator_ismg: reader.array16("authenticator_ismg")?,
            version: reader.u8("version")?,
        };
        reader.finish(CommandId::CMPP_CONNECT_RESP)?;
        Ok(resp)
    }

    /// Decodes a CONNECT_RESP body in whichever layout its size says (18 octets: 2.0, 21: 3.0),
    /// and returns that layout. For clients whose requested version a server may refuse.
    pub fn decode_either_layout(body: &[u8]) -> Result<(CmppVersion, ConnectResp), DecodeError> {
        let layout = if body.len() == CONNECT_RESP_V2_SIZE {
            CmppVersion::V2_0
        } else {
            CmppVersion::V3_0
        };
        Ok((layout, ConnectResp::decode(body, layout)?))
    }

    /// Appends the body in `version`'s layout.
    pub fn encode(&self, version: CmppVersion, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_status(out, "status", self.status.0, version)?;
        out.extend_from_slice(&self.authenticator_ismg);
        put_u8(out, self.version);
        Ok(())
    }
}

const SOURCE_ADDR_SIZE: usize = 6;
const CONNECT_RESP_V2_SIZE: usize = CmppVersion::V2_0.status_size() + 16 + 1;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing::{check_vector, concat};
    use crate::cmpp::{Pdu, authenticator_source, timestamp};

    // Proves CMPP_CONNECT decodes from and encodes to a hand-built frame in both versions (the
    // layout is the same), with an AuthenticatorSource computed from the documented formula.
    #[test]
    fn connect_vector_both_versions() {
        let timestamp = timestamp(1, 2, 3, 4, 5).unwrap();
        let authenticator = authenticator_source(b"901234", b"secret", timestamp);
        for (version, version_octet) in [(CmppVersion::V2_0, 0x20), (CmppVersion::V3_0, 0x30)] {
            let frame = concat(&[
                &[0, 0, 0, 39],            // Total_Length = 12 + 27
                &[0, 0, 0, 1],             // Command_Id = CMPP_CONNECT
                &[0, 0, 0, 1],             // Sequence_Id = 1
                b"901234",                 // Source_Addr (6)
                &authenticator,            // AuthenticatorSource (16)
                &[version_octet],          // Version
                &[0x06, 0x14, 0xDC, 0x45], // Timestamp = 102030405 (0x0614DC45)
            ]);
            let pdu = Pdu::Connect(Connect {
                source_addr: b"901234".into(),
                authenticator_source: authenticator,
                version: version_octet,
                timestamp,
            });
            check_vector(version, &frame, 1, &pdu);
        }
    }

    // Proves CONNECT_RESP puts Status in 1 octet in 2.0 and 4 in 3.0, byte for byte.
    #[test]
    fn connect_resp_vector_status_width_per_version() {
        let authenticator = [0xA5; 16];
        let v2 = concat(&[
            &[0, 0, 0, 30],   // Total_Length = 12 + 18
            &[0x80, 0, 0, 1], // Command_Id = CMPP_CONNECT_RESP
            &[0, 0, 0, 1],    // Sequence_Id = 1
            &[3],             // Status (1) = 3, auth error
            &authenticator,   // AuthenticatorISMG (16)
            &[0x20],          // Version = 2.0
        ]);
        let v3 = concat(&[
            &[0, 0, 0, 33],   // Total_Length = 12 + 21
            &[0x80, 0, 0, 1], // Command_Id = CMPP_CONNECT_RESP
            &[0, 0, 0, 1],    // Sequence_Id = 1
            &[0, 0, 0, 3],    // Status (4) = 3, auth error
            &authenticator,   // AuthenticatorISMG (16)
            &[0x30],          // Version = 3.0
        ]);
        let resp = |version| {
            Pdu::ConnectResp(ConnectResp {
                status: ConnectStatus::AUTH_ERROR,
                authenticator_ismg: authenticator,
                version,
            })
        };
        check_vector(CmppVersion::V2_0, &v2, 1, &resp(0x20));
        check_vector(CmppVersion::V3_0, &v3, 1, &resp(0x30));
    }

    // Proves a client that asked for 3.0 still reads a 2.0-layout refusal, and that the strict
    // decoder reports the wrong layout as a length problem instead of misreading it.
    #[test]
    fn connect_resp_either_layout_reads_a_2_0_refusal() {
        let body = concat(&[&[4], &[0; 16], &[0x20]]);
        assert_eq!(
            ConnectResp::decode_either_layout(&body),
            Ok((
                CmppVersion::V2_0,
                ConnectResp {
                    status: ConnectStatus::VERSION_TOO_HIGH,
                    authenticator_ismg: [0; 16],
                    version: 0x20,
                }
            ))
        );
        assert_eq!(
            ConnectResp::decode(&body, CmppVersion::V3_0),
            Err(DecodeError::FieldTruncated {
                field: "authenticator_ismg"
            })
        );
        assert_eq!(
            ConnectResp::decode_either_layout(&body[..10]),
            Err(DecodeError::FieldTruncated {
                field: "authenticator_ismg"
            })
        );
    }

    // Proves a Status over 255 cannot be sent to a 2.0 peer and that Source_Addr over 6 octets
    // is refused rather than cut.
    #[test]
    fn connect_encode_refuses_values_that_do_not_fit() {
        let mut out = Vec::new();
        let resp = ConnectResp {
            status: ConnectStatus(300),
            authenticator_ismg: [0; 16],
            version: 0x20,
        };
        assert_eq!(
            resp.encode(CmppVersion::V2_0, &mut out),
            Err(EncodeError::StatusOverWidth {
                field: "status",
                value: 300,
                version: CmppVersion::V2_0
            })
        );
        let connect = Connect {
            source_addr: b"9012345".into(),
            ..Connect::default()
        };
        assert!(matches!(
            connect.encode(&mut out),
            Err(EncodeError::FieldTooLong {
                field: "source_addr",
                size: 7,
                max: 6
            })
        ));
    }
}
