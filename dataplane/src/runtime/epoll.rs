//! The epoll backend ([`Driver`] over mio's edge-triggered readiness): for kernels or sandboxes
//! without io_uring, and forced with `node.io_backend = "epoll"`.
//!
//! Reads go into one receive buffer per core and are handed to the gateway at once; sends are
//! written straight to the socket and only what the kernel does not take is copied into the
//! connection's pending buffer (bounded by [`SEND_BUFFER_SIZE_MAX`]). Edge-triggered readiness
//! means every readable socket is read until it would block, in chunks, so one busy SP cannot
//! stall the loop for longer than [`READS_PER_EVENT_MAX`] chunks: the rest waits for the next
//! turn (the socket is put on the `again` list, since no new edge will come).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use mio::net::{TcpListener as MioListener, TcpStream};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::driver::{ConnId, Driver, IoEvent, RECV_CHUNK_SIZE, SEND_BUFFER_SIZE_MAX};

/// Chunks read from one socket per readiness event before other sockets get their turn.
pub const READS_PER_EVENT_MAX: usize = 16;

/// Readiness events taken from the kernel per poll.
const EVENTS_CAPACITY: usize = 1024;

const WAKE_TOKEN: Token = Token(usize::MAX);
const LISTENER_TOKEN_BASE: usize = usize::MAX / 2;

struct Conn {
    stream: TcpStream,
    connecting: bool,
    /// Bytes the kernel did not take yet.
    pending: Vec<u8>,
    /// A `send` came up short: report [`IoEvent::Writable`] once `pending` drains.
    short: bool,
}

struct Listener {
    socket: MioListener,
    tag: u32,
}

/// The epoll [`Driver`].
pub struct EpollDriver {
    poll: Poll,
    events: Events,
    listeners: Vec<Option<Listener>>,
    conns: HashMap<u64, Conn>,
    next_id: u64,
    wake: File,
    recv: Vec<u8>,
    /// Sockets that still had data after [`READS_PER_EVENT_MAX`] chunks.
    again: Vec<u64>,
}

impl EpollDriver {
    /// A driver that also wakes when `wake` (an eventfd, see [`crate::mesh`]) is written;
    /// the driver resets its counter.
    pub fn new(wake: OwnedFd) -> io::Result<EpollDriver> {
        let poll = Poll::new()?;
        poll.registry().register(
            &mut SourceFd(&wake.as_raw_fd()),
            WAKE_TOKEN,
            Interest::READABLE,
        )?;
        Ok(EpollDriver {
            poll,
            events: Events::with_capacity(EVENTS_CAPACITY),
            listeners: Vec::new(),
            conns: HashMap::new(),
            next_id: 1,
            wake: File::from(wake),
            recv: vec![0; RECV_CHUNK_SIZE],
            again: Vec::new(),
        })
    }

