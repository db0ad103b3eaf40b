//! The io_uring driver for one core. The core loop owns one [`Ring`]; nothing in here spawns a
//! thread or takes a lock. The loop submits operations (each returns a [`Token`]), calls
//! [`Ring::submit_and_wait`], then drains [`Ring::next_completion`] up to its per-tick budget.
//!
//! # Unsafe: the invariants this module relies on
//!
//! This is one of the two modules allowed `unsafe_code` (STYLE.md §6). The unsafe operations are:
//!
//! 1. **Pushing an SQE** (`Ring::push`). The kernel reads and writes memory through the SQE's
//!    pointers until it posts the request's final CQE (one without `IORING_CQE_F_MORE`).
//!    Soundness rests on: (a) every pointer in an SQE points into a heap allocation (`Vec<u8>`,
//!    `Box`) owned by that operation's slot in the in-flight [`slab`], built by `op::*::entry` from
//!    the value already stored in the slot; (b) a slot is freed only by the drain when the final
//!    CQE carrying its token is reaped, never when the caller loses interest (`abandon` marks it
//!    `Orphaned`, the drain frees it later); (c) `Drop for Ring` cancels everything in flight and
//!    waits for the final CQEs, a bounded number of rounds, and *leaks* whatever is still in
//!    flight after that rather than free memory the kernel may write; (d) NODROP is required at
//!    start-up, so no CQE is lost and no slot is stranded. Who upholds it: this module only; the
//!    slot's memory is unreachable from outside until the drain returns it in an [`Output`].
//! 2. **Adopting descriptors the kernel created** (multishot accept results, `eventfd(2)`): a
//!    non-negative result is a fresh descriptor nobody else owns, wrapped once in an `OwnedFd`.
//! 3. **`getrlimit`, `sysconf` and `eventfd` FFI calls**: one out-pointer to a live local, or no
//!    pointer.
//! 4. **Provided buffers** (`provided.rs`, multishot receives): the kernel writes a buffer of the
//!    group at any time while its id is in the buffer ring; user space reads a buffer only while a
//!    completion has handed its id out (a [`ProvidedBuf`]) and until [`Ring::recycle`] puts it
//!    back. The allocations are freed only after the group is unregistered with nothing in
//!    flight, and leaked otherwise, as in (c). The module doc of `provided.rs` has the details.
//!
//! Descriptors in SQEs are plain numbers: the kernel resolves them when the SQE is *submitted*,
//! so the caller keeps each descriptor open until the next `submit_and_wait`. Getting that wrong
//! yields an error CQE (or an operation on a reused number), never unsound memory access.
//!
//! A release build aborts on panic (`profile.production`): unwinding out of a core with buffers in
//! flight runs `Drop for Ring`, which still upholds (c).
//!
//! # Bounds
//!
//! [`ENTRIES_MAX`] submission entries per ring; [`IN_FLIGHT_MAX`] operations per ring (a full
//! slab refuses with [`SubmitError::SlabFull`] and returns the caller's buffer); completion-queue
//! overflow is buffered by the kernel (NODROP) and flushed by the next `submit_and_wait`.
//!
//! # Not here
//!
//! Registered (fixed) buffers and SEND_ZC build on this layer later; the cross-core sleep protocol
//! is [`crate::mesh`]'s, and the per-core I/O backends over this layer and over epoll are
//! [`crate::runtime`]'s.

#![allow(unsafe_code)]

mod capability;
mod error;
mod eventfd;
mod op;
mod provided;
mod slab;

use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use io_uring::{IoUring, cqueue, squeue, types};

pub use error::{Refused, RingError, SubmitError};
pub use eventfd::WakeFd;
pub use op::{Failure, Output};
pub use provided::ProvidedBuf;
pub use slab::Token;

use op::InFlightOp;
use provided::ProvidedBuffers;
use slab::{Interest, Slab};

