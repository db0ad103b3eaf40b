//! Delayed responses: for accounts that ask to be slowed down rather than refused, a submit over
//! the rate is accepted but its response is held until the token it borrowed becomes available.
//!
//! Why it works: an SMPP or CMPP client keeps at most its window of requests outstanding, so
//! holding responses paces it to the account's rate without a single `ESME_RTHROTTLED`, which
//! many clients handle badly (immediate resend, or a fixed long back-off). A hold is bounded by
//! `hold_max_ms`; a submit that would wait longer is answered `Throttle` at once, so a client
//! sending far over its rate still learns so, and never waits into its own response timeout.
//!
//! Bounds: per bucket, the borrowed tokens are at most `rate × hold_max_ms / 1000 + 1` (the
//! debt bound of [`super::TokenBucket::reserve`]); per session, held responses also occupy the
//! session's window, which the session enforces itself (`ESME_RTHROTTLED` past it).
//!
//! Call contract: on [`super::Admission::Hold`], the caller parks the submit (and, to keep the
//! upstream rate exact, its forwarding) until `respond_at_ms` on its timer wheel, then proceeds
//! and answers `ESME_ROK` / Result 0.

use super::{Admission, TokenBucket};

/// How long an account's responses may be held to slow it down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayedResponse {
    hold_max_ms: u64,
}

impl DelayedResponse {
    /// A policy holding responses up to `hold_max_ms`.
    ///
    /// Panics when `hold_max_ms` is 0 or over [`RESPONSE_HOLD_MAX_MS`] (config validation keeps
    /// both out).
    pub fn new(hold_max_ms: u64) -> DelayedResponse {
        assert!(hold_max_ms >= 1);
        assert!(
            hold_max_ms <= RESPONSE_HOLD_MAX_MS,
            "hold_max_ms={hold_max_ms}"
        );
        DelayedResponse { hold_max_ms }
    }

    /// The longest hold.
    pub fn hold_max_ms(self) -> u64 {
        self.hold_max_ms
    }

    /// Decides one submit against `bucket`: `Admit` when a token is there now, `Hold` until the
    /// borrowed token's time when that is within `hold_max_ms`, `Throttle` otherwise (nothing
    /// taken).
    pub fn decide(self, bucket: &mut TokenBucket, now_ms: u64) -> Admission {
        match bucket.reserve(now_ms, self.hold_max_ms) {
            None => Admission::Throttle,
            Some(ready_ms) if ready_ms <= now_ms => Admission::Admit,
            Some(respond_at_ms) => Admission::Hold { respond_at_ms },
        }
    }
}

/// Ceiling of an account's response hold, in milliseconds.
///
/// Cost: held submits sit in the session's window (bounded by `account.window`) and the core's
/// timer wheel, and a bucket's debt grows to at most `rate × hold`. At the bound: a submit that
/// would wait longer is answered `ESME_RTHROTTLED` (0x58) / CMPP Result 8. Why: SP clients
/// commonly time a response out after 10-30 s and then resend, creating duplicates; holds stay
/// well below that.
pub const RESPONSE_HOLD_MAX_MS: u64 = 5_000;

/// A hold when the account does not choose one: long enough to absorb the bursts of a client
/// pipelining its full window, short enough to be invisible as latency to most SPs.
pub const RESPONSE_HOLD_DEFAULT_MS: u64 = 1_000;

const _: () = assert!(RESPONSE_HOLD_DEFAULT_MS <= RESPONSE_HOLD_MAX_MS);

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the three outcomes in order for a 10 TPS, burst 2 account holding up to 300 ms:
    // two immediate admits, three holds spaced by the refill period, then throttle.
    #[test]
    fn over_rate_submits_are_held_then_throttled() {
        let policy = DelayedResponse::new(300);
        let mut bucket = TokenBucket::new(10, 2, 1_000);
        assert_eq!(policy.decide(&mut bucket, 1_000), Admission::Admit);
        assert_eq!(policy.decide(&mut bucket, 1_000), Admission::Admit);
        let holds: Vec<Admission> = (0..3).map(|_| policy.decide(&mut bucket, 1_000)).collect();
        assert_eq!(
            holds,
            [1_100, 1_200, 1_300].map(|respond_at_ms| Admission::Hold { respond_at_ms })
        );
        assert_eq!(policy.decide(&mut bucket, 1_000), Admission::Throttle);
        // Time passing shortens the queue: at 1_150 the next token is at 1_400, 250 ms away.
        assert_eq!(
            policy.decide(&mut bucket, 1_150),
            Admission::Hold {
                respond_at_ms: 1_400
            }
        );
    }

    // Proves a paced client never waits: one submit per refill period is always admitted at
    // once, so the policy adds no latency to an account within its rate.
    #[test]
    fn within_rate_submits_are_never_held() {
        let policy = DelayedResponse::new(RESPONSE_HOLD_DEFAULT_MS);
        let mut bucket = TokenBucket::new(50, 1, 0);
        for step in 0..1_000u64 {
            assert_eq!(policy.decide(&mut bucket, step * 20), Admission::Admit);
        }
    }

    // Proves the hold ceiling is enforced at construction (a config bug cannot create
    // unbounded debt).
    #[test]
    #[should_panic(expected = "hold_max_ms")]
    fn hold_over_ceiling_is_refused() {
        let _ = DelayedResponse::new(RESPONSE_HOLD_MAX_MS + 1);
    }
}
