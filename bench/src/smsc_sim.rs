//! `smsc-sim`: an SMSC simulator for benchmarks and end-to-end tests.
//!
//! Accepts any number of SMPP 3.3/3.4/5.0 binds (optionally checking passwords per system_id),
//! answers submit_sm, submit_multi and data_sm with unique message ids, sends delivery receipts
//! to a receiving bind of the same system_id after a delay and with a configured mix of final
//! states, sends MO messages at a rate, and injects faults on request. Every count is an atomic
//! counter, reported as JSON.
//!
//! Bounds: `max_binds` connections; per connection a bounded delivery queue
//! ([`DELIVERY_QUEUE_MAX`]); the receipt scheduler's queue is bounded ([`RECEIPT_QUEUE_MAX`]).
//! At every bound the simulator counts what it could not do (`receipts_dropped`, `mo_dropped`,
//! `binds_refused`) rather than waiting or growing.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smsgw_shared::smpp::pdu::{
    Body, ESM_CLASS_TYPE_DELIVERY_RECEIPT, MessageIdResp, SubmitMultiResp, SubmitSm, empty_response,
};
use smsgw_shared::smpp::session::{BindMode, Event, Session, SessionConfig, TimerEvent};
use smsgw_shared::smpp::tlv::tag;
use smsgw_shared::smpp::{CommandId, CommandStatus, Pdu, Tlvs};
use smsgw_shared::text::{Receipt, ReceiptDate, Stat};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::mix::DlrMix;
use crate::wire::Wire;

/// Deliveries (receipts, MO) queued for one connection, at most; more are counted as dropped.
pub const DELIVERY_QUEUE_MAX: usize = 65_536;
/// Receipts waiting in the cross-connection scheduler, at most; a full scheduler pushes back on
/// the connections that feed it.
pub const RECEIPT_QUEUE_MAX: usize = 1_000_000;
/// Receipts one connection holds before it answers new submits `ESME_RTHROTTLED`
/// (back-pressure: an SMSC that cannot deliver receipts as fast as it accepts messages slows its
/// ESMEs rather than lose receipts); counted as `throttled_backlog`.
pub const RECEIPT_BACKLOG_MAX: usize = 65_536;
/// A receipt no receiving bind took within this long is dropped and counted.
pub const RECEIPT_UNDELIVERABLE_MS: u64 = 60_000;

/// How message ids look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFormat {
    /// Upper-case hexadecimal, e.g. `1A2B3C`.
    Hex,
    /// Decimal digits.
    Decimal,
}

/// MO traffic the simulator originates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoConfig {
    /// Messages per second over all receiving binds.
    pub rate_per_s: u32,
    /// The destination (the SP's short code).
    pub short_code: String,
    /// The originating subscriber.
    pub source: String,
}

/// Faults injected on request; 0 disables each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every Nth submit is answered `ESME_RTHROTTLED` (0x58).
    pub throttle_every: u64,
    /// Every Nth submit is answered `ESME_RMSGQFUL` (0x14).
    pub queue_full_every: u64,
    /// Every response waits this long.
    pub response_delay_ms: u64,
    /// Every Nth submit gets no response at all.
    pub drop_response_every: u64,
    /// Each connection is closed abruptly after this many PDUs received.
    pub close_after_pdus: u64,
    /// Binds are refused (`ESME_RBINDFAIL`) for this long after start.
    pub refuse_binds_ms: u64,
}

/// Everything the simulator needs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// system_id → password; empty accepts any credentials.
    pub accounts: HashMap<String, String>,
    /// How message ids look.
    pub message_id_format: IdFormat,
    /// Delay before a receipt is sent.
    pub dlr_delay_ms: u64,
    /// Final states of receipts.
    pub dlr_mix: DlrMix,
    /// MO traffic, if any.
    pub mo: Option<MoConfig>,
    /// Injected faults.
    pub faults: Faults,
    /// Connections at most; more binds are refused with `ESME_RBINDFAIL`.
    pub max_binds: usize,
    /// Session timers and windows.
    pub session: SessionConfig,
}