/// Start-up options of a [`Ring`].
#[derive(Clone, Copy, Debug)]
pub struct RingOptions {
    /// Slots in the in-flight slab, `1..=IN_FLIGHT_MAX`; tests use tiny values to hit the bound.
    pub in_flight_max: usize,
    /// `IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN` (Linux >= 6.1): completions are
    /// posted only while this thread waits in `submit_and_wait(min_complete > 0, ..)`, which the
    /// core loop does every turn. Create the ring on the thread that will drive it.
    pub single_issuer: bool,
    /// Bytes this core will lock later (registered buffers), added to the RLIMIT_MEMLOCK check so
    /// a low limit fails at start-up rather than at registration.
    pub locked_bytes: u64,
}

impl Default for RingOptions {
    fn default() -> Self {
        Self {
            in_flight_max: IN_FLIGHT_MAX,
            single_issuer: false,
            locked_bytes: 0,
        }
    }
}

/// A completed operation: its token, the result, and for multishot accept whether the request
/// stays armed (`more == false` means the caller re-arms it to keep accepting).
#[derive(Debug)]
pub struct Completion {
    pub token: Token,
    pub more: bool,
    pub result: Result<Output, Failure>,
}

/// One core's io_uring and the in-flight slab that owns kernel-bound memory.
///
/// Call contract: submit with `accept_multi`/`connect`/`recv`/`recv_multi`/`send`/`timeout`/
/// `close`/`read_eventfd` (each returns a [`Token`] or hands the resources back in [`Refused`]);
/// keep the descriptors open until the next [`Ring::submit_and_wait`]; then drain
/// [`Ring::next_completion`] until `None` or the tick's budget. [`Ring::abandon`] drops interest
/// without freeing anything early; [`Ring::cancel`] asks the kernel to finish an operation early
/// (its completion still arrives). `recv_multi` needs [`Ring::register_provided_buffers`] first;
/// each buffer it hands out goes back with [`Ring::recycle`].
pub struct Ring {
    uring: IoUring,
    slab: Slab,
    entries: u32,
    /// Names this ring in the [`ProvidedBuf`]s it hands out.
    id: u64,
    provided: Option<ProvidedBuffers>,
}

impl Ring {
    /// Checks capabilities and sets up a ring with `entries` submission entries.
    pub fn new(entries: u32, options: RingOptions) -> Result<Self, RingError> {
        if entries == 0 || entries > ENTRIES_MAX {
            return Err(RingError::EntriesOutOfRange {
                entries,
                max: ENTRIES_MAX,
            });
        }
        if options.in_flight_max == 0 || options.in_flight_max > IN_FLIGHT_MAX {
            return Err(RingError::InFlightMaxOutOfRange {
                in_flight_max: options.in_flight_max,
                max: IN_FLIGHT_MAX,
            });
        }
        let memlock_soft_bytes = capability::check_before_setup(entries, options.locked_bytes)?;
        let mut builder = IoUring::builder();
        if options.single_issuer {
            builder.setup_single_issuer().setup_defer_taskrun();
        }
        let uring = builder
            .build(entries)
            .map_err(|source| capability::setup_error(entries, memlock_soft_bytes, source))?;
        capability::check_features(uring.params())?;
        Ok(Self {
            uring,
            slab: Slab::with_capacity(options.in_flight_max),
            entries,
            id: NEXT_RING_ID.fetch_add(1, Ordering::Relaxed),
            provided: None,
        })
    }

