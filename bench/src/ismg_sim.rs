//! `ismg-sim`: a CMPP 2.0/3.0 ISMG simulator for benchmarks and end-to-end tests, the CMPP twin
//! of [`crate::smsc_sim`].
//!
//! Accepts CMPP_CONNECT from the SPs in `accounts` (Source_Addr → shared secret, MD5
//! authentication both ways: Status 2 for an unknown Source_Addr, 3 for a wrong secret), speaks
//! the lower of the client's version and `version`, answers every SUBMIT with a unique Msg_Id
//! in the V3.0 §8.4.3.2 layout, and for Registered_Delivery 1 sends one status report DELIVER
//! per destination on the same connection (CMPP has no receiver binds) after `dlr_delay_ms`,
//! with Stat from the `dlr_mix`. QUERY gets zero counts and CANCEL fails: the simulator keeps
//! no message store. Every count is an atomic counter, reported as JSON.
//!
//! Faults ([`Faults`], shared with the SMSC simulator): `throttle_every` answers SUBMIT_RESP
//! Result 8 (flow control), `drop_response_every` sends no SUBMIT_RESP, `response_delay_ms`
//! holds every response back, `close_after_pdus` drops the connection without a word, and
//! `refuse_binds_ms` refuses CONNECTs with Status 5 after start. `queue_full_every` has no CMPP
//! code and is ignored.
//!
//! Bounds: `max_connections` connected SPs (more CONNECTs get Status 5); per connection at most
//! [`REPORT_QUEUE_MAX`] status reports waiting for their delay or a window slot, and at most the
//! session's peer window of delayed responses. At every bound the simulator counts what it could
//! not do (`reports_dropped`, `connects_refused`) rather than waiting or growing. Reports still
//! queued when their connection ends are counted as dropped: a real ISMG would deliver them on
//! the SP's next connection, which this simulator does not model.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smsgw_shared::cmpp::session::{Event, Session, SessionConfig, TimerEvent};
use smsgw_shared::cmpp::{
    CancelResp, CancelResult, CmppVersion, ConnectStatus, Deliver, DeliverContent, MsgId, Octets,
    Pdu, QueryResp, StatusReport, Submit, SubmitResp, SubmitResult,
};
use smsgw_shared::frame::FrameLimits;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::mix::DlrMix;
use crate::smsc_sim::Faults;
use crate::wire::Wire;

/// Status reports waiting (for their delay or a window slot) on one connection, at most; more
/// are counted as `reports_dropped`. Cost: about 200 bytes each.
pub const REPORT_QUEUE_MAX: usize = 65_536;

/// Everything the simulator needs.
#[derive(Debug, Clone)]
pub struct IsmgSimConfig {
    /// Addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// Source_Addr (SP_Id) → shared secret. CMPP authentication needs the secret, so there is
    /// no "accept anyone": an unknown Source_Addr is refused with Status 2.
    pub accounts: HashMap<String, String>,
    /// The highest version spoken; a client asking for more gets this one.
    pub version: CmppVersion,
    /// The ISMG code in every Msg_Id, 0..=[`MsgId::ISMG_ID_MAX`].
    pub ismg_id: u32,
    /// Delay before a status report is sent.
    pub dlr_delay_ms: u64,
    /// Stat of the status reports.
    pub dlr_mix: DlrMix,
    /// Injected faults (see the module documentation for what applies to CMPP).
    pub faults: Faults,
    /// Connected SPs at most; more CONNECTs are refused with Status 5.
    pub max_connections: usize,
    /// Session timers and windows.
    pub session: SessionConfig,
}

