//! SP-side flow control of the running gateway over loopback: an SP over its account's TPS is
//! answered ESME_RTHROTTLED (0x58), an SP within it is not (wherever its bind is), and an SP
//! with more requests outstanding than its window is answered ESME_RTHROTTLED by the session
//! itself. Each scenario runs on every available I/O
//! backend.
//!
//! The window is only reachable while submits wait for their answers. On one core the gateway
//! answers each submit as it reads it, so the window scenarios use two cores with the SMSC
//! connector's single bind on core 0, and an SP session on core 1: its submits are queued by
//! core 0 and answered after a mesh round trip, and a batch of submits written at once is all
//! read before the first answer can come back. The session's core is read from a probe's
//! message id (the core index is part of every id, docs/message-ids.md).

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gateway_support::{
    RawSp, RecordingSmsc, SmscOptions, WAIT, account, backends, connector, core_of, response_id,
    route, start_gateway, text_submit,
};
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::CommandStatus;
use smsgw_shared::smpp::pdu::Body;
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::tlv::tag;

/// Submits sent as fast as answers come in the TPS scenario (the account allows 1 per second).
const TPS_SUBMITS: usize = 10;

/// Binds tried to land a session on core 1.
const BIND_ATTEMPTS_MAX: usize = 32;

// Proves an SP over its TPS is throttled: with `tps = 1`, ten submits sent back to back (each
// after the previous answer) get some ESME_ROK and the rest ESME_RTHROTTLED, throttled ones
// carry no message id and, for an SMPP 5.0 bind, a congestion_state TLV; only the accepted
// ones reach the SMSC.
#[test]
fn submits_over_the_account_tps_are_throttled() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let body = [
            account("acme", "tps = 1"),
            connector("rec", smsc.addr, "binds = 1"),
            route("", &["rec"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 1, &body);
        gateway.wait_bound(0, 1);
        let mut client =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x50).unwrap();
        let mut accepted = 0;
        let mut throttled = 0;
        for index in 0..TPS_SUBMITS {
            let destination = format!("2547440000{index:02}");
            let response = client
                .request(text_submit(&destination, "fast", false), WAIT)
                .unwrap();
            match response.status {
                CommandStatus::ESME_ROK => {
                    accepted += 1;
                    assert_eq!(response.message_id().len(), 16, "{backend}");
                }
                CommandStatus::ESME_RTHROTTLED => {
                    throttled += 1;
                    assert_eq!(response.message_id(), "", "{backend}: no id when throttled");
                    let Body::SubmitSmResp(resp) = &response.pdu.body else {
                        panic!("{backend}: {:?}", response.pdu.body)
                    };
                    assert!(
                        resp.tlvs.get(tag::congestion_state).is_some(),
                        "{backend}: SMPP 5.0 throttling carries congestion_state"
                    );
                }
                other => panic!("{backend}: unexpected {other:?}"),
            }
        }
        assert!(accepted >= 1, "{backend}: the first submit has a token");
        assert!(
            throttled >= 1,
            "{backend}: {accepted} accepted, none throttled"
        );
        let got = smsc.wait_accepted(accepted, WAIT);
        assert_eq!(
            got.len(),
            accepted,
            "{backend}: only accepted submits go on"
        );
        client.unbind();
        let counters = gateway.join();
        assert_eq!(counters.submits_accepted, accepted as u64, "{backend}");
        assert_eq!(counters.submits_refused, throttled as u64, "{backend}");
    }
}

