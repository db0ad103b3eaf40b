//! Mobile-originated traffic through the running gateway over loopback: the SMSC sends
//! deliver_sm to a short code and the gateway hands it to a receiving session of the SP that
//! owns the code, and to no other SP. Each scenario runs on every available I/O backend.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use std::time::{Duration, Instant};

use gateway_support::{
    RecordingSmsc, Sim, SmscOptions, WAIT, account, backends, connector, route, start_gateway,
};
use smsgw_bench::smsc_sim::MoConfig;
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::CommandStatus;
use smsgw_shared::smpp::session::BindMode;

/// MO messages the owner must receive while the other SP is watched.
const MO_COUNT: usize = 20;

fn gateway_body(smsc: std::net::SocketAddr) -> String {
    [
        account("acme", "short_codes = [\"12345\"]"),
        account("other", "short_codes = [\"54321\"]"),
        connector("smsc", smsc, "binds = 2"),
        route("", &["smsc"]),
    ]
    .concat()
}

// Proves MO from the bench simulator (a steady rate to short code 12345) reaches the receiver
// of the SP owning 12345 with source, destination and text intact, while a receiver of another
// SP (owning 54321) gets nothing over the same stretch of [`MO_COUNT`] messages.
#[test]
fn simulator_mo_reaches_only_the_owner_of_the_short_code() {
    for backend in backends() {
        let sim = Sim::start(|config| {
            config.mo = Some(MoConfig {
                rate_per_s: 200,
                short_code: "12345".into(),
                source: "254700000001".into(),
            });
        });
        let gateway = start_gateway(backend, 2, &gateway_body(sim.addr));
        gateway.wait_bound(0, 2);
        let mut owner =
            Client::bind(gateway.addr, BindMode::Receiver, "acme", "secret1", 0x34).unwrap();
        let mut other =
            Client::bind(gateway.addr, BindMode::Receiver, "other", "secret1", 0x34).unwrap();
        let mut got = Vec::new();
        let mut stray = Vec::new();
        let deadline = Instant::now() + WAIT;
        while got.len() < MO_COUNT && Instant::now() < deadline {
            got.extend(owner.wait_deliveries(MO_COUNT, Duration::from_millis(20)));
            stray.extend(other.wait_deliveries(1, Duration::from_millis(5)));
        }
        assert!(got.len() >= MO_COUNT, "{backend}: {} MO", got.len());
        assert!(stray.is_empty(), "{backend}: another SP got MO: {stray:?}");
        for mo in &got {
            assert_eq!(mo.esm_class & 0x3C, 0, "{backend}: MO, not a receipt");
            assert_eq!(mo.destination_addr, b"12345", "{backend}");
            assert_eq!(mo.source_addr, b"254700000001", "{backend}");
            let text = String::from_utf8_lossy(&mo.short_message);
            assert!(text.starts_with("MO "), "{backend}: {text:?}");
        }
        owner.unbind();
        other.unbind();
        let counters = gateway.join();
        assert_eq!(counters.mo_unrouted, 0, "{backend}: {counters:?}");
        assert!(
            counters.mo_received >= MO_COUNT as u64,
            "{backend}: {counters:?}"
        );
        assert!(
            sim.count("mo_acked") >= MO_COUNT as u64,
            "{:?}",
            sim.counts()
        );
    }
}

// Proves routing by short code exactly: the recording SMSC sends 5 MO to 12345, 3 to 54321 and
// one to 99999 (nobody's). Each owner receives exactly its own texts; the unknown code is
// answered ESME_RINVDSTADR to the SMSC and counted as unrouted; the others are answered
// ESME_ROK; nothing is delivered twice.
#[test]
fn mo_goes_to_the_owner_and_unknown_short_codes_are_refused() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let gateway = start_gateway(backend, 2, &gateway_body(smsc.addr));
        gateway.wait_bound(0, 2);
        let mut owner =
            Client::bind(gateway.addr, BindMode::Receiver, "acme", "secret1", 0x34).unwrap();
        let mut other = Client::bind(
            gateway.addr,
            BindMode::Transceiver,
            "other",
            "secret1",
            0x50,
        )
        .unwrap();
        for index in 0..5 {
            smsc.send_mo(
                &format!("acme {index}"),
                "254700000002",
                "12345",
                &format!("to acme {index}"),
            );
        }
        for index in 0..3 {
            smsc.send_mo(
                &format!("other {index}"),
                "254700000003",
                "54321",
                &format!("to other {index}"),
            );
        }
        smsc.send_mo("nobody", "254700000004", "99999", "to nobody");
        smsc.wait("every MO answered", WAIT, |state| {
            state.delivery_results.len() == 9
        });
        let results = smsc.state().delivery_results.clone();
        for (label, status) in &results {
            let expected = if label == "nobody" {
                CommandStatus::ESME_RINVDSTADR
            } else {
                CommandStatus::ESME_ROK
            };
            assert_eq!(*status, expected, "{backend}: {label}");
        }
        let texts = |client: &mut Client, count: usize| {
            let mut texts: Vec<String> = client
                .wait_deliveries(count, WAIT)
                .iter()
                .map(|mo| String::from_utf8_lossy(&mo.short_message).into_owned())
                .collect();
            texts.sort();
            texts
        };
        let expected: Vec<String> = (0..5).map(|index| format!("to acme {index}")).collect();
        assert_eq!(texts(&mut owner, 5), expected, "{backend}");
        let expected: Vec<String> = (0..3).map(|index| format!("to other {index}")).collect();
        assert_eq!(texts(&mut other, 3), expected, "{backend}");
        owner.unbind();
        other.unbind();
        let counters = gateway.join();
        assert_eq!(counters.mo_received, 8, "{backend}: {counters:?}");
        assert_eq!(counters.mo_unrouted, 1, "{backend}: {counters:?}");
        assert_eq!(counters.delivered_to_sp, 8, "{backend}: {counters:?}");
    }
}