    /// Allocates and registers this ring's provided-buffer group (Linux 5.19): `count` buffers of
    /// `size_bytes`, `count` a power of two. Memory: `count × size_bytes` (zeroed once) plus
    /// `16 × count` bytes of pinned ring. Once per ring.
    pub fn register_provided_buffers(
        &mut self,
        count: u16,
        size_bytes: usize,
    ) -> Result<(), RingError> {
        assert!(
            self.provided.is_none(),
            "one provided-buffer group per ring"
        );
        let in_range = count.is_power_of_two()
            && count <= PROVIDED_COUNT_MAX
            && size_bytes > 0
            && size_bytes <= PROVIDED_BUFFER_SIZE_MAX;
        if !in_range {
            return Err(RingError::ProvidedBuffersOutOfRange {
                count,
                size_bytes,
                count_max: PROVIDED_COUNT_MAX,
                size_max: PROVIDED_BUFFER_SIZE_MAX,
            });
        }
        let buffers = ProvidedBuffers::new(self.id, count, size_bytes);
        let submitter = self.uring.submitter();
        // SAFETY: the ring memory (`count` entries, page-aligned) stays valid until the group is
        // unregistered or leaked (`Drop for Ring`), and so do the buffers its entries point to;
        // invariant 4 of the module doc.
        let registered = unsafe {
            submitter.register_buf_ring_with_flags(
                buffers.ring_addr(),
                buffers.count(),
                PROVIDED_GROUP,
                0,
            )
        };
        if let Err(source) = registered {
            // SAFETY: the registration failed, so the kernel never referenced the memory.
            unsafe { buffers.free() };
            return Err(RingError::ProvidedBuffers { count, source });
        }
        self.provided = Some(buffers);
        Ok(())
    }

    /// Arms a multishot accept on `listener`: one completion per connection.
    pub fn accept_multi(&mut self, listener: BorrowedFd<'_>) -> Result<Token, Refused<()>> {
        let op = InFlightOp::Accept(op::accept::AcceptOp::new(listener));
        self.submit(op).map_err(|(error, _)| Refused {
            error,
            returned: (),
        })
    }

    /// Connects the stream socket `fd` to `addr`; completes with [`Output::Connect`] or the
    /// connect error (`ECONNREFUSED`, `ETIMEDOUT`...).
    pub fn connect(&mut self, fd: BorrowedFd<'_>, addr: SocketAddr) -> Result<Token, Refused<()>> {
        let op = InFlightOp::Connect(op::connect::ConnectOp::new(fd, addr));
        self.submit(op).map_err(|(error, _)| Refused {
            error,
            returned: (),
        })
    }

    /// Arms a multishot receive on `fd` into the provided buffers: one
    /// [`Output::RecvProvided`] per arrival while `Completion::more`. It ends on EOF, errors,
    /// cancellation and `ENOBUFS` (every buffer handed out): re-arm after recycling.
    pub fn recv_multi(&mut self, fd: BorrowedFd<'_>) -> Result<Token, Refused<()>> {
        if self.provided.is_none() {
            return Err(Refused {
                error: SubmitError::NoProvidedBuffers,
                returned: (),
            });
        }
        let op = InFlightOp::RecvMulti(op::recv_multi::RecvMultiOp::new(fd, PROVIDED_GROUP));
        self.submit(op).map_err(|(error, _)| Refused {
            error,
            returned: (),
        })
    }

    /// The bytes a multishot receive put in `buffer`.
    pub fn provided_bytes(&self, buffer: &ProvidedBuf) -> &[u8] {
        let Some(provided) = &self.provided else {
            unreachable!("a ProvidedBuf exists only once buffers are registered")
        };
        provided.bytes(buffer)
    }

    /// Gives `buffer` back to the kernel for the next receive.
    pub fn recycle(&mut self, buffer: ProvidedBuf) {
        let Some(provided) = &mut self.provided else {
            unreachable!("a ProvidedBuf exists only once buffers are registered")
        };
        provided.recycle(buffer);
    }

    /// Receives into `buffer[offset..]`; `offset < buffer.len()`.
    pub fn recv(
        &mut self,
        fd: BorrowedFd<'_>,
        buffer: Vec<u8>,
        offset: usize,
    ) -> Result<Token, Refused<Vec<u8>>> {
        if offset >= buffer.len() {
            let error = SubmitError::EmptyWindow {
                offset,
                len: buffer.len(),
            };
            return Err(Refused {
                error,
                returned: buffer,
            });
        }
        let op = InFlightOp::Recv(op::recv::RecvOp::new(fd, buffer, offset));
        self.submit(op).map_err(|(error, op)| match op {
            InFlightOp::Recv(op) => Refused {
                error,
                returned: op.into_buffer(),
            },
            other => unreachable!("submit hands back what it was given, got {other:?}"),
        })
    }

