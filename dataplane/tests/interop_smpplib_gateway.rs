//! Interop: a widely used third-party SMPP client library (Python smpplib, pinned in
//! bench/interop/requirements.txt) binds to the *gateway* as an SP, submits short and long
//! (UDH-concatenated) messages, and must receive a receipt naming the gateway's message id for
//! every part. Behind the gateway the bench SMSC simulator runs in-process, so the counts the
//! client, the gateway and the simulator report can be compared.
//!
//! The client is bench/interop/smpp_client.py, unchanged: it talks to any SMPP server address.
//! It matches each receipt (receipted_message_id TLV, else the `id:` of the receipt text) to the
//! ids in the submit_sm_resps it got, and counts a receipt naming any other id as unmatched.
//! The gateway answers with its own ids (16 hex digits whose top 41 bits are milliseconds since
//! 2024, so at least 2^23), the simulator with its own (1, 2, 3, … in hex): a receipt that
//! passed the simulator's id through would match nothing.
//!
//! The test command (scripts/test.sh) installs smpplib into a virtualenv and sets
//! SMSGW_INTEROP_PYTHON. Without it these tests fail, unless SMSGW_SKIP_INTEROP=1 says to skip
//! on purpose, so a missing install can never pass silently. The io_uring case is skipped, with
//! a line saying why, where `runtime::choose_backend` refuses io_uring.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use smsgw_bench::smsc_sim::{SimConfig, SmscSim};
use smsgw_dataplane::config::{Config, IoBackend};
use smsgw_dataplane::gateway::{Counters, Gateway};
use smsgw_dataplane::runtime::choose_backend;

// Proves, on the epoll backend, that smpplib binds to the gateway as a transceiver, gets
// ESME_ROK for all 10 short and 10 long messages (every smpplib-made UDH part), and a receipt
// with the gateway's id for every part; the client's, the gateway's and the simulator's counts
// agree. How: see `submits_and_receipts_agree`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpplib_through_gateway_gets_a_receipt_with_our_id_for_every_part_on_epoll() {
    let Some(python) = interop_python() else {
        return;
    };
    submits_and_receipts_agree(&python, "epoll").await;
}

// Proves the same on the io_uring backend, where the kernel and the build allow it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpplib_through_gateway_gets_a_receipt_with_our_id_for_every_part_on_io_uring() {
    let Some(python) = interop_python() else {
        return;
    };
    if let Err(why) = choose_backend(IoBackend::IoUring) {
        eprintln!("io_uring interop skipped: {why}");
        return;
    }
    submits_and_receipts_agree(&python, "io_uring").await;
}

// Proves a wrong password is refused by the gateway with a bind error smpplib reports: the
// client exits non-zero rather than hanging, the gateway counts one refused bind and no
// submit, and nothing reaches the simulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpplib_with_a_wrong_password_is_refused_by_the_gateway() {
    let Some(python) = interop_python() else {
        return;
    };
    let sim = SmscSim::start(sim_config()).await.unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let gateway =
        Gateway::start(gateway_config(sim.local_addrs[0], data_dir.path(), "epoll")).unwrap();
    let port = gateway.smpp_addrs()[0].port();
    let output = run_client(&python, port, ACCOUNT_SYSTEM_ID, "wrong", 1).await;
    let counters = join(gateway).await;
    let sim_counts = sim.counters.to_json();
    sim.stop().await;

    let output = output.unwrap();
    assert!(
        !output.status.success(),
        "a wrong password must fail the client\n{}",
        describe(&output)
    );
    assert_eq!(counters.binds_refused, 1, "{counters:?}");
    assert_eq!(counters.binds_accepted, 0, "{counters:?}");
    assert_eq!(counters.submits_accepted, 0, "{counters:?}");
    assert_eq!(sim_counts["submits"].as_u64(), Some(0), "{sim_counts}");
}

