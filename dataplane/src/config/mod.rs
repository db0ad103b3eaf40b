//! The gateway's configuration file: TOML in, a typed and validated [`Config`] out.
//!
//! The key names are the contract of INTERFACES.md ("Config file"); docs/config.md documents
//! every key with its type, default, unit, range and whether it reloads live.
//!
//! Loading (`Config::load` → `parse` → `from_table`) reads the file into a generic
//! `toml::Table`, then walks it section by section ([`walk`]) and checks relations between keys
//! ([`check`]). It never stops at the first problem: every bad key is reported with its path
//! (`account[2].allowed_ips[0]`), the value found and the shape expected, unknown keys included
//! (with the closest known key when one is within two edits), in one [`ConfigErrors`]
//! (STYLE.md §3). Nothing here panics on any input, and nothing but [`Config::load`] does I/O,
//! so the control plane can validate the same text without a file.
//!
//! Bounds: every count and size has a hard ceiling in [`limits`]; the file itself is at most
//! [`limits::CONFIG_FILE_SIZE_MAX`] bytes and at most [`limits::CONFIG_ERRORS_MAX`] errors are
//! listed. Which keys a running gateway may change live is [`schema::KEYS`]; restart-only
//! changes are named by [`Config::restart_only_changes`].

mod check;
mod error;
pub mod limits;
mod reader;
pub mod schema;
mod value;
mod walk;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use smsgw_shared::smpp::session::{BindMode, SessionConfig};

pub use error::{ConfigError, ConfigErrorKind, ConfigErrors};
pub use schema::{KEYS, KeySpec, Reload, reload_of};
pub use value::{HostPort, Secret, parse_cidr};

/// A validated configuration: every value in range, every reference resolved, no duplicates.
///
/// Built only by [`Config::load`], [`Config::parse`] or [`Config::from_table`]; plain data the
/// data plane compiles into its per-core snapshots. Each field mirrors the file's key of the
/// same name (`accounts` holds the `[[account]]` entries, in file order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `[node]`.
    pub node: Node,
    /// `[control]`: the in-process gRPC control plane, if any.
    pub control: Endpoint,
    /// `[metrics]`: the Prometheus and health endpoint, if any.
    pub metrics: Endpoint,
    /// `[smpp]`: SMPP listeners for SPs.
    pub smpp: Listeners,
    /// `[cmpp]`: CMPP listeners for SPs.
    pub cmpp: Listeners,
    /// `[limits]`: run-time bounds and session timers.
    pub limits: Limits,
    /// `[journal]`: CDR journal tuning.
    pub journal: Journal,
    /// `[routing]`: how route failures are answered.
    pub routing: Routing,
    /// `[[account]]`: one per SP.
    pub accounts: Vec<Account>,
    /// `[[connector]]`: one per upstream SMSC account.
    pub connectors: Vec<Connector>,
    /// `[[route]]`: destination prefixes to connectors.
    pub routes: Vec<Route>,
    /// `[[portability]]`: exact numbers ported to another network's connectors.
    pub portability: Vec<Ported>,
}

/// `[node]`: this process's identity and resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `node.id`: part of every message id and of the CMPP Msg_Id gateway field.
    pub id: u8,
    /// `node.cores`: how many workers, or which cores.
    pub cores: Cores,
    /// `node.data_dir`, already joined to the config file's directory.
    pub data_dir: PathBuf,
    /// `node.io_backend`.
    pub io_backend: IoBackend,
    /// `node.durability`.
    pub durability: Durability,
}

/// `node.cores`: a worker count (cores chosen by the OS) or the core ids to pin workers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cores {
    /// `cores = 4`: 1..=[`limits::CORES_MAX`] workers, unpinned.
    Count(u16),
    /// `cores = [2, 3]`: one worker pinned to each listed core, ids unique and at most
    /// [`limits::CORE_ID_MAX`].
    List(Vec<u16>),
}

impl Cores {
    /// The number of data-plane workers.
    pub fn worker_count(&self) -> usize {
        match self {
            Cores::Count(count) => usize::from(*count),
            Cores::List(ids) => ids.len(),
        }
    }
}