    /// Sends `buffer[offset..]`; `offset < buffer.len()`. The completion may report fewer bytes.
    pub fn send(
        &mut self,
        fd: BorrowedFd<'_>,
        buffer: Vec<u8>,
        offset: usize,
    ) -> Result<Token, Refused<Vec<u8>>> {
        if offset >= buffer.len() {
            let error = SubmitError::EmptyWindow {
                offset,
                len: buffer.len(),
            };
            return Err(Refused {
                error,
                returned: buffer,
            });
        }
        let op = InFlightOp::Send(op::send::SendOp::new(fd, buffer, offset));
        self.submit(op).map_err(|(error, op)| match op {
            InFlightOp::Send(op) => Refused {
                error,
                returned: op.into_buffer(),
            },
            other => unreachable!("submit hands back what it was given, got {other:?}"),
        })
    }

    /// Completes with [`Output::Timeout`] once `after` has passed.
    pub fn timeout(&mut self, after: Duration) -> Result<Token, Refused<()>> {
        let op = InFlightOp::Timeout(op::timeout::TimeoutOp::new(after));
        self.submit(op).map_err(|(error, _)| Refused {
            error,
            returned: (),
        })
    }

    /// Closes `fd` through the ring; a refusal returns it still open.
    pub fn close(&mut self, fd: OwnedFd) -> Result<Token, Refused<OwnedFd>> {
        let op = InFlightOp::Close(op::close::CloseOp::new(fd));
        self.submit(op).map_err(|(error, op)| match op {
            InFlightOp::Close(op) => Refused {
                error,
                returned: op.into_fd(),
            },
            other => unreachable!("submit hands back what it was given, got {other:?}"),
        })
    }

    /// Arms a read of `eventfd` (a [`WakeFd`]): completes when another thread wakes this ring.
    pub fn read_eventfd(&mut self, eventfd: BorrowedFd<'_>) -> Result<Token, Refused<()>> {
        let op = InFlightOp::ReadEventFd(op::read_eventfd::ReadEventFdOp::new(eventfd));
        self.submit(op).map_err(|(error, _)| Refused {
            error,
            returned: (),
        })
    }

    /// Asks the kernel to cancel `token`'s operation. Its completion (usually `ECANCELED`, or a
    /// result if it won the race) still arrives and still returns the buffer; until then the
    /// slot keeps owning the memory. Returns false when `token` is not in flight.
    pub fn cancel(&mut self, token: Token) -> Result<bool, Refused<()>> {
        if self.slab.get_mut(token).is_none() {
            return Ok(false);
        }
        let entry = op::cancel::entry(token.user_data());
        self.push(&entry).map_err(|error| Refused {
            error,
            returned: (),
        })?;
        Ok(true)
    }

    /// Drops interest in `token`'s operation: its completion will not be returned, and its
    /// memory is freed when the kernel completes it, not now. Returns false when `token` is not
    /// in flight. A multishot accept keeps accepting (and closing) until cancelled.
    pub fn abandon(&mut self, token: Token) -> bool {
        self.slab.orphan(token)
    }

    /// SQEs queued and not yet consumed by the kernel. Zero after a successful submit; a
    /// descriptor some queued SQE names must stay open while this is not zero.
    pub fn queued_count(&mut self) -> usize {
        self.uring.submission().len()
    }

    /// Operations submitted and not yet finally completed, orphaned ones included.
    pub fn in_flight_count(&self) -> usize {
        self.slab.in_flight_count()
    }

