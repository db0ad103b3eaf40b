//! Multishot `IORING_OP_RECV` with buffer select (`IORING_RECV_MULTISHOT`, Linux 6.0): one SQE
//! yields a CQE per arrival, each naming the provided buffer the kernel filled
//! (`ring/provided.rs`), flagged `F_MORE` while the request stays armed. The op itself
//! owns no memory: the buffers belong to the ring's group. The request ends (no `F_MORE`) on
//! end-of-file (result 0), on an error, when the group runs dry (`ENOBUFS`) and when cancelled;
//! the caller re-arms it after the first and third if it still wants data.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use io_uring::{opcode, squeue, types};

use super::{Failure, Output, errno};
use crate::ring::ProvidedBuf;

#[derive(Debug)]
pub(in crate::ring) struct RecvMultiOp {
    fd: RawFd,
    group: u16,
}

impl RecvMultiOp {
    pub(in crate::ring) fn new(fd: BorrowedFd<'_>, group: u16) -> Self {
        Self {
            fd: fd.as_raw_fd(),
            group,
        }
    }

    pub(in crate::ring) fn entry(&mut self) -> squeue::Entry {
        opcode::RecvMulti::new(types::Fd(self.fd), self.group).build()
    }

    /// Turns one CQE into an output, moving the selected buffer into it when data arrived. A
    /// buffer left in `selected` (a 0-byte or failed receive that still named one) is recycled by
    /// the drain.
    pub(in crate::ring) fn complete(
        &mut self,
        result: i32,
        selected: &mut Option<ProvidedBuf>,
    ) -> Result<Output, Failure> {
        if result < 0 {
            return Err(Failure {
                error: errno(result),
                buffer: None,
            });
        }
        if result == 0 {
            return Ok(Output::RecvProvided { buffer: None });
        }
        let Some(buffer) = selected.take() else {
            unreachable!("a multishot recv with {result} bytes names its buffer")
        };
        // Paired with the length `take` recorded from the same CQE.
        assert!(
            buffer.len() == usize::try_from(result).unwrap_or(usize::MAX),
            "len={} result={result}",
            buffer.len()
        );
        Ok(Output::RecvProvided {
            buffer: Some(buffer),
        })
    }
}
