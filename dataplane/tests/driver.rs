//! Conformance suite of the data plane's I/O backends (`runtime::driver::Driver`): every test runs
//! against the epoll backend and the io_uring backend (skipped with a printed notice when
//! `uring::probe` says io_uring is unusable here), over real TCP sockets on 127.0.0.1 with
//! `std::net` peers, in threads where a peer would block. A further io_uring-only section drives
//! that backend's own bounds (provided-buffer exhaustion, lingering close, connection limit).
//! Every wait is bounded in rounds and time; nothing sleeps to synchronise.
// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use smsgw_dataplane::ring::WakeFd;
use smsgw_dataplane::runtime::driver::{ConnId, Driver, IoEvent, SEND_BUFFER_SIZE_MAX};
use smsgw_dataplane::runtime::epoll::EpollDriver;
use smsgw_dataplane::runtime::uring::{self, UringDriver, UringOptions};

/// Rounds a test polls before failing; each waits at most `ROUND_WAIT`, so a broken backend
/// fails a test in seconds instead of hanging it.
const ROUNDS_MAX: u32 = 200;
const ROUND_WAIT: Duration = Duration::from_millis(50);
/// Read/write timeout of the std peers, so a peer thread never blocks forever.
const PEER_TIMEOUT: Duration = Duration::from_secs(10);

type Make = fn(OwnedFd) -> Box<dyn Driver>;

/// Generates one `#[test]` per backend for each suite function.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod epoll {
            $(
                #[test]
                fn $name() {
                    super::$name(super::epoll_driver);
                }
            )*
        }
        mod io_uring {
            $(
                #[test]
                fn $name() {
                    if super::uring_usable() {
                        super::$name(super::uring_driver);
                    }
                }
            )*
        }
    };
}

conformance!(
    accept_reports_tag_and_peer,
    received_bytes_arrive_in_order,
    echo_sends_back_what_arrived,
    back_pressure_then_writable_delivers_every_byte_once,
    connect_reports_connected_and_moves_bytes_both_ways,
    connect_to_a_closed_port_fails,
    peer_close_reports_closed_without_error_after_its_data,
    peer_reset_reports_closed_with_an_error,
    close_flushes_held_bytes_then_sends_eof,
    wake_makes_a_blocking_poll_return,
    close_listeners_stops_accepting,
);

// Proves an accepted connection is reported once, with the listener's tag and the peer's real
// address, and counted as open.
fn accept_reports_tag_and_peer(make: Make) {
    let mut harness = Harness::new(make);
    let addr = harness.listen(7);
    let client = TcpStream::connect(addr).unwrap();
    let event = harness.take("Accepted", |event| matches!(event, Event::Accepted { .. }));
    let Event::Accepted { tag, peer, .. } = event else {
        unreachable!()
    };
    assert_eq!(tag, 7);
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(harness.driver.connection_count(), 1);
    harness.poll(Duration::ZERO);
    assert!(harness.events.is_empty(), "{:?}", harness.events);
}

// Proves bytes written by the peer in several writes, one of them larger than a receive chunk,
// reach the gateway complete and in order.
fn received_bytes_arrive_in_order(make: Make) {
    let mut harness = Harness::new(make);
    let addr = harness.listen(1);
    let (mut client, conn) = harness.accept(addr);
    let mut expected = b"onetwo".to_vec();
    expected.extend_from_slice(&pattern(0, 300 * 1024));
    let writer = {
        let expected = expected.clone();
        thread::spawn(move || {
            client.write_all(b"one").unwrap();
            client.write_all(b"two").unwrap();
            client.write_all(&expected[6..]).unwrap();
            client
        })
    };
    let received = harness.receive(conn, expected.len());
    assert!(received == expected, "bytes differ");
    drop(harness.poll_until_finished(writer));
}

