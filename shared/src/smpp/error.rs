//! SMPP decode and encode errors, and the one mapping from an error to the command_status a
//! server answers with (SMPP v3.4 §5.1.3).
//!
//! Reviewers: a new [`DecodeError`] variant or [`Field`] needs its status here, nowhere else.

use thiserror::Error;

use super::status::CommandStatus;
use crate::frame::FrameError;

/// A mandatory or optional field of an SMPP PDU, by its spec name.
#[allow(non_camel_case_types, missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    system_id,
    password,
    system_type,
    interface_version,
    addr_ton,
    addr_npi,
    address_range,
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
    sm_length,
    short_message,
    message_id,
    final_date,
    message_state,
    error_code,
    number_of_dests,
    dest_flag,
    dl_name,
    no_unsuccess,
    error_status_code,
    esme_addr_ton,
    esme_addr_npi,
    esme_addr,
    message_payload,
}

impl Field {
    /// The field's spec name.
    pub fn name(self) -> &'static str {
        // The Debug form of a fieldless enum is its variant name, which is the spec name.
        match self {
            Field::system_id => "system_id",
            Field::password => "password",
            Field::system_type => "system_type",
            Field::interface_version => "interface_version",
            Field::addr_ton => "addr_ton",
            Field::addr_npi => "addr_npi",
            Field::address_range => "address_range",
            Field::service_type => "service_type",
            Field::source_addr_ton => "source_addr_ton",
            Field::source_addr_npi => "source_addr_npi",
            Field::source_addr => "source_addr",
            Field::dest_addr_ton => "dest_addr_ton",
            Field::dest_addr_npi => "dest_addr_npi",
            Field::destination_addr => "destination_addr",
            Field::esm_class => "esm_class",
            Field::protocol_id => "protocol_id",
            Field::priority_flag => "priority_flag",
            Field::schedule_delivery_time => "schedule_delivery_time",
            Field::validity_period => "validity_period",
            Field::registered_delivery => "registered_delivery",
            Field::replace_if_present_flag => "replace_if_present_flag",
            Field::data_coding => "data_coding",
            Field::sm_default_msg_id => "sm_default_msg_id",
            Field::sm_length => "sm_length",
            Field::short_message => "short_message",
            Field::message_id => "message_id",
            Field::final_date => "final_date",
            Field::message_state => "message_state",
            Field::error_code => "error_code",
            Field::number_of_dests => "number_of_dests",
            Field::dest_flag => "dest_flag",
            Field::dl_name => "dl_name",
            Field::no_unsuccess => "no_unsuccess",
            Field::error_status_code => "error_status_code",
            Field::esme_addr_ton => "esme_addr_ton",
            Field::esme_addr_npi => "esme_addr_npi",
            Field::esme_addr => "esme_addr",
            Field::message_payload => "message_payload",
        }
    }

    /// The status a server answers when this field's value is invalid.
    pub fn invalid_status(self) -> CommandStatus {
        match self {
            Field::system_id => CommandStatus::ESME_RINVSYSID,
            Field::password => CommandStatus::ESME_RINVPASWD,
            Field::system_type => CommandStatus::ESME_RINVSYSTYP,
            Field::interface_version | Field::addr_ton | Field::addr_npi | Field::address_range => {
                CommandStatus::ESME_RBINDFAIL
            }
            Field::service_type => CommandStatus::ESME_RINVSERTYP,
            Field::source_addr_ton | Field::esme_addr_ton => CommandStatus::ESME_RINVSRCTON,
            Field::source_addr_npi | Field::esme_addr_npi => CommandStatus::ESME_RINVSRCNPI,
            Field::source_addr | Field::esme_addr => CommandStatus::ESME_RINVSRCADR,
            Field::dest_addr_ton => CommandStatus::ESME_RINVDSTTON,
            Field::dest_addr_npi => CommandStatus::ESME_RINVDSTNPI,
            Field::destination_addr => CommandStatus::ESME_RINVDSTADR,
            Field::esm_class => CommandStatus::ESME_RINVESMCLASS,
            Field::priority_flag => CommandStatus::ESME_RINVPRTFLG,
            Field::schedule_delivery_time => CommandStatus::ESME_RINVSCHED,
            Field::validity_period => CommandStatus::ESME_RINVEXPIRY,
            Field::registered_delivery => CommandStatus::ESME_RINVREGDLVFLG,
            Field::replace_if_present_flag => CommandStatus::ESME_RINVREPFLAG,
            Field::data_coding => CommandStatus::ESME_RINVDCS,
            Field::sm_default_msg_id => CommandStatus::ESME_RINVDFTMSGID,
            Field::sm_length | Field::short_message | Field::message_payload => {
                CommandStatus::ESME_RINVMSGLEN
            }
            Field::message_id => CommandStatus::ESME_RINVMSGID,
            Field::number_of_dests => CommandStatus::ESME_RINVNUMDESTS,
            Field::dest_flag => CommandStatus::ESME_RINVDESTFLAG,
            Field::dl_name => CommandStatus::ESME_RINVDLNAME,
            // Fields only servers send: a client that cannot read them has no one to answer.
            Field::protocol_id
            | Field::final_date
            | Field::message_state
            | Field::error_code
            | Field::no_unsuccess
            | Field::error_status_code => CommandStatus::ESME_RSYSERR,
        }
    }
}

