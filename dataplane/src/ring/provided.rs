//! Provided buffers for multishot receives (`IORING_REGISTER_PBUF_RING`, Linux 5.19): one buffer
//! group per [`Ring`](super::Ring), `count` buffers of `size_bytes` each, allocated once at
//! registration. The kernel picks a buffer only when data arrives, so an idle connection holds no
//! receive memory, and a multishot receive needs no resubmission per read.
//!
//! # Ownership (why the unsafe is sound)
//!
//! Every buffer id is, at any moment, in exactly one of two places:
//!
//! - **in the ring** (published by our tail, not yet consumed by the kernel's head): the kernel may
//!   write the buffer at any time, so user space never reads or writes it;
//! - **held** by exactly one [`ProvidedBuf`], made by [`ProvidedBuffers::take`] from the id a CQE
//!   names with `IORING_CQE_F_BUFFER`: the kernel consumed it and will not touch it until
//!   [`ProvidedBuffers::recycle`] publishes it again, so reading it races with nothing.
//!
//! `held` records which, and `take`/`recycle` assert each transition, so a duplicated id (a
//! bookkeeping bug) stops the process instead of aliasing memory the kernel writes. A
//! `ProvidedBuf` is neither `Clone` nor constructible outside this module, and names its ring
//! (`ring_id`), so it cannot be recycled twice nor read through another ring's buffers. At most
//! `count` ids are ever in the ring, so the kernel never sees the ring overfilled.
//!
//! The ring itself (one `struct io_uring_buf` per entry, page-aligned as the kernel requires) is
//! written only by us and read by the kernel. Entries are written first; a Release store of the
//! tail then publishes them, paired with the kernel's acquire load of the tail. The tail shares its
//! bytes with entry 0's `resv` field, so entries are written field by field and `resv` only ever
//! as the atomic tail.
//!
//! Both allocations are freed only by [`ProvidedBuffers::free`], which the ring calls after
//! unregistering the group with nothing in flight; otherwise they are leaked (no `Drop`), like
//! the slab's buffers.

use std::alloc::{self, Layout};
use std::mem::offset_of;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

/// A received buffer lent by the kernel: read it with
/// [`Ring::provided_bytes`](super::Ring::provided_bytes), then give it back with
/// [`Ring::recycle`](super::Ring::recycle). Dropping it instead loses the buffer from the pool
/// (safe, but the pool shrinks).
#[must_use = "a provided buffer that is not recycled is lost to the pool"]
#[derive(Debug)]
pub struct ProvidedBuf {
    ring_id: u64,
    bid: u16,
    len: usize,
}

impl ProvidedBuf {
    /// Bytes the kernel wrote (always at least 1: a 0-byte receive hands no buffer out).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true for a buffer a completion handed out; here for the `len` convention.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One registered buffer group: the ring of `io_uring_buf` entries and the buffers they point to.
pub(super) struct ProvidedBuffers {
    ring_id: u64,
    count: u16,
    size_bytes: usize,
    entries: NonNull<BufEntry>,
    entries_layout: Layout,
    buffers: NonNull<u8>,
    buffers_layout: Layout,
    /// Our tail: ids published so far (wrapping), of which the kernel consumed up to its head.
    tail: u16,
    /// `held[bid]`: the id is out of the ring, owned by a `ProvidedBuf`.
    held: Vec<bool>,
}

// SAFETY: the two allocations are plain memory owned by this value alone, with no thread
// affinity; the kernel's access does not depend on which thread owns the ring.
unsafe impl Send for ProvidedBuffers {}

impl ProvidedBuffers {
    /// Allocates `count` zeroed buffers of `size_bytes` and a ring holding every id. The caller
    /// checked the ranges (`count` a power of two, sizes non-zero) and registers the ring.
    pub(super) fn new(ring_id: u64, count: u16, size_bytes: usize) -> Self {
        assert!(count.is_power_of_two(), "count={count}");
        assert!(size_bytes > 0);
        let entries_layout = layout(
            usize::from(count) * std::mem::size_of::<BufEntry>(),
            page_size(),
        );
        let buffers_layout = layout(usize::from(count) * size_bytes, BUFFER_ALIGN);
        let entries = allocate_zeroed(entries_layout).cast::<BufEntry>();
        let buffers = allocate_zeroed(buffers_layout);
        let mut this = Self {
            ring_id,
            count,
            size_bytes,
            entries,
            entries_layout,
            buffers,
            buffers_layout,
            tail: 0,
            held: vec![true; usize::from(count)],
        };
        for bid in 0..count {
            this.push(bid);
        }
        this.publish();
        this
    }

    /// The ring's address, for `IORING_REGISTER_PBUF_RING`.
    pub(super) fn ring_addr(&self) -> u64 {
        self.entries.as_ptr() as u64
    }

    pub(super) fn count(&self) -> u16 {
        self.count
    }

    /// Takes buffer `bid` out of the ring: a CQE named it, with `len` bytes written.
    pub(super) fn take(&mut self, bid: u16, len: usize) -> ProvidedBuf {
        assert!(bid < self.count, "bid={bid} count={}", self.count);
        assert!(len <= self.size_bytes, "len={len}");
        let held = &mut self.held[usize::from(bid)];
        assert!(!*held, "the kernel handed out bid {bid} twice");
        *held = true;
        ProvidedBuf {
            ring_id: self.ring_id,
            bid,
            len,
        }
    }