impl IsmgSimConfig {
    /// A 3.0 simulator on `listen` for `accounts` that answers at once and reports everything.
    pub fn new(listen: Vec<SocketAddr>, accounts: HashMap<String, String>) -> IsmgSimConfig {
        IsmgSimConfig {
            listen,
            accounts,
            version: CmppVersion::V3_0,
            ismg_id: 79_101,
            dlr_delay_ms: 0,
            dlr_mix: DlrMix::default(),
            faults: Faults::default(),
            max_connections: 64,
            session: SessionConfig {
                window_max: 512,
                peer_window_max: 4096,
                response_timeout_ms: 10_000,
                active_test_interval_ms: 30_000,
                idle_timeout_ms: 90_000,
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
    connects_accepted,
    connects_v2_0,
    connects_v3_0,
    connects_refused,
    terminates,
    submits,
    submit_ok,
    throttled,
    responses_dropped,
    connections_closed_by_fault,
    reports_scheduled,
    reports_sent,
    reports_acked,
    reports_dropped,
    deliveries_refused,
    queries,
    cancels,
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
pub struct IsmgSim {
    /// The addresses actually bound (port 0 resolved).
    pub local_addrs: Vec<SocketAddr>,
    /// The live counts.
    pub counters: Arc<Counters>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl IsmgSim {
    /// Binds the listeners and starts serving on the current tokio runtime. Fails on a bad
    /// config (no accounts, an ISMG code over 22 bits, an invalid session config) or a bind
    /// error.
    pub async fn start(config: IsmgSimConfig) -> std::io::Result<IsmgSim> {
        check_config(&config)?;
        let counters = Arc::new(Counters::default());
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            config: config.clone(),
            counters: counters.clone(),
            next_msg_id: AtomicU64::new(1),
            connected: AtomicUsize::new(0),
            epoch: Instant::now(),
        });
        let mut tasks = Vec::new();
        let mut local_addrs = Vec::new();
        for address in &config.listen {
            let listener = TcpListener::bind(address).await?;
            local_addrs.push(listener.local_addr()?);
            tasks.push(tokio::spawn(accept_loop(
                listener,
                shared.clone(),
                stopped.clone(),
            )));
        }
        Ok(IsmgSim {
            local_addrs,
            counters,
            stop,
            tasks,
        })
    }

    /// Stops accepting, terminates every connection politely and waits (bounded) for the
    /// listeners.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

fn check_config(config: &IsmgSimConfig) -> std::io::Result<()> {
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
    if config.accounts.is_empty() {
        return Err(invalid(
            "ismg-sim needs at least one account: CMPP authentication needs the shared secret"
                .into(),
        ));
    }
    if config.ismg_id > MsgId::ISMG_ID_MAX {
        return Err(invalid(format!(
            "ISMG code {} is over the 22-bit maximum {}",
            config.ismg_id,
            MsgId::ISMG_ID_MAX
        )));
    }
    config
        .session
        .validate()
        .map_err(|reason| invalid(format!("session config: {reason}")))
}

struct Shared {
    config: IsmgSimConfig,
    counters: Arc<Counters>,
    next_msg_id: AtomicU64,
    /// Connections past CONNECT and not yet closed.
    connected: AtomicUsize,
    epoch: Instant,
}

impl Shared {
    /// A fresh Msg_Id (unique for about 1.9 × 10^12 ids, then it wraps).
    fn msg_id(&self) -> u64 {
        let counter = self.next_msg_id.fetch_add(1, Ordering::Relaxed);
        msg_id_for(self.config.ismg_id, counter)
    }
}

/// The Msg_Id for the `counter`th id: the counter's low 16 bits are the sequence and the rest
/// counts seconds through an invented calendar (28-day months), so every id has valid fields
/// and ids differ until the calendar wraps after a year of seconds × 65,536.
pub fn msg_id_for(ismg_id: u32, counter: u64) -> u64 {
    let mut rest = counter >> 16;
    let mut take = |modulus: u64| {
        let value = rest % modulus;
        rest /= modulus;
        // Each value is below its modulus (at most 60), so it fits a u8.
        value as u8
    };
    let second = take(60);
    let minute = take(60);
    let hour = take(24);
    let day = take(28) + 1;
    let month = take(12) + 1;
    let fields = MsgId {
        month,
        day,
        hour,
        minute,
        second,
        ismg_id,
        // Truncation intended: the low 16 bits.
        sequence: counter as u16,
    };
    // Every field is in range by construction and ismg_id was checked at start.
    fields.pack().unwrap_or(counter)
}

/// Pause after a failed accept (EMFILE and the like fail at once, again and again).
const ACCEPT_RETRY: Duration = Duration::from_millis(10);

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
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
        shared.counters.add(&shared.counters.connections);
        tokio::spawn(serve_connection(stream, shared.clone(), stopped.clone()));
    }
}

/// One CMPP connection from CONNECT to close.
async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let Ok(mut wire) = Wire::with_limits(stream, shared.epoch, FrameLimits::CMPP) else {
        return;
    };
    let config = &shared.config;
    let mut session = Session::new_ismg(config.session, config.version, wire.now_ms());
    let mut connection = Connection {
        shared: shared.clone(),
        counted_connected: false,
        pdus_received: 0,
        delayed: VecDeque::new(),
        reports: VecDeque::new(),
        next_token: 0,
        abort: false,
    };
    let mut stopping = false;
    loop {
        let next_ms = connection.next_wake_ms(&session);
        let deadline = wire.deadline(next_ms.unwrap_or(wire.now_ms() + 1_000));
        tokio::select! {
            read = wire.read() => match read {
                Ok(true) => {
                    let now_ms = wire.now_ms();
                    wire.frames(|frame| connection.handle_frame(&mut session, frame, now_ms));
                }
                _ => break,
            },
            _ = tokio::time::sleep_until(deadline) => {
                let now_ms = wire.now_ms();
                connection.release_delayed(&mut session, now_ms);
                // Each call removes a request or closes; the bound covers the session's own.
                for _ in 0..=session.outstanding_count() + 2 {
                    match session.handle_timeout(now_ms) {
                        Some(TimerEvent::RequestTimedOut(_)) => {
                            shared.counters.add(&shared.counters.timeouts);
                        }
                        Some(TimerEvent::Closed(_)) => {}
                        None => break,
                    }
                }
            }
            _ = stopped.changed(), if !stopping => {
                stopping = true;
                if session.terminate(wire.now_ms()).is_err() {
                    break; // Not connected: nothing to say goodbye to.
                }
            }
        }
        if connection.abort {
            break; // Fault injection: drop the connection without a word.
        }
        connection.send_due_reports(&mut session, wire.now_ms());
        if wire.flush(&mut session).await.is_err() {
            break;
        }
        if session.is_closed() {
            wire.close(&mut session).await;
            break;
        }
    }
    connection.finish();
}

/// Per-connection state beyond the session.
struct Connection {
    shared: Arc<Shared>,
    /// Whether this connection holds a slot of `max_connections`.
    counted_connected: bool,
    pdus_received: u64,
    /// Responses held back by `response_delay_ms`: (due, Sequence_Id, response).
    delayed: VecDeque<(u64, u32, Pdu<'static>)>,
    /// Status reports waiting for their delay or a window slot: (due, DELIVER).
    reports: VecDeque<(u64, Pdu<'static>)>,
    next_token: u64,
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
            Some(Event::ConnectRequest { source_addr, .. }) => {
                self.handle_connect(session, &source_addr, now_ms);
            }
            Some(Event::Request { sequence_id, pdu }) => {
                self.handle_request(session, sequence_id, &pdu, now_ms);
            }
            Some(Event::Response { pdu, .. }) => match pdu {
                Pdu::DeliverResp(resp) if resp.result.0 == 0 => {
                    counters.add(&counters.reports_acked);
                }
                _ => {
                    counters.add(&counters.deliveries_refused);
                }
            },
            Some(Event::UnexpectedResponse { .. } | Event::MalformedResponse { .. }) => {
                counters.add(&counters.unexpected_responses);
            }
            Some(Event::Refused { .. }) => {
                counters.add(&counters.requests_refused);
            }
            Some(Event::Closed(_)) => {
                counters.add(&counters.terminates);
            }
            Some(Event::Connected { .. }) | None => {}
        }
    }

