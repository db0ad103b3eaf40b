//! Hard bounds and defaults of the config file's keys.
//!
//! A config value outside its bound is a config error naming the key, never a clamp: the
//! operator learns at `smsgw check-config` time, not from a surprise at peak traffic. Each
//! run-time limit here has a compile-time ceiling from `smsgw_shared::limits` or from the
//! sans-IO session where one exists, and the relationship is asserted at the bottom of this file.
//!
//! Memory costs are per node unless stated; "at the bound" says what the data plane does when
//! traffic reaches the configured value, which is what docs/config.md repeats for operators.

use smsgw_shared::limits::{RECV_BUFFER_SIZE, SMPP_PDU_SIZE_MAX};
use smsgw_shared::smpp::session::SessionConfig;

// ---- The file itself ----------------------------------------------------------------------

/// Largest config file read, in bytes.
///
/// Cost: while loading, the text, the generic TOML tree (tens of times the text's size: every
/// entry is a map of owned strings) and the typed config are in memory at once. At the bound:
/// `check-config` and `run` refuse the file with one error. Why: [`ROUTES_MAX`] routes at about
/// 60 bytes each plus the rest of a large file fit with room to spare; bulk number-range
/// tables belong in the control plane, not in a file.
pub const CONFIG_FILE_SIZE_MAX: u64 = 16 * 1024 * 1024;

/// Most errors one load collects; the rest are counted, not listed.
///
/// Cost: one formatted line each. At the bound: the list ends with "N more errors not shown".
/// Why: an operator fixes a file a screenful at a time; a broken generator producing a million
/// bad routes must not produce a million lines.
pub const CONFIG_ERRORS_MAX: usize = 1_000;

// ---- [node] -------------------------------------------------------------------------------

/// Largest `node.id`: it is one octet of every message id and of the CMPP Msg_Id gateway field.
pub const NODE_ID_MAX: u8 = 255;

/// Most data-plane worker cores on one node (`node.cores` as a count or as a list's length).
///
/// Cost: each core owns an io_uring, its sessions' buffers and a journal segment, and the
/// cross-core mesh has cores × (cores - 1) SPSC rings. At the bound: config error. Why: larger
/// than any single host we deploy on; the mesh's quadratic ring count stays in the thousands.
pub const CORES_MAX: u16 = 256;

/// Largest core id in a `node.cores` list (Linux's `CPU_SETSIZE` is 1024).
pub const CORE_ID_MAX: u16 = 1_023;

/// `node.cores` when left out: one worker, the smallest footprint, right for a test box.
pub const CORES_DEFAULT: u16 = 1;

/// `node.data_dir` when left out, relative to the config file.
pub const DATA_DIR_DEFAULT: &str = "var";

// ---- Listeners ----------------------------------------------------------------------------

/// Most listen addresses per protocol (`smpp.listen`, `cmpp.listen`).
///
/// Cost: one listening socket per address per core (SO_REUSEPORT). At the bound: config
/// error. Why: one address per interface and protocol; 16 covers multi-homed hosts.
pub const LISTEN_ADDRS_MAX: usize = 16;

// ---- [[account]] --------------------------------------------------------------------------

/// Most `[[account]]` entries in one file.
///
/// Cost: per account a credential entry, a TPS token bucket per core and its short codes in
/// the MO table, about a kilobyte. At the bound: config error. Why: large aggregators run a few
/// thousand SPs; bigger fleets manage accounts through the control plane.
pub const ACCOUNTS_MAX: usize = 10_000;

/// Longest SMPP `system_id` in octets (a 16-octet C-Octet String with its NUL; SMPP 3.4 §4.1).
pub const SYSTEM_ID_SIZE_MAX: usize = 15;

/// Longest SMPP `password` in octets (a 9-octet C-Octet String with its NUL; SMPP 3.4 §4.1).
/// An SP's bind carrying a longer one could never match, so the config refuses it.
pub const PASSWORD_SIZE_MAX: usize = 8;

/// Most CIDR blocks in one account's `allowed_ips`.
///
/// Cost: 17 bytes each, checked linearly once per bind (not per PDU). At the bound: config
/// error. Why: an SP connects from a handful of networks; 256 leaves room for a NAT pool.
pub const ALLOWED_IPS_MAX: usize = 256;

