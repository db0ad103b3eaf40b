//! The SMPP PDU header and command ids (SMPP v3.4 §3.2 and §5.1.2, SMPP v5.0 §4.7.5).
//!
//! Every PDU starts with four big-endian octets each: command_length (the whole PDU, header
//! included), command_id, command_status and sequence_number. Bit 31 of command_id marks a
//! response.

use super::status::CommandStatus;

/// Size of the header in octets.
pub const HEADER_SIZE: usize = 16;

/// Largest sequence_number allowed (SMPP v3.4 §5.1.4: 0x00000001 to 0x7FFFFFFF).
pub const SEQUENCE_NUMBER_MAX: u32 = 0x7FFF_FFFF;

/// The decoded header of one PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Total PDU length in octets, header included.
    pub command_length: u32,
    /// The raw command_id (may be one we do not know).
    pub command_id: u32,
    /// The command_status (zero in requests).
    pub command_status: CommandStatus,
    /// The sequence_number that pairs a response with its request.
    pub sequence_number: u32,
}

impl Header {
    /// Reads the header from the first 16 octets of `frame`; `None` if shorter.
    pub fn peek(frame: &[u8]) -> Option<Header> {
        let bytes = frame.first_chunk::<HEADER_SIZE>()?;
        let word = |index: usize| {
            u32::from_be_bytes([
                bytes[index],
                bytes[index + 1],
                bytes[index + 2],
                bytes[index + 3],
            ])
        };
        Some(Header {
            command_length: word(0),
            command_id: word(4),
            command_status: CommandStatus(word(8)),
            sequence_number: word(12),
        })
    }

    /// The known command this header names, if any.
    pub fn command(&self) -> Option<CommandId> {
        CommandId::from_u32(self.command_id)
    }

    /// Appends the header to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.command_length.to_be_bytes());
        out.extend_from_slice(&self.command_id.to_be_bytes());
        out.extend_from_slice(&self.command_status.0.to_be_bytes());
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
    }
}

macro_rules! command_ids {
    ($($name:ident = $value:literal,)*) => {
        /// Every command_id of SMPP 3.3, 3.4 and 5.0 this codec knows.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum CommandId {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                $name = $value,
            )*
        }

        impl CommandId {
            /// Every known command id.
            pub const ALL: &'static [CommandId] = &[$(CommandId::$name),*];

            /// Maps a wire value to a known command.
            pub fn from_u32(value: u32) -> Option<CommandId> {
                match value {
                    $($value => Some(CommandId::$name),)*
                    _ => None,
                }
            }

            /// The spec's name, e.g. `"submit_sm_resp"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(CommandId::$name => stringify!($name),)*
                }
            }
        }
    };
}

command_ids! {
    generic_nack = 0x8000_0000,
    bind_receiver = 0x0000_0001,
    bind_receiver_resp = 0x8000_0001,
    bind_transmitter = 0x0000_0002,
    bind_transmitter_resp = 0x8000_0002,
    query_sm = 0x0000_0003,
    query_sm_resp = 0x8000_0003,
    submit_sm = 0x0000_0004,
    submit_sm_resp = 0x8000_0004,
    deliver_sm = 0x0000_0005,
    deliver_sm_resp = 0x8000_0005,
    unbind = 0x0000_0006,
    unbind_resp = 0x8000_0006,
    replace_sm = 0x0000_0007,
    replace_sm_resp = 0x8000_0007,
    cancel_sm = 0x0000_0008,
    cancel_sm_resp = 0x8000_0008,
    bind_transceiver = 0x0000_0009,
    bind_transceiver_resp = 0x8000_0009,
    outbind = 0x0000_000B,
    enquire_link = 0x0000_0015,
    enquire_link_resp = 0x8000_0015,
    submit_multi = 0x0000_0021,
    submit_multi_resp = 0x8000_0021,
    alert_notification = 0x0000_0102,
    data_sm = 0x0000_0103,
    data_sm_resp = 0x8000_0103,
}

impl CommandId {
    /// True when bit 31 is set (generic_nack included).
    pub fn is_response(self) -> bool {
        (self as u32) & 0x8000_0000 != 0
    }

    /// The response id for a request (`None` for responses and for requests without one:
    /// outbind and alert_notification).
    pub fn response(self) -> Option<CommandId> {
        if self.is_response() || matches!(self, CommandId::outbind | CommandId::alert_notification)
        {
            return None;
        }
        CommandId::from_u32(self as u32 | 0x8000_0000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the header reads the four big-endian words at the right offsets.
    #[test]
    fn header_peek_reads_big_endian_words() {
        let bytes = [
            0x00, 0x00, 0x00, 0x10, // command_length 16
            0x80, 0x00, 0x00, 0x15, // command_id enquire_link_resp
            0x00, 0x00, 0x00, 0x58, // command_status ESME_RTHROTTLED
            0x7F, 0xFF, 0xFF, 0xFF, // sequence_number max
        ];
        let header = Header::peek(&bytes).unwrap();
        assert_eq!(header.command_length, 16);
        assert_eq!(header.command(), Some(CommandId::enquire_link_resp));
        assert_eq!(header.command_status, CommandStatus::ESME_RTHROTTLED);
        assert_eq!(header.sequence_number, SEQUENCE_NUMBER_MAX);
        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(out, bytes);
        assert!(Header::peek(&bytes[..15]).is_none());
    }

    // Proves every request that has a response maps to it and responses map to none.
    #[test]
    fn requests_map_to_their_responses() {
        assert_eq!(
            CommandId::submit_sm.response(),
            Some(CommandId::submit_sm_resp)
        );
        assert_eq!(CommandId::data_sm.response(), Some(CommandId::data_sm_resp));
        assert_eq!(CommandId::outbind.response(), None);
        assert_eq!(CommandId::alert_notification.response(), None);
        assert_eq!(CommandId::generic_nack.response(), None);
        for id in CommandId::ALL {
            if let Some(response) = id.response() {
                assert!(response.is_response());
                assert_eq!(response as u32 & 0x7FFF_FFFF, *id as u32);
            }
        }
    }
}
