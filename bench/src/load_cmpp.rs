//! `load --protocol cmpp`: the CMPP 2.0/3.0 load generator, the twin of [`crate::load`].
//!
//! `binds` connections, each an SP session that authenticates with CMPP_CONNECT (MD5 of the SP
//! id, the shared secret and the current UTC time as MMDDHHMMSS) and keeps a sliding window of
//! CMPP_SUBMITs, send the configured mix at a target rate (or as fast as the windows allow)
//! until a count or a duration is reached. Each SUBMIT_RESP is matched to its SUBMIT by
//! Sequence_Id (the session's token) and its Result recorded as the status; each status report
//! (a DELIVER with Registered_Delivery 1) is answered with DELIVER_RESP and matched to the
//! Msg_Id its SUBMIT_RESP gave. Reports may arrive on any connection and before the response
//! that names the id.
//!
//! Mapping from the message mix (SMPP-shaped parts, see [`crate::mix`]): data_coding 0 (GSM
//! 7-bit, one septet per octet) is sent as Msg_Fmt 0 (ASCII), because the samples use only
//! characters whose GSM and ASCII codes agree (tested below); Msg_Fmt 15 would be GB-coded
//! Chinese, which they are not. data_coding 8 is Msg_Fmt 8 (UCS2); others pass through. A
//! long message is sent as Pk_total parts numbered by Pk_number, each with TP_udhi 1 and its
//! concatenation UDH at the start of Msg_Content.
//!
//! Bounds: per connection, `window` requests in flight; Msg_Ids awaiting reports and reports
//! awaiting their Msg_Id are each held up to [`crate::load_run::RECEIPT_TRACKING_MAX`] (past it they are counted
//! as unmatched); reconnects per connection up to [`RECONNECTS_MAX`]. The run ends by itself:
//! after the count or duration it waits at most `receipt_wait` for reports, then terminates.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use smsgw_shared::cmpp::session::{
    CloseReason, Event, SendError, Session, SessionConfig, SpConnect, TimerEvent,
};
use smsgw_shared::cmpp::{
    CmppVersion, ConnectStatus, DeliverContent, DeliverResp, DeliverResult, Octets, Pdu, Submit,
    TerminalIds, timestamp,
};
use smsgw_shared::frame::FrameLimits;
use tokio::net::TcpStream;

use crate::load::{LoadError, RECONNECTS_MAX, Stop};
use crate::load_run::{RunPlan, lock, run_binds};
use crate::mix::{DestPrefix, MessageGenerator, Mix, PartBytes};
use crate::pace::Pacer;
use crate::report::{Protocol, Report, Stats};
use crate::signals::Shutdown;
use crate::wire::Wire;

/// The status recorded for a SUBMIT_RESP that could not be decoded: outside every Result the
/// spec defines, so it shows up as its own line in the report.
pub const RESULT_MALFORMED: u32 = u32::MAX;

/// Everything a CMPP load run needs.
#[derive(Debug, Clone)]
pub struct LoadCmppConfig {
    /// The ISMG or gateway.
    pub to: SocketAddr,
    /// The SP_Id: CONNECT's Source_Addr and every SUBMIT's Msg_src (at most 6 characters).
    pub source_addr: String,
    /// The shared secret (hashed, never sent).
    pub shared_secret: String,
    /// The version to ask for; the server may answer with a lower one.
    pub version: CmppVersion,
    /// Connections.
    pub binds: usize,
    /// Requests in flight per connection.
    pub window: usize,
    /// When to stop sending.
    pub stop: Stop,
    /// Messages per second over all connections; `None` is as fast as the windows allow.
    pub rate_per_s: Option<u64>,
    /// The message mix.
    pub mix: Mix,
    /// Destination prefixes.
    pub prefixes: Vec<DestPrefix>,
    /// Src_Id of every SUBMIT: the SP's service code shown as the sender (at most 21).
    pub src_id: String,
    /// Service_Id of every SUBMIT (at most 10).
    pub service_id: String,
    /// Ask for status reports (Registered_Delivery 1).
    pub registered_delivery: bool,
    /// How long to wait for status reports after the last response.
    pub receipt_wait: Duration,
    /// How long a SUBMIT waits for its response.
    pub response_timeout_ms: u64,
    /// Seed of the message generator.
    pub seed: u64,
}

