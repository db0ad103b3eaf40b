//! Counters and latency histograms of a `load` run, and the report made from them.
//!
//! Each worker thread owns a [`Stats`] and records into it without locks; at the end the
//! threads' stats are merged with [`Stats::merge`] and turned into a [`Report`] with the elapsed
//! time. `Report::to_json` is the machine output of `smsgw-bench load --json`: the last line of
//! output is one JSON object with at least `sent`, `acked_ok`, `errors`, `receipts`,
//! `msgs_per_s`, `p50_us` and `p99_us` (the benchmark rigs' contract in INTERFACES.md).
//!
//! Counting rules, so that the numbers add up:
//! - `sent` counts submit PDUs written (one per part of a long message).
//! - every response is either `acked_ok` (status 0) or `errors`; `throttled` is the subset of
//!   `errors` whose status means "slow down" (SMPP `ESME_RTHROTTLED` 0x58 and `ESME_RMSGQFUL`
//!   0x14, CMPP Result 8). `timeouts` counts submits whose response never came in time; they are
//!   in neither `acked_ok` nor `errors`.
//! - `receipts` counts delivery receipts matched to a message id this run got;
//!   `receipts_unmatched` those that matched none.
//!
//! Bounds: at most [`STATUSES_MAX`] distinct status codes are kept; responses with further codes
//! are counted in `statuses_other`. Latencies are clamped to [`LATENCY_US_MAX`] (60 s).
//! Cost: two histograms of about 140 KiB each, so about 280 KiB per `Stats`: keep one per worker
//! thread, not one per bind.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Map, Value, json};
use smsgw_shared::cmpp::SubmitResult;
use smsgw_shared::smpp::CommandStatus;
use thiserror::Error;

/// Which protocol's codes the status map holds: it decides names and what counts as throttled.
/// Also `load --protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Protocol {
    /// SMPP command_status values.
    Smpp,
    /// CMPP SUBMIT_RESP Result values.
    Cmpp,
}