/// Binds raw transceivers until one lands on core 1 (probe without receipt).
fn raw_sp_on_core_1(addr: SocketAddr) -> RawSp {
    for _ in 0..BIND_ATTEMPTS_MAX {
        let mut sp = RawSp::bind(addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let sequence_number = sp.send(text_submit("254755000000", "probe", false));
        let response = sp.response(sequence_number, WAIT).unwrap();
        assert_eq!(response.command_status, CommandStatus::ESME_ROK);
        if core_of(&response_id(&response)) == 1 {
            return sp;
        }
    }
    panic!("no session landed on core 1 in {BIND_ATTEMPTS_MAX} binds");
}

/// Writes `count` submits in one write and returns their statuses in sequence order.
fn pipelined_statuses(sp: &mut RawSp, count: usize) -> Vec<CommandStatus> {
    let mut bytes = Vec::new();
    let sequence_numbers: Vec<u32> = (0..count)
        .map(|index| {
            let destination = format!("2547550{index:05}");
            sp.encode(text_submit(&destination, "window", false), &mut bytes)
        })
        .collect();
    sp.send_bytes(&bytes);
    let responses = sp.responses(count, WAIT);
    sequence_numbers
        .iter()
        .map(|sequence_number| responses[sequence_number].command_status)
        .collect()
}

/// Runs the window scenario for an account with `window` (None: the default, 64).
fn window_scenario(backend: &str, window: Option<usize>, count: usize) {
    let window_size = window.unwrap_or(64);
    let smsc = RecordingSmsc::start(SmscOptions::default());
    let extra = match window {
        Some(window) => format!("tps = 100000\nmax_binds = 64\nwindow = {window}"),
        None => "tps = 100000\nmax_binds = 64".to_string(),
    };
    let body = [
        account("acme", &extra),
        connector("rec", smsc.addr, "binds = 1"),
        route("", &["rec"]),
    ]
    .concat();
    let gateway = start_gateway(backend, 2, &body);
    gateway.wait_bound(0, 1);
    let mut sp = raw_sp_on_core_1(gateway.addr);
    let statuses = pipelined_statuses(&mut sp, count);
    let what = format!("{backend}: window {window_size}, {count} submits at once");
    let ok = statuses
        .iter()
        .filter(|status| **status == CommandStatus::ESME_ROK)
        .count();
    let throttled = statuses
        .iter()
        .filter(|status| **status == CommandStatus::ESME_RTHROTTLED)
        .count();
    assert_eq!(ok + throttled, count, "{what}: {statuses:?}");
    assert_eq!(
        ok, window_size,
        "{what}: the window's worth is accepted: {statuses:?}"
    );
    assert!(
        statuses[..window_size]
            .iter()
            .all(|status| *status == CommandStatus::ESME_ROK),
        "{what}: the first {window_size} fit the window: {statuses:?}"
    );
    // The session stays usable: one more submit after the answers is accepted.
    let sequence_number = sp.send(text_submit("254755999999", "after", false));
    let response = sp.response(sequence_number, WAIT).unwrap();
    assert_eq!(response.command_status, CommandStatus::ESME_ROK, "{what}");
    drop(sp);
    let counters = gateway.join();
    assert_eq!(
        counters.submits_accepted,
        counters.sessions_accepted + window_size as u64 + 1,
        "{what}: probes, the window's worth and the last one: {counters:?}"
    );
}

// Proves the session answers requests beyond the default window (64) itself: 80 submits
// written at once by an SP whose answers need a mesh round trip get 64 ESME_ROK (the first 64)
// and 16 ESME_RTHROTTLED, and the session stays usable.
#[test]
fn submits_over_the_default_window_are_throttled_by_the_session() {
    for backend in backends() {
        window_scenario(backend, None, 80);
    }
}

// Proves `account.window` is the SP's window: with `window = 2`, ten submits written at once
// get two ESME_ROK (the first two) and eight ESME_RTHROTTLED (docs/config.md: "over it the
// session answers ESME_RTHROTTLED itself").
#[test]
fn submits_over_the_account_window_are_throttled() {
    for backend in backends() {
        window_scenario(backend, Some(2), 10);
    }
}

/// Submits per batch in the rebalancing scenario; one batch every [`BATCH_PERIOD`].
const BATCH_SIZE: usize = 30;
/// The pace of the rebalancing scenario: 30 per 100 ms is 300 per second.
const BATCH_PERIOD: Duration = Duration::from_millis(100);
/// Batches before measuring (3 s: several rebalancing periods of about a second).
const WARM_UP_BATCHES: u32 = 30;
/// Batches measured (2 s).
const MEASURED_BATCHES: u32 = 20;

// Proves `account.tps` is the SP's rate wherever its binds are (docs/config.md: "submits per
// second over all its binds"; docs/flow-control.md "Rebalancing": an account bound on one core
// gets over 98.4% of its TPS there once the shares follow demand). On a two-core gateway an
// account with `tps = 400` and a single bind (so on one core) sends 300 submits per second,
// paced by the test in batches of 30 every 100 ms (never faster; a slow machine only sends
// slower). After 3 s of warm-up, no submit of the next 2 s may be throttled; an even split
// alone (200 per second per core) would throttle about a third of them. The pacing uses sleeps
// on purpose: the property is a rate; the assertion is a count, not a duration.
#[test]
fn an_sp_bound_on_one_core_gets_the_account_tps_not_a_core_share() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let body = [
            account("acme", "tps = 400\nmax_binds = 4"),
            connector("rec", smsc.addr, "binds = 2\ntps = 100000"),
            route("", &["rec"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 2, &body);
        gateway.wait_bound(0, 2);
        let mut sp =
            RawSp::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        let started = Instant::now();
        let mut measured_ok = 0;
        let mut measured_throttled = 0;
        let mut warm_up_throttled = 0;
        for batch in 0..WARM_UP_BATCHES + MEASURED_BATCHES {
            let due = started + BATCH_PERIOD * batch;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let mut bytes = Vec::new();
            for index in 0..BATCH_SIZE {
                let destination = format!("2547770{batch:03}{index:02}");
                sp.encode(text_submit(&destination, "paced", false), &mut bytes);
            }
            sp.send_bytes(&bytes);
            for response in sp.responses(BATCH_SIZE, WAIT).values() {
                let throttled = match response.command_status {
                    CommandStatus::ESME_ROK => false,
                    CommandStatus::ESME_RTHROTTLED => true,
                    other => panic!("{backend}: unexpected {other:?}"),
                };
                match (batch < WARM_UP_BATCHES, throttled) {
                    (true, true) => warm_up_throttled += 1,
                    (true, false) => {}
                    (false, true) => measured_throttled += 1,
                    (false, false) => measured_ok += 1,
                }
            }
        }
        eprintln!(
            "{backend}: warm-up throttled {warm_up_throttled}; measured {measured_ok} accepted, \
             {measured_throttled} throttled, in {:?}",
            started.elapsed()
        );
        drop(sp);
        gateway.join();
        assert_eq!(
            measured_throttled, 0,
            "{backend}: 300/s under tps = 400 throttled after warm-up ({measured_ok} accepted)"
        );
    }
}
