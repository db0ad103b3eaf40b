//! The io_uring backend ([`Driver`] over [`crate::ring`]): completion-based, the default where the
//! kernel and sandbox allow it ([`probe`]); `node.io_backend = "auto"` falls back to epoll when
//! they do not.
//!
//! # How it moves bytes
//!
//! - **Receive**: one multishot recv per connection into the ring's provided buffers
//!   ([`RECV_BUFFER_COUNT`] × [`RECV_CHUNK_SIZE`], shared by every connection of the core). Each
//!   completion is handed to the gateway as [`IoEvent::Received`] and its buffer recycled right
//!   after the callback. The recv is re-armed at the next poll when it ends without EOF or error
//!   (`ENOBUFS`: every buffer was out; a refused submission).
//! - **Send**: [`Driver::send`] copies into the connection's pending buffer (pending plus the
//!   in-flight remainder never exceed [`SEND_BUFFER_SIZE_MAX`]). The next poll submits one send of
//!   everything pending per connection with none in flight; a partial send is resubmitted from
//!   where it stopped. A short `send` is answered by [`IoEvent::Writable`] once a completion frees
//!   space.
//! - **Accept**: a multishot accept per listener, re-armed at the next poll when it ends
//!   (after [`ACCEPT_RETRY_DELAY`] when it ended in an error such as `EMFILE`, so a persistent
//!   error does not spin the core).
//! - **Connect**: an `IORING_OP_CONNECT` on a fresh blocking socket; the recv is armed once it
//!   completes.
//! - **Wake**: a read stays armed on the wake eventfd and is re-armed after each completion.
//!
//! # Closing and memory the kernel may still write
//!
//! Every descriptor the gateway gives up (`close`, peer EOF or error, `close_listeners`) has its
//! in-flight operations cancelled and abandoned: the ring's slab keeps owning their buffers until
//! the final CQE, and the drain recycles a provided buffer an orphaned recv still carries. The
//! descriptor itself is closed after the next submit ([`UringDriver::poll`]), because a queued SQE
//! may still name its number. [`Driver::close`] with bytes still held lingers: the connection is
//! invisible to the gateway, its sends continue, and it is closed when they finish or after
//! [`CLOSE_LINGER`], whichever comes first.
//!
//! # Threads
//!
//! Create the driver anywhere, but submit (poll) and drop it on one thread: io_uring cancels a
//! task's requests when that thread exits. Nothing is submitted before the first poll.
//!
//! # Bounds
//!
//! [`CONNECTIONS_MAX`] connections (accepts beyond it are closed at once, connects refused),
//! [`LISTENERS_MAX`] listeners, [`COMPLETIONS_PER_POLL_MAX`] completions handled per poll (the
//! rest wait for the next turn, which then does not block), one recv and one send in flight per
//! connection.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::driver::{ConnId, Driver, IoEvent, RECV_CHUNK_SIZE, SEND_BUFFER_SIZE_MAX};
use crate::ring::{Completion, IN_FLIGHT_MAX, Output, Ring, RingError, RingOptions, Token};

/// Sizes of one [`UringDriver`]; [`UringOptions::default`] is production, tests shrink them to
/// hit every bound.
#[derive(Clone, Copy, Debug)]
pub struct UringOptions {
    /// Submission-queue entries (`1..=ring::ENTRIES_MAX`).
    pub entries: u32,
    /// In-flight operations (`1..=ring::IN_FLIGHT_MAX`).
    pub in_flight_max: usize,
    /// Connections open or lingering at once.
    pub connections_max: usize,
    /// Provided receive buffers (a power of two).
    pub recv_buffer_count: u16,
    /// Bytes per provided receive buffer.
    pub recv_buffer_size: usize,
}

impl Default for UringOptions {
    fn default() -> Self {
        Self {
            entries: ENTRIES,
            in_flight_max: IN_FLIGHT_MAX,
            connections_max: CONNECTIONS_MAX,
            recv_buffer_count: RECV_BUFFER_COUNT,
            recv_buffer_size: RECV_CHUNK_SIZE,
        }
    }
}

