//! Cross-cutting checks of the bench tools found in review: the load generator and the SMSC
//! simulator over real loopback TCP, each run bounded by a count or a duration and a timeout.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use smsgw_bench::load::{self, LoadConfig, Stop};
use smsgw_bench::mix::{DestPrefix, Mix};
use smsgw_bench::signals::Shutdown;
use smsgw_bench::smsc_sim::{MoConfig, SimConfig, SmscSim};
use smsgw_shared::smpp::session::BindMode;

fn load_config(to: SocketAddr, bind_mode: BindMode, stop: Stop) -> LoadConfig {
    LoadConfig {
        to,
        system_id: "acme".into(),
        password: "secret1".into(),
        binds: 1,
        window: 4,
        stop,
        rate_per_s: None,
        interface_version: 0x34,
        bind_mode,
        mix: "gsm=100".parse::<Mix>().unwrap(),
        prefixes: vec!["2547".parse::<DestPrefix>().unwrap()],
        source_addr: "ACME".into(),
        registered_delivery: false,
        receipt_wait: Duration::ZERO,
        response_timeout_ms: 5_000,
        seed: 7,
    }
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

// Proves receipts whose message id matches nothing of the run are reported as
// `receipts_unmatched` (they used to wait in the early-receipt map and vanish from the report):
// a transmitter run's receipts are routed by the simulator to another run's transceiver bind of
// the same system_id, which never sent those messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_matching_no_message_are_counted_as_unmatched() {
    let sim = SmscSim::start(SimConfig::new(vec![loopback()]))
        .await
        .unwrap();
    let to = sim.local_addrs[0];
    let mut receiver = load_config(
        to,
        BindMode::Transceiver,
        Stop::Duration(Duration::from_millis(1_500)),
    );
    receiver.rate_per_s = Some(2);
    let receiver = tokio::spawn(load::run(receiver, Shutdown::new()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sender = load_config(to, BindMode::Transmitter, Stop::Count(5));
    sender.registered_delivery = true;
    let sent = tokio::time::timeout(Duration::from_secs(30), load::run(sender, Shutdown::new()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.acked_ok, 5);
    let received = tokio::time::timeout(Duration::from_secs(30), receiver)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let acked = sim.counters.receipts_acked.load(Ordering::Relaxed);
    assert_eq!(acked, 5, "{}", sim.counters.to_json());
    assert_eq!(received.receipts, 0);
    assert_eq!(received.receipts_unmatched, acked);
    sim.stop().await;
}

// Proves `--max-binds` bounds every bind, not only receiving ones: with one allowed, a second
// transmitter bind is refused with ESME_RBINDFAIL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_binds_counts_transmitter_binds() {
    let mut sim_config = SimConfig::new(vec![loopback()]);
    sim_config.max_binds = 1;
    let sim = SmscSim::start(sim_config).await.unwrap();
    let mut config = load_config(sim.local_addrs[0], BindMode::Transmitter, Stop::Count(20));
    config.binds = 2;
    config.rate_per_s = Some(20);
    let report = tokio::time::timeout(Duration::from_secs(30), load::run(config, Shutdown::new()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.acked_ok, 20);
    assert_eq!(sim.counters.binds_accepted.load(Ordering::Relaxed), 1);
    assert_eq!(sim.counters.binds_refused.load(Ordering::Relaxed), 1);
    sim.stop().await;
}

// Proves connections on different listeners are told apart: when the first connection on one
// listener closes, the first connection on another listener (same system_id) stays registered
// for deliveries, so MO keeps flowing to it instead of being dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_bind_on_one_listener_keeps_the_other_listeners_binds() {
    let mut sim_config = SimConfig::new(vec![loopback(), loopback()]);
    sim_config.mo = Some(MoConfig {
        rate_per_s: 200,
        short_code: "1234".into(),
        source: "254700000001".into(),
    });
    let sim = SmscSim::start(sim_config).await.unwrap();
    let mut staying = load_config(
        sim.local_addrs[1],
        BindMode::Transceiver,
        Stop::Duration(Duration::from_millis(2_000)),
    );
    staying.rate_per_s = Some(2);
    let staying = tokio::spawn(load::run(staying, Shutdown::new()));
    let leaving = load_config(sim.local_addrs[0], BindMode::Transceiver, Stop::Count(1));
    tokio::time::timeout(Duration::from_secs(30), load::run(leaving, Shutdown::new()))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dropped_before = sim.counters.mo_dropped.load(Ordering::Relaxed);
    let sent_before = sim.counters.mo_sent.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let dropped_after = sim.counters.mo_dropped.load(Ordering::Relaxed);
    let sent_after = sim.counters.mo_sent.load(Ordering::Relaxed);
    assert_eq!(dropped_after, dropped_before, "{}", sim.counters.to_json());
    assert!(sent_after > sent_before, "{}", sim.counters.to_json());
    tokio::time::timeout(Duration::from_secs(30), staying)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    sim.stop().await;
}

// Proves a bind whose connection dropped keeps reconnecting (with backoff) while the server is
// briefly down, as the docs promise, instead of giving up at the first refused TCP connect: the
// first server accepts one connection and goes away; a simulator comes up on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_survives_a_server_restart() {
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let to = listener.local_addr().unwrap();
    let first = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        drop(listener);
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(stream);
    });
    let run = tokio::spawn(load::run(
        load_config(to, BindMode::Transceiver, Stop::Count(5)),
        Shutdown::new(),
    ));
    first.await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sim = SmscSim::start(SimConfig::new(vec![to])).await.unwrap();
    let report = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(report.acked_ok, 5);
    assert!(report.reconnects >= 2, "{}", report.reconnects);
    sim.stop().await;
}
