//! SMPP 3.3, 3.4 and 5.0 wire codec (SMPP v3.4 specification, issue 1.2; SMPP v5.0).
//!
//! - [`header`]: the 16-octet header and command ids.
//! - [`status`]: every command_status code by name.
//! - [`tlv`]: optional parameters, kept raw and typed on access.
//! - [`pdu`]: one typed body per command, a borrowed decode path that allocates nothing, an
//!   owned form and the encoder.
//! - [`error`]: decode and encode errors and the one mapping to command_status.
//!
//! Wire code never imports session code. The broadcast_sm family of SMPP 5.0 is not decoded
//! yet: it is answered as an unknown command (see docs/protocols.md).

pub mod error;
pub mod fuzz;
pub mod header;
pub mod pdu;
pub mod session;
pub mod status;
pub mod tlv;
mod wire;

pub use error::{DecodeError, EncodeError, Field};
pub use header::{CommandId, HEADER_SIZE, Header, SEQUENCE_NUMBER_MAX};
pub use pdu::{Body, Pdu, decode};
pub use status::CommandStatus;
pub use tlv::{Tlv, Tlvs};
