//! `ussd-sim`: an operator's USSD gateway speaking SMPP v3.4, for benchmarks and end-to-end tests
//! of smsgw's USSD path.
//!
//! In production smsgw binds to the operator's USSD gateway as an ESME, so the simulator is the
//! SMPP server (SMSC role). It accepts transceiver, receiver and transmitter binds (optionally
//! checking passwords per system_id) and, over the receiving binds, dials subscriber sessions
//! towards the application:
//!
//! 1. deliver_sm from the subscriber's MSISDN (`msisdn_first` + the session's index, so distinct
//!    per session) to `service_code`, short_message = the service code, `ussd_service_op` = 1
//!    (PSSR indication) and `its_session_info` = (session number, sequence 0).
//! 2. The application answers with submit_sm or data_sm to that MSISDN, with the same session
//!    number and `ussd_service_op` = 2 (USSR request: a menu, expects a reply) or 17 (PSSR
//!    response: the final text). Answers are matched by (destination_addr, session number) on
//!    any bind; the application's source_addr and sequence number are not checked.
//! 3. After a menu the subscriber thinks for `think_ms`, then sends deliver_sm with
//!    `ussd_service_op` = 18 (USSR confirm) and the next answer of `script` (cycling), its
//!    its_session_info sequence one above the previous deliver_sm's. A PSSR response completes
//!    the session.
//!
//! Values are SMPP v3.4 §5.3.2.44 (`ussd_service_op`) and §5.3.2.43 (`its_session_info`: octet 1
//! session number; octet 2 bits 7..1 sequence number, bit 0 end of session).
//!
//! Abandon: SMPP v3.4 has no release operation (20-31 are reserved, 32-255 vendor-specific), so a
//! subscriber who hangs up is the deliver_sm the menu was waiting for, `ussd_service_op` = 18
//! (USSR confirm), with an empty short_message and the end-of-session bit set; no reply is
//! expected and none is awaited. Every Nth session (`abandon_every`) does this at its first menu.
//! The session counts as abandoned once the application acknowledges that deliver_sm (or the
//! step timeout passes), so an application that saw it is always done with it.
//!
//! A step the application does not answer within `step_timeout_ms` of its deliver_sm being
//! written (or handed to a bind, if it never gets written) ends the session as timed out; it is
//! dropped without a word, as a network drops a dialogue when its MAP timer fires, and a late
//! answer is refused like any unmatched one.
//! A deliver_sm the application refuses (non-zero deliver_sm_resp) ends the session as failed.
//!
//! Answers the simulator cannot place are counted in `unexpected_pdus` and refused:
//! a missing `ussd_service_op` or `its_session_info` with `ESME_RMISSINGOPTPARAM`; an operation
//! other than 2 and 17 with `ESME_RINVOPTPARAMVAL`; no session with that subscriber and session
//! number awaiting an answer with `ESME_RINVDSTADR`; any other request with its failure status.
//! Binds below SMPP 3.4 are refused (`ESME_RBINDFAIL`): they cannot carry the TLVs.
//!
//! Measures the step latency (deliver_sm written → the application's answer read) in an HDR
//! histogram, and counts everything in atomic [`Counters`]; [`UssdSim::report_json`] returns both
//! as one JSON object.
//!
//! Bounds: at most `concurrency` sessions exist at once (the session table and the reply queue
//! are sized for that many at start, and insertions assert the bound); at most `max_binds` bound
//! connections; per receiving connection a delivery queue of `concurrency` entries; deliver_sm in
//! flight per bind at most the session window. A full queue is never waited on: the step stays
//! in the table and is offered again at the driver's next turn. Each driver turn starts at most
//! [`STARTS_PER_TURN_MAX`] sessions and sends at most [`REPLIES_PER_TURN_MAX`] replies. A
//! timed-out session's slot is freed by a deadline scan at most 100 ms late (an answer after the
//! deadline is refused at once, whatever the scan).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Map, Value, json};
use smsgw_shared::smpp::pdu::{
    Bind, Body, INTERFACE_VERSION_34, MessageIdResp, SubmitMultiResp, SubmitSm, empty_response,
};
use smsgw_shared::smpp::session::{BindMode, Event, Session, SessionConfig, TimerEvent};
use smsgw_shared::smpp::tlv::tag;
use smsgw_shared::smpp::{CommandId, CommandStatus, Pdu, Tlvs};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::cli::{
    ADDRESS_LEN_MAX, BINDS_MAX, CONCURRENCY_MAX, DELAY_MS_MAX, RESPONSE_TIMEOUT_MS_MAX,
    SCRIPT_CHOICE_LEN_MAX, SCRIPT_STEPS_MAX, SESSIONS_MAX,
};
use crate::report::{LATENCY_SIGNIFICANT_DIGITS, LATENCY_US_MAX, LATENCY_US_MIN, Percentiles};
use crate::wire::Wire;

/// `ussd_service_op` values (SMPP v3.4 §5.3.2.44); 4-15 and 20-31 are reserved, 32-255
/// vendor-specific.
pub mod ussd_service_op {
    /// PSSD indication.
    pub const PSSD_INDICATION: u8 = 0;
    /// PSSR indication: the subscriber dialled a service code.
    pub const PSSR_INDICATION: u8 = 1;
    /// USSR request: the application sends a menu and expects a reply.
    pub const USSR_REQUEST: u8 = 2;
    /// USSN request: the application sends a notification.
    pub const USSN_REQUEST: u8 = 3;
    /// PSSD response.
    pub const PSSD_RESPONSE: u8 = 16;
    /// PSSR response: the application's final text; the session ends.
    pub const PSSR_RESPONSE: u8 = 17;
    /// USSR confirm: the subscriber's reply to a menu.
    pub const USSR_CONFIRM: u8 = 18;
    /// USSN confirm.
    pub const USSN_CONFIRM: u8 = 19;
}

/// The value of the `its_session_info` TLV (SMPP v3.4 §5.3.2.43).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItsSessionInfo {
    /// Octet 1: the session number.
    pub session_number: u8,
    /// Octet 2, bits 7..1: the sequence number of the dialogue unit, 0 to
    /// [`ItsSessionInfo::SEQUENCE_NUMBER_MAX`].
    pub sequence_number: u8,
    /// Octet 2, bit 0: the end-of-session indicator.
    pub end_of_session: bool,
}

impl ItsSessionInfo {
    /// The largest sequence number: seven bits.
    pub const SEQUENCE_NUMBER_MAX: u8 = 0x7F;

    /// The two octets on the wire.
    pub fn to_octets(self) -> [u8; 2] {
        assert!(
            self.sequence_number <= Self::SEQUENCE_NUMBER_MAX,
            "sequence_number={}",
            self.sequence_number
        );
        [
            self.session_number,
            (self.sequence_number << 1) | u8::from(self.end_of_session),
        ]
    }

