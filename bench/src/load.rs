//! `load`: the SMPP load generator (the CMPP mode is in [`crate::load_cmpp`]).
//!
//! `binds` connections, each an ESME session with a sliding window, submit the configured mix
//! at a target rate (or as fast as the windows allow) until a count or a duration is reached,
//! match every submit_sm_resp to its submit by sequence number and every delivery receipt to its
//! message id (receipts may arrive on any bind, and before the response that names the id), and
//! report throughput, latency percentiles and every status seen.
//!
//! Bounds: per bind, `window` requests in flight; message ids awaiting receipts and receipts
//! awaiting their id are each held up to [`RECEIPT_TRACKING_MAX`] (past it they are counted as
//! untracked); reconnects per bind up to [`RECONNECTS_MAX`]. The run ends by itself: after the
//! count or duration, it waits at most `receipt_wait` for receipts, then unbinds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use smsgw_shared::smpp::pdu::{Bind, Body, MessageIdResp, SubmitSm};
use smsgw_shared::smpp::session::{BindMode, Event, Session, SessionConfig, TimerEvent};
use smsgw_shared::smpp::{CommandStatus, Pdu};
use smsgw_shared::text::Receipt;
use tokio::net::TcpStream;

use crate::load_run::{RunPlan, lock, run_binds};
use crate::mix::{DestPrefix, MessageGenerator, Mix, PartBytes};
use crate::pace::Pacer;
use crate::report::{Protocol, Report, Stats};
use crate::signals::Shutdown;
use crate::wire::Wire;

pub use crate::load_run::RECEIPT_TRACKING_MAX;
/// Reconnects per bind before it gives up.
pub const RECONNECTS_MAX: u32 = 100;

/// When a run stops sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many messages (over all binds; a long message counts once).
    Count(u64),
    /// After this long.
    Duration(Duration),
}

/// Everything a load run needs.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The SMSC or gateway.
    pub to: SocketAddr,
    /// Bind credentials.
    pub system_id: String,
    /// Bind credentials.
    pub password: String,
    /// Connections.
    pub binds: usize,
    /// Requests in flight per bind.
    pub window: usize,
    /// When to stop sending.
    pub stop: Stop,
    /// Messages per second over all binds; `None` is as fast as the windows allow.
    pub rate_per_s: Option<u64>,
    /// 0x33, 0x34 or 0x50.
    pub interface_version: u8,
    /// transmitter or transceiver (receipts need transceiver).
    pub bind_mode: BindMode,
    /// The message mix.
    pub mix: Mix,
    /// Destination prefixes.
    pub prefixes: Vec<DestPrefix>,
    /// source_addr of every submit.
    pub source_addr: String,
    /// Ask for receipts.
    pub registered_delivery: bool,
    /// How long to wait for receipts after the last response.
    pub receipt_wait: Duration,
    /// How long a submit waits for its response.
    pub response_timeout_ms: u64,
    /// Seed of the message generator.
    pub seed: u64,
}

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration cannot work.
    #[error("{0}")]
    Config(String),
    /// No bind could be established.
    #[error("no bind succeeded: {0}")]
    Bind(String),
}

/// Cross-bind state: the budget, run control and receipt matching (keyed by normalised id).
type Shared = crate::load_run::Shared<String>;

/// Runs a load test and returns its report.
pub async fn run(config: LoadConfig, interrupted: Shutdown) -> Result<Report, LoadError> {
    if config.binds == 0 || config.window == 0 {
        return Err(LoadError::Config(
            "binds and window must be at least 1".into(),
        ));
    }
    let shared = Arc::new(Shared::new(config.stop, interrupted));
    let plan = RunPlan {
        protocol: Protocol::Smpp,
        binds: config.binds,
        rate_per_s: config.rate_per_s,
        mix: config.mix,
        prefixes: &config.prefixes,
        seed: config.seed,
        stop: config.stop,
        receipt_wait: config.receipt_wait,
    };
    run_binds(plan, shared.clone(), |generator, pacer| {
        tokio::spawn(run_bind(config.clone(), shared.clone(), generator, pacer))
    })
    .await
}

/// One bind: connect, bind, submit, match, and reconnect after drops.
async fn run_bind(
    config: LoadConfig,
    shared: Arc<Shared>,
    mut generator: MessageGenerator,
    mut pacer: Pacer,
) -> (Stats, Duration) {
    // Stats::new only fails for an invalid histogram range, fixed in report.rs and tested there.
    let Ok(mut stats) = Stats::new(Protocol::Smpp) else {
        return (empty_stats(), Duration::ZERO);
    };
    let mut bind = BindState::default();
    let mut sending_ended = None;
    let mut attempts = 0u32;
    while !shared.finish.load(Ordering::Acquire) && attempts <= RECONNECTS_MAX {
        if attempts > 0 {
            stats.record_reconnect();
            // Exponential backoff, 10 ms to 1 s.
            tokio::time::sleep(Duration::from_millis(10u64 << attempts.min(7))).await;
        }
        attempts += 1;
        let outcome = connection(
            &config,
            &shared,
            &mut generator,
            &mut pacer,
            &mut stats,
            &mut bind,
            &mut sending_ended,
            attempts > 1,
        )
        .await;
        match outcome {
            Outcome::Finished => break,
            Outcome::Refused(reason) => {
                lock(&shared.bind_errors).push(reason);
                break;
            }
            Outcome::Dropped => {}
        }
    }
    // Whatever happened, this bind sends no more.
    if !bind.reported_done {
        shared.binds_done_sending.fetch_add(1, Ordering::AcqRel);
    }
    let ended = sending_ended.unwrap_or_else(|| shared.epoch.elapsed());
    (stats, ended)
}

