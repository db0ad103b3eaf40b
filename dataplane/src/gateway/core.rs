//! One data-plane core: its SP sessions, its binds of each connector, its shard of the receipt
//! correlator and its queue of deliveries for SPs, driven by one [`Driver`] and talking to the
//! other cores over the [`mesh`](crate::mesh).
//!
//! The loop (see [`Core::run`]) is: drain the mesh, fire timers, service connectors (connect,
//! pump, events), deliver what waits for SPs, flush every connection written to this turn, then
//! wait in the driver for I/O, the wake eventfd or the next deadline. Everything a turn writes
//! to one connection leaves in one send.
//!
//! Message path (DESIGN.md §3): a submit enters on the SP's core, is admitted by the account's
//! flow (TPS share, keyed limits, delayed response), routed, given our id and queued to the
//! chosen connector: on this core when the connector has binds here, else handed over the mesh
//! to a core that does (the SP is answered when that core has queued it). The connector's
//! accept (`submit_sm_resp`) records the upstream id in the correlator shard that owns it (by
//! hash); receipts from any bind are matched in that shard, rewritten to our id and queued for
//! a receiving session of the SP on whichever core has one.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use rustc_hash::FxHashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use smsgw_shared::frame::{FrameLimits, Frames};
use smsgw_shared::route::AccountId as RouteAccountId;
use smsgw_shared::smpp::CommandId;
use smsgw_shared::smpp::pdu::{
    Body, DataSm, DeliverSm, Dest, INTERFACE_VERSION_34, INTERFACE_VERSION_50, MessageIdResp, Pdu,
    QuerySmResp, SubmitMulti, SubmitMultiResp, SubmitSm, UnsuccessSmes,
};
use smsgw_shared::smpp::session::{CloseReason, Event, Session, TimerEvent};
use smsgw_shared::smpp::status::CommandStatus;
use smsgw_shared::smpp::tlv::{Tlvs, tag};
use smsgw_shared::text::{Concat, ConcatReference, Reassembler, ReassemblyError, Stat, Udh};

use crate::admission::{AccountId, BindMode as AdmitMode, BindPermit};
use crate::connector::{
    BindIndex, BindState, Connector, ConnectorEvent, ConnectorSettings, Message, borrow_submit_sm,
};
use crate::flow::share::CoreShare;
use crate::flow::{AccountFlow, Admission, DelayedResponse, KeyedLimit, Load, congestion_state};
use crate::ids::{MessageId, MessageIdGenerator};
use crate::mesh::CoreEnd;
use crate::mo::{DeliverKind, DeliveryId, PendingLimits, PendingQueue};
use crate::receipts::{
    ConnectorId, Correlator, CorrelatorLimits, Expired, IdKey, LogicalReceipt, Match, Matched,
    OurRef, read_receipt, receipt_text,
};
use crate::runtime::timer::TimerWheel;
use crate::runtime::{ConnId, Driver, IoEvent};

use super::counters::Counters;
use super::metrics::{Board, CoreStats};
use super::snapshot::Snapshot;
use crate::config::MoConcat;

/// Our system_id in bind responses.
pub const GATEWAY_SYSTEM_ID: &[u8] = b"smsgw";

/// Messages taken from the mesh per turn before I/O gets its turn.
pub const MESH_BUDGET: usize = 4096;

/// Deliveries started per turn.
pub const DELIVERY_BUDGET: usize = 4096;

/// Hops waiting for room in a full mesh ring, at most; past it a hop is dropped and counted
/// (`hops_dropped`): a core that far behind is overloaded, and the others must not grow
/// without bound waiting for it.
pub const OUTBOX_MAX: usize = 65_536;

/// How long a receipt or MO waits for its SP to bind.
pub const DELIVERY_VALIDITY_MS: u64 = 48 * 3_600_000;

/// Receipt addresses kept for receipts that wait for their submit_sm_resp, at most.
pub const EARLY_ADDRESSES_MAX: usize = 65_536;

/// Messages whose state a core keeps for query_sm, cancel_sm and replace_sm, at most; the
/// oldest is forgotten first (the journal issue answers older ones from RocksDB).
pub const RECENT_MAX: usize = 262_144;

/// Concatenated MO messages a core holds for reassembly, at most; past it a part is passed on
/// unreassembled.
pub const MO_REASSEMBLY_MAX: usize = 16_384;

/// How long a concatenated MO waits for its missing parts before the parts that came are
/// passed on as they are.
pub const MO_REASSEMBLY_TIMEOUT_MS: u64 = 60_000;

/// Which stream a concatenated MO part belongs to: account, source, destination, data_coding.
type MoKey = (u32, Vec<u8>, Vec<u8>, u8);

/// SMPP message_state values (SMPP v3.4 §5.2.28).
mod state {
    pub const ENROUTE: u8 = 1;
    pub const DELETED: u8 = 4;
    pub const REJECTED: u8 = 8;
}

/// How long shutdown waits, after the queues' grace, for SMSCs to answer our unbinds.
pub const UNBIND_GRACE_MS: u64 = 1_000;

/// How long shutdown waits for queues to drain and unbinds to be answered.
pub const SHUTDOWN_GRACE_MS: u64 = 5_000;

/// Something one core asks of another.
#[derive(Debug)]
pub enum Hop {
    /// Queue this message on a connector whose binds are on the receiving core.
    Submit(Box<Outbound>),
    /// The answer to a [`Hop::Submit`], for the SP's core.
    Queued {
        /// Who waits for it.
        reply: Reply,
        /// `ESME_ROK`, or why the message was not queued.
        status: CommandStatus,
    },
    /// Record an accepted submit in this core's correlator shard.
    Record {
        /// The connector.
        connector: u16,
        /// The upstream id, canonical.
        key: IdKey,
        /// Our part.
        our: OurRef,
    },
    /// Match a receipt in this core's correlator shard.
    Receipt {
        /// The connector.
        connector: u16,
        /// The receipted id, canonical.
        key: IdKey,
        /// The receipt as received (addresses and facts).
        receipt: Box<UpstreamReceipt>,
    },
    /// Deliver this to a receiving session of the account on the receiving core.
    Deliver {
        /// The SP.
        account: AccountId,
        /// The deliver_sm body.
        delivery: Box<Delivery>,
    },
    /// The state of one of the receiving core's messages changed (its id names the core).
    State {
        /// Our id.
        id: u64,
        /// SMPP message_state.
        state: u8,
        /// Error code for query_sm_resp (the low octet of the SMSC's status, or 0).
        error_code: u8,
        /// The message left its connector queue (it can no longer be cancelled or replaced).
        sent: bool,
    },
    /// query_sm, cancel_sm or replace_sm for a message this core generated.
    Manage {
        /// What to do.
        op: ManageOp,
        /// Our id.
        id: u64,
        /// The SP asking (it must own the message).
        account: AccountId,
        /// Where the answer goes.
        reply: ManageReply,
    },
    /// The answer to [`Hop::Manage`].
    Managed {
        /// Where it goes.
        reply: ManageReply,
        /// The status.
        status: CommandStatus,
        /// For query_sm: message_state and error_code.
        state: u8,
        /// See `state`.
        error_code: u8,
    },
    /// A part of a concatenated MO to reassemble on the receiving core (chosen by its
    /// addresses, so every part of one message meets on one core).
    MoPart {
        /// The SP.
        account: AccountId,
        /// The part as the SMSC sent it.
        deliver: Box<DeliverSm<Vec<u8>>>,
    },
    /// The number of receiving sessions `account` has on core `core` changed.
    Receivers {
        /// The SP.
        account: AccountId,
        /// The core.
        core: usize,
        /// Its receiving sessions there now.
        count: u32,
    },
}

/// What a [`Hop::Manage`] asks.
#[derive(Debug)]
pub enum ManageOp {
    /// query_sm.
    Query,
    /// cancel_sm.
    Cancel,
    /// replace_sm: the new values.
    Replace(Box<Replacement>),
}

/// The fields replace_sm changes.
#[derive(Debug)]
pub struct Replacement {
    /// schedule_delivery_time (empty: unchanged).
    pub schedule_delivery_time: Vec<u8>,
    /// validity_period (empty: unchanged).
    pub validity_period: Vec<u8>,
    /// registered_delivery.
    pub registered_delivery: u8,
    /// The new text.
    pub short_message: Vec<u8>,
}

/// Where the answer to a query_sm, cancel_sm or replace_sm goes.
#[derive(Debug, Clone, Copy)]
pub struct ManageReply {
    /// The SP's core.
    pub core: usize,
    /// The SP session.
    pub sp: SpKey,
    /// The request's sequence_number.
    pub sequence_number: u32,
    /// query_sm, cancel_sm or replace_sm.
    pub command: CommandId,
    /// Our id (echoed in query_sm_resp).
    pub id: u64,
}

/// What a core remembers of a message it generated.
struct Recent {
    account: AccountId,
    state: u8,
    error_code: u8,
    /// Where it waits while still in a connector queue on this core: (connector, token).
    queued: Option<(usize, u64)>,
}

/// A message on its way to a connector.
#[derive(Debug)]
pub struct Outbound {
    /// The connector (index in the snapshot).
    pub connector: usize,
    /// The submit and its token.
    pub message: Message,
    /// What the connector's core keeps until the SMSC answers.
    pub meta: Meta,
    /// Where the SP waits for its answer.
    pub reply: Reply,
}

/// What a submitted message needs once the SMSC has answered.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The id the SP got.
    pub sp_message_id: u64,
    /// The SP.
    pub account: AccountId,
    /// The SP's registered_delivery.
    pub registered_delivery: u8,
    /// For a failure receipt: the SP's source and destination (ton, npi, address).
    pub source: (u8, u8, Vec<u8>),
    /// See `source`.
    pub destination: (u8, u8, Vec<u8>),
    /// (index, count): a submit_multi destination's place, so each destination's receipt is
    /// its own part in the correlator; (0, 1) for a single message.
    pub part: (u8, u8),
}

/// Names an SP request waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The SP's core.
    pub core: usize,
    /// The SP session there.
    pub sp: SpKey,
    /// The request's sequence_number.
    pub sequence_number: u32,
    /// What kind of response it needs.
    pub command: CommandId,
    /// Our id for it.
    pub message_id: u64,
    /// The connector chosen (its load sets congestion_state for SMPP 5.0 SPs).
    pub connector: usize,
}

/// A receipt as an SMSC sent it, kept while it travels to its shard.
#[derive(Debug, Clone)]
pub struct UpstreamReceipt {
    /// The deliver_sm's source (the handset).
    pub source: (u8, u8, Vec<u8>),
    /// Its destination (the SP's sender id).
    pub destination: (u8, u8, Vec<u8>),
    /// What it says.
    pub facts: crate::receipts::ReceiptFacts,
}

/// A deliver_sm for an SP (a rewritten receipt or an MO).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The body to send.
    pub deliver_sm: DeliverSm<Vec<u8>>,
}

/// An SP session's slot and generation on its core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpKey {
    index: u32,
    generation: u32,
}

struct Sp {
    conn: ConnId,
    generation: u32,
    session: Session,
    peer: SocketAddr,
    permit: Option<BindPermit>,
    account: Option<AccountId>,
    receives: bool,
    submits: bool,
    version: u8,
    rx: Vec<u8>,
    scheduled: Option<u64>,
    closing: bool,
}

