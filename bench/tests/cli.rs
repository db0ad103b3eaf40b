//! The command lines benchmark rigs rely on (INTERFACES.md), run as real processes: smsc-sim
//! writes its counts as JSON on SIGTERM (stdout and --stats-file), and `load --json` ends its
//! output with one JSON object carrying the contract keys. Bounded by counts and timeouts.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BENCH: &str = env!("CARGO_BIN_EXE_smsgw-bench");

// Proves the full CLI path: smsc-sim announces its port, load --json runs against it and prints
// the contract keys on its last line, and SIGTERM makes smsc-sim print and write its counts,
// which agree with the load report.
#[test]
fn smsc_sim_and_load_speak_the_interface_contract() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("sim.json");
    let mut sim = Command::new(BENCH)
        .args([
            "smsc-sim",
            "--listen",
            "127.0.0.1:0",
            "--duration-s",
            "120",
            "--stats-interval-ms",
            "50",
        ])
        .arg("--stats-file")
        .arg(&stats)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(sim.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(line.contains("listening on 127.0.0.1:"), "{line}");

    let output = Command::new(BENCH)
        .args([
            "load",
            "--to",
            &address,
            "--system-id",
            "rig",
            "--password",
            "pw",
        ])
        .args([
            "--binds",
            "2",
            "--window",
            "8",
            "--count",
            "500",
            "--registered-delivery",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    for key in [
        "sent",
        "acked_ok",
        "errors",
        "receipts",
        "msgs_per_s",
        "p50_us",
        "p99_us",
    ] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    assert_eq!(report["acked_ok"], 500);
    assert_eq!(report["receipts"], 500);

    let pid = sim.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = sim.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "smsc-sim did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut sim.stdout.take().unwrap(), &mut printed).unwrap();
    let counts: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();
    assert_eq!(counts["submit_ok"], 500);
    assert_eq!(counts["receipts_acked"], 500);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(
        written, counts,
        "the last stats-file write is the final count"
    );
}

// Proves operator mistakes get a readable error and a non-zero exit, not a panic: a
// non-loopback target without --allow-non-loopback, and a bind the simulator refuses.
#[test]
fn bad_invocations_fail_readably() {
    let output = Command::new(BENCH)
        .args([
            "load",
            "--to",
            "192.0.2.1:2775",
            "--system-id",
            "a",
            "--password",
            "b",
            "--count",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("loopback"), "{stderr}");

    let output = Command::new(BENCH)
        .args([
            "load",
            "--to",
            "127.0.0.1:1",
            "--system-id",
            "a",
            "--password",
            "b",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "clap usage error for a missing --count/--duration-s"
    );
}

// Proves `load --help` states the source_addr SMPP submits really carry when --source-addr is
// left out (SMSGW), rather than promising an empty one.
#[test]
fn load_help_states_the_real_source_addr_default() {
    let output = Command::new(BENCH)
        .args(["load", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let start = help.find("--source-addr").unwrap();
    let entry = &help[start..start + help[start..].find("--service-id").unwrap()];
    assert!(entry.contains("SMSGW"), "{entry}");
}