    /// The bytes the kernel wrote into a held buffer.
    pub(super) fn bytes(&self, buffer: &ProvidedBuf) -> &[u8] {
        assert!(buffer.ring_id == self.ring_id, "a buffer of another ring");
        assert!(self.held[usize::from(buffer.bid)]);
        let start = self
            .buffers
            .as_ptr()
            .wrapping_add(usize::from(buffer.bid) * self.size_bytes);
        // SAFETY: `start..start + len` lies inside the buffers allocation (bid < count, len <=
        // size_bytes, both asserted in `take`); the memory is initialised (zeroed at allocation,
        // then written by the kernel); the id is held, so the kernel does not write it while the
        // returned borrow of `self` lasts (recycling needs `&mut self`).
        unsafe { std::slice::from_raw_parts(start, buffer.len) }
    }

    /// Puts a held buffer back in the ring for the kernel to fill again.
    pub(super) fn recycle(&mut self, buffer: ProvidedBuf) {
        assert!(buffer.ring_id == self.ring_id, "a buffer of another ring");
        self.push(buffer.bid);
        self.publish();
    }

    /// Frees both allocations.
    ///
    /// # Safety
    ///
    /// The kernel must hold no reference to either allocation: the group was never registered,
    /// or it was unregistered while no operation that could select from it was in flight.
    pub(super) unsafe fn free(self) {
        // SAFETY: allocated in `new` with this layout; per this function's contract nothing, the
        // kernel included, references it any more, and `self` is consumed.
        unsafe { alloc::dealloc(self.entries.as_ptr().cast::<u8>(), self.entries_layout) };
        // SAFETY: as above, for the buffers allocation.
        unsafe { alloc::dealloc(self.buffers.as_ptr(), self.buffers_layout) };
    }

    /// Writes the entry for held id `bid` at our tail (not yet visible to the kernel).
    fn push(&mut self, bid: u16) {
        let held = &mut self.held[usize::from(bid)];
        assert!(*held, "bid {bid} is already in the ring");
        *held = false;
        let index = usize::from(self.tail & (self.count - 1));
        let entry = self.entries.as_ptr().wrapping_add(index).cast::<u8>();
        let addr = self
            .buffers
            .as_ptr()
            .wrapping_add(usize::from(bid) * self.size_bytes) as u64;
        let len = u32::try_from(self.size_bytes).unwrap_or(u32::MAX);
        let addr_field = entry.wrapping_add(offset_of!(BufEntry, addr)).cast::<u64>();
        let len_field = entry.wrapping_add(offset_of!(BufEntry, len)).cast::<u32>();
        let bid_field = entry.wrapping_add(offset_of!(BufEntry, bid)).cast::<u16>();
        // SAFETY: the field lies inside the entries allocation
        // (index < count) and is aligned (the allocation is page-aligned, entries are 16 bytes,
        // `offset_of` gives the field's place); the kernel reads an entry only once the tail has
        // moved past it, and at most `count` ids are in the ring, so this slot is not in the
        // kernel's published window.
        unsafe { addr_field.write(addr) };
        // SAFETY: as for `addr_field`, one field further.
        unsafe { len_field.write(len) };
        // SAFETY: as for `addr_field`, two fields further.
        unsafe { bid_field.write(bid) };
        self.tail = self.tail.wrapping_add(1);
    }

    /// Makes every pushed entry visible to the kernel.
    fn publish(&self) {
        let tail = self
            .entries
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(offset_of!(BufEntry, resv))
            .cast::<u16>();
        // SAFETY: `tail` is entry 0's `resv` (the ring's tail by the kernel ABI), aligned for u16
        // and valid for as long as `self`; the kernel only loads it atomically and user space
        // accesses it only through this atomic.
        let tail = unsafe { AtomicU16::from_ptr(tail) };
        tail.store(self.tail, Ordering::Release);
    }
}

impl std::fmt::Debug for ProvidedBuffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvidedBuffers")
            .field("count", &self.count)
            .field("size_bytes", &self.size_bytes)
            .finish_non_exhaustive()
    }
}

/// `struct io_uring_buf` (include/uapi/linux/io_uring.h).
#[repr(C)]
struct BufEntry {
    addr: u64,
    len: u32,
    bid: u16,
    /// Entry 0's `resv` is the ring's tail.
    resv: u16,
}

fn layout(size: usize, align: usize) -> Layout {
    // Sizes come from a u16 count times a size capped by `PROVIDED_BUFFER_SIZE_MAX`, aligns are
    // powers of two: a layout error is a broken invariant.
    match Layout::from_size_align(size, align) {
        Ok(layout) => layout,
        Err(error) => unreachable!("size={size} align={align}: {error}"),
    }
}

fn allocate_zeroed(layout: Layout) -> NonNull<u8> {
    assert!(layout.size() > 0);
    // SAFETY: the layout has a non-zero size (asserted above).
    let memory = unsafe { alloc::alloc_zeroed(layout) };
    NonNull::new(memory).unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

/// The kernel requires the ring to start on a page boundary.
fn page_size() -> usize {
    // SAFETY: sysconf(3) takes no pointers.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|size| size.is_power_of_two())
        .unwrap_or(FALLBACK_PAGE_SIZE)
}

/// Buffers start on cache lines: no false sharing between neighbours, aligned copies.
const BUFFER_ALIGN: usize = 64;

/// Largest page size Linux uses (arm64 with 64 KiB pages); aligning to it satisfies any smaller
/// page size, should sysconf fail.
const FALLBACK_PAGE_SIZE: usize = 64 * 1024;

const _: () = assert!(std::mem::size_of::<BufEntry>() == 16);
const _: () = assert!(offset_of!(BufEntry, resv) == 14);
