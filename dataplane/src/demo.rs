//! `smsgw demo`: the README's first command. Starts the bench SMSC simulator as a child
//! process, the gateway on an embedded config in front of it, binds an SP with the blocking
//! [`Client`], sends a GSM, a UCS2 and a long message, prints their responses, the receipts
//! and an MO message as they arrive, then keeps running until Ctrl-C.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use smsgw_shared::smpp::pdu::{Body, SubmitSm};
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::tlv::Tlvs;
use smsgw_shared::text::{Coding, ConcatMode, Gsm7Packing, SplitOptions, split_text};

use crate::client::Client;
use crate::config::Config;
use crate::gateway::Gateway;

/// Where the demo listens (SPs) and where its simulator listens (the gateway's SMSC).
#[derive(Debug, Clone, Copy)]
pub struct DemoAddrs {
    /// SPs bind here.
    pub smpp: SocketAddr,
    /// The simulated SMSC.
    pub smsc: SocketAddr,
}

impl Default for DemoAddrs {
    fn default() -> DemoAddrs {
        DemoAddrs {
            smpp: SocketAddr::from(([127, 0, 0, 1], 2775)),
            smsc: SocketAddr::from(([127, 0, 0, 1], 2776)),
        }
    }
}

/// The embedded config (data under `data_dir`).
pub fn demo_config_text(data_dir: &Path, addrs: DemoAddrs) -> String {
    let (smpp, smsc) = (addrs.smpp, addrs.smsc);
    format!(
        r#"[node]
id = 1
cores = 2
data_dir = "{data_dir}"
io_backend = "auto"
durability = "none"

[smpp]
listen = ["{smpp}"]

[[account]]
id = "demo"
password = "demo"
allowed_ips = ["127.0.0.0/8"]
max_binds = 4
tps = 100
window = 16
short_codes = ["12345"]
message_id_format = "hex"

[[connector]]
name = "sim"
address = "{smsc}"
system_id = "gw"
password = "pw"
bind = "transceiver"
binds = 2
window = 64
tps = 1000
enquire_link_s = 30

[[route]]
prefix = ""
connectors = ["sim"]
"#,
        data_dir = data_dir.display()
    )
}

fn simulator_path() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir = exe.parent().ok_or("no directory for the smsgw binary")?;
    let path = dir.join("smsgw-bench");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it with `cargo build --release -p smsgw-bench` \
             (scripts/demo.sh does)",
            path.display()
        ))
    }
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // SIGTERM lets the simulator print its counts; kill if it lingers.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_port(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn submit(destination: &str, text_part: Vec<u8>, data_coding: u8, esm_class: u8) -> Body<Vec<u8>> {
    Body::SubmitSm(SubmitSm {
        service_type: Vec::new(),
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: b"DEMO".to_vec(),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: destination.as_bytes().to_vec(),
        esm_class,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: Vec::new(),
        validity_period: Vec::new(),
        registered_delivery: 1,
        replace_if_present_flag: 0,
        data_coding,
        sm_default_msg_id: 0,
        short_message: text_part,
        tlvs: Tlvs::new(),
    })
}

