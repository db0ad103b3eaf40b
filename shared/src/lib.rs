//! smsgw's shared core: wire codecs, text coding and limits, with no I/O at all.
//!
//! Everything here takes bytes as slices, time as an argument and randomness as a seed, so the
//! data plane, the control plane and the bench tools run the same protocol logic, and tests can
//! drive it without sockets. `shared/clippy.toml` forbids clocks, threads, sleeps and sockets.
//!
//! - [`frame`]: splitting a byte stream into length-prefixed PDUs (SMPP and CMPP share the shape).
//! - [`smpp`]: SMPP 3.3, 3.4 and 5.0 PDUs, TLVs and command_status codes.
//! - [`cmpp`]: CMPP 2.0 and 3.0 PDUs, the Msg_Id layout and the MD5 authenticators.
//! - [`text`]: GSM 03.38, UCS2, Latin-1, segmentation, reassembly and receipt text.
//! - [`route`]: the compiled routing snapshot (longest prefix, portability, failover groups).
//! - [`limits`]: compile-time bounds every other module is checked against.
#![forbid(unsafe_code)]

pub mod cmpp;
mod deadlines;
pub mod frame;
pub mod limits;
pub mod route;
pub mod smpp;
pub mod text;
