//! Errors of the ring layer: start-up and `io_uring_enter` failures ([`RingError`]) and refused
//! submissions ([`SubmitError`], carried with the caller's resources in [`Refused`]).

use std::fmt;
use std::io;

/// Start-up and submit/wait failures. Start-up variants carry numbers and a likely fix.
#[derive(Debug, thiserror::Error)]
pub enum RingError {
    #[error(
        "io_uring is disabled: kernel.io_uring_disabled = {value} (0 allows all, 1 only \
         kernel.io_uring_group, 2 nobody); fix: `sysctl --write kernel.io_uring_disabled=0`, or \
         run the epoll backend"
    )]
    Disabled { value: u8 },
    #[error(
        "RLIMIT_MEMLOCK soft limit is {soft_bytes} bytes (hard {hard_bytes}), the ring needs about \
         {needed_bytes}; fix: raise `ulimit -l` or LimitMEMLOCK= in the systemd unit"
    )]
    MemlockTooLow {
        soft_bytes: u64,
        hard_bytes: u64,
        needed_bytes: u64,
    },
    #[error("ring entries {entries} out of range 1..={max}")]
    EntriesOutOfRange { entries: u32, max: u32 },
    #[error("in_flight_max {in_flight_max} out of range 1..={max}")]
    InFlightMaxOutOfRange { in_flight_max: usize, max: usize },
    #[error(
        "io_uring_setup({entries}) failed: {source} (RLIMIT_MEMLOCK soft {memlock_soft_bytes} \
         bytes); likely fix: {fix}"
    )]
    Setup {
        entries: u32,
        memlock_soft_bytes: u64,
        fix: &'static str,
        source: io::Error,
    },
    #[error("io_uring feature {feature} missing; fix: run on Linux >= {kernel_min}")]
    MissingFeature {
        feature: &'static str,
        kernel_min: &'static str,
    },
    #[error(
        "provided buffers out of range: {count} buffers of {size_bytes} bytes (count a power of \
         two in 1..={count_max}, size in 1..={size_max} bytes)"
    )]
    ProvidedBuffersOutOfRange {
        count: u16,
        size_bytes: usize,
        count_max: u16,
        size_max: usize,
    },
    #[error(
        "registering {count} provided buffers failed: {source}; fix: run on Linux >= 5.19 \
         (IORING_REGISTER_PBUF_RING), or run the epoll backend"
    )]
    ProvidedBuffers { count: u16, source: io::Error },
    #[error("io_uring_enter failed: {0}")]
    Enter(#[source] io::Error),
}

/// Why a submission was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("in-flight slab full ({in_flight_max} operations in flight)")]
    SlabFull { in_flight_max: usize },
    #[error("submission queue full ({entries} entries) even after flushing it")]
    SubmissionQueueFull { entries: u32 },
    #[error("empty buffer window: offset {offset} >= length {len}")]
    EmptyWindow { offset: usize, len: usize },
    #[error("no provided buffers registered (Ring::register_provided_buffers)")]
    NoProvidedBuffers,
    #[error("flushing the submission queue failed: {0}")]
    Enter(#[source] io::Error),
}

/// A refused submission; `returned` gives the caller's buffer or descriptor back untouched.
#[derive(thiserror::Error)]
#[error("submission refused: {error}")]
pub struct Refused<T> {
    pub error: SubmitError,
    pub returned: T,
}

impl<T> fmt::Debug for Refused<T> {
    // Buffers are not printed: they can be large and hold subscriber data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}