// Proves the send path: what arrives is sent back with `send` (taken whole) and reaches the peer.
fn echo_sends_back_what_arrived(make: Make) {
    let mut harness = Harness::new(make);
    let addr = harness.listen(1);
    let (mut client, conn) = harness.accept(addr);
    client.write_all(b"ping").unwrap();
    let data = harness.receive(conn, 4);
    assert_eq!(data, b"ping");
    assert_eq!(harness.driver.send(conn, &data), 4);
    let reader = read_exactly(&client, 4);
    let echoed = harness.poll_until_finished(reader);
    assert_eq!(echoed, b"ping");
    client.write_all(b"!").unwrap();
    assert_eq!(harness.receive(conn, 1), b"!");
}

// Proves back-pressure without loss: a peer that does not read makes `send` come up short (the
// driver holds at most its bound); once the peer reads, Writable comes, the caller sends the
// rest, and the peer receives exactly the bytes `send` took, in order, none lost or duplicated.
fn back_pressure_then_writable_delivers_every_byte_once(make: Make) {
    const CHUNK_SIZE: usize = 64 * 1024;
    // Loopback's socket buffers hold a few MiB; far more than that means send never pushed back.
    const SHORT_WITHIN_SIZE: usize = 256 << 20;
    const AFTER_SHORT_SIZE: usize = 4 << 20;
    let mut harness = Harness::new(make);
    let addr = harness.listen(1);
    let (client, conn) = harness.accept(addr);
    let (total_sender, total_receiver) = mpsc::channel::<usize>();
    // The reader hands the stream back, so its close does not race the final checks.
    let reader = thread::spawn(move || {
        let total = total_receiver.recv_timeout(PEER_TIMEOUT).unwrap();
        (verify_pattern(&client, total), client)
    });

    let mut offset = 0;
    loop {
        assert!(offset < SHORT_WITHIN_SIZE, "send never came up short");
        let taken = harness.driver.send(conn, &pattern(offset, CHUNK_SIZE));
        offset += taken;
        if taken < CHUNK_SIZE {
            break;
        }
        harness.poll(Duration::ZERO);
    }
    let total = offset + AFTER_SHORT_SIZE;
    total_sender.send(total).unwrap();

    let mut writable_count = 0;
    for _ in 0..ROUNDS_MAX * 10 {
        if offset == total {
            break;
        }
        harness.poll(ROUND_WAIT);
        let Some(index) = harness.position(|event| *event == Event::Writable(conn)) else {
            continue;
        };
        harness.events.remove(index);
        writable_count += 1;
        while offset < total {
            let size = CHUNK_SIZE.min(total - offset);
            let taken = harness.driver.send(conn, &pattern(offset, size));
            offset += taken;
            if taken < size {
                break;
            }
        }
    }
    assert_eq!(offset, total, "the caller could not send everything");
    assert!(writable_count >= 1);
    let (verified, _client) = harness.poll_until_finished(reader);
    assert_eq!(verified, total);
    assert!(
        harness.events.iter().all(|event| event.conn() != conn),
        "{:?}",
        harness.events
    );
}

// Proves an outbound connection: Connected comes, the connection counts as open, and bytes flow
// both ways.
fn connect_reports_connected_and_moves_bytes_both_ways(make: Make) {
    let mut harness = Harness::new(make);
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let conn = harness
        .driver
        .connect(server.local_addr().unwrap())
        .unwrap();
    harness.take("Connected", |event| *event == Event::Connected(conn));
    assert_eq!(harness.driver.connection_count(), 1);
    let (mut peer, _) = server.accept().unwrap();
    peer.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
    assert_eq!(harness.driver.send(conn, b"hello"), 5);
    let reader = read_exactly(&peer, 5);
    assert_eq!(harness.poll_until_finished(reader), b"hello");
    peer.write_all(b"world").unwrap();
    assert_eq!(harness.receive(conn, 5), b"world");
}