    /// Reads the two octets on the wire (every value is valid).
    pub fn from_octets(octets: [u8; 2]) -> ItsSessionInfo {
        ItsSessionInfo {
            session_number: octets[0],
            sequence_number: octets[1] >> 1,
            end_of_session: octets[1] & 1 == 1,
        }
    }

    /// Reads the TLV from a PDU's TLVs, if present (decoding checked its two octets).
    pub fn from_tlvs<B: AsRef<[u8]>>(tlvs: &Tlvs<B>) -> Option<ItsSessionInfo> {
        let octets = tlvs.its_session_info()?.first_chunk::<2>()?;
        Some(ItsSessionInfo::from_octets(*octets))
    }
}

/// Everything the simulator needs. [`UssdSimConfig::new`] gives a small, quick run.
#[derive(Debug, Clone)]
pub struct UssdSimConfig {
    /// Addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// system_id → password; empty accepts any credentials.
    pub accounts: HashMap<String, String>,
    /// What the subscribers dial: destination_addr and text of the PSSR indication (at most
    /// [`ADDRESS_LEN_MAX`] characters, the SMPP address limit).
    pub service_code: String,
    /// Sessions to run in total, 1 to [`SESSIONS_MAX`].
    pub sessions: u64,
    /// Sessions open at once, 1 to [`CONCURRENCY_MAX`]: the size of the session table.
    pub concurrency: usize,
    /// The subscriber's answers to successive menus, cycling; 1 to [`SCRIPT_STEPS_MAX`] answers of
    /// 1 to [`SCRIPT_CHOICE_LEN_MAX`] printable ASCII characters.
    pub script: Vec<String>,
    /// How long the subscriber thinks before answering a menu, up to [`DELAY_MS_MAX`].
    pub think_ms: u64,
    /// Every Nth session (N ≥ 1) is abandoned at its first menu; `None` abandons none.
    pub abandon_every: Option<u64>,
    /// How long the application may take to answer a step, 1 to [`RESPONSE_TIMEOUT_MS_MAX`].
    pub step_timeout_ms: u64,
    /// The first subscriber's MSISDN; session i (0-based) dials from `msisdn_first + i`, which
    /// must stay within 15 digits (E.164).
    pub msisdn_first: u64,
    /// Bound connections at most, 1 to [`BINDS_MAX`]; more binds get `ESME_RBINDFAIL`.
    pub max_binds: usize,
    /// Session timers and windows.
    pub session: SessionConfig,
}

impl UssdSimConfig {
    /// A simulator on `listen` for `*144#`: 100 sessions, 10 at once, script "1", no thinking,
    /// no abandons, a 10 s step timeout.
    pub fn new(listen: Vec<SocketAddr>) -> UssdSimConfig {
        UssdSimConfig {
            listen,
            accounts: HashMap::new(),
            service_code: "*144#".to_owned(),
            sessions: 100,
            concurrency: 10,
            script: vec!["1".to_owned()],
            think_ms: 0,
            abandon_every: None,
            step_timeout_ms: 10_000,
            msisdn_first: 254_700_000_001,
            max_binds: 64,
            session: SessionConfig {
                peer_window_max: 4096,
                window_max: 512,
                ..SessionConfig::default()
            },
        }
    }

    /// Checks every field and returns every problem found.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut errors = Vec::new();
        if self.listen.is_empty() {
            errors.push(ConfigError::ListenEmpty);
        }
        let code = &self.service_code;
        if code.is_empty() || code.len() > ADDRESS_LEN_MAX || !is_printable(code) {
            errors.push(ConfigError::ServiceCode(code.clone()));
        }
        check_range(&mut errors, "sessions", self.sessions, 1, SESSIONS_MAX);
        check_range(
            &mut errors,
            "concurrency",
            self.concurrency as u64,
            1,
            CONCURRENCY_MAX_U64,
        );
        check_range(&mut errors, "think_ms", self.think_ms, 0, DELAY_MS_MAX);
        check_range(
            &mut errors,
            "step_timeout_ms",
            self.step_timeout_ms,
            1,
            RESPONSE_TIMEOUT_MS_MAX,
        );
        check_range(
            &mut errors,
            "max_binds",
            self.max_binds as u64,
            1,
            BINDS_MAX as u64,
        );
        if let Some(every) = self.abandon_every {
            check_range(&mut errors, "abandon_every", every, 1, u64::MAX);
        }
        self.validate_script(&mut errors);
        let msisdn_last = self
            .msisdn_first
            .checked_add(self.sessions.saturating_sub(1));
        if self.msisdn_first == 0 || msisdn_last.is_none_or(|last| last > MSISDN_MAX) {
            errors.push(ConfigError::MsisdnRange {
                msisdn_first: self.msisdn_first,
                sessions: self.sessions,
            });
        }
        if let Err(rule) = self.session.validate() {
            errors.push(ConfigError::Session(rule));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errors))
        }
    }

    fn validate_script(&self, errors: &mut Vec<ConfigError>) {
        if self.script.is_empty() || self.script.len() > SCRIPT_STEPS_MAX {
            errors.push(ConfigError::ScriptSteps(self.script.len()));
        }
        for choice in &self.script {
            if choice.is_empty() || choice.len() > SCRIPT_CHOICE_LEN_MAX || !is_printable(choice) {
                errors.push(ConfigError::ScriptChoice(choice.clone()));
            }
        }
    }
}

/// One bad configuration field: which, what it was, what it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No listen address.
    #[error("listen: at least one address is needed")]
    ListenEmpty,
    /// A service code the deliver_sm destination_addr cannot carry.
    #[error("service_code {0:?}: must be 1 to {ADDRESS_LEN_MAX} printable ASCII characters")]
    ServiceCode(String),
    /// A number outside its range.
    #[error("{field} = {got}: must be {min} to {max}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        got: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// A script with no answers or too many.
    #[error("script has {0} answers: must have 1 to {SCRIPT_STEPS_MAX}")]
    ScriptSteps(usize),
    /// A script answer that is empty, too long or not printable.
    #[error("script answer {0:?}: must be 1 to {SCRIPT_CHOICE_LEN_MAX} printable ASCII characters")]
    ScriptChoice(String),
    /// MSISDNs that do not fit 15 digits.
    #[error(
        "msisdn_first = {msisdn_first} with {sessions} sessions: every MSISDN must be 1 to \
         {MSISDN_MAX}"
    )]
    MsisdnRange {
        /// The first MSISDN.
        msisdn_first: u64,
        /// The sessions, one MSISDN each.
        sessions: u64,
    },
    /// Session timers or windows that break a rule of the session.
    #[error("session: {0}")]
    Session(&'static str),
}

