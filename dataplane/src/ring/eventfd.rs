//! The eventfd another core writes to wake this ring. The ring keeps a read op armed on it
//! ([`Ring::read_eventfd`](super::Ring::read_eventfd)); [`WakeFd::wake`] may be called from any
//! thread. The sleep/announce protocol on top (who writes when) belongs to the core loop.

use std::fs::File;
use std::io::{self, Write};
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
}

impl AsFd for WakeFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}