// Proves a refused connect is reported as ConnectFailed with the kernel's reason (or refused at
// once by `connect`), and leaves no connection behind.
fn connect_to_a_closed_port_fails(make: Make) {
    let mut harness = Harness::new(make);
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    match harness.driver.connect(addr) {
        Ok(conn) => {
            let event = harness.take("ConnectFailed", |event| event.conn() == conn);
            assert_eq!(
                event,
                Event::ConnectFailed(conn, ErrorKind::ConnectionRefused)
            );
        }
        Err(error) => assert_eq!(error.kind(), ErrorKind::ConnectionRefused),
    }
    assert_eq!(harness.driver.connection_count(), 0);
}

// Proves an orderly peer close: its last bytes arrive first, then Closed without an error, and
// the connection is no longer counted.
fn peer_close_reports_closed_without_error_after_its_data(make: Make) {
    let mut harness = Harness::new(make);
    let addr = harness.listen(1);
    let (mut client, conn) = harness.accept(addr);
    client.write_all(b"last words").unwrap();
    drop(client);
    assert_eq!(harness.receive(conn, 10), b"last words");
    let event = harness.take("Closed", |event| event.conn() == conn);
    assert_eq!(event, Event::Closed(conn, None));
    assert_eq!(harness.driver.connection_count(), 0);
    assert_eq!(harness.driver.send(conn, b"gone"), 0);
}

// Proves a reset by the peer (SO_LINGER 0) is reported as Closed with ECONNRESET.
fn peer_reset_reports_closed_with_an_error(make: Make) {
    let mut harness = Harness::new(make);
    let addr = harness.listen(1);
    let (client, conn) = harness.accept(addr);
    socket2::SockRef::from(&client)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(client);
    let event = harness.take("Closed", |event| event.conn() == conn);
    assert_eq!(event, Event::Closed(conn, Some(ErrorKind::ConnectionReset)));
    assert_eq!(harness.driver.connection_count(), 0);
}

// Proves `close` sends what the driver still holds before the connection ends: the peer reads the
// bytes, then EOF; the gateway sees no event for the closed id.
fn close_flushes_held_bytes_then_sends_eof(make: Make) {
    let mut harness = Harness::new(make);
    let addr = harness.listen(1);
    let (client, conn) = harness.accept(addr);
    assert_eq!(harness.driver.send(conn, b"goodbye"), 7);
    harness.driver.close(conn);
    assert_eq!(harness.driver.connection_count(), 0);
    let reader = read_to_end(client);
    assert_eq!(harness.poll_until_finished(reader), b"goodbye");
    harness.poll(Duration::ZERO);
    assert!(
        harness.events.iter().all(|event| event.conn() != conn),
        "{:?}",
        harness.events
    );
}

// Proves the wake descriptor ends a blocking poll, twice in a row (the wake read is re-armed):
// once written from another thread while the poll waits, once written before the poll starts.
// The poll's own limit is far above the test's bound, so returning at all proves the wake.
fn wake_makes_a_blocking_poll_return(make: Make) {
    const LONG: Duration = Duration::from_secs(60);
    let mut harness = Harness::new(make);
    let started = Instant::now();
    let waker = {
        let wake = Arc::clone(&harness.wake);
        thread::spawn(move || wake.wake().unwrap())
    };
    harness.poll(LONG);
    waker.join().unwrap();
    harness.wake.wake().unwrap();
    harness.poll(LONG);
    assert!(started.elapsed() < LONG, "a poll waited out its timeout");
    assert!(harness.events.is_empty(), "{:?}", harness.events);
}

// Proves `close_listeners` stops accepting while established connections keep working: a later
// connect is refused or never reported.
fn close_listeners_stops_accepting(make: Make) {
    const QUIET_ROUNDS: u32 = 10;
    let mut harness = Harness::new(make);
    let addr = harness.listen(3);
    let (mut client, conn) = harness.accept(addr);
    harness.driver.close_listeners();
    harness.poll(Duration::ZERO);
    harness.poll(Duration::ZERO);
    let late = TcpStream::connect(addr);
    for _ in 0..QUIET_ROUNDS {
        harness.poll(ROUND_WAIT);
    }
    assert!(
        !harness
            .events
            .iter()
            .any(|event| matches!(event, Event::Accepted { .. })),
        "accepted after close_listeners (late connect: {late:?})"
    );
    client.write_all(b"still here").unwrap();
    assert_eq!(harness.receive(conn, 10), b"still here");
    assert_eq!(harness.driver.connection_count(), 1);
}