/// Why a PDU could not be decoded. Every variant maps to a command_status via
/// [`DecodeError::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The stream's length field is out of range; the stream is out of sync.
    #[error("framing: {0}")]
    Frame(#[from] FrameError),
    /// command_length disagrees with the bytes handed to the decoder.
    #[error("command_length {command_length} but the frame has {frame_size} bytes")]
    LengthMismatch {
        /// The header's command_length.
        command_length: u32,
        /// The frame's actual size.
        frame_size: usize,
    },
    /// A command_id we do not know; answer generic_nack.
    #[error("unknown command_id 0x{0:08X}")]
    UnknownCommandId(u32),
    /// The body ended inside a mandatory field.
    #[error("PDU body ends inside mandatory field {}", .0.name())]
    FieldTruncated(Field),
    /// A C-octet string has no NUL within its maximum size.
    #[error("{} has no NUL terminator within its {size_max}-octet maximum", field.name())]
    CStringTooLong {
        /// The field.
        field: Field,
        /// Its maximum size including the NUL.
        size_max: usize,
    },
    /// A field holds a value the spec does not allow.
    #[error("{} has invalid value {value}", field.name())]
    InvalidValue {
        /// The field.
        field: Field,
        /// The value found.
        value: u32,
    },
    /// A time field is neither empty nor a 16-character SMPP time (§7.1.1).
    #[error("{} is not an SMPP absolute or relative time", .0.name())]
    InvalidTime(Field),
    /// The body ends before sm_length octets of short_message.
    #[error("sm_length {sm_length} is longer than the rest of the PDU")]
    ShortMessageTruncated {
        /// The sm_length field.
        sm_length: u8,
    },
    /// Both short_message and the message_payload TLV carry text.
    #[error("short_message and message_payload are both present")]
    PayloadConflict,
    /// Bytes after the mandatory fields do not form whole TLVs.
    #[error("malformed TLV stream at body offset {offset}")]
    TlvStream {
        /// Offset of the bad TLV from the start of the PDU.
        offset: usize,
    },
    /// A known TLV has a length its definition does not allow.
    #[error("TLV 0x{tag:04X} has invalid length {length}")]
    TlvLength {
        /// The tag.
        tag: u16,
        /// The length found.
        length: u16,
    },
    /// More TLVs than [`crate::limits::TLVS_PER_PDU_MAX`].
    #[error("more than {max} TLVs in one PDU")]
    TooManyTlvs {
        /// The limit.
        max: usize,
    },
    /// A PDU with no body (or a fixed body) has extra bytes.
    #[error("{extra} unexpected bytes after the PDU body")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

impl DecodeError {
    /// The command_status a server answers with. Framing errors, unknown commands and length
    /// mismatches are answered with generic_nack; the rest with the request's own response.
    pub fn status(&self) -> CommandStatus {
        match self {
            DecodeError::Frame(_)
            | DecodeError::LengthMismatch { .. }
            | DecodeError::FieldTruncated(_)
            | DecodeError::TrailingBytes { .. } => CommandStatus::ESME_RINVCMDLEN,
            DecodeError::UnknownCommandId(_) => CommandStatus::ESME_RINVCMDID,
            DecodeError::CStringTooLong { field, .. } => field.invalid_status(),
            DecodeError::InvalidValue { field, .. } => field.invalid_status(),
            DecodeError::InvalidTime(field) => field.invalid_status(),
            DecodeError::ShortMessageTruncated { .. } => CommandStatus::ESME_RINVMSGLEN,
            DecodeError::PayloadConflict => CommandStatus::ESME_RTLVNOTALLWD,
            DecodeError::TlvStream { .. } | DecodeError::TooManyTlvs { .. } => {
                CommandStatus::ESME_RINVTLVSTREAM
            }
            DecodeError::TlvLength { .. } => CommandStatus::ESME_RINVTLVLEN,
        }
    }

    /// True when the byte stream can no longer be trusted to be in sync, so the session must
    /// answer generic_nack and close.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            DecodeError::Frame(_) | DecodeError::LengthMismatch { .. }
        )
    }
}

