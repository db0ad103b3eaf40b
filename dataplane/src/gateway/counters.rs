//! What one core has done, summed over cores for logs and metrics.

/// Counters of one core (plain integers: only the owning core writes them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// SP connections accepted.
    pub sessions_accepted: u64,
    /// SP connections refused by `limits.sessions_max`.
    pub sessions_refused: u64,
    /// SP sessions ended.
    pub sessions_closed: u64,
    /// Binds admitted.
    pub binds_accepted: u64,
    /// Binds refused (credentials, IP, max_binds).
    pub binds_refused: u64,
    /// Bad PDUs the session answered on its own.
    pub sp_refused_pdus: u64,
    /// Submits answered `ESME_ROK`.
    pub submits_accepted: u64,
    /// Submits answered with an error.
    pub submits_refused: u64,
    /// Submits with no route.
    pub no_route: u64,
    /// Submits refused by a full connector queue.
    pub queue_full: u64,
    /// Hops that met a full mesh ring (retried or answered with a transient error).
    pub mesh_full: u64,
    /// Hops dropped because the outbox was full.
    pub hops_dropped: u64,
    /// Outbound connects that failed.
    pub connect_failures: u64,
    /// submit_sm accepted by an SMSC.
    pub upstream_accepted: u64,
    /// submit_sm refused by an SMSC for good.
    pub upstream_rejected: u64,
    /// submit_sm whose outcome is unknown (response timeout on a live bind).
    pub upstream_uncertain: u64,
    /// Upstream message ids that could not be keyed.
    pub upstream_id_invalid: u64,
    /// Receipts from SMSCs.
    pub receipts_received: u64,
    /// Receipts matched to our messages.
    pub receipts_matched: u64,
    /// Receipts that matched nothing (unreadable, unknown id, expired while early).
    pub receipts_unmatched: u64,
    /// Failure receipts made for messages an SMSC refused.
    pub failure_receipts: u64,
    /// MO received.
    pub mo_received: u64,
    /// MO for no known short code.
    pub mo_unrouted: u64,
    /// Receipts and MO delivered to SPs.
    pub delivered_to_sp: u64,
    /// Deliveries refused by a full delivery queue.
    pub delivery_queue_full: u64,
    /// Deliveries dropped (validity or attempts).
    pub deliveries_dropped: u64,
    /// Concatenated MO joined into one deliver_sm.
    pub mo_reassembled: u64,
    /// Concatenated MO passed on in parts because parts were missing at the timeout.
    pub mo_incomplete: u64,
    /// MO parts received twice (dropped).
    pub mo_duplicate_parts: u64,
    /// Messages taken back by cancel_sm.
    pub cancelled: u64,
    /// Messages changed by replace_sm.
    pub replaced: u64,
}

/// How many counters [`Counters::fields`] lists.
pub const COUNTERS_COUNT: usize = 31;

impl Counters {
    /// Every counter with its name (the metric name without the `smsgw_` prefix and
    /// `_total` suffix).
    pub fn fields(&self) -> [(&'static str, u64); COUNTERS_COUNT] {
        [
            ("sessions_accepted", self.sessions_accepted),
            ("sessions_refused", self.sessions_refused),
            ("sessions_closed", self.sessions_closed),
            ("binds_accepted", self.binds_accepted),
            ("binds_refused", self.binds_refused),
            ("sp_refused_pdus", self.sp_refused_pdus),
            ("submits_accepted", self.submits_accepted),
            ("submits_refused", self.submits_refused),
            ("no_route", self.no_route),
            ("queue_full", self.queue_full),
            ("mesh_full", self.mesh_full),
            ("hops_dropped", self.hops_dropped),
            ("connect_failures", self.connect_failures),
            ("upstream_accepted", self.upstream_accepted),
            ("upstream_rejected", self.upstream_rejected),
            ("upstream_uncertain", self.upstream_uncertain),
            ("upstream_id_invalid", self.upstream_id_invalid),
            ("receipts_received", self.receipts_received),
            ("receipts_matched", self.receipts_matched),
            ("receipts_unmatched", self.receipts_unmatched),
            ("failure_receipts", self.failure_receipts),
            ("mo_received", self.mo_received),
            ("mo_unrouted", self.mo_unrouted),
            ("delivered_to_sp", self.delivered_to_sp),
            ("delivery_queue_full", self.delivery_queue_full),
            ("deliveries_dropped", self.deliveries_dropped),
            ("cancelled", self.cancelled),
            ("replaced", self.replaced),
            ("mo_reassembled", self.mo_reassembled),
            ("mo_incomplete", self.mo_incomplete),
            ("mo_duplicate_parts", self.mo_duplicate_parts),
        ]
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counters) {
        self.sessions_accepted += other.sessions_accepted;
        self.sessions_refused += other.sessions_refused;
        self.sessions_closed += other.sessions_closed;
        self.binds_accepted += other.binds_accepted;
        self.binds_refused += other.binds_refused;
        self.sp_refused_pdus += other.sp_refused_pdus;
        self.submits_accepted += other.submits_accepted;
        self.submits_refused += other.submits_refused;
        self.no_route += other.no_route;
        self.queue_full += other.queue_full;
        self.mesh_full += other.mesh_full;
        self.hops_dropped += other.hops_dropped;
        self.connect_failures += other.connect_failures;
        self.upstream_accepted += other.upstream_accepted;
        self.upstream_rejected += other.upstream_rejected;
        self.upstream_uncertain += other.upstream_uncertain;
        self.upstream_id_invalid += other.upstream_id_invalid;
        self.receipts_received += other.receipts_received;
        self.receipts_matched += other.receipts_matched;
        self.receipts_unmatched += other.receipts_unmatched;
        self.failure_receipts += other.failure_receipts;
        self.mo_received += other.mo_received;
        self.mo_unrouted += other.mo_unrouted;
        self.delivered_to_sp += other.delivered_to_sp;
        self.delivery_queue_full += other.delivery_queue_full;
        self.deliveries_dropped += other.deliveries_dropped;
        self.cancelled += other.cancelled;
        self.replaced += other.replaced;
        self.mo_reassembled += other.mo_reassembled;
        self.mo_incomplete += other.mo_incomplete;
        self.mo_duplicate_parts += other.mo_duplicate_parts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves `fields` (and so /metrics and `add`) lists every counter of the struct: the
    // Debug output names exactly the same fields.
    #[test]
    fn fields_lists_every_counter() {
        let debug = format!("{:?}", Counters::default());
        let inner = debug
            .trim_start_matches("Counters {")
            .trim_end_matches('}')
            .trim();
        let mut names: Vec<&str> = inner
            .split(", ")
            .map(|field| field.split(':').next().unwrap_or("").trim())
            .collect();
        let mut listed: Vec<&str> = Counters::default()
            .fields()
            .iter()
            .map(|(name, _)| *name)
            .collect();
        names.sort_unstable();
        listed.sort_unstable();
        assert_eq!(names, listed);
        let mut one = Counters::default();
        one.add(&Counters {
            replaced: 2,
            mo_duplicate_parts: 3,
            ..Counters::default()
        });
        assert_eq!((one.replaced, one.mo_duplicate_parts), (2, 3));
    }
}