/// Most simultaneous binds an account may be allowed (`account.max_binds`).
///
/// Cost: none until used; each bind is a session counted in `limits.sessions_max`. At the
/// bound of the configured value: the next bind is answered `ESME_RBINDFAIL` (0x0D) (CMPP:
/// Status 5, other error). Why: above 1024 binds one SP would starve every other SP of
/// sessions; the value must also stay within `limits.sessions_max`.
pub const ACCOUNT_BINDS_MAX: u32 = 1_024;

/// `account.max_binds` when left out: enough for a transmitter/receiver pair per core on a
/// small node, few enough that a misbehaving client cannot exhaust the session pool.
pub const ACCOUNT_BINDS_DEFAULT: u32 = 8;

/// Highest `account.tps` and `connector.tps`, in messages per second.
///
/// Cost: none (a token bucket is two integers). At the configured value: an SP's submit is
/// answered `ESME_RTHROTTLED` (0x58) (CMPP: Result 8); a connector's queue holds the message
/// until a token frees. Why: far above what one node carries, so it never limits a real
/// contract, while tokens × 10^6 µs stays well inside a u64.
pub const TPS_MAX: u32 = 1_000_000;

/// `account.tps` and `connector.tps` when left out: a conservative contract, so a forgotten
/// key under-delivers visibly (throttled answers) instead of flooding an operator's SMSC.
pub const TPS_DEFAULT: u32 = 100;

/// Largest `account.window` and `connector.window`: outstanding requests per session.
///
/// Cost: one in-flight slot (sequence number, deadline, message reference, tens of bytes) per
/// unit, allocated at bind time. At the configured value: an SP's further submits are answered
/// `ESME_RTHROTTLED` by the session itself; a connector bind stops taking messages until a
/// response frees a slot. Why: the session's own ceiling, [`SessionConfig::WINDOW_MAX`].
pub const WINDOW_MAX: u32 = 65_535;

/// `account.window` and `connector.window` when left out: the session's default, enough to
/// fill a 10 ms round trip at several thousand messages per second.
pub const WINDOW_DEFAULT: u32 = 64;

/// Most short codes one account owns.
///
/// Cost: one MO-table entry each (the digits and an account index). At the bound: config
/// error. Why: an SP owns a few codes; 1024 covers keyword ranges.
pub const SHORT_CODES_MAX: usize = 1_024;

/// Longest address in digits: short codes and route prefixes (SMPP `destination_addr` is a
/// 21-octet C-Octet String with its NUL; SMPP 3.4 §5.2.9).
pub const ADDRESS_DIGITS_MAX: usize = 20;

/// Longest CMPP `source_addr` (the 6-octet SP_Id of CMPP_CONNECT; CMPP 2.0 §7.4.2.1).
pub const CMPP_SOURCE_ADDR_SIZE_MAX: usize = 6;

/// Longest CMPP `shared_secret` in octets.
///
/// Cost: the secret is kept per account to compute the MD5 authenticators. At the bound:
/// config error. Why: the spec sets no length; operators issue 6 to 16 characters, and 64
/// stops a pasted key file from being taken for a secret.
pub const SHARED_SECRET_SIZE_MAX: usize = 64;

// ---- [[connector]] ------------------------------------------------------------------------

/// Most `[[connector]]` entries in one file.
///
/// Cost: per connector its binds (sessions), a queue of `limits.connector_queue_max` messages
/// and a token bucket. At the bound: config error. Why: a gateway binds to tens of operators;
/// 1000 covers per-product accounts at each of them.
pub const CONNECTORS_MAX: usize = 1_000;

/// Longest connector name in octets (names appear in routes, logs and metric labels).
pub const CONNECTOR_NAME_SIZE_MAX: usize = 64;

/// Longest host name in `connector.address` (RFC 1035 §2.3.4).
pub const HOST_NAME_SIZE_MAX: usize = 253;

