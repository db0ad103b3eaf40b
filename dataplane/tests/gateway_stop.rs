//! Graceful stop of the running gateway over loopback (INTERFACES.md: "stop accepting, unbind
//! sessions politely"): every bound SP session receives an unbind, the gateway closes it once
//! answered, and `Gateway::join` returns as soon as the sessions are gone rather than at the end
//! of the grace period. Each scenario runs on every available I/O backend.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use gateway_support::{
    RawEnd, RawSp, RecordingSmsc, Sim, SmscOptions, WAIT, account, backends, connector, route,
    start_gateway, text_submit,
};
use smsgw_dataplane::gateway::core::SHUTDOWN_GRACE_MS;
use smsgw_shared::smpp::CommandStatus;
use smsgw_shared::smpp::pdu::Body;
use smsgw_shared::smpp::session::BindMode;

/// What an SP saw while the gateway stopped.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    unbind: bool,
    closed: bool,
}

/// Answers everything until the gateway's unbind (answered), then waits for the close.
fn await_unbind(mut sp: RawSp) -> Seen {
    let deadline = Instant::now() + WAIT;
    let mut seen = Seen {
        unbind: false,
        closed: false,
    };
    while Instant::now() < deadline && !seen.closed {
        let left = deadline.saturating_duration_since(Instant::now());
        match sp.next_pdu(left) {
            Ok(pdu) => match pdu.body {
                Body::Unbind => {
                    seen.unbind = true;
                    sp.respond(pdu.sequence_number, Body::UnbindResp);
                }
                Body::DeliverSm(_) => {
                    sp.respond(pdu.sequence_number, Body::DeliverSmResp(Default::default()))
                }
                _ => {}
            },
            Err(RawEnd::Closed) => seen.closed = true,
            Err(RawEnd::Timeout) => break,
        }
    }
    seen
}

// Proves the graceful stop with SPs bound in every mode on a two-core gateway (after some
// traffic): each session receives an unbind and then the close, `join` returns within a bound
// (checked by a channel timeout, not asserted as a duration), and the cores exit only after
// every SP session was closed (sessions_closed equals sessions_accepted), which is what an
// early exit rather than the grace timeout means.
#[test]
fn stop_unbinds_every_sp_and_join_returns() {
    for backend in backends() {
        let sim = Sim::start(|_| {});
        let body = [
            account("acme", "max_binds = 16\ntps = 1000"),
            connector("sim", sim.addr, "binds = 2"),
            route("", &["sim"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 2, &body);
        gateway.wait_bound(0, 2);
        let mut sps = Vec::new();
        for mode in [
            BindMode::Transmitter,
            BindMode::Receiver,
            BindMode::Transceiver,
            BindMode::Transceiver,
            BindMode::Transmitter,
            BindMode::Receiver,
        ] {
            let mut sp = RawSp::bind(gateway.addr, mode, "acme", "secret1", 0x34).unwrap();
            if mode.can_submit() {
                let sequence_number = sp.send(text_submit("254788000000", "before stop", true));
                let response = sp.response(sequence_number, WAIT).unwrap();
                assert_eq!(
                    response.command_status,
                    CommandStatus::ESME_ROK,
                    "{backend}"
                );
            }
            sps.push(sp);
        }
        let watchers: Vec<_> = sps
            .into_iter()
            .map(|sp| thread::spawn(move || await_unbind(sp)))
            .collect();
        let started = Instant::now();
        let (done, joined) = mpsc::channel();
        thread::spawn(move || {
            let _ = done.send(gateway.join());
        });
        let bound = Duration::from_millis(SHUTDOWN_GRACE_MS) + WAIT;
        let counters = joined
            .recv_timeout(bound)
            .unwrap_or_else(|_| panic!("{backend}: join did not return"));
        eprintln!(
            "{backend}: join returned after {:?} (grace {SHUTDOWN_GRACE_MS} ms)",
            started.elapsed()
        );
        for watcher in watchers {
            let seen = watcher.join().unwrap();
            assert_eq!(
                seen,
                Seen {
                    unbind: true,
                    closed: true
                },
                "{backend}"
            );
        }
        assert_eq!(counters.sessions_accepted, 6, "{backend}: {counters:?}");
        assert_eq!(
            counters.sessions_closed, counters.sessions_accepted,
            "{backend}: the cores left after every SP session was closed: {counters:?}"
        );
    }
}

// Proves the rest of the stop contract (INTERFACES.md, `smsgw run`: "stop accepting, unbind
// sessions politely"): after `join`, the SMPP listener refuses connections, and each of the
// connector's SMSC binds was ended with an unbind (counted by the recording SMSC once every
// connection is closed) rather than a bare TCP close.
#[test]
fn stop_closes_the_listener_and_unbinds_the_smsc_binds() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let body = [
            account("acme", "max_binds = 16\ntps = 1000"),
            connector("rec", smsc.addr, "binds = 2"),
            route("", &["rec"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 2, &body);
        gateway.wait_bound(0, 2);
        let addr = gateway.addr;
        let sp = RawSp::bind(addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let watcher = thread::spawn(move || await_unbind(sp));
        let counters = gateway.join();
        assert_eq!(
            watcher.join().unwrap(),
            Seen {
                unbind: true,
                closed: true
            },
            "{backend}"
        );
        assert!(
            TcpStream::connect_timeout(&addr, WAIT).is_err(),
            "{backend}: the listener is closed after join"
        );
        smsc.wait("every connector connection closed", WAIT, |state| {
            state.connections_open == 0
        });
        let state = smsc.state();
        assert_eq!(state.binds, 2, "{backend}");
        assert_eq!(
            state.unbinds, 2,
            "{backend}: each SMSC bind ended with an unbind: {counters:?}"
        );
    }
}
