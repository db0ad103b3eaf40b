// HOT PATH: decoded for every PDU. Banned here: allocation, blocking I/O, locks, per-PDU logging.
//! The 12-octet message header (CMPP V3.0 §8.3; identical in 2.0) and the Command_Id values
//! (V3.0 §8.7.1).
//!
//! Total_Length counts the header itself; [`Header::decode`] checks it against the frame the
//! splitter returned, so a body decoder always sees exactly its own octets.

use super::DecodeError;

/// Size of the message header: Total_Length(4) Command_Id(4) Sequence_Id(4), big-endian.
pub const HEADER_SIZE: usize = 12;

/// The message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Total_Length: header plus body, in octets.
    pub total_length: u32,
    /// Command_Id: which PDU the body is.
    pub command_id: CommandId,
    /// Sequence_Id: a request and its response carry the same value.
    pub sequence_id: u32,
}

impl Header {
    /// Decodes the header of one whole frame (as returned by [`crate::frame::next_frame`]) and
    /// checks Total_Length against the frame's size.
    pub fn decode(frame: &[u8]) -> Result<Header, DecodeError> {
        let Some((fields, _)) = frame.split_first_chunk::<HEADER_SIZE>() else {
            return Err(DecodeError::HeaderTruncated { size: frame.len() });
        };
        let [l0, l1, l2, l3, c0, c1, c2, c3, s0, s1, s2, s3] = *fields;
        let total_length = u32::from_be_bytes([l0, l1, l2, l3]);
        let command_id = u32::from_be_bytes([c0, c1, c2, c3]);
        let sequence_id = u32::from_be_bytes([s0, s1, s2, s3]);
        if usize::try_from(total_length) != Ok(frame.len()) {
            return Err(DecodeError::TotalLengthMismatch {
                total_length,
                frame_size: frame.len(),
            });
        }
        let Some(command_id) = CommandId::from_u32(command_id) else {
            return Err(DecodeError::UnknownCommandId {
                command_id,
                sequence_id,
            });
        };
        Ok(Header {
            total_length,
            command_id,
            sequence_id,
        })
    }

    /// Appends the header.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.total_length.to_be_bytes());
        out.extend_from_slice(&(self.command_id as u32).to_be_bytes());
        out.extend_from_slice(&self.sequence_id.to_be_bytes());
    }
}

/// Command_Id values of the SP↔ISMG and ISMG↔ISMG PDUs (V3.0 §8.7.1; the same in 2.0).
///
/// A response's id is its request's id with the top bit set.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum CommandId {
    /// Request to connect (authenticate).
    CMPP_CONNECT = 0x0000_0001,
    /// Connect response.
    CMPP_CONNECT_RESP = 0x8000_0001,
    /// Request to tear the connection down.
    CMPP_TERMINATE = 0x0000_0002,
    /// Terminate response.
    CMPP_TERMINATE_RESP = 0x8000_0002,
    /// SP submits a message.
    CMPP_SUBMIT = 0x0000_0004,
    /// Submit response.
    CMPP_SUBMIT_RESP = 0x8000_0004,
    /// ISMG delivers a message or status report.
    CMPP_DELIVER = 0x0000_0005,
    /// Deliver response.
    CMPP_DELIVER_RESP = 0x8000_0005,
    /// SP queries traffic statistics.
    CMPP_QUERY = 0x0000_0006,
    /// Query response.
    CMPP_QUERY_RESP = 0x8000_0006,
    /// SP cancels a submitted message.
    CMPP_CANCEL = 0x0000_0007,
    /// Cancel response.
    CMPP_CANCEL_RESP = 0x8000_0007,
    /// Link keep-alive.
    CMPP_ACTIVE_TEST = 0x0000_0008,
    /// Keep-alive response.
    CMPP_ACTIVE_TEST_RESP = 0x8000_0008,
    /// ISMG forwards a message to another ISMG.
    CMPP_FWD = 0x0000_0009,
    /// Forward response.
    CMPP_FWD_RESP = 0x8000_0009,
}

impl CommandId {
    /// Every supported Command_Id, requests and responses.
    pub const ALL: [CommandId; 16] = [
        CommandId::CMPP_CONNECT,
        CommandId::CMPP_CONNECT_RESP,
        CommandId::CMPP_TERMINATE,
        CommandId::CMPP_TERMINATE_RESP,
        CommandId::CMPP_SUBMIT,
        CommandId::CMPP_SUBMIT_RESP,
        CommandId::CMPP_DELIVER,
        CommandId::CMPP_DELIVER_RESP,
        CommandId::CMPP_QUERY,
        CommandId::CMPP_QUERY_RESP,
        CommandId::CMPP_CANCEL,
        CommandId::CMPP_CANCEL_RESP,
        CommandId::CMPP_ACTIVE_TEST,
        CommandId::CMPP_ACTIVE_TEST_RESP,
        CommandId::CMPP_FWD,
        CommandId::CMPP_FWD_RESP,
    ];

