//! `IORING_OP_RECV` into `buffer[offset..]` of a caller-supplied, initialised `Vec<u8>`. The
//! caller appends partial reads by resubmitting with `offset` advanced; the buffer is initialised
//! once when allocated (pooled buffers are reused), so no `set_len` on kernel-written bytes is
//! needed and memcheck sees defined memory.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::{Failure, Output, errno, sqe_len};

#[derive(Debug)]
pub(in crate::ring) struct RecvOp {
    fd: RawFd,
    buffer: Vec<u8>,
    offset: usize,
}

impl RecvOp {
    /// `offset < buffer.len()` is checked by the caller (`Ring::recv`): an empty window would
    /// complete with 0, indistinguishable from the peer closing.
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
        let window = &mut self.buffer[self.offset..];
        opcode::Recv::new(
            types::Fd(self.fd),
            window.as_mut_ptr(),
            sqe_len(window.len()),
        )
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
        let len = usize::try_from(result).unwrap_or(usize::MAX);
        // Paired with the window length put in the SQE.
        assert!(
            len <= buffer.len() - offset,
            "len={len} window={}",
            buffer.len() - offset
        );
        Ok(Output::Recv {
            buffer,
            offset,
            len,
        })
    }
}