/// Every bad field of a configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, error) in self.0.iter().enumerate() {
            if position > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum UssdSimError {
    /// The configuration is invalid (operator error).
    #[error("invalid ussd-sim configuration: {0}")]
    Config(#[from] ConfigErrors),
    /// A listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The latency histogram could not be created.
    #[error("cannot create the step latency histogram: {0}")]
    Histogram(#[from] hdrhistogram::CreationError),
}

macro_rules! counters {
    ($($name:ident),* $(,)?) => {
        /// The simulator's counts, updated by every connection and the driver.
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
                Value::Object(self.to_map())
            }

            fn to_map(&self) -> Map<String, Value> {
                let mut object = Map::new();
                $(object.insert(
                    stringify!($name).to_owned(),
                    json!(self.$name.load(Ordering::Relaxed)),
                );)*
                object
            }
        }
    };
}

counters!(
    connections,
    binds_accepted,
    binds_refused,
    unbinds,
    sessions_started,
    sessions_completed,
    sessions_abandoned,
    sessions_timed_out,
    sessions_failed,
    sessions_active_max,
    steps_answered,
    menus,
    steps_over_max,
    deliveries_sent,
    deliveries_acked,
    deliveries_refused,
    deliveries_timed_out,
    deliveries_stale,
    deliveries_dropped,
    unexpected_pdus,
    requests_refused,
    unexpected_responses,
);

impl Counters {
    fn add(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A running simulator.
///
/// Call contract: [`UssdSim::start`] on a tokio runtime; the gateway binds to
/// [`UssdSim::local_addrs`]; [`UssdSim::wait_done`] until every session finished (or a time
/// limit); [`UssdSim::report_json`] for the numbers; [`UssdSim::stop`] to unbind and end.
pub struct UssdSim {
    /// The addresses actually bound (port 0 resolved).
    pub local_addrs: Vec<SocketAddr>,
    /// The live counts.
    pub counters: Arc<Counters>,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl UssdSim {
    /// Checks the configuration, binds the listeners and starts serving on the current tokio
    /// runtime. Sessions start as soon as a receiving bind is up.
    pub async fn start(config: UssdSimConfig) -> Result<UssdSim, UssdSimError> {
        config.validate()?;
        let counters = Arc::new(Counters::default());
        let (stop, stopped) = watch::channel(false);
        let core = Core::new(&config)?;
        let shared = Arc::new(Shared {
            context: Context {
                scan_period_ms: (config.step_timeout_ms / 8).clamp(1, SCAN_PERIOD_MS_MAX),
                config,
                counters: counters.clone(),
                done: watch::Sender::new(false),
                epoch: Instant::now(),
            },
            core: Mutex::new(core),
            driver: Notify::new(),
            next_connection_id: AtomicU64::new(0),
            next_message_id: AtomicU64::new(0),
        });
        let mut tasks = Vec::new();
        let mut local_addrs = Vec::new();
        for &address in &shared.context.config.listen {
            let listener = TcpListener::bind(address)
                .await
                .map_err(|source| UssdSimError::Listen { address, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| UssdSimError::Listen { address, source })?;
            local_addrs.push(local);
            tasks.push(tokio::spawn(accept_loop(
                listener,
                shared.clone(),
                stopped.clone(),
            )));
        }
        tasks.push(tokio::spawn(driver(shared.clone(), stopped)));
        Ok(UssdSim {
            local_addrs,
            counters,
            shared,
            stop,
            tasks,
        })
    }

    /// Waits until every session has finished (completed, abandoned, timed out or failed), at
    /// most `timeout`; returns whether they all did.
    pub async fn wait_done(&self, timeout: Duration) -> bool {
        let mut done = self.shared.context.done.subscribe();
        let waited = tokio::time::timeout(timeout, done.wait_for(|done| *done)).await;
        matches!(waited, Ok(Ok(_)))
    }

    /// The counters, the open sessions and the step latency percentiles as one JSON object.
    pub fn report_json(&self) -> Value {
        let mut report = self.counters.to_map();
        let (active, latency) = {
            let core = self.shared.core();
            (core.dialogues.len(), percentiles(&core.step_latency_us))
        };
        let elapsed_s = self.shared.context.epoch.elapsed().as_secs_f64();
        report.insert("sessions_active".to_owned(), json!(active));
        report.insert("step_latency_count".to_owned(), json!(latency.count));
        report.insert("step_p50_us".to_owned(), json!(latency.p50_us));
        report.insert("step_p90_us".to_owned(), json!(latency.p90_us));
        report.insert("step_p99_us".to_owned(), json!(latency.p99_us));
        report.insert("step_max_us".to_owned(), json!(latency.max_us));
        report.insert("elapsed_s".to_owned(), json!(elapsed_s));
        Value::Object(report)
    }

    /// Step latency percentiles so far, in microseconds.
    pub fn step_latency(&self) -> Percentiles {
        percentiles(&self.shared.core().step_latency_us)
    }

    /// Stops starting sessions and accepting binds, unbinds every connection politely and waits
    /// (bounded) for the tasks. Sessions still open stay counted as active.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(STOP_WAIT, task).await;
        }
    }
}

/// What the connections, the driver and the handle share read-only.
struct Context {
    config: UssdSimConfig,
    counters: Arc<Counters>,
    /// Set once every session has finished.
    done: watch::Sender<bool>,
    epoch: Instant,
    /// How often the driver looks for steps past their deadline.
    scan_period_ms: u64,
}

impl Context {
    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn msisdn(&self, index: u64) -> String {
        (self.config.msisdn_first + index).to_string()
    }

    /// The session index of an MSISDN of this run.
    fn session_index(&self, address: &[u8]) -> Option<u64> {
        if address.is_empty() || address.len() > MSISDN_DIGITS_MAX {
            return None;
        }
        let mut msisdn = 0u64;
        for &digit in address {
            if !digit.is_ascii_digit() {
                return None;
            }
            msisdn = msisdn * 10 + u64::from(digit - b'0');
        }
        let index = msisdn.checked_sub(self.config.msisdn_first)?;
        (index < self.config.sessions).then_some(index)
    }

    /// A subscriber's deliver_sm (the TLVs fit their definitions; the addresses and text were
    /// checked by [`UssdSimConfig::validate`]).
    fn subscriber_pdu(
        &self,
        index: u64,
        info: ItsSessionInfo,
        op: u8,
        text: &[u8],
    ) -> Body<Vec<u8>> {
        let mut tlvs = Tlvs::new();
        let _ = tlvs.push_u8(tag::ussd_service_op, op);
        let _ = tlvs.push(tag::its_session_info, &info.to_octets());
        Body::DeliverSm(SubmitSm {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: self.msisdn(index).into_bytes(),
            dest_addr_ton: 0,
            dest_addr_npi: 1,
            destination_addr: self.config.service_code.as_bytes().to_vec(),
            short_message: text.to_vec(),
            tlvs,
            ..SubmitSm::default()
        })
    }
}

struct Shared {
    context: Context,
    core: Mutex<Core>,
    /// Wakes the driver: a slot freed, a reply became due, a receiver bound.
    driver: Notify,
    next_connection_id: AtomicU64,
    next_message_id: AtomicU64,
}

impl Shared {
    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while holding this lock would be a simulator bug; keep counting anyway.
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One subscriber session (a USSD dialogue) while it is open.
#[derive(Debug)]
struct Dialogue {
    session_number: u8,
    /// The sequence number of the last deliver_sm handed to a bind.
    sequence_number: u8,
    /// Menus (USSR requests) received so far.
    menus: u32,
    /// The bind that carried the last deliver_sm: the next one goes there if it can.
    connection_id: u64,
    step: Step,
}

/// What an open dialogue waits for.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The application's answer to deliver_sm `sequence_number`.
    AwaitingAnswer {
        dispatched_us: u64,
        sent_us: Option<u64>,
        deadline_ms: u64,
    },
    /// The subscriber's reply, due at `due_ms` (in the reply queue).
    Thinking { due_ms: u64, reply: Reply },
    /// The application's deliver_sm_resp to the abandoning deliver_sm.
    AwaitingRelease { deadline_ms: u64 },
}

#[derive(Debug, Clone, Copy)]
enum Reply {
    /// A USSR confirm with the script's answer at this index (modulo its length).
    Confirm { choice_index: u32 },
    /// The subscriber hangs up.
    Abandon,
}

/// How a dialogue ended.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Completed,
    Abandoned,
    TimedOut,
    Failed,
}

/// A deliver_sm for one connection to send.
#[derive(Debug)]
struct Delivery {
    index: u64,
    sequence_number: u8,
    pdu: Body<Vec<u8>>,
}

/// An answer from the application, parsed.
#[derive(Debug, Clone, Copy)]
struct Answer {
    index: u64,
    session_number: u8,
    op: u8,
}

/// How a driver turn left a queue of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// Nothing more can be done now.
    Idle,
    /// The per-turn budget ran out with work left.
    Budget,
    /// No receiving bind had room.
    Blocked,
}