    /// The typed id for a wire value, `None` for ids this codec does not support.
    pub const fn from_u32(value: u32) -> Option<CommandId> {
        Some(match value {
            0x0000_0001 => CommandId::CMPP_CONNECT,
            0x8000_0001 => CommandId::CMPP_CONNECT_RESP,
            0x0000_0002 => CommandId::CMPP_TERMINATE,
            0x8000_0002 => CommandId::CMPP_TERMINATE_RESP,
            0x0000_0004 => CommandId::CMPP_SUBMIT,
            0x8000_0004 => CommandId::CMPP_SUBMIT_RESP,
            0x0000_0005 => CommandId::CMPP_DELIVER,
            0x8000_0005 => CommandId::CMPP_DELIVER_RESP,
            0x0000_0006 => CommandId::CMPP_QUERY,
            0x8000_0006 => CommandId::CMPP_QUERY_RESP,
            0x0000_0007 => CommandId::CMPP_CANCEL,
            0x8000_0007 => CommandId::CMPP_CANCEL_RESP,
            0x0000_0008 => CommandId::CMPP_ACTIVE_TEST,
            0x8000_0008 => CommandId::CMPP_ACTIVE_TEST_RESP,
            0x0000_0009 => CommandId::CMPP_FWD,
            0x8000_0009 => CommandId::CMPP_FWD_RESP,
            _ => return None,
        })
    }

    /// Whether this is a response (top bit set).
    pub const fn is_response(self) -> bool {
        (self as u32) & RESPONSE_BIT != 0
    }

    /// The response to this request, `None` for a response.
    pub const fn response(self) -> Option<CommandId> {
        if self.is_response() {
            return None;
        }
        CommandId::from_u32(self as u32 | RESPONSE_BIT)
    }
}

const RESPONSE_BIT: u32 = 0x8000_0000;

#[cfg(test)]
mod tests {
    use super::*;

    // Proves every typed id survives the wire value round trip, responses pair with requests,
    // and the GNS ids of V3.0 §8.6 are reported as unknown.
    #[test]
    fn command_ids_round_trip_and_pair() {
        for id in CommandId::ALL {
            assert_eq!(CommandId::from_u32(id as u32), Some(id));
            if !id.is_response() {
                let response = id.response().unwrap();
                assert!(response.is_response());
                assert_eq!(response as u32 & !RESPONSE_BIT, id as u32);
            }
        }
        assert_eq!(CommandId::CMPP_SUBMIT_RESP.response(), None);
        for gns in 0x10..=0x17u32 {
            assert_eq!(CommandId::from_u32(gns), None);
            assert_eq!(CommandId::from_u32(gns | RESPONSE_BIT), None);
        }
        assert_eq!(CommandId::from_u32(0x3), None);
    }

    // Proves the header decodes big-endian and that a short frame, a Total_Length that disagrees
    // with the frame, and an unknown Command_Id are typed errors carrying what was read.
    #[test]
    fn header_decode_checks_length_and_id() {
        let frame = [
            0, 0, 0, 12, // Total_Length = 12
            0x80, 0, 0, 8, // Command_Id = CMPP_ACTIVE_TEST_RESP
            0x12, 0x34, 0x56, 0x78, // Sequence_Id
        ];
        assert_eq!(
            Header::decode(&frame),
            Ok(Header {
                total_length: 12,
                command_id: CommandId::CMPP_ACTIVE_TEST_RESP,
                sequence_id: 0x1234_5678,
            })
        );
        assert_eq!(
            Header::decode(&frame[..11]),
            Err(DecodeError::HeaderTruncated { size: 11 })
        );
        let mut long = frame.to_vec();
        long.push(0);
        assert_eq!(
            Header::decode(&long),
            Err(DecodeError::TotalLengthMismatch {
                total_length: 12,
                frame_size: 13
            })
        );
        let mut unknown = frame;
        unknown[7] = 0x10;
        assert_eq!(
            Header::decode(&unknown),
            Err(DecodeError::UnknownCommandId {
                command_id: 0x8000_0010,
                sequence_id: 0x1234_5678
            })
        );
    }
}