// ---- io_uring only: the backend's own bounds ----

// Proves receives survive provided-buffer exhaustion: with two 64-byte buffers for eight
// connections each sending 4 KiB at once, recvs end with ENOBUFS again and again and are
// re-armed, and every connection still receives its own bytes complete and in order.
#[test]
fn io_uring_recv_survives_provided_buffer_exhaustion() {
    const CLIENTS_COUNT: usize = 8;
    const SIZE: usize = 4096;
    if !uring_usable() {
        return;
    }
    let options = UringOptions {
        recv_buffer_count: 2,
        recv_buffer_size: 64,
        ..UringOptions::default()
    };
    let mut harness =
        Harness::with(|wake| Box::new(UringDriver::with_options(wake, options).unwrap()));
    let addr = harness.listen(1);
    let pairs: Vec<(TcpStream, ConnId)> =
        (0..CLIENTS_COUNT).map(|_| harness.accept(addr)).collect();
    for (index, (client, _)) in pairs.iter().enumerate() {
        (&*client).write_all(&pattern(index, SIZE)).unwrap();
    }
    for (index, (_, conn)) in pairs.iter().enumerate() {
        assert!(
            harness.receive(*conn, SIZE) == pattern(index, SIZE),
            "conn {index}"
        );
    }
}

// Proves a lingering close delivers everything held, not only what fits the socket at once: the
// peer reads nothing until after `close`, yet receives all SEND_BUFFER_SIZE_MAX bytes, then EOF.
#[test]
fn io_uring_close_lingers_until_everything_is_sent() {
    if !uring_usable() {
        return;
    }
    let mut harness = Harness::new(uring_driver);
    let addr = harness.listen(1);
    let (client, conn) = harness.accept(addr);
    let data = pattern(0, SEND_BUFFER_SIZE_MAX);
    assert_eq!(harness.driver.send(conn, &data), SEND_BUFFER_SIZE_MAX);
    harness.driver.close(conn);
    assert_eq!(
        harness.driver.send(conn, b"x"),
        0,
        "a closed id takes nothing"
    );
    let reader = read_to_end(client);
    assert!(harness.poll_until_finished(reader) == data);
}

// Proves the connection bound: with `connections_max` 1, a second accepted connection is closed
// at once (its peer sees EOF or a reset) and never reported; the first keeps working.
#[test]
fn io_uring_accepts_over_connections_max_are_closed() {
    if !uring_usable() {
        return;
    }
    let options = UringOptions {
        connections_max: 1,
        ..UringOptions::default()
    };
    let mut harness =
        Harness::with(|wake| Box::new(UringDriver::with_options(wake, options).unwrap()));
    let addr = harness.listen(1);
    let (mut first, conn) = harness.accept(addr);
    let second = TcpStream::connect(addr).unwrap();
    let reader = read_to_end_or_reset(second);
    harness.poll_until_finished(reader);
    assert!(
        !harness
            .events
            .iter()
            .any(|event| matches!(event, Event::Accepted { .. })),
        "{:?}",
        harness.events
    );
    first.write_all(b"ok").unwrap();
    assert_eq!(harness.receive(conn, 2), b"ok");
    assert_eq!(harness.driver.connection_count(), 1);
}

