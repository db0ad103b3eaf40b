//! SMSC faults under load through the running gateway over loopback: the SMSC throttles
//! (ESME_RTHROTTLED on every Nth submit) and drops its connections every few hundred PDUs while
//! an SP pipelines a few thousand messages asking for receipts. The gateway must acknowledge
//! every message, get each to the SMSC, and bring every receipt back. Each scenario runs on
//! every available I/O backend.
//!
//! Two SMSCs, because they can check different things:
//! - the recording SMSC keeps every submit_sm, so "reaches the SMSC, none twice" is checked per
//!   message (by its text). Its disconnect is clean: it answers every submit it accepted, then
//!   closes (FIN), so the gateway never has a reason to send an accepted message again;
//! - the bench simulator drops connections abruptly (answers in its buffer are lost), which is
//!   closer to a crashing SMSC. There the connector resends what was in flight (documented
//!   at-least-once, dataplane/src/connector/mod.rs "Delivery guarantees"), so the simulator may
//!   count a message twice; the test checks every message reached it at least once, that the
//!   gateway saw exactly one acceptance per message, and that receipts come back for all.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gateway_support::{
    RecordingSmsc, Sim, SmscOptions, WAIT, WAIT_LOAD, account, backends, connector, receipted_id,
    route, start_gateway, text_id, text_submit,
};
use smsgw_bench::smsc_sim::Faults;
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::CommandStatus;
use smsgw_shared::smpp::session::BindMode;

/// Messages per load run.
const LOAD_COUNT: usize = 2_000;

/// Submits in flight at once from the SP (below the gateway's SP window of 64).
const BATCH_SIZE: usize = 32;

fn gateway_body(smsc: SocketAddr) -> String {
    [
        account("acme", "max_binds = 4\ntps = 1000000"),
        connector("smsc", smsc, "binds = 2\nwindow = 16\ntps = 1000000"),
        route("", &["smsc"]),
    ]
    .concat()
}

/// The text of message `index`; unique, so the SMSC side can tell messages apart.
fn text_of(index: usize) -> String {
    format!("load {index:05}")
}

/// Pipelines [`LOAD_COUNT`] submits in batches; every one must be answered ESME_ROK. Returns
/// message index to our message id.
fn submit_load(client: &mut Client, what: &str) -> BTreeMap<usize, String> {
    let mut ids = BTreeMap::new();
    for start in (0..LOAD_COUNT).step_by(BATCH_SIZE) {
        let end = (start + BATCH_SIZE).min(LOAD_COUNT);
        let mut tokens = HashMap::new();
        for index in start..end {
            let destination = format!("2547660{index:05}");
            let token = client
                .send(text_submit(&destination, &text_of(index), true))
                .unwrap();
            tokens.insert(token, index);
        }
        let responses = client.wait_responses(end - start, WAIT);
        assert_eq!(responses.len(), end - start, "{what}: batch at {start}");
        for response in responses {
            let index = tokens[&response.token];
            assert_eq!(
                response.status,
                CommandStatus::ESME_ROK,
                "{what}: message {index}"
            );
            let previous = ids.insert(index, response.message_id());
            assert!(previous.is_none(), "{what}: one answer per message");
        }
    }
    ids
}

/// Collects receipts until one has come for every id in `ids` (bounded); returns the receipted
/// ids in arrival order, repeats included.
fn collect_receipts(client: &mut Client, ids: &BTreeSet<String>, what: &str) -> Vec<String> {
    let mut got = Vec::new();
    let mut distinct = BTreeSet::new();
    let deadline = Instant::now() + WAIT_LOAD;
    while distinct.len() < ids.len() && Instant::now() < deadline {
        for receipt in client.wait_deliveries(ids.len(), Duration::from_millis(100)) {
            assert_eq!(receipt.esm_class & 0x3C, 0x04, "{what}: only receipts");
            let id = text_id(&receipt);
            assert_eq!(receipted_id(&receipt), Some(id.clone()), "{what}");
            assert!(ids.contains(&id), "{what}: a receipt for {id}, not ours");
            distinct.insert(id.clone());
            got.push(id);
        }
    }
    let missing: Vec<&String> = ids.difference(&distinct).take(10).collect();
    assert!(
        missing.is_empty(),
        "{what}: {} of {} receipts; missing e.g. {missing:?}",
        distinct.len(),
        ids.len()
    );
    got
}

