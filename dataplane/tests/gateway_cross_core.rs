//! Receipts that must cross data-plane cores: a two-core gateway whose SMSC connector has one
//! bind (so it lives on core 0), an SP whose transmitter is on one core and whose only receiving
//! session is on the other.
//!
//! Which core takes a connection is the kernel's SO_REUSEPORT choice, so the tests learn it
//! rather than guess: the core index is part of every message id we issue (docs/message-ids.md,
//! bits 14..7), so a session submits one probe message without a receipt and reads the core
//! from the id it gets back. A session on the wrong core is unbound and another one opened,
//! at most [`BIND_ATTEMPTS_MAX`] times. That makes the placement deterministic without
//! depending on the kernel's hash.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gateway_support::{
    Sim, WAIT, account, backends, connector, core_of, receipted_id, route, start_gateway, text_id,
    text_submit,
};
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::CommandStatus;
use smsgw_shared::smpp::pdu::DeliverSm;
use smsgw_shared::smpp::session::BindMode;

/// Binds tried to land one session on a given core (each lands on either of two cores; the
/// chance that 32 all miss is negligible unless the kernel pins every connection to one core).
const BIND_ATTEMPTS_MAX: usize = 32;

/// Messages submitted per arrangement.
const MESSAGE_COUNT: usize = 20;

/// Receiving sessions in the many-receivers scenario.
const RECEIVER_COUNT: usize = 6;

fn gateway_body(sim: SocketAddr) -> String {
    [
        account("acme", "max_binds = 64\ntps = 100000"),
        connector("sim", sim, "binds = 1"),
        route("", &["sim"]),
    ]
    .concat()
}

/// Binds `mode` sessions until one lands on `core` (learnt from a probe's message id).
fn bind_on_core(addr: SocketAddr, mode: BindMode, core: u8) -> Client {
    for _ in 0..BIND_ATTEMPTS_MAX {
        let mut client = Client::bind(addr, mode, "acme", "secret1", 0x34).unwrap();
        let response = client
            .request(text_submit("254733000000", "probe", false), WAIT)
            .unwrap();
        assert_eq!(response.status, CommandStatus::ESME_ROK);
        if core_of(&response.message_id()) == core {
            return client;
        }
        client.unbind();
    }
    panic!("no {mode:?} session landed on core {core} in {BIND_ATTEMPTS_MAX} binds");
}

/// Submits [`MESSAGE_COUNT`] messages asking for receipts; returns the ids.
fn submit_all(client: &mut Client, tag: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for index in 0..MESSAGE_COUNT {
        let destination = format!("2547330{index:05}");
        let response = client
            .request(text_submit(&destination, tag, true), WAIT)
            .unwrap();
        assert_eq!(response.status, CommandStatus::ESME_ROK, "{tag}");
        assert!(ids.insert(response.message_id()), "{tag}: unique ids");
    }
    ids
}

/// The receipted ids of `receipts`, checking each names the same id in text and TLV.
fn receipt_ids(receipts: &[DeliverSm<Vec<u8>>], what: &str) -> Vec<String> {
    receipts
        .iter()
        .map(|receipt| {
            assert_eq!(receipt.esm_class & 0x3C, 0x04, "{what}: a receipt");
            let id = text_id(receipt);
            assert_eq!(receipted_id(receipt), Some(id.clone()), "{what}");
            id
        })
        .collect()
}

