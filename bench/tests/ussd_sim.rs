//! ussd-sim against an in-test USSD application over real loopback TCP. The application is an
//! ESME `Session` moved by `smsgw_bench::wire::Wire`: it binds (one transceiver, or a receiver
//! plus a transmitter), answers each PSSR indication with a menu (ussd_service_op 2) and each
//! USSR confirm with another menu or, after its last menu, a final PSSR response (17). Both sides
//! record what they saw and the tests check they agree: the scripted choices, session and
//! sequence numbers, step counts and latencies, abandons, time-outs, refusals of answers that
//! match no session, and bind checks. Every run is bounded by its session count and a timeout.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use smsgw_bench::ussd_sim::{ItsSessionInfo, UssdSim, UssdSimConfig, ussd_service_op};
use smsgw_bench::wire::Wire;
use smsgw_shared::smpp::pdu::{Bind, Body, DataSm, MessageIdResp, QuerySm, SubmitSm};
use smsgw_shared::smpp::session::{BindMode, CloseReason, Event, Session, SessionConfig};
use smsgw_shared::smpp::tlv::tag;
use smsgw_shared::smpp::{CommandStatus, Tlvs};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Longest any run or exchange may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// How the in-test application behaves.
#[derive(Debug, Clone)]
struct AppConfig {
    /// A receiver and a transmitter bind instead of one transceiver.
    split_binds: bool,
    /// Answer with data_sm instead of submit_sm.
    data_sm: bool,
    /// Menus per session before the final text.
    menus: usize,
    /// (N, K): sessions whose index + 1 is a multiple of N get no answer after K confirms.
    ignore: Option<(u64, usize)>,
}

impl AppConfig {
    fn menus(menus: usize) -> AppConfig {
        AppConfig {
            split_binds: false,
            data_sm: false,
            menus,
            ignore: None,
        }
    }
}

/// What the application saw, by session index (MSISDN − msisdn_first).
#[derive(Debug, Default)]
struct AppSeen {
    binds: usize,
    indications: u64,
    choices: BTreeMap<u64, Vec<String>>,
    session_numbers: BTreeMap<u64, u8>,
    sequence_numbers: BTreeMap<u64, Vec<u8>>,
    abandoned: BTreeSet<u64>,
    ignored: BTreeSet<u64>,
    answers_sent: u64,
    answers_refused: u64,
}

struct Link {
    wire: Wire,
    session: Session,
}

async fn connect(
    to: SocketAddr,
    mode: BindMode,
    system_id: &str,
    password: &str,
    version: u8,
) -> Link {
    let stream = TcpStream::connect(to).await.unwrap();
    let wire = Wire::new(stream, Instant::now()).unwrap();
    let bind = Bind {
        system_id: system_id.as_bytes(),
        password: password.as_bytes(),
        system_type: &b""[..],
        interface_version: version,
        addr_ton: 0,
        addr_npi: 0,
        address_range: &b""[..],
    };
    let session = Session::new_esme(SessionConfig::default(), mode, bind, wire.now_ms());
    Link { wire, session }
}

async fn read_optional(link: &mut Option<Link>) -> io::Result<bool> {
    match link {
        Some(link) => link.wire.read().await,
        None => std::future::pending().await,
    }
}

struct App {
    config: AppConfig,
    msisdn_first: u64,
    service_code: String,
    seen: AppSeen,
    outbound: VecDeque<Body<Vec<u8>>>,
    next_token: u64,
}

impl App {
    fn handle_frame(&mut self, session: &mut Session, frame: &[u8], now_ms: u64) {
        match session.handle_frame(frame, now_ms) {
            Some(Event::Bound { .. }) => self.seen.binds += 1,
            Some(Event::Request(pdu)) => {
                let Body::DeliverSm(sm) = &pdu.body else {
                    panic!("the simulator sends only deliver_sm: {pdu:?}");
                };
                let resp = Body::DeliverSmResp(MessageIdResp::<Vec<u8>>::default());
                session
                    .respond(pdu.sequence_number, CommandStatus::ESME_ROK, resp)
                    .unwrap();
                self.handle_deliver(sm);
            }
            Some(Event::Response { pdu, .. }) if !pdu.command_status.is_ok() => {
                self.seen.answers_refused += 1;
            }
            Some(Event::Response { .. }) | None => {}
            Some(other) => panic!("unexpected event at the application: {other:?}"),
        }
    }