/// Most binds per connector (`connector.binds`).
///
/// Cost: one session each, with its buffers. At the bound: config error. Why: SMSCs limit an
/// account's binds to a few; 64 allows one per core on a large node.
pub const CONNECTOR_BINDS_MAX: u32 = 64;

/// `connector.binds` when left out: one bind, which every SMSC account allows.
pub const CONNECTOR_BINDS_DEFAULT: u32 = 1;

/// Range of `connector.enquire_link_s` and `limits.enquire_link_s`, in seconds.
///
/// Cost: one enquire_link per session per interval. At the bound: config error. Why: below one
/// second is a flood; above an hour NAT and firewalls drop the idle connection unnoticed.
pub const ENQUIRE_LINK_S_MIN: u32 = 1;
/// Upper end of [`ENQUIRE_LINK_S_MIN`]'s range.
pub const ENQUIRE_LINK_S_MAX: u32 = 3_600;

/// `connector.enquire_link_s` and `limits.enquire_link_s` when left out: the session's default
/// (30 s), which common SMSCs expect.
pub const ENQUIRE_LINK_S_DEFAULT: u32 = 30;

// ---- [[route]] ----------------------------------------------------------------------------

/// Most `[[route]]` entries in one file.
///
/// Cost: one prefix-table entry each (digits and a connector list index), tens of bytes, in
/// each core's snapshot; loading costs far more, in the generic TOML tree. At the bound: config
/// error. Why: an operator's prefix list runs to thousands of entries; number-segment and
/// portability tables of millions go through the control plane's bulk API instead.
pub const ROUTES_MAX: usize = 100_000;

/// Most connectors in one route's failover list.
///
/// Cost: each failover attempt costs a response timeout. At the bound: config error. Why: a
/// message that failed over eight times would exceed any SP's response deadline.
pub const ROUTE_CONNECTORS_MAX: usize = 8;

/// Most `[[portability]]` entries in a file.
///
/// Cost: one exact-number entry each in every core's route snapshot (about 40 bytes).
/// At the bound: the file is refused with one error. Why: a file is for a single box; a
/// national portability database (millions of numbers) is bulk-imported through the control
/// plane (issue #6), not kept in TOML.
pub const PORTED_NUMBERS_MAX: usize = 100_000;

/// Largest `routing.*_status`: SMPP command_status values are 32-bit; vendor codes sit at
/// 0x400-0x4FF, and nothing sensible lies beyond 0xFFFF.
pub const ROUTE_STATUS_MAX: u32 = 0xFFFF;

/// `routing.no_route_status` when absent: `ESME_RINVDSTADR`.
pub const NO_ROUTE_STATUS_DEFAULT: u32 = 0x0B;

/// `routing.all_down_status` when absent: `ESME_RMSGQFUL`, which SPs retry.
pub const ALL_DOWN_STATUS_DEFAULT: u32 = 0x14;

/// `account.prefix_digits` when absent: a typical operator prefix (country code and network).
pub const PREFIX_DIGITS_DEFAULT: u32 = 5;

// ---- [limits] -----------------------------------------------------------------------------

/// Ceiling of `limits.sessions_max`: SP sessions (SMPP and CMPP) open at once on a node.
///
/// Cost: each session holds a receive buffer of `RECV_BUFFER_SIZE` (72 KiB) and up to
/// `limits.transmit_size_max` queued for the socket: 65,536 sessions is 4.5 GiB of receive
/// buffers alone. At the configured value: a new connection is closed right after accept,
/// logged and counted in `smsgw_sessions_rejected_total`. Why: the memory bound above.
pub const SESSIONS_MAX_CEILING: u32 = 65_536;

/// `limits.sessions_max` when left out: 1,024 sessions, 72 MiB of receive buffers.
pub const SESSIONS_MAX_DEFAULT: u32 = 1_024;

/// Ceiling of `limits.connector_queue_max`: messages waiting per connector for window or TPS.
///
/// Cost: an owned submit_sm (up to a few hundred bytes, a long message's part) per entry. At
/// the configured value: the route fails over to its next connector, and with none left the
/// SP's submit is answered `ESME_RMSGQFUL` (0x14) (CMPP: Result 8). Why: a million entries is
/// a few hundred MiB, minutes of traffic at full rate; more hides an outage behind latency.
pub const CONNECTOR_QUEUE_MAX_CEILING: u32 = 1_000_000;