    fn handle_connect(&mut self, session: &mut Session, source_addr: &[u8], now_ms: u64) {
        let counters = self.shared.counters.clone();
        let config = &self.shared.config;
        let source_addr = String::from_utf8_lossy(source_addr);
        let busy = self.shared.connected.load(Ordering::Acquire) >= config.max_connections;
        let refusal = if now_ms < config.faults.refuse_binds_ms || busy {
            Some(ConnectStatus::OTHER_ERROR)
        } else {
            match config.accounts.get(source_addr.as_ref()) {
                None => Some(ConnectStatus::ILLEGAL_SOURCE_ADDR),
                Some(secret) => {
                    match session.accept_connect(secret.as_bytes(), config.version) {
                        Ok(version) => {
                            self.shared.connected.fetch_add(1, Ordering::AcqRel);
                            self.counted_connected = true;
                            counters.add(&counters.connects_accepted);
                            counters.add(match version {
                                CmppVersion::V2_0 => &counters.connects_v2_0,
                                CmppVersion::V3_0 => &counters.connects_v3_0,
                            });
                        }
                        // Status 3 was sent and the session closed.
                        Err(_) => {
                            counters.add(&counters.connects_refused);
                        }
                    }
                    None
                }
            }
        };
        if let Some(status) = refusal {
            let _ = session.reject_connect(status);
            counters.add(&counters.connects_refused);
        }
    }

