//! What the SMPP and CMPP load generators share: the cross-connection run state (the message
//! budget, finish and interrupt flags, bind errors), receipt matching across connections
//! (including receipts that beat the response naming their id), the coordinator that ends a
//! run, and the final accounting into a [`Report`].
//!
//! Bounds: message ids awaiting receipts and receipts awaiting their id are each held up to
//! [`RECEIPT_TRACKING_MAX`]; past it they are counted (`untracked`, unmatched) rather than kept.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::load::{LoadError, Stop};
use crate::mix::{DestPrefix, MessageGenerator, Mix};
use crate::pace::Pacer;
use crate::report::{Protocol, Report, Stats};
use crate::signals::Shutdown;

/// Message ids awaiting a receipt (and early receipts awaiting an id), at most.
pub const RECEIPT_TRACKING_MAX: usize = 2_000_000;

/// Cross-connection state of one run; `K` is how the protocol names a message (SMPP: the
/// normalised message_id text; CMPP: the 64-bit Msg_Id).
pub(crate) struct Shared<K> {
    /// The run's clock origin.
    pub(crate) epoch: Instant,
    /// Receipt matching; one lock for both maps, or a receipt racing its response on another
    /// connection could miss in both.
    receipts: Mutex<ReceiptBook<K>>,
    receipts_expected: AtomicU64,
    receipts_seen: AtomicU64,
    untracked: AtomicU64,
    /// Messages still to start (count mode).
    pub(crate) remaining: AtomicU64,
    /// Connections that will send no more.
    pub(crate) binds_done_sending: AtomicUsize,
    /// Set when every connection must unbind and report.
    pub(crate) finish: AtomicBool,
    /// Set by an operator signal.
    interrupted: Shutdown,
    /// Why connections could not be established.
    pub(crate) bind_errors: Mutex<Vec<String>>,
}

/// Message ids awaiting receipts, and receipts awaiting their message id.
struct ReceiptBook<K> {
    /// message id → when its submit was written.
    awaiting: HashMap<K, Instant>,
    /// receipt id → when it arrived, for receipts that beat their response.
    early: HashMap<K, Instant>,
}

impl<K: Hash + Eq> Shared<K> {
    /// Run state for `stop` (a count becomes the message budget).
    pub(crate) fn new(stop: Stop, interrupted: Shutdown) -> Shared<K> {
        let remaining = match stop {
            Stop::Count(count) => count,
            Stop::Duration(_) => u64::MAX,
        };
        Shared {
            epoch: Instant::now(),
            receipts: Mutex::new(ReceiptBook {
                awaiting: HashMap::new(),
                early: HashMap::new(),
            }),
            receipts_expected: AtomicU64::new(0),
            receipts_seen: AtomicU64::new(0),
            untracked: AtomicU64::new(0),
            remaining: AtomicU64::new(remaining),
            binds_done_sending: AtomicUsize::new(0),
            finish: AtomicBool::new(false),
            interrupted,
            bind_errors: Mutex::new(Vec::new()),
        }
    }

