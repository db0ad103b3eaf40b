//! Proves the foundation's two heavy dependencies work end to end: a real RocksDB store in a
//! temp dir answers a real gRPC call over loopback TCP, and `smsgwctl status` prints it.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns: a failed unwrap is a failed test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use smsgw_controlplane::proto::GetHealthRequest;
use smsgw_controlplane::proto::control_client::ControlClient;
use smsgw_controlplane::{server, store::Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn grpc_health_round_trips_through_rocksdb() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    store.set_config_version(7).unwrap();
    let (listener, local) = server::bind("127.0.0.1:0".parse::<SocketAddr>().unwrap())
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(listener, store, async {
        let _ = stopped.await;
    }));

    let mut client = ControlClient::connect(format!("http://{local}"))
        .await
        .unwrap();
    let health = client
        .get_health(GetHealthRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.config_version, 7);
    assert_eq!(health.server_version, env!("CARGO_PKG_VERSION"));

    // The CLI binary against the same server, as an operator would run it.
    let cli = env!("CARGO_BIN_EXE_smsgwctl");
    let output = tokio::process::Command::new(cli)
        .args(["--endpoint", &format!("http://{local}"), "status", "--json"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let line = String::from_utf8(output.stdout).unwrap();
    let json: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(json["config_version"], 7);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

// Proves an unreachable control plane gives a readable error and exit code 1, not a panic.
#[test]
fn smsgwctl_reports_an_unreachable_endpoint() {
    // Bind then drop a listener so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_smsgwctl"))
        .args([
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--timeout-s",
            "2",
            "status",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot reach the control plane"),
        "{stderr}"
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_smsgwctl"))
        .args(["--endpoint", "not a uri", "status"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("invalid --endpoint")
    );
}
