//! `IORING_OP_TIMEOUT` with a relative time and no completion count: it completes only by
//! expiring (`ETIME`, reported as success) or by cancellation. The kernel reads the `timespec`
//! through a pointer, so it lives in a `Box` owned by the op until the CQE.

use std::time::Duration;

use io_uring::{opcode, squeue, types};

use super::{Failure, Output, errno};

#[derive(Debug)]
pub(in crate::ring) struct TimeoutOp {
    timespec: Box<types::Timespec>,
}

impl TimeoutOp {
    pub(in crate::ring) fn new(after: Duration) -> Self {
        Self {
            timespec: Box::new(types::Timespec::from(after)),
        }
    }

    pub(in crate::ring) fn entry(&mut self) -> squeue::Entry {
        opcode::Timeout::new(&raw const *self.timespec).build()
    }

    pub(in crate::ring) fn complete(self, result: i32) -> Result<Output, Failure> {
        match result {
            r if r == -libc::ETIME => Ok(Output::Timeout),
            r if r < 0 => Err(Failure {
                error: errno(r),
                buffer: None,
            }),
            r => unreachable!("a timeout with count 0 only expires or is cancelled, got {r}"),
        }
    }
}