    /// Submits every queued SQE and waits until at least `min_complete` completions are ready
    /// or `timeout` passes (`None`: no time limit). Expiry and signals are not errors.
    pub fn submit_and_wait(
        &mut self,
        min_complete: usize,
        timeout: Option<Duration>,
    ) -> Result<(), RingError> {
        let submitter = self.uring.submitter();
        let result = match timeout {
            Some(timeout) => {
                let timespec = types::Timespec::from(timeout);
                let args = types::SubmitArgs::new().timespec(&timespec);
                submitter.submit_with_args(min_complete, &args)
            }
            None => submitter.submit_and_wait(min_complete),
        };
        match result {
            Ok(_) => Ok(()),
            Err(error) => match error.raw_os_error() {
                // ETIME: the wait timed out. EINTR: a signal; the loop re-checks its flags.
                // EBUSY/EAGAIN: completions must be reaped before more can be posted.
                Some(libc::ETIME | libc::EINTR | libc::EBUSY | libc::EAGAIN) => Ok(()),
                _ => Err(RingError::Enter(error)),
            },
        }
    }

    /// Pops the next completion for the caller. Completions of orphaned operations free their
    /// slot here and are not returned (a provided buffer they carry is recycled); cancel-request
    /// CQEs are skipped.
    pub fn next_completion(&mut self) -> Option<Completion> {
        loop {
            let cqe = self.uring.completion().next()?;
            if cqe.user_data() == CANCEL_USER_DATA {
                continue;
            }
            let token = Token::from_user_data(cqe.user_data());
            let more = cqueue::more(cqe.flags());
            let mut selected = cqueue::buffer_select(cqe.flags()).map(|bid| {
                let Some(provided) = &mut self.provided else {
                    unreachable!("a CQE selected buffer {bid} but no group is registered")
                };
                provided.take(bid, usize::try_from(cqe.result()).unwrap_or(0))
            });
            let (result, interest) = if more {
                let Some((op, interest)) = self.slab.get_mut(token) else {
                    unreachable!("a CQE names a live slot until its final CQE: {token:?}")
                };
                (op.complete_more(cqe.result(), &mut selected), interest)
            } else {
                let Some((op, interest)) = self.slab.remove(token) else {
                    unreachable!("a CQE names a live slot until its final CQE: {token:?}")
                };
                (op.complete(cqe.result(), &mut selected), interest)
            };
            // A buffer the output did not take (0 bytes or an error) goes straight back.
            if let Some(buffer) = selected {
                self.recycle(buffer);
            }
            match interest {
                Interest::Caller => {
                    return Some(Completion {
                        token,
                        more,
                        result,
                    });
                }
                Interest::Orphaned => match result {
                    Ok(Output::RecvProvided {
                        buffer: Some(buffer),
                    }) => self.recycle(buffer),
                    // Dropping the output frees the buffer (the kernel is done with it) or closes
                    // the accepted descriptor nobody wants.
                    other => drop(other),
                },
            }
        }
    }

    /// Pushes one SQE, flushing a full submission queue once first.
    fn push(&mut self, entry: &squeue::Entry) -> Result<(), SubmitError> {
        if self.uring.submission().is_full() {
            self.uring.submit().map_err(SubmitError::Enter)?;
        }
        // SAFETY: invariant 1 of the module doc. Every pointer in `entry` points into a heap
        // allocation owned by the in-flight slot its user_data names (or the entry has none:
        // cancel), and that slot is freed only when the final CQE is reaped or leaked in Drop.
        let pushed = unsafe { self.uring.submission().push(entry) };
        pushed.map_err(|_| SubmitError::SubmissionQueueFull {
            entries: self.entries,
        })
    }

    /// Parks `op` in a slot, then pushes its SQE; on refusal the op comes back untouched.
    fn submit(&mut self, op: InFlightOp) -> Result<Token, (SubmitError, InFlightOp)> {
        let in_flight_max = self.slab.capacity();
        let token = self
            .slab
            .insert(op)
            .map_err(|op| (SubmitError::SlabFull { in_flight_max }, op))?;
        let Some((op, _)) = self.slab.get_mut(token) else {
            unreachable!("insert just returned this token")
        };
        // Built from the op where it now lives: its heap pointers stay put until the final CQE.
        let entry = op.entry().user_data(token.user_data());
        if let Err(error) = self.push(&entry) {
            let Some((op, _)) = self.slab.remove(token) else {
                unreachable!("insert just returned this token")
            };
            return Err((error, op));
        }
        Ok(token)
    }