impl LoadCmppConfig {
    /// Checks what the CMPP fields can carry, before any connection is made.
    pub fn validate(&self) -> Result<(), LoadError> {
        if self.binds == 0 || self.window == 0 {
            return Err(LoadError::Config(
                "binds and window must be at least 1".into(),
            ));
        }
        let fields = [
            ("source_addr (SP id)", &self.source_addr, SOURCE_ADDR_SIZE),
            ("src_id", &self.src_id, SRC_ID_SIZE),
            ("service_id", &self.service_id, SERVICE_ID_SIZE),
        ];
        for (name, value, max) in fields {
            if value.len() > max {
                return Err(LoadError::Config(format!(
                    "CMPP {name} {value:?} is {} octets; the field holds {max}",
                    value.len()
                )));
            }
        }
        if self.response_timeout_ms == 0 {
            return Err(LoadError::Config(
                "response_timeout_ms must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Runs a CMPP load test and returns its report.
pub async fn run(config: LoadCmppConfig, interrupted: Shutdown) -> Result<Report, LoadError> {
    config.validate()?;
    let shared = Arc::new(Shared::new(config.stop, interrupted));
    let plan = RunPlan {
        protocol: Protocol::Cmpp,
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

/// The Timestamp field for a CONNECT at `unix_s` seconds since 1970, in UTC.
pub fn timestamp_at(unix_s: u64) -> u32 {
    let days = unix_s / 86_400;
    let second_of_day = unix_s % 86_400;
    let (month, day) = month_day(days);
    // Each part is below 60 (or 24), so it fits a u8.
    let hour = (second_of_day / 3_600) as u8;
    let minute = (second_of_day / 60 % 60) as u8;
    let second = (second_of_day % 60) as u8;
    // month_day returns a real calendar date, so every field is in range.
    timestamp(month, day, hour, minute, second).unwrap_or(101_000_000)
}

/// Month and day of the `days`th day after 1970-01-01 (the proleptic Gregorian calendar, by
/// Howard Hinnant's `civil_from_days`).
fn month_day(days: u64) -> (u8, u8) {
    let z = days + 719_468;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    // month is 1..=12 and day 1..=31 by construction.
    (month as u8, day as u8)
}

/// Cross-connection state: the budget, run control and report matching by Msg_Id.
type Shared = crate::load_run::Shared<u64>;

/// One connection slot: connect, submit, match, and reconnect after drops (at most
/// [`RECONNECTS_MAX`] times).
async fn run_bind(
    config: LoadCmppConfig,
    shared: Arc<Shared>,
    mut generator: MessageGenerator,
    mut pacer: Pacer,
) -> (Stats, Duration) {
    // Stats::new only fails for an invalid histogram range, fixed in report.rs and tested there.
    let Ok(mut stats) = Stats::new(Protocol::Cmpp) else {
        return (empty_stats(), Duration::ZERO);
    };
    let mut bind = BindState::default();
    let mut attempts = 0u32;
    while !shared.finish.load(Ordering::Acquire) && attempts <= RECONNECTS_MAX {
        if attempts > 0 {
            stats.record_reconnect();
            // Exponential backoff, 10 ms to about 1 s.
            tokio::time::sleep(Duration::from_millis(10u64 << attempts.min(7))).await;
        }
        attempts += 1;
        let mut run = Run {
            config: &config,
            shared: &shared,
            generator: &mut generator,
            pacer: &mut pacer,
            stats: &mut stats,
            bind: &mut bind,
            reconnecting: attempts > 1,
        };
        match run.connection().await {
            Outcome::Finished => break,
            Outcome::Refused(reason) => {
                lock(&shared.bind_errors).push(reason);
                break;
            }
            Outcome::Dropped => {}
        }
    }
    // Whatever happened, this connection sends no more.
    if !bind.reported_done {
        shared.binds_done_sending.fetch_add(1, Ordering::AcqRel);
    }
    let ended = bind.sending_ended.unwrap_or_else(|| shared.epoch.elapsed());
    (stats, ended)
}

fn empty_stats() -> Stats {
    // Unreachable in practice (see run_bind); a second failure here has no better answer.
    Stats::new(Protocol::Cmpp).unwrap_or_else(|error| panic!("histogram setup: {error}"))
}

/// What survives reconnects on one connection slot.
#[derive(Default)]
struct BindState {
    /// Parts of the message being sent that are not yet written, last part first.
    pending_parts: Vec<PartBytes>,
    /// Parts of that message in all (Pk_total).
    pending_total: u8,
    pending_destination: String,
    reported_done: bool,
    sending_ended: Option<Duration>,
}

enum Outcome {
    /// Done sending, all answered, finish requested.
    Finished,
    /// The connection dropped; reconnect.
    Dropped,
    /// The CONNECT was refused or the ISMG failed authentication; give up.
    Refused(String),
}

/// One connection's borrowed context.
struct Run<'r> {
    config: &'r LoadCmppConfig,
    shared: &'r Shared,
    generator: &'r mut MessageGenerator,
    pacer: &'r mut Pacer,
    stats: &'r mut Stats,
    bind: &'r mut BindState,
    /// A failed TCP connect ends the bind only on its first connection; a reconnect retries.
    reconnecting: bool,
}

/// One connection's own state.
struct Link {
    session: Session,
    /// token → when the SUBMIT was written.
    sent_at: HashMap<u64, Instant>,
    next_token: u64,
    refused: Option<String>,
}

impl Run<'_> {
    /// One TCP connection from connect to close. Each turn of the loop waits for a read or a
    /// timer at most 20 ms away, and the session's timers bound how long it can stay open.
    async fn connection(&mut self) -> Outcome {
        let connect = TcpStream::connect(self.config.to);
        let stream = match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(_)) | Err(_) if self.reconnecting => return Outcome::Dropped,
            Ok(Err(error)) => return Outcome::Refused(format!("connect: {error}")),
            Err(_) => return Outcome::Refused("connect timed out".into()),
        };
        let Ok(mut wire) = Wire::with_limits(stream, self.shared.epoch, FrameLimits::CMPP) else {
            return Outcome::Dropped;
        };
        let response_timeout_ms = self.config.response_timeout_ms;
        let session_config = SessionConfig {
            window_max: self.config.window.min(SessionConfig::WINDOW_MAX),
            peer_window_max: 4096,
            response_timeout_ms,
            active_test_interval_ms: 30_000,
            idle_timeout_ms: 30_000 + 3 * response_timeout_ms,
            ..SessionConfig::default()
        };
        let unix_s = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let connect = SpConnect {
            source_addr: self.config.source_addr.as_bytes(),
            shared_secret: self.config.shared_secret.as_bytes(),
            version: self.config.version,
            timestamp: timestamp_at(unix_s),
        };
        let session = match Session::new_sp(session_config, connect, wire.now_ms()) {
            Ok(session) => session,
            Err(error) => return Outcome::Refused(format!("CONNECT: {error}")),
        };
        let mut link = Link {
            session,
            sent_at: HashMap::with_capacity(self.config.window),
            next_token: 0,
            refused: None,
        };
        loop {
            self.turn(&mut link, &wire);
            if wire.flush(&mut link.session).await.is_err() {
                break;
            }
            if link.session.is_closed() {
                break;
            }
            let deadline = wire.deadline(self.wake_ms(&link, wire.now_ms()));
            tokio::select! {
                read = wire.read() => match read {
                    Ok(true) => {
                        let now_ms = wire.now_ms();
                        wire.frames(|frame| {
                            if let Some(event) = link.session.handle_frame(frame, now_ms) {
                                self.on_event(&mut link, event);
                            }
                        });
                    }
                    _ => break,
                },
                _ = tokio::time::sleep_until(deadline) => {
                    self.on_timers(&mut link, wire.now_ms());
                }
            }
        }
        wire.close(&mut link.session).await;
        // Requests that never got an answer: the connection died under them.
        for request in link.session.drain_outstanding() {
            link.sent_at.remove(&request.token);
            self.stats.record_timeout();
        }
        if let Some(reason) = link.refused {
            return Outcome::Refused(reason);
        }
        if self.shared.finish.load(Ordering::Acquire) {
            Outcome::Finished
        } else {
            Outcome::Dropped
        }
    }

    /// Fills the window, reports this slot done when it is, and starts TERMINATE at the end.
    fn turn(&mut self, link: &mut Link, wire: &Wire) {
        let finish = self.shared.finish.load(Ordering::Acquire);
        if link.session.is_connected() && !finish {
            self.fill_window(link, wire.now_ms());
        }
        let bind = &mut *self.bind;
        if !bind.reported_done
            && bind.pending_parts.is_empty()
            && self.shared.remaining.load(Ordering::Acquire) == 0
            && link.session.is_connected()
            && link.sent_at.is_empty()
        {
            bind.reported_done = true;
            bind.sending_ended = Some(self.shared.epoch.elapsed());
            self.shared
                .binds_done_sending
                .fetch_add(1, Ordering::AcqRel);
        }
        if finish && link.session.is_connected() {
            let _ = link.session.terminate(wire.now_ms());
        }
    }

    /// When to wake without input: the session's next timer, the pacer's next token, and at
    /// most 20 ms away so the shared run state is seen promptly.
    fn wake_ms(&self, link: &Link, now_ms: u64) -> u64 {
        let mut wake_ms = link
            .session
            .poll_timeout()
            .unwrap_or(now_ms + 100)
            .min(now_ms + 20);
        if link.session.is_connected()
            && link.session.window_available() > 0
            && self.shared.remaining.load(Ordering::Relaxed) > 0
        {
            let wait = self.pacer.next_ready(self.shared.epoch.elapsed());
            wake_ms = wake_ms.min(now_ms + wait.as_millis() as u64);
        }
        wake_ms
    }

    fn on_timers(&mut self, link: &mut Link, now_ms: u64) {
        // Each call removes a request or closes; the bound covers the session's own requests.
        for _ in 0..=link.session.outstanding_count() + 2 {
            match link.session.handle_timeout(now_ms) {
                Some(TimerEvent::RequestTimedOut(request)) => {
                    link.sent_at.remove(&request.token);
                    self.stats.record_timeout();
                }
                Some(TimerEvent::Closed(_)) => {}
                None => break,
            }
        }
    }

    /// Queues SUBMITs while the window, the budget and the pacer allow; each turn of the loop
    /// queues one part or stops, so the window bounds it.
    fn fill_window(&mut self, link: &mut Link, now_ms: u64) {
        while link.session.window_available() > 0 {
            if self.bind.pending_parts.is_empty() {
                if !self.shared.take_one() {
                    return;
                }
                if !self.pacer.try_take(self.shared.epoch.elapsed()) {
                    self.shared.remaining.fetch_add(1, Ordering::AcqRel);
                    return;
                }
                let message = self.generator.next_message();
                self.bind.pending_destination = message.destination;
                self.bind.pending_total = u8::try_from(message.parts.len()).unwrap_or(u8::MAX);
                self.bind.pending_parts = message.parts;
                self.bind.pending_parts.reverse();
            }
            let Some(part) = self.bind.pending_parts.last() else {
                return;
            };
            // pending_parts is never longer than pending_total, so this is 1..=pending_total.
            let pk_number = self
                .bind
                .pending_total
                .saturating_sub(u8::try_from(self.bind.pending_parts.len()).unwrap_or(u8::MAX))
                + 1;
            let destination = [Octets::borrowed(self.bind.pending_destination.as_bytes())];
            let submit = submit_part(
                self.config,
                part,
                self.bind.pending_total,
                pk_number,
                &destination,
            );
            let token = link.next_token;
            match link
                .session
                .send_request(&Pdu::Submit(submit), token, now_ms)
            {
                Ok(_) => {
                    link.next_token += 1;
                    link.sent_at.insert(token, Instant::now());
                    self.stats.record_sent();
                    self.bind.pending_parts.pop();
                }
                Err(SendError::WindowFull { .. } | SendError::TransmitFull) => return,
                Err(error) => {
                    // Fields were validated up front, so this is a bug in the mapping: stop
                    // the run rather than spin on a part that can never be sent.
                    lock(&self.shared.bind_errors).push(format!("SUBMIT: {error}"));
                    self.shared.finish.store(true, Ordering::Release);
                    self.bind.pending_parts.clear();
                    return;
                }
            }
        }
    }

    fn on_event(&mut self, link: &mut Link, event: Event<'_>) {
        match event {
            Event::Response { request, pdu } => {
                let started = link.sent_at.remove(&request.token);
                let latency = started.map(|at| at.elapsed()).unwrap_or_default();
                if let Pdu::SubmitResp(resp) = pdu {
                    self.stats.record_response(resp.result.0, latency);
                    if resp.result.0 == 0 && self.config.registered_delivery {
                        self.expect_receipt(resp.msg_id, started.unwrap_or_else(Instant::now));
                    }
                }
            }
            Event::MalformedResponse { request, .. } => {
                if link.sent_at.remove(&request.token).is_some() {
                    self.stats.record_response(RESULT_MALFORMED, Duration::ZERO);
                }
            }
            Event::Request { sequence_id, pdu } => {
                let Pdu::Deliver(deliver) = pdu else {
                    return; // An SP session hands up only DELIVER.
                };
                if let DeliverContent::StatusReport(report) = &deliver.content {
                    self.match_receipt(report.msg_id);
                }
                let answer = Pdu::DeliverResp(DeliverResp {
                    msg_id: deliver.msg_id,
                    result: DeliverResult::OK,
                });
                let _ = link.session.respond(sequence_id, &answer);
            }
            Event::Closed(reason) => link.refused = refusal_reason(reason),
            Event::Connected { .. }
            | Event::ConnectRequest { .. }
            | Event::UnexpectedResponse { .. }
            | Event::Refused { .. } => {}
        }
    }

    /// Records that `msg_id` expects a report, matching a report that arrived first.
    fn expect_receipt(&mut self, msg_id: u64, submitted: Instant) {
        self.shared.expect_receipt(self.stats, msg_id, submitted);
    }

    /// Matches a status report to its Msg_Id (or keeps it until its SUBMIT_RESP arrives).
    fn match_receipt(&mut self, msg_id: u64) {
        self.shared.match_receipt(self.stats, msg_id);
    }
}

/// The SUBMIT for one part (see the module documentation for the mapping).
fn submit_part<'a>(
    config: &'a LoadCmppConfig,
    part: &'a PartBytes,
    pk_total: u8,
    pk_number: u8,
    destination: &'a [Octets<'a>],
) -> Submit<'a> {
    Submit {
        pk_total,
        pk_number,
        registered_delivery: u8::from(config.registered_delivery),
        service_id: Octets::borrowed(config.service_id.as_bytes()),
        tp_udhi: u8::from(part.esm_class & ESM_CLASS_UDHI != 0),
        msg_fmt: msg_fmt(part.data_coding),
        msg_src: Octets::borrowed(config.source_addr.as_bytes()),
        fee_type: Octets::borrowed(FEE_TYPE_FREE),
        fee_code: Octets::borrowed(FEE_CODE_ZERO),
        src_id: Octets::borrowed(config.src_id.as_bytes()),
        dest_terminal_id: TerminalIds::from_slice(destination),
        msg_content: Octets::borrowed(&part.short_message),
        ..Submit::default()
    }
}