impl SimConfig {
    /// A simulator on `listen` that accepts anything, answers at once and receipts everything.
    pub fn new(listen: Vec<SocketAddr>) -> SimConfig {
        SimConfig {
            listen,
            accounts: HashMap::new(),
            message_id_format: IdFormat::Hex,
            dlr_delay_ms: 0,
            dlr_mix: DlrMix::default(),
            mo: None,
            faults: Faults::default(),
            max_binds: 64,
            session: SessionConfig {
                peer_window_max: 4096,
                window_max: 512,
                ..SessionConfig::default()
            },
        }
    }
}

macro_rules! counters {
    ($($name:ident),* $(,)?) => {
        /// The simulator's counts, updated by every connection.
        #[derive(Debug, Default)]
        pub struct Counters {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub $name: AtomicU64,
            )*
        }

        impl Counters {
            /// Every count as one JSON object.
            pub fn to_json(&self) -> Value {
                let mut object = serde_json::Map::new();
                $(object.insert(stringify!($name).to_string(), json!(self.$name.load(Ordering::Relaxed)));)*
                Value::Object(object)
            }
        }
    };
}

counters!(
    connections,
    binds_accepted,
    binds_refused,
    unbinds,
    submits,
    submit_ok,
    submit_multi,
    data_sm,
    throttled,
    throttled_backlog,
    queue_full,
    responses_dropped,
    connections_closed_by_fault,
    receipts_scheduled,
    receipts_sent,
    receipts_acked,
    receipts_dropped,
    mo_sent,
    mo_acked,
    mo_dropped,
    deliveries_refused,
    requests_refused,
    unexpected_responses,
    timeouts,
);