    fn handle_deliver(&mut self, sm: &SubmitSm<&[u8]>) {
        let msisdn: u64 = std::str::from_utf8(sm.source_addr)
            .unwrap()
            .parse()
            .unwrap();
        let index = msisdn - self.msisdn_first;
        assert_eq!(sm.destination_addr, self.service_code.as_bytes());
        let op = sm.tlvs.ussd_service_op().unwrap();
        let info = ItsSessionInfo::from_tlvs(&sm.tlvs).unwrap();
        self.seen
            .sequence_numbers
            .entry(index)
            .or_default()
            .push(info.sequence_number);
        match op {
            ussd_service_op::PSSR_INDICATION => {
                self.seen.indications += 1;
                assert_eq!(sm.short_message, self.service_code.as_bytes());
                let previous = self.seen.session_numbers.insert(index, info.session_number);
                assert_eq!(previous, None, "one PSSR indication per session");
                self.answer(msisdn, info, 0);
            }
            ussd_service_op::USSR_CONFIRM if info.end_of_session => {
                assert!(sm.short_message.is_empty());
                self.seen.abandoned.insert(index);
            }
            ussd_service_op::USSR_CONFIRM => {
                let choice = String::from_utf8(sm.short_message.to_vec()).unwrap();
                let choices = self.seen.choices.entry(index).or_default();
                choices.push(choice);
                let confirms = choices.len();
                self.answer(msisdn, info, confirms);
            }
            other => panic!("unexpected ussd_service_op {other}"),
        }
    }

    /// Queues the answer to a subscriber who has sent `confirms` USSR confirms so far.
    fn answer(&mut self, msisdn: u64, info: ItsSessionInfo, confirms: usize) {
        let index = msisdn - self.msisdn_first;
        if let Some((every, at)) = self.config.ignore
            && (index + 1).is_multiple_of(every)
            && confirms == at
        {
            self.seen.ignored.insert(index);
            return;
        }
        let last = confirms >= self.config.menus;
        let (op, text) = if last {
            (ussd_service_op::PSSR_RESPONSE, "Thank you".to_owned())
        } else {
            (
                ussd_service_op::USSR_REQUEST,
                format!("Menu {confirms}: 1 yes 2 no 3 back"),
            )
        };
        let reply = ItsSessionInfo {
            session_number: info.session_number,
            sequence_number: info.sequence_number + 1,
            end_of_session: last,
        };
        let body = answer_body(
            &self.service_code,
            &msisdn.to_string(),
            op,
            reply,
            &text,
            self.config.data_sm,
        );
        self.outbound.push_back(body);
    }

    fn send_outbound(&mut self, link: &mut Link) {
        while link.session.is_bound() && link.session.window_available() > 0 {
            let Some(body) = self.outbound.pop_front() else {
                return;
            };
            self.next_token += 1;
            let now_ms = link.wire.now_ms();
            link.session
                .send_request(body, self.next_token, now_ms)
                .unwrap();
            self.seen.answers_sent += 1;
        }
    }
}

/// An application answer: submit_sm (text in short_message) or data_sm (text in
/// message_payload) with ussd_service_op and its_session_info.
fn answer_body(
    service_code: &str,
    msisdn: &str,
    op: u8,
    info: ItsSessionInfo,
    text: &str,
    data_sm: bool,
) -> Body<Vec<u8>> {
    let mut tlvs = Tlvs::new();
    tlvs.push_u8(tag::ussd_service_op, op).unwrap();
    tlvs.push(tag::its_session_info, &info.to_octets()).unwrap();
    if data_sm {
        tlvs.push(tag::message_payload, text.as_bytes()).unwrap();
        return Body::DataSm(DataSm {
            source_addr: service_code.as_bytes().to_vec(),
            destination_addr: msisdn.as_bytes().to_vec(),
            tlvs,
            ..DataSm::default()
        });
    }
    Body::SubmitSm(SubmitSm {
        source_addr: service_code.as_bytes().to_vec(),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: msisdn.as_bytes().to_vec(),
        short_message: text.as_bytes().to_vec(),
        tlvs,
        ..SubmitSm::default()
    })
}

