//! One file per io_uring operation. Each file owns the operation's kernel-bound memory in a
//! `*Op` struct, builds its SQE in one function (`entry`) and turns its CQE result back into an
//! [`Output`] that returns that memory to the caller (`complete`).
//!
//! Pointers placed in an SQE always point into heap allocations (`Vec<u8>`, `Box`) owned by the
//! `*Op` value, never into the value itself: the slab may move an `*Op` (enum re-tagging, returning
//! it on refusal) and a heap allocation does not move with its owner.

pub(super) mod accept;
pub(super) mod cancel;
pub(super) mod close;
pub(super) mod connect;
pub(super) mod read_eventfd;
pub(super) mod recv;
pub(super) mod recv_multi;
pub(super) mod send;
pub(super) mod timeout;

use std::io;
use std::os::fd::OwnedFd;

use io_uring::squeue;

use super::ProvidedBuf;

/// What a successfully completed operation hands back to the caller.
#[derive(Debug)]
pub enum Output {
    /// One accepted connection; with multishot accept more follow while `Completion::more`.
    Accept { fd: OwnedFd },
    /// `len` bytes were received into `buffer[offset..offset + len]`; `len == 0` means the peer
    /// closed its side.
    Recv {
        buffer: Vec<u8>,
        offset: usize,
        len: usize,
    },
    /// One arrival of a multishot receive: `Some` holds the bytes in a provided buffer (read it
    /// with `Ring::provided_bytes`, give it back with `Ring::recycle`); `None` means the peer
    /// closed its side (a 0-byte read, which ends the request).
    RecvProvided { buffer: Option<ProvidedBuf> },
    /// `sent` bytes of `buffer[offset..]` left; `offset + sent < buffer.len()` is a partial send
    /// and the caller resubmits the rest.
    Send {
        buffer: Vec<u8>,
        offset: usize,
        sent: usize,
    },
    /// The timeout expired.
    Timeout,
    /// The descriptor was closed.
    Close,
    /// The socket is connected.
    Connect,
    /// The eventfd was read; `count` is the sum of the writes since the previous read.
    EventFd { count: u64 },
}

/// A failed operation: the kernel's error and, for operations that carried one, the buffer, so a
/// buffer pool loses nothing on errors.
#[derive(Debug)]
pub struct Failure {
    pub error: io::Error,
    pub buffer: Option<Vec<u8>>,
}

/// An operation's kernel-bound memory, owned by its in-flight slot from SQE push until its final
/// CQE.
#[derive(Debug)]
pub(super) enum InFlightOp {
    Accept(accept::AcceptOp),
    Recv(recv::RecvOp),
    RecvMulti(recv_multi::RecvMultiOp),
    Send(send::SendOp),
    Timeout(timeout::TimeoutOp),
    Close(close::CloseOp),
    Connect(connect::ConnectOp),
    ReadEventFd(read_eventfd::ReadEventFdOp),
}

impl InFlightOp {
    /// Builds the SQE; pointers in it stay valid for as long as `self` is not dropped.
    pub(super) fn entry(&mut self) -> squeue::Entry {
        match self {
            Self::Accept(op) => op.entry(),
            Self::Recv(op) => op.entry(),
            Self::RecvMulti(op) => op.entry(),
            Self::Send(op) => op.entry(),
            Self::Timeout(op) => op.entry(),
            Self::Close(op) => op.entry(),
            Self::Connect(op) => op.entry(),
            Self::ReadEventFd(op) => op.entry(),
        }
    }

    /// Handles a CQE flagged `IORING_CQE_F_MORE`: the operation stays in flight. `selected` is
    /// the provided buffer the CQE names, if any; the op moves it into its output when used.
    pub(super) fn complete_more(
        &mut self,
        result: i32,
        selected: &mut Option<ProvidedBuf>,
    ) -> Result<Output, Failure> {
        match self {
            Self::Accept(op) => op.complete(result),
            Self::RecvMulti(op) => op.complete(result, selected),
            other => unreachable!("only accept and recv are submitted multishot, got {other:?}"),
        }
    }

    /// Handles the final CQE: the kernel is done with the memory, which goes back to the caller.
    pub(super) fn complete(
        self,
        result: i32,
        selected: &mut Option<ProvidedBuf>,
    ) -> Result<Output, Failure> {
        match self {
            Self::Accept(mut op) => op.complete(result),
            Self::Recv(op) => op.complete(result),
            Self::RecvMulti(mut op) => op.complete(result, selected),
            Self::Send(op) => op.complete(result),
            Self::Timeout(op) => op.complete(result),
            Self::Close(op) => op.complete(result),
            Self::Connect(op) => op.complete(result),
            Self::ReadEventFd(op) => op.complete(result),
        }
    }
}

/// Turns a negative CQE result into the `io::Error` it encodes.
fn errno(result: i32) -> io::Error {
    assert!(result < 0, "result={result}");
    io::Error::from_raw_os_error(-result)
}

/// Clamps a buffer length to what one SQE can carry; the rest is a partial transfer.
fn sqe_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
