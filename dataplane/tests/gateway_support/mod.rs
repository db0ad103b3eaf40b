//! Helpers shared by the gateway integration tests (`tests/gateway_*.rs`): a gateway started on
//! loopback from a config written in the test, the list of I/O backends to run each scenario
//! on, a recording SMSC that keeps every submit_sm it accepts, and a raw SP that speaks PDUs
//! byte for byte (for pipelining, malformed PDUs and watching for unbind).
//!
//! Bounds: every wait takes a timeout and fails the test when it runs out; every loop is
//! bounded by a count or a deadline. Waiting polls a condition (a condvar for the recording
//! SMSC); nothing sleeps to synchronise.

// Each test crate includes this module and uses a subset of it.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use smsgw_bench::smsc_sim::{SimConfig, SmscSim, receipt_pdu};
use smsgw_dataplane::config::{Config, IoBackend};
use smsgw_dataplane::gateway::{Counters, Gateway};
use smsgw_dataplane::ids::{MessageId, MessageIdFormat};
use smsgw_dataplane::runtime::choose_backend;
use smsgw_shared::frame::{FrameLimits, Frames};
use smsgw_shared::smpp::pdu::{Bind, Body, DataSm, MessageIdResp, SubmitSm};
use smsgw_shared::smpp::session::{
    BindMode, CloseReason, Event, Session, SessionConfig, TimerEvent,
};
use smsgw_shared::smpp::{CommandId, CommandStatus, Pdu, Tlvs, decode};
use smsgw_shared::text::Stat;
use tempfile::TempDir;

/// How long a test waits for one expected thing (a response, a bind, a delivery).
pub const WAIT: Duration = Duration::from_secs(10);

/// How long a test waits for a whole load run to settle.
pub const WAIT_LOAD: Duration = Duration::from_secs(60);

/// The I/O backends to run every scenario on: epoll always, io_uring when this kernel and
/// build can run it (otherwise a notice is printed and it is skipped). `SMSGW_TEST_BACKENDS`
/// (a comma-separated list, e.g. `io_uring`) narrows the list, to rerun one backend.
pub fn backends() -> Vec<&'static str> {
    let mut backends = vec!["epoll"];
    match choose_backend(IoBackend::IoUring) {
        Ok(_) => backends.push("io_uring"),
        Err(why) => eprintln!("notice: io_uring scenarios skipped: {why}"),
    }
    if let Ok(wanted) = std::env::var("SMSGW_TEST_BACKENDS") {
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
        backends.retain(|backend| wanted.contains(backend));
        eprintln!("notice: SMSGW_TEST_BACKENDS={wanted:?}: running {backends:?}");
    }
    backends
}

/// A gateway started for one test, with its data directory.
pub struct Running {
    gateway: Gateway,
    /// The SMPP listener, with its real port.
    pub addr: SocketAddr,
    _data_dir: TempDir,
}

/// Starts a gateway on `backend` with `cores` workers; `body` holds the `[[account]]`,
/// `[[connector]]`, `[[route]]` and optional `[limits]` sections.
pub fn start_gateway(backend: &str, cores: usize, body: &str) -> Running {
    let data_dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"[node]
id = 7
cores = {cores}
data_dir = "var"
io_backend = "{backend}"
durability = "none"

[smpp]
listen = ["127.0.0.1:0"]

{body}
"#
    );
    let config = match Config::parse(&text, data_dir.path()) {
        Ok(config) => config,
        Err(errors) => panic!("config refused: {errors:?}\n{text}"),
    };
    let gateway = Gateway::start(config).unwrap();
    assert_eq!(gateway.backend(), backend);
    let addr = gateway.smpp_addrs()[0];
    Running {
        gateway,
        addr,
        _data_dir: data_dir,
    }
}

impl Running {
    /// The gateway.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Binds of connector `index` bound right now.
    pub fn bound(&self, index: usize) -> u32 {
        self.gateway.snapshot().connectors[index]
            .bound
            .load(Ordering::Relaxed)
    }

    /// Waits until connector `index` has at least `binds` binds up.
    pub fn wait_bound(&self, index: usize, binds: u32) {
        wait_until(
            &format!("connector {index}: {binds} binds up"),
            WAIT,
            || self.bound(index) >= binds,
        );
    }

    /// Stops the gateway and returns its summed counters.
    pub fn join(self) -> Counters {
        self.gateway.join()
    }
}