fn empty_stats() -> Stats {
    // Unreachable in practice (see run_bind); a second failure here has no better answer.
    Stats::new(Protocol::Smpp).unwrap_or_else(|error| panic!("histogram setup: {error}"))
}

/// What survives reconnects on one bind.
#[derive(Default)]
struct BindState {
    /// Parts of the message being sent that are not yet written.
    pending_parts: Vec<PartBytes>,
    pending_destination: String,
    reported_done: bool,
}

enum Outcome {
    /// Done sending, all answered, finish requested.
    Finished,
    /// The connection dropped; reconnect.
    Dropped,
    /// The bind was refused; give up.
    Refused(String),
}

#[allow(clippy::too_many_arguments)]
async fn connection(
    config: &LoadConfig,
    shared: &Arc<Shared>,
    generator: &mut MessageGenerator,
    pacer: &mut Pacer,
    stats: &mut Stats,
    bind: &mut BindState,
    sending_ended: &mut Option<Duration>,
    reconnecting: bool,
) -> Outcome {
    let stream =
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(config.to)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return dropped_or_refused(error.to_string(), reconnecting),
            Err(_) => return dropped_or_refused("connect timed out".into(), reconnecting),
        };
    let Ok(mut wire) = Wire::new(stream, shared.epoch) else {
        return Outcome::Dropped;
    };
    let session_config = SessionConfig {
        window_max: config.window.min(SessionConfig::WINDOW_MAX),
        peer_window_max: 4096,
        response_timeout_ms: config.response_timeout_ms,
        ..SessionConfig::default()
    };
    let bind_body = Bind {
        system_id: config.system_id.as_bytes(),
        password: config.password.as_bytes(),
        system_type: &b""[..],
        interface_version: config.interface_version,
        addr_ton: 0,
        addr_npi: 0,
        address_range: &b""[..],
    };
    let mut session = Session::new_esme(session_config, config.bind_mode, bind_body, wire.now_ms());
    // token → when the submit was written.
    let mut sent_at: HashMap<u64, Instant> = HashMap::with_capacity(config.window);
    let mut next_token = 0u64;
    let mut refused: Option<String> = None;
    loop {
        if session.is_bound() && !shared.finish.load(Ordering::Acquire) {
            fill_window(
                config,
                shared,
                generator,
                pacer,
                stats,
                bind,
                &mut session,
                &mut sent_at,
                &mut next_token,
                &wire,
            );
        }
        if !bind.reported_done
            && bind.pending_parts.is_empty()
            && shared.remaining.load(Ordering::Acquire) == 0
            && session.outstanding_count() == 0
            && session.is_bound()
        {
            bind.reported_done = true;
            *sending_ended = Some(shared.epoch.elapsed());
            shared.binds_done_sending.fetch_add(1, Ordering::AcqRel);
        }
        if shared.finish.load(Ordering::Acquire) && session.is_bound() {
            let _ = session.unbind(wire.now_ms());
        }
        if wire.flush(&mut session).await.is_err() {
            return Outcome::Dropped;
        }
        if session.is_closed() {
            break;
        }
        let now_ms = wire.now_ms();
        let mut wake_ms = session
            .poll_timeout()
            .unwrap_or(now_ms + 100)
            .min(now_ms + 20);
        if session.is_bound()
            && session.window_available() > 0
            && shared.remaining.load(Ordering::Relaxed) > 0
        {
            let wait = pacer.next_ready(shared.epoch.elapsed());
            wake_ms = wake_ms.min(now_ms + wait.as_millis() as u64);
        }
        let deadline = wire.deadline(wake_ms);
        tokio::select! {
            read = wire.read() => match read {
                Ok(true) => {
                    let now_ms = wire.now_ms();
                    wire.frames(|frame| {
                        if let Some(event) = session.handle_frame(frame, now_ms) {
                            on_event(config, shared, stats, &mut session, &mut sent_at, event, &mut refused);
                        }
                    });
                }
                _ => break,
            },
            _ = tokio::time::sleep_until(deadline) => {
                let now_ms = wire.now_ms();
                while let Some(event) = session.handle_timeout(now_ms) {
                    if let TimerEvent::RequestTimedOut(request) = event {
                        sent_at.remove(&request.token);
                        stats.record_timeout();
                    }
                }
            }
        }
    }
    wire.close(&mut session).await;
    // Requests that never got an answer: the connection died under them.
    for request in session.drain_outstanding() {
        sent_at.remove(&request.token);
        stats.record_timeout();
    }
    if let Some(reason) = refused {
        return Outcome::Refused(reason);
    }
    if shared.finish.load(Ordering::Acquire) {
        Outcome::Finished
    } else {
        Outcome::Dropped
    }
}

