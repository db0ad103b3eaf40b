//! The running gateway: one [`Core`] per configured worker, each on its own thread (pinned when
//! `node.cores` lists core ids) with its own driver and SO_REUSEPORT listeners, joined by the
//! mesh. [`Gateway::start`] returns once every listener is bound, so callers (tests, `smsgw
//! demo`) can connect at once; [`Gateway::stop`] starts the graceful shutdown.

pub mod core;
pub mod counters;
pub mod metrics;
pub mod snapshot;

use std::fs::File;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

pub use self::core::{Core, Hop};
pub use counters::Counters;
pub use snapshot::{Snapshot, SnapshotError};

use crate::config::{Config, Cores};
use crate::mesh::Mesh;

/// Messages each core-to-core ring holds. At a million messages a second a core hands a few
/// hundred thousand hops a second to another (records, receipts, states); 16,384 covers tens
/// of milliseconds of a busy peer before the outbox takes over.
pub const MESH_RING_CAPACITY: usize = 16_384;
use crate::runtime::{self, listen};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The config does not compile.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// A listener could not be bound.
    #[error("listen on {addr}: {error}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: io::Error,
    },
    /// The I/O backend could not start.
    #[error("I/O backend: {0}")]
    Backend(String),
    /// A thread, eventfd or mesh could not be created.
    #[error("start: {0}")]
    Io(#[from] io::Error),
}

/// Configured features this build accepts but does not serve yet, as log lines.
pub fn unserved(config: &Config) -> Vec<String> {
    let mut lines = Vec::new();
    if !config.cmpp.listen.is_empty() {
        lines.push(
            "[cmpp] listen is set but CMPP SP access is not served by this build; CMPP SPs \
             cannot connect (SMPP only)"
                .to_string(),
        );
    }
    if config.control.listen.is_some() {
        lines.push(
            "[control] listen is set but the in-process control plane is not in this build; \
             the config file is the only source of configuration"
                .to_string(),
        );
    }
    if config.node.durability != crate::config::Durability::None {
        lines.push(
            "node.durability asks for a journal, which is not in this build: queued and \
             in-flight messages live in memory only and are lost on a crash"
                .to_string(),
        );
    }
    lines
}

/// A started gateway.
pub struct Gateway {
    stop: Arc<AtomicBool>,
    wakes: Vec<File>,
    threads: Vec<JoinHandle<Counters>>,
    metrics_thread: Option<JoinHandle<()>>,
    metrics_addr: Option<SocketAddr>,
    smpp_addrs: Vec<SocketAddr>,
    backend: &'static str,
    snapshot: Arc<Snapshot>,
}