struct Bind {
    conn: Option<ConnId>,
    rx: Vec<u8>,
    bound: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Sp(u32),
    Bind(usize, BindIndex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimerKey {
    Sp(u32, u32),
    Tables,
}

/// A response held by a delayed-response policy, with its message.
struct Held {
    at_ms: u64,
    outbound: Box<Outbound>,
}

impl PartialEq for Held {
    fn eq(&self, other: &Held) -> bool {
        self.at_ms == other.at_ms
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Held) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    fn cmp(&self, other: &Held) -> std::cmp::Ordering {
        self.at_ms.cmp(&other.at_ms)
    }
}

/// Keys each keyed limiter (per sender, per destination prefix) tracks on one core.
pub const KEYED_KEYS_PER_CORE: usize = 65_536;

/// One account's flow state on core `core` of `cores`: its share of the TPS, the optional
/// per-sender and per-prefix limits (each key gets the full configured rate on every core
/// that sees it: keys are not rebalanced), and the delayed-response policy.
fn account_flow(account: &crate::config::Account, cores: usize, core: usize) -> AccountFlow {
    let mut flow = AccountFlow::new(CoreShare::even(u64::from(account.tps), cores, core), 0);
    let keyed = |tps: u32| KeyedLimit {
        keys_max: KEYED_KEYS_PER_CORE,
        rate_milli_per_s: u64::from(tps) * 1_000,
        burst: u64::from(tps).max(1),
    };
    if account.sender_tps > 0 {
        flow = flow.with_sender_limit(keyed(account.sender_tps));
    }
    if account.prefix_tps > 0 {
        flow =
            flow.with_destination_limit(keyed(account.prefix_tps), account.prefix_digits as usize);
    }
    if account.delayed_response_ms > 0 {
        flow = flow
            .with_delayed_response(DelayedResponse::new(u64::from(account.delayed_response_ms)));
    }
    flow
}

/// esm_class bit 6: the short_message starts with a user data header.
const ESM_UDHI: u8 = 0x40;

/// The concatenation of a part from its UDH (8- or 16-bit reference).
fn concat_of_udh(short_message: &[u8]) -> Option<Concat> {
    Udh::parse(short_message).ok()?.0.concat()
}

/// Where a deliver_sm sits in a concatenated message: its UDH when UDHI is set, else the SAR
/// TLVs; `None` for a message sent whole.
fn concat_of(deliver: &DeliverSm<Vec<u8>>) -> Option<Concat> {
    if deliver.esm_class & ESM_UDHI != 0 {
        return concat_of_udh(&deliver.short_message);
    }
    let tlvs = &deliver.tlvs;
    Some(Concat {
        reference: ConcatReference::Ref16(tlvs.sar_msg_ref_num()?),
        total: tlvs.sar_total_segments()?,
        seqnum: tlvs.sar_segment_seqnum()?,
    })
}

/// The text of a stored part: after its UDH when it has one.
fn user_text(part: &[u8]) -> &[u8] {
    match Udh::parse(part) {
        Ok((udh, rest)) if udh.concat().is_some() => rest,
        _ => part,
    }
}

/// The core that reassembles an MO stream: a hash of account and addresses, the same on every
/// core.
fn mo_owner(account: AccountId, deliver: &DeliverSm<Vec<u8>>, cores: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = account
        .0
        .to_be_bytes()
        .into_iter()
        .chain(deliver.source_addr.iter().copied())
        .chain([0])
        .chain(deliver.destination_addr.iter().copied());
    for byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash % cores as u64) as usize
}

/// A data_sm as the submit_sm/deliver_sm the gateway handles: its fields, the text in its
/// message_payload TLV, the fields data_sm lacks empty or zero.
fn data_sm_as_submit<B: Clone>(data: DataSm<B>, empty: B) -> SubmitSm<B> {
    SubmitSm {
        service_type: data.service_type,
        source_addr_ton: data.source_addr_ton,
        source_addr_npi: data.source_addr_npi,
        source_addr: data.source_addr,
        dest_addr_ton: data.dest_addr_ton,
        dest_addr_npi: data.dest_addr_npi,
        destination_addr: data.destination_addr,
        esm_class: data.esm_class,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: empty.clone(),
        validity_period: empty.clone(),
        registered_delivery: data.registered_delivery,
        replace_if_present_flag: 0,
        data_coding: data.data_coding,
        sm_default_msg_id: 0,
        short_message: empty,
        tlvs: data.tlvs,
    }
}

/// The status for a query/cancel/replace of a message we do not hold (or may not change).
fn manage_failure(command: CommandId) -> CommandStatus {
    match command {
        CommandId::query_sm => CommandStatus::ESME_RQUERYFAIL,
        CommandId::cancel_sm => CommandStatus::ESME_RCANCELFAIL,
        _ => CommandStatus::ESME_RREPLACEFAIL,
    }
}

/// Tags of the listeners handed to the driver.
pub const TAG_SMPP: u32 = 1;

/// One core.
pub struct Core {
    id: usize,
    snap: Arc<Snapshot>,
    driver: Option<Box<dyn Driver>>,
    mesh: CoreEnd<Hop>,
    epoch: Instant,
    now_ms: u64,
    frame_limits: FrameLimits,
    conns: FxHashMap<ConnId, Owner>,
    sps: Vec<Option<Sp>>,
    sp_free: Vec<u32>,
    sp_generation: u32,
    sp_count: usize,
    connectors: Vec<Connector>,
    binds: Vec<Vec<Bind>>,
    flows: Vec<AccountFlow>,
    /// Per account: this core's sessions that may submit.
    local_submit_binds: Vec<u32>,
    ids: MessageIdGenerator,
    /// Messages in a local connector, by token, until the SMSC answers.
    inflight: FxHashMap<u64, Meta>,
    correlator: Correlator,
    early_addresses: HashMap<(u16, IdKey), UpstreamReceipt>,
    /// Boxed: entries move inside the queue's maps, a pointer moves cheaper than a PDU.
    pending: PendingQueue<Box<Delivery>>,
    pending_limits: PendingLimits,
    /// Deliveries on an SP session, by request token.
    delivering: FxHashMap<u64, DeliveryId>,
    delivery_token: u64,
    /// `[account][core]`: receiving sessions.
    receivers: Vec<Vec<u32>>,
    /// `[account]`: this core's receiving sessions (slot indices).
    receiver_lists: Vec<Vec<u32>>,
    outbox: VecDeque<(usize, Hop)>,
    /// The mesh drain's buffer, kept between turns.
    hops: Vec<Hop>,
    recent: FxHashMap<u64, Recent>,
    mo_parts: Reassembler<MoKey>,
    recent_order: VecDeque<u64>,
    held: BinaryHeap<Reverse<Held>>,
    wheel: TimerWheel<TimerKey>,
    fired: Vec<TimerKey>,
    dirty: Vec<ConnId>,
    closing: Vec<ConnId>,
    stop: Arc<AtomicBool>,
    board: Arc<Board>,
    stopping_since: Option<u64>,
    /// The connectors were told to unbind.
    connectors_stopped: bool,
    /// When the connectors next have timer work (see [`Connector::poll_timeout`]).
    connectors_deadline: u64,
    /// What this core has done.
    pub counters: Counters,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn address_of(ton: u8, npi: u8, address: &[u8]) -> (u8, u8, Vec<u8>) {
    (ton, npi, address.to_vec())
}

impl Core {
    /// Core `id` of the snapshot's cores, on `driver`, with its mesh end. `stop` ends the loop
    /// gracefully.
    pub fn new(
        id: usize,
        snap: Arc<Snapshot>,
        driver: Box<dyn Driver>,
        mesh: CoreEnd<Hop>,
        stop: Arc<AtomicBool>,
        board: Arc<Board>,
    ) -> Core {
        let epoch = Instant::now();
        let config = &snap.config;
        let cores = snap.core_count;
        let connectors = config
            .connectors
            .iter()
            .enumerate()
            .map(|(index, connector)| {
                let settings = ConnectorSettings::from_config(config, connector, cores, id);
                Connector::new(settings, (id as u64) << 32 | index as u64, 0)
            })
            .collect::<Vec<_>>();
        let binds = connectors
            .iter()
            .map(|connector| {
                (0..connector.bind_count())
                    .map(|_| Bind {
                        conn: None,
                        rx: Vec::new(),
                        bound: false,
                    })
                    .collect()
            })
            .collect();
        let flows = config
            .accounts
            .iter()
            .map(|account| account_flow(account, cores, id))
            .collect();
        let pdu_size_max = config.limits.pdu_size_max;
        let frame_limits = FrameLimits {
            size_max: pdu_size_max,
            ..FrameLimits::SMPP
        };
        let receipt_queue =
            config.limits.receipt_queue_max as usize + config.limits.mo_queue_max as usize;
        let per_core = (receipt_queue / cores).max(1);
        let accounts = snap.account_info.len();
        let node_id = config.node.id;
        Core {
            id,
            driver: Some(driver),
            mesh,
            epoch,
            now_ms: 0,
            frame_limits,
            conns: FxHashMap::default(),
            sps: Vec::new(),
            sp_free: Vec::new(),
            sp_generation: 0,
            sp_count: 0,
            connectors,
            binds,
            flows,
            local_submit_binds: vec![0; accounts],
            ids: MessageIdGenerator::new(node_id, u8::try_from(id).unwrap_or(u8::MAX)),
            inflight: FxHashMap::default(),
            correlator: Correlator::new(CorrelatorLimits::default(), Vec::new()),
            early_addresses: HashMap::new(),
            pending: PendingQueue::new(PendingLimits::for_total(per_core)),
            pending_limits: PendingLimits::for_total(per_core),
            delivering: FxHashMap::default(),
            delivery_token: 1,
            receivers: vec![vec![0; cores]; accounts],
            receiver_lists: vec![Vec::new(); accounts],
            outbox: VecDeque::new(),
            hops: Vec::with_capacity(MESH_BUDGET),
            recent: FxHashMap::with_capacity_and_hasher(RECENT_MAX / 4, Default::default()),
            mo_parts: Reassembler::new(MO_REASSEMBLY_MAX, MO_REASSEMBLY_TIMEOUT_MS),
            recent_order: VecDeque::new(),
            held: BinaryHeap::new(),
            wheel: TimerWheel::new(0),
            fired: Vec::new(),
            dirty: Vec::new(),
            closing: Vec::new(),
            stop,
            board,
            stopping_since: None,
            connectors_stopped: false,
            connectors_deadline: 0,
            counters: Counters::default(),
            snap,
        }
    }

    /// Starts accepting on `listener` (tag [`TAG_SMPP`]).
    pub fn add_listener(&mut self, listener: std::net::TcpListener) -> std::io::Result<()> {
        match self.driver.as_mut() {
            Some(driver) => driver.add_listener(listener, TAG_SMPP),
            None => Ok(()),
        }
    }

    fn clock(&mut self) -> u64 {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.now_ms = self.now_ms.max(now);
        self.now_ms
    }