/// Why stats could not be created or merged. Both are bugs in the caller or the histogram
/// library rather than operator or peer errors, but they are reported, not asserted.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The histogram bounds were refused.
    #[error("cannot create a latency histogram: {0}")]
    HistogramCreation(#[from] hdrhistogram::CreationError),
    /// Two histograms could not be added.
    #[error("cannot merge latency histograms: {0}")]
    HistogramAddition(#[from] hdrhistogram::AdditionError),
    /// Stats of two protocols cannot be merged: their codes mean different things.
    #[error("cannot merge {source_protocol:?} stats into {target_protocol:?} stats")]
    ProtocolMismatch {
        /// The protocol of the stats merged from.
        source_protocol: Protocol,
        /// The protocol of the stats merged into.
        target_protocol: Protocol,
    },
}

/// What one worker thread (or the merge of several) counted.
///
/// Call contract: create with [`Stats::new`], record with the `record_*` methods as events
/// happen, merge the threads' stats with [`Stats::merge`], then build a [`Report`].
#[derive(Debug, Clone)]
pub struct Stats {
    protocol: Protocol,
    /// Submit PDUs written.
    pub sent: u64,
    /// Responses with status 0.
    pub acked_ok: u64,
    /// Responses with a non-zero status.
    pub errors: u64,
    /// Delivery receipts matched to a message id of this run.
    pub receipts: u64,
    /// Delivery receipts whose id matched no message of this run.
    pub receipts_unmatched: u64,
    /// Error responses meaning "slow down" (a subset of `errors`).
    pub throttled: u64,
    /// Submits whose response did not come within the response timeout.
    pub timeouts: u64,
    /// Connections re-established after a drop.
    pub reconnects: u64,
    statuses: BTreeMap<u32, u64>,
    statuses_other: u64,
    submit_latency_us: Histogram<u64>,
    receipt_latency_us: Histogram<u64>,
}

impl Stats {
    /// Empty stats for `protocol`'s status codes.
    pub fn new(protocol: Protocol) -> Result<Stats, ReportError> {
        Ok(Stats {
            protocol,
            sent: 0,
            acked_ok: 0,
            errors: 0,
            receipts: 0,
            receipts_unmatched: 0,
            throttled: 0,
            timeouts: 0,
            reconnects: 0,
            statuses: BTreeMap::new(),
            statuses_other: 0,
            submit_latency_us: latency_histogram()?,
            receipt_latency_us: latency_histogram()?,
        })
    }

    /// The protocol these stats count for.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Counts one submit PDU written.
    pub fn record_sent(&mut self) {
        self.sent += 1;
    }

    /// Counts a submit response with `status`, `latency` after its submit was written.
    pub fn record_response(&mut self, status: u32, latency: Duration) {
        if status == 0 {
            self.acked_ok += 1;
        } else {
            self.errors += 1;
            if is_throttled(self.protocol, status) {
                self.throttled += 1;
            }
        }
        self.count_status(status, 1);
        self.submit_latency_us.saturating_record(micros(latency));
    }

    /// Counts a submit whose response did not come in time.
    pub fn record_timeout(&mut self) {
        self.timeouts += 1;
    }

    /// Counts a delivery receipt: `Some(latency)` since its submit when its id matched a message
    /// of this run, `None` when it matched none.
    pub fn record_receipt(&mut self, latency: Option<Duration>) {
        match latency {
            Some(latency) => {
                self.receipts += 1;
                self.receipt_latency_us.saturating_record(micros(latency));
            }
            None => self.receipts_unmatched += 1,
        }
    }

    /// Counts a connection re-established after a drop.
    pub fn record_reconnect(&mut self) {
        self.reconnects += 1;
    }

    /// Adds `other`'s counts and histograms to these.
    pub fn merge(&mut self, other: &Stats) -> Result<(), ReportError> {
        if other.protocol != self.protocol {
            return Err(ReportError::ProtocolMismatch {
                source_protocol: other.protocol,
                target_protocol: self.protocol,
            });
        }
        self.submit_latency_us.add(&other.submit_latency_us)?;
        self.receipt_latency_us.add(&other.receipt_latency_us)?;
        self.sent += other.sent;
        self.acked_ok += other.acked_ok;
        self.errors += other.errors;
        self.receipts += other.receipts;
        self.receipts_unmatched += other.receipts_unmatched;
        self.throttled += other.throttled;
        self.timeouts += other.timeouts;
        self.reconnects += other.reconnects;
        for (&status, &count) in &other.statuses {
            self.count_status(status, count);
        }
        self.statuses_other += other.statuses_other;
        Ok(())
    }

    /// Responses counted per status code (at most [`STATUSES_MAX`] codes).
    pub fn statuses(&self) -> &BTreeMap<u32, u64> {
        &self.statuses
    }

    /// Responses whose code did not fit in the status map.
    pub fn statuses_other(&self) -> u64 {
        self.statuses_other
    }

    fn count_status(&mut self, status: u32, count: u64) {
        let map_is_full = self.statuses.len() >= STATUSES_MAX;
        match self.statuses.get_mut(&status) {
            Some(total) => *total += count,
            None if map_is_full => self.statuses_other += count,
            None => {
                self.statuses.insert(status, count);
            }
        }
        assert!(self.statuses.len() <= STATUSES_MAX);
    }
}

/// Latency percentiles of one histogram, in microseconds (0 when it holds no sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// Samples recorded.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest sample.
    pub max_us: u64,
}

impl Percentiles {
    fn of(histogram: &Histogram<u64>) -> Percentiles {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: histogram.len(),
            p50_us: histogram.value_at_quantile(0.50),
            p90_us: histogram.value_at_quantile(0.90),
            p99_us: histogram.value_at_quantile(0.99),
            p999_us: histogram.value_at_quantile(0.999),
            max_us: histogram.max(),
        }
    }
}

/// Responses with one status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// The command_status or Result value.
    pub code: u32,
    /// The spec's name for it, when it has one.
    pub name: Option<&'static str>,
    /// Responses with this code.
    pub count: u64,
}

/// The summary of a run: [`Stats`] reduced to numbers, with the throughput over `elapsed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The protocol the codes belong to.
    pub protocol: Protocol,
    /// Wall time of the run, in seconds.
    pub elapsed_s: f64,
    /// `acked_ok` per second of `elapsed_s` (0 when no time elapsed).
    pub msgs_per_s: f64,
    /// As in [`Stats::sent`].
    pub sent: u64,
    /// As in [`Stats::acked_ok`].
    pub acked_ok: u64,
    /// As in [`Stats::errors`].
    pub errors: u64,
    /// As in [`Stats::receipts`].
    pub receipts: u64,
    /// As in [`Stats::receipts_unmatched`].
    pub receipts_unmatched: u64,
    /// As in [`Stats::throttled`].
    pub throttled: u64,
    /// As in [`Stats::timeouts`].
    pub timeouts: u64,
    /// As in [`Stats::reconnects`].
    pub reconnects: u64,
    /// Submit to response latency.
    pub submit_latency: Percentiles,
    /// Submit to delivery receipt latency.
    pub receipt_latency: Percentiles,
    /// Responses per status code, in code order.
    pub statuses: Vec<StatusCount>,
    /// Responses whose code did not fit in the status map.
    pub statuses_other: u64,
}