/// The application: binds, answers, and returns what it saw when told to stop.
async fn run_app(
    to: SocketAddr,
    config: AppConfig,
    sim: UssdSimConfig,
    mut stop: watch::Receiver<bool>,
) -> AppSeen {
    let receive_mode = if config.split_binds {
        BindMode::Receiver
    } else {
        BindMode::Transceiver
    };
    let mut receiver = connect(to, receive_mode, "app", "secret1", 0x34).await;
    let mut transmitter = match config.split_binds {
        true => Some(connect(to, BindMode::Transmitter, "app", "secret1", 0x34).await),
        false => None,
    };
    let mut app = App {
        config,
        msisdn_first: sim.msisdn_first,
        service_code: sim.service_code,
        seen: AppSeen::default(),
        outbound: VecDeque::new(),
        next_token: 0,
    };
    loop {
        for link in [Some(&mut receiver), transmitter.as_mut()]
            .into_iter()
            .flatten()
        {
            link.wire.flush(&mut link.session).await.unwrap();
        }
        tokio::select! {
            read = receiver.wire.read() => {
                assert!(read.unwrap(), "the simulator closed the receiving bind");
                let now_ms = receiver.wire.now_ms();
                let Link { wire, session } = &mut receiver;
                wire.frames(|frame| app.handle_frame(session, frame, now_ms));
            }
            read = read_optional(&mut transmitter) => {
                assert!(read.unwrap(), "the simulator closed the transmitting bind");
                let Some(Link { wire, session }) = transmitter.as_mut() else { unreachable!() };
                let now_ms = wire.now_ms();
                wire.frames(|frame| app.handle_frame(session, frame, now_ms));
            }
            _ = stop.changed() => break,
        }
        match transmitter.as_mut() {
            Some(link) => app.send_outbound(link),
            None => app.send_outbound(&mut receiver),
        }
    }
    app.seen
}

/// Runs the simulator against the application until every session finished; returns the
/// simulator's report and what the application saw. Fails if the sessions do not finish in
/// [`RUN_LIMIT`].
async fn run(sim_config: UssdSimConfig, app_config: AppConfig) -> (Value, AppSeen) {
    let sim = UssdSim::start(sim_config.clone()).await.unwrap();
    let (stop, stopped) = watch::channel(false);
    let app = tokio::spawn(run_app(sim.local_addrs[0], app_config, sim_config, stopped));
    let done = sim.wait_done(RUN_LIMIT).await;
    stop.send(true).unwrap();
    let seen = tokio::time::timeout(RUN_LIMIT, app).await.unwrap().unwrap();
    let report = sim.report_json();
    sim.stop().await;
    assert!(
        done,
        "sessions did not finish within {RUN_LIMIT:?}: {report}"
    );
    (report, seen)
}

fn sim_config(sessions: u64, concurrency: usize, script: &[&str]) -> UssdSimConfig {
    let mut config = UssdSimConfig::new(vec!["127.0.0.1:0".parse().unwrap()]);
    config.sessions = sessions;
    config.concurrency = concurrency;
    config.script = script.iter().map(|choice| (*choice).to_owned()).collect();
    config.think_ms = 1;
    config
}

fn count(report: &Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {report}"))
}

/// Checks the outcome counts add up and match the expectation.
fn assert_outcomes(report: &Value, completed: u64, abandoned: u64, timed_out: u64) {
    assert_eq!(count(report, "sessions_completed"), completed, "{report}");
    assert_eq!(count(report, "sessions_abandoned"), abandoned, "{report}");
    assert_eq!(count(report, "sessions_timed_out"), timed_out, "{report}");
    assert_eq!(count(report, "sessions_failed"), 0, "{report}");
    assert_eq!(
        count(report, "sessions_started"),
        completed + abandoned + timed_out
    );
    assert_eq!(count(report, "sessions_active"), 0, "{report}");
}

