//! Bind admission of the running gateway over loopback: refused binds get the status of
//! docs/admission.md (the table `BindRefusal::status` implements) and the connection is closed;
//! `max_binds` counts every session of the account and frees a slot when one ends. Each
//! scenario runs on every available I/O backend.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use std::net::SocketAddr;

use gateway_support::{
    RawSp, RecordingSmsc, SmscOptions, WAIT, account, backends, connector, core_of, refusing_addr,
    response_id, route, start_gateway, text_submit, wait_until,
};
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::pdu::{Bind, Body};
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::{CommandId, CommandStatus};

/// The status a bind was refused with (read from the raw bind response), or None if bound.
fn refusal(addr: SocketAddr, mode: BindMode, system_id: &str, password: &str) -> Option<u32> {
    RawSp::bind(addr, mode, system_id, password, 0x34)
        .err()
        .map(|status| status.0)
}

/// Binds tried to land a session on the other core.
const BIND_ATTEMPTS_MAX: usize = 32;

/// Unbind-and-rebind rounds in the slot release scenario.
const REBIND_ROUNDS: usize = 10_000;

fn gateway_body(max_binds: u32, smsc: SocketAddr) -> String {
    [
        account("acme", &format!("max_binds = {max_binds}")),
        // Loopback is not in this account's networks.
        "[[account]]\nid = \"fenced\"\npassword = \"secret1\"\nallowed_ips = [\"10.0.0.0/8\"]\n"
            .to_string(),
        connector("smsc", smsc, "binds = 1"),
        route("", &["smsc"]),
    ]
    .concat()
}

// Proves each refusal's status, for every bind mode: a wrong password gets ESME_RINVPASWD
// (0x0E), a peer outside `allowed_ips` gets ESME_RBINDFAIL (0x0D), an unknown system_id gets
// ESME_RINVSYSID (0x0F); the refused connection is then closed by the gateway, and the good
// credentials still bind afterwards.
#[test]
fn bad_credentials_and_addresses_are_refused_with_their_status() {
    for backend in backends() {
        let gateway = start_gateway(backend, 1, &gateway_body(8, refusing_addr()));
        let mut refused = 0;
        for mode in [
            BindMode::Transmitter,
            BindMode::Receiver,
            BindMode::Transceiver,
        ] {
            let what = format!("{backend}: {mode:?}");
            let cases = [
                ("acme", "wrong", 0x0E),
                ("fenced", "secret1", 0x0D),
                ("nobody", "secret1", 0x0F),
            ];
            for (system_id, password, status) in cases {
                assert_eq!(
                    refusal(gateway.addr, mode, system_id, password),
                    Some(status),
                    "{what}: {system_id}/{password}"
                );
                refused += 1;
            }
            let client = Client::bind(gateway.addr, mode, "acme", "secret1", 0x34).unwrap();
            client.unbind();
        }
        // The gateway closes a refused connection after the bind response.
        let mut sp = RawSp::connect(gateway.addr);
        let sequence_number = sp.send(Body::BindTransmitter(Bind {
            system_id: b"acme".to_vec(),
            password: b"wrong".to_vec(),
            interface_version: 0x34,
            ..Bind::default()
        }));
        let response = sp.response(sequence_number, WAIT).unwrap();
        assert_eq!(
            response.command_status,
            CommandStatus::ESME_RINVPASWD,
            "{backend}"
        );
        assert!(sp.wait_closed(WAIT), "{backend}: refused connection closed");
        refused += 1;
        let counters = gateway.join();
        assert_eq!(counters.binds_refused, refused, "{backend}: {counters:?}");
        assert_eq!(counters.binds_accepted, 3, "{backend}: {counters:?}");
    }
}

// Proves `max_binds` over all modes on a one-core gateway (where an unbind's answer and the
// freeing of its slot happen in one turn of the core): with `max_binds = 2`, a transmitter and a
// receiver bind, a third bind (transceiver) is refused with ESME_RALYBND (0x05,
// docs/admission.md); right after an unbind is answered the slot is free again; and after a
// connection is dropped without unbind the slot is freed once the gateway sees the close.
#[test]
fn binds_over_max_binds_are_refused_until_a_slot_frees() {
    for backend in backends() {
        let gateway = start_gateway(backend, 1, &gateway_body(2, refusing_addr()));
        let first =
            Client::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        let second =
            Client::bind(gateway.addr, BindMode::Receiver, "acme", "secret1", 0x34).unwrap();
        assert_eq!(
            refusal(gateway.addr, BindMode::Transceiver, "acme", "secret1"),
            Some(0x05),
            "{backend}: third bind"
        );
        first.unbind();
        let third =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        assert_eq!(
            refusal(gateway.addr, BindMode::Transmitter, "acme", "secret1"),
            Some(0x05),
            "{backend}: full again"
        );
        // Dropped without unbind: the slot frees when the gateway sees the connection close.
        drop(second);
        let fourth = bind_when_free(gateway.addr, BindMode::Transmitter, backend);
        third.unbind();
        drop(fourth);
        let counters = gateway.join();
        assert_eq!(counters.binds_accepted, 4, "{backend}: {counters:?}");
    }
}