impl Counters {
    fn add(&self, counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A running simulator.
pub struct SmscSim {
    /// The addresses actually bound (port 0 resolved).
    pub local_addrs: Vec<SocketAddr>,
    /// The live counts.
    pub counters: Arc<Counters>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SmscSim {
    /// Binds the listeners and starts serving on the current tokio runtime.
    pub async fn start(config: SimConfig) -> std::io::Result<SmscSim> {
        let counters = Arc::new(Counters::default());
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            config: config.clone(),
            counters: counters.clone(),
            receivers: Mutex::new(Receivers::default()),
            next_message_id: AtomicU64::new(1),
            next_connection_id: AtomicU64::new(1),
            bound: AtomicUsize::new(0),
            epoch: Instant::now(),
        });
        let (receipts_tx, receipts_rx) = mpsc::channel(RECEIPT_QUEUE_MAX.min(65_536));
        let mut tasks = Vec::new();
        let mut local_addrs = Vec::new();
        for address in &config.listen {
            let listener = TcpListener::bind(address).await?;
            local_addrs.push(listener.local_addr()?);
            tasks.push(tokio::spawn(accept_loop(
                listener,
                shared.clone(),
                receipts_tx.clone(),
                stopped.clone(),
            )));
        }
        tasks.push(tokio::spawn(receipt_scheduler(
            shared.clone(),
            receipts_rx,
            stopped.clone(),
        )));
        if let Some(mo) = config.mo.clone() {
            tasks.push(tokio::spawn(mo_generator(
                shared.clone(),
                mo,
                stopped.clone(),
            )));
        }
        Ok(SmscSim {
            local_addrs,
            counters,
            stop,
            tasks,
        })
    }

    /// Stops accepting, unbinds every connection politely and waits (bounded) for the tasks.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

/// A receipt or MO waiting for a connection.
#[derive(Debug)]
struct Delivery {
    pdu: Box<Body<Vec<u8>>>,
    kind: DeliveryKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeliveryKind {
    Receipt,
    Mo,
}

/// A receipt scheduled for later.
#[derive(Debug)]
struct PendingReceipt {
    due_ms: u64,
    system_id: String,
    delivery: Delivery,
}

/// Receiving connections by system_id, for routing receipts and MO.
#[derive(Default)]
struct Receivers {
    by_system_id: HashMap<String, Vec<(u64, mpsc::Sender<Delivery>)>>,
    next: usize,
}

impl Receivers {
    /// Offers a delivery to a receiving connection of `system_id` (any, when `None`),
    /// round-robin; gives it back when none has room.
    fn offer(&mut self, system_id: Option<&str>, delivery: Delivery) -> Result<(), Delivery> {
        let candidates: Vec<&mpsc::Sender<Delivery>> = match system_id {
            Some(system_id) => self
                .by_system_id
                .get(system_id)
                .map(|list| list.iter().map(|(_, sender)| sender).collect())
                .unwrap_or_default(),
            None => self
                .by_system_id
                .values()
                .flatten()
                .map(|(_, sender)| sender)
                .collect(),
        };
        if candidates.is_empty() {
            return Err(delivery);
        }
        self.next = self.next.wrapping_add(1);
        let mut delivery = delivery;
        for offset in 0..candidates.len() {
            let sender = candidates[(self.next + offset) % candidates.len()];
            match sender.try_send(delivery) {
                Ok(()) => return Ok(()),
                Err(
                    mpsc::error::TrySendError::Full(back) | mpsc::error::TrySendError::Closed(back),
                ) => delivery = back,
            }
        }
        Err(delivery)
    }
}

struct Shared {
    config: SimConfig,
    counters: Arc<Counters>,
    receivers: Mutex<Receivers>,
    next_message_id: AtomicU64,
    /// Connection ids, unique over every listener (receivers are unregistered by id).
    next_connection_id: AtomicU64,
    /// Bound connections of any mode, against `max_binds`.
    bound: AtomicUsize,
    epoch: Instant,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn message_id(&self) -> String {
        let id = self.next_message_id.fetch_add(1, Ordering::Relaxed);
        match self.config.message_id_format {
            IdFormat::Hex => format!("{id:X}"),
            IdFormat::Decimal => id.to_string(),
        }
    }

    fn receivers(&self) -> std::sync::MutexGuard<'_, Receivers> {
        // A panic while holding this lock would be a simulator bug; recover the data anyway.
        self.receivers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Pause after a failed accept (EMFILE and the like fail at once, again and again).
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    receipts: mpsc::Sender<PendingReceipt>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of descriptors or a reset before accept: try again shortly, never spin.
            tokio::time::sleep(ACCEPT_RETRY).await;
            continue;
        };
        let connection_id = shared.next_connection_id.fetch_add(1, Ordering::Relaxed);
        let open = shared.counters.add(&shared.counters.connections);
        let _ = open;
        tokio::spawn(serve_connection(
            stream,
            connection_id,
            shared.clone(),
            receipts.clone(),
            stopped.clone(),
        ));
    }
}

/// One SMPP connection from bind to close.
async fn serve_connection(
    stream: TcpStream,
    connection_id: u64,
    shared: Arc<Shared>,
    receipts: mpsc::Sender<PendingReceipt>,
    mut stopped: watch::Receiver<bool>,
) {
    let Ok(mut wire) = Wire::new(stream, shared.epoch) else {
        return;
    };
    let mut session = Session::new_smsc(shared.config.session, 0x34, wire.now_ms());
    let (deliveries_tx, mut deliveries_rx) = mpsc::channel::<Delivery>(DELIVERY_QUEUE_MAX);
    let mut connection = Connection {
        shared: shared.clone(),
        receipts,
        deliveries_tx: Some(deliveries_tx),
        connection_id,
        system_id: None,
        pdus_received: 0,
        delayed: VecDeque::new(),
        receipts_out: VecDeque::new(),
        can_receive: false,
        in_flight: HashMap::new(),
        counted_bound: false,
        abort: false,
    };
    let mut stopping = false;
    loop {
        let next_ms = [
            session.poll_timeout(),
            connection.delayed.front().map(|delayed| delayed.due_ms),
            connection.next_receipt_ms(&session, wire.now_ms()),
        ]
        .into_iter()
        .flatten()
        .min();
        let deadline = wire.deadline(next_ms.unwrap_or(wire.now_ms() + 1_000));
        let can_deliver = session.is_bound() && session.window_available() > 0;
        tokio::select! {
            read = wire.read() => {
                match read {
                    Ok(true) => {
                        let now_ms = wire.now_ms();
                        wire.frames(|frame| connection.handle_frame(&mut session, frame, now_ms));
                    }
                    _ => break,
                }
            }
            Some(delivery) = deliveries_rx.recv(), if can_deliver => {
                connection.send_delivery(&mut session, delivery, wire.now_ms());
            }
            _ = tokio::time::sleep_until(deadline) => {
                let now_ms = wire.now_ms();
                connection.release_delayed(&mut session, now_ms);
                while let Some(event) = session.handle_timeout(now_ms) {
                    connection.handle_timer(event);
                }
            }
            _ = stopped.changed(), if !stopping => {
                // Once: a dropped sender makes changed() return at once forever after.
                stopping = true;
                let _ = session.unbind(wire.now_ms());
            }
        }
        if connection.abort {
            break; // Fault injection: drop the connection without a word.
        }
        connection.pump_receipts(&mut session, wire.now_ms());
        if wire.flush(&mut session).await.is_err() {
            break;
        }
        if session.is_closed() {
            wire.close(&mut session).await;
            break;
        }
    }
    connection.unregister();
    connection.hand_over_receipts();
}

/// A response held back by `response_delay_ms`.
struct DelayedResponse {
    due_ms: u64,
    sequence_number: u32,
    status: CommandStatus,
    body: Body<Vec<u8>>,
}

/// Per-connection state beyond the session.
struct Connection {
    shared: Arc<Shared>,
    receipts: mpsc::Sender<PendingReceipt>,
    deliveries_tx: Option<mpsc::Sender<Delivery>>,
    connection_id: u64,
    system_id: Option<String>,
    pdus_received: u64,
    /// Responses held back by `response_delay_ms`, in due order.
    delayed: VecDeque<DelayedResponse>,
    /// Receipts of messages accepted here, in due order (one delay for all).
    receipts_out: VecDeque<PendingReceipt>,
    /// True when this bind takes deliveries, so its own receipts go out on it.
    can_receive: bool,
    /// Deliveries sent and not yet acknowledged, by token.
    in_flight: HashMap<u64, DeliveryKind>,
    /// Whether this connection holds a slot of `max_binds`.
    counted_bound: bool,
    abort: bool,
}

impl Connection {
    fn handle_frame(&mut self, session: &mut Session, frame: &[u8], now_ms: u64) {
        if self.abort {
            return;
        }
        self.pdus_received += 1;
        let faults = self.shared.config.faults;
        if faults.close_after_pdus > 0 && self.pdus_received > faults.close_after_pdus {
            self.shared
                .counters
                .add(&self.shared.counters.connections_closed_by_fault);
            self.abort = true;
            return;
        }
        let counters = self.shared.counters.clone();
        match session.handle_frame(frame, now_ms) {
            Some(Event::BindRequest { mode, bind, .. }) => {
                let system_id = String::from_utf8_lossy(bind.system_id).into_owned();
                let status = self.check_bind(&system_id, bind.password, now_ms);
                if status.is_ok() {
                    let _ = session.accept_bind(b"smsc-sim");
                    counters.add(&counters.binds_accepted);
                    self.register(system_id, mode);
                } else {
                    let _ = session.reject_bind(status);
                    counters.add(&counters.binds_refused);
                }
            }
            Some(Event::Request(pdu)) => self.handle_request(session, pdu, now_ms),
            Some(Event::Response { request, pdu }) => {
                let kind = self.in_flight.remove(&request.token);
                if pdu.command_status.is_ok() {
                    match kind {
                        Some(DeliveryKind::Receipt) => counters.add(&counters.receipts_acked),
                        Some(DeliveryKind::Mo) => counters.add(&counters.mo_acked),
                        None => 0,
                    };
                } else {
                    counters.add(&counters.deliveries_refused);
                }
            }
            Some(Event::UnexpectedResponse { .. } | Event::MalformedResponse { .. }) => {
                counters.add(&counters.unexpected_responses);
            }
            Some(Event::Refused { .. }) => {
                counters.add(&counters.requests_refused);
            }
            Some(Event::Closed(_)) => {
                counters.add(&counters.unbinds);
            }
            Some(Event::Bound { .. }) | None => {}
        }
    }