// Proves no loss and no duplicate through SMSC throttling and clean disconnects: the recording
// SMSC answers every 50th submit ESME_RTHROTTLED and closes each connection after answering
// 250 submits; the SP pipelines 2,000 messages asking for receipts. Every message is answered
// ESME_ROK, the SMSC accepted each text exactly once (none lost, none twice), and the SP gets a
// receipt naming each id it was given (the SMSC may resend a receipt whose answer was cut off
// by its own close, so repeats are counted but allowed).
#[test]
fn throttling_and_clean_disconnects_lose_and_repeat_nothing() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions {
            throttle_every: 50,
            close_after_submits: 250,
            receipts: true,
        });
        let gateway = start_gateway(backend, 2, &gateway_body(smsc.addr));
        gateway.wait_bound(0, 2);
        let mut client =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let what = format!("{backend}: recording SMSC");
        let ids = submit_load(&mut client, &what);
        smsc.wait("every message accepted", WAIT_LOAD, |state| {
            state.accepted.len() >= LOAD_COUNT
        });
        let id_set: BTreeSet<String> = ids.values().cloned().collect();
        let receipts = collect_receipts(&mut client, &id_set, &what);
        let state = smsc.state();
        let mut texts: Vec<String> = state
            .accepted
            .iter()
            .map(|accepted| String::from_utf8_lossy(&accepted.submit_sm.short_message).into_owned())
            .collect();
        texts.sort();
        let expected: Vec<String> = (0..LOAD_COUNT).map(text_of).collect();
        assert_eq!(texts.len(), LOAD_COUNT, "{what}: none twice");
        assert!(texts == expected, "{what}: each message exactly once");
        assert!(state.throttled >= 1, "{what}: throttling happened");
        assert!(state.closed_by_fault >= 2, "{what}: disconnects happened");
        eprintln!(
            "{what}: {} throttled, {} disconnects, {} receipts for {} messages",
            state.throttled,
            state.closed_by_fault,
            receipts.len(),
            LOAD_COUNT
        );
        drop(state);
        client.unbind();
        let counters = gateway.join();
        assert_eq!(
            counters.submits_accepted, LOAD_COUNT as u64,
            "{what}: {counters:?}"
        );
        assert_eq!(
            counters.upstream_accepted, LOAD_COUNT as u64,
            "{what}: {counters:?}"
        );
        assert_eq!(counters.upstream_rejected, 0, "{what}: {counters:?}");
        assert_eq!(counters.upstream_uncertain, 0, "{what}: {counters:?}");
        assert_eq!(counters.receipts_unmatched, 0, "{what}: {counters:?}");
    }
}

// Proves no loss through throttling and abrupt disconnects of the bench simulator (every 50th
// submit throttled; each connection dropped without a word after 400 PDUs): every message is
// answered ESME_ROK, the gateway saw exactly one acceptance per message (none rejected, none
// uncertain), the simulator accepted at least as many as were sent (a resend after a lost
// answer may be counted twice there), and the SP gets a receipt naming each id.
#[test]
fn throttling_and_abrupt_disconnects_of_the_simulator_lose_nothing() {
    for backend in backends() {
        let sim = Sim::start(|config| {
            config.faults = Faults {
                throttle_every: 50,
                close_after_pdus: 400,
                ..Faults::default()
            };
        });
        let gateway = start_gateway(backend, 2, &gateway_body(sim.addr));
        gateway.wait_bound(0, 2);
        let mut client =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let what = format!("{backend}: bench simulator");
        let ids = submit_load(&mut client, &what);
        let id_set: BTreeSet<String> = ids.values().cloned().collect();
        let receipts = collect_receipts(&mut client, &id_set, &what);
        let submit_ok = sim.count("submit_ok");
        assert!(
            submit_ok >= LOAD_COUNT as u64,
            "{what}: every message reached the simulator: {}",
            sim.counts()
        );
        assert!(sim.count("throttled") >= 1, "{what}: {}", sim.counts());
        assert!(
            sim.count("connections_closed_by_fault") >= 1,
            "{what}: {}",
            sim.counts()
        );
        eprintln!(
            "{what}: simulator accepted {submit_ok} for {LOAD_COUNT} messages, {} receipts: {}",
            receipts.len(),
            sim.counts()
        );
        client.unbind();
        let counters = gateway.join();
        eprintln!("{what}: {counters:?}");
        assert_eq!(
            counters.submits_accepted, LOAD_COUNT as u64,
            "{what}: {counters:?}"
        );
        assert_eq!(
            counters.upstream_accepted, LOAD_COUNT as u64,
            "{what}: {counters:?}"
        );
        assert_eq!(counters.upstream_rejected, 0, "{what}: {counters:?}");
        assert_eq!(counters.upstream_uncertain, 0, "{what}: {counters:?}");
    }
}