/// Polls `condition` until it holds; fails the test after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::yield_now();
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// An `[[account]]` section: password `secret1`, loopback allowed, generous limits.
pub fn account(id: &str, extra: &str) -> String {
    format!(
        r#"[[account]]
id = "{id}"
password = "secret1"
allowed_ips = ["127.0.0.0/8"]
{extra}
"#
    )
}

/// A `[[connector]]` section to `addr` (system_id `gw`, password `pw`, transceiver).
pub fn connector(name: &str, addr: SocketAddr, extra: &str) -> String {
    format!(
        r#"[[connector]]
name = "{name}"
address = "{addr}"
system_id = "gw"
password = "pw"
bind = "transceiver"
{extra}
"#
    )
}

/// A `[[route]]` section.
pub fn route(prefix: &str, connectors: &[&str]) -> String {
    let names: Vec<String> = connectors
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect();
    format!(
        "[[route]]\nprefix = \"{prefix}\"\nconnectors = [{}]\n",
        names.join(", ")
    )
}

/// A loopback address that refuses connections (a port bound and released at once).
pub fn refusing_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A submit_sm body.
pub fn submit(
    destination: &str,
    short_message: &[u8],
    data_coding: u8,
    esm_class: u8,
    registered_delivery: u8,
) -> SubmitSm<Vec<u8>> {
    SubmitSm {
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: b"ACME".to_vec(),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: destination.as_bytes().to_vec(),
        esm_class,
        registered_delivery,
        data_coding,
        short_message: short_message.to_vec(),
        ..SubmitSm::default()
    }
}

/// A GSM submit_sm of `text` to `destination`, asking for a receipt when `receipt`.
pub fn text_submit(destination: &str, text: &str, receipt: bool) -> Body<Vec<u8>> {
    Body::SubmitSm(submit(
        destination,
        text.as_bytes(),
        0,
        0,
        u8::from(receipt),
    ))
}

/// The core that issued one of our hex message ids.
pub fn core_of(message_id: &str) -> u8 {
    MessageId::parse(message_id.as_bytes(), MessageIdFormat::Hex)
        .unwrap_or_else(|error| panic!("{message_id:?} is not a hex message id: {error}"))
        .core_id()
}

/// The receipted_message_id TLV of a receipt, if any.
pub fn receipted_id(deliver: &SubmitSm<Vec<u8>>) -> Option<String> {
    deliver
        .tlvs
        .receipted_message_id()
        .map(|id| String::from_utf8_lossy(id).into_owned())
}

/// The `id:` field of a receipt's text.
pub fn text_id(deliver: &SubmitSm<Vec<u8>>) -> String {
    let text = String::from_utf8_lossy(&deliver.short_message);
    let rest = text
        .strip_prefix("id:")
        .unwrap_or_else(|| panic!("receipt text does not start with id: {text:?}"));
    rest.split(' ').next().unwrap_or_default().to_string()
}

// ---------------------------------------------------------------- bench simulator

/// The bench SMSC simulator on its own tokio runtime, for blocking tests.
pub struct Sim {
    runtime: tokio::runtime::Runtime,
    sim: Option<SmscSim>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Sim {
    /// Starts the simulator on a fresh loopback port with `configure` applied.
    pub fn start(configure: impl FnOnce(&mut SimConfig)) -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = SimConfig::new(vec!["127.0.0.1:0".parse().unwrap()]);
        configure(&mut config);
        let sim = runtime.block_on(SmscSim::start(config)).unwrap();
        let addr = sim.local_addrs[0];
        Sim {
            runtime,
            sim: Some(sim),
            addr,
        }
    }

    /// One of the simulator's counts.
    pub fn count(&self, name: &str) -> u64 {
        let counts = self.sim.as_ref().unwrap().counters.to_json();
        counts[name]
            .as_u64()
            .unwrap_or_else(|| panic!("no {name} in {counts}"))
    }

    /// Every count, for failure messages.
    pub fn counts(&self) -> serde_json::Value {
        self.sim.as_ref().unwrap().counters.to_json()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.stop());
        }
    }
}

// ---------------------------------------------------------------- recording SMSC

/// Faults and behaviour of a [`RecordingSmsc`]; 0 disables a fault.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmscOptions {
    /// Every Nth submit_sm over all connections is answered `ESME_RTHROTTLED` (not accepted).
    pub throttle_every: u64,
    /// Each connection answers this many submit_sm, flushes, then closes (FIN, no reset): every
    /// submit it accepted was answered, and submits it read after the limit are dropped unread.
    pub close_after_submits: u64,
    /// Send a receipt (DELIVRD) for every accepted submit_sm with registered_delivery bit 0.
    pub receipts: bool,
}

