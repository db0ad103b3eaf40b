//! Moving bytes between a TCP socket and a sans-IO session (SMPP or CMPP): the few lines every
//! bench tool's connection loop shares. [`Wire::new`] splits SMPP frames,
//! [`Wire::with_limits`] any protocol's; [`Transmit`] is what `flush` needs of a session.
//!
//! The receive buffer holds at most one maximum-size PDU plus one read; frames are handed to the
//! caller in order and consumed bytes are dropped, so memory per connection is bounded by
//! [`smsgw_shared::limits::RECV_BUFFER_SIZE`] plus the session's transmit buffer.

use std::io;
use std::time::Instant;

use smsgw_shared::cmpp::session::Session as CmppSession;
use smsgw_shared::frame::{FrameLimits, Frames};
use smsgw_shared::limits::RECV_BUFFER_SIZE;
use smsgw_shared::smpp::session::Session as SmppSession;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A sans-IO session's transmit buffer, as [`Wire::flush`] drains it.
pub trait Transmit {
    /// Bytes to write to the socket.
    fn poll_transmit(&self) -> &[u8];
    /// Drops the first `size` bytes after the socket took them.
    fn advance_transmit(&mut self, size: usize);
}

impl Transmit for SmppSession {
    fn poll_transmit(&self) -> &[u8] {
        SmppSession::poll_transmit(self)
    }

    fn advance_transmit(&mut self, size: usize) {
        SmppSession::advance_transmit(self, size);
    }
}

impl Transmit for CmppSession {
    fn poll_transmit(&self) -> &[u8] {
        CmppSession::poll_transmit(self)
    }

    fn advance_transmit(&mut self, size: usize) {
        CmppSession::advance_transmit(self, size);
    }
}

/// One socket with its receive buffer, the frame limits of its protocol and the clock its
/// session runs on.
pub struct Wire {
    stream: TcpStream,
    receive: Vec<u8>,
    limits: FrameLimits,
    epoch: Instant,
}

impl Wire {
    /// Wraps a connected SMPP socket (Nagle off: PDUs are small and latency is measured).
    pub fn new(stream: TcpStream, epoch: Instant) -> io::Result<Wire> {
        Wire::with_limits(stream, epoch, FrameLimits::SMPP)
    }

    /// Wraps a connected socket whose frames follow `limits` (e.g. [`FrameLimits::CMPP`]).
    pub fn with_limits(stream: TcpStream, epoch: Instant, limits: FrameLimits) -> io::Result<Wire> {
        assert!(limits.size_max as usize <= RECV_BUFFER_SIZE);
        stream.set_nodelay(true)?;
        Ok(Wire {
            stream,
            receive: Vec::with_capacity(RECV_BUFFER_SIZE),
            limits,
            epoch,
        })
    }

    /// Milliseconds since the epoch this wire was given (the session clock).
    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Reads once; returns false on end of stream.
    pub async fn read(&mut self) -> io::Result<bool> {
        if self.receive.len() >= RECV_BUFFER_SIZE {
            // A frame larger than the buffer was already refused by the session (framing error
            // closes it), so a full buffer cannot happen while the session is open.
            return Err(io::Error::other("receive buffer full"));
        }
        let read = self.stream.read_buf(&mut self.receive).await?;
        Ok(read > 0)
    }

    /// Hands every complete frame to `handle` (in order), then drops them from the buffer. A
    /// malformed length is handed over as the rest of the buffer so the session answers it.
    pub fn frames(&mut self, mut handle: impl FnMut(&[u8])) {
        let mut frames = Frames::new(&self.receive, self.limits);
        let mut broken = false;
        for frame in frames.by_ref() {
            match frame {
                Ok(frame) => handle(frame),
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        let consumed = frames.consumed();
        if broken {
            handle(&self.receive[consumed..]);
            self.receive.clear();
        } else {
            self.receive.drain(..consumed);
        }
    }

    /// Writes everything the session has queued.
    pub async fn flush(&mut self, session: &mut impl Transmit) -> io::Result<()> {
        let pending = session.poll_transmit();
        if pending.is_empty() {
            return Ok(());
        }
        self.stream.write_all(pending).await?;
        let written = pending.len();
        session.advance_transmit(written);
        Ok(())
    }

    /// Closes the write side after a final flush (best effort).
    pub async fn close(mut self, session: &mut impl Transmit) {
        let _ = self.flush(session).await;
        let _ = self.stream.shutdown().await;
    }

    /// The tokio instant of a session deadline in milliseconds.
    pub fn deadline(&self, at_ms: u64) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.epoch) + std::time::Duration::from_millis(at_ms)
    }
}
