//! `smsgw demo`, the README's first command, as a user runs it: it starts the simulator and the
//! gateway, sends five messages (GSM, UCS2, a three-part long one), every submit is answered OK
//! and every message id comes back in a DELIVRD receipt, and SIGTERM stops it with exit 0.
//!
//! It needs `smsgw-bench` next to `smsgw` (built by `cargo test --workspace`, as the test
//! command runs; `scripts/demo.sh` builds both).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn demo_shows_messages_and_their_receipts_then_stops_on_sigterm() {
    let smsgw = Path::new(env!("CARGO_BIN_EXE_smsgw"));
    let bench = smsgw.with_file_name("smsgw-bench");
    assert!(
        bench.exists(),
        "{} is missing: run the tests with --workspace (scripts/test.sh does)",
        bench.display()
    );
    let smpp = format!("127.0.0.1:{}", free_port());
    let smsc = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(smsgw)
        .args(["demo", "--smpp-listen", &smpp, "--smsc-listen", &smsc])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut log = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines_rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("demo did not finish its messages; output: {log:#?}");
        };
        let done = line.contains("Ctrl-C to stop");
        log.push(line);
        if done {
            break;
        }
    }
    let ids: Vec<String> = log
        .iter()
        .filter_map(|line| {
            let rest = line.strip_prefix("demo: submit_sm (")?;
            assert!(rest.contains("-> status 0x0,"), "{line}");
            Some(rest.rsplit("message_id ").next()?.to_string())
        })
        .collect();
    assert_eq!(ids.len(), 5, "{log:#?}");
    for id in &ids {
        assert!(
            log.iter()
                .any(|line| line.contains(&format!("id:{id} ")) && line.contains("stat:DELIVRD")),
            "no receipt for {id}: {log:#?}"
        );
    }
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("demo did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0));
    let rest: Vec<String> = lines_rx.try_iter().collect();
    assert!(
        rest.iter().any(|line| line.starts_with("demo: stopped")),
        "{rest:#?}"
    );
}
