//! The interface between a core's gateway loop and its I/O backend (io_uring or epoll).
//!
//! The gateway is sans-IO: it owns the sessions and decides what to send; a [`Driver`] owns the
//! sockets and moves bytes. Both backends implement the same contract, so the gateway, its tests
//! and the benchmarks run unchanged on either (`node.io_backend`).
//!
//! # Contract
//!
//! - Connections are named by [`ConnId`]s the driver hands out (accept or connect). An id is
//!   never reused while the gateway may still hold it: after [`IoEvent::Closed`] (or after the
//!   gateway calls [`Driver::close`]) the driver forgets it and later ids differ.
//! - [`Driver::send`] takes as many bytes as the connection's send space allows and returns that
//!   count; the caller keeps the rest and retries after [`IoEvent::Writable`] for that
//!   connection. The driver never holds more than its per-connection bound
//!   ([`SEND_BUFFER_SIZE_MAX`]), so a peer that does not read exerts back-pressure on the
//!   session (whose own transmit bound then refuses new requests).
//! - [`Driver::poll`] submits what is pending, waits at most `timeout` (zero: do not block) for
//!   something to happen (including the wake descriptor given at construction becoming
//!   readable) and reports what happened through the callback, in order per connection.
//!   `Received` data is borrowed for the callback only: the gateway copies an incomplete
//!   trailing frame and nothing else.
//! - [`Driver::close`] sends what the driver still holds for that connection when it can do so
//!   without waiting (best effort), then closes; no event for it follows.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// A connection of one driver. Unique for the driver's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// What a [`Driver::poll`] reports.
#[derive(Debug)]
pub enum IoEvent<'a> {
    /// A listener registered with `tag` accepted a connection.
    Accepted {
        /// The new connection.
        conn: ConnId,
        /// The tag given to [`Driver::add_listener`].
        tag: u32,
        /// The peer's address.
        peer: SocketAddr,
    },
    /// An outbound connection from [`Driver::connect`] is established.
    Connected {
        /// The connection.
        conn: ConnId,
    },
    /// An outbound connection failed; the id is gone.
    ConnectFailed {
        /// The connection.
        conn: ConnId,
        /// Why.
        error: io::Error,
    },
    /// Bytes arrived.
    Received {
        /// The connection.
        conn: ConnId,
        /// The bytes, valid during the callback.
        data: &'a [u8],
    },
    /// The connection's send space has room again after a short [`Driver::send`].
    Writable {
        /// The connection.
        conn: ConnId,
    },
    /// The peer closed or the connection failed; the id is gone.
    Closed {
        /// The connection.
        conn: ConnId,
        /// `None` for an orderly close by the peer.
        error: Option<io::Error>,
    },
}

/// Bytes a driver holds per connection beyond what the kernel took.
pub const SEND_BUFFER_SIZE_MAX: usize = 256 * 1024;

/// Receive buffer a driver reads into (one PDU of the largest size fits).
pub const RECV_CHUNK_SIZE: usize = smsgw_shared::limits::RECV_BUFFER_SIZE;

/// One core's I/O backend.
pub trait Driver {
    /// Which backend this is, for logs and metrics (`"io_uring"` or `"epoll"`).
    fn name(&self) -> &'static str;

    /// Starts accepting on `listener` (already bound and listening, SO_REUSEPORT set); accepted
    /// connections are reported with `tag`.
    fn add_listener(&mut self, listener: TcpListener, tag: u32) -> io::Result<()>;

    /// Stops accepting on every listener (graceful shutdown); established connections stay.
    fn close_listeners(&mut self);

    /// Starts connecting to `addr`; the outcome comes as [`IoEvent::Connected`] or
    /// [`IoEvent::ConnectFailed`].
    fn connect(&mut self, addr: SocketAddr) -> io::Result<ConnId>;

    /// Queues `data` for the connection; returns how many bytes were taken (0 when the
    /// connection's send space is full or the connection is unknown). See the module contract.
    fn send(&mut self, conn: ConnId, data: &[u8]) -> usize;

    /// Closes the connection after a best-effort flush; no more events for it.
    fn close(&mut self, conn: ConnId);

    /// Connections open (accepted and connected), for metrics and the shutdown drain.
    fn connection_count(&self) -> usize;

    /// Submits pending work and reports events; waits at most `timeout` for the first one.
    fn poll(
        &mut self,
        timeout: Option<Duration>,
        on_event: &mut dyn FnMut(IoEvent<'_>),
    ) -> io::Result<()>;
}
