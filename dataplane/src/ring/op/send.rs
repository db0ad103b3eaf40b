//! `IORING_OP_SEND` of `buffer[offset..]` from a caller-supplied `Vec<u8>`. A stream socket may
//! take fewer bytes than offered; the completion reports `sent` and the caller resubmits the
//! remainder with `offset + sent`. `MSG_NOSIGNAL`: a closed peer is an `EPIPE`, not a signal.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::{Failure, Output, errno, sqe_len};

#[derive(Debug)]
pub(in crate::ring) struct SendOp {
    fd: RawFd,
    buffer: Vec<u8>,
    offset: usize,
}

impl SendOp {
    /// `offset < buffer.len()` is checked by the caller (`Ring::send`).
    pub(in crate::ring) fn new(fd: BorrowedFd<'_>, buffer: Vec<u8>, offset: usize) -> Self {
        assert!(
            offset < buffer.len(),
            "offset={offset} len={}",
            buffer.len()
        );
        Self {
            fd: fd.as_raw_fd(),
            buffer,
            offset,
        }
    }

    pub(in crate::ring) fn into_buffer(self) -> Vec<u8> {
        self.buffer
    }

    pub(in crate::ring) fn entry(&mut self) -> squeue::Entry {
        let window = &self.buffer[self.offset..];
        opcode::Send::new(types::Fd(self.fd), window.as_ptr(), sqe_len(window.len()))
            .flags(libc::MSG_NOSIGNAL)
            .build()
    }

    pub(in crate::ring) fn complete(self, result: i32) -> Result<Output, Failure> {
        let Self { buffer, offset, .. } = self;
        if result < 0 {
            return Err(Failure {
                error: errno(result),
                buffer: Some(buffer),
            });
        }
        let sent = usize::try_from(result).unwrap_or(usize::MAX);
        // Paired with the window length put in the SQE.
        assert!(
            sent <= buffer.len() - offset,
            "sent={sent} window={}",
            buffer.len() - offset
        );
        Ok(Output::Send {
            buffer,
            offset,
            sent,
        })
    }
}
