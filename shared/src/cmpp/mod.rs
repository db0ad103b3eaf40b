//! CMPP 2.0 and 3.0 wire codec: header, every PDU, the Msg_Id layout and the MD5 authenticators.
//!
//! Implements China Mobile's "互联网短信网关接口协议" CMPP V2.0 (§7.4) and V3.0.0 (§8.3 header,
//! §8.4 SP↔ISMG, §8.5 ISMG↔ISMG, §8.7.1 Command_Id). The GNS routing PDUs of V3.0 §8.6
//! (Command_Id 0x10..0x17) are not supported and decode as [`DecodeError::UnknownCommandId`].
//!
//! Call contract:
//! - Split the stream with [`crate::frame::next_frame`] under [`crate::frame::FrameLimits::CMPP`],
//!   then call [`decode`] with the version the session negotiated; 2.0 and 3.0 share Command_Ids
//!   but not field widths, so the bytes alone cannot tell them apart.
//! - Decoding allocates nothing: octet-string fields are [`Octets`] views into the frame, fixed
//!   fields without their trailing NUL padding, and destination lists are [`TerminalIds`] views.
//!   Call [`Pdu::into_owned`] to keep a PDU after the receive buffer moves on.
//! - [`encode`] appends one whole PDU (with its Total_Length) to the caller's `Vec`; on error
//!   nothing is appended. Every PDU the encoder writes, the decoder accepts, and every PDU the
//!   decoder accepts re-encodes to the same bytes (checked by [`fuzz::fuzz_decode`]).
//! - A decode error becomes a wire answer through one mapping in `status.rs`
//!   (`From<&DecodeError>` for [`SubmitResult`], [`DeliverResult`], [`FwdResult`] and
//!   [`ConnectStatus`]).
//!
//! Bounds: a PDU never exceeds [`crate::limits::CMPP_PDU_SIZE_MAX`] (checked at compile time for
//! the largest SUBMIT); a destination list holds at most [`DEST_USR_TL_MAX`] entries.
//!
//! `docs/protocols-cmpp.md` lists the per-version field differences and every tolerance choice.
//!
//! [`session`] is the sans-IO connection state machine for both ends (SP and ISMG) built on this
//! codec: CONNECT with the authenticators, version negotiation, windows, ACTIVE_TEST, TERMINATE.

mod auth;
mod error;
pub mod fuzz;
mod header;
mod msg_id;
mod octets;
mod pdu;
pub mod session;
mod status;
mod wire;

#[cfg(test)]
mod testing;

pub use auth::{
    ConnectTimestamp, TimestampError, authenticator_ismg, authenticator_source, timestamp,
    verify_authenticator_ismg, verify_authenticator_source,
};
pub use error::{DecodeError, EncodeError};
pub use header::{CommandId, HEADER_SIZE, Header};
pub use msg_id::{MsgId, MsgIdError};
pub use octets::{Octets, TerminalIds, TerminalIdsIter, trim_nul_padding, until_nul};
pub use pdu::{
    ActiveTestResp, Cancel, CancelResp, Connect, ConnectResp, Deliver, DeliverContent, DeliverResp,
    Fwd, FwdResp, Pdu, Query, QueryResp, StatusReport, Submit, SubmitResp, decode, encode,
};
pub use status::{CancelResult, ConnectStatus, DeliverResult, FwdResult, SubmitResult};

/// Most destinations in one CMPP_SUBMIT (DestUsr_tl).
///
/// Cost: a destination list is a view into the frame, so none; a SUBMIT at this bound is at
/// most 3,523 octets in 3.0. At the bound: a larger DestUsr_tl decodes as
/// [`DecodeError::DestUsrTlInvalid`], answered with SUBMIT_RESP Result 1 (message structure
/// error), and the encoder refuses with [`EncodeError::DestUsrTlInvalid`]. Why: the spec text
/// says "小于100个用户" (fewer than 100), but SP clients in the field send exactly 100, so we
/// accept 100 (see `docs/protocols-cmpp.md`).
pub const DEST_USR_TL_MAX: u8 = 100;

/// The two protocol versions, as carried in CMPP_CONNECT's Version octet.
///
/// The version selects field widths (see `docs/protocols-cmpp.md`), so every decode and encode
/// takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmppVersion {
    /// CMPP 2.0, Version octet 0x20.
    V2_0,
    /// CMPP 3.0, Version octet 0x30.
    V3_0,
}

impl CmppVersion {
    /// Both versions, oldest first.
    pub const ALL: [CmppVersion; 2] = [CmppVersion::V2_0, CmppVersion::V3_0];

    /// The Version octet: major version in the high nibble, minor in the low one.
    pub const fn version_octet(self) -> u8 {
        match self {
            CmppVersion::V2_0 => 0x20,
            CmppVersion::V3_0 => 0x30,
        }
    }

    /// The wire layout a Version octet asks for, by its major nibble: 0x2X is 2.0 (2.1 changed
    /// no field), 0x3X is 3.0. `None` for any other major version.
    pub const fn from_version_octet(octet: u8) -> Option<CmppVersion> {
        match octet >> 4 {
            2 => Some(CmppVersion::V2_0),
            3 => Some(CmppVersion::V3_0),
            _ => None,
        }
    }

    /// Size of a terminal number (Fee_terminal_Id, Dest_terminal_Id, Src_terminal_Id and the
    /// status report's Dest_terminal_Id): 21 octets in 2.0, 32 in 3.0.
    pub const fn terminal_id_size(self) -> usize {
        match self {
            CmppVersion::V2_0 => 21,
            CmppVersion::V3_0 => 32,
        }
    }

    /// Size of a response's status field (CONNECT_RESP Status, SUBMIT_RESP, DELIVER_RESP and
    /// FWD_RESP Result, CANCEL_RESP Success_Id): 1 octet in 2.0, 4 in 3.0 (V3.0.0 change 16).
    pub const fn status_size(self) -> usize {
        match self {
            CmppVersion::V2_0 => 1,
            CmppVersion::V3_0 => 4,
        }
    }
}

impl std::fmt::Display for CmppVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CmppVersion::V2_0 => f.write_str("2.0"),
            CmppVersion::V3_0 => f.write_str("3.0"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the Version octet maps both ways and that minor versions share the major layout.
    #[test]
    fn version_octet_round_trips_and_minor_versions_share_layout() {
        for version in CmppVersion::ALL {
            assert_eq!(
                CmppVersion::from_version_octet(version.version_octet()),
                Some(version)
            );
        }
        assert_eq!(
            CmppVersion::from_version_octet(0x21),
            Some(CmppVersion::V2_0)
        );
        assert_eq!(CmppVersion::from_version_octet(0x10), None);
        assert_eq!(CmppVersion::from_version_octet(0x40), None);
    }
}