impl Report {
    /// Summarises `stats` of a run that took `elapsed`.
    pub fn new(stats: &Stats, elapsed: Duration) -> Report {
        let elapsed_s = elapsed.as_secs_f64();
        // Counts are far below 2^53, so the conversion is exact.
        let msgs_per_s = if elapsed_s > 0.0 {
            stats.acked_ok as f64 / elapsed_s
        } else {
            0.0
        };
        let statuses = stats
            .statuses
            .iter()
            .map(|(&code, &count)| StatusCount {
                code,
                name: status_name(stats.protocol, code),
                count,
            })
            .collect();
        Report {
            protocol: stats.protocol,
            elapsed_s,
            msgs_per_s,
            sent: stats.sent,
            acked_ok: stats.acked_ok,
            errors: stats.errors,
            receipts: stats.receipts,
            receipts_unmatched: stats.receipts_unmatched,
            throttled: stats.throttled,
            timeouts: stats.timeouts,
            reconnects: stats.reconnects,
            submit_latency: Percentiles::of(&stats.submit_latency_us),
            receipt_latency: Percentiles::of(&stats.receipt_latency_us),
            statuses,
            statuses_other: stats.statuses_other,
        }
    }

    /// The report as one JSON object: the counters, `elapsed_s`, `msgs_per_s` (both rounded to
    /// 3 decimals), submit latency as `p50_us` .. `max_us`, receipt latency as
    /// `receipt_p50_us` .. `receipt_max_us`, and `statuses`: `{"0x00000058": {"count": 3,
    /// "name": "ESME_RTHROTTLED"}, ...}` (`name` is null for a code without one).
    pub fn to_json(&self) -> Value {
        let mut statuses = Map::new();
        for status in &self.statuses {
            statuses.insert(
                format!("0x{:08X}", status.code),
                json!({ "count": status.count, "name": status.name }),
            );
        }
        let submit = &self.submit_latency;
        let receipt = &self.receipt_latency;
        json!({
            "protocol": match self.protocol {
                Protocol::Smpp => "smpp",
                Protocol::Cmpp => "cmpp",
            },
            "elapsed_s": round3(self.elapsed_s),
            "msgs_per_s": round3(self.msgs_per_s),
            "sent": self.sent,
            "acked_ok": self.acked_ok,
            "errors": self.errors,
            "receipts": self.receipts,
            "receipts_unmatched": self.receipts_unmatched,
            "throttled": self.throttled,
            "timeouts": self.timeouts,
            "reconnects": self.reconnects,
            "responses": submit.count,
            "p50_us": submit.p50_us,
            "p90_us": submit.p90_us,
            "p99_us": submit.p99_us,
            "p999_us": submit.p999_us,
            "max_us": submit.max_us,
            "receipt_p50_us": receipt.p50_us,
            "receipt_p90_us": receipt.p90_us,
            "receipt_p99_us": receipt.p99_us,
            "receipt_p999_us": receipt.p999_us,
            "receipt_max_us": receipt.max_us,
            "statuses": statuses,
            "statuses_other": self.statuses_other,
        })
    }

    /// The report as an aligned table for people.
    pub fn to_table(&self) -> String {
        let mut table = String::new();
        let mut line = |label: &str, value: String| {
            // Writing to a String cannot fail.
            let _ = writeln!(table, "{label:<20} {value}");
        };
        line("elapsed", format!("{:.3} s", self.elapsed_s));
        line("throughput", format!("{:.1} msg/s", self.msgs_per_s));
        line("sent", self.sent.to_string());
        line("acked ok", self.acked_ok.to_string());
        line(
            "errors",
            format!("{} ({} throttled)", self.errors, self.throttled),
        );
        line("timeouts", self.timeouts.to_string());
        line("reconnects", self.reconnects.to_string());
        line(
            "receipts",
            format!("{} ({} unmatched)", self.receipts, self.receipts_unmatched),
        );
        line("submit→resp µs", percentiles_row(&self.submit_latency));
        line("submit→receipt µs", percentiles_row(&self.receipt_latency));
        for status in &self.statuses {
            line(
                &format!("  0x{:08X}", status.code),
                format!("{} {}", status.count, status.name.unwrap_or("")),
            );
        }
        if self.statuses_other > 0 {
            line("  other codes", self.statuses_other.to_string());
        }
        table
    }
}

fn percentiles_row(percentiles: &Percentiles) -> String {
    format!(
        "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (n={})",
        percentiles.p50_us,
        percentiles.p90_us,
        percentiles.p99_us,
        percentiles.p999_us,
        percentiles.max_us,
        percentiles.count
    )
}