// Proves a receipt reaches the SP's receiving session when it is on the other core than the
// transmitter that submitted the message, in both arrangements: transmitter on core 0 (with the
// connector) and receiver on core 1, then transmitter on core 1 (its submits cross the mesh to
// the connector) and receiver on core 0. Every receipt arrives exactly once, with our id.
#[test]
fn receipt_reaches_a_receiver_on_the_other_core() {
    for backend in backends() {
        let sim = Sim::start(|_| {});
        let gateway = start_gateway(backend, 2, &gateway_body(sim.addr));
        gateway.wait_bound(0, 1);
        let mut delivered = 0;
        for transmitter_core in [0u8, 1] {
            let receiver_core = 1 - transmitter_core;
            let what = format!(
                "{backend}: transmitter on core {transmitter_core}, \
                 receiver on core {receiver_core}"
            );
            let mut transmitter =
                bind_on_core(gateway.addr, BindMode::Transmitter, transmitter_core);
            // A transceiver, so that its probe can tell its core; it is the SP's only
            // receiving session.
            let mut receiver = bind_on_core(gateway.addr, BindMode::Transceiver, receiver_core);
            let ids = submit_all(&mut transmitter, &what);
            let receipts = receiver.wait_deliveries(MESSAGE_COUNT, WAIT);
            let got = receipt_ids(&receipts, &what);
            assert_eq!(got.len(), MESSAGE_COUNT, "{what}: every receipt");
            let distinct: BTreeSet<String> = got.into_iter().collect();
            assert_eq!(distinct, ids, "{what}: each receipt once, with our id");
            delivered += MESSAGE_COUNT;
            transmitter.unbind();
            receiver.unbind();
        }
        let counters = gateway.join();
        assert_eq!(
            counters.receipts_matched, delivered as u64,
            "{backend}: {counters:?}"
        );
        assert_eq!(
            counters.delivered_to_sp, delivered as u64,
            "{backend}: {counters:?}"
        );
    }
}

// Proves receipts are spread over receiver-only binds wherever they are: a transmitter and
// [`RECEIVER_COUNT`] bind_receiver sessions (placed by the kernel over both cores); every
// receipt reaches exactly one of them, and none is lost or repeated.
#[test]
fn receipts_reach_receiver_binds_on_any_core_exactly_once() {
    for backend in backends() {
        let sim = Sim::start(|_| {});
        let gateway = start_gateway(backend, 2, &gateway_body(sim.addr));
        gateway.wait_bound(0, 1);
        let mut receivers: Vec<Client> = (0..RECEIVER_COUNT)
            .map(|_| {
                Client::bind(gateway.addr, BindMode::Receiver, "acme", "secret1", 0x34).unwrap()
            })
            .collect();
        let mut transmitter =
            Client::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        let ids = submit_all(&mut transmitter, backend);
        let mut got = Vec::new();
        let deadline = Instant::now() + WAIT;
        while got.len() < MESSAGE_COUNT && Instant::now() < deadline {
            for receiver in &mut receivers {
                let receipts = receiver.wait_deliveries(1, Duration::from_millis(10));
                got.extend(receipt_ids(&receipts, backend));
            }
        }
        assert_eq!(got.len(), MESSAGE_COUNT, "{backend}: every receipt");
        let distinct: BTreeSet<String> = got.into_iter().collect();
        assert_eq!(distinct, ids, "{backend}: each receipt once, with our id");
        transmitter.unbind();
        for receiver in receivers {
            receiver.unbind();
        }
        let counters = gateway.join();
        assert_eq!(
            counters.delivered_to_sp, MESSAGE_COUNT as u64,
            "{backend}: {counters:?}"
        );
    }
}

// Proves receipts wait for the SP to bind a receiving session: a transmitter submits while the
// SP has no receiver (the SMSC sends the receipts, and the gateway accepts them, before any
// receiver exists); a receiver bound afterwards, on whichever core, gets every one exactly once.
#[test]
fn receipts_wait_for_a_receiver_to_bind() {
    for backend in backends() {
        let sim = Sim::start(|_| {});
        let gateway = start_gateway(backend, 2, &gateway_body(sim.addr));
        gateway.wait_bound(0, 1);
        let mut transmitter =
            Client::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        let ids = submit_all(&mut transmitter, backend);
        gateway_support::wait_until(
            &format!("{backend}: the gateway acknowledged every receipt"),
            WAIT,
            || sim.count("receipts_acked") >= MESSAGE_COUNT as u64,
        );
        let mut receiver =
            Client::bind(gateway.addr, BindMode::Receiver, "acme", "secret1", 0x34).unwrap();
        let receipts = receiver.wait_deliveries(MESSAGE_COUNT, WAIT);
        let got = receipt_ids(&receipts, backend);
        assert_eq!(got.len(), MESSAGE_COUNT, "{backend}: every receipt");
        let distinct: BTreeSet<String> = got.into_iter().collect();
        assert_eq!(distinct, ids, "{backend}: each receipt once, with our id");
        transmitter.unbind();
        receiver.unbind();
        let counters = gateway.join();
        assert_eq!(
            counters.delivered_to_sp, MESSAGE_COUNT as u64,
            "{backend}: {counters:?}"
        );
    }
}