/// The sessions and the receiving binds, under one lock.
struct Core {
    /// Open dialogues by session index; at most `concurrency`.
    dialogues: HashMap<u64, Dialogue>,
    /// Session indices of the dialogues in [`Step::Thinking`], in due order (all share one
    /// think time); exactly those dialogues, so at most `concurrency`.
    replies: VecDeque<u64>,
    /// Receiving connections and their delivery queues; at most `max_binds`.
    receivers: Vec<(u64, mpsc::Sender<Delivery>)>,
    receiver_next: usize,
    /// Bound connections of any mode.
    binds: usize,
    /// Sessions started so far.
    started: u64,
    step_latency_us: Histogram<u64>,
    scan_due_ms: u64,
    /// Reused by the deadline scan.
    expired: Vec<(u64, Outcome)>,
}

impl Core {
    fn new(config: &UssdSimConfig) -> Result<Core, hdrhistogram::CreationError> {
        Ok(Core {
            dialogues: HashMap::with_capacity(config.concurrency),
            replies: VecDeque::with_capacity(config.concurrency),
            receivers: Vec::with_capacity(config.max_binds),
            receiver_next: 0,
            binds: 0,
            started: 0,
            step_latency_us: Histogram::new_with_bounds(
                LATENCY_US_MIN,
                LATENCY_US_MAX,
                LATENCY_SIGNIFICANT_DIGITS,
            )?,
            scan_due_ms: 0,
            expired: Vec::with_capacity(config.concurrency),
        })
    }

    /// One driver turn: ends steps past their deadline, sends due replies, starts sessions.
    /// Returns when the driver should run again (milliseconds on the simulator's clock).
    fn turn(&mut self, context: &Context, now_us: u64) -> u64 {
        let now_ms = now_us / 1_000;
        if now_ms >= self.scan_due_ms {
            self.expire(context, now_ms);
            self.scan_due_ms = now_ms + context.scan_period_ms;
        }
        let replies = self.send_replies(context, now_us);
        let starts = self.start_sessions(context, now_us);
        let mut next_ms = now_ms + IDLE_WAKE_MS;
        if self.dialogues.len() > self.replies.len() {
            next_ms = next_ms.min(self.scan_due_ms); // Someone awaits the application.
        }
        for progress in [replies, starts] {
            match progress {
                Progress::Budget => next_ms = now_ms,
                Progress::Blocked => next_ms = next_ms.min(now_ms + BLOCKED_RETRY_MS),
                Progress::Idle => {}
            }
        }
        if replies == Progress::Idle
            && let Some(Step::Thinking { due_ms, .. }) = self.front_reply_step()
        {
            next_ms = next_ms.min(due_ms);
        }
        next_ms
    }

    fn front_reply_step(&self) -> Option<Step> {
        let index = self.replies.front()?;
        self.dialogues.get(index).map(|dialogue| dialogue.step)
    }

    /// Starts sessions while slots and sessions remain and a receiving bind has room.
    fn start_sessions(&mut self, context: &Context, now_us: u64) -> Progress {
        let config = &context.config;
        for _ in 0..STARTS_PER_TURN_MAX {
            if self.started >= config.sessions || self.dialogues.len() >= config.concurrency {
                return Progress::Idle;
            }
            let index = self.started;
            // Distinct MSISDNs keep sessions apart; the number only has to be stable per session.
            let session_number = (index % 256) as u8;
            let info = ItsSessionInfo {
                session_number,
                sequence_number: 0,
                end_of_session: false,
            };
            let code = config.service_code.as_bytes();
            let pdu = context.subscriber_pdu(index, info, ussd_service_op::PSSR_INDICATION, code);
            let delivery = Delivery {
                index,
                sequence_number: 0,
                pdu,
            };
            let Some(connection_id) = self.offer(None, delivery) else {
                return Progress::Blocked;
            };
            let dialogue = Dialogue {
                session_number,
                sequence_number: 0,
                menus: 0,
                connection_id,
                step: awaiting_answer(context, now_us),
            };
            assert!(self.dialogues.len() < config.concurrency);
            let previous = self.dialogues.insert(index, dialogue);
            assert!(previous.is_none(), "index={index}");
            self.started += 1;
            let counters = &context.counters;
            counters.add(&counters.sessions_started);
            let active = self.dialogues.len() as u64;
            counters
                .sessions_active_max
                .fetch_max(active, Ordering::Relaxed);
        }
        Progress::Budget
    }