/// A submit_sm the SMSC accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The id it answered with.
    pub smsc_id: String,
    /// The PDU as received.
    pub submit_sm: SubmitSm<Vec<u8>>,
    /// Whether it came as data_sm.
    pub data_sm: Option<DataSm<Vec<u8>>>,
}

/// What a [`RecordingSmsc`] saw, under one lock.
#[derive(Debug, Default)]
pub struct SmscState {
    /// Accepted submits in arrival order.
    pub accepted: Vec<Accepted>,
    /// Submits answered `ESME_RTHROTTLED`.
    pub throttled: u64,
    /// Connections accepted.
    pub connections: u64,
    /// Connections still open.
    pub connections_open: u64,
    /// Unbinds received from the gateway (answered).
    pub unbinds: u64,
    /// Binds accepted.
    pub binds: u64,
    /// Connections closed by the `close_after_submits` fault.
    pub closed_by_fault: u64,
    /// Deliveries (receipts, MO) waiting for a receiving connection.
    pub outbox: VecDeque<Outgoing>,
    /// Answers to deliveries: label and command_status.
    pub delivery_results: Vec<(String, CommandStatus)>,
}

/// A deliver_sm the SMSC will send, labelled for its result.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Names it in [`SmscState::delivery_results`].
    pub label: String,
    /// The body.
    pub body: Body<Vec<u8>>,
}

struct SmscShared {
    options: SmscOptions,
    state: Mutex<SmscState>,
    changed: Condvar,
    submits: AtomicU64,
    next_id: AtomicU64,
    stop: AtomicBool,
}

impl SmscShared {
    fn lock(&self) -> MutexGuard<'_, SmscState> {
        self.state.lock().unwrap()
    }
}

/// A blocking SMSC on loopback (one thread per connection) that records every submit_sm and
/// data_sm it accepts, sends receipts and MO, and injects the faults of [`SmscOptions`].
pub struct RecordingSmsc {
    /// Where it listens.
    pub addr: SocketAddr,
    shared: Arc<SmscShared>,
    acceptor: Option<JoinHandle<()>>,
}

