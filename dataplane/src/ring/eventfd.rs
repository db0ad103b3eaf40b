//! The eventfd another core writes to wake this ring. The ring keeps a read op armed on it
//! ([`Ring::read_eventfd`](super::Ring::read_eventfd)); [`WakeFd::wake`] may be called from any
//! thread. The sleep/announce protocol on top (who writes when) is [`crate::mesh`]'s.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

/// An eventfd counter. `Sync`: share it (e.g. in an `Arc`) with the threads that wake this ring.
#[derive(Debug)]
pub struct WakeFd {
    file: File,
}

impl WakeFd {
    /// Creates a close-on-exec, blocking eventfd with counter 0. Blocking is fine: only the ring
    /// reads it, and io_uring polls instead of blocking.
    pub fn new() -> io::Result<Self> {
        // SAFETY: eventfd(2) takes no pointers; any return value is handled below.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a non-negative eventfd(2) result is a new descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(Self {
            file: File::from(fd),
        })
    }

    /// Adds 1 to the counter, completing the ring's armed read.
    pub fn wake(&self) -> io::Result<()> {
        (&self.file).write_all(&1u64.to_ne_bytes())
    }

    /// Blocks the calling thread until the counter is non-zero, then reads and resets it; returns
    /// the number of wakes it absorbed (at least 1). Safe code only (a plain `read(2)` of 8 bytes).
    /// For threads that have no ring (tests, tools): a core loop waits through its ring's armed
    /// read instead, and must not also call this on the same eventfd (both would race for the
    /// counter).
    pub fn wait(&self) -> io::Result<u64> {
        let mut counter = [0u8; 8];
        (&self.file).read_exact(&mut counter)?;
        Ok(u64::from_ne_bytes(counter))
    }
}

impl AsFd for WakeFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}