/// Starts the simulator and the gateway on `backend`, waits until every connector bind is up,
/// runs the client, stops the gateway, and only then asserts (so a failed assertion never
/// leaves the gateway's threads running): the client's summary, the gateway's counters and
/// the simulator's counts must all say every part was accepted and receipted once.
async fn submits_and_receipts_agree(python: &str, backend: &str) {
    let sim = SmscSim::start(sim_config()).await.unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let gateway =
        Gateway::start(gateway_config(sim.local_addrs[0], data_dir.path(), backend)).unwrap();
    assert_eq!(gateway.backend(), backend);
    let binds_up = wait_for_connector_binds(&gateway).await;
    let port = gateway.smpp_addrs()[0].port();
    let output = if binds_up {
        Some(
            run_client(
                python,
                port,
                ACCOUNT_SYSTEM_ID,
                ACCOUNT_PASSWORD,
                MESSAGE_COUNT,
            )
            .await,
        )
    } else {
        None
    };
    let counters = join(gateway).await;
    let sim_counts = sim.counters.to_json();
    sim.stop().await;

    assert!(
        binds_up,
        "the connector's {CONNECTOR_BINDS} binds were not up within {BIND_WAIT:?}: \
         {counters:?}\n{sim_counts}"
    );
    let output = output.unwrap().unwrap();
    let context = format!(
        "{}\ngateway: {counters:?}\nsimulator: {sim_counts}",
        describe(&output)
    );
    assert!(output.status.success(), "smpplib client failed\n{context}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();

    // The client: every part acked OK with a distinct id, each of them receipted once.
    let submitted = summary["submitted"].as_u64().unwrap();
    assert_eq!(
        summary["messages"].as_u64(),
        Some(MESSAGE_COUNT),
        "{context}"
    );
    assert!(
        submitted > MESSAGE_COUNT,
        "long messages were split into parts\n{context}"
    );
    assert_eq!(summary["acked_ok"].as_u64(), Some(submitted), "{context}");
    assert_eq!(summary["errors"].as_u64(), Some(0), "{context}");
    assert_eq!(summary["matched"].as_u64(), Some(submitted), "{context}");
    assert_eq!(summary["receipts"].as_u64(), Some(submitted), "{context}");
    assert_eq!(summary["unmatched"].as_u64(), Some(0), "{context}");
    assert_eq!(summary["duplicate_receipts"].as_u64(), Some(0), "{context}");

    // The gateway: one SP bind; every part accepted, forwarded, receipted, matched, delivered.
    assert_eq!(counters.binds_accepted, 1, "{context}");
    assert_eq!(counters.binds_refused, 0, "{context}");
    assert_eq!(counters.submits_accepted, submitted, "{context}");
    assert_eq!(counters.submits_refused, 0, "{context}");
    assert_eq!(counters.upstream_accepted, submitted, "{context}");
    assert_eq!(counters.upstream_rejected, 0, "{context}");
    assert_eq!(counters.upstream_uncertain, 0, "{context}");
    assert_eq!(counters.upstream_id_invalid, 0, "{context}");
    assert_eq!(counters.receipts_received, submitted, "{context}");
    assert_eq!(counters.receipts_matched, submitted, "{context}");
    assert_eq!(counters.receipts_unmatched, 0, "{context}");
    assert_eq!(counters.delivered_to_sp, submitted, "{context}");
    assert_eq!(counters.deliveries_dropped, 0, "{context}");
    assert_eq!(counters.hops_dropped, 0, "{context}");

    // The simulator: the connector's binds, every part once, every receipt acknowledged.
    assert_eq!(
        sim_counts["binds_accepted"].as_u64(),
        Some(CONNECTOR_BINDS),
        "{context}"
    );
    assert_eq!(sim_counts["binds_refused"].as_u64(), Some(0), "{context}");
    assert_eq!(
        sim_counts["submit_ok"].as_u64(),
        Some(submitted),
        "{context}"
    );
    assert_eq!(
        sim_counts["receipts_sent"].as_u64(),
        Some(submitted),
        "{context}"
    );
    assert_eq!(
        sim_counts["receipts_acked"].as_u64(),
        Some(submitted),
        "{context}"
    );
    assert_eq!(
        sim_counts["receipts_dropped"].as_u64(),
        Some(0),
        "{context}"
    );
}

/// The interpreter with smpplib, or `None` when interop is skipped on purpose.
fn interop_python() -> Option<String> {
    if std::env::var("SMSGW_SKIP_INTEROP").as_deref() == Ok("1") {
        eprintln!("interop skipped: SMSGW_SKIP_INTEROP=1");
        return None;
    }
    match std::env::var("SMSGW_INTEROP_PYTHON") {
        Ok(python) => Some(python),
        Err(_) => panic!(
            "SMSGW_INTEROP_PYTHON is not set: run through scripts/test.sh (which installs smpplib), \
             or set SMSGW_SKIP_INTEROP=1 to skip interop on purpose"
        ),
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/interop/smpp_client.py")
}

/// A simulator that checks the connector's password and receipts every message after 50 ms.
fn sim_config() -> SimConfig {
    let mut config = SimConfig::new(vec!["127.0.0.1:0".parse().unwrap()]);
    config
        .accounts
        .insert(CONNECTOR_SYSTEM_ID.into(), CONNECTOR_PASSWORD.into());
    config.dlr_delay_ms = 50;
    config
}

/// Two cores, one SP account, one connector to the simulator with a bind on each core, one
/// default route. The account's TPS is well above the burst the client sends, so flow control
/// never answers ESME_RTHROTTLED here.
fn gateway_config(sim: SocketAddr, data_dir: &Path, backend: &str) -> Config {
    let text = format!(
        r#"[node]
id = 7
cores = 2
data_dir = "{data_dir}"
io_backend = "{backend}"
durability = "none"

[smpp]
listen = ["127.0.0.1:0"]

[[account]]
id = "{ACCOUNT_SYSTEM_ID}"
password = "{ACCOUNT_PASSWORD}"
allowed_ips = ["127.0.0.0/8"]
max_binds = 2
tps = 1000
window = 64
message_id_format = "hex"

[[connector]]
name = "sim"
address = "{sim}"
system_id = "{CONNECTOR_SYSTEM_ID}"
password = "{CONNECTOR_PASSWORD}"
bind = "transceiver"
binds = {CONNECTOR_BINDS}
window = 64
tps = 1000
enquire_link_s = 30

[[route]]
prefix = ""
connectors = ["sim"]
"#,
        data_dir = data_dir.display(),
    );
    Config::parse(&text, data_dir).unwrap_or_else(|errors| panic!("config: {errors}"))
}

/// Waits, bounded by [`BIND_WAIT`], until every connector bind is up; false if they were not.
async fn wait_for_connector_binds(gateway: &Gateway) -> bool {
    let deadline = Instant::now() + BIND_WAIT;
    loop {
        let bound = gateway.snapshot().connectors[0]
            .bound
            .load(Ordering::Relaxed);
        if u64::from(bound) == CONNECTOR_BINDS {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the smpplib client against the gateway on `port`; an error when it did not finish
/// within [`CLIENT_WAIT`] (the child is killed) or could not start. The caller asserts only
/// after stopping the gateway.
async fn run_client(
    python: &str,
    port: u16,
    system_id: &str,
    password: &str,
    count: u64,
) -> Result<Output, String> {
    let child = tokio::process::Command::new(python)
        .arg(script())
        .args(["--port", &port.to_string()])
        .args(["--system-id", system_id, "--password", password])
        .args(["--count", &count.to_string()])
        .args(["--receipt-wait-s", "20", "--submit-timeout-s", "30"])
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(CLIENT_WAIT, child).await {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(error)) => Err(format!("cannot run {python}: {error}")),
        Err(_) => Err(format!("the smpplib client ran over {CLIENT_WAIT:?}")),
    }
}

/// Stops the gateway and returns its summed counters, bounded by [`JOIN_WAIT`].
async fn join(gateway: Gateway) -> Counters {
    let joined = tokio::task::spawn_blocking(move || gateway.join());
    tokio::time::timeout(JOIN_WAIT, joined)
        .await
        .expect("the gateway stops within JOIN_WAIT")
        .unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "client status: {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The SP account smpplib binds as.
const ACCOUNT_SYSTEM_ID: &str = "acme";
const ACCOUNT_PASSWORD: &str = "secret1";
/// The gateway's account at the simulator.
const CONNECTOR_SYSTEM_ID: &str = "gw";
const CONNECTOR_PASSWORD: &str = "pw";
/// Connector binds, spread one per core so receipts and id records cross the mesh.
const CONNECTOR_BINDS: u64 = 2;
/// Messages the client sends, alternating short and long: 10 of each.
const MESSAGE_COUNT: u64 = 20;
/// Bound on the connector's binds coming up.
const BIND_WAIT: Duration = Duration::from_secs(10);
/// Bound on the whole client run (its own waits are 30 s and 20 s).
const CLIENT_WAIT: Duration = Duration::from_secs(90);
/// Bound on the gateway's graceful stop (its grace is 5 s).
const JOIN_WAIT: Duration = Duration::from_secs(30);