    /// Cancels and reaps everything in flight, bounded; returns whether the slab emptied.
    fn shutdown(&mut self) -> bool {
        let tokens: Vec<Token> = self.slab.live_tokens().collect();
        for token in tokens {
            self.slab.orphan(token);
            // A refused cancel leaves the operation to complete by itself within the rounds.
            let _ = self.push(&op::cancel::entry(token.user_data()));
        }
        for _ in 0..SHUTDOWN_ROUNDS_MAX {
            if self.slab.in_flight_count() == 0 {
                return true;
            }
            if self.submit_and_wait(1, Some(SHUTDOWN_ROUND_WAIT)).is_err() {
                return false;
            }
            while self.next_completion().is_some() {}
        }
        self.slab.in_flight_count() == 0
    }
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("entries", &self.entries)
            .field("in_flight_count", &self.slab.in_flight_count())
            .finish_non_exhaustive()
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        let drained = self.slab.in_flight_count() == 0 || self.shutdown();
        if !drained {
            // The kernel may still write into these buffers after the ring fd closes (ring exit
            // is asynchronous): leaking is the only sound choice left.
            self.slab.leak();
        }
        if let Some(buffers) = self.provided.take() {
            let submitter = self.uring.submitter();
            if drained && submitter.unregister_buf_ring(PROVIDED_GROUP).is_ok() {
                // SAFETY: the group is unregistered and nothing is in flight, so no request can
                // select a buffer and the kernel references neither allocation.
                unsafe { buffers.free() };
            } else {
                // A receive may still be filling a buffer: leak them, as with the slab.
                std::mem::forget(buffers);
            }
        }
    }
}

/// Upper bound on submission-queue entries per ring (the CQ gets twice as many). Costs about
/// 100 bytes of pinned ring memory per entry (400 KiB at the maximum); `Ring::new` refuses more
/// with `RingError::EntriesOutOfRange`. 4096 covers a full batch of one tick's submissions with a
/// flush in between (`push` flushes a full queue), and is well under the kernel's 32768.
pub const ENTRIES_MAX: u32 = 4096;

/// Upper bound on operations in flight per ring (slab slots, allocated once at start-up at
/// roughly 64 bytes each: 1 MiB at the maximum, plus the buffers the operations own). When full,
/// submissions are refused with `SubmitError::SlabFull` and the caller's buffer comes back; the
/// core loop then stops reading from SPs (back-pressure). Why 16384: a core's worst case is one
/// recv and one send per session plus accept, timers and the wake read; 8000 sessions per core
/// leave headroom.
pub const IN_FLIGHT_MAX: usize = 16384;

/// Most provided buffers per group: the kernel's limit on a buffer ring's entries.
pub const PROVIDED_COUNT_MAX: u16 = 32_768;

/// Largest provided buffer; receives are chunked into buffers, so bigger ones only waste memory.
pub const PROVIDED_BUFFER_SIZE_MAX: usize = 1024 * 1024;

/// The one buffer group id each ring registers.
const PROVIDED_GROUP: u16 = 0;

/// Source of [`Ring`] ids (a [`ProvidedBuf`] is checked against the ring that lent it).
static NEXT_RING_ID: AtomicU64 = AtomicU64::new(0);

/// `user_data` of cancel requests, whose CQEs carry no slot. Never a token: slot indices stay
/// below `IN_FLIGHT_MAX`, so the low 32 bits of a token are never all ones.
const CANCEL_USER_DATA: u64 = u64::MAX;

/// Rounds `Drop` waits for cancelled operations before leaking what is left.
const SHUTDOWN_ROUNDS_MAX: u32 = 64;

/// Longest wait per shutdown round.
const SHUTDOWN_ROUND_WAIT: Duration = Duration::from_millis(50);

const _: () = assert!(IN_FLIGHT_MAX < u32::MAX as usize);