    /// Sends the subscriber replies that are due, in order.
    fn send_replies(&mut self, context: &Context, now_us: u64) -> Progress {
        let now_ms = now_us / 1_000;
        for _ in 0..REPLIES_PER_TURN_MAX {
            let Some(&index) = self.replies.front() else {
                return Progress::Idle;
            };
            let Some(dialogue) = self.dialogues.get(&index) else {
                unreachable!("a queued reply's dialogue is open: index={index}");
            };
            let Step::Thinking { due_ms, reply } = dialogue.step else {
                unreachable!("a queued reply's dialogue is thinking: {dialogue:?}");
            };
            if due_ms > now_ms {
                return Progress::Idle;
            }
            let preferred = dialogue.connection_id;
            let delivery = reply_delivery(context, index, dialogue, reply);
            let sequence_number = delivery.sequence_number;
            let Some(connection_id) = self.offer(Some(preferred), delivery) else {
                return Progress::Blocked;
            };
            self.replies.pop_front();
            let Some(dialogue) = self.dialogues.get_mut(&index) else {
                unreachable!("looked up above under the same lock");
            };
            dialogue.sequence_number = sequence_number;
            dialogue.connection_id = connection_id;
            dialogue.step = match reply {
                Reply::Confirm { .. } => awaiting_answer(context, now_us),
                Reply::Abandon => Step::AwaitingRelease {
                    deadline_ms: now_ms + context.config.step_timeout_ms,
                },
            };
        }
        Progress::Budget
    }

    /// Ends every dialogue whose deadline passed.
    fn expire(&mut self, context: &Context, now_ms: u64) {
        let mut expired = std::mem::take(&mut self.expired);
        expired.clear();
        for (&index, dialogue) in &self.dialogues {
            match dialogue.step {
                Step::AwaitingAnswer { deadline_ms, .. } if now_ms > deadline_ms => {
                    expired.push((index, Outcome::TimedOut));
                }
                Step::AwaitingRelease { deadline_ms } if now_ms > deadline_ms => {
                    expired.push((index, Outcome::Abandoned));
                }
                // Either way: a thinking subscriber waits on us, not on the application.
                Step::AwaitingAnswer { .. }
                | Step::AwaitingRelease { .. }
                | Step::Thinking { .. } => {}
            }
        }
        for &(index, outcome) in &expired {
            self.finish(context, index, outcome);
        }
        self.expired = expired;
    }

    /// Offers a delivery to `preferred` first, then to every receiving bind round-robin;
    /// returns the connection that took it, or `None` (the delivery dropped: the caller keeps
    /// the step and builds it again next turn) when none had room.
    fn offer(&mut self, preferred: Option<u64>, delivery: Delivery) -> Option<u64> {
        let mut delivery = delivery;
        if let Some(preferred) = preferred
            && let Some((id, sender)) = self.receivers.iter().find(|(id, _)| *id == preferred)
        {
            match sender.try_send(delivery) {
                Ok(()) => return Some(*id),
                Err(error) => delivery = error.into_inner(),
            }
        }
        let count = self.receivers.len();
        for offset in 0..count {
            let position = (self.receiver_next + offset) % count;
            let (id, sender) = &self.receivers[position];
            match sender.try_send(delivery) {
                Ok(()) => {
                    self.receiver_next = position + 1;
                    return Some(*id);
                }
                Err(error) => delivery = error.into_inner(),
            }
        }
        None
    }

    /// A connection is about to write deliver_sm `sequence_number` of session `index`: stamps
    /// the step's start. False when the dialogue moved on or ended (do not send it).
    fn mark_sent(
        &mut self,
        context: &Context,
        index: u64,
        sequence_number: u8,
        now_us: u64,
    ) -> bool {
        let Some(dialogue) = self.dialogues.get_mut(&index) else {
            return false;
        };
        if dialogue.sequence_number != sequence_number {
            return false;
        }
        match &mut dialogue.step {
            Step::AwaitingAnswer {
                sent_us: sent_us @ None,
                deadline_ms,
                ..
            } => {
                *sent_us = Some(now_us);
                *deadline_ms = now_us / 1_000 + context.config.step_timeout_ms;
                true
            }
            Step::AwaitingRelease { deadline_ms } => {
                *deadline_ms = now_us / 1_000 + context.config.step_timeout_ms;
                true
            }
            // Either way: sent already (a duplicate), or the subscriber is thinking again.
            Step::AwaitingAnswer { .. } | Step::Thinking { .. } => false,
        }
    }

    /// The application answered deliver_sm `sequence_number` of session `index` with `ok`.
    fn delivery_answered(&mut self, context: &Context, index: u64, sequence_number: u8, ok: bool) {
        let Some(dialogue) = self.dialogues.get(&index) else {
            return;
        };
        if dialogue.sequence_number != sequence_number {
            return;
        }
        match dialogue.step {
            Step::AwaitingRelease { .. } => self.finish(context, index, Outcome::Abandoned),
            Step::AwaitingAnswer { .. } if !ok => self.finish(context, index, Outcome::Failed),
            // Either way: accepted and still awaiting the answer, or answered already.
            Step::AwaitingAnswer { .. } | Step::Thinking { .. } => {}
        }
    }

    /// Places an application answer in its dialogue; the error is the status to refuse it with.
    fn handle_answer(
        &mut self,
        context: &Context,
        answer: Answer,
        now_us: u64,
    ) -> Result<(), CommandStatus> {
        let now_ms = now_us / 1_000;
        let Some(dialogue) = self.dialogues.get(&answer.index) else {
            return Err(NO_DIALOGUE);
        };
        let Step::AwaitingAnswer {
            dispatched_us,
            sent_us,
            deadline_ms,
        } = dialogue.step
        else {
            return Err(NO_DIALOGUE);
        };
        if dialogue.session_number != answer.session_number {
            return Err(NO_DIALOGUE);
        }
        if now_ms > deadline_ms {
            self.finish(context, answer.index, Outcome::TimedOut);
            return Err(NO_DIALOGUE);
        }
        let counters = &context.counters;
        counters.add(&counters.steps_answered);
        let latency_us = now_us.saturating_sub(sent_us.unwrap_or(dispatched_us));
        self.step_latency_us
            .saturating_record(latency_us.clamp(LATENCY_US_MIN, LATENCY_US_MAX));
        match answer.op {
            ussd_service_op::PSSR_RESPONSE => {
                self.finish(context, answer.index, Outcome::Completed);
            }
            ussd_service_op::USSR_REQUEST => self.handle_menu(context, answer.index, now_ms),
            other => unreachable!("read_answer passes only menus and final texts: {other}"),
        }
        Ok(())
    }