/// Msg_Fmt for an SMPP data_coding of the mix: GSM 7-bit default alphabet (0, unpacked, whose
/// samples are ASCII: tested) is ASCII (0), UCS2 (8) is UCS2 (8), and anything else goes as
/// binary (4), because the other codes differ between the protocols (SMPP 3 is Latin-1, CMPP 3
/// a SIM card write).
pub fn msg_fmt(data_coding: u8) -> u8 {
    match data_coding {
        DATA_CODING_GSM7 => MSG_FMT_ASCII,
        DATA_CODING_UCS2 => MSG_FMT_UCS2,
        _ => MSG_FMT_BINARY,
    }
}

/// Why a close ends the run for this connection slot, or `None` when it is worth reconnecting.
fn refusal_reason(reason: CloseReason) -> Option<String> {
    match reason {
        CloseReason::ConnectRefused(status) => {
            let hint = match status {
                ConnectStatus::ILLEGAL_SOURCE_ADDR => "unknown Source_Addr (SP id)",
                ConnectStatus::AUTH_ERROR => "wrong shared secret, or clocks too far apart",
                ConnectStatus::VERSION_TOO_HIGH => "version too high; try --cmpp-version 2.0",
                _ => "refused",
            };
            let name = status.name().unwrap_or("other error");
            Some(format!(
                "CONNECT refused with Status {} ({name}): {hint}",
                status.0
            ))
        }
        CloseReason::AuthenticatorIsmgMismatch => Some(
            "the ISMG failed authentication: AuthenticatorISMG does not match the shared secret"
                .into(),
        ),
        _ => None,
    }
}