impl RecordingSmsc {
    /// Listens on a fresh loopback port.
    pub fn start(options: SmscOptions) -> RecordingSmsc {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(SmscShared {
            options,
            state: Mutex::new(SmscState::default()),
            changed: Condvar::new(),
            submits: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            stop: AtomicBool::new(false),
        });
        let acceptor_shared = Arc::clone(&shared);
        let acceptor = std::thread::spawn(move || accept_loop(&listener, &acceptor_shared));
        RecordingSmsc {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The state under its lock.
    pub fn state(&self) -> MutexGuard<'_, SmscState> {
        self.shared.lock()
    }

    /// Waits until `condition` holds on the state; fails the test after `timeout`.
    pub fn wait(
        &self,
        what: &str,
        timeout: Duration,
        mut condition: impl FnMut(&SmscState) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while !condition(&state) {
            let now = Instant::now();
            assert!(now < deadline, "timed out waiting for the SMSC: {what}");
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Waits until at least `count` submits were accepted; returns them all.
    pub fn wait_accepted(&self, count: usize, timeout: Duration) -> Vec<Accepted> {
        self.wait(&format!("{count} submits accepted"), timeout, |state| {
            state.accepted.len() >= count
        });
        self.state().accepted.clone()
    }

    /// Queues a deliver_sm for the next receiving connection.
    pub fn send_delivery(&self, label: &str, body: Body<Vec<u8>>) {
        self.shared.lock().outbox.push_back(Outgoing {
            label: label.to_string(),
            body,
        });
        self.shared.changed.notify_all();
    }

    /// Queues an MO deliver_sm from `source` to `destination`.
    pub fn send_mo(&self, label: &str, source: &str, destination: &str, text: &str) {
        let body = Body::DeliverSm(SubmitSm {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: source.as_bytes().to_vec(),
            destination_addr: destination.as_bytes().to_vec(),
            short_message: text.as_bytes().to_vec(),
            ..SubmitSm::default()
        });
        self.send_delivery(label, body);
    }
}

impl Drop for RecordingSmsc {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<SmscShared>) {
    let mut connections = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                {
                    let mut state = shared.lock();
                    state.connections += 1;
                    state.connections_open += 1;
                }
                let shared = Arc::clone(shared);
                connections.push(std::thread::spawn(move || {
                    serve(stream, &shared);
                    shared.changed.notify_all();
                }));
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(error) => panic!("SMSC accept: {error}"),
        }
    }
    for connection in connections {
        let _ = connection.join();
    }
}

/// One SMSC connection: answer, record, deliver, until closed, stopped or faulted.
fn serve(mut stream: TcpStream, shared: &Arc<SmscShared>) {
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let epoch = Instant::now();
    let now = || u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
    let config = SessionConfig {
        window_max: 64,
        peer_window_max: 4096,
        ..SessionConfig::default()
    };
    let mut session = Session::new_smsc(config, 0x34, now());
    let mut receives = false;
    let mut answered: u64 = 0;
    let mut closing = false;
    let mut in_flight: HashMap<u64, Outgoing> = HashMap::new();
    let mut next_token: u64 = 1;
    let mut rx: Vec<u8> = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    let options = shared.options;
    while !shared.stop.load(Ordering::Relaxed) {
        let eof = match stream.read(&mut buffer) {
            Ok(0) => true,
            Ok(size) => {
                rx.extend_from_slice(&buffer[..size]);
                false
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                false
            }
            Err(_) => true,
        };
        let now_ms = now();
        let mut frames = Frames::new(&rx, FrameLimits::SMPP);
        for frame in frames.by_ref() {
            let Ok(frame) = frame else {
                closing = true;
                break;
            };
            match session.handle_frame(frame, now_ms) {
                Some(Event::BindRequest { mode, .. }) => {
                    session.accept_bind(b"rec-smsc").unwrap();
                    receives = mode.can_receive();
                    shared.lock().binds += 1;
                }
                Some(Event::Request(pdu)) => {
                    let sequence_number = pdu.sequence_number;
                    let owned = pdu.into_owned();
                    let is_message = matches!(owned.body, Body::SubmitSm(_) | Body::DataSm(_));
                    if !is_message {
                        continue;
                    }
                    if options.close_after_submits > 0 && answered >= options.close_after_submits {
                        // Past the limit: read but never answered nor accepted.
                        closing = true;
                        continue;
                    }
                    answered += 1;
                    let (status, body) = answer_message(shared, owned.body);
                    session.respond(sequence_number, status, body).unwrap();
                }
                Some(Event::Closed(CloseReason::PeerUnbound)) => shared.lock().unbinds += 1,
                Some(Event::Response { request, pdu }) => {
                    if let Some(outgoing) = in_flight.remove(&request.token) {
                        let status = pdu.command_status;
                        let mut state = shared.lock();
                        state.delivery_results.push((outgoing.label, status));
                    }
                }
                _ => {}
            }
        }
        let consumed = frames.consumed();
        rx.drain(..consumed);
        if options.close_after_submits > 0 && answered >= options.close_after_submits {
            closing = true;
        }
        if receives && session.is_bound() && !closing {
            let mut state = shared.lock();
            while session.window_available() > 0 {
                let Some(outgoing) = state.outbox.pop_front() else {
                    break;
                };
                let token = next_token;
                next_token += 1;
                match session.send_request(outgoing.body.clone(), token, now_ms) {
                    Ok(_) => {
                        in_flight.insert(token, outgoing);
                    }
                    Err(_) => {
                        state.outbox.push_front(outgoing);
                        break;
                    }
                }
            }
        }
        while let Some(event) = session.handle_timeout(now_ms) {
            if let TimerEvent::RequestTimedOut(request) = event
                && let Some(outgoing) = in_flight.remove(&request.token)
            {
                shared.lock().outbox.push_front(outgoing);
            }
        }
        let pending = session.poll_transmit();
        if !pending.is_empty() {
            if stream.write_all(pending).is_err() {
                break;
            }
            let size = pending.len();
            session.advance_transmit(size);
        }
        shared.changed.notify_all();
        if closing {
            shared.lock().closed_by_fault += 1;
            close_gracefully(&mut stream);
            break;
        }
        if eof || session.is_closed() {
            break;
        }
    }
    // Deliveries never answered go to another connection (the gateway may see one twice).
    let mut state = shared.lock();
    for (_, outgoing) in in_flight {
        state.outbox.push_front(outgoing);
    }
    state.connections_open -= 1;
}

/// Answers one submit_sm or data_sm: throttled every Nth, else accepted and recorded.
fn answer_message(shared: &SmscShared, body: Body<Vec<u8>>) -> (CommandStatus, Body<Vec<u8>>) {
    let index = shared.submits.fetch_add(1, Ordering::Relaxed) + 1;
    let is_data_sm = matches!(body, Body::DataSm(_));
    let options = shared.options;
    if options.throttle_every > 0 && index.is_multiple_of(options.throttle_every) {
        shared.lock().throttled += 1;
        let resp = MessageIdResp::default();
        let body = if is_data_sm {
            Body::DataSmResp(resp)
        } else {
            Body::SubmitSmResp(resp)
        };
        return (CommandStatus::ESME_RTHROTTLED, body);
    }
    let smsc_id = format!(
        "{:X}",
        shared.next_id.fetch_add(1, Ordering::Relaxed) + 0xA000
    );
    let (submit_sm, data_sm) = match body {
        Body::SubmitSm(submit_sm) => (submit_sm, None),
        Body::DataSm(data_sm) => (
            SubmitSm {
                source_addr: data_sm.source_addr.clone(),
                destination_addr: data_sm.destination_addr.clone(),
                registered_delivery: data_sm.registered_delivery,
                ..SubmitSm::default()
            },
            Some(data_sm),
        ),
        other => unreachable!("only messages are answered here: {other:?}"),
    };
    let mut state = shared.lock();
    if options.receipts && submit_sm.registered_delivery & 0x01 == 0x01 {
        let receipt = receipt_pdu(
            &smsc_id,
            Stat::DELIVRD,
            &submit_sm.destination_addr,
            &submit_sm.source_addr,
        );
        state.outbox.push_back(Outgoing {
            label: format!("receipt {smsc_id}"),
            body: receipt,
        });
    }
    state.accepted.push(Accepted {
        smsc_id: smsc_id.clone(),
        submit_sm,
        data_sm,
    });
    let resp = MessageIdResp {
        message_id: smsc_id.into_bytes(),
        tlvs: Tlvs::new(),
    };
    let body = if is_data_sm {
        Body::DataSmResp(resp)
    } else {
        Body::SubmitSmResp(resp)
    };
    (CommandStatus::ESME_ROK, body)
}

/// Half-closes, then reads until the peer closes too (bounded), so the close is a FIN and the
/// peer reads every answer sent before it.
fn close_gracefully(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + WAIT;
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return,
        }
    }
}