/// Checks the step latency histogram holds exactly `steps` samples with ordered percentiles.
fn assert_latencies(report: &Value, steps: u64) {
    assert_eq!(count(report, "steps_answered"), steps, "{report}");
    assert_eq!(count(report, "step_latency_count"), steps, "{report}");
    let (p50, p90, p99, max) = (
        count(report, "step_p50_us"),
        count(report, "step_p90_us"),
        count(report, "step_p99_us"),
        count(report, "step_max_us"),
    );
    assert!(
        0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
        "{report}"
    );
}

// Proves the whole dialogue for a transceiver answering with submit_sm and for a receiver plus
// transmitter answering with data_sm: every session starts once from its own MSISDN with its
// session number, the application sees the script's choices in order (cycling when it asks more
// menus than the script has answers), sequence numbers rise by one per deliver_sm, every step's
// latency is recorded, and no more than `concurrency` sessions are ever open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_complete_with_the_scripted_choices() {
    // (split_binds, data_sm, menus), script, sessions, concurrency.
    type Case = ((bool, bool, usize), &'static [&'static str], u64, usize);
    let cases: [Case; 2] = [
        ((false, false, 2), &["1", "2", "1"], 40, 4),
        ((true, true, 4), &["1", "2", "3"], 12, 3),
    ];
    for ((split_binds, data_sm, menus), script, sessions, concurrency) in cases {
        let app_config = AppConfig {
            split_binds,
            data_sm,
            ..AppConfig::menus(menus)
        };
        let (report, seen) = run(sim_config(sessions, concurrency, script), app_config).await;
        assert_outcomes(&report, sessions, 0, 0);
        let steps = sessions * (menus as u64 + 1);
        assert_latencies(&report, steps);
        assert_eq!(count(&report, "menus"), sessions * menus as u64);
        assert_eq!(
            count(&report, "deliveries_sent"),
            steps,
            "one deliver_sm per step"
        );
        assert_eq!(count(&report, "unexpected_pdus"), 0, "{report}");
        assert_eq!(count(&report, "binds_accepted"), 1 + u64::from(split_binds));
        let active_max = count(&report, "sessions_active_max");
        assert!(
            1 <= active_max && active_max <= concurrency as u64,
            "{report}"
        );
        assert_eq!(seen.binds, 1 + usize::from(split_binds));
        assert_eq!(seen.indications, sessions);
        assert_eq!(seen.answers_sent, steps);
        assert_eq!(seen.answers_refused, 0);
        let expected: Vec<String> = (0..menus)
            .map(|step| script[step % script.len()].to_owned())
            .collect();
        let sequence_numbers: Vec<u8> = (0..=menus as u8).collect();
        for index in 0..sessions {
            assert_eq!(seen.choices[&index], expected, "session {index}");
            assert_eq!(seen.session_numbers[&index], (index % 256) as u8);
            assert_eq!(
                seen.sequence_numbers[&index], sequence_numbers,
                "session {index}"
            );
        }
        assert!(seen.abandoned.is_empty() && seen.ignored.is_empty());
    }
}

// Proves abandon_every: every 4th session's subscriber hangs up at the first menu with a USSR
// confirm carrying the end-of-session bit and no text, the application sees exactly those, they
// count as abandoned (not completed, not timed out), and their one answered step is measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_nth_session_is_abandoned_at_its_first_menu() {
    let mut config = sim_config(12, 3, &["5"]);
    config.abandon_every = Some(4);
    let (report, seen) = run(config, AppConfig::menus(2)).await;
    assert_outcomes(&report, 9, 3, 0);
    assert_latencies(&report, 9 * 3 + 3);
    assert_eq!(count(&report, "deliveries_sent"), 9 * 3 + 3 * 2);
    assert_eq!(seen.abandoned, BTreeSet::from([3, 7, 11]));
    for index in [3, 7, 11] {
        assert!(
            !seen.choices.contains_key(&index),
            "no choice before hanging up"
        );
        assert_eq!(seen.sequence_numbers[&index], [0, 1]);
    }
    assert_eq!(seen.choices.len(), 9);
    assert!(seen.choices.values().all(|choices| choices == &["5", "5"]));
}