/// Says whether this kernel and sandbox run the io_uring backend: sets up a small ring,
/// registers provided buffers and runs a multishot receive (Linux >= 6.0) over a socket pair.
/// The error says what failed, for the `io_backend = "auto"` log line.
pub fn probe() -> Result<(), String> {
    let options = RingOptions {
        in_flight_max: 4,
        ..RingOptions::default()
    };
    let mut ring = Ring::new(4, options).map_err(|error| error.to_string())?;
    ring.register_provided_buffers(2, 64)
        .map_err(|error| error.to_string())?;
    let (reader, writer) =
        std::os::unix::net::UnixStream::pair().map_err(|error| format!("socketpair: {error}"))?;
    let token = ring
        .recv_multi(reader.as_fd())
        .map_err(|refused| refused.to_string())?;
    io::Write::write_all(&mut &writer, b"x").map_err(|error| format!("write: {error}"))?;
    for _ in 0..PROBE_ROUNDS_MAX {
        ring.submit_and_wait(1, Some(PROBE_ROUND_WAIT))
            .map_err(|error| error.to_string())?;
        let Some(completion) = ring.next_completion() else {
            continue;
        };
        assert!(
            completion.token == token,
            "only the probe's recv is in flight"
        );
        return match completion.result {
            Ok(Output::RecvProvided {
                buffer: Some(buffer),
            }) => {
                let more = completion.more;
                ring.recycle(buffer);
                if more {
                    Ok(())
                } else {
                    Err("multishot recv ended after one completion: needs Linux >= 6.0".into())
                }
            }
            Ok(other) => Err(format!("multishot recv probe: unexpected {other:?}")),
            Err(failure) => Err(format!(
                "multishot recv failed: {} (needs Linux >= 6.0)",
                failure.error
            )),
        };
    }
    Err("multishot recv probe: no completion within the probe's wait".into())
}

/// The io_uring [`Driver`]. See the module doc for how it moves bytes and closes.
pub struct UringDriver {
    /// Declared first so it drops first: its `Drop` submits what is queued and cancels everything
    /// in flight while every descriptor those SQEs name is still open (fields below).
    ring: Ring,
    options: UringOptions,
    wake: OwnedFd,
    /// The armed wake read, or when to arm it next.
    wake_read: Armed,
    listeners: Vec<Option<Listener>>,
    conns: HashMap<u64, Conn>,
    /// Who asked for each operation in flight that the driver still wants.
    owners: HashMap<Token, Owner>,
    next_id: u64,
    /// Connections connecting or open (not lingering): [`Driver::connection_count`].
    open_count: usize,
    /// Connections with bytes pending and no send in flight, sent at the next poll.
    flush: Vec<u64>,
    /// Connections whose recv ended early, re-armed at the next poll.
    rearm: Vec<u64>,
    /// Lingering connections (closed by the gateway with bytes still held).
    lingering: Vec<u64>,
    /// Descriptors to close after the next submit: a queued SQE may still name them.
    retired: Vec<OwnedFd>,
    /// Cancels the ring refused (submission queue full), retried at the next poll.
    cancels: Vec<Token>,
    /// The last drain stopped at its budget: the next poll does not block.
    backlog: bool,
    /// Accepted connections closed at once because of `connections_max` (logged sparsely).
    refused_count: u64,
    /// Failed wake reads (logged sparsely).
    wake_error_count: u64,
}

impl UringDriver {
    /// A driver with production sizes that also wakes when `wake` (a blocking eventfd such as
    /// [`crate::ring::WakeFd`]) is written; the armed read resets its counter.
    pub fn new(wake: OwnedFd) -> Result<UringDriver, RingError> {
        Self::with_options(wake, UringOptions::default())
    }

    /// A driver with explicit sizes (tests use tiny ones).
    pub fn with_options(wake: OwnedFd, options: UringOptions) -> Result<UringDriver, RingError> {
        assert!(options.connections_max > 0);
        let ring_options = RingOptions {
            in_flight_max: options.in_flight_max,
            // The provided-buffer ring's entries are pinned (16 bytes each).
            locked_bytes: 16 * u64::from(options.recv_buffer_count),
            ..RingOptions::default()
        };
        let mut ring = Ring::new(options.entries, ring_options)?;
        ring.register_provided_buffers(options.recv_buffer_count, options.recv_buffer_size)?;
        Ok(UringDriver {
            ring,
            options,
            wake,
            wake_read: Armed::Due(Instant::now()),
            listeners: Vec::new(),
            conns: HashMap::with_capacity(options.connections_max),
            owners: HashMap::with_capacity(options.in_flight_max),
            next_id: 1,
            open_count: 0,
            flush: Vec::new(),
            rearm: Vec::new(),
            lingering: Vec::new(),
            retired: Vec::new(),
            cancels: Vec::new(),
            backlog: false,
            refused_count: 0,
            wake_error_count: 0,
        })
    }