impl Gateway {
    /// Compiles `config`, binds every listener on every core and starts the cores.
    pub fn start(config: Config) -> Result<Gateway, StartError> {
        let snapshot = Arc::new(Snapshot::build(config, 1)?);
        let cores = snapshot.core_count;
        let backend = runtime::choose_backend(snapshot.config.node.io_backend)
            .map_err(StartError::Backend)?;
        eprintln!(
            "smsgw: starting {cores} core(s), I/O backend {}",
            backend.name()
        );
        for warning in unserved(&snapshot.config) {
            eprintln!("smsgw: warning: {warning}");
        }

        // Listeners: the first core binds each address (port 0 gets a real port), the others
        // bind the address it got, all with SO_REUSEPORT.
        let mut smpp_addrs = Vec::new();
        let mut listeners: Vec<Vec<std::net::TcpListener>> =
            (0..cores).map(|_| Vec::new()).collect();
        for &addr in &snapshot.config.smpp.listen {
            let first = listen::reuseport_listener(addr)
                .map_err(|error| StartError::Listen { addr, error })?;
            let bound = first.local_addr()?;
            listeners[0].push(first);
            for core_listeners in listeners.iter_mut().skip(1) {
                core_listeners.push(
                    listen::reuseport_listener(bound)
                        .map_err(|error| StartError::Listen { addr: bound, error })?,
                );
            }
            smpp_addrs.push(bound);
            eprintln!("smsgw: SMPP listening on {bound}");
        }

        let ends = Mesh::new::<Hop>(cores, MESH_RING_CAPACITY)?;
        let stop = Arc::new(AtomicBool::new(false));
        let board = Arc::new(metrics::Board::new(cores));
        let mut metrics_addr = None;
        let metrics_thread = match snapshot.config.metrics.listen {
            Some(addr) => {
                let listener = std::net::TcpListener::bind(addr)
                    .map_err(|error| StartError::Listen { addr, error })?;
                let bound = listener.local_addr()?;
                eprintln!("smsgw: metrics on http://{bound}/metrics");
                metrics_addr = Some(bound);
                Some(metrics::serve(
                    listener,
                    Arc::clone(&board),
                    Arc::clone(&snapshot),
                    Arc::clone(&stop),
                )?)
            }
            None => None,
        };
        let mut wakes = Vec::with_capacity(cores);
        let mut threads = Vec::with_capacity(cores);
        let pins: Option<Vec<u16>> = match &snapshot.config.node.cores {
            Cores::List(ids) => Some(ids.clone()),
            Cores::Count(_) => None,
        };
        for ((index, end), core_listeners) in ends.into_iter().enumerate().zip(listeners) {
            wakes.push(File::from(end.wake_fd().as_fd().try_clone_to_owned()?));
            let driver_wake = end.wake_fd().as_fd().try_clone_to_owned()?;
            let snapshot = Arc::clone(&snapshot);
            let stop_core = Arc::clone(&stop);
            let board_core = Arc::clone(&board);
            let pin = pins.as_ref().map(|ids| ids[index]);
            let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
            let thread = std::thread::Builder::new()
                .name(format!("smsgw-core-{index}"))
                .spawn(move || {
                    if let Some(id) = pin
                        && !core_affinity::set_for_current(core_affinity::CoreId { id: id.into() })
                    {
                        eprintln!("smsgw: core {index}: could not pin to CPU {id}");
                    }
                    let driver = match runtime::open_driver(backend, driver_wake) {
                        Ok(driver) => driver,
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                            return Counters::default();
                        }
                    };
                    let mut core = Core::new(index, snapshot, driver, end, stop_core, board_core);
                    for listener in core_listeners {
                        if let Err(error) = core.add_listener(listener) {
                            let _ = ready_tx.send(Err(format!("listener: {error}")));
                            return Counters::default();
                        }
                    }
                    let _ = ready_tx.send(Ok(()));
                    core.run()
                })?;
            match ready_rx.recv() {
                Ok(Ok(())) => threads.push(thread),
                Ok(Err(error)) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(StartError::Backend(error));
                }
                Err(_) => return Err(StartError::Backend("core thread died".into())),
            }
        }
        Ok(Gateway {
            stop,
            wakes,
            threads,
            metrics_thread,
            metrics_addr,
            smpp_addrs,
            backend: backend.name(),
            snapshot,
        })
    }

    /// The SMPP listen addresses, with real ports.
    pub fn smpp_addrs(&self) -> &[SocketAddr] {
        &self.smpp_addrs
    }

    /// The metrics address, with its real port, when `[metrics] listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The I/O backend in use.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The compiled config the cores run.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    /// Starts the graceful stop: listeners close, SP sessions are unbound, queues drain for
    /// up to [`core::SHUTDOWN_GRACE_MS`].
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        for wake in &self.wakes {
            let _ = (&*wake).write_all(&1u64.to_ne_bytes());
        }
    }

    /// Whether [`Gateway::stop`] was called (or a core failed).
    pub fn is_stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Stops (if not yet) and waits for every core; returns their summed counters.
    pub fn join(self) -> Counters {
        self.stop();
        let mut total = Counters::default();
        for thread in self.threads {
            match thread.join() {
                Ok(counters) => total.add(&counters),
                Err(_) => eprintln!("smsgw: a core thread panicked"),
            }
        }
        if let Some(thread) = self.metrics_thread
            && thread.join().is_err()
        {
            eprintln!("smsgw: the metrics thread panicked");
        }
        total
    }
}