/// `limits.connector_queue_max` when left out: a few seconds of traffic at thousands of TPS.
pub const CONNECTOR_QUEUE_MAX_DEFAULT: u32 = 10_000;

/// Ceiling of `limits.receipt_queue_max` and `limits.mo_queue_max`: receipts or MO messages
/// held in memory on a node waiting for the SP's receiving session.
///
/// Cost: a few hundred bytes each. At the configured value: the SMSC's deliver_sm is answered
/// `ESME_RMSGQFUL` (0x14) so it retries later, counted in `smsgw_receipt_queue_full_total`
/// (`smsgw_mo_queue_full_total`). Why: ten million is a few GiB, hours of receipts for an SP
/// that is away; past that the SMSC's own retry queue is the right buffer.
pub const DELIVER_QUEUE_MAX_CEILING: u32 = 10_000_000;

/// `limits.receipt_queue_max` when left out: receipts arrive at roughly the MT rate, so this is
/// about a minute of a busy SP's receipts.
pub const RECEIPT_QUEUE_MAX_DEFAULT: u32 = 100_000;

/// `limits.mo_queue_max` when left out: MO traffic is a small fraction of MT.
pub const MO_QUEUE_MAX_DEFAULT: u32 = 10_000;

/// Smallest `limits.pdu_size_max`: a submit_sm with a full 254-octet short_message, both
/// 21-octet addresses and a few TLVs fits in 512 octets; 1024 leaves margin.
pub const PDU_SIZE_MAX_FLOOR: u32 = 1_024;

/// `limits.pdu_size_max` when left out and its ceiling: the largest legal SMPP PDU
/// ([`SMPP_PDU_SIZE_MAX`]). At the configured value: generic_nack `ESME_RINVCMDLEN` (0x02) and
/// the session closes, because the stream is out of sync. Lower it only to refuse
/// message_payload submits.
pub const PDU_SIZE_MAX_DEFAULT: u32 = SMPP_PDU_SIZE_MAX;

/// Ceiling of `limits.transmit_size_max`: bytes queued for one socket.
///
/// Cost: per session, only while a peer reads slowly. At the configured value: the session
/// sends no new requests (deliver_sm to an SP, submit_sm to an SMSC) until the socket drains;
/// they wait in their queues. Why: 16 MiB is seconds of a fast link; more is a stuck peer.
pub const TRANSMIT_SIZE_MAX_CEILING: u32 = 16 * 1024 * 1024;

/// Floor of `limits.transmit_size_max`: one maximum-size SMPP PDU must fit, or a session could
/// never send it (the session's own `validate` refuses less).
pub const TRANSMIT_SIZE_MAX_FLOOR: u32 = SMPP_PDU_SIZE_MAX;

/// `limits.transmit_size_max` when left out: the session's default, 256 KiB, a few windows of
/// deliver_sm.
pub const TRANSMIT_SIZE_MAX_DEFAULT: u32 = 256 * 1024;

/// Range of `limits.response_timeout_ms` and `limits.bind_timeout_ms`, in milliseconds.
///
/// At the configured value: a request without response counts as failed (a submit fails over
/// or is answered to the SP with `ESME_RSYSERR`); a bind not completed in time closes the
/// connection. Why: under 100 ms is shorter than a WAN round trip under load; over five minutes
/// an SP's own timeout has long fired.
pub const TIMEOUT_MS_MIN: u32 = 100;
/// Upper end of [`TIMEOUT_MS_MIN`]'s range.
pub const TIMEOUT_MS_MAX: u32 = 300_000;

/// `limits.response_timeout_ms` and `limits.bind_timeout_ms` when left out: the session's
/// defaults (10 s), what SMPP peers commonly use.
pub const TIMEOUT_MS_DEFAULT: u32 = 10_000;