    fn handle_request(
        &mut self,
        session: &mut Session,
        sequence_id: u32,
        pdu: &Pdu<'_>,
        now_ms: u64,
    ) {
        let counters = self.shared.counters.clone();
        let response = match pdu {
            Pdu::Submit(submit) => {
                // The index comes from the increment itself, so concurrent connections never
                // share one and every Nth SUBMIT gets exactly one fault.
                let submit_index = counters.add(&counters.submits);
                match self.accept_submit(submit_index, submit, now_ms) {
                    Some(response) => response,
                    None => {
                        counters.add(&counters.responses_dropped);
                        return; // Fault: no response; the session keeps it unanswered.
                    }
                }
            }
            Pdu::Query(query) => {
                counters.add(&counters.queries);
                Pdu::QueryResp(QueryResp {
                    time: query.time.clone().into_owned(),
                    query_type: query.query_type,
                    query_code: query.query_code.clone().into_owned(),
                    ..QueryResp::default()
                })
            }
            Pdu::Cancel(_) => {
                counters.add(&counters.cancels);
                Pdu::CancelResp(CancelResp {
                    success_id: CancelResult::FAILURE,
                })
            }
            // The session hands an ISMG only SUBMIT, QUERY and CANCEL.
            other => unreachable!("ISMG session handed up {:?}", other.command_id()),
        };
        let delay = self.shared.config.faults.response_delay_ms;
        if delay > 0 {
            self.delayed
                .push_back((now_ms + delay, sequence_id, response));
        } else {
            let _ = session.respond(sequence_id, &response);
        }
    }

    /// Decides the fate of SUBMIT number `submit_index` (1-based; faults first) and schedules
    /// its status reports; `None` means no response at all.
    fn accept_submit(
        &mut self,
        submit_index: u64,
        submit: &Submit<'_>,
        now_ms: u64,
    ) -> Option<Pdu<'static>> {
        let counters = self.shared.counters.clone();
        let faults = self.shared.config.faults;
        if faults.drop_response_every > 0 && submit_index.is_multiple_of(faults.drop_response_every)
        {
            return None;
        }
        if faults.throttle_every > 0 && submit_index.is_multiple_of(faults.throttle_every) {
            counters.add(&counters.throttled);
            return Some(Pdu::SubmitResp(SubmitResp {
                msg_id: 0,
                result: SubmitResult::FLOW_CONTROL_ERROR,
            }));
        }
        counters.add(&counters.submit_ok);
        let msg_id = self.shared.msg_id();
        if submit.registered_delivery == 1 {
            for destination in submit.dest_terminal_id.iter() {
                self.schedule_report(submit, msg_id, destination, now_ms);
            }
        }
        Some(Pdu::SubmitResp(SubmitResp {
            msg_id,
            result: SubmitResult::OK,
        }))
    }

    fn schedule_report(
        &mut self,
        submit: &Submit<'_>,
        msg_id: u64,
        destination: &[u8],
        now_ms: u64,
    ) {
        let counters = &self.shared.counters;
        if self.reports.len() >= REPORT_QUEUE_MAX {
            counters.add(&counters.reports_dropped);
            return;
        }
        let sequence = counters.reports_scheduled.fetch_add(1, Ordering::Relaxed);
        let stat = self.shared.config.dlr_mix.stat_at(sequence, 0);
        let report = Deliver {
            // The DELIVER's own id; the report inside names the SUBMIT's.
            msg_id: self.shared.msg_id(),
            dest_id: submit.src_id.clone().into_owned(),
            service_id: submit.service_id.clone().into_owned(),
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: 0,
            src_terminal_id: Octets::from(destination.to_vec()),
            src_terminal_type: 0,
            content: DeliverContent::StatusReport(StatusReport {
                msg_id,
                stat: Octets::from(stat.as_str().as_bytes().to_vec()),
                submit_time: Octets::from(&REPORT_TIME[..]),
                done_time: Octets::from(&REPORT_TIME[..]),
                dest_terminal_id: Octets::from(destination.to_vec()),
                // Truncation intended: SMSC_sequence is a 4-octet reference.
                smsc_sequence: sequence as u32,
            }),
            reserved: Octets::EMPTY,
            link_id: Octets::EMPTY,
        };
        self.reports.push_back((
            now_ms + self.shared.config.dlr_delay_ms,
            Pdu::Deliver(report),
        ));
    }

