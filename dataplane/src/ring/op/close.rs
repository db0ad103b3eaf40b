//! `IORING_OP_CLOSE`. The op owns the descriptor from submission: once the SQE is pushed only the
//! kernel may close it, and Linux removes a descriptor from the table even when close reports an
//! error, so completion relinquishes ownership either way.

use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};

use io_uring::{opcode, squeue, types};

use super::{Failure, Output, errno};

#[derive(Debug)]
pub(in crate::ring) struct CloseOp {
    fd: OwnedFd,
}

impl CloseOp {
    pub(in crate::ring) fn new(fd: OwnedFd) -> Self {
        Self { fd }
    }

    /// Returns the descriptor when the submission was refused; it is still open.
    pub(in crate::ring) fn into_fd(self) -> OwnedFd {
        self.fd
    }

    pub(in crate::ring) fn entry(&mut self) -> squeue::Entry {
        opcode::Close::new(types::Fd(self.fd.as_raw_fd())).build()
    }

    pub(in crate::ring) fn complete(self, result: i32) -> Result<Output, Failure> {
        // The kernel closed the number; dropping the OwnedFd would close it again (or close
        // whatever reused the number).
        let _closed_by_kernel = self.fd.into_raw_fd();
        if result < 0 {
            return Err(Failure {
                error: errno(result),
                buffer: None,
            });
        }
        assert!(result == 0, "result={result}");
        Ok(Output::Close)
    }
}