/// Range of `limits.idle_timeout_s`, in seconds: a session that received nothing this long is
/// closed (logged, counted in `smsgw_sessions_idle_closed_total`). It must exceed every
/// enquire_link interval plus the response timeout, so a live peer always has time to answer.
pub const IDLE_TIMEOUT_S_MIN: u32 = 2;
/// Upper end of [`IDLE_TIMEOUT_S_MIN`]'s range: one day.
pub const IDLE_TIMEOUT_S_MAX: u32 = 86_400;

/// `limits.idle_timeout_s` when left out: the session's default, three enquire_link intervals.
pub const IDLE_TIMEOUT_S_DEFAULT: u32 = 90;

// ---- [journal] ----------------------------------------------------------------------------

/// Range of `journal.segment_size_bytes`.
///
/// Cost: each core preallocates and maps one segment (plus the one being sealed). At the
/// configured value: the core seals the segment and opens the next. Why: under 1 MiB, segment
/// turnover dominates; over 1 GiB, a core's mapping and recovery scan grow for no gain.
pub const SEGMENT_SIZE_BYTES_MIN: u32 = 1024 * 1024;
/// Upper end of [`SEGMENT_SIZE_BYTES_MIN`]'s range.
pub const SEGMENT_SIZE_BYTES_MAX: u32 = 1024 * 1024 * 1024;

/// `journal.segment_size_bytes` when left out: 64 MiB, minutes of records per core at full
/// rate, a short recovery scan.
pub const SEGMENT_SIZE_BYTES_DEFAULT: u32 = 64 * 1024 * 1024;

/// Range of `journal.sync_interval_ms`, used with `node.durability = "batch"`: the journal is
/// synced at least this often and acknowledgements do not wait for it, so a crash can lose up
/// to this much acknowledged traffic. Why the range: 1 ms is close to `sync`; over a second the
/// loss window is more than an operator expects from "batch".
pub const SYNC_INTERVAL_MS_MIN: u32 = 1;
/// Upper end of [`SYNC_INTERVAL_MS_MIN`]'s range.
pub const SYNC_INTERVAL_MS_MAX: u32 = 1_000;

/// `journal.sync_interval_ms` when left out: 10 ms, a small loss window at a fraction of the
/// sync cost.
pub const SYNC_INTERVAL_MS_DEFAULT: u32 = 10;

// The config's window ceiling is the session's: a larger configured window would fail
// `SessionConfig::validate` when the data plane builds the session.
const _: () = assert!(WINDOW_MAX as usize <= SessionConfig::WINDOW_MAX);
// A configured PDU size must fit the receive buffer every session holds.
const _: () = assert!(PDU_SIZE_MAX_DEFAULT as usize <= RECV_BUFFER_SIZE);
const _: () = assert!(PDU_SIZE_MAX_FLOOR < PDU_SIZE_MAX_DEFAULT);
// The session refuses a transmit bound that cannot hold one maximum-size PDU.
const _: () = assert!(TRANSMIT_SIZE_MAX_DEFAULT >= TRANSMIT_SIZE_MAX_FLOOR);
const _: () = assert!(PDU_SIZE_MAX_DEFAULT <= TRANSMIT_SIZE_MAX_FLOOR);
const _: () = assert!(TRANSMIT_SIZE_MAX_DEFAULT <= TRANSMIT_SIZE_MAX_CEILING);
// A journal segment holds at least one record of the largest PDU with room to spare.
const _: () = assert!(SEGMENT_SIZE_BYTES_MIN as usize >= 4 * RECV_BUFFER_SIZE);
// Defaults satisfy the idle relation checked per key at load time.
const _: () = assert!(
    IDLE_TIMEOUT_S_DEFAULT as u64 * 1000
        > ENQUIRE_LINK_S_DEFAULT as u64 * 1000 + TIMEOUT_MS_DEFAULT as u64
);
const _: () = assert!(ACCOUNT_BINDS_DEFAULT <= SESSIONS_MAX_DEFAULT);
const _: () = assert!(ACCOUNT_BINDS_MAX <= SESSIONS_MAX_CEILING);
// A file at the size bound can hold the largest route table (about 60 bytes per route).
const _: () = assert!(ROUTES_MAX as u64 * 64 <= CONFIG_FILE_SIZE_MAX);