    /// Runs until the stop flag is set and the graceful drain is over.
    pub fn run(mut self) -> Counters {
        self.wheel.schedule(1_000, TimerKey::Tables);
        loop {
            let now = self.clock();
            self.drain_mesh(now);
            self.flush_outbox();
            self.fire_timers(now);
            self.release_held(now);
            self.service_connectors(now);
            self.deliver_pending(now);
            self.flush_all();
            if self.stop.load(Ordering::Relaxed) && self.shutdown_step(now) {
                break;
            }
            let busy = self.mesh.has_incoming();
            let timeout = if busy {
                Duration::ZERO
            } else if !self.outbox.is_empty() {
                // A peer's ring is full: retry soon without spinning.
                Duration::from_millis(1)
            } else {
                // Everything due at `now` ran this turn; a deadline still at or before `now`
                // is work waiting for something else (a delivery waiting for an SP's window,
                // which a response will wake): sleep at least a millisecond, never spin.
                let next = self
                    .next_deadline()
                    .map_or(1_000, |at| at.saturating_sub(now).clamp(1, 1_000));
                Duration::from_millis(next)
            };
            let sleeping = !timeout.is_zero() && self.mesh.prepare_to_sleep();
            let timeout = if timeout.is_zero() || sleeping {
                timeout
            } else {
                Duration::ZERO
            };
            let Some(mut driver) = self.driver.take() else {
                break;
            };
            let now = self.clock();
            let result = driver.poll(Some(timeout), &mut |event| self.on_io(event, now));
            self.driver = Some(driver);
            if sleeping {
                self.mesh.woken();
            }
            if let Err(error) = result {
                eprintln!(
                    "smsgw: core {}: poll failed: {error}; stopping the node",
                    self.id
                );
                self.stop.store(true, Ordering::Relaxed);
                break;
            }
            self.apply_closes();
        }
        self.publish();
        if let Some(mut driver) = self.driver.take() {
            driver.close_listeners();
            for (conn, _) in std::mem::take(&mut self.conns) {
                driver.close(conn);
            }
        }
        self.counters
    }

    /// Publishes counters and gauges for `/metrics`.
    fn publish(&self) {
        let stats = CoreStats {
            counters: self.counters,
            sp_sessions: self.sp_count as u64,
            connector_queued: self.connectors.iter().map(|c| c.queue_len() as u64).sum(),
            connector_in_flight: self
                .connectors
                .iter()
                .map(|c| c.in_flight_count() as u64)
                .sum(),
            deliveries_pending: self.pending.len() as u64,
            receipt_mappings: self.correlator.submits_len() as u64,
        };
        self.board.publish(self.id, stats);
    }

