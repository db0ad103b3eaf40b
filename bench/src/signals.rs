//! SIGTERM and SIGINT as a shutdown flag the bench tools' loops poll.
//!
//! The first SIGTERM or SIGINT sets the flag: loops finish their current step, the tools print
//! and write their counts, and exit. A second one while the flag is set exits at once with
//! status 130 (the shell's code for an interrupted command), for an operator whose run is stuck.
//! The handlers are registered through `signal_hook::flag`, which only stores to an atomic, so
//! there is no `unsafe` here.
//!
//! `--duration-s` and tests stop the same loops with [`Shutdown::request`].

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};
use thiserror::Error;

/// Why the signal handlers could not be registered.
#[derive(Debug, Error)]
pub enum SignalsError {
    /// The operating system refused a handler.
    #[error("cannot register a handler for signal {signal}: {source}")]
    Register {
        /// The signal number.
        signal: i32,
        /// The error.
        source: io::Error,
    },
}

/// A shared "please stop" flag; clones share it.
///
/// Call contract: create one per process with [`Shutdown::install`] (or [`Shutdown::new`] when
/// signals must not be touched, e.g. in tests), hand clones to every thread, and have each loop
/// check [`Shutdown::is_requested`] at least once per iteration.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    flag: Arc<AtomicBool>,
}

impl Shutdown {
    /// A flag no signal sets: only [`Shutdown::request`] does.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// A flag set by the first SIGTERM or SIGINT; a second one exits the process with 130.
    pub fn install() -> Result<Shutdown, SignalsError> {
        let shutdown = Shutdown::new();
        for signal in [SIGTERM, SIGINT] {
            // Registered first, so it sees the flag as it was before this signal: it exits only
            // on a signal that arrives after an earlier one set the flag.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                EXIT_STATUS_SECOND_SIGNAL,
                Arc::clone(&shutdown.flag),
            )
            .map_err(|source| SignalsError::Register { signal, source })?;
            signal_hook::flag::register(signal, Arc::clone(&shutdown.flag))
                .map_err(|source| SignalsError::Register { signal, source })?;
        }
        Ok(shutdown)
    }

    /// True once a signal arrived or [`Shutdown::request`] was called.
    pub fn is_requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Asks every holder of this flag to stop.
    pub fn request(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Sleeps for `duration` in steps of at most [`SLEEP_STEP`], returning early (true) as soon
    /// as shutdown is requested; false when the whole duration passed.
    pub fn sleep(&self, duration: Duration) -> bool {
        let start = Instant::now();
        loop {
            if self.is_requested() {
                return true;
            }
            let elapsed = start.elapsed();
            if elapsed >= duration {
                return false;
            }
            std::thread::sleep((duration - elapsed).min(SLEEP_STEP));
        }
    }
}

/// Longest sleep between two checks of the flag in [`Shutdown::sleep`]: how late a sleeping
/// thread notices a shutdown.
pub const SLEEP_STEP: Duration = Duration::from_millis(50);

/// Exit status on a second SIGTERM or SIGINT.
const EXIT_STATUS_SECOND_SIGNAL: i32 = 130;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_seen_by_every_clone() {
        // Proves request() sets the flag for the handle and all its clones, and that a fresh
        // flag is not set.
        let shutdown = Shutdown::new();
        let clone = shutdown.clone();
        assert!(!shutdown.is_requested());
        clone.request();
        assert!(shutdown.is_requested());
        assert!(clone.is_requested());
        assert!(!Shutdown::new().is_requested());
    }

    #[test]
    fn sleep_returns_at_once_when_requested() {
        // Proves sleep() does not wait when shutdown was already requested (a day-long sleep
        // returns true), and returns false after a zero duration otherwise.
        let shutdown = Shutdown::new();
        assert!(!shutdown.sleep(Duration::ZERO));
        shutdown.request();
        assert!(shutdown.sleep(Duration::from_secs(86_400)));
    }

    #[test]
    fn sleep_wakes_when_another_thread_requests() {
        // Proves a sleeping thread sees a request made by another thread (the requester joins
        // first, so no timing is assumed; the day-long sleep would hang the test otherwise).
        let shutdown = Shutdown::new();
        let requester = {
            let shutdown = shutdown.clone();
            std::thread::spawn(move || shutdown.request())
        };
        requester.join().unwrap();
        assert!(shutdown.sleep(Duration::from_secs(86_400)));
    }

    #[test]
    fn sigterm_sets_the_installed_flag() {
        // Proves install() registers SIGTERM: raising it once in this process sets the flag
        // (raise returns after the handler ran) and does not exit, because the flag was clear.
        let shutdown = Shutdown::install().unwrap();
        assert!(!shutdown.is_requested());
        signal_hook::low_level::raise(SIGTERM).unwrap();
        assert!(shutdown.is_requested());
    }
}
