//! `smsgw check-config FILE` as operators run it: the real binary on temporary files, checking
//! exit codes and the exact output lines scripts rely on (INTERFACES.md, docs/config.md).

use std::path::Path;
use std::process::{Command, Output};

/// Runs `smsgw check-config <file>` and returns its output.
fn check_config(file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .arg("check-config")
        .arg(file)
        .output()
        .expect("run smsgw")
}

/// Writes `text` to `smsgw.toml` in a fresh temporary directory.
fn config_file(text: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("smsgw.toml");
    std::fs::write(&path, text).expect("write the config file");
    (dir, path)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("smsgw prints UTF-8")
}

#[test]
fn docs_example_is_ok_with_counts() {
    // Proves the example shipped in docs/ passes: exit 0, the one `ok:` line on stdout with
    // the counts, nothing on stderr.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/smsgw.toml");
    let output = check_config(&example);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "ok: 2 accounts, 2 connectors, 2 routes\n"
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn every_error_is_printed_with_its_path_and_exit_1() {
    // Proves an invalid file prints one `error: <path>: <message>` line per problem, all of
    // them, on stderr, and exits 1 with nothing on stdout.
    let (_dir, path) = config_file(
        br#"
[node]
id = -1
cores = [0, 0]

[smpp]
listen = ["127.0.0.1:2775"]

[[account]]
id = "acme"
password = "pw"
allowed_ips = ["10.0.0.1/8"]
tsp = 10

[[route]]
prefix = "44"
connectors = ["nowhere"]
"#,
    );
    let output = check_config(&path);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "error: node.id: -1 is out of range; expected an integer 0..=255",
            "error: node.cores[1]: 0 duplicates node.cores[0]",
            "error: account[0].tsp: unknown key; did you mean `tps`?",
            "error: account[0].allowed_ips[0]: \"10.0.0.1/8\" is not a CIDR block like \
             \"10.0.0.0/8\" or \"2001:db8::/32\", or an address (host bits are set; the \
             network is 10.0.0.0/8)",
            "error: route[0].connectors[0]: \"nowhere\" names no [[connector]]",
        ]
    );
}

#[test]
fn syntax_error_reports_line_and_column() {
    // Proves a TOML syntax error is one line naming its line and column, exit 1.
    let (_dir, path) = config_file(b"[node]\nid = 1\nbad line\n");
    let output = check_config(&path);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: line 3, column "), "{stderr}");
    assert!(stderr.contains("TOML syntax"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn missing_or_unreadable_file_is_a_readable_exit_1() {
    // Proves a file that is absent, a directory, or not UTF-8 gives exit 1 and a readable
    // message naming the problem, never a panic.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let output = check_config(&missing);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr.lines().next().unwrap(),
        format!(
            "error: {}: cannot read the config file: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let output = check_config(dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("cannot read the config file"));
    let (_binary_dir, binary) = config_file(&[0xff, 0xfe, 0x00, 0x9f]);
    let output = check_config(&binary);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("not UTF-8"));
    for output in [check_config(&missing), check_config(&binary)] {
        assert!(!text(&output.stderr).contains("panicked"));
    }
}

#[test]
fn command_line_shape_is_kept() {
    // Proves check-config still takes exactly one FILE and run needs --config (clap's usage
    // error, exit 2, without them).
    for args in [&["check-config"][..], &["run"][..]] {
        let output = Command::new(env!("CARGO_BIN_EXE_smsgw"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn run_refuses_an_invalid_config_with_its_key_path() {
    // Proves `smsgw run` validates like check-config: exit 1, the key path on stderr.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[node]\nid = 1\ncores = 0\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .arg("run")
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("node.cores"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn run_stops_gracefully_on_sigterm() {
    // Proves the INTERFACES.md contract of `smsgw run`: it logs where it listens, and SIGTERM
    // makes it stop accepting, unbind and exit 0 (bounded: 20 s to start, 20 s to stop).
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smsgw.toml");
    std::fs::write(
        &file,
        r#"[node]
id = 1
cores = 2
durability = "none"
[smpp]
listen = ["127.0.0.1:0"]
[[account]]
id = "acme"
password = "pw"
allowed_ips = ["127.0.0.0/8"]
[[connector]]
name = "nowhere"
address = "127.0.0.1:9"
system_id = "gw"
password = "pw"
[[route]]
prefix = ""
connectors = ["nowhere"]
"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .arg("run")
        .arg("--config")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut log = Vec::new();
    let addr = loop {
        let line = lines_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no listen line; log: {log:?}"));
        log.push(line.clone());
        if let Some(addr) = line.strip_prefix("smsgw: SMPP listening on ") {
            break addr.parse::<std::net::SocketAddr>().unwrap();
        }
    };
    let mut client = smsgw_dataplane::client::Client::bind(
        addr,
        smsgw_shared::smpp::session::BindMode::Transceiver,
        "acme",
        "pw",
        0x34,
    )
    .unwrap();
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
        assert!(
            Instant::now() < deadline,
            "smsgw did not stop; log: {log:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0));
    log.extend(lines_rx.try_iter());
    assert!(
        log.iter().any(|line| line.starts_with("smsgw: stopped")),
        "{log:?}"
    );
    // The SP was unbound by the gateway (the client answers the unbind and sees the close).
    let _ = client.wait_deliveries(1, Duration::from_secs(5));
    assert!(client.is_closed());
}
