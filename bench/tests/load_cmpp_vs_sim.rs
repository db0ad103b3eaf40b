//! The CMPP load generator against the ISMG simulator over real loopback TCP: both sides count
//! independently, and every count must agree (sent, acknowledged, throttled, status reports
//! sent, matched and acknowledged), in CMPP 2.0 and 3.0, across a version mismatch, and with a
//! throttling fault injected; a wrong secret and an unknown SP id are refused with a clear
//! error. Every run is bounded by its message count and a timeout.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use smsgw_bench::ismg_sim::{IsmgSim, IsmgSimConfig};
use smsgw_bench::load::Stop;
use smsgw_bench::load_cmpp::{self, LoadCmppConfig};
use smsgw_bench::mix::{DestPrefix, Mix};
use smsgw_bench::report::Report;
use smsgw_bench::signals::Shutdown;
use smsgw_bench::smsc_sim::Faults;
use smsgw_shared::cmpp::CmppVersion;

const SP_ID: &str = "901234";
const SECRET: &str = "s3cret";

fn sim_config(version: CmppVersion) -> IsmgSimConfig {
    let accounts = HashMap::from([(SP_ID.to_string(), SECRET.to_string())]);
    let mut config = IsmgSimConfig::new(vec!["127.0.0.1:0".parse().unwrap()], accounts);
    config.version = version;
    config
}

fn load_config(to: SocketAddr, version: CmppVersion, binds: usize, count: u64) -> LoadCmppConfig {
    LoadCmppConfig {
        to,
        source_addr: SP_ID.into(),
        shared_secret: SECRET.into(),
        version,
        binds,
        window: 16,
        stop: Stop::Count(count),
        rate_per_s: None,
        mix: "gsm=70,ucs2=20,long=10".parse::<Mix>().unwrap(),
        prefixes: vec!["86138".parse::<DestPrefix>().unwrap()],
        src_id: "1069001".into(),
        service_id: "MTEST".into(),
        registered_delivery: true,
        receipt_wait: Duration::from_secs(10),
        response_timeout_ms: 5_000,
        seed: 11,
    }
}

async fn run(
    sim_config: IsmgSimConfig,
    config: impl FnOnce(SocketAddr) -> LoadCmppConfig,
) -> (Report, serde_json::Value) {
    let sim = IsmgSim::start(sim_config).await.unwrap();
    let config = config(sim.local_addrs[0]);
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        load_cmpp::run(config, Shutdown::new()),
    )
    .await
    .expect("load run bounded by 60 s")
    .unwrap();
    // Let the simulator see the last acknowledgements before reading its counts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let counts = sim.counters.to_json();
    sim.stop().await;
    (report, counts)
}

fn count(counts: &serde_json::Value, key: &str) -> u64 {
    counts[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {counts}"))
}

// Proves the plain case in both versions and across a mismatch (a 3.0 SP against a 2.0-only
// ISMG speaks 2.0): every SUBMIT acknowledged, every status report delivered, matched to its
// Msg_Id and acknowledged, and the simulator's counts equal the generator's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_agree_in_both_versions() {
    use CmppVersion::{V2_0, V3_0};
    for (sp_version, ismg_version, binds, messages) in [
        (V2_0, V2_0, 2, 400),
        (V3_0, V3_0, 3, 400),
        (V3_0, V2_0, 1, 100),
    ] {
        let (report, counts) = run(sim_config(ismg_version), |to| {
            load_config(to, sp_version, binds, messages)
        })
        .await;
        let context = format!("{sp_version}->{ismg_version} {counts}");
        assert!(report.sent >= messages, "{context}");
        assert_eq!(report.sent, count(&counts, "submits"), "{context}");
        assert_eq!(report.acked_ok, report.sent, "{context}");
        assert_eq!(report.errors, 0, "{context}");
        assert_eq!(report.timeouts, 0, "{context}");
        assert_eq!(report.acked_ok, count(&counts, "submit_ok"), "{context}");
        assert_eq!(
            report.receipts, report.acked_ok,
            "every report matched: {context}"
        );
        assert_eq!(report.receipts_unmatched, 0, "{context}");
        assert_eq!(count(&counts, "reports_sent"), report.receipts, "{context}");
        assert_eq!(
            count(&counts, "reports_acked"),
            report.receipts,
            "{context}"
        );
        assert_eq!(
            count(&counts, "connects_accepted"),
            binds as u64,
            "{context}"
        );
        let negotiated = match ismg_version {
            V2_0 => "connects_v2_0",
            V3_0 => "connects_v3_0",
        };
        assert_eq!(count(&counts, negotiated), binds as u64, "{context}");
        assert_eq!(count(&counts, "connects_refused"), 0, "{context}");
        assert_eq!(count(&counts, "requests_refused"), 0, "{context}");
    }
}