    fn handle_timer(&mut self, event: TimerEvent) {
        if let TimerEvent::RequestTimedOut(request) = event {
            // Over for good: a late response is unexpected, so forget the delivery's kind.
            self.in_flight.remove(&request.token);
            self.shared.counters.add(&self.shared.counters.timeouts);
        }
    }

    fn check_bind(&self, system_id: &str, password: &[u8], now_ms: u64) -> CommandStatus {
        let config = &self.shared.config;
        if now_ms < config.faults.refuse_binds_ms {
            return CommandStatus::ESME_RBINDFAIL;
        }
        if self.shared.bound.load(Ordering::Acquire) >= config.max_binds {
            return CommandStatus::ESME_RBINDFAIL;
        }
        if config.accounts.is_empty() {
            return CommandStatus::ESME_ROK;
        }
        match config.accounts.get(system_id) {
            None => CommandStatus::ESME_RINVSYSID,
            Some(expected) if expected.as_bytes() != password => CommandStatus::ESME_RINVPASWD,
            Some(_) => CommandStatus::ESME_ROK,
        }
    }

    fn register(&mut self, system_id: String, mode: BindMode) {
        self.shared.bound.fetch_add(1, Ordering::AcqRel);
        self.counted_bound = true;
        self.system_id = Some(system_id.clone());
        self.can_receive = mode.can_receive();
        if !mode.can_receive() {
            self.deliveries_tx = None;
            return;
        }
        if let Some(sender) = self.deliveries_tx.clone() {
            self.shared
                .receivers()
                .by_system_id
                .entry(system_id)
                .or_default()
                .push((self.connection_id, sender));
        }
    }