    /// Takes one message from the budget; false when none is left.
    pub(crate) fn take_one(&self) -> bool {
        self.remaining
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    /// Records that message `key` expects a receipt, matching a receipt that arrived first.
    pub(crate) fn expect_receipt(&self, stats: &mut Stats, key: K, submitted: Instant) {
        let mut book = lock(&self.receipts);
        if let Some(arrived) = book.early.remove(&key) {
            stats.record_receipt(Some(arrived.saturating_duration_since(submitted)));
            self.receipts_expected.fetch_add(1, Ordering::AcqRel);
            self.receipts_seen.fetch_add(1, Ordering::AcqRel);
            return;
        }
        if book.awaiting.len() >= RECEIPT_TRACKING_MAX {
            self.untracked.fetch_add(1, Ordering::Relaxed);
            return;
        }
        book.awaiting.insert(key, submitted);
        self.receipts_expected.fetch_add(1, Ordering::AcqRel);
    }

    /// Matches a receipt for `key`; one whose response has not arrived yet (perhaps on another
    /// connection) waits in the early table, and what is still there at the end is unmatched.
    pub(crate) fn match_receipt(&self, stats: &mut Stats, key: K) {
        let mut book = lock(&self.receipts);
        match book.awaiting.remove(&key) {
            Some(submitted) => {
                stats.record_receipt(Some(submitted.elapsed()));
                self.receipts_seen.fetch_add(1, Ordering::AcqRel);
            }
            None => {
                if book.early.len() < RECEIPT_TRACKING_MAX {
                    book.early.insert(key, Instant::now());
                } else {
                    stats.record_receipt(None);
                }
            }
        }
    }

    /// Waits until every connection has sent everything and every expected receipt arrived
    /// (or `receipt_wait` passed since), then sets `finish`. Polls every 5 ms; in duration mode
    /// it also empties the budget when the duration is up.
    pub(crate) async fn coordinate(&self, binds: usize, stop: Stop, receipt_wait: Duration) {
        let run_deadline = match stop {
            Stop::Duration(duration) => Some(Instant::now() + duration),
            Stop::Count(_) => None,
        };
        let mut receipts_deadline: Option<Instant> = None;
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            if self.finish.load(Ordering::Acquire) {
                return;
            }
            if self.interrupted.is_requested() {
                self.finish.store(true, Ordering::Release);
                return;
            }
            if run_deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                self.remaining.store(0, Ordering::Release);
            }
            if self.binds_done_sending.load(Ordering::Acquire) < binds {
                continue;
            }
            let expected = self.receipts_expected.load(Ordering::Acquire);
            let seen = self.receipts_seen.load(Ordering::Acquire);
            let deadline = *receipts_deadline.get_or_insert_with(|| Instant::now() + receipt_wait);
            if seen >= expected || Instant::now() >= deadline {
                self.finish.store(true, Ordering::Release);
                return;
            }
        }
    }

    /// Turns the merged stats into the report: a run that sent nothing failed with the bind
    /// errors; receipts never matched (untracked, or still waiting for an id) count as unmatched.
    pub(crate) fn report(
        &self,
        mut stats: Stats,
        sending_ended: Duration,
    ) -> Result<Report, LoadError> {
        if stats.sent == 0 {
            return Err(LoadError::Bind(lock(&self.bind_errors).join("; ")));
        }
        stats.receipts_unmatched += self.untracked.load(Ordering::Relaxed);
        stats.receipts_unmatched += lock(&self.receipts).early.len() as u64;
        Ok(Report::new(
            &stats,
            sending_ended.max(Duration::from_millis(1)),
        ))
    }
}

/// What every load run sets the same way, for [`run_binds`].
pub(crate) struct RunPlan<'a> {
    pub(crate) protocol: Protocol,
    pub(crate) binds: usize,
    pub(crate) rate_per_s: Option<u64>,
    pub(crate) mix: Mix,
    pub(crate) prefixes: &'a [DestPrefix],
    pub(crate) seed: u64,
    pub(crate) stop: Stop,
    pub(crate) receipt_wait: Duration,
}

/// Starts one task per bind with `spawn_bind(generator, pacer)`, runs the coordinator, merges
/// the binds' stats when they end and builds the report.
pub(crate) async fn run_binds<K>(
    plan: RunPlan<'_>,
    shared: Arc<Shared<K>>,
    mut spawn_bind: impl FnMut(MessageGenerator, Pacer) -> JoinHandle<(Stats, Duration)>,
) -> Result<Report, LoadError>
where
    K: Hash + Eq + Send + 'static,
{
    let config_error = |error: &dyn std::fmt::Display| LoadError::Config(error.to_string());
    let pacers = Pacer::split(plan.rate_per_s, plan.binds).map_err(|error| config_error(&error))?;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(plan.binds);
    for (index, pacer) in pacers.into_iter().enumerate() {
        let generator =
            MessageGenerator::new(plan.mix, plan.prefixes.to_vec(), plan.seed, index as u64)
                .map_err(|error| config_error(&error))?;
        tasks.push(spawn_bind(generator, pacer));
    }
    let coordinator = {
        let shared = shared.clone();
        let (binds, stop, receipt_wait) = (plan.binds, plan.stop, plan.receipt_wait);
        tokio::spawn(async move { shared.coordinate(binds, stop, receipt_wait).await })
    };
    let mut stats = Stats::new(plan.protocol).map_err(|error| config_error(&error))?;
    let mut sending_ended = started.elapsed();
    for task in tasks {
        if let Ok((bind_stats, bind_sending_ended)) = task.await {
            stats
                .merge(&bind_stats)
                .map_err(|error| config_error(&error))?;
            sending_ended = sending_ended.max(bind_sending_ended);
        }
    }
    shared.finish.store(true, Ordering::Release);
    let _ = coordinator.await;
    shared.report(stats, sending_ended)
}

/// Locks, recovering the data if another thread panicked while holding it (the counts stay
/// meaningful).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