fn latency_histogram() -> Result<Histogram<u64>, ReportError> {
    Ok(Histogram::new_with_bounds(
        LATENCY_US_MIN,
        LATENCY_US_MAX,
        LATENCY_SIGNIFICANT_DIGITS,
    )?)
}

fn micros(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros()).unwrap_or(u64::MAX)
}

fn is_throttled(protocol: Protocol, status: u32) -> bool {
    match protocol {
        Protocol::Smpp => matches!(
            CommandStatus(status),
            CommandStatus::ESME_RTHROTTLED | CommandStatus::ESME_RMSGQFUL
        ),
        Protocol::Cmpp => SubmitResult(status) == SubmitResult::FLOW_CONTROL_ERROR,
    }
}

fn status_name(protocol: Protocol, code: u32) -> Option<&'static str> {
    match protocol {
        Protocol::Smpp => CommandStatus(code).name(),
        Protocol::Cmpp => SubmitResult(code).name(),
    }
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Distinct status codes kept per [`Stats`]. Cost: one map entry (about 40 bytes) each. At the
/// bound: further codes are counted in `statuses_other`. Why: a run sees a handful of codes;
/// 32 leaves room for a misbehaving peer without letting it grow the map.
pub const STATUSES_MAX: usize = 32;

/// Smallest latency told apart, in microseconds.
pub const LATENCY_US_MIN: u64 = 1;

/// Largest latency recorded, in microseconds (60 s); longer ones are recorded as 60 s. Why: a
/// response or receipt later than a minute is a failure, not a latency to resolve.
pub const LATENCY_US_MAX: u64 = 60_000_000;