/// Runs the demo until `stop` is set; returns an error text for the exit message.
pub fn run(stop: Arc<AtomicBool>, addrs: DemoAddrs) -> Result<(), String> {
    let simulator = simulator_path()?;
    let smsc = addrs.smsc;
    let smsc_text = smsc.to_string();
    println!(
        "demo: starting the SMSC simulator on {smsc} (receipts after 300 ms, one MO a second to short code 12345)"
    );
    let child = Command::new(simulator)
        .args([
            "smsc-sim",
            "--listen",
            &smsc_text,
            "--dlr-delay-ms",
            "300",
            "--mo-rate",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("start smsc-sim: {e}"))?;
    let _guard = ChildGuard(child);
    if !wait_port(smsc, Duration::from_secs(10)) {
        return Err(format!("the simulator did not listen on {smsc}"));
    }

    let data_dir = std::env::temp_dir().join("smsgw-demo");
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let text = demo_config_text(&data_dir, addrs);
    let config = Config::parse(&text, &data_dir).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let gateway = Gateway::start(config).map_err(|e| e.to_string())?;
    println!(
        "demo: gateway up ({} backend), SPs bind to {} as demo/demo",
        gateway.backend(),
        gateway.smpp_addrs()[0]
    );
    // Let the connector bind before the first submit (it would queue otherwise, also fine).
    let deadline = Instant::now() + Duration::from_secs(5);
    while gateway.snapshot().connectors[0]
        .bound
        .load(Ordering::Relaxed)
        == 0
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }

    let addr = gateway.smpp_addrs()[0];
    let mut client = Client::bind(addr, BindMode::Transceiver, "demo", "demo", 0x34)
        .map_err(|e| format!("bind: {e}"))?;
    println!("demo: SP 'demo' bound (transceiver, SMPP 3.4)");

    let options = SplitOptions {
        mode: ConcatMode::Udh8 { reference: 7 },
        gsm7_packing: Gsm7Packing::Unpacked,
    };
    let mut sent = Vec::new();
    let gsm = "Hello from smsgw! GSM 7-bit: @£$¥";
    let part = split_text(gsm, Coding::Gsm7, options).map_err(|e| e.to_string())?;
    sent.push((
        "GSM",
        submit("254700000001", part[0].short_message(), 0x00, 0),
    ));
    let ucs2 = "UCS2: Привет, 你好, مرحبا 👋";
    let part = split_text(ucs2, Coding::Ucs2, options).map_err(|e| e.to_string())?;
    sent.push((
        "UCS2",
        submit("254700000002", part[0].short_message(), 0x08, 0),
    ));
    let long = "This long message is split into parts with a concatenation header; \
                each part travels as its own submit_sm through the gateway to the SMSC, \
                and each part gets its own receipt back through the gateway. "
        .repeat(2);
    let parts = split_text(&long, Coding::Gsm7, options).map_err(|e| e.to_string())?;
    let count = parts.len();
    for part in parts {
        let esm = if part.esm_class_udhi { 0x40 } else { 0 };
        sent.push((
            "long part",
            submit("254700000003", part.short_message(), 0x00, esm),
        ));
    }
    println!(
        "demo: sending {} submit_sm (GSM, UCS2, and a long message in {count} parts)",
        sent.len()
    );
    for (what, body) in sent {
        let response = client
            .request(body, Duration::from_secs(5))
            .map_err(|e| format!("submit: {e}"))?;
        println!(
            "demo: submit_sm ({what}) -> status {:#x}, message_id {}",
            response.status.0,
            response.message_id()
        );
    }
    let receipts = client.wait_deliveries(2 + count, Duration::from_secs(10));
    for receipt in &receipts {
        println!(
            "demo: deliver_sm from {} to {}: {}",
            String::from_utf8_lossy(&receipt.source_addr),
            String::from_utf8_lossy(&receipt.destination_addr),
            String::from_utf8_lossy(&receipt.short_message)
        );
    }
    println!(
        "demo: {} receipts received; the gateway keeps running on {addr} (bind as demo/demo). \
         Ctrl-C to stop.",
        receipts.len()
    );
    while !stop.load(Ordering::Relaxed) {
        for receipt in client.wait_deliveries(1, Duration::from_millis(200)) {
            println!(
                "demo: deliver_sm: {}",
                String::from_utf8_lossy(&receipt.short_message)
            );
        }
        if client.is_closed() {
            break;
        }
    }
    client.unbind();
    let counters = gateway.join();
    println!(
        "demo: stopped; submits accepted {}, receipts and MO delivered {}",
        counters.submits_accepted, counters.delivered_to_sp
    );
    Ok(())
}
