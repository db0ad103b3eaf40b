//! `IORING_OP_READ` of 8 bytes from an eventfd: completes when another thread (core) writes to
//! it. The 8-byte counter lives in a `Box` owned by the op, zero-initialised so memcheck sees it
//! as defined even though the kernel's write is invisible to valgrind.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::{Failure, Output, errno};

#[derive(Debug)]
pub(in crate::ring) struct ReadEventFdOp {
    fd: RawFd,
    counter: Box<[u8; 8]>,
}

impl ReadEventFdOp {
    pub(in crate::ring) fn new(fd: BorrowedFd<'_>) -> Self {
        Self {
            fd: fd.as_raw_fd(),
            counter: Box::new([0; 8]),
        }
    }

    pub(in crate::ring) fn entry(&mut self) -> squeue::Entry {
        let len = u32::try_from(self.counter.len()).unwrap_or(u32::MAX);
        opcode::Read::new(types::Fd(self.fd), self.counter.as_mut_ptr(), len).build()
    }

    pub(in crate::ring) fn complete(self, result: i32) -> Result<Output, Failure> {
        if result < 0 {
            return Err(Failure {
                error: errno(result),
                buffer: None,
            });
        }
        // eventfd(2): a read returns exactly the 8-byte counter or fails.
        assert!(result == 8, "result={result}");
        Ok(Output::EventFd {
            count: u64::from_ne_bytes(*self.counter),
        })
    }
}