/// A failed TCP connect: the run cannot start when it is the bind's first, but a server that is
/// briefly down while a dropped bind reconnects is what the backoff is for.
fn dropped_or_refused(reason: String, reconnecting: bool) -> Outcome {
    if reconnecting {
        Outcome::Dropped
    } else {
        Outcome::Refused(reason)
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_window(
    config: &LoadConfig,
    shared: &Shared,
    generator: &mut MessageGenerator,
    pacer: &mut Pacer,
    stats: &mut Stats,
    bind: &mut BindState,
    session: &mut Session,
    sent_at: &mut HashMap<u64, Instant>,
    next_token: &mut u64,
    wire: &Wire,
) {
    // Bounded by the window: each turn queues one PDU or stops.
    while session.window_available() > 0 {
        if bind.pending_parts.is_empty() {
            if !shared.take_one() {
                return;
            }
            if !pacer.try_take(shared.epoch.elapsed()) {
                shared.remaining.fetch_add(1, Ordering::AcqRel);
                return;
            }
            let message = generator.next_message();
            bind.pending_destination = message.destination;
            bind.pending_parts = message.parts;
            bind.pending_parts.reverse();
        }
        let Some(part) = bind.pending_parts.last() else {
            return;
        };
        let body = Body::SubmitSm(SubmitSm {
            source_addr_ton: 5,
            source_addr_npi: 0,
            source_addr: config.source_addr.as_bytes(),
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: bind.pending_destination.as_bytes(),
            esm_class: part.esm_class,
            registered_delivery: u8::from(config.registered_delivery),
            data_coding: part.data_coding,
            short_message: part.short_message.as_slice(),
            ..SubmitSm::default()
        });
        let token = *next_token;
        match session.send_request(body, token, wire.now_ms()) {
            Ok(_) => {
                *next_token += 1;
                sent_at.insert(token, Instant::now());
                stats.record_sent();
                bind.pending_parts.pop();
            }
            Err(_) => return,
        }
    }
}

fn on_event(
    config: &LoadConfig,
    shared: &Shared,
    stats: &mut Stats,
    session: &mut Session,
    sent_at: &mut HashMap<u64, Instant>,
    event: Event<'_>,
    refused: &mut Option<String>,
) {
    match event {
        Event::Response { request, pdu } => {
            let started = sent_at.remove(&request.token);
            let latency = started.map(|at| at.elapsed()).unwrap_or_default();
            stats.record_response(pdu.command_status.0, latency);
            if pdu.command_status.is_ok()
                && config.registered_delivery
                && let Body::SubmitSmResp(resp) = &pdu.body
            {
                let message_id = String::from_utf8_lossy(resp.message_id).into_owned();
                shared.expect_receipt(
                    stats,
                    normalize(&message_id),
                    started.unwrap_or_else(Instant::now),
                );
            }
        }
        Event::MalformedResponse { request, .. } => {
            sent_at.remove(&request.token);
            stats.record_response(CommandStatus::ESME_RUNKNOWNERR.0, Duration::ZERO);
        }
        Event::Request(pdu) => answer_delivery(shared, stats, session, pdu),
        Event::Closed(reason) => {
            if let smsgw_shared::smpp::session::CloseReason::BindRefused(status) = reason {
                *refused = Some(format!("bind refused: {status}"));
            }
        }
        Event::Bound { .. }
        | Event::BindRequest { .. }
        | Event::UnexpectedResponse { .. }
        | Event::Refused { .. } => {}
    }
}

/// Answers a deliver_sm (receipt or MO) and matches receipts to message ids.
fn answer_delivery(shared: &Shared, stats: &mut Stats, session: &mut Session, pdu: Pdu<&[u8]>) {
    let sequence_number = pdu.sequence_number;
    if let Body::DeliverSm(sm) = &pdu.body
        && sm.is_delivery_receipt()
    {
        let id = sm
            .tlvs
            .receipted_message_id()
            .map(|id| String::from_utf8_lossy(id).into_owned())
            .or_else(|| {
                Receipt::parse_bytes(sm.short_message)
                    .ok()
                    .map(|receipt| receipt.id.to_string())
            });
        match id {
            Some(id) => shared.match_receipt(stats, normalize(&id)),
            None => stats.record_receipt(None),
        }
    }
    let response = match pdu.body {
        Body::DataSm(_) => Body::DataSmResp(MessageIdResp::<&[u8]>::default()),
        _ => Body::DeliverSmResp(MessageIdResp::<&[u8]>::default()),
    };
    let _ = session.respond(sequence_number, CommandStatus::ESME_ROK, response);
}

/// Receipt ids are compared case-insensitively and without leading zeros (SMSCs differ).
fn normalize(id: &str) -> String {
    let trimmed = id.trim().trim_start_matches('0');
    trimmed.to_ascii_uppercase()
}