/// CMPP field sizes the config is checked against (V3.0 §8.4.1, §8.4.3).
const SOURCE_ADDR_SIZE: usize = 6;
const SRC_ID_SIZE: usize = 21;
const SERVICE_ID_SIZE: usize = 10;
/// FeeType "01": free of charge.
const FEE_TYPE_FREE: &[u8] = b"01";
/// FeeCode "000000": no fee, in fen.
const FEE_CODE_ZERO: &[u8] = b"000000";
const DATA_CODING_GSM7: u8 = 0;
const DATA_CODING_UCS2: u8 = 8;
const MSG_FMT_ASCII: u8 = 0;
const MSG_FMT_UCS2: u8 = 8;
const MSG_FMT_BINARY: u8 = 4;
/// The SMPP esm_class UDHI bit the mix sets on parts that start with a UDH.
const ESM_CLASS_UDHI: u8 = 0x40;

#[cfg(test)]
mod tests {
    use smsgw_shared::cmpp::{ConnectTimestamp, decode, encode};
    use smsgw_shared::text::gsm7;

    use super::*;
    use crate::mix::Kind;

    fn config() -> LoadCmppConfig {
        LoadCmppConfig {
            to: "127.0.0.1:7890".parse().unwrap(),
            source_addr: "901234".into(),
            shared_secret: "secret".into(),
            version: CmppVersion::V3_0,
            binds: 1,
            window: 1,
            stop: Stop::Count(1),
            rate_per_s: None,
            mix: "gsm=40,ucs2=30,long=30".parse().unwrap(),
            prefixes: vec!["86138".parse().unwrap()],
            src_id: "1069001".into(),
            service_id: "MTEST".into(),
            registered_delivery: true,
            receipt_wait: Duration::from_secs(1),
            response_timeout_ms: 1_000,
            seed: 3,
        }
    }

