//! Interop: a widely used third-party SMPP client library (Python smpplib, pinned in
//! bench/interop/requirements.txt) binds to the SMSC simulator over loopback, submits short and
//! long (UDH-concatenated) messages and must receive a matched receipt for every one.
//!
//! The test command (scripts/test.sh) installs smpplib into a virtualenv and sets
//! SMSGW_INTEROP_PYTHON. Without it this test fails, unless SMSGW_SKIP_INTEROP=1 says to skip
//! on purpose, so a missing install can never pass silently.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::path::PathBuf;
use std::time::Duration;

use smsgw_bench::smsc_sim::{SimConfig, SmscSim};

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
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/smpp_client.py")
}

// Proves smpplib binds as a transceiver with a password the simulator checks, submits 20
// messages (10 short, 10 long split by smpplib into UDH parts), gets every submit_sm_resp and
// a receipt matched to every message id; the simulator's counts agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpplib_binds_submits_and_gets_every_receipt() {
    let Some(python) = interop_python() else {
        return;
    };
    let mut config = SimConfig::new(vec!["127.0.0.1:0".parse().unwrap()]);
    config.accounts.insert("acme".into(), "secret1".into());
    config.dlr_delay_ms = 50;
    let sim = SmscSim::start(config).await.unwrap();
    let port = sim.local_addrs[0].port().to_string();
    let child = tokio::process::Command::new(&python)
        .arg(script())
        .args([
            "--port",
            &port,
            "--system-id",
            "acme",
            "--password",
            "secret1",
            "--count",
            "20",
        ])
        .args(["--receipt-wait-s", "20", "--submit-timeout-s", "30"])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), child)
        .await
        .expect("bounded")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "smpplib client failed\nstdout: {stdout}\nstderr: {stderr}"
    );
    let last = stdout.lines().last().unwrap();
    let summary: serde_json::Value = serde_json::from_str(last).unwrap();
    let submitted = summary["submitted"].as_u64().unwrap();
    assert!(
        submitted > 20,
        "long messages were split into parts: {summary}"
    );
    assert_eq!(summary["acked_ok"].as_u64(), Some(submitted), "{summary}");
    assert_eq!(summary["matched"].as_u64(), Some(submitted), "{summary}");
    assert_eq!(summary["unmatched"].as_u64(), Some(0), "{summary}");
    let counts = sim.counters.to_json();
    assert_eq!(counts["submit_ok"].as_u64(), Some(submitted), "{counts}");
    assert_eq!(
        counts["receipts_sent"].as_u64(),
        Some(submitted),
        "{counts}"
    );
    assert_eq!(counts["binds_accepted"].as_u64(), Some(1), "{counts}");
    sim.stop().await;
}

// Proves a wrong password is refused by the simulator with a bind error smpplib reports, and
// the client exits non-zero rather than hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpplib_with_a_wrong_password_is_refused() {
    let Some(python) = interop_python() else {
        return;
    };
    let mut config = SimConfig::new(vec!["127.0.0.1:0".parse().unwrap()]);
    config.accounts.insert("acme".into(), "secret1".into());
    let sim = SmscSim::start(config).await.unwrap();
    let port = sim.local_addrs[0].port().to_string();
    let child = tokio::process::Command::new(&python)
        .arg(script())
        .args([
            "--port",
            &port,
            "--system-id",
            "acme",
            "--password",
            "wrong",
            "--count",
            "1",
        ])
        .args(["--submit-timeout-s", "10"])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("bounded")
        .unwrap();
    assert!(!output.status.success());
    let counts = sim.counters.to_json();
    assert_eq!(counts["binds_refused"].as_u64(), Some(1), "{counts}");
    sim.stop().await;
}
