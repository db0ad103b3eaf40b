//! The routing engine: from an account and a destination number to the connector that carries
//! the message (DESIGN.md §3, "Routing"; `docs/routing.md` is the operator's view).
//!
//! A [`RouteSnapshot`] is compiled once by [`RouteSnapshotBuilder`] from plain data (the config
//! loader and the control plane feed it) and is immutable afterwards: each data-plane core holds
//! an `Arc` to the current one and swaps the whole `Arc` between loop iterations when a new
//! version arrives. Nothing here does I/O, allocates on a lookup, or takes a lock.
//!
//! # How a destination is routed
//!
//! 1. The destination is parsed into [`Digits`]: ASCII digits, one optional leading `+` that is
//!    ignored, at most [`NUMBER_DIGITS_MAX`]; anything else is [`RouteError::InvalidNumber`].
//! 2. The route group is the first of: the number-portability override for exactly this number
//!    ([`PortedNumbers`]), the longest match in the account's own [`PrefixTable`], the longest
//!    match in the global table (where `""` is the default route). None: [`RouteError::NoRoute`].
//! 3. In the [`RouteGroup`], priority tiers are tried in order (lower number first); within a
//!    tier, one available connector is chosen by weight from the caller's `seed`. No available
//!    connector in any tier: [`RouteError::AllConnectorsDown`].
//!
//! # Structure and cost
//!
//! The prefix table ([`prefix`]) is a 10-ary trie of 32-bit slots, compiled for reading:
//!
//! - a direct-indexed first level resolves up to [`PREFIX_DIRECT_DIGITS_MAX`] leading digits
//!   with one read (10^d slots, d at most log10 of the prefix count: at most 4 bytes a prefix);
//! - below it, internal nodes are `[u32; 10]` (40 bytes) in depth-first preorder, and a subtree
//!   of two to nine levels with at most [`prefix::BUCKET_ENTRIES_MAX`] prefixes is one 32-byte
//!   bucket (within one cache line) scanned in place;
//! - each slot is a node, a bucket or a leaf holding the answer: the best route of every node
//!   is pushed into its empty slots at build time, so the first leaf is the longest match and
//!   the walk keeps no state.
//!
//! A lookup reads the direct slot, then nodes until a leaf or a bucket. Numbering plans (and
//! random tables) are dense near the top and sparse below, so a lookup is typically two
//! dependent cache misses: the direct slot and one node or bucket. Memory for random 4-9 digit
//! prefixes is about 26 bytes a prefix; [`PREFIXES_MAX`] and [`PREFIX_TABLE_NODES_MAX`] bound
//! the worst case. Alternatives measured (`docs/routing.md`): a plain trie walk pays one miss
//! per digit past the cached levels; per-length hash sets pay one miss per prefix length
//! present and probe every length on a miss; a sorted array needs about twenty dependent
//! steps at a million entries.
//!
//! The digits are never copied: [`Digits`] is a validated view of the caller's bytes. Storing
//! a parsed copy on the stack for every lookup cost more than the lookup itself in
//! measurements, because it stops the CPU from overlapping consecutive lookups.
//!
//! Portability overrides ([`ported`]) are two sorted arrays (numbers as length-tagged `u64`,
//! targets as `u32`: 12 bytes a number) with a bucket directory over the key range, so a
//! lookup is one directory read and a binary search over a few neighbouring keys. Route
//! groups are one flat member array for the whole snapshot with a span per group.
//!
//! # Bounds
//!
//! Every table has a `*_MAX` below, with its cost and what the builder answers at the bound.
//! `select` calls `is_available` at most once per member of the chosen group
//! ([`GROUP_MEMBERS_MAX`]).

pub mod fuzz;
pub mod group;
pub mod number;
pub mod ported;
pub mod prefix;
pub mod snapshot;

#[cfg(test)]
mod tests;

use thiserror::Error;

use crate::smpp::CommandStatus;

pub use group::{Member, MemberSpec, RouteGroup};
pub use number::{Digits, NumberError};
pub use ported::{PortedError, PortedNumbers, PortedNumbersBuilder};
pub use prefix::{PrefixError, PrefixTable, PrefixTableBuilder};
pub use snapshot::{
    BuildError, MemberRule, RouteSnapshot, RouteSnapshotBuilder, RouteSource, RouteStats,
    RouteStatuses, Selection,
};

/// A connector (an SMSC link), numbered densely from 0 by the snapshot in the order the builder
/// declared them. Ids are stable only within one snapshot; runtimes map them by name on a swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorId(u16);

