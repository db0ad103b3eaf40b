//! `[metrics] listen`: /metrics shows the cores' counters and gauges in Prometheus text,
//! /healthz answers, other paths and methods get 404 and 405.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use smsgw_dataplane::client::Client;
use smsgw_dataplane::config::Config;
use smsgw_dataplane::gateway::Gateway;
use smsgw_shared::smpp::pdu::{Body, SubmitSm};
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::status::CommandStatus;

fn http(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

// Proves a submit shows in /metrics within the publication period (polled with a deadline,
// not timed), with per-core gauges and the connector's bind gauge, and the HTTP edge cases.
#[test]
fn metrics_and_healthz_answer() {
    let text = r#"[node]
id = 1
cores = 2
io_backend = "epoll"
durability = "none"
[metrics]
listen = "127.0.0.1:0"
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
"#;
    let config = Config::parse(text, std::path::Path::new(".")).unwrap();
    let gateway = Gateway::start(config).unwrap();
    let metrics = gateway.metrics_addr().unwrap();
    let mut client = Client::bind(
        gateway.smpp_addrs()[0],
        BindMode::Transceiver,
        "acme",
        "pw",
        0x34,
    )
    .unwrap();
    let submit = Body::SubmitSm(SubmitSm {
        destination_addr: b"254700000001".to_vec(),
        short_message: b"hi".to_vec(),
        ..SubmitSm::default()
    });
    let response = client.request(submit, Duration::from_secs(5)).unwrap();
    assert_eq!(response.status, CommandStatus::ESME_ROK);

    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let response = http(metrics, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        if response.contains("smsgw_submits_accepted_total 1\n") || Instant::now() > deadline {
            break response;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
    assert!(body.contains("smsgw_submits_accepted_total 1\n"), "{body}");
    assert!(body.contains("smsgw_binds_accepted_total 1\n"), "{body}");
    assert!(body.contains("smsgw_sp_sessions{core=\"0\"}"), "{body}");
    assert!(body.contains("smsgw_sp_sessions{core=\"1\"}"), "{body}");
    assert!(body.contains("smsgw_connector_queued{core="), "{body}");
    assert!(
        body.contains("smsgw_connector_binds_bound{connector=\"nowhere\"} 0\n"),
        "{body}"
    );
    assert!(http(metrics, "GET /healthz HTTP/1.1\r\n\r\n").ends_with("\r\n\r\nok\n"));
    assert!(http(metrics, "GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    assert!(http(metrics, "POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
    client.unbind();
    gateway.join();
}