    /// Arms what is due: wake read, listeners, recvs, retried cancels, lingering deadlines.
    fn arm_due(&mut self, now: Instant) {
        if self.wake_read.is_due(now) {
            self.wake_read = match self.ring.read_eventfd(self.wake.as_fd()) {
                Ok(token) => {
                    self.owners.insert(token, Owner::Wake);
                    Armed::InFlight(token)
                }
                Err(refused) => {
                    eprintln!("smsgw: io_uring: arming the wake read: {refused}");
                    Armed::Due(now + WAKE_RETRY_DELAY)
                }
            };
        }
        for index in 0..self.listeners.len() {
            self.arm_listener(index, now);
        }
        let mut rearm = std::mem::take(&mut self.rearm);
        for &id in &rearm {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.in_rearm = false;
            }
            self.arm_recv(id);
        }
        rearm.clear();
        rearm.append(&mut self.rearm);
        self.rearm = rearm;
        self.cancels
            .retain(|&token| self.ring.cancel(token).is_err());
        self.expire_lingering(now);
    }

    fn arm_listener(&mut self, index: usize, now: Instant) {
        let Some(listener) = self.listeners[index].as_mut() else {
            return;
        };
        if !listener.accept.is_due(now) {
            return;
        }
        listener.accept = match self.ring.accept_multi(listener.socket.as_fd()) {
            Ok(token) => {
                self.owners.insert(token, Owner::Accept(index));
                Armed::InFlight(token)
            }
            Err(refused) => {
                eprintln!(
                    "smsgw: io_uring: arming accept (tag {}): {refused}",
                    listener.tag
                );
                Armed::Due(now + ACCEPT_RETRY_DELAY)
            }
        };
    }

    /// Arms the connection's multishot recv; a refusal retries at the next poll.
    fn arm_recv(&mut self, id: u64) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.state != State::Open || conn.recv.is_some() {
            return;
        }
        match self.ring.recv_multi(conn.fd.as_fd()) {
            Ok(token) => {
                conn.recv = Some(token);
                self.owners.insert(token, Owner::Recv(id));
            }
            Err(_) => Self::queue(&mut self.rearm, &mut conn.in_rearm, id),
        }
    }

    /// Submits one send of everything pending per queued connection with none in flight.
    fn submit_sends(&mut self) {
        let mut flush = std::mem::take(&mut self.flush);
        for &id in &flush {
            let Some(conn) = self.conns.get_mut(&id) else {
                continue;
            };
            conn.in_flush = false;
            if conn.send.is_some() || conn.pending.is_empty() {
                continue;
            }
            let buffer = std::mem::replace(&mut conn.pending, std::mem::take(&mut conn.spare));
            let len = buffer.len();
            match self.ring.send(conn.fd.as_fd(), buffer, 0) {
                Ok(token) => {
                    conn.send = Some(token);
                    conn.in_flight_size = len;
                    self.owners.insert(token, Owner::Send(id));
                }
                Err(refused) => {
                    // Put the bytes back in front (pending is the empty spare here).
                    conn.spare = std::mem::replace(&mut conn.pending, refused.returned);
                    Self::queue(&mut self.flush, &mut conn.in_flush, id);
                }
            }
        }
        flush.clear();
        flush.append(&mut self.flush);
        self.flush = flush;
    }

    /// Closes lingering connections whose deadline passed, cancelling their sends.
    fn expire_lingering(&mut self, now: Instant) {
        let mut lingering = std::mem::take(&mut self.lingering);
        lingering.retain(|&id| match self.conns.get(&id).map(|conn| conn.state) {
            Some(State::Lingering { deadline }) if deadline <= now => {
                self.teardown(id);
                false
            }
            Some(State::Lingering { .. }) => true,
            Some(_) | None => false,
        });
        self.lingering = lingering;
    }

    /// How long the wait may block: `None` to not block at all, `Some(None)` without limit.
    fn wait_limit(&self, timeout: Option<Duration>, now: Instant) -> Option<Option<Duration>> {
        if self.backlog || timeout == Some(Duration::ZERO) {
            return None;
        }
        let mut deadline: Option<Instant> = None;
        let mut earliest = |at: Instant| {
            deadline = Some(deadline.map_or(at, |current| current.min(at)));
        };
        if let Armed::Due(at) = self.wake_read {
            earliest(at);
        }
        for listener in self.listeners.iter().flatten() {
            if let Armed::Due(at) = listener.accept {
                earliest(at);
            }
        }
        for id in &self.lingering {
            if let Some(State::Lingering { deadline }) = self.conns.get(id).map(|conn| conn.state) {
                earliest(deadline);
            }
        }
        let Some(deadline) = deadline else {
            return Some(timeout);
        };
        let until = deadline.saturating_duration_since(now);
        if until.is_zero() {
            return None;
        }
        Some(Some(timeout.map_or(until, |timeout| timeout.min(until))))
    }

    /// Hands completions to `on_event`, at most [`COMPLETIONS_PER_POLL_MAX`].
    fn drain(&mut self, on_event: &mut dyn FnMut(IoEvent<'_>)) {
        self.backlog = false;
        for _ in 0..COMPLETIONS_PER_POLL_MAX {
            let Some(completion) = self.ring.next_completion() else {
                return;
            };
            self.dispatch(completion, on_event);
        }
        self.backlog = true;
    }

    fn dispatch(&mut self, completion: Completion, on_event: &mut dyn FnMut(IoEvent<'_>)) {
        let Completion {
            token,
            more,
            result,
        } = completion;
        let owner = if more {
            self.owners.get(&token).copied()
        } else {
            self.owners.remove(&token)
        };
        let Some(owner) = owner else {
            unreachable!("the ring returns only wanted completions: {token:?}")
        };
        match owner {
            Owner::Wake => self.handle_wake(result),
            Owner::Accept(index) => self.handle_accept(index, more, result, on_event),
            Owner::Connect(id) => self.handle_connect(id, result, on_event),
            Owner::Recv(id) => self.handle_recv(id, more, result, on_event),
            Owner::Send(id) => self.handle_send(id, result, on_event),
        }
    }

    fn handle_wake(&mut self, result: Result<Output, crate::ring::Failure>) {
        self.wake_read = match result {
            Ok(Output::EventFd { .. }) => Armed::Due(Instant::now()),
            Ok(other) => unreachable!("a wake read completes with EventFd, got {other:?}"),
            Err(failure) => {
                self.wake_error_count += 1;
                if self.wake_error_count.is_power_of_two() {
                    eprintln!(
                        "smsgw: io_uring: wake read failed ({} so far): {}",
                        self.wake_error_count, failure.error
                    );
                }
                Armed::Due(Instant::now() + WAKE_RETRY_DELAY)
            }
        };
    }

    fn handle_accept(
        &mut self,
        index: usize,
        more: bool,
        result: Result<Output, crate::ring::Failure>,
        on_event: &mut dyn FnMut(IoEvent<'_>),
    ) {
        let Some(listener) = self.listeners[index].as_mut() else {
            unreachable!("a closed listener's accept is abandoned")
        };
        let tag = listener.tag;
        let failed = result.is_err();
        if !more {
            // Re-arm at the next poll; after a pause if it ended in an error (EMFILE...).
            let delay = if failed {
                ACCEPT_RETRY_DELAY
            } else {
                Duration::ZERO
            };
            listener.accept = Armed::Due(Instant::now() + delay);
        }
        match result {
            Ok(Output::Accept { fd }) => self.adopt(fd, tag, on_event),
            Ok(other) => unreachable!("accept completes with Accept, got {other:?}"),
            // The connection stays in the backlog (EMFILE and friends) or is gone (reset).
            Err(failure) => eprintln!("smsgw: io_uring: accept (tag {tag}): {}", failure.error),
        }
    }

    /// Takes an accepted socket in: arms its recv and reports it.
    fn adopt(&mut self, fd: OwnedFd, tag: u32, on_event: &mut dyn FnMut(IoEvent<'_>)) {
        if self.conns.len() >= self.options.connections_max {
            self.refused_count += 1;
            if self.refused_count.is_power_of_two() {
                eprintln!(
                    "smsgw: io_uring: {} connections open (connections_max): closed {} accepted \
                     connections so far",
                    self.conns.len(),
                    self.refused_count
                );
            }
            return;
        }
        let socket = SockRef::from(&fd);
        // A peer that reset before we looked has no address: nothing to report.
        let Some(peer) = socket.peer_addr().ok().and_then(|addr| addr.as_socket()) else {
            return;
        };
        let _ = socket.set_tcp_nodelay(true);
        let id = self.insert(fd, State::Open);
        self.arm_recv(id);
        on_event(IoEvent::Accepted {
            conn: ConnId(id),
            tag,
            peer,
        });
    }

    fn handle_connect(
        &mut self,
        id: u64,
        result: Result<Output, crate::ring::Failure>,
        on_event: &mut dyn FnMut(IoEvent<'_>),
    ) {
        let Some(conn) = self.conns.get_mut(&id) else {
            unreachable!("a closed connection's connect is abandoned")
        };
        conn.connect = None;
        match result {
            Ok(Output::Connect) => {
                conn.state = State::Open;
                self.arm_recv(id);
                on_event(IoEvent::Connected { conn: ConnId(id) });
            }
            Ok(other) => unreachable!("connect completes with Connect, got {other:?}"),
            Err(failure) => {
                self.teardown(id);
                on_event(IoEvent::ConnectFailed {
                    conn: ConnId(id),
                    error: failure.error,
                });
            }
        }
    }

    fn handle_recv(
        &mut self,
        id: u64,
        more: bool,
        result: Result<Output, crate::ring::Failure>,
        on_event: &mut dyn FnMut(IoEvent<'_>),
    ) {
        let Some(conn) = self.conns.get_mut(&id) else {
            unreachable!("a closed connection's recv is abandoned")
        };
        assert!(conn.state == State::Open, "only open connections receive");
        if !more {
            conn.recv = None;
        }
        match result {
            Ok(Output::RecvProvided {
                buffer: Some(buffer),
            }) => {
                if !more {
                    // Ended without EOF or error (the kernel may end a multishot request, e.g.
                    // on CQ overflow): keep receiving.
                    Self::queue(&mut self.rearm, &mut conn.in_rearm, id);
                }
                on_event(IoEvent::Received {
                    conn: ConnId(id),
                    data: self.ring.provided_bytes(&buffer),
                });
                self.ring.recycle(buffer);
            }
            Ok(Output::RecvProvided { buffer: None }) => {
                self.teardown(id);
                on_event(IoEvent::Closed {
                    conn: ConnId(id),
                    error: None,
                });
            }
            Ok(other) => {
                unreachable!("a multishot recv completes with RecvProvided, got {other:?}")
            }
            // Every provided buffer was out: all are back by the next poll, which re-arms.
            Err(failure) if failure.error.raw_os_error() == Some(libc::ENOBUFS) && !more => {
                Self::queue(&mut self.rearm, &mut conn.in_rearm, id);
            }
            Err(failure) => {
                self.teardown(id);
                on_event(IoEvent::Closed {
                    conn: ConnId(id),
                    error: Some(failure.error),
                });
            }
        }
    }

    fn handle_send(
        &mut self,
        id: u64,
        result: Result<Output, crate::ring::Failure>,
        on_event: &mut dyn FnMut(IoEvent<'_>),
    ) {
        let Some(conn) = self.conns.get_mut(&id) else {
            unreachable!("a closed connection's send is abandoned")
        };
        conn.send = None;
        let error = match result {
            Ok(Output::Send {
                buffer,
                offset,
                sent,
            }) => {
                // Paired with the window submitted: in_flight_size is what was left of it.
                assert!(conn.in_flight_size == buffer.len() - offset);
                conn.in_flight_size -= sent;
                if sent == 0 {
                    Some(io::Error::from(io::ErrorKind::WriteZero))
                } else {
                    self.sent(id, buffer, offset + sent);
                    None
                }
            }
            Ok(other) => unreachable!("a send completes with Send, got {other:?}"),
            Err(failure) => Some(failure.error),
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            unreachable!("sent() does not tear down")
        };
        let state = conn.state;
        match (state, error) {
            (State::Open, Some(error)) => {
                self.teardown(id);
                on_event(IoEvent::Closed {
                    conn: ConnId(id),
                    error: Some(error),
                });
            }
            (State::Open, None) => {
                let held = conn.pending.len() + conn.in_flight_size;
                if conn.short && held < SEND_BUFFER_SIZE_MAX {
                    conn.short = false;
                    on_event(IoEvent::Writable { conn: ConnId(id) });
                }
            }
            (State::Lingering { .. }, Some(_)) => self.teardown(id),
            (State::Lingering { .. }, None) => {
                if conn.send.is_none() && conn.pending.is_empty() && !conn.in_flush {
                    let _ = SockRef::from(&conn.fd).shutdown(Shutdown::Write);
                    self.teardown(id);
                }
            }
            (State::Connecting, _) => unreachable!("no send before the connection is open"),
        }
    }

    /// After a send moved bytes: resubmits the rest of `buffer` from `offset`, or keeps the
    /// buffer as the spare and queues what became pending meanwhile.
    fn sent(&mut self, id: u64, mut buffer: Vec<u8>, offset: usize) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if offset == buffer.len() {
            buffer.clear();
            conn.spare = buffer;
            if !conn.pending.is_empty() {
                Self::queue(&mut self.flush, &mut conn.in_flush, id);
            }
            return;
        }
        match self.ring.send(conn.fd.as_fd(), buffer, offset) {
            Ok(token) => {
                conn.send = Some(token);
                self.owners.insert(token, Owner::Send(id));
            }
            Err(refused) => {
                // Rare (slab or SQ full): the unsent rest goes in front of pending, retried next
                // poll; the copy is the price of not losing order.
                let mut rest = refused.returned;
                rest.drain(..offset);
                rest.extend_from_slice(&conn.pending);
                conn.pending = rest;
                conn.in_flight_size = 0;
                Self::queue(&mut self.flush, &mut conn.in_flush, id);
            }
        }
    }

    fn insert(&mut self, fd: OwnedFd, state: State) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.conns.insert(
            id,
            Conn {
                fd,
                state,
                connect: None,
                recv: None,
                send: None,
                in_flight_size: 0,
                pending: Vec::new(),
                spare: Vec::new(),
                short: false,
                in_flush: false,
                in_rearm: false,
            },
        );
        self.open_count += 1;
        id
    }

    /// Forgets a connection: cancels and abandons its operations (the slab keeps their memory
    /// until their final CQEs) and retires its descriptor.
    fn teardown(&mut self, id: u64) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        if !matches!(conn.state, State::Lingering { .. }) {
            self.open_count -= 1;
        }
        for token in [conn.connect, conn.recv, conn.send].into_iter().flatten() {
            self.forget_op(token);
        }
        self.retired.push(conn.fd);
    }

    /// Drops interest in an operation and asks the kernel to end it.
    fn forget_op(&mut self, token: Token) {
        Self::forget(&mut self.ring, &mut self.owners, &mut self.cancels, token);
    }

    /// [`Self::forget_op`] on borrowed fields, for callers iterating over another field.
    fn forget(
        ring: &mut Ring,
        owners: &mut HashMap<Token, Owner>,
        cancels: &mut Vec<Token>,
        token: Token,
    ) {
        owners.remove(&token);
        if ring.abandon(token) && ring.cancel(token).is_err() {
            cancels.push(token);
        }
    }

    /// Adds `id` to a work list once.
    fn queue(list: &mut Vec<u64>, queued: &mut bool, id: u64) {
        if !*queued {
            *queued = true;
            list.push(id);
        }
    }
}

impl Driver for UringDriver {
    fn name(&self) -> &'static str {
        "io_uring"
    }

    fn add_listener(&mut self, listener: TcpListener, tag: u32) -> io::Result<()> {
        let open = self.listeners.iter().flatten().count();
        if open >= LISTENERS_MAX {
            return Err(io::Error::other(format!(
                "{open} listeners already (LISTENERS_MAX)"
            )));
        }
        // io_uring waits for connections itself; a blocking socket leaves all waiting to it (an
        // O_NONBLOCK file can surface EAGAIN when a request is punted to a worker thread).
        listener.set_nonblocking(false)?;
        let listener = Listener {
            socket: OwnedFd::from(listener),
            tag,
            accept: Armed::Due(Instant::now()),
        };
        // A closed listener's slot is free: its accept was abandoned, so no owner names it.
        match self.listeners.iter().position(Option::is_none) {
            Some(index) => self.listeners[index] = Some(listener),
            None => self.listeners.push(Some(listener)),
        }
        Ok(())
    }

    fn close_listeners(&mut self) {
        for slot in &mut self.listeners {
            let Some(listener) = slot.take() else {
                continue;
            };
            if let Armed::InFlight(token) = listener.accept {
                // Accepts the kernel completes before the cancel are closed by the ring.
                Self::forget(&mut self.ring, &mut self.owners, &mut self.cancels, token);
            }
            self.retired.push(listener.socket);
        }
    }

    fn connect(&mut self, addr: SocketAddr) -> io::Result<ConnId> {
        if self.conns.len() >= self.options.connections_max {
            return Err(io::Error::other(format!(
                "{} connections open (connections_max)",
                self.conns.len()
            )));
        }
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_tcp_nodelay(true)?;
        let fd = OwnedFd::from(socket);
        let token = self
            .ring
            .connect(fd.as_fd(), addr)
            .map_err(|refused| io::Error::other(refused.error))?;
        let id = self.insert(fd, State::Connecting);
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.connect = Some(token);
        }
        self.owners.insert(token, Owner::Connect(id));
        Ok(ConnId(id))
    }

    fn send(&mut self, conn: ConnId, data: &[u8]) -> usize {
        let Some(state) = self.conns.get_mut(&conn.0) else {
            return 0;
        };
        // As the epoll backend: nothing is taken before Connected.
        if state.state != State::Open || data.is_empty() {
            return 0;
        }
        let held = state.pending.len() + state.in_flight_size;
        let taken = SEND_BUFFER_SIZE_MAX.saturating_sub(held).min(data.len());
        state.pending.extend_from_slice(&data[..taken]);
        if taken < data.len() {
            state.short = true;
        }
        if taken > 0 && state.send.is_none() {
            Self::queue(&mut self.flush, &mut state.in_flush, conn.0);
        }
        taken
    }

    fn close(&mut self, conn: ConnId) {
        let id = conn.0;
        let Some(state) = self.conns.get_mut(&id) else {
            return;
        };
        match state.state {
            State::Connecting => self.teardown(id),
            // Already closed by the gateway; the id is forgotten as far as it is concerned.
            State::Lingering { .. } => {}
            State::Open => {
                let recv = state.recv.take();
                if state.send.is_none() && state.pending.is_empty() {
                    let _ = SockRef::from(&state.fd).shutdown(Shutdown::Write);
                    self.teardown(id);
                } else {
                    state.state = State::Lingering {
                        deadline: Instant::now() + CLOSE_LINGER,
                    };
                    self.open_count -= 1;
                    self.lingering.push(id);
                }
                if let Some(token) = recv {
                    self.forget_op(token);
                }
            }
        }
    }

    fn connection_count(&self) -> usize {
        self.open_count
    }

    fn poll(
        &mut self,
        timeout: Option<Duration>,
        on_event: &mut dyn FnMut(IoEvent<'_>),
    ) -> io::Result<()> {
        let now = Instant::now();
        self.arm_due(now);
        self.submit_sends();
        let result = match self.wait_limit(timeout, now) {
            None => self.ring.submit_and_wait(0, None),
            Some(limit) => self.ring.submit_and_wait(1, limit),
        };
        match result {
            Ok(()) => {}
            Err(RingError::Enter(error)) => return Err(error),
            Err(other) => return Err(io::Error::other(other)),
        }
        // Once the kernel consumed every queued SQE, none names a retired descriptor any more
        // (a wait that ended in EBUSY may have submitted nothing: keep them for the next turn).
        if self.ring.queued_count() == 0 {
            self.retired.clear();
        }
        self.drain(on_event);
        Ok(())
    }
}

/// Connections per core (open, connecting or lingering). Each costs at most two in-flight slots
/// (recv and send; connect before either) and up to two send buffers of
/// [`SEND_BUFFER_SIZE_MAX`] (pending and in flight) at their peak. When reached, accepted
/// connections are closed at once (logged at powers of two) and `connect` fails. Why 6000: two
/// slots each stay well under `ring::IN_FLIGHT_MAX` (16384), leaving room for operations of
/// closed connections still awaiting their cancellation CQE.
pub const CONNECTIONS_MAX: usize = 6000;

/// Listeners per driver (one multishot accept each); `add_listener` fails beyond it. A node
/// listens on a handful of ports (SMPP, CMPP, per-SP ports): 64 is generous.
pub const LISTENERS_MAX: usize = 64;

/// Provided receive buffers per core, shared by every connection: `RECV_BUFFER_COUNT ×
/// RECV_CHUNK_SIZE` bytes (18 MiB) allocated at start-up. When every buffer is out at once
/// (more arrivals than this between two drains), a connection's recv ends with `ENOBUFS` and is
/// re-armed at the next poll: the data waits in the socket, nothing is lost. Why 256: a drain
/// hands each buffer back right after its callback, so only arrivals queued during one loop turn
/// compete for them.
pub const RECV_BUFFER_COUNT: u16 = 256;

/// Completions handled per poll; the rest wait in the completion queue for the next turn (which
/// then does not block), so one poll does bounded work. Why 4096: well above a turn's typical
/// batch, small enough to bound a turn's latency to a few milliseconds.
pub const COMPLETIONS_PER_POLL_MAX: usize = 4096;

/// Longest a connection closed with bytes still held keeps sending before it is closed anyway
/// (its in-flight send cancelled): a peer that stopped reading cannot hold a slot forever.
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Pause before re-arming an accept that ended in an error (`EMFILE`, `ENFILE`, `ENOMEM`...).
pub const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Submission-queue entries: one turn's sends and re-arms; the ring flushes a full queue.
const ENTRIES: u32 = 1024;

/// Pause before re-arming a wake read that failed or was refused.
const WAKE_RETRY_DELAY: Duration = Duration::from_millis(10);

/// Rounds and wait per round of [`probe`]'s receive (a socket pair completes at once).
const PROBE_ROUNDS_MAX: u32 = 10;
const PROBE_ROUND_WAIT: Duration = Duration::from_millis(100);

const _: () = assert!(2 * CONNECTIONS_MAX + LISTENERS_MAX + 1 < IN_FLIGHT_MAX);
const _: () = assert!(RECV_BUFFER_COUNT.is_power_of_two());

/// An operation armed or due to be armed at the next poll after an instant.
#[derive(Clone, Copy, Debug)]
enum Armed {
    InFlight(Token),
    Due(Instant),
}

impl Armed {
    fn is_due(self, now: Instant) -> bool {
        matches!(self, Armed::Due(at) if at <= now)
    }
}

struct Listener {
    socket: OwnedFd,
    tag: u32,
    accept: Armed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Connecting,
    Open,
    /// Closed by the gateway with bytes still held: sending them until `deadline`.
    Lingering {
        deadline: Instant,
    },
}

struct Conn {
    fd: OwnedFd,
    state: State,
    connect: Option<Token>,
    recv: Option<Token>,
    send: Option<Token>,
    /// Bytes of the in-flight send the kernel has not taken yet.
    in_flight_size: usize,
    /// Bytes taken by `send`, not submitted yet.
    pending: Vec<u8>,
    /// The last completed send's buffer, reused as the next pending buffer.
    spare: Vec<u8>,
    /// A `send` came up short: report [`IoEvent::Writable`] once space frees.
    short: bool,
    in_flush: bool,
    in_rearm: bool,
}

/// Who an in-flight operation belongs to.
#[derive(Clone, Copy, Debug)]
enum Owner {
    Wake,
    Accept(usize),
    Connect(u64),
    Recv(u64),
    Send(u64),
}
