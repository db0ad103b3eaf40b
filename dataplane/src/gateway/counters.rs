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

impl Counters {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counters) {
        macro_rules! sum {
            ($($field:ident),*) => { $(self.$field += other.$field;)* };
        }
        sum!(
            sessions_accepted,
            sessions_refused,
            sessions_closed,
            binds_accepted,
            binds_refused,
            sp_refused_pdus,
            submits_accepted,
            submits_refused,
            no_route,
            queue_full,
            mesh_full,
            hops_dropped,
            connect_failures,
            upstream_accepted,
            upstream_rejected,
            upstream_uncertain,
            upstream_id_invalid,
            receipts_received,
            receipts_matched,
            receipts_unmatched,
            failure_receipts,
            mo_received,
            mo_unrouted,
            delivered_to_sp,
            delivery_queue_full,
            deliveries_dropped,
            cancelled,
            replaced,
            mo_reassembled,
            mo_incomplete,
            mo_duplicate_parts
        );
    }
}