// Proves a throttling fault (every 7th SUBMIT answered Result 8) is counted identically on
// both sides, reported as "throttled", and that status reports come only for accepted
// messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_agree_with_throttling() {
    let mut sim = sim_config(CmppVersion::V3_0);
    sim.faults = Faults {
        throttle_every: 7,
        ..Faults::default()
    };
    let (report, counts) = run(sim, |to| {
        let mut config = load_config(to, CmppVersion::V3_0, 2, 1_000);
        config.mix = "gsm=100".parse().unwrap();
        config
    })
    .await;
    let status = |code: u32| {
        report
            .statuses
            .iter()
            .find(|entry| entry.code == code)
            .map_or(0, |entry| entry.count)
    };
    assert_eq!(report.sent, 1_000);
    assert_eq!(status(8), count(&counts, "throttled"), "{counts}");
    assert_eq!(status(8), 1_000 / 7);
    assert_eq!(report.throttled, status(8));
    assert_eq!(report.errors, status(8));
    assert_eq!(report.acked_ok, count(&counts, "submit_ok"));
    assert_eq!(report.acked_ok + report.errors, report.sent);
    assert_eq!(report.receipts, report.acked_ok);
    assert_eq!(count(&counts, "reports_sent"), report.acked_ok);
}

// Proves a wrong shared secret is refused by the ISMG with Status 3 and the run ends with an
// error saying so, and that an unknown SP id is refused with Status 2; neither hangs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused_with_a_clear_error() {
    let sim = IsmgSim::start(sim_config(CmppVersion::V3_0)).await.unwrap();
    let mut config = load_config(sim.local_addrs[0], CmppVersion::V2_0, 1, 10);
    config.shared_secret = "wrong".into();
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        load_cmpp::run(config.clone(), Shutdown::new()),
    )
    .await
    .unwrap();
    let error = result.err().unwrap().to_string();
    assert!(error.contains("Status 3 (AUTH_ERROR)"), "{error}");
    assert!(error.contains("wrong shared secret"), "{error}");
    assert_eq!(sim.counters.connects_refused.load(Ordering::Relaxed), 1);

    config.shared_secret = SECRET.into();
    config.source_addr = "999999".into();
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        load_cmpp::run(config, Shutdown::new()),
    )
    .await
    .unwrap();
    let error = result.err().unwrap().to_string();
    assert!(error.contains("Status 2 (ILLEGAL_SOURCE_ADDR)"), "{error}");
    assert_eq!(sim.counters.connects_refused.load(Ordering::Relaxed), 2);
    assert_eq!(sim.counters.submits.load(Ordering::Relaxed), 0);
    sim.stop().await;
}

// Proves a CMPP connection that dropped keeps reconnecting (with backoff) while the ISMG is
// briefly down, instead of giving up at the first refused TCP connect: the first server accepts
// one connection and goes away; a simulator comes up on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_survives_an_ismg_restart() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let to = listener.local_addr().unwrap();
    let first = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        drop(listener);
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(stream);
    });
    let mut config = load_config(to, CmppVersion::V3_0, 1, 5);
    config.registered_delivery = false;
    let run = tokio::spawn(load_cmpp::run(config, Shutdown::new()));
    first.await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sim_config = sim_config(CmppVersion::V3_0);
    sim_config.listen = vec![to];
    let sim = IsmgSim::start(sim_config).await.unwrap();
    let report = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(report.sent, report.acked_ok);
    assert!(report.acked_ok >= 5, "{}", report.acked_ok);
    assert!(report.reconnects >= 2, "{}", report.reconnects);
    sim.stop().await;
}