    /// A menu arrived: the subscriber thinks, then confirms a choice or hangs up.
    fn handle_menu(&mut self, context: &Context, index: u64, now_ms: u64) {
        let counters = &context.counters;
        counters.add(&counters.menus);
        let Some(dialogue) = self.dialogues.get_mut(&index) else {
            unreachable!("handle_answer found it under the same lock");
        };
        if dialogue.sequence_number >= ItsSessionInfo::SEQUENCE_NUMBER_MAX {
            counters.add(&counters.steps_over_max);
            self.finish(context, index, Outcome::Failed);
            return;
        }
        dialogue.menus += 1;
        let abandons = context
            .config
            .abandon_every
            .is_some_and(|every| (index + 1).is_multiple_of(every));
        let reply = if abandons && dialogue.menus == 1 {
            Reply::Abandon
        } else {
            Reply::Confirm {
                choice_index: dialogue.menus - 1,
            }
        };
        dialogue.step = Step::Thinking {
            due_ms: now_ms + context.config.think_ms,
            reply,
        };
        assert!(self.replies.len() < context.config.concurrency);
        self.replies.push_back(index);
    }

    /// Closes a dialogue and counts how it ended.
    fn finish(&mut self, context: &Context, index: u64, outcome: Outcome) {
        let removed = self.dialogues.remove(&index);
        let Some(dialogue) = removed else {
            unreachable!("finish is called for open dialogues: index={index}");
        };
        // A thinking dialogue is in the reply queue, and only the reply sender ends it.
        assert!(
            !matches!(dialogue.step, Step::Thinking { .. }),
            "{dialogue:?}"
        );
        let counters = &context.counters;
        let counter = match outcome {
            Outcome::Completed => &counters.sessions_completed,
            Outcome::Abandoned => &counters.sessions_abandoned,
            Outcome::TimedOut => &counters.sessions_timed_out,
            Outcome::Failed => &counters.sessions_failed,
        };
        counters.add(counter);
        if self.started == context.config.sessions && self.dialogues.is_empty() {
            context.done.send_replace(true);
        }
    }

    fn register(&mut self, connection_id: u64, sender: mpsc::Sender<Delivery>) {
        self.receivers.push((connection_id, sender));
    }

    fn unregister(&mut self, connection_id: u64, bound: bool) {
        self.receivers.retain(|(id, _)| *id != connection_id);
        if bound {
            self.binds -= 1;
        }
    }
}

fn awaiting_answer(context: &Context, now_us: u64) -> Step {
    Step::AwaitingAnswer {
        dispatched_us: now_us,
        sent_us: None,
        deadline_ms: now_us / 1_000 + context.config.step_timeout_ms,
    }
}

/// The deliver_sm of a subscriber's reply to a menu.
fn reply_delivery(context: &Context, index: u64, dialogue: &Dialogue, reply: Reply) -> Delivery {
    let sequence_number = dialogue.sequence_number + 1;
    let (text, end_of_session) = match reply {
        Reply::Confirm { choice_index } => {
            let script = &context.config.script;
            let choice = &script[choice_index as usize % script.len()];
            (choice.as_bytes(), false)
        }
        Reply::Abandon => (&b""[..], true),
    };
    let info = ItsSessionInfo {
        session_number: dialogue.session_number,
        sequence_number,
        end_of_session,
    };
    Delivery {
        index,
        sequence_number,
        pdu: context.subscriber_pdu(index, info, ussd_service_op::USSR_CONFIRM, text),
    }
}

fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    if histogram.is_empty() {
        return Percentiles::default();
    }
    Percentiles {
        count: histogram.len(),
        p50_us: histogram.value_at_quantile(0.50),
        p90_us: histogram.value_at_quantile(0.90),
        p99_us: histogram.value_at_quantile(0.99),
        p999_us: histogram.value_at_quantile(0.999),
        max_us: histogram.max(),
    }
}

