//! Concatenated MO through the gateway: a scripted SMSC sends the parts of one message out of
//! order, with a duplicate, once with UDH 8-bit references and once with SAR TLVs (16-bit);
//! an account with `mo_concat = "reassemble"` gets one deliver_sm whose message_payload is the
//! whole text, an account with `mo_concat = "parts"` gets the parts as they were sent.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use smsgw_dataplane::client::Client;
use smsgw_dataplane::config::Config;
use smsgw_dataplane::gateway::Gateway;
use smsgw_shared::frame::{FrameLimits, Frames};
use smsgw_shared::smpp::pdu::{Body, SubmitSm};
use smsgw_shared::smpp::session::{BindMode, Event, Session, SessionConfig};
use smsgw_shared::smpp::tlv::{Tlvs, tag};

/// A deliver_sm part: UDH (8-bit reference) when `sar` is false, else SAR TLVs.
fn part(
    destination: &str,
    reference: u16,
    total: u8,
    seqnum: u8,
    text: &str,
    sar: bool,
) -> Body<Vec<u8>> {
    let mut tlvs = Tlvs::new();
    let mut short_message = Vec::new();
    let mut esm_class = 0;
    if sar {
        tlvs.push_u16(tag::sar_msg_ref_num, reference).unwrap();
        tlvs.push_u8(tag::sar_total_segments, total).unwrap();
        tlvs.push_u8(tag::sar_segment_seqnum, seqnum).unwrap();
    } else {
        esm_class = 0x40;
        short_message.extend_from_slice(&[0x05, 0x00, 0x03, reference as u8, total, seqnum]);
    }
    short_message.extend_from_slice(text.as_bytes());
    Body::DeliverSm(SubmitSm {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: b"254700000009".to_vec(),
        destination_addr: destination.as_bytes().to_vec(),
        esm_class,
        short_message,
        tlvs,
        ..SubmitSm::default()
    })
}

/// An SMSC that accepts one bind and then sends `script` as deliver_sm, answering whatever
/// else the session needs, until `stop`.
fn scripted_smsc(
    script: Vec<Body<Vec<u8>>>,
    stop: Arc<AtomicBool>,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let epoch = Instant::now();
        let now = || epoch.elapsed().as_millis() as u64;
        let mut session = Session::new_smsc(SessionConfig::default(), 0x34, now());
        let mut rx = Vec::new();
        let mut script = Some(script);
        let mut buffer = [0u8; 65_536];
        while !stop.load(Ordering::Relaxed) {
            if session.is_bound()
                && let Some(parts) = script.take()
            {
                for (token, body) in parts.into_iter().enumerate() {
                    session.send_request(body, token as u64, now()).unwrap();
                }
            }
            let pending = session.poll_transmit().to_vec();
            if !pending.is_empty() {
                stream.write_all(&pending).unwrap();
                session.advance_transmit(pending.len());
            }
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(size) => rx.extend_from_slice(&buffer[..size]),
                Err(_) => continue,
            }
            let mut frames = Frames::new(&rx, FrameLimits::SMPP);
            for frame in frames.by_ref() {
                if let Some(Event::BindRequest { .. }) = session.handle_frame(frame.unwrap(), now())
                {
                    session.accept_bind(b"scripted").unwrap();
                }
            }
            let consumed = frames.consumed();
            rx.drain(..consumed);
        }
    });
    (addr, handle)
}

fn config(smsc: SocketAddr) -> Config {
    let text = format!(
        r#"[node]
id = 1
cores = 2
io_backend = "epoll"
durability = "none"
[smpp]
listen = ["127.0.0.1:0"]
[[account]]
id = "whole"
password = "pw"
allowed_ips = ["127.0.0.0/8"]
short_codes = ["111"]
mo_concat = "reassemble"
[[account]]
id = "parts"
password = "pw"
allowed_ips = ["127.0.0.0/8"]
short_codes = ["222"]
[[connector]]
name = "smsc"
address = "{smsc}"
system_id = "gw"
password = "pw"
binds = 1
[[route]]
prefix = ""
connectors = ["smsc"]
"#
    );
    Config::parse(&text, std::path::Path::new(".")).unwrap()
}

fn payload(deliver: &SubmitSm<Vec<u8>>) -> Vec<u8> {
    deliver.tlvs.message_payload().unwrap_or_default().to_vec()
}

// Proves reassembly of UDH (8-bit, out of order, one duplicate) and SAR (16-bit) MO into one
// deliver_sm each for the "reassemble" account, and pass-through of every part for "parts".
#[test]
fn concatenated_mo_is_reassembled_or_passed_as_parts_per_account() {
    let script = vec![
        part("111", 7, 3, 3, "three.", false),
        part("111", 7, 3, 1, "one, ", false),
        part("111", 7, 3, 1, "one, ", false), // duplicate
        part("111", 7, 3, 2, "two, ", false),
        part("111", 0x1234, 2, 2, "world", true),
        part("111", 0x1234, 2, 1, "hello ", true),
        part("222", 9, 2, 1, "first ", false),
        part("222", 9, 2, 2, "second", false),
    ];
    let stop = Arc::new(AtomicBool::new(false));
    let (smsc, smsc_thread) = scripted_smsc(script, Arc::clone(&stop));
    // The SPs bind first, so nothing waits in the delivery queue.
    let gateway = Gateway::start(config(smsc)).unwrap();
    let addr = gateway.smpp_addrs()[0];
    let mut whole = Client::bind(addr, BindMode::Receiver, "whole", "pw", 0x34).unwrap();
    let mut parts = Client::bind(addr, BindMode::Receiver, "parts", "pw", 0x34).unwrap();

    let got = whole.wait_deliveries(2, Duration::from_secs(10));
    let mut texts: Vec<Vec<u8>> = got.iter().map(payload).collect();
    texts.sort();
    assert_eq!(
        texts,
        vec![b"hello world".to_vec(), b"one, two, three.".to_vec()]
    );
    for deliver in &got {
        assert_eq!(deliver.esm_class & 0x40, 0, "no UDH on the whole message");
        assert!(deliver.short_message.is_empty());
        assert_eq!(deliver.tlvs.sar_msg_ref_num(), None);
    }
    let got = parts.wait_deliveries(2, Duration::from_secs(10));
    assert_eq!(got.len(), 2);
    for deliver in &got {
        assert_eq!(deliver.esm_class & 0x40, 0x40, "parts keep their UDH");
        assert_eq!(&deliver.short_message[..4], &[0x05, 0x00, 0x03, 9]);
    }
    // Nothing more arrives (the duplicate was dropped).
    assert!(
        whole
            .wait_deliveries(1, Duration::from_millis(300))
            .is_empty()
    );
    whole.unbind();
    parts.unbind();
    let counters = gateway.join();
    stop.store(true, Ordering::Relaxed);
    smsc_thread.join().unwrap();
    assert_eq!(counters.mo_reassembled, 2);
    assert_eq!(counters.mo_duplicate_parts, 1);
    assert_eq!(counters.mo_received, 8);
}
