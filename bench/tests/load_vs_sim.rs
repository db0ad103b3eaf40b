//! The load generator against the SMSC simulator over real loopback TCP: both sides count
//! independently, and every count must agree (sent, acknowledged, refused, receipts), for
//! several bind, window and message-mix settings and with throttling, queue-full and
//! disconnect faults injected. Every run is bounded by its message count and a timeout.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use smsgw_bench::load::{self, LoadConfig, Stop};
use smsgw_bench::mix::{DestPrefix, Mix};
use smsgw_bench::report::Report;
use smsgw_bench::signals::Shutdown;
use smsgw_bench::smsc_sim::{Faults, SimConfig, SmscSim};
use smsgw_shared::smpp::session::BindMode;

fn load_config(to: SocketAddr, binds: usize, window: usize, count: u64, mix: &str) -> LoadConfig {
    LoadConfig {
        to,
        system_id: "acme".into(),
        password: "secret1".into(),
        binds,
        window,
        stop: Stop::Count(count),
        rate_per_s: None,
        interface_version: 0x34,
        bind_mode: BindMode::Transceiver,
        mix: mix.parse::<Mix>().unwrap(),
        prefixes: vec!["2547".parse::<DestPrefix>().unwrap()],
        source_addr: "ACME".into(),
        registered_delivery: true,
        receipt_wait: Duration::from_secs(10),
        response_timeout_ms: 5_000,
        seed: 7,
    }
}

async fn run(
    sim_config: SimConfig,
    config: impl FnOnce(SocketAddr) -> LoadConfig,
) -> (Report, serde_json::Value) {
    let sim = SmscSim::start(sim_config).await.unwrap();
    let config = config(sim.local_addrs[0]);
    let report = tokio::time::timeout(Duration::from_secs(60), load::run(config, Shutdown::new()))
        .await
        .expect("load run bounded by 60 s")
        .unwrap();
    // Let the simulator see the last acknowledgements before reading its counts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let counts = sim.counters.to_json();
    sim.stop().await;
    (report, counts)
}

fn sim_config() -> SimConfig {
    SimConfig::new(vec!["127.0.0.1:0".parse().unwrap()])
}

fn count(counts: &serde_json::Value, key: &str) -> u64 {
    counts[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {counts}"))
}

// Proves the plain case for several bind/window/mix settings: every message acknowledged, every
// receipt delivered and matched, and the simulator's counts equal the generator's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_agree_without_faults() {
    for (binds, window, count_sent, mix) in [
        (1, 1, 50, "gsm=100"),
        (4, 64, 2_000, "gsm=70,ucs2=20,long=10"),
        (16, 8, 1_000, "long=100"),
    ] {
        let (report, counts) = run(sim_config(), |to| {
            load_config(to, binds, window, count_sent, mix)
        })
        .await;
        assert_eq!(
            report.sent,
            count(&counts, "submits"),
            "binds={binds} {counts}"
        );
        assert_eq!(report.acked_ok, report.sent);
        assert_eq!(report.errors, 0);
        assert_eq!(report.acked_ok, count(&counts, "submit_ok"));
        assert_eq!(
            report.receipts, report.acked_ok,
            "every receipt matched: {counts}"
        );
        assert_eq!(report.receipts_unmatched, 0);
        assert_eq!(count(&counts, "receipts_sent"), report.receipts);
        assert_eq!(count(&counts, "receipts_acked"), report.receipts);
        assert_eq!(count(&counts, "binds_accepted"), binds as u64);
        if mix == "long=100" {
            assert_eq!(report.sent, 3 * count_sent, "a long message is three parts");
        }
    }
}

// Proves throttling and queue-full faults are counted identically on both sides, and receipts
// come only for accepted messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_agree_with_throttling_and_queue_full() {
    let mut sim = sim_config();
    sim.faults = Faults {
        throttle_every: 7,
        queue_full_every: 11,
        ..Faults::default()
    };
    let (report, counts) = run(sim, |to| load_config(to, 4, 32, 3_000, "gsm=100")).await;
    let status = |code: u32| {
        report
            .statuses
            .iter()
            .find(|entry| entry.code == code)
            .map_or(0, |entry| entry.count)
    };
    assert_eq!(report.sent, 3_000);
    assert_eq!(status(0x58), count(&counts, "throttled"));
    assert_eq!(status(0x14), count(&counts, "queue_full"));
    assert!(status(0x58) > 0 && status(0x14) > 0);
    assert_eq!(report.errors, status(0x58) + status(0x14));
    assert_eq!(report.acked_ok, count(&counts, "submit_ok"));
    assert_eq!(report.acked_ok + report.errors, report.sent);
    assert_eq!(report.receipts, report.acked_ok);
}

// Proves disconnect faults (the simulator drops each connection after 200 PDUs): the generator
// reconnects, every submit is accounted for exactly once on its side as acknowledged, refused
// or lost with its connection, and every acknowledgement it counted was made by the simulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_agree_with_disconnects() {
    let mut sim = sim_config();
    sim.faults.close_after_pdus = 200;
    let (report, counts) = run(sim, |to| {
        let mut config = load_config(to, 2, 16, 1_000, "gsm=100");
        config.registered_delivery = false;
        config
    })
    .await;
    assert!(report.reconnects > 0, "{counts}");
    assert_eq!(
        report.sent,
        report.acked_ok + report.errors + report.timeouts
    );
    // The simulator drops a connection without flushing, so responses it made can be lost with
    // it: those submits are the generator's timeouts, never its acknowledgements.
    let submit_ok = count(&counts, "submit_ok");
    assert!(report.acked_ok <= submit_ok, "{counts}");
    assert!(submit_ok - report.acked_ok <= report.timeouts, "{counts}");
    assert!(count(&counts, "connections_closed_by_fault") > 0);
    assert_eq!(
        report.sent, 1_000,
        "lost submits count against the budget; they are not resent"
    );
}

// Proves a refused bind ends the run with an error naming the status rather than hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_bind_is_reported() {
    let mut sim_config = sim_config();
    sim_config.accounts.insert("acme".into(), "other".into());
    let sim = SmscSim::start(sim_config).await.unwrap();
    let config = load_config(sim.local_addrs[0], 1, 1, 10, "gsm=100");
    let result = tokio::time::timeout(Duration::from_secs(30), load::run(config, Shutdown::new()))
        .await
        .unwrap();
    let error = result.err().unwrap().to_string();
    assert!(error.contains("ESME_RINVPASWD"), "{error}");
    assert_eq!(sim.counters.binds_refused.load(Ordering::Relaxed), 1);
    sim.stop().await;
}