impl ConnectorId {
    /// The id as an index into per-connector arrays.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    pub(crate) fn from_index(index: usize) -> Option<ConnectorId> {
        if index < CONNECTORS_MAX {
            u16::try_from(index).ok().map(ConnectorId)
        } else {
            None
        }
    }
}

/// A route group (the target of every route), numbered densely from 0 by the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(u32);

impl GroupId {
    /// A group id, or `None` at or over [`GROUPS_MAX`] (the tables reserve the values above).
    pub const fn new(index: u32) -> Option<GroupId> {
        if (index as usize) < GROUPS_MAX {
            Some(GroupId(index))
        } else {
            None
        }
    }

    /// The id as an index into per-group arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub(crate) fn raw(self) -> u32 {
        self.0
    }
}

/// An SP account, as the account store numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub u32);

/// Why a message could not be given a connector. A peer-facing error: it becomes the
/// command_status of the `submit_sm_resp` through [`RouteError::status_with`], the one mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RouteError {
    /// The destination is not a number the gateway can route. Permanent.
    #[error("destination_addr is not a routable number: {0}")]
    InvalidNumber(#[from] NumberError),
    /// No portability override, account route or global route (not even a default) matches.
    /// Permanent: the same number will not route until the configuration changes.
    #[error("no route matches the destination")]
    NoRoute,
    /// A route matched, but every connector of its group is down. Transient: failover is
    /// allowed, and a retry after a connector comes back will succeed.
    #[error("every connector of route group {} is down", group.index())]
    AllConnectorsDown {
        /// The group that matched.
        group: GroupId,
    },
}

impl RouteError {
    /// The command_status with the default [`RouteStatuses`]: `ESME_RINVDSTADR` (0x0B) for an
    /// invalid number or no route, `ESME_RMSGQFUL` (0x14) when every connector is down.
    pub fn status(&self) -> CommandStatus {
        self.status_with(&RouteStatuses::DEFAULT)
    }

    /// The command_status for this error under `statuses` (a snapshot's configured codes).
    /// Reviewers: a new variant needs its status here, nowhere else.
    pub fn status_with(&self, statuses: &RouteStatuses) -> CommandStatus {
        match self {
            // The SP sent something that is not a number: always the spec's status for it.
            RouteError::InvalidNumber(_) => CommandStatus::ESME_RINVDSTADR,
            RouteError::NoRoute => statuses.no_route,
            RouteError::AllConnectorsDown { .. } => statuses.all_connectors_down,
        }
    }

    /// True when a later retry of the same message may succeed (the SP should resubmit).
    pub fn is_transient(&self) -> bool {
        match self {
            RouteError::InvalidNumber(_) | RouteError::NoRoute => false,
            RouteError::AllConnectorsDown { .. } => true,
        }
    }
}

impl From<&RouteError> for CommandStatus {
    fn from(error: &RouteError) -> CommandStatus {
        error.status()
    }
}

/// Most digits in a destination number, after an optional leading `+`.
///
/// Cost: [`Digits`] is a 21-byte value on the stack. At the bound: `NumberError::DigitsOver`,
/// answered with `ESME_RINVDSTADR`. Why: SMPP's destination_addr is a C-Octet String of at most
/// 21 octets (SMPP 3.4 §4.4.1), so 20 characters; E.164 numbers have at most 15 digits.
pub const NUMBER_DIGITS_MAX: usize = 20;

/// Most digits in a route prefix.
///
/// Cost: a prefix of n digits creates at most n trie nodes (40 bytes each). At the bound:
/// `PrefixError::DigitsOver` naming the prefix. Why: a prefix longer than the longest number
/// could never match.
pub const PREFIX_DIGITS_MAX: usize = NUMBER_DIGITS_MAX;

/// Most prefixes in one prefix table (the global table; account tables share
/// [`ACCOUNT_PREFIXES_MAX`]).
///
/// Cost: about 26 bytes per prefix for random 4-9 digit prefixes, so about 105 MB at the bound,
/// once per snapshot (cores share it through an `Arc`); building needs as much again while the
/// old snapshot is still in use. At the bound: `PrefixError::PrefixesOver`, and the config is
/// refused. Why: national number-segment tables (a country's full operator-by-block plan) have
/// up to a few million rows; four million holds the largest with room to grow.
pub const PREFIXES_MAX: usize = 4_000_000;

/// Most trie nodes in one prefix table while building it (one per distinct prefix of a prefix).
///
/// Cost: 44 bytes per node while building; after, 44 bytes per internal node above a bucket
/// and 32 bytes per bucket, each replacing two or more nodes. At the bound:
/// `PrefixError::NodesOver`. Why: [`PREFIXES_MAX`] long prefixes that share nothing would need
/// twenty nodes each (3.5 GB); real plans share paths and use two or three nodes per prefix, so
/// this caps the pathological case at about 740 MB without refusing any real plan.
pub const PREFIX_TABLE_NODES_MAX: usize = 1 << 24;