// Proves step_timeout_ms: an application that ignores the first USSR confirm of every 3rd
// session gets those sessions counted as timed out (their slots freed, so all 9 sessions run
// with 2 at a time), the steps it did answer are measured, and a late answer to a timed-out
// session is refused with ESME_RINVDSTADR and counted as unexpected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_the_application_ignores_times_out() {
    let mut config = sim_config(9, 2, &["1"]);
    config.step_timeout_ms = 150;
    let app_config = AppConfig {
        ignore: Some((3, 1)),
        ..AppConfig::menus(2)
    };
    let sim = UssdSim::start(config.clone()).await.unwrap();
    let (stop, stopped) = watch::channel(false);
    let app = tokio::spawn(run_app(
        sim.local_addrs[0],
        app_config,
        config.clone(),
        stopped,
    ));
    assert!(sim.wait_done(RUN_LIMIT).await, "{}", sim.report_json());
    stop.send(true).unwrap();
    let seen = tokio::time::timeout(RUN_LIMIT, app).await.unwrap().unwrap();
    let mut late = connect(sim.local_addrs[0], BindMode::Transmitter, "late", "x", 0x34).await;
    bind(&mut late).await.unwrap();
    let info = ItsSessionInfo {
        session_number: 2,
        sequence_number: 2,
        end_of_session: false,
    };
    let msisdn = (config.msisdn_first + 2).to_string();
    let body = answer_body(
        &config.service_code,
        &msisdn,
        ussd_service_op::USSR_REQUEST,
        info,
        "late",
        false,
    );
    assert_eq!(
        request(&mut late, body).await,
        CommandStatus::ESME_RINVDSTADR
    );
    drop(late); // Closed first, so the simulator's unbind on stop has nobody to wait for.
    let report = sim.report_json();
    sim.stop().await;
    assert_outcomes(&report, 6, 0, 3);
    assert_latencies(&report, 6 * 3 + 3);
    assert_eq!(seen.ignored, BTreeSet::from([2, 5, 8]));
    assert_eq!(count(&report, "unexpected_pdus"), 1, "{report}");
    assert!(count(&report, "sessions_active_max") <= 2);
}

// Proves answers the simulator cannot place are refused with a status naming why and counted:
// no TLVs, an operation other than USSR request or PSSR response, a subscriber with no open
// session (one of this run and a stranger), and a command the simulator does not serve. A
// transmitter bind alone receives nothing, so no session starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_matching_no_session_are_refused_and_counted() {
    let config = sim_config(1, 1, &["1"]);
    let sim = UssdSim::start(config.clone()).await.unwrap();
    let mut link = connect(sim.local_addrs[0], BindMode::Transmitter, "app", "x", 0x34).await;
    bind(&mut link).await.unwrap();
    let info = ItsSessionInfo {
        session_number: 0,
        sequence_number: 1,
        end_of_session: false,
    };
    let code = &config.service_code;
    let subscriber = config.msisdn_first.to_string();
    let bare = Body::SubmitSm(SubmitSm {
        destination_addr: subscriber.as_bytes().to_vec(),
        short_message: b"hello".to_vec(),
        ..SubmitSm::default()
    });
    let cases = [
        (bare, CommandStatus::ESME_RMISSINGOPTPARAM),
        (
            answer_body(
                code,
                &subscriber,
                ussd_service_op::USSN_REQUEST,
                info,
                "n",
                false,
            ),
            CommandStatus::ESME_RINVOPTPARAMVAL,
        ),
        (
            answer_body(
                code,
                &subscriber,
                ussd_service_op::USSR_REQUEST,
                info,
                "m",
                false,
            ),
            CommandStatus::ESME_RINVDSTADR,
        ),
        (
            answer_body(code, "123", ussd_service_op::PSSR_RESPONSE, info, "f", true),
            CommandStatus::ESME_RINVDSTADR,
        ),
        (
            Body::QuerySm(QuerySm {
                message_id: b"1".to_vec(),
                ..QuerySm::default()
            }),
            CommandStatus::ESME_RQUERYFAIL,
        ),
    ];
    let expected = cases.len() as u64;
    for (body, status) in cases {
        assert_eq!(request(&mut link, body).await, status);
    }
    drop(link); // Closed first, so the simulator's unbind on stop has nobody to wait for.
    let report = sim.report_json();
    sim.stop().await;
    assert_eq!(count(&report, "unexpected_pdus"), expected, "{report}");
    assert_eq!(count(&report, "sessions_started"), 0, "{report}");
    assert_eq!(count(&report, "binds_accepted"), 1);
}