/// `node.io_backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoBackend {
    /// `"auto"`: io_uring when the kernel allows it, else epoll, with a log line saying which.
    Auto,
    /// `"io_uring"`: io_uring or refuse to start.
    IoUring,
    /// `"epoll"`: the epoll fallback even where io_uring works.
    Epoll,
}

/// `node.durability`: when an SMSC-bound message is acknowledged to the SP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `"sync"`: after its journal record is synced to disk (group commit per loop turn).
    Sync,
    /// `"batch"`: at once; the journal is synced every `journal.sync_interval_ms`.
    Batch,
    /// `"none"`: at once, never synced explicitly (benchmarks only).
    None,
}

/// `[control]` and `[metrics]`: an optional listen address (absent: the service is off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `listen`.
    pub listen: Option<SocketAddr>,
}

/// `[smpp]` and `[cmpp]`: listen addresses for SP connections (possibly none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listeners {
    /// `listen`.
    pub listen: Vec<SocketAddr>,
}

/// `[limits]`: run-time bounds and session timers, each within its ceiling in [`limits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `limits.sessions_max`: SP sessions open at once on this node.
    pub sessions_max: u32,
    /// `limits.connector_queue_max`: messages waiting per connector.
    pub connector_queue_max: u32,
    /// `limits.receipt_queue_max`: receipts held for SPs' receiving sessions.
    pub receipt_queue_max: u32,
    /// `limits.mo_queue_max`: MO messages held for SPs' receiving sessions.
    pub mo_queue_max: u32,
    /// `limits.pdu_size_max`: largest SMPP command_length accepted, in bytes.
    pub pdu_size_max: u32,
    /// `limits.transmit_size_max`: bytes queued per socket before a session sends no more.
    pub transmit_size_max: u32,
    /// `limits.response_timeout_ms`.
    pub response_timeout_ms: u32,
    /// `limits.bind_timeout_ms`.
    pub bind_timeout_ms: u32,
    /// `limits.enquire_link_s`: enquire_link interval on SP sessions.
    pub enquire_link_s: u32,
    /// `limits.idle_timeout_s`.
    pub idle_timeout_s: u32,
}

/// `[routing]`: the statuses route failures are answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routing {
    /// `routing.no_route_status`: when no route matches the destination.
    pub no_route_status: u32,
    /// `routing.all_down_status`: when every connector of the route is down or full.
    pub all_down_status: u32,
}

/// `[journal]`: CDR journal tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// `journal.segment_size_bytes`.
    pub segment_size_bytes: u32,
    /// `journal.sync_interval_ms`, used with `node.durability = "batch"`.
    pub sync_interval_ms: u32,
}

/// `[[account]]`: one SP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `id`: the SMPP system_id, unique.
    pub id: String,
    /// `password`: the SMPP password.
    pub password: Secret,
    /// `allowed_ips`: binds are accepted only from these networks.
    pub allowed_ips: Vec<ipnet::IpNet>,
    /// `max_binds`: simultaneous sessions, all protocols.
    pub max_binds: u32,
    /// `tps`: submits per second over all its binds.
    pub tps: u32,
    /// `window`: outstanding requests per session, each direction.
    pub window: u32,
    /// `short_codes`: MO to these destinations goes to this SP; unique across accounts.
    pub short_codes: Vec<String>,
    /// `message_id_format`.
    pub message_id_format: MessageIdFormat,
    /// `cmpp`: CMPP access, when the SP may connect over CMPP.
    pub cmpp: Option<CmppAccess>,
    /// `sender_tps`: submits per second per source address (0: no per-sender limit).
    pub sender_tps: u32,
    /// `prefix_tps`: submits per second per destination prefix (0: no per-prefix limit).
    pub prefix_tps: u32,
    /// `prefix_digits`: how many leading digits of the destination `prefix_tps` keys on.
    pub prefix_digits: u32,
    /// `mo_concat`: concatenated MO reassembled into one deliver_sm, or passed on as parts.
    pub mo_concat: MoConcat,
    /// `delayed_response_ms`: over its TPS, hold the submit_sm_resp (and the message) up to
    /// this long instead of answering `ESME_RTHROTTLED` (0: answer at once).
    pub delayed_response_ms: u32,
}

