//! The smsgw data plane as a library: the building blocks the `smsgw` daemon's per-core loops
//! drive (flow control, message ids, receipt correlation, SP admission). Each is sans-IO: time
//! comes in as `now_ms`, so tests drive them without sockets or sleeps.
// unsafe_code is denied workspace-wide; only the io_uring layer (ring/) and the mmap journal will
// allow it, module by module.

pub mod admission;
pub mod client;
pub mod config;
pub mod connector;
pub mod demo;
pub mod flow;
pub mod gateway;
pub mod ids;
pub mod mesh;
pub mod mo;
pub mod receipts;
pub mod ring;
pub mod runtime;
