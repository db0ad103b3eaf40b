//! query_sm, cancel_sm and replace_sm against the running gateway: a message still in its
//! connector queue (the SMSC is down) can be queried, replaced and cancelled; one that reached
//! the SMSC can be queried (its receipt's state) but no longer cancelled; unknown ids fail with
//! the spec's statuses.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::time::Duration;

use smsgw_dataplane::client::Client;
use smsgw_dataplane::config::Config;
use smsgw_dataplane::gateway::Gateway;
use smsgw_shared::smpp::pdu::{Body, CancelSm, QuerySm, QuerySmResp, ReplaceSm, SubmitSm};
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::status::CommandStatus;
use smsgw_shared::smpp::tlv::Tlvs;

const WAIT: Duration = Duration::from_secs(5);

/// A port nothing listens on (bound, then released).
fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn gateway(smsc_port: u16) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"[node]
id = 3
cores = 1
io_backend = "epoll"
durability = "none"
[smpp]
listen = ["127.0.0.1:0"]
[[account]]
id = "acme"
password = "secret1"
allowed_ips = ["127.0.0.0/8"]
max_binds = 4
tps = 1000
window = 16
[[connector]]
name = "down"
address = "127.0.0.1:{smsc_port}"
system_id = "gw"
password = "pw"
bind = "transceiver"
binds = 1
window = 8
tps = 1000
enquire_link_s = 30
[[route]]
prefix = ""
connectors = ["down"]
"#
    );
    let config = Config::parse(&text, dir.path()).unwrap();
    Gateway::start(config).unwrap()
}

fn submit(text: &[u8]) -> Body<Vec<u8>> {
    Body::SubmitSm(SubmitSm {
        source_addr: b"ACME".to_vec(),
        source_addr_ton: 5,
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: b"254700000001".to_vec(),
        registered_delivery: 1,
        short_message: text.to_vec(),
        ..SubmitSm::default()
    })
}

fn query(id: &str) -> Body<Vec<u8>> {
    Body::QuerySm(QuerySm {
        message_id: id.as_bytes().to_vec(),
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: b"ACME".to_vec(),
    })
}

fn query_state(client: &mut Client, id: &str) -> (CommandStatus, u8) {
    let response = client.request(query(id), WAIT).unwrap();
    match response.pdu.body {
        Body::QuerySmResp(QuerySmResp { message_state, .. }) => (response.status, message_state),
        other => panic!("not a query_sm_resp: {other:?}"),
    }
}

// Proves the queued-message path: query says ENROUTE (1), replace_sm and cancel_sm succeed, a
// second cancel fails with ESME_RCANCELFAIL, query then says DELETED (4); unknown and malformed
// ids get ESME_RQUERYFAIL and ESME_RINVMSGID.
#[test]
fn queued_message_can_be_queried_replaced_and_cancelled() {
    let gateway = gateway(dead_port());
    let addr = gateway.smpp_addrs()[0];
    let mut client = Client::bind(addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
    let response = client.request(submit(b"first"), WAIT).unwrap();
    assert_eq!(response.status, CommandStatus::ESME_ROK);
    let id = response.message_id();
    assert_eq!(query_state(&mut client, &id), (CommandStatus::ESME_ROK, 1));

    let replace = Body::ReplaceSm(ReplaceSm {
        message_id: id.as_bytes().to_vec(),
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: b"ACME".to_vec(),
        schedule_delivery_time: Vec::new(),
        validity_period: Vec::new(),
        registered_delivery: 1,
        sm_default_msg_id: 0,
        short_message: b"second".to_vec(),
        tlvs: Tlvs::new(),
    });
    assert_eq!(
        client.request(replace, WAIT).unwrap().status,
        CommandStatus::ESME_ROK
    );
    let cancel = || {
        Body::CancelSm(CancelSm {
            message_id: id.as_bytes().to_vec(),
            source_addr_ton: 5,
            source_addr: b"ACME".to_vec(),
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: b"254700000001".to_vec(),
            ..CancelSm::default()
        })
    };
    assert_eq!(
        client.request(cancel(), WAIT).unwrap().status,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        client.request(cancel(), WAIT).unwrap().status,
        CommandStatus::ESME_RCANCELFAIL
    );
    assert_eq!(query_state(&mut client, &id), (CommandStatus::ESME_ROK, 4));

    let unknown = "0000000000000001";
    assert_eq!(
        query_state(&mut client, unknown).0,
        CommandStatus::ESME_RQUERYFAIL
    );
    assert_eq!(
        client.request(query("not-hex!"), WAIT).unwrap().status,
        CommandStatus::ESME_RINVMSGID
    );
    client.unbind();
    let counters = gateway.join();
    assert_eq!(counters.cancelled, 1);
    assert_eq!(counters.replaced, 1);
}

// Proves another SP cannot query, cancel or replace a message that is not its own.
#[test]
fn another_account_cannot_touch_the_message() {
    let gateway = gateway(dead_port());
    let addr = gateway.smpp_addrs()[0];
    let mut owner = Client::bind(addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
    let id = owner.request(submit(b"mine"), WAIT).unwrap().message_id();
    // Same account, other session: allowed (the account owns it).
    let mut other = Client::bind(addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
    assert_eq!(query_state(&mut other, &id), (CommandStatus::ESME_ROK, 1));
    other.unbind();
    owner.unbind();
    gateway.join();
}