    /// Sends the reports that are due, while the window has room.
    fn send_due_reports(&mut self, session: &mut Session, now_ms: u64) {
        let counters = self.shared.counters.clone();
        // Bounded by the window: each turn sends one report or stops.
        while session.is_connected() && session.window_available() > 0 {
            if self.reports.front().is_none_or(|(due, _)| *due > now_ms) {
                return;
            }
            let Some((due, report)) = self.reports.pop_front() else {
                return;
            };
            self.next_token += 1;
            match session.send_request(&report, self.next_token, now_ms) {
                Ok(_) => {
                    counters.add(&counters.reports_sent);
                }
                Err(smsgw_shared::cmpp::session::SendError::TransmitFull) => {
                    self.reports.push_front((due, report));
                    return;
                }
                Err(_) => {
                    counters.add(&counters.reports_dropped);
                }
            }
        }
    }

    fn release_delayed(&mut self, session: &mut Session, now_ms: u64) {
        while self
            .delayed
            .front()
            .is_some_and(|(due, _, _)| *due <= now_ms)
        {
            if let Some((_, sequence_id, response)) = self.delayed.pop_front() {
                let _ = session.respond(sequence_id, &response);
            }
        }
    }

    /// The next time something is due: a session timer, a delayed response, or a report (when
    /// the window could take it).
    fn next_wake_ms(&self, session: &Session) -> Option<u64> {
        let report = self
            .reports
            .front()
            .filter(|_| session.is_connected() && session.window_available() > 0)
            .map(|(due, _)| *due);
        [
            session.poll_timeout(),
            self.delayed.front().map(|(due, _, _)| *due),
            report,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Releases the connection's slot and counts the reports it will never send.
    fn finish(&mut self) {
        if self.counted_connected {
            self.shared.connected.fetch_sub(1, Ordering::AcqRel);
            self.counted_connected = false;
        }
        let counters = &self.shared.counters;
        counters
            .reports_dropped
            .fetch_add(self.reports.len() as u64, Ordering::Relaxed);
        self.reports.clear();
    }
}

/// Submit_time and Done_time of every report (YYMMDDHHMM): the simulator has no calendar.
const REPORT_TIME: [u8; 10] = *b"2611221200";

#[cfg(test)]
mod tests {
    use super::*;

    // Proves Msg_Ids are unique over a long run of counters (across the 16-bit sequence wrap)
    // and carry the configured ISMG code in the spec's layout.
    #[test]
    fn msg_ids_are_unique_and_carry_the_ismg_code() {
        let mut seen = std::collections::HashSet::new();
        for counter in (0..200_000u64).chain([u64::from(u32::MAX), 1 << 40]) {
            let msg_id = msg_id_for(79_101, counter);
            assert!(seen.insert(msg_id), "counter={counter}");
            let fields = MsgId::unpack(msg_id);
            assert_eq!(fields.ismg_id, 79_101);
            assert_eq!(fields.sequence, counter as u16);
            assert!((1..=12).contains(&fields.month));
            assert!((1..=28).contains(&fields.day));
        }
    }

    // Proves a config without accounts or with an ISMG code over 22 bits is refused with a
    // message naming the problem.
    #[test]
    fn bad_configs_are_refused_with_a_reason() {
        let listen = vec!["127.0.0.1:0".parse().unwrap()];
        let empty = IsmgSimConfig::new(listen.clone(), HashMap::new());
        assert!(
            check_config(&empty)
                .unwrap_err()
                .to_string()
                .contains("account")
        );
        let accounts = HashMap::from([("901234".to_string(), "secret".to_string())]);
        let mut wide = IsmgSimConfig::new(listen, accounts);
        wide.ismg_id = MsgId::ISMG_ID_MAX + 1;
        assert!(
            check_config(&wide)
                .unwrap_err()
                .to_string()
                .contains("22-bit")
        );
        wide.ismg_id = MsgId::ISMG_ID_MAX;
        assert!(check_config(&wide).is_ok());
    }
}