// Proves closing a connection while its recv and a blocked send are in flight, then dropping the
// driver, is safe and bounded: the peer's later bytes produce no event, the drop cancels and
// reaps everything, and the peer then sees the connection end.
#[test]
fn io_uring_close_and_drop_with_operations_in_flight() {
    if !uring_usable() {
        return;
    }
    let mut harness = Harness::new(uring_driver);
    let addr = harness.listen(1);
    let (mut quiet, quiet_conn) = harness.accept(addr);
    let (busy, busy_conn) = harness.accept(addr);
    // Fill the busy peer's socket so a send stays in flight.
    let mut offset = 0;
    for _ in 0..ROUNDS_MAX * 20 {
        let taken = harness.driver.send(busy_conn, &pattern(offset, 64 * 1024));
        offset += taken;
        if taken < 64 * 1024 {
            break;
        }
        harness.poll(Duration::ZERO);
    }
    harness.driver.close(quiet_conn);
    quiet.write_all(b"ignored").unwrap();
    for _ in 0..3 {
        harness.poll(ROUND_WAIT);
    }
    assert!(
        harness
            .events
            .iter()
            .all(|event| event.conn() != quiet_conn),
        "{:?}",
        harness.events
    );
    drop(harness);
    let reader = read_to_end_or_reset(busy);
    reader.join().unwrap();
}

// ---- harness ----

fn epoll_driver(wake: OwnedFd) -> Box<dyn Driver> {
    Box::new(EpollDriver::new(wake).unwrap())
}

fn uring_driver(wake: OwnedFd) -> Box<dyn Driver> {
    Box::new(UringDriver::new(wake).unwrap())
}

/// Whether the io_uring tests can run here; prints why not when they cannot.
fn uring_usable() -> bool {
    match uring::probe() {
        Ok(()) => true,
        Err(reason) => {
            eprintln!("io_uring unusable here, skipping this test: {reason}");
            false
        }
    }
}

/// An owned copy of an [`IoEvent`], with errors reduced to their kind.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    Accepted {
        conn: ConnId,
        tag: u32,
        peer: SocketAddr,
    },
    Connected(ConnId),
    ConnectFailed(ConnId, ErrorKind),
    Received(ConnId, Vec<u8>),
    Writable(ConnId),
    Closed(ConnId, Option<ErrorKind>),
}

impl Event {
    fn conn(&self) -> ConnId {
        match self {
            Event::Accepted { conn, .. }
            | Event::Connected(conn)
            | Event::ConnectFailed(conn, _)
            | Event::Received(conn, _)
            | Event::Writable(conn)
            | Event::Closed(conn, _) => *conn,
        }
    }
}

impl From<IoEvent<'_>> for Event {
    fn from(event: IoEvent<'_>) -> Self {
        match event {
            IoEvent::Accepted { conn, tag, peer } => Event::Accepted { conn, tag, peer },
            IoEvent::Connected { conn } => Event::Connected(conn),
            IoEvent::ConnectFailed { conn, error } => Event::ConnectFailed(conn, error.kind()),
            IoEvent::Received { conn, data } => Event::Received(conn, data.to_vec()),
            IoEvent::Writable { conn } => Event::Writable(conn),
            IoEvent::Closed { conn, error } => Event::Closed(conn, error.map(|error| error.kind())),
        }
    }
}

/// A driver, its wake eventfd and the events polled but not yet taken by the test, in order.
struct Harness {
    driver: Box<dyn Driver>,
    wake: Arc<WakeFd>,
    events: VecDeque<Event>,
}

impl Harness {
    fn new(make: Make) -> Self {
        Self::with(make)
    }

    fn with(make: impl FnOnce(OwnedFd) -> Box<dyn Driver>) -> Self {
        let wake = Arc::new(WakeFd::new().unwrap());
        let driver = make(wake.as_fd().try_clone_to_owned().unwrap());
        Self {
            driver,
            wake,
            events: VecDeque::new(),
        }
    }