/// Most leading digits resolved by the direct-indexed first level of a prefix table.
///
/// Cost: 10^d slots of 4 bytes, where d is chosen per table as at most this and at most
/// log10 of its prefix count (so at most 4 bytes per prefix): 4 MB at d = 6. Why: six digits is
/// where random tables stop being dense, and each direct digit saves one dependent memory read.
pub const PREFIX_DIRECT_DIGITS_MAX: u32 = 6;

/// Most accounts with their own prefix table.
///
/// Cost: 4 bytes of index plus the table's own size. At the bound:
/// `BuildError::AccountsOver`. Why: overrides are for a few special SPs, not every account.
pub const ACCOUNTS_WITH_ROUTES_MAX: usize = 10_000;

/// Most prefixes across all account tables together.
///
/// Cost: as [`PREFIXES_MAX`], about 26 MB at the bound. At the bound:
/// `BuildError::Prefix` with `PrefixError::PrefixesOver`. Why: account overrides are small;
/// a million is a quarter of the global table.
pub const ACCOUNT_PREFIXES_MAX: usize = 1_000_000;

/// Most number-portability overrides.
///
/// Cost: 12 bytes per number plus at most 2 bytes of directory, so 700 MB at the bound; building
/// needs 16 bytes more per number while sorting. At the bound: `PortedError::NumbersOver`.
/// Why: a country's ported-number database (tens of millions of subscribers who changed
/// operator) must fit whole, since a ported number routed by its prefix goes to the wrong
/// network.
pub const PORTED_NUMBERS_MAX: usize = 50_000_000;

/// Most digits in a ported number: keys are `u64` and 19 digits is the most that fits with the
/// length encoded. Longer destinations skip the portability check. Why: E.164 numbers have at
/// most 15 digits.
pub const PORTED_NUMBER_DIGITS_MAX: usize = 19;

/// Most connectors in a snapshot.
///
/// Cost: one name per connector, and the data plane keeps per-connector state indexed by
/// [`ConnectorId`]. At the bound: `BuildError::ConnectorsOver`. Why: ids are `u16`; a gateway
/// has tens to hundreds of SMSC links.
pub const CONNECTORS_MAX: usize = 4_096;

/// Most route groups in a snapshot.
///
/// Cost: a name and a member list per group. At the bound: `BuildError::GroupsOver`. Why: one
/// group per operator and traffic class is hundreds; a table slot reserves the values above.
pub const GROUPS_MAX: usize = 65_536;

/// Most members in one route group.
///
/// Cost: 6 bytes per member; `select` calls `is_available` at most this many times. At the
/// bound: `BuildError::GroupMembersOver`. Why: a tier's availability is one `u64` bit mask.
pub const GROUP_MEMBERS_MAX: usize = 64;

/// Longest connector or group name, in bytes.
///
/// Cost: names are kept once per snapshot. At the bound: `BuildError::NameInvalid`. Why: names
/// appear in logs, CDRs and CLI output; 64 bytes is room for `carrier-region-purpose-n`.
pub const NAME_SIZE_MAX: usize = 64;

// A prefix can be as long as any number, and no longer.
const _: () = assert!(PREFIX_DIGITS_MAX == NUMBER_DIGITS_MAX);
// Ported keys are length-tagged u64s: 10^19 values plus the offset of shorter lengths fit.
const _: () = assert!(PORTED_NUMBER_DIGITS_MAX <= 19);
const _: () = assert!(PORTED_NUMBER_DIGITS_MAX <= NUMBER_DIGITS_MAX);
// Connector ids are u16.
const _: () = assert!(CONNECTORS_MAX <= u16::MAX as usize + 1);
// Trie slots tag leaves with the top bit and reserve the largest leaf value for "no route".
const _: () = assert!(GROUPS_MAX < (1 << 31) - 1);
const _: () = assert!(PREFIX_TABLE_NODES_MAX < 1 << 31);
// A tier's availability is one bit per member in a u64.
const _: () = assert!(GROUP_MEMBERS_MAX <= 64);
// Member spans of all groups index one array with u32.
const _: () = assert!(GROUPS_MAX * GROUP_MEMBERS_MAX <= u32::MAX as usize);
// Directory and index entries are u32.
const _: () = assert!(PORTED_NUMBERS_MAX <= u32::MAX as usize);
// The direct level's index of d digits fits comfortably in usize.
const _: () = assert!(PREFIX_DIRECT_DIGITS_MAX <= 9);