    fn unregister(&mut self) {
        if self.counted_bound {
            self.counted_bound = false;
            self.shared.bound.fetch_sub(1, Ordering::AcqRel);
        }
        let Some(system_id) = &self.system_id else {
            return;
        };
        let mut receivers = self.shared.receivers();
        if let Some(list) = receivers.by_system_id.get_mut(system_id) {
            list.retain(|(id, _)| *id != self.connection_id);
            if list.is_empty() {
                receivers.by_system_id.remove(system_id);
            }
        }
    }

    fn handle_request(&mut self, session: &mut Session, pdu: Pdu<&[u8]>, now_ms: u64) {
        let counters = self.shared.counters.clone();
        let sequence_number = pdu.sequence_number;
        let command = pdu.command_id();
        let Some(response) = command.response() else {
            return;
        };
        let answer = match &pdu.body {
            Body::SubmitSm(sm) | Body::DeliverSm(sm) => {
                let submit_index = counters.add(&counters.submits);
                self.accept_message(
                    now_ms,
                    submit_index,
                    sm.registered_delivery,
                    &[(sm.source_addr, sm.destination_addr)],
                    response,
                )
            }
            Body::DataSm(data) => {
                counters.add(&counters.data_sm);
                let submit_index = counters.add(&counters.submits);
                self.accept_message(
                    now_ms,
                    submit_index,
                    data.registered_delivery,
                    &[(data.source_addr, data.destination_addr)],
                    response,
                )
            }
            Body::SubmitMulti(multi) => {
                counters.add(&counters.submit_multi);
                let submit_index = counters.add(&counters.submits);
                let destinations: Vec<(&[u8], &[u8])> = multi
                    .dest_addresses
                    .iter()
                    .filter_map(|dest| match dest {
                        smsgw_shared::smpp::pdu::Dest::Sme {
                            destination_addr, ..
                        } => Some((multi.source_addr, destination_addr)),
                        smsgw_shared::smpp::pdu::Dest::DistributionList { .. } => None,
                    })
                    .collect();
                self.accept_message(
                    now_ms,
                    submit_index,
                    multi.registered_delivery,
                    &destinations,
                    response,
                )
            }
            // The simulator keeps no message store: query, cancel and replace fail honestly.
            Body::QuerySm(_) => Some((CommandStatus::ESME_RQUERYFAIL, empty_body(response))),
            Body::CancelSm(_) => Some((CommandStatus::ESME_RCANCELFAIL, empty_body(response))),
            Body::ReplaceSm(_) => Some((CommandStatus::ESME_RREPLACEFAIL, empty_body(response))),
            _ => Some((CommandStatus::ESME_RINVCMDID, empty_body(response))),
        };
        let Some((status, body)) = answer else {
            counters.add(&counters.responses_dropped);
            return; // Fault: no response. The session keeps it unanswered until close.
        };
        let delay = self.shared.config.faults.response_delay_ms;
        if delay > 0 {
            self.delayed.push_back(DelayedResponse {
                due_ms: now_ms + delay,
                sequence_number,
                status,
                body,
            });
        } else {
            let _ = session.respond(sequence_number, status, body);
        }
    }

