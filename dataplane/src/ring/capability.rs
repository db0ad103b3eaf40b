//! Start-up capability checks: the io_uring sysctl, RLIMIT_MEMLOCK, setup errors with a likely
//! fix, and the kernel features the ring relies on. Each failure names its numbers.

use std::io;

use io_uring::Parameters;

use super::RingError;

/// Where Linux >= 6.6 says whether unprivileged processes may use io_uring.
const IO_URING_DISABLED_PATH: &str = "/proc/sys/kernel/io_uring_disabled";

/// Fails fast on what can be checked before `io_uring_setup`; returns the memlock soft limit
/// for later error messages.
pub(super) fn check_before_setup(entries: u32, locked_bytes: u64) -> Result<u64, RingError> {
    if io_uring_disabled() == Some(2) {
        return Err(RingError::Disabled { value: 2 });
    }
    let (soft_bytes, hard_bytes) = memlock_limit();
    let needed_bytes = ring_size_bytes(entries) + locked_bytes;
    if soft_bytes != libc::RLIM_INFINITY && soft_bytes < needed_bytes {
        return Err(RingError::MemlockTooLow {
            soft_bytes,
            hard_bytes,
            needed_bytes,
        });
    }
    Ok(soft_bytes)
}

/// Maps an `io_uring_setup` failure to a typed error with the likely fix.
pub(super) fn setup_error(entries: u32, memlock_soft_bytes: u64, source: io::Error) -> RingError {
    if source.raw_os_error() == Some(libc::EPERM) && io_uring_disabled() == Some(1) {
        return RingError::Disabled { value: 1 };
    }
    let fix = match source.raw_os_error() {
        Some(libc::EPERM) => "a seccomp filter (container runtime) blocks io_uring: allow it",
        Some(libc::ENOSYS) => "kernel built without CONFIG_IO_URING: run the epoll backend",
        Some(libc::ENOMEM) => "raise RLIMIT_MEMLOCK (`ulimit -l`, LimitMEMLOCK=) or lower entries",
        Some(libc::EINVAL) => "single_issuer needs Linux >= 6.1 (defer_taskrun): turn it off",
        _ => "see io_uring_setup(2) for this errno",
    };
    RingError::Setup {
        entries,
        memlock_soft_bytes,
        fix,
        source,
    }
}

/// Checks the features the ring's correctness depends on.
pub(super) fn check_features(params: &Parameters) -> Result<(), RingError> {
    // Without NODROP a full completion queue loses CQEs, and a lost CQE leaks a slot forever.
    if !params.is_feature_nodrop() {
        return Err(RingError::MissingFeature {
            feature: "IORING_FEAT_NODROP",
            kernel_min: "5.5",
        });
    }
    // submit_and_wait's timeout is passed through IORING_ENTER_EXT_ARG.
    if !params.is_feature_ext_arg() {
        return Err(RingError::MissingFeature {
            feature: "IORING_FEAT_EXT_ARG",
            kernel_min: "5.11",
        });
    }
    Ok(())
}

/// The sysctl's value, or `None` on kernels without it (older than 6.6: io_uring allowed).
fn io_uring_disabled() -> Option<u8> {
    let text = std::fs::read_to_string(IO_URING_DISABLED_PATH).ok()?;
    text.trim().parse().ok()
}

/// RLIMIT_MEMLOCK as (soft, hard) bytes.
fn memlock_limit() -> (u64, u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes one `rlimit` through a pointer to a live local of that type.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &raw mut limit) };
    // getrlimit fails only for an invalid resource or pointer, both constant here.
    assert!(rc == 0, "getrlimit(RLIMIT_MEMLOCK) rc={rc}");
    (limit.rlim_cur, limit.rlim_max)
}

/// Upper estimate of the ring's pinned memory: SQ index array (4 B) and SQE (64 B) per entry,
/// CQ of twice the entries at 16 B each, plus one page per ring for headers. Kernels >= 5.12
/// charge this to the memory cgroup instead of RLIMIT_MEMLOCK, so the check is conservative there.
fn ring_size_bytes(entries: u32) -> u64 {
    let entries = u64::from(entries);
    entries * (4 + 64) + 2 * entries * 16 + 2 * 4096
}
