//! Multishot accept (`IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT`, Linux 5.19): one SQE
//! yields a CQE per connection, flagged `F_MORE` while the request stays armed. It carries no
//! buffers (no peer address is asked for), so the only kernel-bound resource is the listener's fd
//! number. Accepted sockets are created `SOCK_CLOEXEC`.

use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::{Failure, Output, errno};

#[derive(Debug)]
pub(in crate::ring) struct AcceptOp {
    listener: RawFd,
}

impl AcceptOp {
    pub(in crate::ring) fn new(listener: BorrowedFd<'_>) -> Self {
        Self {
            listener: std::os::fd::AsRawFd::as_raw_fd(&listener),
        }
    }

    pub(in crate::ring) fn entry(&mut self) -> squeue::Entry {
        opcode::AcceptMulti::new(types::Fd(self.listener))
            .flags(libc::SOCK_CLOEXEC)
            .build()
    }

    pub(in crate::ring) fn complete(&mut self, result: i32) -> Result<Output, Failure> {
        if result < 0 {
            return Err(Failure {
                error: errno(result),
                buffer: None,
            });
        }
        // SAFETY: a non-negative accept result is a descriptor the kernel has just installed in
        // this process's table for us; nothing else knows its number, so this is its only owner.
        let fd = unsafe { OwnedFd::from_raw_fd(result) };
        Ok(Output::Accept { fd })
    }
}