/// `account.message_id_format`: how message ids are rendered in submit_sm_resp and receipts
/// (`"hex"`: 16 upper-case hexadecimal digits; `"decimal"`: for SPs that store ids as integers).
pub use crate::ids::MessageIdFormat;

/// `account.mo_concat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoConcat {
    /// `"parts"`: each part is delivered as the SMSC sent it (UDH or SAR TLVs intact).
    Parts,
    /// `"reassemble"`: parts are joined into one deliver_sm (text in message_payload).
    Reassemble,
}

/// `account.cmpp`: how the SP authenticates over CMPP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmppAccess {
    /// `source_addr`: the SP_Id in CMPP_CONNECT, unique across accounts.
    pub source_addr: String,
    /// `shared_secret`: the secret in the MD5 authenticators.
    pub shared_secret: Secret,
}

/// `[[connector]]`: one upstream SMSC account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    /// `name`: unique, used by routes, logs and metrics.
    pub name: String,
    /// `address`: where to connect.
    pub address: HostPort,
    /// `system_id`: our SMPP system_id at the SMSC.
    pub system_id: String,
    /// `password`: our SMPP password at the SMSC (may be empty).
    pub password: Secret,
    /// `bind`: the bind type of each session.
    pub bind: BindMode,
    /// `binds`: sessions kept open.
    pub binds: u32,
    /// `window`: outstanding requests per session.
    pub window: u32,
    /// `tps`: submits per second over all its binds.
    pub tps: u32,
    /// `enquire_link_s`: enquire_link interval.
    pub enquire_link_s: u32,
}

/// `[[route]]`: destinations starting with `prefix` go to `connectors`, the first with room
/// first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `prefix`: digits, longest match wins; `""` is the default route. Unique.
    pub prefix: String,
    /// `connectors`: names of `[[connector]]` entries, in failover order, no repeats.
    pub connectors: Vec<String>,
    /// `account`: when set, the route applies only to this account's messages and wins over
    /// every global route (a per-account override).
    pub account: Option<String>,
}

/// `[[portability]]`: a number moved to another network; wins over every prefix route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ported {
    /// `number`: the full MSISDN, digits only. Unique.
    pub number: String,
    /// `connectors`: names of `[[connector]]` entries, in failover order.
    pub connectors: Vec<String>,
}

impl Config {
    /// Reads, parses and validates the file at `path`; relative paths in it are taken from
    /// the file's directory.
    ///
    /// An unreadable or oversized file is one error located at the path; otherwise see
    /// [`Config::parse`].
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = read_text(path)?;
        let base_dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        Config::parse(&text, base_dir)
    }

    /// Parses and validates config text; relative paths are joined to `base_dir`.
    ///
    /// A TOML syntax error is one error located at `line L, column C`; otherwise every
    /// problem in the file is reported (see [`Config::from_table`]).
    pub fn parse(text: &str, base_dir: &Path) -> Result<Config, ConfigErrors> {
        let table = text.parse::<toml::Table>().map_err(|error| {
            let (line, column) = match error.span() {
                Some(span) => line_column(text, span.start),
                None => (1, 1),
            };
            let message = error.message().trim().replace('\n', "; ");
            ConfigErrors::one(
                format!("line {line}, column {column}"),
                ConfigErrorKind::Syntax { message },
            )
        })?;
        Config::from_table(&table, base_dir)
    }

    /// Validates a parsed TOML table: every key known, every value in shape and range, every
    /// uniqueness and reference rule kept. Returns every problem found, not just the first.
    pub fn from_table(table: &toml::Table, base_dir: &Path) -> Result<Config, ConfigErrors> {
        walk::walk(table, base_dir)
    }

    /// The restart-only keys whose values differ between `self` (running) and `next`, in
    /// schema order: what a live push must refuse, by name. Empty when `next` can be applied
    /// live.
    pub fn restart_only_changes(&self, next: &Config) -> Vec<&'static str> {
        RESTART_ONLY_DIFFS
            .iter()
            .filter(|(_, differs)| differs(self, next))
            .map(|(key, _)| *key)
            .collect()
    }
}