    fn next_deadline(&self) -> Option<u64> {
        let mut next = Some(self.connectors_deadline);
        if let Some(at) = self.wheel.next_deadline() {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if let Some(Reverse(held)) = self.held.peek() {
            next = Some(next.map_or(held.at_ms, |n| n.min(held.at_ms)));
        }
        if let Some(at) = self.pending.poll_timeout() {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        next
    }

    // ---------------------------------------------------------------- shutdown

    /// One step of the graceful stop; true when the core may exit.
    fn shutdown_step(&mut self, now: u64) -> bool {
        let since = match self.stopping_since {
            Some(since) => since,
            None => {
                self.stopping_since = Some(now);
                if let Some(driver) = self.driver.as_mut() {
                    driver.close_listeners();
                }
                for index in 0..self.sps.len() {
                    if let Some(sp) = self.sps[index].as_mut()
                        && sp.session.is_bound()
                        && sp.session.unbind(now).is_ok()
                    {
                        let conn = sp.conn;
                        self.dirty.push(conn);
                    }
                }
                now
            }
        };
        let queues_empty = self
            .connectors
            .iter()
            .all(|c| c.queue_len() == 0 && c.in_flight_count() == 0)
            && self.held.is_empty()
            && self.outbox.is_empty();
        let elapsed = now.saturating_sub(since);
        if (queues_empty || elapsed >= SHUTDOWN_GRACE_MS) && !self.connectors_stopped {
            // Unbind the SMSC binds politely once nothing is left to send.
            self.connectors_stopped = true;
            for c in 0..self.connectors.len() {
                self.connectors[c].stop(now);
                self.drain_connector_events(c, now);
                self.mark_binds_dirty(c);
            }
        }
        let binds_gone = self.connectors.iter().all(|c| c.connected_count() == 0);
        let sps_gone = self.sp_count == 0;
        (queues_empty && sps_gone && binds_gone) || elapsed >= SHUTDOWN_GRACE_MS + UNBIND_GRACE_MS
    }

    // ---------------------------------------------------------------- I/O events

    fn on_io(&mut self, event: IoEvent<'_>, now: u64) {
        match event {
            IoEvent::Accepted { conn, peer, .. } => self.on_accept(conn, peer, now),
            IoEvent::Connected { conn } => {
                if let Some(&Owner::Bind(c, b)) = self.conns.get(&conn) {
                    self.connectors[c].handle_connected(b, now);
                    self.dirty.push(conn);
                    self.drain_connector_events(c, now);
                }
            }
            IoEvent::ConnectFailed { conn, error } => {
                if let Some(Owner::Bind(c, b)) = self.conns.remove(&conn) {
                    self.counters.connect_failures += 1;
                    if self.counters.connect_failures.is_power_of_two() {
                        eprintln!(
                            "smsgw: core {}: connector {} bind {b}: connect failed: {error}",
                            self.id, self.snap.connectors[c].name
                        );
                    }
                    self.binds[c][b].conn = None;
                    self.connectors[c].handle_disconnected(b, now);
                    self.drain_connector_events(c, now);
                }
            }
            IoEvent::Received { conn, data } => match self.conns.get(&conn).copied() {
                Some(Owner::Sp(index)) => self.on_sp_bytes(index, data, now),
                Some(Owner::Bind(c, b)) => self.on_bind_bytes(c, b, data, now),
                None => {}
            },
            IoEvent::Writable { conn } => self.dirty.push(conn),
            IoEvent::Closed { conn, error } => {
                let _ = error;
                match self.conns.remove(&conn) {
                    Some(Owner::Sp(index)) => self.sp_gone(index, now),
                    Some(Owner::Bind(c, b)) => self.bind_gone(c, b, now),
                    None => {}
                }
            }
        }
    }

    fn apply_closes(&mut self) {
        if self.closing.is_empty() {
            return;
        }
        let closing = std::mem::take(&mut self.closing);
        let now = self.now_ms;
        for conn in closing {
            // Last bytes first (bind refusals, unbind_resp, generic_nack).
            self.flush_conn(conn);
            if let Some(driver) = self.driver.as_mut() {
                driver.close(conn);
            }
            match self.conns.remove(&conn) {
                Some(Owner::Sp(index)) => self.sp_gone(index, now),
                Some(Owner::Bind(c, b)) => self.bind_gone(c, b, now),
                None => {}
            }
        }
    }

    fn flush_all(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        // A connection written to many times this turn is flushed once.
        dirty.sort_unstable();
        dirty.dedup();
        for conn in &dirty {
            self.flush_conn(*conn);
        }
        self.dirty = dirty;
        self.dirty.clear();
        if !self.closing.is_empty() {
            self.apply_closes();
        }
    }

    fn flush_conn(&mut self, conn: ConnId) {
        let Some(driver) = self.driver.as_mut() else {
            return;
        };
        match self.conns.get(&conn) {
            Some(Owner::Sp(index)) => {
                if let Some(sp) = self.sps[*index as usize].as_mut() {
                    let pending = sp.session.poll_transmit();
                    if !pending.is_empty() {
                        let taken = driver.send(conn, pending);
                        sp.session.advance_transmit(taken);
                    }
                }
            }
            Some(Owner::Bind(c, b)) => {
                let (c, b) = (*c, *b);
                let pending = self.connectors[c].poll_transmit(b);
                if !pending.is_empty() {
                    let taken = driver.send(conn, pending);
                    self.connectors[c].advance_transmit(b, taken);
                }
            }
            None => {}
        }
    }

    // ---------------------------------------------------------------- SP sessions

    fn on_accept(&mut self, conn: ConnId, peer: SocketAddr, now: u64) {
        let sessions_max = self.snap.config.limits.sessions_max;
        if self.snap.sessions_open.fetch_add(1, Ordering::Relaxed) >= sessions_max {
            self.snap.sessions_open.fetch_sub(1, Ordering::Relaxed);
            self.counters.sessions_refused += 1;
            // Inside the poll callback the driver is lent out: close after the poll.
            self.closing.push(conn);
            return;
        }
        let limits = &self.snap.config.limits;
        let config = smsgw_shared::smpp::session::SessionConfig {
            window_max: 64,
            peer_window_max: 64,
            response_timeout_ms: u64::from(limits.response_timeout_ms),
            enquire_link_interval_ms: u64::from(limits.enquire_link_s) * 1000,
            idle_timeout_ms: u64::from(limits.idle_timeout_s) * 1000,
            bind_timeout_ms: u64::from(limits.bind_timeout_ms),
            transmit_size_max: limits.transmit_size_max as usize,
        };
        let session = Session::new_smsc(config, INTERFACE_VERSION_50, now);
        self.sp_generation = self.sp_generation.wrapping_add(1);
        let sp = Sp {
            conn,
            generation: self.sp_generation,
            session,
            peer,
            permit: None,
            account: None,
            receives: false,
            submits: false,
            version: INTERFACE_VERSION_34,
            rx: Vec::new(),
            scheduled: None,
            closing: false,
        };
        let index = match self.sp_free.pop() {
            Some(index) => {
                self.sps[index as usize] = Some(sp);
                index
            }
            None => {
                self.sps.push(Some(sp));
                u32::try_from(self.sps.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.sp_count += 1;
        self.counters.sessions_accepted += 1;
        self.conns.insert(conn, Owner::Sp(index));
        self.schedule_sp(index);
    }

    fn schedule_sp(&mut self, index: u32) {
        let Some(sp) = self.sps[index as usize].as_mut() else {
            return;
        };
        let Some(deadline) = sp.session.poll_timeout() else {
            return;
        };
        if sp.scheduled.is_none_or(|at| deadline < at) {
            sp.scheduled = Some(deadline);
            let generation = sp.generation;
            self.wheel
                .schedule(deadline, TimerKey::Sp(index, generation));
        }
    }

    fn sp_key(&self, index: u32) -> SpKey {
        SpKey {
            index,
            generation: self.sps[index as usize]
                .as_ref()
                .map_or(0, |sp| sp.generation),
        }
    }

    fn on_sp_bytes(&mut self, index: u32, data: &[u8], now: u64) {
        let Some(sp) = self.sps[index as usize].as_mut() else {
            return;
        };
        let mut rx = std::mem::take(&mut sp.rx);
        let consumed;
        let broken;
        if rx.is_empty() {
            (consumed, broken) = self.sp_frames(index, data, now);
            if !broken && consumed < data.len() {
                rx.extend_from_slice(&data[consumed..]);
            }
        } else {
            rx.extend_from_slice(data);
            (consumed, broken) = self.sp_frames(index, &rx, now);
            rx.drain(..consumed);
        }
        if broken {
            rx.clear();
        }
        if let Some(sp) = self.sps[index as usize].as_mut() {
            sp.rx = rx;
        }
        self.after_sp(index);
    }

    /// Hands every whole frame of `data` to the session; returns bytes consumed and whether
    /// the framing broke (the session then answered and closed).
    fn sp_frames(&mut self, index: u32, data: &[u8], now: u64) -> (usize, bool) {
        let mut frames = Frames::new(data, self.frame_limits);
        let mut broken = false;
        while let Some(frame) = frames.next() {
            match frame {
                Ok(frame) => self.sp_frame(index, frame, now),
                Err(_) => {
                    broken = true;
                    let rest = frames.remainder();
                    self.sp_frame(index, rest, now);
                    break;
                }
            }
            if self.sps[index as usize]
                .as_ref()
                .is_none_or(|sp| sp.session.is_closed())
            {
                return (data.len(), true);
            }
        }
        (frames.consumed(), broken)
    }

    fn after_sp(&mut self, index: u32) {
        let Some(sp) = self.sps[index as usize].as_mut() else {
            return;
        };
        let conn = sp.conn;
        self.dirty.push(conn);
        if sp.session.is_closed() && !sp.closing {
            sp.closing = true;
            // Free the bind slot now: the SP may bind again (on any core) as soon as it has
            // read our unbind_resp, before this core gets round to closing the socket.
            if let Some(permit) = sp.permit.take() {
                self.snap.accounts.release(permit);
            }
            self.closing.push(conn);
        } else {
            self.schedule_sp(index);
        }
    }

    fn sp_frame(&mut self, index: u32, frame: &[u8], now: u64) {
        let Some(sp) = self.sps[index as usize].as_mut() else {
            return;
        };
        let Some(event) = sp.session.handle_frame(frame, now) else {
            return;
        };
        match event {
            Event::BindRequest { mode, bind, .. } => {
                let system_id = String::from_utf8_lossy(bind.system_id).into_owned();
                let admit_mode = match mode {
                    smsgw_shared::smpp::session::BindMode::Transmitter => AdmitMode::Transmitter,
                    smsgw_shared::smpp::session::BindMode::Receiver => AdmitMode::Receiver,
                    smsgw_shared::smpp::session::BindMode::Transceiver => AdmitMode::Transceiver,
                };
                let ip: IpAddr = sp.peer.ip();
                match self
                    .snap
                    .accounts
                    .admit(&system_id, bind.password, ip, admit_mode)
                {
                    Ok(permit) => {
                        if sp.session.accept_bind(GATEWAY_SYSTEM_ID).is_err() {
                            self.snap.accounts.release(permit);
                            return;
                        }
                        let account = permit.account();
                        let window = self.snap.config.accounts[account.0 as usize].window as usize;
                        sp.session.set_windows(window, window);
                        sp.account = Some(account);
                        sp.permit = Some(permit);
                        sp.version = bind.interface_version;
                        sp.receives = mode.can_receive();
                        sp.submits = mode.can_submit();
                        self.counters.binds_accepted += 1;
                        let (receives, submits) = (sp.receives, sp.submits);
                        if receives {
                            self.receiver_lists[account.0 as usize].push(index);
                            self.receivers_changed(account, 1);
                        }
                        if submits {
                            self.submit_binds_changed(account, 1);
                        }
                    }
                    Err(refusal) => {
                        self.counters.binds_refused += 1;
                        if self.counters.binds_refused.is_power_of_two() {
                            eprintln!(
                                "smsgw: bind refused: system_id {system_id:?} from {ip}: {refusal} \
                             (status {:#06x})",
                                refusal.status().0
                            );
                        }
                        let _ = sp.session.reject_bind(refusal.status());
                    }
                }
            }
            Event::Request(pdu) => self.sp_request(index, pdu, now),
            Event::Response { request, pdu } => {
                if let Some(delivery) = self.delivering.remove(&request.token) {
                    if pdu.command_status.is_ok() {
                        self.pending.handle_delivered(delivery);
                        self.counters.delivered_to_sp += 1;
                    } else {
                        self.delivery_failed(delivery, now);
                    }
                }
            }
            Event::MalformedResponse { request, .. } => {
                if let Some(delivery) = self.delivering.remove(&request.token) {
                    self.delivery_failed(delivery, now);
                }
            }
            Event::Refused { .. } => self.counters.sp_refused_pdus += 1,
            Event::UnexpectedResponse { .. } | Event::Bound { .. } | Event::Closed(_) => {}
        }
    }

    fn delivery_failed(&mut self, delivery: DeliveryId, now: u64) {
        if let Some(dropped) = self.pending.handle_failed(delivery, now) {
            self.counters.deliveries_dropped += 1;
            eprintln!(
                "smsgw: core {}: delivery to account {} dropped after {} attempts",
                self.id, dropped.account.0, dropped.attempt_count
            );
        }
    }

    fn respond(
        &mut self,
        index: u32,
        sequence_number: u32,
        status: CommandStatus,
        body: Body<&[u8]>,
    ) {
        if let Some(sp) = self.sps[index as usize].as_mut() {
            let _ = sp.session.respond(sequence_number, status, body);
        }
    }

    fn sp_request(&mut self, index: u32, pdu: Pdu<&[u8]>, now: u64) {
        let sequence_number = pdu.sequence_number;
        match pdu.body {
            Body::SubmitSm(submit) => {
                self.submit(index, sequence_number, CommandId::submit_sm, submit, now);
            }
            Body::DataSm(data) => {
                let submit = data_sm_as_submit(data, &[][..]);
                self.submit(index, sequence_number, CommandId::data_sm, submit, now);
            }
            Body::SubmitMulti(multi) => self.submit_multi(index, sequence_number, multi, now),
            Body::QuerySm(query) => {
                self.manage(
                    index,
                    sequence_number,
                    CommandId::query_sm,
                    query.message_id,
                    ManageOp::Query,
                );
            }
            Body::CancelSm(cancel) => {
                self.manage(
                    index,
                    sequence_number,
                    CommandId::cancel_sm,
                    cancel.message_id,
                    ManageOp::Cancel,
                );
            }
            Body::ReplaceSm(replace) => {
                let op = ManageOp::Replace(Box::new(Replacement {
                    schedule_delivery_time: replace.schedule_delivery_time.to_vec(),
                    validity_period: replace.validity_period.to_vec(),
                    registered_delivery: replace.registered_delivery,
                    short_message: replace.short_message.to_vec(),
                }));
                self.manage(
                    index,
                    sequence_number,
                    CommandId::replace_sm,
                    replace.message_id,
                    op,
                );
            }
            Body::DeliverSm(_) => self.respond(
                index,
                sequence_number,
                CommandStatus::ESME_RINVCMDID,
                Body::DeliverSmResp(MessageIdResp::default()),
            ),
            _ => {}
        }
    }

    /// query_sm, cancel_sm, replace_sm (SMPP v3.4 §4.8-4.10) for one of our ids: answered by
    /// the core that generated the id (it is in the id), here or over the mesh.
    fn manage(
        &mut self,
        index: u32,
        sequence_number: u32,
        command: CommandId,
        message_id: &[u8],
        op: ManageOp,
    ) {
        let Some(account) = self.sps[index as usize].as_ref().and_then(|sp| sp.account) else {
            return;
        };
        let reply = ManageReply {
            core: self.id,
            sp: self.sp_key(index),
            sequence_number,
            command,
            id: 0,
        };
        let format = self.snap.account_info[account.0 as usize].message_id_format;
        let Ok(id) = MessageId::parse(message_id, format) else {
            self.answer_manage(reply, CommandStatus::ESME_RINVMSGID, 0, 0);
            return;
        };
        let reply = ManageReply {
            id: id.to_u64(),
            ..reply
        };
        let owner = usize::from(id.core_id());
        if id.node_id() != self.snap.config.node.id || owner >= self.snap.core_count {
            self.answer_manage(reply, manage_failure(command), 0, 0);
            return;
        }
        if owner == self.id {
            let (status, state, error_code) = self.manage_local(&op, id.to_u64(), account, command);
            self.answer_manage(reply, status, state, error_code);
        } else {
            self.send_hop(
                owner,
                Hop::Manage {
                    op,
                    id: id.to_u64(),
                    account,
                    reply,
                },
            );
        }
    }

    fn manage_local(
        &mut self,
        op: &ManageOp,
        id: u64,
        account: AccountId,
        command: CommandId,
    ) -> (CommandStatus, u8, u8) {
        let failure = (manage_failure(command), 0, 0);
        let Some(recent) = self.recent.get_mut(&id).filter(|r| r.account == account) else {
            return failure;
        };
        match op {
            ManageOp::Query => (CommandStatus::ESME_ROK, recent.state, recent.error_code),
            ManageOp::Cancel => {
                let Some((connector, token)) = recent.queued else {
                    return failure;
                };
                if self.connectors[connector].cancel(token).is_none() {
                    return failure;
                }
                recent.queued = None;
                recent.state = state::DELETED;
                self.inflight.remove(&token);
                self.update_full(connector);
                self.counters.cancelled += 1;
                (CommandStatus::ESME_ROK, 0, 0)
            }
            ManageOp::Replace(replacement) => {
                let Some((connector, token)) = recent.queued else {
                    return failure;
                };
                let replaced = self.connectors[connector].replace(token, |message| {
                    let submit = &mut message.submit_sm;
                    if !replacement.schedule_delivery_time.is_empty() {
                        submit.schedule_delivery_time = replacement.schedule_delivery_time.clone();
                    }
                    if !replacement.validity_period.is_empty() {
                        submit.validity_period = replacement.validity_period.clone();
                    }
                    submit.registered_delivery = replacement.registered_delivery;
                    submit.short_message = replacement.short_message.clone();
                });
                if !replaced {
                    return failure;
                }
                if let Some(meta) = self.inflight.get_mut(&token) {
                    meta.registered_delivery = replacement.registered_delivery;
                }
                self.counters.replaced += 1;
                (CommandStatus::ESME_ROK, 0, 0)
            }
        }
    }

    fn answer_manage(
        &mut self,
        reply: ManageReply,
        status: CommandStatus,
        state: u8,
        error_code: u8,
    ) {
        if reply.core != self.id {
            self.send_hop(
                reply.core,
                Hop::Managed {
                    reply,
                    status,
                    state,
                    error_code,
                },
            );
            return;
        }
        let index = reply.sp.index as usize;
        let Some(sp) = self.sps.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if sp.generation != reply.sp.generation {
            return;
        }
        let text = match sp.account {
            Some(account) if status.is_ok() => {
                let format = self.snap.account_info[account.0 as usize].message_id_format;
                Some(MessageId::from_u64(reply.id).render(format))
            }
            _ => None,
        };
        let id: &[u8] = text.as_ref().map_or(&[], |text| text.as_bytes());
        let body = match reply.command {
            CommandId::query_sm => Body::QuerySmResp(QuerySmResp {
                message_id: id,
                final_date: &[][..],
                message_state: state,
                error_code,
            }),
            CommandId::cancel_sm => Body::CancelSmResp,
            _ => Body::ReplaceSmResp,
        };
        let _ = sp.session.respond(reply.sequence_number, status, body);
        let conn = sp.conn;
        self.dirty.push(conn);
    }

    /// Remembers a message this core generated, for query/cancel/replace.
    fn remember(&mut self, id: u64, account: AccountId, queued: Option<(usize, u64)>) {
        // The order queue also holds ids already forgotten (refused submits): bound it too.
        while self.recent.len() >= RECENT_MAX || self.recent_order.len() >= RECENT_MAX {
            let Some(oldest) = self.recent_order.pop_front() else {
                break;
            };
            self.recent.remove(&oldest);
        }
        self.recent.insert(
            id,
            Recent {
                account,
                state: state::ENROUTE,
                error_code: 0,
                queued,
            },
        );
        self.recent_order.push_back(id);
    }

    /// Records a state change of message `id` on the core that remembers it.
    fn note_state(&mut self, id: u64, message_state: u8, error_code: u8, sent: bool) {
        let owner = usize::from(MessageId::from_u64(id).core_id());
        if owner == self.id || owner >= self.snap.core_count {
            self.apply_state(id, message_state, error_code, sent);
        } else {
            self.send_hop(
                owner,
                Hop::State {
                    id,
                    state: message_state,
                    error_code,
                    sent,
                },
            );
        }
    }

    fn apply_state(&mut self, id: u64, message_state: u8, error_code: u8, sent: bool) {
        if let Some(recent) = self.recent.get_mut(&id) {
            recent.state = message_state;
            recent.error_code = error_code;
            if sent {
                recent.queued = None;
            }
        }
    }

    fn respond_submit(
        &mut self,
        index: u32,
        sequence_number: u32,
        command: CommandId,
        status: CommandStatus,
        message_id: Option<u64>,
        load: Option<Load>,
    ) {
        let Some(sp) = self.sps[index as usize].as_mut() else {
            return;
        };
        let text;
        let id: &[u8] = match (message_id, sp.account) {
            (Some(id), Some(account)) if status.is_ok() => {
                let format = self.snap.account_info[account.0 as usize].message_id_format;
                text = MessageId::from_u64(id).render(format);
                text.as_bytes()
            }
            _ => &[],
        };
        let mut tlvs = Tlvs::new();
        if sp.version >= INTERFACE_VERSION_50
            && let Some(load) = load
        {
            let _ = tlvs.push_u8(tag::congestion_state, congestion_state(&load));
        }
        let resp = MessageIdResp {
            message_id: id,
            tlvs: Tlvs::parse(tlvs.raw(), 0).unwrap_or_default(),
        };
        let body = if command == CommandId::data_sm {
            Body::DataSmResp(resp)
        } else {
            Body::SubmitSmResp(resp)
        };
        let _ = sp.session.respond(sequence_number, status, body);
        if status.is_ok() {
            self.counters.submits_accepted += 1;
        } else {
            self.counters.submits_refused += 1;
        }
    }

    fn connector_load(&self, connector: usize) -> Load {
        let local = &self.connectors[connector];
        let queue_max = self.snap.config.limits.connector_queue_max as usize;
        let window = self.snap.config.connectors[connector].window as usize;
        Load {
            queue_len: local.queue_len(),
            queue_max: queue_max.max(1),
            window_used: local.in_flight_count(),
            window_max: (window * local.bind_count()).max(1),
        }
    }

    /// Routes and admits one message from `account` to `destination`: the connector and, with
    /// a delayed-response policy, when to forward it; or the status to answer.
    fn place(
        &mut self,
        account: AccountId,
        source: &[u8],
        destination: &[u8],
        now: u64,
    ) -> Result<(usize, Option<u64>), (CommandStatus, Option<Load>)> {
        // Route first: the load that flow control weighs is the chosen connector's.
        let routes = Arc::clone(&self.snap.routes);
        let seed = self.counters.submits_accepted;
        let snap = Arc::clone(&self.snap);
        let route_account = RouteAccountId(account.0);
        let selection = routes
            .select(route_account, destination, seed, |c| {
                snap.connectors[c.index()].is_available()
            })
            .or_else(|_| {
                // Every connector down: queue on the first with room; it sends on reconnect.
                routes.select(route_account, destination, seed, |c| {
                    snap.connectors[c.index()].has_room()
                })
            });
        let connector = match selection {
            Ok(selection) => selection.connector.index(),
            Err(error) => {
                self.counters.no_route += 1;
                return Err((routes.status(&error), None));
            }
        };
        let load = self.connector_load(connector);
        let admission = self.flows[account.0 as usize].admit(now, source, destination, &load);
        match admission {
            Admission::Admit => Ok((connector, None)),
            Admission::Hold { respond_at_ms } => Ok((connector, Some(respond_at_ms))),
            Admission::Throttle | Admission::QueueFull => Err((admission.status(), Some(load))),
        }
    }

    fn submit(
        &mut self,
        index: u32,
        sequence_number: u32,
        command: CommandId,
        submit: SubmitSm<&[u8]>,
        now: u64,
    ) {
        let Some(sp) = self.sps[index as usize].as_ref() else {
            return;
        };
        let Some(account) = sp.account else {
            return;
        };
        if !sp.submits {
            // A receiver bind (the session lets data_sm through in both directions).
            self.respond_submit(
                index,
                sequence_number,
                command,
                CommandStatus::ESME_RINVBNDSTS,
                None,
                None,
            );
            return;
        }
        let (connector, held_until) =
            match self.place(account, submit.source_addr, submit.destination_addr, now) {
                Ok(placed) => placed,
                Err((status, load)) => {
                    self.respond_submit(index, sequence_number, command, status, None, load);
                    return;
                }
            };
        let id = self.ids.next(unix_ms()).to_u64();
        let meta = Meta {
            sp_message_id: id,
            account,
            registered_delivery: submit.registered_delivery,
            source: address_of(
                submit.source_addr_ton,
                submit.source_addr_npi,
                submit.source_addr,
            ),
            destination: address_of(
                submit.dest_addr_ton,
                submit.dest_addr_npi,
                submit.destination_addr,
            ),
            part: (0, 1),
        };
        let Body::SubmitSm(owned) = Pdu::new(0, Body::SubmitSm(submit)).into_owned().body else {
            unreachable!("built as submit_sm");
        };
        let outbound = Box::new(Outbound {
            connector,
            message: Message {
                token: id,
                submit_sm: Box::new(owned),
            },
            meta,
            reply: Reply {
                core: self.id,
                sp: self.sp_key(index),
                sequence_number,
                command,
                message_id: id,
                connector,
            },
        });
        let queued = (self.connectors[connector].bind_count() > 0).then_some((connector, id));
        self.remember(id, account, queued);
        match held_until {
            Some(at_ms) => self.held.push(Reverse(Held { at_ms, outbound })),
            None => self.forward(outbound, now),
        }
    }

    /// submit_multi (SMPP v3.4 §4.5): each SME destination is routed, admitted and queued as
    /// its own submit_sm under one message id for the SP; destinations that cannot be placed
    /// are listed in unsuccess_sme with their status. Distribution lists are the SMSC's and are
    /// refused (`ESME_RINVDESTFLAG`). A destination handed to another core whose queue turns
    /// out full there gets a failure receipt (the response has left by then).
    fn submit_multi(
        &mut self,
        index: u32,
        sequence_number: u32,
        multi: SubmitMulti<&[u8]>,
        now: u64,
    ) {
        let Some(account) = self.sps[index as usize].as_ref().and_then(|sp| sp.account) else {
            return;
        };
        let id = self.ids.next(unix_ms()).to_u64();
        let mut unsuccess = UnsuccessSmes::new();
        let mut first_error = None;
        let mut placed_count = 0usize;
        let sp = self.sp_key(index);
        // At most 254 destinations (the codec's bound), so indices fit a u8.
        let dest_count = u8::try_from(multi.dest_addresses.len()).unwrap_or(u8::MAX);
        for (dest_index, dest) in multi.dest_addresses.iter().enumerate() {
            let dest_index = u8::try_from(dest_index).unwrap_or(u8::MAX - 1);
            let (ton, npi, address) = match dest {
                Dest::Sme {
                    dest_addr_ton,
                    dest_addr_npi,
                    destination_addr,
                } => (dest_addr_ton, dest_addr_npi, destination_addr),
                Dest::DistributionList { dl_name } => {
                    let _ = unsuccess.push(0, 0, dl_name, CommandStatus::ESME_RINVDESTFLAG);
                    first_error.get_or_insert(CommandStatus::ESME_RINVDESTFLAG);
                    continue;
                }
            };
            let (connector, held_until) = match self.place(account, multi.source_addr, address, now)
            {
                Ok(placed) => placed,
                Err((status, _)) => {
                    let _ = unsuccess.push(ton, npi, address, status);
                    first_error.get_or_insert(status);
                    continue;
                }
            };
            let token = self.ids.next(unix_ms()).to_u64();
            let submit_sm = Box::new(SubmitSm {
                service_type: multi.service_type.to_vec(),
                source_addr_ton: multi.source_addr_ton,
                source_addr_npi: multi.source_addr_npi,
                source_addr: multi.source_addr.to_vec(),
                dest_addr_ton: ton,
                dest_addr_npi: npi,
                destination_addr: address.to_vec(),
                esm_class: multi.esm_class,
                protocol_id: multi.protocol_id,
                priority_flag: multi.priority_flag,
                schedule_delivery_time: multi.schedule_delivery_time.to_vec(),
                validity_period: multi.validity_period.to_vec(),
                registered_delivery: multi.registered_delivery,
                replace_if_present_flag: multi.replace_if_present_flag,
                data_coding: multi.data_coding,
                sm_default_msg_id: multi.sm_default_msg_id,
                short_message: multi.short_message.to_vec(),
                tlvs: multi.tlvs.to_owned_tlvs(),
            });
            let outbound = Box::new(Outbound {
                connector,
                message: Message { token, submit_sm },
                meta: Meta {
                    sp_message_id: id,
                    account,
                    registered_delivery: multi.registered_delivery,
                    source: address_of(
                        multi.source_addr_ton,
                        multi.source_addr_npi,
                        multi.source_addr,
                    ),
                    destination: address_of(ton, npi, address),
                    part: (dest_index, dest_count),
                },
                reply: Reply {
                    core: self.id,
                    sp,
                    sequence_number: 0,
                    command: CommandId::submit_multi,
                    message_id: id,
                    connector,
                },
            });
            if let Some(at_ms) = held_until {
                self.held.push(Reverse(Held { at_ms, outbound }));
                placed_count += 1;
                continue;
            }
            if self.connectors[connector].bind_count() > 0 {
                match self.enqueue_local(outbound) {
                    Ok(()) => placed_count += 1,
                    Err((status, _)) => {
                        let _ = unsuccess.push(ton, npi, address, status);
                        first_error.get_or_insert(status);
                    }
                }
            } else {
                self.forward(outbound, now);
                placed_count += 1;
            }
        }
        if placed_count > 0 {
            self.remember(id, account, None);
        }
        let text;
        let (status, message_id): (CommandStatus, &[u8]) = if placed_count > 0 {
            let format = self.snap.account_info[account.0 as usize].message_id_format;
            text = MessageId::from_u64(id).render(format);
            (CommandStatus::ESME_ROK, text.as_bytes())
        } else {
            (first_error.unwrap_or(CommandStatus::ESME_RINVNUMDESTS), &[])
        };
        let body = Body::SubmitMultiResp(SubmitMultiResp {
            message_id: message_id.to_vec(),
            unsuccess_smes: unsuccess,
            tlvs: Tlvs::new(),
        });
        if status.is_ok() {
            self.counters.submits_accepted += 1;
        } else {
            self.counters.submits_refused += 1;
        }
        if let Some(sp) = self.sps[index as usize].as_mut() {
            let _ = sp.session.respond(sequence_number, status, body);
        }
    }

    /// Queues a message on its connector (here or on a home core) or answers the SP why not.
    fn forward(&mut self, outbound: Box<Outbound>, now: u64) {
        let connector = outbound.connector;
        if self.connectors[connector].bind_count() > 0 {
            let reply = outbound.reply;
            match self.enqueue_local(outbound) {
                Ok(()) => self.answer(reply, CommandStatus::ESME_ROK),
                Err((status, meta)) => self.refuse_forward(reply, meta, status, now),
            }
            return;
        }
        let homes = &self.snap.connectors[connector].home_cores;
        if homes.is_empty() {
            let (reply, meta) = (outbound.reply, outbound.meta);
            self.refuse_forward(reply, meta, CommandStatus::ESME_RSYSERR, now);
            return;
        }
        let target = homes[(outbound.message.token as usize) % homes.len()];
        if let Err(crate::mesh::Full(hop)) = self.mesh.send(target, Hop::Submit(outbound)) {
            self.counters.mesh_full += 1;
            if let Hop::Submit(outbound) = hop {
                let (reply, meta) = (outbound.reply, outbound.meta);
                self.refuse_forward(reply, meta, CommandStatus::ESME_RTHROTTLED, now);
            }
        }
    }

    /// A message that could not be queued: the SP hears it in its response, or (a
    /// submit_multi destination, answered already) by a failure receipt.
    fn refuse_forward(&mut self, reply: Reply, meta: Meta, status: CommandStatus, now: u64) {
        if reply.command == CommandId::submit_multi {
            self.failure_receipt(meta, status, now);
        } else {
            self.answer(reply, status);
        }
    }

    /// Queues on this core's binds of the connector; on a full queue, the status and the
    /// message's meta come back (for a failure receipt).
    #[allow(
        clippy::boxed_local,
        reason = "outbound messages travel boxed through the mesh and the held heap"
    )]
    fn enqueue_local(&mut self, outbound: Box<Outbound>) -> Result<(), (CommandStatus, Meta)> {
        let Outbound {
            connector,
            message,
            meta,
            ..
        } = *outbound;
        let token = message.token;
        if self.connectors_stopped {
            // The binds are unbinding: nothing more can leave.
            return Err((CommandStatus::ESME_RMSGQFUL, meta));
        }
        match self.connectors[connector].enqueue(message) {
            Ok(()) => {
                self.inflight.insert(token, meta);
                // Sent by this turn's service_connectors (one pump per connector per turn,
                // not one per message).
                self.update_full(connector);
                Ok(())
            }
            Err(_) => {
                self.snap.connectors[connector]
                    .full
                    .store(true, Ordering::Relaxed);
                self.counters.queue_full += 1;
                Err((CommandStatus::ESME_RMSGQFUL, meta))
            }
        }
    }

    fn update_full(&self, connector: usize) {
        if self.connectors[connector].bind_count() == 0 {
            // Only cores holding binds of the connector queue for it.
            return;
        }
        let full = self.connectors[connector].queue_len()
            >= self.snap.config.limits.connector_queue_max as usize;
        let flag = &self.snap.connectors[connector].full;
        if flag.load(Ordering::Relaxed) != full {
            flag.store(full, Ordering::Relaxed);
        }
    }

    /// Answers an SP request, on this core or over the mesh.
    fn answer(&mut self, reply: Reply, status: CommandStatus) {
        if reply.command == CommandId::submit_multi {
            // Answered already, for all destinations at once.
            return;
        }
        if reply.core != self.id {
            self.send_hop(reply.core, Hop::Queued { reply, status });
            return;
        }
        let index = reply.sp.index;
        let Some(sp) = self.sps.get(index as usize).and_then(Option::as_ref) else {
            return;
        };
        if sp.generation != reply.sp.generation {
            return;
        }
        if !status.is_ok() {
            // The SP never gets this id.
            self.recent.remove(&reply.message_id);
        }
        // SMPP 5.0 SPs read congestion_state on every response, not only on refusals.
        let load =
            (sp.version >= INTERFACE_VERSION_50).then(|| self.connector_load(reply.connector));
        self.respond_submit(
            index,
            reply.sequence_number,
            reply.command,
            status,
            Some(reply.message_id),
            load,
        );
        if let Some(sp) = self.sps[index as usize].as_ref() {
            self.dirty.push(sp.conn);
        }
    }

    fn release_held(&mut self, now: u64) {
        while let Some(Reverse(held)) = self.held.peek() {
            if held.at_ms > now {
                break;
            }
            let Some(Reverse(held)) = self.held.pop() else {
                break;
            };
            self.forward(held.outbound, now);
        }
    }

    fn sp_gone(&mut self, index: u32, now: u64) {
        let Some(mut sp) = self.sps[index as usize].take() else {
            return;
        };
        self.sp_free.push(index);
        self.sp_count -= 1;
        self.snap.sessions_open.fetch_sub(1, Ordering::Relaxed);
        if let Some(permit) = sp.permit.take() {
            self.snap.accounts.release(permit);
        }
        if sp.receives
            && let Some(account) = sp.account
        {
            self.receiver_lists[account.0 as usize].retain(|&other| other != index);
            self.receivers_changed(account, -1);
        }
        if sp.submits
            && let Some(account) = sp.account
        {
            self.submit_binds_changed(account, -1);
        }
        for outstanding in sp.session.drain_outstanding() {
            if let Some(delivery) = self.delivering.remove(&outstanding.token) {
                self.delivery_failed(delivery, now);
            }
        }
        self.counters.sessions_closed += 1;
    }

    fn submit_binds_changed(&mut self, account: AccountId, delta: i32) {
        let index = account.0 as usize;
        let local = &mut self.local_submit_binds[index];
        *local = local.saturating_add_signed(delta);
        let global = &self.snap.submit_binds[index];
        if delta > 0 {
            global.fetch_add(1, Ordering::Relaxed);
        } else {
            global.fetch_sub(1, Ordering::Relaxed);
        }
        self.refresh_share(index);
    }

    /// This core's part of the account's TPS: in proportion to its submitting sessions among
    /// all of the account's (read from the shared counters, refreshed every second and on each
    /// local bind or unbind), so an SP with one bind gets its whole TPS on that bind's core.
    fn refresh_share(&mut self, index: usize) {
        let local = u64::from(self.local_submit_binds[index]);
        let global = u64::from(self.snap.submit_binds[index].load(Ordering::Relaxed)).max(local);
        let tps = u64::from(self.snap.config.accounts[index].tps);
        let share = if local == 0 {
            CoreShare::even(tps, self.snap.core_count, self.id)
        } else {
            CoreShare::from_rate_milli(tps * 1_000 * local / global)
        };
        let now = self.now_ms;
        self.flows[index].apply_share(share, now);
    }

    fn receivers_changed(&mut self, account: AccountId, delta: i32) {
        let Some(row) = self.receivers.get_mut(account.0 as usize) else {
            return;
        };
        let count = &mut row[self.id];
        *count = count.saturating_add_signed(delta);
        let count = *count;
        for core in 0..self.snap.core_count {
            if core != self.id {
                self.send_hop(
                    core,
                    Hop::Receivers {
                        account,
                        core: self.id,
                        count,
                    },
                );
            }
        }
    }

    // ---------------------------------------------------------------- connectors

    fn service_connectors(&mut self, now: u64) {
        if now >= self.connectors_deadline {
            for c in 0..self.connectors.len() {
                self.connectors[c].handle_timeout(now);
                self.drain_connector_events(c, now);
            }
        }
        for c in 0..self.connectors.len() {
            while let Some(bind) = self.connectors[c].poll_connect(now) {
                let address = self.snap.connectors[c].address;
                let Some(driver) = self.driver.as_mut() else {
                    return;
                };
                match driver.connect(address) {
                    Ok(conn) => {
                        self.conns.insert(conn, Owner::Bind(c, bind));
                        self.binds[c][bind].conn = Some(conn);
                        self.binds[c][bind].rx.clear();
                    }
                    Err(error) => {
                        eprintln!(
                            "smsgw: core {}: connector {}: connect: {error}",
                            self.id, self.snap.connectors[c].name
                        );
                        self.connectors[c].handle_disconnected(bind, now);
                    }
                }
            }
            self.connectors[c].pump(now);
            self.drain_connector_events(c, now);
            self.mark_binds_dirty(c);
            self.update_full(c);
        }
        self.connectors_deadline = self
            .connectors
            .iter()
            .filter_map(|c| c.poll_timeout(now))
            .min()
            .unwrap_or(now + 1_000)
            .max(now + 1);
    }

    fn mark_binds_dirty(&mut self, c: usize) {
        for (b, bind) in self.binds[c].iter().enumerate() {
            if let Some(conn) = bind.conn
                && !self.connectors[c].poll_transmit(b).is_empty()
            {
                self.dirty.push(conn);
            }
        }
    }

    fn on_bind_bytes(&mut self, c: usize, b: BindIndex, data: &[u8], now: u64) {
        let mut rx = std::mem::take(&mut self.binds[c][b].rx);
        if rx.is_empty() {
            let (consumed, broken) = self.bind_frames(c, b, data, now);
            if !broken && consumed < data.len() {
                rx.extend_from_slice(&data[consumed..]);
            }
        } else {
            rx.extend_from_slice(data);
            let (consumed, broken) = self.bind_frames(c, b, &rx, now);
            if broken {
                rx.clear();
            } else {
                rx.drain(..consumed);
            }
        }
        if self.binds[c][b].conn.is_some() {
            self.binds[c][b].rx = rx;
        }
        self.connectors[c].pump(now);
        self.drain_connector_events(c, now);
        self.mark_binds_dirty(c);
        self.update_full(c);
    }

    /// Hands every whole frame of `data` to the bind's session; returns bytes consumed and
    /// whether the framing broke (the session then closed).
    fn bind_frames(&mut self, c: usize, b: BindIndex, data: &[u8], now: u64) -> (usize, bool) {
        let mut frames = Frames::new(data, FrameLimits::SMPP);
        while let Some(frame) = frames.next() {
            match frame {
                Ok(frame) => self.connectors[c].handle_frame(b, frame, now),
                Err(_) => {
                    self.connectors[c].handle_frame(b, frames.remainder(), now);
                    return (data.len(), true);
                }
            }
        }
        (frames.consumed(), false)
    }

    fn bind_gone(&mut self, c: usize, b: BindIndex, now: u64) {
        let bind = &mut self.binds[c][b];
        if bind.conn.take().is_none() {
            return;
        }
        bind.rx.clear();
        if std::mem::replace(&mut bind.bound, false) {
            self.snap.connectors[c]
                .bound
                .fetch_sub(1, Ordering::Relaxed);
        }
        if !matches!(
            self.connectors[c].bind_state(b),
            BindState::Disconnected { .. }
        ) {
            self.connectors[c].handle_disconnected(b, now);
        }
        self.drain_connector_events(c, now);
    }

    fn drain_connector_events(&mut self, c: usize, now: u64) {
        while let Some(event) = self.connectors[c].poll_event() {
            match event {
                ConnectorEvent::Accepted { token, message_id } => {
                    self.on_accepted(c, token, &message_id, now);
                }
                ConnectorEvent::Rejected { token, status } => {
                    self.counters.upstream_rejected += 1;
                    if let Some(meta) = self.inflight.remove(&token) {
                        let error_code = (status.0 & 0xFF) as u8;
                        self.note_state(meta.sp_message_id, state::REJECTED, error_code, true);
                        self.failure_receipt(meta, status, now);
                    }
                }
                ConnectorEvent::Uncertain { token } => {
                    self.counters.upstream_uncertain += 1;
                    self.inflight.remove(&token);
                }
                ConnectorEvent::Delivery { request, pdu } => {
                    let status = self.on_upstream_delivery(c, pdu, now);
                    self.connectors[c].respond_delivery(request, status);
                }
                ConnectorEvent::Bound { bind } => {
                    self.binds[c][bind].bound = true;
                    self.snap.connectors[c]
                        .bound
                        .fetch_add(1, Ordering::Relaxed);
                    eprintln!(
                        "smsgw: core {}: connector {} bind {bind} bound",
                        self.id, self.snap.connectors[c].name
                    );
                }
                ConnectorEvent::Closed { bind, reason } => {
                    if !matches!(reason, CloseReason::Unbound | CloseReason::PeerUnbound) {
                        eprintln!(
                            "smsgw: core {}: connector {} bind {bind} closed: {reason:?}",
                            self.id, self.snap.connectors[c].name
                        );
                    }
                    if let Some(conn) = self.binds[c][bind].conn {
                        self.closing.push(conn);
                    }
                }
            }
        }
    }

    fn on_accepted(&mut self, c: usize, token: u64, upstream_id: &[u8], now: u64) {
        self.counters.upstream_accepted += 1;
        let Some(meta) = self.inflight.remove(&token) else {
            return;
        };
        self.note_state(meta.sp_message_id, state::ENROUTE, 0, true);
        let connector = ConnectorId(u16::try_from(c).unwrap_or(u16::MAX));
        let Ok(text) = std::str::from_utf8(upstream_id) else {
            self.counters.upstream_id_invalid += 1;
            return;
        };
        let text = text.trim_end_matches('\0');
        let Ok(key) = self
            .correlator
            .key(connector, text, crate::receipts::IdSource::Response)
        else {
            self.counters.upstream_id_invalid += 1;
            return;
        };
        let our = OurRef {
            message_id: meta.sp_message_id,
            account: meta.account,
            part_index: meta.part.0,
            parts_total: meta.part.1,
        };
        let owner = key.shard_index(connector, self.snap.core_count);
        if owner == self.id {
            self.record(connector.0, key, our, now);
        } else {
            self.send_hop(
                owner,
                Hop::Record {
                    connector: connector.0,
                    key,
                    our,
                },
            );
        }
    }

    fn record(&mut self, connector: u16, key: IdKey, our: OurRef, now: u64) {
        if let Some(matched) =
            self.correlator
                .record_submit_key(ConnectorId(connector), key, our, now)
        {
            let receipt = self.early_addresses.remove(&(connector, key));
            self.emit_receipt(matched, receipt, now);
        }
    }

    fn on_upstream_delivery(&mut self, c: usize, pdu: Pdu<Vec<u8>>, now: u64) -> CommandStatus {
        let deliver = match pdu.body {
            Body::DeliverSm(deliver) => deliver,
            Body::DataSm(data) => data_sm_as_submit(data, Vec::new()),
            _ => return CommandStatus::ESME_RINVCMDID,
        };
        match DeliverKind::of(deliver.esm_class) {
            DeliverKind::Receipt => self.on_upstream_receipt(c, &deliver, now),
            DeliverKind::Mo => {
                let Some(account) = self
                    .snap
                    .short_codes
                    .route(std::str::from_utf8(&deliver.destination_addr).unwrap_or(""))
                else {
                    self.counters.mo_unrouted += 1;
                    return CommandStatus::ESME_RINVDSTADR;
                };
                self.counters.mo_received += 1;
                let reassemble =
                    self.snap.config.accounts[account.0 as usize].mo_concat == MoConcat::Reassemble;
                if !reassemble || concat_of(&deliver).is_none() {
                    let delivery = Delivery {
                        deliver_sm: deliver,
                    };
                    return self.queue_delivery(account, delivery, now);
                }
                let owner = mo_owner(account, &deliver, self.snap.core_count);
                if owner == self.id {
                    return self.reassemble_mo(account, deliver, now);
                }
                let hop = Hop::MoPart {
                    account,
                    deliver: Box::new(deliver),
                };
                match self.mesh.send(owner, hop) {
                    Ok(()) => CommandStatus::ESME_ROK,
                    Err(_) => {
                        self.counters.mesh_full += 1;
                        CommandStatus::ESME_RX_T_APPN
                    }
                }
            }
        }
    }

    /// Takes one part of a concatenated MO; a completed message is queued as one deliver_sm
    /// (the last part's fields, text in message_payload). Parts the table cannot take are
    /// passed on as they came; duplicates are dropped.
    fn reassemble_mo(
        &mut self,
        account: AccountId,
        deliver: DeliverSm<Vec<u8>>,
        now: u64,
    ) -> CommandStatus {
        let Some(concat) = concat_of(&deliver) else {
            return self.queue_delivery(
                account,
                Delivery {
                    deliver_sm: deliver,
                },
                now,
            );
        };
        let key = (
            account.0,
            deliver.source_addr.clone(),
            deliver.destination_addr.clone(),
            deliver.data_coding,
        );
        match self.mo_parts.handle_part(
            key,
            concat.reference,
            concat.total,
            concat.seqnum,
            &deliver.short_message,
            now,
        ) {
            Ok(None) => CommandStatus::ESME_ROK,
            Ok(Some(done)) => {
                let mut text = Vec::new();
                for part in &done.parts {
                    text.extend_from_slice(user_text(part));
                }
                let mut whole = deliver;
                whole.esm_class &= !ESM_UDHI;
                whole.short_message = Vec::new();
                for tag in [
                    tag::sar_msg_ref_num,
                    tag::sar_total_segments,
                    tag::sar_segment_seqnum,
                    tag::message_payload,
                ] {
                    whole.tlvs.remove(tag);
                }
                if whole.tlvs.push(tag::message_payload, &text).is_err() {
                    self.counters.mo_incomplete += 1;
                    return CommandStatus::ESME_ROK;
                }
                self.counters.mo_reassembled += 1;
                self.queue_delivery(account, Delivery { deliver_sm: whole }, now)
            }
            Err(ReassemblyError::DuplicatePart { .. }) => {
                self.counters.mo_duplicate_parts += 1;
                CommandStatus::ESME_ROK
            }
            Err(_) => self.queue_delivery(
                account,
                Delivery {
                    deliver_sm: deliver,
                },
                now,
            ),
        }
    }

    /// Passes on the parts of a concatenated MO whose missing parts never came.
    fn expire_mo_parts(&mut self, now: u64) {
        while let Some(expired) = self.mo_parts.poll_expired(now) {
            self.counters.mo_incomplete += 1;
            let (account, source, destination, data_coding) = expired.key;
            for (_, part) in expired.parts {
                let esm_class = if concat_of_udh(&part).is_some() {
                    ESM_UDHI
                } else {
                    0
                };
                let deliver_sm = SubmitSm {
                    source_addr: source.clone(),
                    destination_addr: destination.clone(),
                    esm_class,
                    data_coding,
                    short_message: part,
                    ..SubmitSm::default()
                };
                let _ = self.queue_delivery(AccountId(account), Delivery { deliver_sm }, now);
            }
        }
    }

    /// A receipt from connector `c`: matched here when this core owns its shard, else handed
    /// to the owner.
    fn on_upstream_receipt(
        &mut self,
        c: usize,
        deliver: &DeliverSm<Vec<u8>>,
        now: u64,
    ) -> CommandStatus {
        self.counters.receipts_received += 1;
        let connector = ConnectorId(u16::try_from(c).unwrap_or(u16::MAX));
        let tlvs = &deliver.tlvs;
        let input = match read_receipt(
            tlvs.receipted_message_id(),
            tlvs.message_state(),
            &deliver.short_message,
        ) {
            Ok(input) => input,
            Err(error) => {
                self.counters.receipts_unmatched += 1;
                eprintln!("smsgw: core {}: unreadable receipt: {error}", self.id);
                return CommandStatus::ESME_ROK;
            }
        };
        let Ok(key) = self.correlator.key(connector, input.id, input.id_source) else {
            self.counters.receipts_unmatched += 1;
            return CommandStatus::ESME_ROK;
        };
        let receipt = UpstreamReceipt {
            source: address_of(
                deliver.source_addr_ton,
                deliver.source_addr_npi,
                &deliver.source_addr,
            ),
            destination: address_of(
                deliver.dest_addr_ton,
                deliver.dest_addr_npi,
                &deliver.destination_addr,
            ),
            facts: input.facts,
        };
        let owner = key.shard_index(connector, self.snap.core_count);
        if owner == self.id {
            return self.match_receipt(connector.0, key, receipt, now);
        }
        let hop = Hop::Receipt {
            connector: connector.0,
            key,
            receipt: Box::new(receipt),
        };
        if self.outbox.len() >= OUTBOX_MAX {
            // The SMSC sends it again later.
            self.counters.mesh_full += 1;
            return CommandStatus::ESME_RX_T_APPN;
        }
        // Answered OK now: the shard's answer would hold the SMSC's window for a cross-core
        // round trip. If the shard's delivery queue is full there, the receipt is counted
        // (`delivery_queue_full`) and lost; on this core's own shard it is refused first.
        self.send_hop(owner, hop);
        CommandStatus::ESME_ROK
    }

    /// Whether the delivery queue can take one more receipt or MO for `account`.
    fn delivery_room(&self, account: AccountId) -> bool {
        self.pending.len() < self.pending_limits.total_max
            && self.pending.account_len(account) < self.pending_limits.per_account_max
    }

    fn match_receipt(
        &mut self,
        connector: u16,
        key: IdKey,
        receipt: UpstreamReceipt,
        now: u64,
    ) -> CommandStatus {
        // Room first: a match consumes the mapping, so a receipt that cannot be queued for
        // the SP is refused before it matches (the SMSC sends it again later).
        if let Some(our) = self.correlator.peek(ConnectorId(connector), &key)
            && !self.delivery_room(our.account)
        {
            self.counters.delivery_queue_full += 1;
            return CommandStatus::ESME_RMSGQFUL;
        }
        match self
            .correlator
            .match_receipt_key(ConnectorId(connector), key, receipt.facts, now)
        {
            Match::Matched(matched) => {
                self.emit_receipt(matched, Some(receipt), now);
                CommandStatus::ESME_ROK
            }
            Match::Buffered => {
                if self.early_addresses.len() < EARLY_ADDRESSES_MAX {
                    self.early_addresses.insert((connector, key), receipt);
                }
                CommandStatus::ESME_ROK
            }
            Match::Unmatched(reason) => {
                self.counters.receipts_unmatched += 1;
                reason.deliver_sm_status()
            }
        }
    }

    /// Builds the SP's receipt for a matched part and queues it.
    fn emit_receipt(&mut self, matched: Matched, upstream: Option<UpstreamReceipt>, now: u64) {
        self.counters.receipts_matched += 1;
        let account = matched.our.account;
        let error_code = matched
            .facts
            .err
            .as_ref()
            .and_then(|err| err.as_str().parse::<u32>().ok())
            .map_or(0, |code| (code & 0xFF) as u8);
        self.note_state(
            matched.our.message_id,
            matched.facts.stat.message_state(),
            error_code,
            true,
        );
        let (source, destination) = match upstream {
            Some(receipt) => (receipt.source, receipt.destination),
            None => ((0, 0, Vec::new()), (0, 0, Vec::new())),
        };
        let delivery = self.receipt_delivery(
            account,
            matched.our.message_id,
            matched.facts,
            source,
            destination,
        );
        self.queue_delivery(account, delivery, now);
    }

    fn receipt_delivery(
        &self,
        account: AccountId,
        message_id: u64,
        facts: crate::receipts::ReceiptFacts,
        source: (u8, u8, Vec<u8>),
        destination: (u8, u8, Vec<u8>),
    ) -> Delivery {
        let format = self.snap.account_info[account.0 as usize].message_id_format;
        let id = MessageId::from_u64(message_id).render(format);
        let logical = LogicalReceipt {
            account,
            message_id,
            parts_total: 1,
            delivered_count: u8::from(facts.stat == Stat::DELIVRD),
            reported_count: 1,
            complete: facts.is_final(),
            facts,
        };
        let text = receipt_text(id.as_str(), &logical, None);
        let mut tlvs = Tlvs::new();
        let _ = tlvs.push_c_octet(tag::receipted_message_id, id.as_bytes());
        let _ = tlvs.push_u8(tag::message_state, facts.stat.message_state());
        Delivery {
            deliver_sm: SubmitSm {
                service_type: Vec::new(),
                source_addr_ton: source.0,
                source_addr_npi: source.1,
                source_addr: source.2,
                dest_addr_ton: destination.0,
                dest_addr_npi: destination.1,
                destination_addr: destination.2,
                esm_class: 0x04,
                protocol_id: 0,
                priority_flag: 0,
                schedule_delivery_time: Vec::new(),
                validity_period: Vec::new(),
                registered_delivery: 0,
                replace_if_present_flag: 0,
                data_coding: 0,
                sm_default_msg_id: 0,
                short_message: text.into_bytes(),
                tlvs,
            },
        }
    }

    /// A message the SMSC refused for good: a failure receipt when the SP asked for one.
    fn failure_receipt(&mut self, meta: Meta, status: CommandStatus, now: u64) {
        // registered_delivery bits 1-0: 01 = receipt on success and failure, 10 = on failure.
        if !matches!(meta.registered_delivery & 0x03, 0x01 | 0x02) {
            return;
        }
        let mut facts = crate::receipts::ReceiptFacts::new(Stat::REJECTD);
        facts.err = crate::receipts::ErrCode::new(&format!("{:03}", status.0.min(999)));
        let delivery = self.receipt_delivery(
            meta.account,
            meta.sp_message_id,
            facts,
            meta.destination,
            meta.source,
        );
        self.counters.failure_receipts += 1;
        self.queue_delivery(meta.account, delivery, now);
    }

    // ---------------------------------------------------------------- deliveries to SPs

    fn queue_delivery(
        &mut self,
        account: AccountId,
        delivery: Delivery,
        now: u64,
    ) -> CommandStatus {
        match self
            .pending
            .push(account, Box::new(delivery), now + DELIVERY_VALIDITY_MS)
        {
            Ok(_) => CommandStatus::ESME_ROK,
            Err(refused) => {
                self.counters.delivery_queue_full += 1;
                refused.status()
            }
        }
    }

    /// A local receiving session of `account` with room for one more request.
    fn local_receiver(sps: &[Option<Sp>], lists: &[Vec<u32>], account: AccountId) -> Option<u32> {
        let list = lists.get(account.0 as usize)?;
        list.iter().copied().find(|&index| {
            sps.get(index as usize)
                .and_then(Option::as_ref)
                .is_some_and(|sp| sp.session.is_bound() && sp.session.window_available() > 0)
        })
    }

    /// Another core holding a receiving session of `account`.
    fn remote_core(receivers: &[Vec<u32>], this: usize, account: AccountId) -> Option<usize> {
        let row = receivers.get(account.0 as usize)?;
        (0..row.len()).find(|&core| core != this && row[core] > 0)
    }

    fn deliver_pending(&mut self, now: u64) {
        if self.pending.is_empty() {
            return;
        }
        for _ in 0..DELIVERY_BUDGET {
            let receivers = &self.receivers;
            let sps = &self.sps;
            let lists = &self.receiver_lists;
            let id = self.id;
            // A core with receiving sessions of the account keeps its deliveries and waits for
            // their windows; only a core with none hands them to a core that has some. (Handing
            // them on whenever the local windows were full bounced them between two busy
            // cores without end.)
            let Some(attempt) = self.pending.poll_deliver(now, |account| {
                Core::local_receiver(sps, lists, account).is_some()
                    || (lists.get(account.0 as usize).is_none_or(Vec::is_empty)
                        && receivers
                            .get(account.0 as usize)
                            .is_some_and(|row| (0..row.len()).any(|c| c != id && row[c] > 0)))
            }) else {
                break;
            };
            let delivery_id = attempt.id;
            let account = attempt.account;
            if let Some(index) = Core::local_receiver(&self.sps, &self.receiver_lists, account) {
                // Encoded straight from the queued item (it stays queued until answered).
                let token = self.delivery_token;
                self.delivery_token += 1;
                let sent = borrow_submit_sm(&attempt.item.deliver_sm).and_then(|deliver| {
                    let body = Body::DeliverSm(deliver);
                    let sp = self.sps[index as usize].as_mut()?;
                    sp.session
                        .send_request(body, token, now)
                        .ok()
                        .map(|_| sp.conn)
                });
                match sent {
                    Some(conn) => {
                        self.delivering.insert(token, delivery_id);
                        self.dirty.push(conn);
                        self.schedule_sp(index);
                    }
                    None => self.delivery_failed(delivery_id, now),
                }
            } else if let Some(core) = self
                .receiver_lists
                .get(account.0 as usize)
                .is_none_or(Vec::is_empty)
                .then(|| Core::remote_core(&self.receivers, self.id, account))
                .flatten()
            {
                let item: Box<Delivery> = attempt.item.clone();
                let hop = Hop::Deliver {
                    account,
                    delivery: item,
                };
                match self.mesh.send(core, hop) {
                    Ok(()) => {
                        self.pending.handle_delivered(delivery_id);
                    }
                    Err(_) => {
                        self.counters.mesh_full += 1;
                        self.delivery_failed(delivery_id, now);
                    }
                }
            } else {
                self.delivery_failed(delivery_id, now);
            }
        }
    }

    // ---------------------------------------------------------------- mesh

    fn send_hop(&mut self, core: usize, hop: Hop) {
        if !self.outbox.is_empty() {
            self.push_outbox(core, hop);
            return;
        }
        if let Err(crate::mesh::Full(hop)) = self.mesh.send(core, hop) {
            self.counters.mesh_full += 1;
            self.push_outbox(core, hop);
        }
    }

    fn push_outbox(&mut self, core: usize, hop: Hop) {
        // Answers to SP requests and receiver counts are bounded by windows and binds, and
        // losing one would strand a request or a delivery: they always wait.
        let control = matches!(
            hop,
            Hop::Queued { .. } | Hop::Managed { .. } | Hop::Receivers { .. }
        );
        if self.outbox.len() >= OUTBOX_MAX && !control {
            self.counters.hops_dropped += 1;
            return;
        }
        self.outbox.push_back((core, hop));
    }

    fn flush_outbox(&mut self) {
        while let Some((core, hop)) = self.outbox.pop_front() {
            if let Err(crate::mesh::Full(hop)) = self.mesh.send(core, hop) {
                self.outbox.push_front((core, hop));
                return;
            }
        }
    }

    fn drain_mesh(&mut self, now: u64) {
        if !self.mesh.has_incoming() {
            return;
        }
        let mut hops = std::mem::take(&mut self.hops);
        self.mesh.drain(MESH_BUDGET, |_, hop| hops.push(hop));
        for hop in hops.drain(..) {
            self.on_hop(hop, now);
        }
        self.hops = hops;
    }

    fn on_hop(&mut self, hop: Hop, now: u64) {
        match hop {
            Hop::Submit(outbound) => {
                let reply = outbound.reply;
                match self.enqueue_local(outbound) {
                    Ok(()) => self.answer(reply, CommandStatus::ESME_ROK),
                    Err((status, meta)) if reply.command == CommandId::submit_multi => {
                        // Its response has left already: tell the SP by receipt.
                        self.failure_receipt(meta, status, now);
                    }
                    Err((status, _)) => self.answer(reply, status),
                }
            }
            Hop::Queued { reply, status } => self.answer(reply, status),
            Hop::Record {
                connector,
                key,
                our,
            } => self.record(connector, key, our, now),
            Hop::Receipt {
                connector,
                key,
                receipt,
            } => {
                let _ = self.match_receipt(connector, key, *receipt, now);
            }
            Hop::Deliver { account, delivery } => {
                let _ = self.queue_delivery(account, *delivery, now);
            }
            Hop::State {
                id,
                state,
                error_code,
                sent,
            } => self.apply_state(id, state, error_code, sent),
            Hop::Manage {
                op,
                id,
                account,
                reply,
            } => {
                let (status, state, error_code) =
                    self.manage_local(&op, id, account, reply.command);
                self.answer_manage(reply, status, state, error_code);
            }
            Hop::Managed {
                reply,
                status,
                state,
                error_code,
            } => self.answer_manage(reply, status, state, error_code),
            Hop::MoPart { account, deliver } => {
                let _ = self.reassemble_mo(account, *deliver, now);
            }
            Hop::Receivers {
                account,
                core,
                count,
            } => {
                if let Some(row) = self.receivers.get_mut(account.0 as usize)
                    && core < row.len()
                {
                    row[core] = count;
                }
            }
        }
    }

    // ---------------------------------------------------------------- timers

    fn fire_timers(&mut self, now: u64) {
        let mut fired = std::mem::take(&mut self.fired);
        self.wheel.expire(now, &mut fired);
        for key in fired.drain(..) {
            match key {
                TimerKey::Sp(index, generation) => {
                    let Some(sp) = self.sps.get_mut(index as usize).and_then(Option::as_mut) else {
                        continue;
                    };
                    if sp.generation != generation {
                        continue;
                    }
                    if sp.scheduled.is_some_and(|at| at > now) {
                        // A stale entry: a later one stands for this session. Retire it.
                        continue;
                    }
                    sp.scheduled = None;
                    while sp.session.poll_timeout().is_some_and(|at| at <= now) {
                        match sp.session.handle_timeout(now) {
                            Some(TimerEvent::RequestTimedOut(outstanding)) => {
                                if let Some(delivery) = self.delivering.remove(&outstanding.token)
                                    && self.pending.handle_failed(delivery, now).is_some()
                                {
                                    self.counters.deliveries_dropped += 1;
                                }
                            }
                            Some(TimerEvent::Closed(_)) | None => break,
                        }
                    }
                    self.after_sp(index);
                }
                TimerKey::Tables => {
                    self.publish();
                    // Receiver counts again, for any core that missed a change.
                    for account in 0..self.receiver_lists.len() {
                        if !self.receiver_lists[account].is_empty() {
                            self.receivers_changed(AccountId(account as u32), 0);
                        }
                    }
                    for index in 0..self.local_submit_binds.len() {
                        if self.local_submit_binds[index] > 0 {
                            self.refresh_share(index);
                        }
                    }
                    while let Some(expired) = self.correlator.poll_expired(now) {
                        if let Expired::EarlyReceipt { connector, key, .. } = expired {
                            self.early_addresses.remove(&(connector.0, key));
                            self.counters.receipts_unmatched += 1;
                        }
                    }
                    self.expire_mo_parts(now);
                    while let Some(dropped) = self.pending.poll_expired(now) {
                        self.counters.deliveries_dropped += 1;
                        let _ = dropped;
                    }
                    self.wheel.schedule(now + 1_000, TimerKey::Tables);
                }
            }
        }
        self.fired = fired;
    }
}