    /// Decides a submit's fate (faults first) and schedules its receipts. `submit_index` is the
    /// value this submit's own increment of `submits` returned, so every-Nth faults hit exactly
    /// every Nth submit however many connections race.
    fn accept_message(
        &mut self,
        now_ms: u64,
        submit_index: u64,
        registered_delivery: u8,
        routes: &[(&[u8], &[u8])],
        response: CommandId,
    ) -> Option<(CommandStatus, Body<Vec<u8>>)> {
        let counters = self.shared.counters.clone();
        let faults = self.shared.config.faults;
        if faults.drop_response_every > 0 && submit_index.is_multiple_of(faults.drop_response_every)
        {
            return None;
        }
        if faults.throttle_every > 0 && submit_index.is_multiple_of(faults.throttle_every) {
            counters.add(&counters.throttled);
            return Some((CommandStatus::ESME_RTHROTTLED, empty_body(response)));
        }
        if faults.queue_full_every > 0 && submit_index.is_multiple_of(faults.queue_full_every) {
            counters.add(&counters.queue_full);
            return Some((CommandStatus::ESME_RMSGQFUL, empty_body(response)));
        }
        if self.receipts_out.len() >= RECEIPT_BACKLOG_MAX {
            counters.add(&counters.throttled_backlog);
            return Some((CommandStatus::ESME_RTHROTTLED, empty_body(response)));
        }
        counters.add(&counters.submit_ok);
        let message_id = self.shared.message_id();
        for (source, destination) in routes {
            self.schedule_receipt(
                now_ms,
                registered_delivery,
                &message_id,
                source,
                destination,
            );
        }
        let body = match response {
            CommandId::submit_multi_resp => Body::SubmitMultiResp(SubmitMultiResp {
                message_id: message_id.into_bytes(),
                ..SubmitMultiResp::default()
            }),
            CommandId::data_sm_resp => Body::DataSmResp(MessageIdResp {
                message_id: message_id.into_bytes(),
                tlvs: Tlvs::new(),
            }),
            _ => Body::SubmitSmResp(MessageIdResp {
                message_id: message_id.into_bytes(),
                tlvs: Tlvs::new(),
            }),
        };
        Some((CommandStatus::ESME_ROK, body))
    }

    fn schedule_receipt(
        &mut self,
        now_ms: u64,
        registered_delivery: u8,
        message_id: &str,
        source: &[u8],
        destination: &[u8],
    ) {
        let counters = &self.shared.counters;
        let Some(system_id) = self.system_id.clone() else {
            return;
        };
        // The draw index: receipts asked for so far (a racing connection may share one index,
        // which only shifts the mix by one, never the counts).
        let sequence = counters.receipts_scheduled.load(Ordering::Relaxed);
        let stat = self.shared.config.dlr_mix.stat_at(sequence, 0);
        // registered_delivery bits 0-1: 1 always, 2 on failure, 3 on success (SMPP 5.0).
        let wanted = match registered_delivery & 0x03 {
            1 => true,
            2 => stat != Stat::DELIVRD,
            3 => stat == Stat::DELIVRD,
            _ => false,
        };
        if !wanted {
            return;
        }
        counters.add(&counters.receipts_scheduled);
        let pdu = receipt_pdu(message_id, stat, destination, source);
        let pending = PendingReceipt {
            due_ms: now_ms + self.shared.config.dlr_delay_ms,
            system_id,
            delivery: Delivery {
                pdu: Box::new(pdu),
                kind: DeliveryKind::Receipt,
            },
        };
        self.receipts_out.push_back(pending);
    }

    /// When the next receipt can go out: its due time, or soon when a full scheduler must be
    /// retried; `None` when waiting for window space (a response wakes the loop) or nothing waits.
    fn next_receipt_ms(&self, session: &Session, now_ms: u64) -> Option<u64> {
        let due_ms = self.receipts_out.front()?.due_ms;
        if due_ms > now_ms {
            return Some(due_ms);
        }
        if self.can_receive && session.window_available() == 0 {
            return None;
        }
        Some(now_ms + 5)
    }

    /// Sends due receipts: on this bind when it receives, else through the scheduler to another
    /// bind of the same system_id. Stops at the first that has no room.
    fn pump_receipts(&mut self, session: &mut Session, now_ms: u64) {
        // Bounded by the backlog: each turn sends one receipt or stops.
        while self
            .receipts_out
            .front()
            .is_some_and(|receipt| receipt.due_ms <= now_ms)
        {
            if self.can_receive {
                if !session.is_bound() || session.window_available() == 0 {
                    return;
                }
                if let Some(receipt) = self.receipts_out.pop_front() {
                    self.send_delivery(session, receipt.delivery, now_ms);
                }
            } else {
                let Some(receipt) = self.receipts_out.pop_front() else {
                    return;
                };
                if let Err(error) = self.receipts.try_send(receipt) {
                    let receipt = match error {
                        mpsc::error::TrySendError::Full(receipt) => receipt,
                        mpsc::error::TrySendError::Closed(_) => return,
                    };
                    self.receipts_out.push_front(receipt);
                    return;
                }
            }
        }
    }

