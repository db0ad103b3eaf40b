//! Flow control on the SP side of the data plane (DESIGN §3 "Flow control"), sans-IO: time is
//! `now_ms` on the caller's monotonic millisecond clock; no clocks, threads or locks here.
//!
//! - [`TokenBucket`]: exact integer token bucket (micro-token credit, milli-TPS rates).
//! - [`CoreShare`] and [`rebalance`]: an account's TPS split over the cores so each core
//!   decides alone, and re-split from per-core demand so an account bound on one core gets
//!   almost all of its TPS there.
//! - [`KeyedLimiter`]: optional bounded limits per sender address or destination prefix.
//! - [`Admission`] and [`AccountFlow`]: the decision for one submit and its wire status
//!   (`ESME_RTHROTTLED` 0x58, `ESME_RMSGQFUL` 0x14, CMPP Result 8).
//! - [`DelayedResponse`]: hold responses instead of refusing, within a bound.
//! - [`congestion_state`]: the SMPP v5.0 `congestion_state` TLV value from load.
//!
//! Per core, per account: one [`AccountFlow`] (one bucket, optional keyed limiters). Bounds:
//! [`CORES_MAX`] cores per split, [`KEYED_LIMITER_KEYS_MAX`] keys per limiter,
//! [`RESPONSE_HOLD_MAX_MS`] per hold, [`RATE_PER_S_MAX`] and [`BURST_MAX`] per bucket.
//! docs/flow-control.md describes the whole for operators. (Bind admission, passwords and
//! address allow-lists, is [`crate::admission`]; this module admits submits.)

pub mod account;
pub mod bucket;
pub mod congestion;
pub mod delay;
pub mod keyed;
pub mod share;

pub use account::{AccountFlow, Admission, KeyedLimit};
pub use bucket::{BURST_MAX, RATE_PER_S_MAX, TokenBucket};
pub use congestion::{Load, congestion_state};
pub use delay::{DelayedResponse, RESPONSE_HOLD_MAX_MS};
pub use keyed::{AddressKey, KEYED_LIMITER_KEYS_MAX, KeyedLimiter};
pub use share::{CORES_MAX, CoreShare, demand_per_s, rebalance};