// ---------------------------------------------------------------- raw SP

/// How a [`RawSp`] read ended without a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawEnd {
    /// Nothing came in time.
    Timeout,
    /// The gateway closed the connection.
    Closed,
}

/// An SP that writes and reads PDUs itself: no session, so it can pipeline, send malformed
/// bytes and see every PDU the gateway sends (unbind, generic_nack).
pub struct RawSp {
    stream: TcpStream,
    rx: Vec<u8>,
    next_sequence_number: u32,
    closed: bool,
}

impl RawSp {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> RawSp {
        let stream = TcpStream::connect_timeout(&addr, WAIT).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        RawSp {
            stream,
            rx: Vec::new(),
            next_sequence_number: 1,
            closed: false,
        }
    }

    /// Connects and binds; returns the bind_resp status when refused.
    pub fn bind(
        addr: SocketAddr,
        mode: BindMode,
        system_id: &str,
        password: &str,
        interface_version: u8,
    ) -> Result<RawSp, CommandStatus> {
        let mut sp = RawSp::connect(addr);
        let bind = Bind {
            system_id: system_id.as_bytes().to_vec(),
            password: password.as_bytes().to_vec(),
            system_type: Vec::new(),
            interface_version,
            addr_ton: 0,
            addr_npi: 0,
            address_range: Vec::new(),
        };
        let body = match mode {
            BindMode::Transmitter => Body::BindTransmitter(bind),
            BindMode::Receiver => Body::BindReceiver(bind),
            BindMode::Transceiver => Body::BindTransceiver(bind),
        };
        let sequence_number = sp.send(body);
        let resp = sp.response(sequence_number, WAIT).unwrap();
        if resp.command_status.is_ok() {
            Ok(sp)
        } else {
            Err(resp.command_status)
        }
    }

    /// Encodes `body` as the next request; returns its sequence_number.
    pub fn send(&mut self, body: Body<Vec<u8>>) -> u32 {
        let mut bytes = Vec::new();
        let sequence_number = self.encode(body, &mut bytes);
        self.send_bytes(&bytes);
        sequence_number
    }