/// Significant decimal digits of the latency histograms (0.1 % resolution).
pub const LATENCY_SIGNIFICANT_DIGITS: u8 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    fn us(value: u64) -> Duration {
        Duration::from_micros(value)
    }

    #[test]
    fn responses_are_split_into_ok_errors_and_throttled() {
        // Proves the counting rules: status 0 is acked_ok, anything else an error, and the
        // "slow down" codes (0x58, 0x14) are also throttled; every response lands in statuses.
        let mut stats = Stats::new(Protocol::Smpp).unwrap();
        for status in [0, 0, 0x58, 0x14, 0x45] {
            stats.record_sent();
            stats.record_response(status, us(100));
        }
        stats.record_timeout();
        assert_eq!(stats.sent, 5);
        assert_eq!(stats.acked_ok, 2);
        assert_eq!(stats.errors, 3);
        assert_eq!(stats.throttled, 2);
        assert_eq!(stats.timeouts, 1);
        let expected: BTreeMap<u32, u64> = [(0, 2), (0x14, 1), (0x45, 1), (0x58, 1)].into();
        assert_eq!(stats.statuses(), &expected);
    }

    #[test]
    fn cmpp_flow_control_result_counts_as_throttled() {
        // Proves CMPP Result 8 (flow control) is throttled and CMPP names are used.
        let mut stats = Stats::new(Protocol::Cmpp).unwrap();
        stats.record_response(8, us(10));
        stats.record_response(0x58, us(10));
        assert_eq!(stats.throttled, 1);
        let report = Report::new(&stats, Duration::from_secs(1));
        assert_eq!(report.statuses[0].name, Some("FLOW_CONTROL_ERROR"));
        assert_eq!(report.statuses[1].name, None);
    }

    #[test]
    fn status_map_is_bounded() {
        // Proves the STATUSES_MAX bound: codes past it go to statuses_other, and a code already
        // in the map still counts in the map.
        let mut stats = Stats::new(Protocol::Smpp).unwrap();
        for code in 0..STATUSES_MAX as u32 + 5 {
            stats.record_response(code, us(1));
        }
        stats.record_response(3, us(1));
        assert_eq!(stats.statuses().len(), STATUSES_MAX);
        assert_eq!(stats.statuses_other(), 5);
        assert_eq!(stats.statuses()[&3], 2);
    }

    #[test]
    fn merge_adds_counters_statuses_and_histograms() {
        // Proves merging two threads' stats gives the sums, the union of status counts, and a
        // histogram holding both threads' samples.
        let mut left = Stats::new(Protocol::Smpp).unwrap();
        let mut right = Stats::new(Protocol::Smpp).unwrap();
        for _ in 0..3 {
            left.record_sent();
            left.record_response(0, us(100));
        }
        right.record_sent();
        right.record_response(0x58, us(1_000));
        right.record_receipt(Some(us(500)));
        right.record_receipt(None);
        right.record_reconnect();
        left.merge(&right).unwrap();
        assert_eq!(
            (left.sent, left.acked_ok, left.errors, left.throttled),
            (4, 3, 1, 1)
        );
        assert_eq!(
            (left.receipts, left.receipts_unmatched, left.reconnects),
            (1, 1, 1)
        );
        assert_eq!(left.statuses(), &BTreeMap::from([(0, 3), (0x58, 1)]));
        let report = Report::new(&left, Duration::from_secs(1));
        assert_eq!(report.submit_latency.count, 4);
        assert_eq!(report.submit_latency.p50_us, 100);
        assert_eq!(report.submit_latency.max_us, 1_000);
        assert_eq!(report.receipt_latency.count, 1);
    }

    #[test]
    fn merging_other_protocol_is_refused() {
        // Proves SMPP and CMPP stats do not mix: their codes mean different things.
        let mut smpp = Stats::new(Protocol::Smpp).unwrap();
        let cmpp = Stats::new(Protocol::Cmpp).unwrap();
        assert!(matches!(
            smpp.merge(&cmpp),
            Err(ReportError::ProtocolMismatch { .. })
        ));
    }

    #[test]
    fn percentiles_of_known_data() {
        // Proves the percentiles on 1..=1000 µs (all below 2048, where 3 significant digits are
        // exact): p50 = 500, p90 = 900, p99 = 990, p99.9 = 999, max = 1000; and latencies over
        // 60 s are clamped instead of lost.
        let mut stats = Stats::new(Protocol::Smpp).unwrap();
        for value in 1..=1_000 {
            stats.record_response(0, us(value));
        }
        let report = Report::new(&stats, Duration::from_secs(2));
        let expected = Percentiles {
            count: 1_000,
            p50_us: 500,
            p90_us: 900,
            p99_us: 990,
            p999_us: 999,
            max_us: 1_000,
        };
        assert_eq!(report.submit_latency, expected);
        assert_eq!(report.msgs_per_s, 500.0);
        stats.record_response(0, Duration::from_secs(3_600));
        let report = Report::new(&stats, Duration::from_secs(2));
        let max_us = report.submit_latency.max_us;
        assert!(max_us >= LATENCY_US_MAX, "max_us={max_us}");
        assert!(
            max_us <= LATENCY_US_MAX + LATENCY_US_MAX / 1_000,
            "max_us={max_us}"
        );
    }

    #[test]
    fn empty_run_reports_zeros() {
        // Proves a run with no samples and no elapsed time reports zeros, not NaN or a panic.
        let stats = Stats::new(Protocol::Smpp).unwrap();
        let report = Report::new(&stats, Duration::ZERO);
        assert_eq!(report.msgs_per_s, 0.0);
        assert_eq!(report.submit_latency, Percentiles::default());
        assert_eq!(report.to_json()["p99_us"], 0);
    }

    #[test]
    fn json_has_the_contract_keys() {
        // Proves the INTERFACES.md contract (sent, acked_ok, errors, receipts, msgs_per_s,
        // p50_us, p99_us) and the extra keys are present, the JSON is one line, and statuses are
        // keyed by hex code with their SMPP name.
        let mut stats = Stats::new(Protocol::Smpp).unwrap();
        stats.record_sent();
        stats.record_response(0x58, us(250));
        stats.record_response(0x0400, us(250));
        let json = Report::new(&stats, Duration::from_millis(1_500)).to_json();
        for key in [
            "sent",
            "acked_ok",
            "errors",
            "receipts",
            "msgs_per_s",
            "p50_us",
            "p99_us",
            "p90_us",
            "p999_us",
            "max_us",
            "receipt_p50_us",
            "receipt_p99_us",
            "statuses",
            "elapsed_s",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["elapsed_s"], 1.5);
        assert_eq!(json["p50_us"], 250);
        assert_eq!(
            json["statuses"]["0x00000058"],
            json!({ "count": 1, "name": "ESME_RTHROTTLED" })
        );
        assert_eq!(json["statuses"]["0x00000400"]["name"], Value::Null);
        assert!(!json.to_string().contains('\n'));
    }

    #[test]
    fn table_names_every_counter() {
        // Proves the human table shows the throughput, counters and status names.
        let mut stats = Stats::new(Protocol::Smpp).unwrap();
        stats.record_sent();
        stats.record_response(0, us(42));
        let table = Report::new(&stats, Duration::from_secs(1)).to_table();
        for needle in [
            "throughput",
            "1.0 msg/s",
            "acked ok",
            "receipts",
            "ESME_ROK",
            "p50 42",
        ] {
            assert!(table.contains(needle), "{needle} missing in\n{table}");
        }
    }
}