/// Binds, retrying while refused for `max_binds` (a dropped session's slot frees only once the
/// gateway has seen the close); fails the test after [`WAIT`].
fn bind_when_free(addr: SocketAddr, mode: BindMode, what: &str) -> RawSp {
    let mut bound = None;
    wait_until(
        &format!("{what}: a free bind slot"),
        WAIT,
        || match RawSp::bind(addr, mode, "acme", "secret1", 0x34) {
            Ok(sp) => {
                bound = Some(sp);
                true
            }
            Err(status) => {
                assert_eq!(status, CommandStatus::ESME_RALYBND, "{what}");
                false
            }
        },
    );
    bound.unwrap()
}

/// The core a raw transmitter's session is on, from a probe's message id.
fn core_of_session(sp: &mut RawSp) -> u8 {
    let sequence_number = sp.send(text_submit("254799000000", "probe", false));
    let response = sp.response(sequence_number, WAIT).unwrap();
    assert_eq!(response.command_status, CommandStatus::ESME_ROK);
    core_of(&response_id(&response))
}

// Proves `max_binds` is counted for the whole node, not per core: on a two-core gateway with
// `max_binds = 2`, two transmitters known to be on different cores (from their probes' message
// ids; a session on the wrong core is dropped and another opened, at most
// `BIND_ATTEMPTS_MAX` times) hold both slots, and a third bind in any mode is refused with
// ESME_RALYBND.
#[test]
fn max_binds_counts_sessions_on_every_core() {
    for backend in backends() {
        // A live SMSC, so that the probes leave the gateway's queues and the stop is quick.
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let gateway = start_gateway(backend, 2, &gateway_body(2, smsc.addr));
        gateway.wait_bound(0, 1);
        let mut first =
            RawSp::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        let first_core = core_of_session(&mut first);
        let mut second = None;
        for _ in 0..BIND_ATTEMPTS_MAX {
            let mut sp = bind_when_free(gateway.addr, BindMode::Transmitter, backend);
            if core_of_session(&mut sp) != first_core {
                second = Some(sp);
                break;
            }
        }
        let second = second.unwrap_or_else(|| {
            panic!("{backend}: no session on the other core in {BIND_ATTEMPTS_MAX} binds")
        });
        for mode in [
            BindMode::Transmitter,
            BindMode::Receiver,
            BindMode::Transceiver,
        ] {
            assert_eq!(
                refusal(gateway.addr, mode, "acme", "secret1"),
                Some(0x05),
                "{backend}: {mode:?} over max_binds with one bind on each core"
            );
        }
        drop(first);
        drop(second);
        gateway.join();
    }
}

// Proves a session's bind slot is free once the gateway has answered its unbind: on a two-core
// gateway with `max_binds = 2` (one slot held throughout by another session), a transmitter
// unbinds, reads the unbind_resp and binds again at once on a new connection,
// [`REBIND_ROUNDS`] times; no rebind may be refused. The new connection may land on the other
// core, so the slot must be released before the unbind_resp (or the close) is visible to the
// SP. A race here shows only in some rounds, hence the count; 10,000 rounds take about a
// second.
#[test]
fn a_bind_slot_is_free_once_the_unbind_is_answered() {
    for backend in backends() {
        let gateway = start_gateway(backend, 2, &gateway_body(2, refusing_addr()));
        let holder =
            RawSp::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        let mut sp =
            RawSp::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        let mut refused = 0;
        for _ in 0..REBIND_ROUNDS {
            let sequence_number = sp.send(Body::Unbind);
            let response = sp.response(sequence_number, WAIT).unwrap();
            assert_eq!(response.command_id(), CommandId::unbind_resp, "{backend}");
            sp = match RawSp::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34) {
                Ok(next) => next,
                Err(status) => {
                    assert_eq!(status, CommandStatus::ESME_RALYBND, "{backend}");
                    refused += 1;
                    bind_when_free(gateway.addr, BindMode::Transmitter, backend)
                }
            };
        }
        drop(sp);
        drop(holder);
        gateway.join();
        assert_eq!(
            refused, 0,
            "{backend}: rebinds refused ESME_RALYBND right after the unbind_resp, \
             of {REBIND_ROUNDS}"
        );
    }
}

// Proves the blocking test client reports a refused bind's status: `Client::bind` with a wrong
// password fails with an error from which `Client::refusal_status` reads 0x0E (the other tests
// read refusals from raw PDUs, so they do not depend on this).
#[test]
fn client_bind_reports_the_refusal_status() {
    for backend in backends() {
        let gateway = start_gateway(backend, 1, &gateway_body(8, refusing_addr()));
        let error = Client::bind(gateway.addr, BindMode::Transceiver, "acme", "wrong", 0x34)
            .err()
            .unwrap();
        assert_eq!(
            Client::refusal_status(&error),
            Some(0x0E),
            "{backend}: Client::bind error was {error:?}"
        );
        gateway.join();
    }
}