    // Proves Msg_Fmt 0 (ASCII) is honest for the GSM samples: every GSM part's text, decoded
    // as unpacked GSM 7-bit, equals the same octets read as ASCII.
    #[test]
    fn gsm_samples_are_ascii_so_msg_fmt_0_is_honest() {
        let mut generator = MessageGenerator::new(config().mix, config().prefixes, 3, 0).unwrap();
        let mut checked = 0;
        for _ in 0..100 {
            let message = generator.next_message();
            if message.kind == Kind::Ucs2 {
                assert_eq!(msg_fmt(message.parts[0].data_coding), 8);
                continue;
            }
            for part in &message.parts {
                assert_eq!(msg_fmt(part.data_coding), 0);
                let udh_size = if part.esm_class & ESM_CLASS_UDHI != 0 {
                    usize::from(part.short_message[0]) + 1
                } else {
                    0
                };
                let text = &part.short_message[udh_size..];
                assert!(text.is_ascii());
                assert_eq!(
                    gsm7::decode_unpacked(text).unwrap(),
                    std::str::from_utf8(text).unwrap()
                );
                checked += 1;
            }
        }
        assert!(checked > 50);
    }

    // Proves every part of every mix kind becomes a SUBMIT that encodes and decodes in both
    // versions, with Pk_total/Pk_number counting the parts and TP_udhi set on long parts.
    #[test]
    fn parts_become_valid_submits_in_both_versions() {
        let config = config();
        let mut generator =
            MessageGenerator::new(config.mix, config.prefixes.clone(), 3, 0).unwrap();
        for _ in 0..30 {
            let message = generator.next_message();
            let total = message.parts.len() as u8;
            let destination = [Octets::borrowed(message.destination.as_bytes())];
            for (index, part) in message.parts.iter().enumerate() {
                let submit = submit_part(&config, part, total, index as u8 + 1, &destination);
                for version in CmppVersion::ALL {
                    let mut frame = Vec::new();
                    encode(&Pdu::Submit(submit.clone()), 1, version, &mut frame).unwrap();
                    let (_, Pdu::Submit(decoded)) = decode(&frame, version).unwrap() else {
                        panic!()
                    };
                    assert_eq!(decoded.pk_total, total);
                    assert_eq!(decoded.pk_number, index as u8 + 1);
                    assert_eq!(decoded.tp_udhi, u8::from(total > 1));
                    assert_eq!(decoded.registered_delivery, 1);
                }
            }
        }
    }