/// Why a PDU could not be encoded. The encoder refuses rather than truncates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A C-octet string is longer than its maximum (NUL included).
    #[error("{} is {size} octets; the maximum is {size_max} including the NUL", field.name())]
    CStringTooLong {
        /// The field.
        field: Field,
        /// Its size without the NUL.
        size: usize,
        /// The maximum including the NUL.
        size_max: usize,
    },
    /// A C-octet string contains a NUL octet.
    #[error("{} contains a NUL octet", .0.name())]
    EmbeddedNul(Field),
    /// short_message is over 255 octets; use message_payload.
    #[error("short_message is {0} octets; the maximum is 255 (use message_payload)")]
    ShortMessageTooLong(usize),
    /// The user data is in message_payload, which a peer without TLVs (SMPP 3.3) cannot receive;
    /// leaving it out would send an empty message.
    #[error("message_payload of {0} octets cannot be sent without TLVs (SMPP 3.3 peer)")]
    PayloadNeedsTlvs(usize),
    /// A list has more entries than its one-octet count allows.
    #[error("{} has {count} entries; the maximum is 255", field.name())]
    TooManyEntries {
        /// The count field.
        field: Field,
        /// How many were given.
        count: usize,
    },
    /// A TLV value is longer than 65,535 octets.
    #[error("TLV 0x{tag:04X} value is {size} octets; the maximum is 65535")]
    TlvTooLong {
        /// The tag.
        tag: u16,
        /// The value's size.
        size: usize,
    },
    /// A standard TLV's value has a length its definition does not allow.
    #[error("TLV 0x{tag:04X} cannot have a {size}-octet value")]
    TlvLength {
        /// The tag.
        tag: u16,
        /// The value's size.
        size: usize,
    },
    /// A C-octet string TLV value contains a NUL octet.
    #[error("TLV 0x{0:04X} contains a NUL octet")]
    TlvEmbeddedNul(u16),
    /// The PDU would exceed the 32-bit command_length or the configured maximum.
    #[error("PDU is {size} octets; the maximum is {size_max}")]
    PduTooLong {
        /// The encoded size.
        size: usize,
        /// The maximum.
        size_max: usize,
    },
}