/// Runs the driver turns until stopped.
async fn driver(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let context = &shared.context;
    loop {
        let next_ms = shared.core().turn(context, context.now_us());
        let deadline =
            tokio::time::Instant::from_std(context.epoch) + Duration::from_millis(next_ms);
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            _ = shared.driver.notified() => {}
            _ = stopped.changed() => return,
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of descriptors or a reset before accept: try again shortly, never spin.
            tokio::time::sleep(ACCEPT_RETRY).await;
            continue;
        };
        let counters = &shared.context.counters;
        counters.add(&counters.connections);
        let connection_id = shared.next_connection_id.fetch_add(1, Ordering::Relaxed) + 1;
        connections.spawn(serve_connection(
            stream,
            connection_id,
            shared.clone(),
            stopped.clone(),
        ));
    }
    // Each connection unbinds on the stop signal; give them a bounded time to finish.
    let _ = tokio::time::timeout(STOP_WAIT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

/// One SMPP connection from bind to close.
async fn serve_connection(
    stream: TcpStream,
    connection_id: u64,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let context = &shared.context;
    let Ok(mut wire) = Wire::new(stream, context.epoch) else {
        return;
    };
    let mut session =
        Session::new_smsc(context.config.session, INTERFACE_VERSION_34, wire.now_ms());
    // Each open session has at most one live deliver_sm queued anywhere.
    let (deliveries_tx, mut deliveries_rx) = mpsc::channel(context.config.concurrency);
    let mut connection = Connection {
        shared: shared.clone(),
        connection_id,
        deliveries_tx: Some(deliveries_tx),
        bound: false,
        in_flight: HashMap::with_capacity(context.config.session.window_max),
        next_token: 0,
    };
    let mut stopping = false;
    loop {
        let next_ms = session
            .poll_timeout()
            .unwrap_or(wire.now_ms() + IDLE_WAKE_MS);
        let deadline = wire.deadline(next_ms);
        let can_deliver = session.is_bound() && session.window_available() > 0;
        tokio::select! {
            read = wire.read() => match read {
                Ok(true) => {
                    let now_us = context.now_us();
                    wire.frames(|frame| connection.handle_frame(&mut session, frame, now_us));
                }
                _ => break,
            },
            Some(delivery) = deliveries_rx.recv(), if can_deliver => {
                connection.send_delivery(&mut session, delivery, context.now_us());
            }
            _ = tokio::time::sleep_until(deadline) => {
                let now_ms = wire.now_ms();
                while let Some(event) = session.handle_timeout(now_ms) {
                    connection.handle_timer(event);
                }
            }
            _ = stopped.changed(), if !stopping => {
                stopping = true;
                if session.unbind(wire.now_ms()).is_err() {
                    break; // Not bound: nothing to say goodbye to.
                }
            }
        }
        if wire.flush(&mut session).await.is_err() {
            break;
        }
        if session.is_closed() {
            wire.close(&mut session).await;
            break;
        }
    }
    connection.close();
}

/// Per-connection state beyond the session.
struct Connection {
    shared: Arc<Shared>,
    connection_id: u64,
    /// Given to the core when a receiving bind is accepted.
    deliveries_tx: Option<mpsc::Sender<Delivery>>,
    bound: bool,
    /// deliver_sm in flight by token: (session index, sequence number); at most the window.
    in_flight: HashMap<u64, (u64, u8)>,
    next_token: u64,
}

impl Connection {
    fn handle_frame(&mut self, session: &mut Session, frame: &[u8], now_us: u64) {
        let shared = self.shared.clone();
        let counters = &shared.context.counters;
        match session.handle_frame(frame, now_us / 1_000) {
            Some(Event::BindRequest { mode, bind, .. }) => self.handle_bind(session, mode, &bind),
            Some(Event::Request(pdu)) => self.handle_request(session, &pdu, now_us),
            Some(Event::Response { request, pdu }) => {
                self.handle_delivery_response(request.token, pdu.command_status);
            }
            Some(Event::MalformedResponse { request, .. }) => {
                counters.add(&counters.unexpected_responses);
                self.handle_delivery_response(request.token, CommandStatus::ESME_RSYSERR);
            }
            Some(Event::UnexpectedResponse { .. }) => counters.add(&counters.unexpected_responses),
            Some(Event::Refused { .. }) => counters.add(&counters.requests_refused),
            Some(Event::Closed(_)) => counters.add(&counters.unbinds),
            // Bound is an ESME-side event; None means the session handled the frame itself.
            Some(Event::Bound { .. }) | None => {}
        }
    }

    fn handle_timer(&mut self, event: TimerEvent) {
        let counters = &self.shared.context.counters;
        match event {
            TimerEvent::RequestTimedOut(request) => {
                counters.add(&counters.deliveries_timed_out);
                // The step's own deadline decides the session; only forget the request.
                self.in_flight.remove(&request.token);
            }
            TimerEvent::Closed(_) => {}
        }
    }

    fn handle_bind(&mut self, session: &mut Session, mode: BindMode, bind: &Bind<&[u8]>) {
        let shared = self.shared.clone();
        let counters = &shared.context.counters;
        let status = self.check_bind(bind);
        if !status.is_ok() {
            let _ = session.reject_bind(status);
            counters.add(&counters.binds_refused);
            return;
        }
        let _ = session.accept_bind(b"ussd-sim");
        counters.add(&counters.binds_accepted);
        self.bound = true;
        let sender = self.deliveries_tx.take();
        if let Some(sender) = sender
            && mode.can_receive()
        {
            shared.core().register(self.connection_id, sender);
            shared.driver.notify_one();
        }
    }

    /// Decides a bind: version, room and credentials; counts it in the core when accepted.
    fn check_bind(&self, bind: &Bind<&[u8]>) -> CommandStatus {
        let config = &self.shared.context.config;
        if bind.interface_version < INTERFACE_VERSION_34 {
            return CommandStatus::ESME_RBINDFAIL; // No TLVs below 3.4, so no USSD.
        }
        if !config.accounts.is_empty() {
            let system_id = String::from_utf8_lossy(bind.system_id);
            match config.accounts.get(system_id.as_ref()) {
                None => return CommandStatus::ESME_RINVSYSID,
                Some(expected) if expected.as_bytes() != bind.password => {
                    return CommandStatus::ESME_RINVPASWD;
                }
                Some(_) => {}
            }
        }
        let mut core = self.shared.core();
        if core.binds >= config.max_binds {
            return CommandStatus::ESME_RBINDFAIL;
        }
        core.binds += 1;
        CommandStatus::ESME_ROK
    }

    fn handle_request(&mut self, session: &mut Session, pdu: &Pdu<&[u8]>, now_us: u64) {
        let Some(response) = pdu.command_id().response() else {
            return; // outbind and alert_notification have no response and never reach an SMSC.
        };
        let shared = self.shared.clone();
        let context = &shared.context;
        let placed = match &pdu.body {
            Body::SubmitSm(sm) => read_answer(context, sm.destination_addr, &sm.tlvs),
            Body::DataSm(data) => read_answer(context, data.destination_addr, &data.tlvs),
            Body::SubmitMulti(_) => Err(CommandStatus::ESME_RSUBMITFAIL),
            Body::QuerySm(_) => Err(CommandStatus::ESME_RQUERYFAIL),
            Body::CancelSm(_) => Err(CommandStatus::ESME_RCANCELFAIL),
            Body::ReplaceSm(_) => Err(CommandStatus::ESME_RREPLACEFAIL),
            _ => Err(CommandStatus::ESME_RINVCMDID),
        }
        .and_then(|answer| {
            let placed = shared.core().handle_answer(context, answer, now_us);
            shared.driver.notify_one();
            placed
        });
        let (status, body) = match placed {
            Ok(()) => (CommandStatus::ESME_ROK, self.accepted_body(response)),
            Err(status) => {
                context.counters.add(&context.counters.unexpected_pdus);
                (status, empty_body(response))
            }
        };
        let _ = session.respond(pdu.sequence_number, status, body);
    }

    fn accepted_body(&self, response: CommandId) -> Body<Vec<u8>> {
        let id = self.shared.next_message_id.fetch_add(1, Ordering::Relaxed) + 1;
        let resp = MessageIdResp {
            message_id: format!("{id:X}").into_bytes(),
            tlvs: Tlvs::new(),
        };
        match response {
            CommandId::data_sm_resp => Body::DataSmResp(resp),
            _ => Body::SubmitSmResp(resp),
        }
    }

    fn handle_delivery_response(&mut self, token: u64, status: CommandStatus) {
        let Some((index, sequence_number)) = self.in_flight.remove(&token) else {
            return;
        };
        let shared = self.shared.clone();
        let context = &shared.context;
        let counters = &context.counters;
        if status.is_ok() {
            counters.add(&counters.deliveries_acked);
        } else {
            counters.add(&counters.deliveries_refused);
        }
        let ok = status.is_ok();
        shared
            .core()
            .delivery_answered(context, index, sequence_number, ok);
        shared.driver.notify_one();
    }

    fn send_delivery(&mut self, session: &mut Session, delivery: Delivery, now_us: u64) {
        let shared = self.shared.clone();
        let context = &shared.context;
        let counters = &context.counters;
        let Delivery {
            index,
            sequence_number,
            pdu,
        } = delivery;
        // Stamp before writing: the answer cannot be read before the deliver_sm is written.
        if !shared
            .core()
            .mark_sent(context, index, sequence_number, now_us)
        {
            counters.add(&counters.deliveries_stale);
            return;
        }
        let token = self.next_token;
        self.next_token += 1;
        match session.send_request(pdu, token, now_us / 1_000) {
            Ok(_) => {
                self.in_flight.insert(token, (index, sequence_number));
                counters.add(&counters.deliveries_sent);
            }
            // Window or buffer full, or the bind is closing: the step's deadline ends it.
            Err(_) => counters.add(&counters.deliveries_dropped),
        }
    }

    /// Takes the connection out of the core: no more deliveries, one bind fewer.
    fn close(&self) {
        self.shared
            .core()
            .unregister(self.connection_id, self.bound);
        self.shared.driver.notify_one();
    }
}

/// Parses an application answer (submit_sm or data_sm); the error is the status to refuse it
/// with.
fn read_answer<B: AsRef<[u8]>>(
    context: &Context,
    destination_addr: &[u8],
    tlvs: &Tlvs<B>,
) -> Result<Answer, CommandStatus> {
    let op = tlvs
        .ussd_service_op()
        .ok_or(CommandStatus::ESME_RMISSINGOPTPARAM)?;
    let info = ItsSessionInfo::from_tlvs(tlvs).ok_or(CommandStatus::ESME_RMISSINGOPTPARAM)?;
    if op != ussd_service_op::USSR_REQUEST && op != ussd_service_op::PSSR_RESPONSE {
        return Err(CommandStatus::ESME_RINVOPTPARAMVAL);
    }
    let index = context.session_index(destination_addr).ok_or(NO_DIALOGUE)?;
    Ok(Answer {
        index,
        session_number: info.session_number,
        op,
    })
}

fn empty_body(response: CommandId) -> Body<Vec<u8>> {
    match response {
        CommandId::submit_sm_resp => Body::SubmitSmResp(MessageIdResp::default()),
        CommandId::data_sm_resp => Body::DataSmResp(MessageIdResp::default()),
        CommandId::submit_multi_resp => Body::SubmitMultiResp(SubmitMultiResp::default()),
        other => match empty_response(other) {
            Some(body) => Pdu::new(0, body).into_owned().body,
            None => Body::GenericNack,
        },
    }
}

fn check_range(errors: &mut Vec<ConfigError>, field: &'static str, got: u64, min: u64, max: u64) {
    if !(min..=max).contains(&got) {
        errors.push(ConfigError::OutOfRange {
            field,
            got,
            min,
            max,
        });
    }
}

fn is_printable(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_graphic())
}