    // Proves the CONNECT timestamp is the UTC calendar time as MMDDHHMMSS, across a leap day
    // and a year end.
    #[test]
    fn timestamps_follow_the_utc_calendar() {
        assert_eq!(timestamp_at(0), 101_000_000); // 1970-01-01 00:00:00
        assert_eq!(timestamp_at(1_700_000_000), 1_114_221_320); // 2023-11-14 22:13:20
        assert_eq!(timestamp_at(1_709_164_800), 229_000_000); // 2024-02-29 00:00:00
        assert_eq!(timestamp_at(1_735_689_599), 1_231_235_959); // 2024-12-31 23:59:59
        for unix_s in (0..4_000_000_000u64).step_by(9_999_991) {
            assert!(ConnectTimestamp::from_u32(timestamp_at(unix_s)).is_ok());
        }
    }

    // Proves fields CMPP cannot carry are refused before any connection, naming the field.
    #[test]
    fn over_long_fields_are_refused_up_front() {
        assert!(config().validate().is_ok());
        let error = LoadCmppConfig {
            source_addr: "9012345".into(),
            ..config()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(error.contains("source_addr"), "{error}");
        let error = LoadCmppConfig {
            src_id: "1".repeat(22),
            ..config()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(error.contains("src_id"), "{error}");
    }
}