    /// Appends `body` as the next request to `out` (to send many in one write).
    pub fn encode(&mut self, body: Body<Vec<u8>>, out: &mut Vec<u8>) -> u32 {
        let sequence_number = self.next_sequence_number;
        self.next_sequence_number += 1;
        Pdu::new(sequence_number, body).encode(out).unwrap();
        sequence_number
    }

    /// Answers a request of the gateway.
    pub fn respond(&mut self, sequence_number: u32, body: Body<Vec<u8>>) {
        let mut bytes = Vec::new();
        Pdu::new(sequence_number, body).encode(&mut bytes).unwrap();
        self.send_bytes(&bytes);
    }

    /// Writes `bytes` as they are.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next PDU from the gateway, decoded; enquire_link is answered on the way.
    pub fn next_pdu(&mut self, timeout: Duration) -> Result<Pdu<Vec<u8>>, RawEnd> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(pdu) = self.take_pdu() {
                if pdu.command_id() == CommandId::enquire_link {
                    self.respond(pdu.sequence_number, Body::EnquireLinkResp);
                    continue;
                }
                return Ok(pdu);
            }
            if self.closed {
                return Err(RawEnd::Closed);
            }
            if Instant::now() > deadline {
                return Err(RawEnd::Timeout);
            }
            let mut buffer = [0u8; 65_536];
            match self.stream.read(&mut buffer) {
                Ok(0) => self.closed = true,
                Ok(size) => self.rx.extend_from_slice(&buffer[..size]),
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => self.closed = true,
            }
        }
    }

    /// The response to `sequence_number`; fails on any other PDU but deliveries, which are
    /// answered and dropped.
    pub fn response(
        &mut self,
        sequence_number: u32,
        timeout: Duration,
    ) -> Result<Pdu<Vec<u8>>, RawEnd> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let pdu = self.next_pdu(left)?;
            if let Body::DeliverSm(_) = pdu.body {
                self.respond(
                    pdu.sequence_number,
                    Body::DeliverSmResp(MessageIdResp::default()),
                );
                continue;
            }
            assert_eq!(
                pdu.sequence_number,
                sequence_number,
                "expected the response to {sequence_number}, got {:?}",
                pdu.command_id()
            );
            return Ok(pdu);
        }
    }

    /// Collects `count` responses (deliveries are answered and dropped), by sequence_number.
    pub fn responses(&mut self, count: usize, timeout: Duration) -> HashMap<u32, Pdu<Vec<u8>>> {
        let deadline = Instant::now() + timeout;
        let mut responses = HashMap::new();
        while responses.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            let pdu = self.next_pdu(left).unwrap_or_else(|end| {
                panic!("{} of {count} responses, then {end:?}", responses.len())
            });
            if let Body::DeliverSm(_) = pdu.body {
                self.respond(
                    pdu.sequence_number,
                    Body::DeliverSmResp(MessageIdResp::default()),
                );
                continue;
            }
            assert!(
                pdu.command_id().is_response(),
                "unexpected {:?}",
                pdu.command_id()
            );
            let previous = responses.insert(pdu.sequence_number, pdu);
            assert!(previous.is_none(), "two responses to one sequence_number");
        }
        responses
    }

    /// Reads until the gateway closes the connection (bounded); true if it did.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_pdu(left) {
                Ok(_) => {}
                Err(RawEnd::Closed) => return true,
                Err(RawEnd::Timeout) => return false,
            }
        }
    }

    fn take_pdu(&mut self) -> Option<Pdu<Vec<u8>>> {
        let mut frames = Frames::new(&self.rx, FrameLimits::SMPP);
        let frame = frames.next()?;
        let frame = frame.unwrap_or_else(|error| panic!("the gateway sent a bad frame: {error}"));
        let pdu = decode(frame)
            .unwrap_or_else(|error| panic!("the gateway sent an undecodable PDU: {error}"))
            .into_owned();
        let consumed = frames.consumed();
        self.rx.drain(..consumed);
        Some(pdu)
    }
}

/// The message_id of a submit_sm_resp or data_sm_resp.
pub fn response_id(pdu: &Pdu<Vec<u8>>) -> String {
    match &pdu.body {
        Body::SubmitSmResp(resp) | Body::DataSmResp(resp) => {
            String::from_utf8_lossy(&resp.message_id).into_owned()
        }
        other => panic!("not a message id response: {other:?}"),
    }
}