    fn register(&mut self, mut stream: TcpStream, connecting: bool) -> io::Result<ConnId> {
        let id = self.next_id;
        self.next_id += 1;
        self.poll.registry().register(
            &mut stream,
            Token(usize::try_from(id).map_err(io::Error::other)?),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        self.conns.insert(
            id,
            Conn {
                stream,
                connecting,
                pending: Vec::new(),
                short: false,
            },
        );
        Ok(ConnId(id))
    }

    fn accept_all(&mut self, index: usize, on_event: &mut dyn FnMut(IoEvent<'_>)) {
        loop {
            let Some(listener) = self.listeners.get(index).and_then(Option::as_ref) else {
                return;
            };
            let tag = listener.tag;
            match listener.socket.accept() {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    match self.register(stream, false) {
                        Ok(conn) => on_event(IoEvent::Accepted { conn, tag, peer }),
                        Err(error) => eprintln!("smsgw: epoll: register accepted socket: {error}"),
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    // EMFILE and friends: the connection stays in the backlog; try next turn.
                    eprintln!("smsgw: epoll: accept: {error}");
                    return;
                }
            }
        }
    }

    /// Reads up to [`READS_PER_EVENT_MAX`] chunks; returns false when the connection is gone.
    fn read_some(&mut self, id: u64, on_event: &mut dyn FnMut(IoEvent<'_>)) {
        for _ in 0..READS_PER_EVENT_MAX {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            match conn.stream.read(&mut self.recv) {
                Ok(0) => {
                    self.forget(id);
                    on_event(IoEvent::Closed {
                        conn: ConnId(id),
                        error: None,
                    });
                    return;
                }
                Ok(size) => on_event(IoEvent::Received {
                    conn: ConnId(id),
                    data: &self.recv[..size],
                }),
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    self.forget(id);
                    on_event(IoEvent::Closed {
                        conn: ConnId(id),
                        error: Some(error),
                    });
                    return;
                }
            }
        }
        self.again.push(id);
    }

    fn writable(&mut self, id: u64, on_event: &mut dyn FnMut(IoEvent<'_>)) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.connecting {
            match conn.stream.take_error() {
                Ok(Some(error)) | Err(error) => {
                    self.forget(id);
                    on_event(IoEvent::ConnectFailed {
                        conn: ConnId(id),
                        error,
                    });
                    return;
                }
                Ok(None) => {}
            }
            match conn.stream.peer_addr() {
                Ok(_) => {
                    conn.connecting = false;
                    let _ = conn.stream.set_nodelay(true);
                    on_event(IoEvent::Connected { conn: ConnId(id) });
                }
                Err(error) if error.kind() == ErrorKind::NotConnected => return,
                Err(error) => {
                    self.forget(id);
                    on_event(IoEvent::ConnectFailed {
                        conn: ConnId(id),
                        error,
                    });
                    return;
                }
            }
        }
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        match flush(conn) {
            Ok(()) => {
                if conn.pending.is_empty() && conn.short {
                    conn.short = false;
                    on_event(IoEvent::Writable { conn: ConnId(id) });
                }
            }
            Err(error) => {
                self.forget(id);
                on_event(IoEvent::Closed {
                    conn: ConnId(id),
                    error: Some(error),
                });
            }
        }
    }

    fn forget(&mut self, id: u64) -> Option<Conn> {
        let mut conn = self.conns.remove(&id)?;
        let _ = self.poll.registry().deregister(&mut conn.stream);
        Some(conn)
    }

    fn drain_wake(&mut self) {
        let mut counter = [0u8; 8];
        // The eventfd is readable, so this read does not block.
        let _ = (&self.wake).read(&mut counter);
    }
}

/// Writes what is pending; `Ok` also when the kernel would block.
fn flush(conn: &mut Conn) -> io::Result<()> {
    let mut written = 0;
    while written < conn.pending.len() {
        match conn.stream.write(&conn.pending[written..]) {
            Ok(0) => return Err(io::Error::from(ErrorKind::WriteZero)),
            Ok(size) => written += size,
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    conn.pending.drain(..written);
    Ok(())
}

impl Driver for EpollDriver {
    fn name(&self) -> &'static str {
        "epoll"
    }

    fn add_listener(&mut self, listener: TcpListener, tag: u32) -> io::Result<()> {
        listener.set_nonblocking(true)?;
        let mut socket = MioListener::from_std(listener);
        let index = self.listeners.len();
        self.poll.registry().register(
            &mut socket,
            Token(LISTENER_TOKEN_BASE + index),
            Interest::READABLE,
        )?;
        self.listeners.push(Some(Listener { socket, tag }));
        Ok(())
    }

    fn close_listeners(&mut self) {
        for slot in &mut self.listeners {
            if let Some(mut listener) = slot.take() {
                let _ = self.poll.registry().deregister(&mut listener.socket);
            }
        }
    }

    fn connect(&mut self, addr: SocketAddr) -> io::Result<ConnId> {
        let stream = TcpStream::connect(addr)?;
        self.register(stream, true)
    }

    fn send(&mut self, conn: ConnId, data: &[u8]) -> usize {
        let Some(state) = self.conns.get_mut(&conn.0) else {
            return 0;
        };
        if state.connecting || data.is_empty() {
            return 0;
        }
        let mut taken = 0;
        if state.pending.is_empty() {
            while taken < data.len() {
                match state.stream.write(&data[taken..]) {
                    Ok(0) => break,
                    Ok(size) => taken += size,
                    Err(error) if error.kind() == ErrorKind::Interrupted => {}
                    // WouldBlock, or an error the next read or writable event reports.
                    Err(_) => break,
                }
            }
        }
        let room = SEND_BUFFER_SIZE_MAX.saturating_sub(state.pending.len());
        let copied = room.min(data.len() - taken);
        state
            .pending
            .extend_from_slice(&data[taken..taken + copied]);
        taken += copied;
        if taken < data.len() {
            state.short = true;
        }
        taken
    }

    fn close(&mut self, conn: ConnId) {
        if let Some(mut state) = self.forget(conn.0) {
            let _ = flush(&mut state);
            let _ = state.stream.shutdown(Shutdown::Write);
        }
    }

    fn connection_count(&self) -> usize {
        self.conns.len()
    }

    fn poll(
        &mut self,
        timeout: Option<Duration>,
        on_event: &mut dyn FnMut(IoEvent<'_>),
    ) -> io::Result<()> {
        let timeout = if self.again.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => return Ok(()),
            Err(error) => return Err(error),
        }
        let again = std::mem::take(&mut self.again);
        for id in again {
            self.read_some(id, on_event);
        }
        let ready: Vec<(Token, bool, bool, bool)> = self
            .events
            .iter()
            .map(|event| {
                (
                    event.token(),
                    event.is_readable() || event.is_read_closed(),
                    event.is_writable(),
                    event.is_error(),
                )
            })
            .collect();
        for (token, readable, writable, error) in ready {
            if token == WAKE_TOKEN {
                self.drain_wake();
                continue;
            }
            if token.0 >= LISTENER_TOKEN_BASE {
                self.accept_all(token.0 - LISTENER_TOKEN_BASE, on_event);
                continue;
            }
            let id = token.0 as u64;
            if writable || error {
                self.writable(id, on_event);
            }
            if readable || error {
                let connecting = self.conns.get(&id).is_some_and(|conn| conn.connecting);
                if !connecting {
                    self.read_some(id, on_event);
                }
            }
        }
        Ok(())
    }
}