    /// At close: receipts not yet sent go to the scheduler for another bind of the system_id.
    fn hand_over_receipts(&mut self) {
        let counters = &self.shared.counters;
        for receipt in self.receipts_out.drain(..) {
            if self.receipts.try_send(receipt).is_err() {
                counters.add(&counters.receipts_dropped);
            }
        }
    }

    fn release_delayed(&mut self, session: &mut Session, now_ms: u64) {
        while self
            .delayed
            .front()
            .is_some_and(|delayed| delayed.due_ms <= now_ms)
        {
            if let Some(delayed) = self.delayed.pop_front() {
                let _ = session.respond(delayed.sequence_number, delayed.status, delayed.body);
            }
        }
    }

    fn send_delivery(&mut self, session: &mut Session, delivery: Delivery, now_ms: u64) {
        let counters = &self.shared.counters;
        let token = self.shared.next_message_id.fetch_add(1, Ordering::Relaxed);
        match session.send_request(*delivery.pdu, token, now_ms) {
            Ok(_) => {
                self.in_flight.insert(token, delivery.kind);
                match delivery.kind {
                    DeliveryKind::Receipt => counters.add(&counters.receipts_sent),
                    DeliveryKind::Mo => counters.add(&counters.mo_sent),
                };
            }
            Err(_) => {
                match delivery.kind {
                    DeliveryKind::Receipt => counters.add(&counters.receipts_dropped),
                    DeliveryKind::Mo => counters.add(&counters.mo_dropped),
                };
            }
        }
    }
}

fn empty_body(response: CommandId) -> Body<Vec<u8>> {
    match response {
        CommandId::submit_sm_resp => Body::SubmitSmResp(MessageIdResp::default()),
        CommandId::data_sm_resp => Body::DataSmResp(MessageIdResp::default()),
        CommandId::submit_multi_resp => Body::SubmitMultiResp(SubmitMultiResp::default()),
        CommandId::deliver_sm_resp => Body::DeliverSmResp(MessageIdResp::default()),
        other => match empty_response(other) {
            Some(body) => Pdu::new(0, body).into_owned().body,
            None => Body::GenericNack,
        },
    }
}

/// A deliver_sm receipt for `message_id` (SMPP v3.4 Appendix B text plus the
/// receipted_message_id and message_state TLVs).
pub fn receipt_pdu(
    message_id: &str,
    stat: Stat,
    handset: &[u8],
    sp_address: &[u8],
) -> Body<Vec<u8>> {
    let date = ReceiptDate {
        year: 26,
        month: 11,
        day: 22,
        hour: 12,
        minute: 0,
        second: None,
    };
    let delivered = u16::from(stat == Stat::DELIVRD);
    let receipt = Receipt {
        id: message_id,
        sub: Some(1),
        dlvrd: Some(delivered),
        submit_date: Some(date),
        done_date: Some(date),
        stat: Some(stat),
        stat_text: None,
        err: Some(if stat == Stat::DELIVRD { "000" } else { "001" }),
        text: Some(""),
    };
    let mut tlvs = Tlvs::new();
    // Both fit their definitions: the id is at most 20 digits, the state one octet.
    let _ = tlvs.push_c_octet(tag::receipted_message_id, message_id.as_bytes());
    let _ = tlvs.push_u8(tag::message_state, stat.message_state());
    Body::DeliverSm(SubmitSm {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: handset.to_vec(),
        destination_addr: if sp_address.is_empty() {
            b"0".to_vec()
        } else {
            sp_address.to_vec()
        },
        esm_class: ESM_CLASS_TYPE_DELIVERY_RECEIPT,
        short_message: receipt.to_string().into_bytes(),
        tlvs,
        ..SubmitSm::default()
    })
}

/// Holds receipts until their delay passes, then routes them to a receiving bind.
async fn receipt_scheduler(
    shared: Arc<Shared>,
    mut incoming: mpsc::Receiver<PendingReceipt>,
    mut stopped: watch::Receiver<bool>,
) {
    // Receipts share one delay, so they come due in arrival order: a FIFO suffices.
    let mut waiting: VecDeque<PendingReceipt> = VecDeque::new();
    loop {
        let now_ms = shared.now_ms();
        while waiting
            .front()
            .is_some_and(|receipt| receipt.due_ms <= now_ms)
        {
            let Some(receipt) = waiting.pop_front() else {
                break;
            };
            let offered = shared
                .receivers()
                .offer(Some(&receipt.system_id), receipt.delivery);
            if let Err(delivery) = offered {
                if now_ms.saturating_sub(receipt.due_ms) > RECEIPT_UNDELIVERABLE_MS {
                    // No receiving bind took it for a minute: give up, counted.
                    shared.counters.add(&shared.counters.receipts_dropped);
                    continue;
                }
                // No receiving bind with room right now: retry shortly, keeping order.
                waiting.push_front(PendingReceipt {
                    delivery,
                    ..receipt
                });
                break;
            }
        }
        let sleep = match waiting.front() {
            Some(receipt) if receipt.due_ms > now_ms => {
                Duration::from_millis(receipt.due_ms - now_ms)
            }
            Some(_) => Duration::from_millis(5),
            None => Duration::from_secs(1),
        };
        tokio::select! {
            received = incoming.recv() => match received {
                Some(receipt) => {
                    if waiting.len() >= RECEIPT_QUEUE_MAX {
                        shared.counters.add(&shared.counters.receipts_dropped);
                    } else {
                        waiting.push_back(receipt);
                    }
                }
                None => return,
            },
            _ = tokio::time::sleep(sleep) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Sends MO at the configured rate to any receiving bind.
async fn mo_generator(shared: Arc<Shared>, mo: MoConfig, mut stopped: watch::Receiver<bool>) {
    if mo.rate_per_s == 0 {
        return;
    }
    let period = Duration::from_secs_f64(1.0 / f64::from(mo.rate_per_s));
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sequence = 0u64;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.changed() => return,
        }
        sequence += 1;
        let pdu = Body::DeliverSm(SubmitSm {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: mo.source.clone().into_bytes(),
            destination_addr: mo.short_code.clone().into_bytes(),
            short_message: format!("MO {sequence}").into_bytes(),
            ..SubmitSm::default()
        });
        let offered = shared.receivers().offer(
            None,
            Delivery {
                pdu: Box::new(pdu),
                kind: DeliveryKind::Mo,
            },
        );
        if offered.is_err() {
            shared.counters.add(&shared.counters.mo_dropped);
        }
    }
}

#[cfg(test)]
mod tests {
    use smsgw_shared::smpp::session::Outstanding;

    use super::*;

    // Proves a delivery whose response timed out leaves the in-flight map: a peer that never
    // answers deliver_sm cannot grow it for as long as the connection lives.
    #[test]
    fn timed_out_deliveries_leave_the_in_flight_map() {
        let shared = Arc::new(Shared {
            config: SimConfig::new(Vec::new()),
            counters: Arc::new(Counters::default()),
            receivers: Mutex::new(Receivers::default()),
            next_message_id: AtomicU64::new(1),
            next_connection_id: AtomicU64::new(1),
            bound: AtomicUsize::new(0),
            epoch: Instant::now(),
        });
        let (receipts, _receipts_rx) = mpsc::channel(1);
        let mut connection = Connection {
            shared: shared.clone(),
            receipts,
            deliveries_tx: None,
            connection_id: 1,
            system_id: None,
            pdus_received: 0,
            delayed: VecDeque::new(),
            receipts_out: VecDeque::new(),
            can_receive: true,
            in_flight: HashMap::new(),
            counted_bound: false,
            abort: false,
        };
        for token in 0..100 {
            connection.in_flight.insert(token, DeliveryKind::Receipt);
            connection.handle_timer(TimerEvent::RequestTimedOut(Outstanding {
                sequence_number: token as u32 + 1,
                command_id: CommandId::deliver_sm,
                token,
                sent_at_ms: 0,
            }));
        }
        assert!(connection.in_flight.is_empty());
        assert_eq!(shared.counters.timeouts.load(Ordering::Relaxed), 100);
    }
}