// Proves bind checks: an unknown system_id, a wrong password and an SMPP 3.3 bind (no TLVs, so
// no USSD) are refused with their statuses, the right credentials bind, and a bind beyond
// max_binds is refused while the first is still up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_are_checked_against_accounts_version_and_room() {
    let mut config = sim_config(1, 1, &["1"]);
    config.accounts.insert("app".into(), "secret1".into());
    config.max_binds = 1;
    let sim = UssdSim::start(config).await.unwrap();
    let to = sim.local_addrs[0];
    let cases = [
        ("other", "secret1", 0x34, Err(CommandStatus::ESME_RINVSYSID)),
        ("app", "wrong", 0x34, Err(CommandStatus::ESME_RINVPASWD)),
        ("app", "secret1", 0x33, Err(CommandStatus::ESME_RBINDFAIL)),
        ("app", "secret1", 0x34, Ok(())),
    ];
    let mut kept = Vec::new();
    for (system_id, password, version, expected) in cases {
        let mut link = connect(to, BindMode::Transmitter, system_id, password, version).await;
        assert_eq!(
            bind(&mut link).await,
            expected,
            "{system_id}/{password}/{version:#x}"
        );
        kept.push(link);
    }
    let mut extra = connect(to, BindMode::Transmitter, "app", "secret1", 0x34).await;
    assert_eq!(bind(&mut extra).await, Err(CommandStatus::ESME_RBINDFAIL));
    drop((kept, extra)); // Closed first, so the simulator's unbind on stop has nobody to wait for.
    let report = sim.report_json();
    sim.stop().await;
    assert_eq!(count(&report, "binds_accepted"), 1, "{report}");
    assert_eq!(count(&report, "binds_refused"), 4, "{report}");
}

/// Drives a fresh link until its bind is answered.
async fn bind(link: &mut Link) -> Result<(), CommandStatus> {
    let exchange = async {
        loop {
            link.wire.flush(&mut link.session).await.unwrap();
            assert!(link.wire.read().await.unwrap(), "closed before bind_resp");
            let now_ms = link.wire.now_ms();
            let mut outcome = None;
            let Link { wire, session } = &mut *link;
            wire.frames(|frame| match session.handle_frame(frame, now_ms) {
                Some(Event::Bound { .. }) => outcome = Some(Ok(())),
                Some(Event::Closed(CloseReason::BindRefused(status))) => {
                    outcome = Some(Err(status))
                }
                other => panic!("unexpected during bind: {other:?}"),
            });
            if let Some(outcome) = outcome {
                return outcome;
            }
        }
    };
    tokio::time::timeout(RUN_LIMIT, exchange).await.unwrap()
}

/// Sends one request on a bound link and returns its response's command_status.
async fn request(link: &mut Link, body: Body<Vec<u8>>) -> CommandStatus {
    let now_ms = link.wire.now_ms();
    link.session.send_request(body, 1, now_ms).unwrap();
    let exchange = async {
        loop {
            link.wire.flush(&mut link.session).await.unwrap();
            assert!(
                link.wire.read().await.unwrap(),
                "closed before the response"
            );
            let now_ms = link.wire.now_ms();
            let mut status = None;
            let Link { wire, session } = &mut *link;
            wire.frames(|frame| match session.handle_frame(frame, now_ms) {
                Some(Event::Response { pdu, .. }) => status = Some(pdu.command_status),
                None => {}
                other => panic!("unexpected while waiting for a response: {other:?}"),
            });
            if let Some(status) = status {
                return status;
            }
        }
    };
    tokio::time::timeout(RUN_LIMIT, exchange).await.unwrap()
}