    /// Binds a listener on an ephemeral loopback port and hands it to the driver.
    fn listen(&mut self, tag: u32) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        self.driver.add_listener(listener, tag).unwrap();
        addr
    }

    /// Connects a std client and waits for the driver to report it.
    fn accept(&mut self, addr: SocketAddr) -> (TcpStream, ConnId) {
        let client = TcpStream::connect(addr).unwrap();
        client.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
        client.set_write_timeout(Some(PEER_TIMEOUT)).unwrap();
        let local = client.local_addr().unwrap();
        let event = self.take(
            "Accepted",
            |event| matches!(event, Event::Accepted { peer, .. } if *peer == local),
        );
        (client, event.conn())
    }

    fn poll(&mut self, timeout: Duration) {
        let events = &mut self.events;
        self.driver
            .poll(Some(timeout), &mut |event| {
                events.push_back(Event::from(event))
            })
            .unwrap();
    }

    fn position(&self, matches: impl FnMut(&Event) -> bool) -> Option<usize> {
        self.events.iter().position(matches)
    }

    /// Polls until an event `matches` accepts and takes the first such; others stay queued.
    fn take(&mut self, what: &str, mut matches: impl FnMut(&Event) -> bool) -> Event {
        for _ in 0..ROUNDS_MAX {
            if let Some(index) = self.position(&mut matches) {
                return self.events.remove(index).unwrap();
            }
            self.poll(ROUND_WAIT);
        }
        panic!(
            "no {what} after {ROUNDS_MAX} rounds; queued: {:?}",
            self.events
        );
    }

    /// Takes `size` received bytes of `conn`, failing on any other event for it first.
    fn receive(&mut self, conn: ConnId, size: usize) -> Vec<u8> {
        let mut data = Vec::with_capacity(size);
        while data.len() < size {
            match self.take("Received", |event| event.conn() == conn) {
                Event::Received(_, bytes) => data.extend_from_slice(&bytes),
                other => panic!("{other:?} after {} of {size} bytes", data.len()),
            }
        }
        assert_eq!(data.len(), size, "more bytes than expected");
        data
    }

    /// Keeps the driver polling until the peer thread is done, then joins it.
    fn poll_until_finished<T>(&mut self, peer: JoinHandle<T>) -> T {
        for _ in 0..ROUNDS_MAX {
            if peer.is_finished() {
                break;
            }
            self.poll(ROUND_WAIT);
        }
        assert!(peer.is_finished(), "the peer thread did not finish");
        peer.join().unwrap()
    }
}

/// Byte `offset + i` of an endless pattern (a prime period, so shifted chunks differ).
fn pattern(offset: usize, size: usize) -> Vec<u8> {
    (offset..offset + size).map(|i| (i % 251) as u8).collect()
}

/// Reads `size` bytes in a thread.
fn read_exactly(peer: &TcpStream, size: usize) -> JoinHandle<Vec<u8>> {
    let mut peer = peer.try_clone().unwrap();
    thread::spawn(move || {
        let mut data = vec![0; size];
        peer.read_exact(&mut data).unwrap();
        data
    })
}

/// Reads until EOF in a thread.
fn read_to_end(mut peer: TcpStream) -> JoinHandle<Vec<u8>> {
    peer.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
    thread::spawn(move || {
        let mut data = Vec::new();
        peer.read_to_end(&mut data).unwrap();
        data
    })
}

/// Reads until EOF or a reset in a thread; a timeout fails it.
fn read_to_end_or_reset(mut peer: TcpStream) -> JoinHandle<()> {
    peer.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
    thread::spawn(move || {
        let mut buffer = vec![0; 64 * 1024];
        loop {
            match peer.read(&mut buffer) {
                Ok(0) => return,
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::ConnectionReset => return,
                Err(error) => panic!("{error}"),
            }
        }
    })
}

/// Reads `total` bytes and checks each against [`pattern`]; returns how many matched.
fn verify_pattern(mut peer: &TcpStream, total: usize) -> usize {
    let mut buffer = vec![0; 64 * 1024];
    let mut offset = 0;
    while offset < total {
        let want = buffer.len().min(total - offset);
        let size = peer.read(&mut buffer[..want]).unwrap();
        assert!(size > 0, "EOF at {offset} of {total}");
        for (i, &byte) in buffer[..size].iter().enumerate() {
            assert_eq!(byte, ((offset + i) % 251) as u8, "byte {}", offset + i);
        }
        offset += size;
    }
    offset
}
