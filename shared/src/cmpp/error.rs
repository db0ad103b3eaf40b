//! Why a CMPP PDU cannot be decoded (a peer error) or encoded (a caller error).
//!
//! Decode errors become a wire answer through the one mapping in `status.rs`; add a
//! variant there when you add one here. Encode errors mean our own code built a PDU the
//! protocol cannot carry; the encoder refuses rather than truncating or guessing.

use thiserror::Error;

use super::{CmppVersion, CommandId};

/// Why a frame is not a valid CMPP PDU of the negotiated version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The frame is shorter than the 12-octet header.
    #[error("frame of {size} octets is shorter than the 12-octet header")]
    HeaderTruncated {
        /// Size of the frame.
        size: usize,
    },
    /// Total_Length disagrees with the size of the frame it heads.
    #[error("Total_Length {total_length} disagrees with the frame size {frame_size}")]
    TotalLengthMismatch {
        /// Total_Length read from the header.
        total_length: u32,
        /// Size of the frame.
        frame_size: usize,
    },
    /// Command_Id is not one this codec supports (V3.0 §8.7.1 minus the GNS ids).
    #[error("unknown Command_Id {command_id:#010x} (Sequence_Id {sequence_id})")]
    UnknownCommandId {
        /// Command_Id read from the header.
        command_id: u32,
        /// Sequence_Id read from the header, so the session can still answer.
        sequence_id: u32,
    },
    /// The body ends inside a field.
    #[error("body ends inside field {field}")]
    FieldTruncated {
        /// Spec name of the field, snake_cased.
        field: &'static str,
    },
    /// Octets follow the last field of a fixed-layout body.
    #[error("{size} octets follow the last field of {command_id:?}")]
    TrailingBytes {
        /// The PDU whose body is too long.
        command_id: CommandId,
        /// Number of extra octets.
        size: usize,
    },
    /// Msg_Length disagrees with the room Total_Length leaves for Msg_Content.
    #[error(
        "Msg_Length {msg_length} but Total_Length leaves {content_size} octets for Msg_Content"
    )]
    MsgLengthMismatch {
        /// Msg_Length read from the body.
        msg_length: u8,
        /// Octets between Msg_Length and the fixed fields after Msg_Content.
        content_size: usize,
    },
    /// A CMPP_SUBMIT's Msg_Length is over the maximum for its Msg_Fmt (V3.0 §8.4.3.1).
    #[error("Msg_Length {msg_length} is over the maximum of {max} for Msg_Fmt {msg_fmt}")]
    MsgLengthOverMax {
        /// Msg_Fmt read from the body.
        msg_fmt: u8,
        /// Msg_Length read from the body.
        msg_length: u8,
        /// The largest Msg_Length accepted for this Msg_Fmt.
        max: u8,
    },
    /// DestUsr_tl is 0, over [`super::DEST_USR_TL_MAX`] (SUBMIT), or not 1 (FWD).
    #[error("DestUsr_tl {got} is outside 1..={max}")]
    DestUsrTlInvalid {
        /// DestUsr_tl read from the body.
        got: u8,
        /// The largest accepted value.
        max: u8,
    },
    /// Pk_number is 0 or over Pk_total (both count from 1).
    #[error("Pk_number {pk_number} is outside 1..=Pk_total ({pk_total})")]
    PkNumberInvalid {
        /// Pk_total read from the body.
        pk_total: u8,
        /// Pk_number read from the body.
        pk_number: u8,
    },
    /// A CMPP_DELIVER's Registered_Delivery is neither 0 (message) nor 1 (status report).
    #[error("Registered_Delivery {got} in CMPP_DELIVER is neither 0 nor 1")]
    RegisteredDeliveryInvalid {
        /// Registered_Delivery read from the body.
        got: u8,
    },
    /// A status report's Msg_Content is not the size the version defines (60 or 71 octets).
    #[error("status report of {size} octets, expected {expected}")]
    StatusReportSize {
        /// Msg_Length of the DELIVER.
        size: usize,
        /// Size of a status report in the negotiated version.
        expected: usize,
    },
}

/// Why a PDU cannot be encoded in the requested version. Nothing is appended on error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A value is longer than its fixed-length field.
    #[error("{field} is {size} octets, over its {max}-octet field")]
    FieldTooLong {
        /// Spec name of the field, snake_cased.
        field: &'static str,
        /// Size of the value.
        size: usize,
        /// Size of the field.
        max: usize,
    },
    /// A field that only the other version has is set (non-zero or non-empty).
    #[error("{field} does not exist in CMPP {version}")]
    FieldNotInVersion {
        /// Spec name of the field, snake_cased.
        field: &'static str,
        /// The version being encoded.
        version: CmppVersion,
    },
    /// A status value does not fit the version's field (over 255 in 2.0's one octet).
    #[error("{field} value {value} does not fit in CMPP {version}")]
    StatusOverWidth {
        /// Spec name of the field, snake_cased.
        field: &'static str,
        /// The value.
        value: u32,
        /// The version being encoded.
        version: CmppVersion,
    },
    /// The destination list is empty or too long.
    #[error("{count} destinations, expected 1..={max}")]
    DestUsrTlInvalid {
        /// Number of destinations.
        count: usize,
        /// The largest accepted count.
        max: usize,
    },
    /// Msg_Content is longer than Msg_Length can say, or than its Msg_Fmt allows in a SUBMIT.
    #[error("Msg_Content of {size} octets is over the maximum of {max}")]
    MsgContentTooLong {
        /// Size of the content.
        size: usize,
        /// The largest size allowed.
        max: usize,
    },
    /// Pk_number is 0 or over Pk_total.
    #[error("Pk_number {pk_number} is outside 1..=Pk_total ({pk_total})")]
    PkNumberInvalid {
        /// Pk_total of the PDU.
        pk_total: u8,
        /// Pk_number of the PDU.
        pk_number: u8,
    },
}