impl Limits {
    /// The session settings of an SP's bind under these limits: the account's window both
    /// ways, the `[limits]` timers. Valid for every loaded config (the loader checks it).
    pub fn account_session(&self, account: &Account) -> SessionConfig {
        self.session(account.window, self.enquire_link_s)
    }

    /// The session settings of one of a connector's binds under these limits.
    pub fn connector_session(&self, connector: &Connector) -> SessionConfig {
        self.session(connector.window, connector.enquire_link_s)
    }

    fn session(&self, window: u32, enquire_link_s: u32) -> SessionConfig {
        SessionConfig {
            window_max: window as usize,
            peer_window_max: window as usize,
            response_timeout_ms: u64::from(self.response_timeout_ms),
            enquire_link_interval_ms: u64::from(enquire_link_s) * 1000,
            idle_timeout_ms: u64::from(self.idle_timeout_s) * 1000,
            bind_timeout_ms: u64::from(self.bind_timeout_ms),
            transmit_size_max: self.transmit_size_max as usize,
        }
    }
}

/// Reads the whole file, at most [`limits::CONFIG_FILE_SIZE_MAX`] bytes, as UTF-8.
fn read_text(path: &Path) -> Result<String, ConfigErrors> {
    let at = path.display().to_string();
    let unreadable = |error: std::io::Error| {
        ConfigErrors::one(
            at.clone(),
            ConfigErrorKind::Unreadable {
                reason: error.to_string(),
            },
        )
    };
    let file = File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(limits::CONFIG_FILE_SIZE_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limits::CONFIG_FILE_SIZE_MAX {
        return Err(ConfigErrors::one(
            at,
            ConfigErrorKind::FileTooLarge {
                max: limits::CONFIG_FILE_SIZE_MAX,
            },
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&error.as_bytes()[..valid]);
        let (line, column) = line_column(&prefix, valid);
        ConfigErrors::one(
            format!("line {line}, column {column}"),
            ConfigErrorKind::Syntax {
                message: "the file is not UTF-8 text".to_owned(),
            },
        )
    })
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// How to tell, per restart-only key of [`schema::KEYS`], whether two configs differ in it.
/// A test checks this list names exactly the restart-only keys.
type Differs = fn(&Config, &Config) -> bool;
const RESTART_ONLY_DIFFS: &[(&str, Differs)] = &[
    ("node.id", |a, b| a.node.id != b.node.id),
    ("node.cores", |a, b| a.node.cores != b.node.cores),
    ("node.data_dir", |a, b| a.node.data_dir != b.node.data_dir),
    ("node.io_backend", |a, b| {
        a.node.io_backend != b.node.io_backend
    }),
    ("node.durability", |a, b| {
        a.node.durability != b.node.durability
    }),
    ("control.listen", |a, b| a.control != b.control),
    ("metrics.listen", |a, b| a.metrics != b.metrics),
    ("smpp.listen", |a, b| a.smpp != b.smpp),
    ("cmpp.listen", |a, b| a.cmpp != b.cmpp),
    ("limits.sessions_max", |a, b| {
        a.limits.sessions_max != b.limits.sessions_max
    }),
    ("limits.connector_queue_max", |a, b| {
        a.limits.connector_queue_max != b.limits.connector_queue_max
    }),
    ("limits.receipt_queue_max", |a, b| {
        a.limits.receipt_queue_max != b.limits.receipt_queue_max
    }),
    ("limits.mo_queue_max", |a, b| {
        a.limits.mo_queue_max != b.limits.mo_queue_max
    }),
    ("limits.pdu_size_max", |a, b| {
        a.limits.pdu_size_max != b.limits.pdu_size_max
    }),
    ("limits.transmit_size_max", |a, b| {
        a.limits.transmit_size_max != b.limits.transmit_size_max
    }),
    ("journal.segment_size_bytes", |a, b| {
        a.journal.segment_size_bytes != b.journal.segment_size_bytes
    }),
    ("journal.sync_interval_ms", |a, b| {
        a.journal.sync_interval_ms != b.journal.sync_interval_ms
    }),
];
