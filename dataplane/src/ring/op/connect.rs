//! `IORING_OP_CONNECT` (Linux 5.5) of a stream socket to a peer address. The kernel reads the
//! `sockaddr` through a pointer, so the address lives in a `Box` owned by the op until the CQE.
//! The socket may be blocking: io_uring waits for the handshake without blocking the thread.

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use io_uring::{opcode, squeue, types};
use socket2::SockAddr;

use super::{Failure, Output, errno};

#[derive(Debug)]
pub(in crate::ring) struct ConnectOp {
    fd: RawFd,
    addr: Box<SockAddr>,
}

impl ConnectOp {
    pub(in crate::ring) fn new(fd: BorrowedFd<'_>, addr: SocketAddr) -> Self {
        Self {
            fd: fd.as_raw_fd(),
            addr: Box::new(SockAddr::from(addr)),
        }
    }

    pub(in crate::ring) fn entry(&mut self) -> squeue::Entry {
        opcode::Connect::new(
            types::Fd(self.fd),
            self.addr.as_ptr().cast::<libc::sockaddr>(),
            self.addr.len(),
        )
        .build()
    }

    pub(in crate::ring) fn complete(self, result: i32) -> Result<Output, Failure> {
        if result < 0 {
            return Err(Failure {
                error: errno(result),
                buffer: None,
            });
        }
        assert!(result == 0, "result={result}");
        Ok(Output::Connect)
    }
}