/// Sessions started per driver turn, at most. Each start encodes one deliver_sm under the core
/// lock, so this bounds how long connections wait for it; the rest start on the next turn, which
/// runs at once. Why 256: a few hundred microseconds of lock time at most.
pub const STARTS_PER_TURN_MAX: usize = 256;
/// Subscriber replies handed to binds per driver turn, at most; the same cost and reason as
/// [`STARTS_PER_TURN_MAX`].
pub const REPLIES_PER_TURN_MAX: usize = 256;
/// The status for an answer no open session awaits: no dialogue with that subscriber.
const NO_DIALOGUE: CommandStatus = CommandStatus::ESME_RINVDSTADR;
/// [`CONCURRENCY_MAX`] as the table size type; the CLI's ceiling is the table's ceiling.
const CONCURRENCY_MAX_U64: u64 = CONCURRENCY_MAX as u64;
/// The largest MSISDN: 15 digits (E.164).
const MSISDN_MAX: u64 = 999_999_999_999_999;
/// Digits of [`MSISDN_MAX`].
const MSISDN_DIGITS_MAX: usize = 15;
/// Longest pause between driver turns (or connection timer checks) with nothing to do.
const IDLE_WAKE_MS: u64 = 1_000;
/// Pause before offering a step again when no receiving bind had room.
const BLOCKED_RETRY_MS: u64 = 10;
/// Longest pause between deadline scans: how late a timed-out session's slot may be freed.
/// Why: a scan is O(concurrency); ten a second at most costs nothing.
const SCAN_PERIOD_MS_MAX: u64 = 100;
/// Pause after a failed accept.
const ACCEPT_RETRY: Duration = Duration::from_millis(10);
/// How long stop waits for each task.
const STOP_WAIT: Duration = Duration::from_secs(5);

// Every MSISDN fits the source_addr field.
const _: () = assert!(ADDRESS_LEN_MAX >= MSISDN_DIGITS_MAX);

#[cfg(test)]
mod tests {
    use super::*;

    // Proves its_session_info follows SMPP v3.4 §5.3.2.43 byte for byte: octet 1 the session
    // number, octet 2 the sequence number shifted left one with the end-of-session flag in bit 0.
    #[test]
    fn its_session_info_octets_follow_the_spec() {
        let info = ItsSessionInfo {
            session_number: 0x2A,
            sequence_number: 3,
            end_of_session: true,
        };
        assert_eq!(info.to_octets(), [0x2A, 0b0000_0111]);
        assert_eq!(ItsSessionInfo::from_octets([0x2A, 0b0000_0111]), info);
        let last = ItsSessionInfo::from_octets([0xFF, 0xFE]);
        assert_eq!(last.sequence_number, ItsSessionInfo::SEQUENCE_NUMBER_MAX);
        assert!(!last.end_of_session);
        let mut tlvs = Tlvs::new();
        tlvs.push(tag::its_session_info, &info.to_octets()).unwrap();
        assert_eq!(ItsSessionInfo::from_tlvs(&tlvs), Some(info));
    }

    // Proves validation reports every bad field at once, names it, and accepts the defaults.
    #[test]
    fn config_errors_are_collected() {
        let listen = vec!["127.0.0.1:0".parse().unwrap()];
        assert_eq!(UssdSimConfig::new(listen.clone()).validate(), Ok(()));
        let mut config = UssdSimConfig::new(Vec::new());
        config.service_code = "*123456789012345678901#".to_owned();
        config.sessions = 0;
        config.concurrency = 10_001;
        config.script = vec!["1".to_owned(), String::new()];
        config.msisdn_first = MSISDN_MAX;
        config.step_timeout_ms = 0;
        let errors = config.validate().unwrap_err();
        let text = errors.to_string();
        for field in [
            "listen",
            "service_code",
            "sessions",
            "concurrency",
            "script answer",
            "step_timeout_ms",
        ] {
            assert!(text.contains(field), "{field}: {text}");
        }
        assert_eq!(errors.0.len(), 6, "{text}");
        let mut config = UssdSimConfig::new(listen);
        config.msisdn_first = MSISDN_MAX;
        config.sessions = 2;
        assert!(matches!(
            config.validate().unwrap_err().0[..],
            [ConfigError::MsisdnRange { .. }]
        ));
    }

    // Proves MSISDNs of the run map back to their session index and nothing else does.
    #[test]
    fn msisdns_map_to_session_indices() {
        let mut config = UssdSimConfig::new(vec!["127.0.0.1:0".parse().unwrap()]);
        config.sessions = 10;
        let context = Context {
            scan_period_ms: 1,
            config,
            counters: Arc::new(Counters::default()),
            done: watch::Sender::new(false),
            epoch: Instant::now(),
        };
        assert_eq!(context.msisdn(9), "254700000010");
        assert_eq!(context.session_index(b"254700000010"), Some(9));
        assert_eq!(context.session_index(b"254700000001"), Some(0));
        assert_eq!(context.session_index(b"254700000011"), None);
        assert_eq!(context.session_index(b"254700000000"), None);
        assert_eq!(context.session_index(b"2547000000x1"), None);
        assert_eq!(context.session_index(b""), None);
        assert_eq!(context.session_index(b"9999999999999999"), None);
    }
}
