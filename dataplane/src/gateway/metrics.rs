//! `[metrics] listen`: `GET /metrics` (Prometheus text format) and `GET /healthz`, served by
//! one thread off the data-plane cores.
//!
//! Each core publishes its counters and gauges into its own slot of the [`Board`] once a
//! second (and when it stops): one uncontended lock per core per second, never on the message
//! path. A scrape reads the slots and the connectors' shared bind counts, so values are at
//! most about a second old.
//!
//! Bounds: one request per connection, at most [`REQUEST_SIZE_MAX`] bytes read, a
//! [`IO_TIMEOUT`] on reads and writes, connections served one at a time (a scraper that stalls
//! delays the next scrape by at most the timeout, never a core).

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::counters::Counters;
use super::snapshot::Snapshot;

/// Largest request read.
pub const REQUEST_SIZE_MAX: usize = 8 * 1024;

/// Read and write timeout per connection.
pub const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// One core's published numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoreStats {
    /// Its counters.
    pub counters: Counters,
    /// SP sessions open.
    pub sp_sessions: u64,
    /// Messages waiting in its connector queues.
    pub connector_queued: u64,
    /// Messages sent upstream awaiting a response.
    pub connector_in_flight: u64,
    /// Receipts and MO waiting for an SP.
    pub deliveries_pending: u64,
    /// Upstream-id mappings held for receipts.
    pub receipt_mappings: u64,
}

/// Reads one gauge of a core.
type Gauge = fn(&CoreStats) -> u64;

/// Where cores publish.
#[derive(Debug)]
pub struct Board {
    cores: Vec<Mutex<CoreStats>>,
}

impl Board {
    /// A board for `cores` cores.
    pub fn new(cores: usize) -> Board {
        Board {
            cores: (0..cores)
                .map(|_| Mutex::new(CoreStats::default()))
                .collect(),
        }
    }

    /// Core `core` publishes.
    pub fn publish(&self, core: usize, stats: CoreStats) {
        if let Some(slot) = self.cores.get(core) {
            match slot.lock() {
                Ok(mut guard) => *guard = stats,
                Err(poisoned) => *poisoned.into_inner() = stats,
            }
        }
    }

    fn read(&self) -> Vec<CoreStats> {
        self.cores
            .iter()
            .map(|slot| match slot.lock() {
                Ok(guard) => *guard,
                Err(poisoned) => *poisoned.into_inner(),
            })
            .collect()
    }
}

/// The Prometheus text of the board and the snapshot's connectors.
pub fn render(board: &Board, snapshot: &Snapshot) -> String {
    let cores = board.read();
    let mut out = String::new();
    let mut total = Counters::default();
    for core in &cores {
        total.add(&core.counters);
    }
    for (name, value) in total.fields() {
        let _ = writeln!(out, "# TYPE smsgw_{name}_total counter");
        let _ = writeln!(out, "smsgw_{name}_total {value}");
    }
    let gauges: [(&str, Gauge); 5] = [
        ("sp_sessions", |c| c.sp_sessions),
        ("connector_queued", |c| c.connector_queued),
        ("connector_in_flight", |c| c.connector_in_flight),
        ("deliveries_pending", |c| c.deliveries_pending),
        ("receipt_mappings", |c| c.receipt_mappings),
    ];
    for (name, get) in gauges {
        let _ = writeln!(out, "# TYPE smsgw_{name} gauge");
        for (index, core) in cores.iter().enumerate() {
            let _ = writeln!(out, "smsgw_{name}{{core=\"{index}\"}} {}", get(core));
        }
    }
    let _ = writeln!(out, "# TYPE smsgw_connector_binds_bound gauge");
    for connector in &snapshot.connectors {
        let _ = writeln!(
            out,
            "smsgw_connector_binds_bound{{connector=\"{}\"}} {}",
            connector.name,
            connector.bound.load(Ordering::Relaxed)
        );
    }
    out
}

/// Serves `listener` until `stop` is set.
pub fn serve(
    listener: TcpListener,
    board: Arc<Board>,
    snapshot: Arc<Snapshot>,
    stop: Arc<AtomicBool>,
) -> io::Result<JoinHandle<()>> {
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("smsgw-metrics".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = answer(stream, &board, &snapshot);
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        })
}

fn answer(mut stream: TcpStream, board: &Board, snapshot: &Snapshot) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut request = Vec::with_capacity(1024);
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && !request.windows(2).any(|w| w == b"\n\n")
    {
        let size = stream.read(&mut buffer)?;
        if size == 0 {
            break;
        }
        request.extend_from_slice(&buffer[..size]);
        if request.len() > REQUEST_SIZE_MAX {
            return respond(
                &mut stream,
                "413 Payload Too Large",
                "text/plain",
                "request too large\n",
            );
        }
    }
    let line = request.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    match (method, path) {
        ("GET", "/metrics") => respond(
            &mut stream,
            "200 OK",
            "text/plain; version=0.0.4",
            &render(board, snapshot),
        ),
        ("GET", "/healthz") => respond(&mut stream, "200 OK", "text/plain", "ok\n"),
        ("GET", _) => respond(&mut stream, "404 Not Found", "text/plain", "not found\n"),
        _ => respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n",
        ),
    }
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}
