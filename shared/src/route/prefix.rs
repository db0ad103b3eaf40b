//! The compiled longest-prefix table: number segments (decimal prefixes) to route groups.
//!
//! # Layout
//!
//! Three arrays of 32-bit slots and one of buckets. A slot is one of:
//!
//! - a leaf (top bit set): the low 31 bits are the answer, a [`GroupId`] or "no route";
//! - a bucket (second bit set): the index of a `Bucket`, a whole small subtree in 32 bytes,
//!   aligned so it sits in one cache line;
//! - otherwise the index of an internal node, `[u32; 10]` (40 bytes): one slot per next digit.
//!
//! At build time the best route of every node (its own prefix's target, else its parent's
//! best) is pushed into every slot with nothing longer behind it ("leaf pushing"), so the
//! first leaf met is the longest match and the walk keeps no state. Nodes are laid out in
//! depth-first preorder, so a node's first child follows it in memory. When a number ends on
//! an internal node, `ends[node]` holds that node's best.
//!
//! The first `direct_digits` digits skip the walk: `direct` has one slot per string of that
//! many digits, holding what the walk would have found there. Below that depth, a subtree of
//! two to nine levels holding at most [`BUCKET_ENTRIES_MAX`] prefixes becomes a bucket: its
//! prefixes as (digits after the node, length, target), longest first, plus the node's best.
//! Random and real tables are dense near the top and sparse below, so most lookups read the
//! direct slot and then a node or a bucket: two dependent cache misses, where a plain trie
//! would take one per digit of a long prefix.
//!
//! # Cost
//!
//! Lookup: one read of `direct`, then one 4-byte read per further digit through nodes until a
//! leaf or a bucket (one cache line, at most nine multiply-adds and three compares); nothing
//! is allocated. Build: O(total prefix digits) to insert into a plain trie, one pass for
//! subtree sizes, one preorder pass to compact it, and one pass over the direct slots.
//! Memory: 40 + 4 bytes per internal node, 32 bytes per bucket, 4 bytes per direct slot (at
//! most one per prefix); the builder's plain trie takes 44 bytes per node until `build`.

// HOT PATH: `lookup` and `lookup_digits` allocate nothing, take no locks and log nothing.

use thiserror::Error;

use super::number::{Digits, NumberError, digit_value};
use super::{
    GroupId, PREFIX_DIGITS_MAX, PREFIX_DIRECT_DIGITS_MAX, PREFIX_TABLE_NODES_MAX, PREFIXES_MAX,
};

/// An immutable longest-prefix-match table. Build it with [`PrefixTableBuilder`].
#[derive(Debug, Clone)]
pub struct PrefixTable {
    /// Internal nodes in preorder; node 0 is the root when the root is a node.
    nodes: Box<[[u32; 10]]>,
    /// Best target (raw, no leaf bit) of each internal node, for numbers that end on it.
    ends: Box<[u32]>,
    buckets: Box<[Bucket]>,
    /// The slot reached after the first `direct_digits` digits, indexed by their value.
    direct: Box<[u32]>,
    direct_digits: u32,
    /// The slot for the empty string, for numbers shorter than `direct_digits`.
    root: u32,
    prefix_count: usize,
}

impl PrefixTable {
    /// An empty table: every lookup answers `None`.
    pub fn empty() -> PrefixTable {
        PrefixTableBuilder::new().build()
    }

    /// The target of the longest prefix of `number` (ASCII digits, optional leading `+`), or
    /// `None` when no prefix matches and there is no default route.
    pub fn lookup(&self, number: &[u8]) -> Result<Option<GroupId>, NumberError> {
        let digits = Digits::parse(number)?;
        Ok(self.lookup_digits(&digits))
    }

    /// As [`PrefixTable::lookup`], on a number already parsed.
    pub fn lookup_digits(&self, digits: &Digits<'_>) -> Option<GroupId> {
        let digits = digits.as_ascii();
        let (mut slot, mut rest) = match digits.split_at_checked(self.direct_digits as usize) {
            Some((head, rest)) => (self.direct[direct_index(head)], rest),
            None => (self.root, digits),
        };
        // Each turn consumes a digit or returns, so this ends within NUMBER_DIGITS_MAX turns.
        loop {
            if slot & SLOT_LEAF != 0 {
                return target_decode(slot & !SLOT_LEAF);
            }
            if slot & SLOT_BUCKET != 0 {
                let bucket = &self.buckets[(slot & !SLOT_BUCKET) as usize];
                return target_decode(bucket.lookup(rest));
            }
            let Some((&digit, tail)) = rest.split_first() else {
                return target_decode(self.ends[slot as usize]);
            };
            slot = self.nodes[slot as usize][usize::from(digit_value(digit))];
            rest = tail;
        }
    }

    /// How many prefixes the table was built from.
    pub fn len(&self) -> usize {
        self.prefix_count
    }

    /// True when the table was built from no prefixes.
    pub fn is_empty(&self) -> bool {
        self.prefix_count == 0
    }

    /// Internal trie nodes (40 bytes each, plus 4 in `ends`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Buckets (32 bytes each).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// Digits resolved by the direct-indexed first level.
    pub fn direct_digits(&self) -> u32 {
        self.direct_digits
    }

    /// Bytes of heap the table holds.
    pub fn heap_size(&self) -> usize {
        size_of_val(&*self.nodes)
            + size_of_val(&*self.ends)
            + size_of_val(&*self.buckets)
            + size_of_val(&*self.direct)
    }
}

/// Most prefixes in one bucket: what fits in 32 bytes with the lengths and the default.
/// Sparse subtrees hold one or two prefixes on average; 64-byte buckets of six entries were
/// measured too and were larger (37 against 26 bytes a prefix on random tables) and slower.
pub const BUCKET_ENTRIES_MAX: usize = 3;

/// Most digits below a bucket's node: the entries' values are `u32`.
const BUCKET_DEPTH_MAX: usize = 9;

/// A subtree of at most [`BUCKET_ENTRIES_MAX`] prefixes in 32 bytes. Entries are sorted
/// by length, longest first, so the first entry matching is the longest match.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Bucket {
    /// Each entry's digits after the bucket's node, as a number.
    values: [u32; BUCKET_ENTRIES_MAX],
    /// Each entry's raw target.
    targets: [u32; BUCKET_ENTRIES_MAX],
    /// Each entry's digit count after the node: 1 to [`BUCKET_DEPTH_MAX`].
    lengths: [u8; BUCKET_ENTRIES_MAX],
    count: u8,
    /// The node's best target (raw), when no entry matches.
    default: u32,
}

impl Bucket {
    /// The raw target for the ASCII digits after the bucket's node.
    fn lookup(&self, rest: &[u8]) -> u32 {
        let depth = rest.len().min(BUCKET_DEPTH_MAX);
        let mut values = [0u32; BUCKET_DEPTH_MAX + 1];
        let mut value = 0u32;
        for (length, &digit) in rest[..depth].iter().enumerate() {
            value = value * 10 + u32::from(digit_value(digit));
            values[length + 1] = value;
        }
        let count = usize::from(self.count);
        let entries = self.lengths[..count].iter().zip(&self.values[..count]);
        for (index, (&length, &entry)) in entries.enumerate() {
            let length = usize::from(length);
            if length <= depth && values[length] == entry {
                return self.targets[index];
            }
        }
        self.default
    }
}

/// Collects (prefix, target) pairs, validating each as it comes, then compiles a
/// [`PrefixTable`]. Insert every entry (collecting errors if reporting them all), then `build`.
#[derive(Debug, Clone)]
pub struct PrefixTableBuilder {
    /// A plain trie: child node index per digit, 0 for none (node 0 is the root, never a
    /// child). A child's index is always larger than its parent's.
    children: Vec<[u32; 10]>,
    /// Each node's own target (raw), [`TARGET_NONE`] when no prefix ends there.
    targets: Vec<u32>,
    prefix_count: usize,
    prefix_count_max: usize,
    digits_max: usize,
}

impl Default for PrefixTableBuilder {
    fn default() -> Self {
        PrefixTableBuilder::new()
    }
}

impl PrefixTableBuilder {
    /// A builder for a table of at most [`PREFIXES_MAX`] prefixes.
    pub fn new() -> PrefixTableBuilder {
        PrefixTableBuilder::with_prefix_count_max(PREFIXES_MAX)
    }

    /// A builder for a table of at most `prefix_count_max` prefixes (itself at most
    /// [`PREFIXES_MAX`]).
    pub fn with_prefix_count_max(prefix_count_max: usize) -> PrefixTableBuilder {
        assert!(prefix_count_max <= PREFIXES_MAX);
        PrefixTableBuilder {
            children: vec![[0; 10]],
            targets: vec![TARGET_NONE],
            prefix_count: 0,
            prefix_count_max,
            digits_max: 0,
        }
    }

    /// Adds `prefix` (ASCII digits only, `""` for the default route) routing to `target`.
    /// On error the builder is unchanged.
    pub fn insert(&mut self, prefix: &str, target: GroupId) -> Result<(), PrefixError> {
        let digits = prefix.as_bytes();
        if let Some(index) = digits.iter().position(|byte| !byte.is_ascii_digit()) {
            return Err(PrefixError::NonDigit {
                prefix: prefix.to_owned(),
                index,
            });
        }
        if digits.len() > PREFIX_DIGITS_MAX {
            return Err(PrefixError::DigitsOver {
                prefix: prefix.to_owned(),
                max: PREFIX_DIGITS_MAX,
            });
        }
        if self.prefix_count >= self.prefix_count_max {
            return Err(PrefixError::PrefixesOver {
                max: self.prefix_count_max,
            });
        }
        let (mut node, depth) = self.walk(digits);
        if depth == digits.len() && self.targets[node] != TARGET_NONE {
            return Err(PrefixError::Duplicate {
                prefix: prefix.to_owned(),
            });
        }
        if self.children.len() + (digits.len() - depth) > PREFIX_TABLE_NODES_MAX {
            return Err(PrefixError::NodesOver {
                max: PREFIX_TABLE_NODES_MAX,
            });
        }
        for &byte in &digits[depth..] {
            // children.len() <= PREFIX_TABLE_NODES_MAX < 2^30 (checked above).
            let child = self.children.len() as u32;
            self.children[node][usize::from(byte - b'0')] = child;
            self.children.push([0; 10]);
            self.targets.push(TARGET_NONE);
            node = child as usize;
        }
        assert!(self.targets[node] == TARGET_NONE);
        self.targets[node] = target.raw();
        self.prefix_count += 1;
        self.digits_max = self.digits_max.max(digits.len());
        Ok(())
    }

    /// How many prefixes have been inserted.
    pub fn len(&self) -> usize {
        self.prefix_count
    }

    /// True when no prefix has been inserted.
    pub fn is_empty(&self) -> bool {
        self.prefix_count == 0
    }

    /// Compiles the table: leaf pushing, buckets, preorder compaction and the direct level.
    pub fn build(self) -> PrefixTable {
        let direct_digits = direct_digits_for(self.prefix_count, self.digits_max);
        let compacted = Compaction::run(&self, direct_digits as usize);
        let mut direct = vec![0u32; 10usize.pow(direct_digits)];
        fill_direct(
            &compacted.nodes,
            compacted.root,
            direct_digits,
            0,
            &mut direct,
        );
        let table = PrefixTable {
            nodes: compacted.nodes.into_boxed_slice(),
            ends: compacted.ends.into_boxed_slice(),
            buckets: compacted.buckets.into_boxed_slice(),
            direct: direct.into_boxed_slice(),
            direct_digits,
            root: compacted.root,
            prefix_count: self.prefix_count,
        };
        assert!(table.nodes.len() == table.ends.len());
        if table.nodes.is_empty() {
            assert!(table.root & (SLOT_LEAF | SLOT_BUCKET) != 0);
        }
        table
    }

    /// Follows `digits` as far as the trie goes: the last node reached and its depth.
    fn walk(&self, digits: &[u8]) -> (usize, usize) {
        let mut node = 0usize;
        for (depth, &byte) in digits.iter().enumerate() {
            let child = self.children[node][usize::from(byte - b'0')];
            if child == 0 {
                return (node, depth);
            }
            node = child as usize;
        }
        (node, digits.len())
    }
}

/// The compacted table under construction: the plain trie's internal nodes in preorder, with
/// leaves pushed into slots and small deep subtrees turned into buckets.
struct Compaction {
    nodes: Vec<[u32; 10]>,
    ends: Vec<u32>,
    buckets: Vec<Bucket>,
    root: u32,
}

/// A node of the plain trie waiting to be written as an internal node.
struct Pending {
    /// Its index in the plain trie.
    old: usize,
    /// Its depth in digits.
    depth: usize,
    /// Its best target (raw): its own, else its parent's best.
    best: u32,
    /// The written parent's index and the digit slot to patch with this node's index.
    parent: Option<(usize, usize)>,
}

impl Compaction {
    fn run(trie: &PrefixTableBuilder, direct_digits: usize) -> Compaction {
        let shapes = SubtreeShapes::of(trie);
        let internal_count = shapes.heights.iter().filter(|&&height| height > 0).count();
        let mut compaction = Compaction {
            nodes: Vec::with_capacity(internal_count),
            ends: Vec::with_capacity(internal_count),
            buckets: Vec::new(),
            root: 0,
        };
        let root_best = trie.targets[0];
        compaction.root = compaction.slot_for(trie, &shapes, 0, 0, root_best, direct_digits);
        if compaction.root & (SLOT_LEAF | SLOT_BUCKET) != 0 {
            return compaction;
        }
        // The stack holds at most 10 entries per depth, so 10 * PREFIX_DIGITS_MAX + 1.
        let mut stack = vec![Pending {
            old: 0,
            depth: 0,
            best: root_best,
            parent: None,
        }];
        while let Some(pending) = stack.pop() {
            let index = compaction.nodes.len();
            if let Some((parent_index, digit)) = pending.parent {
                // index < children.len() <= PREFIX_TABLE_NODES_MAX < 2^30.
                compaction.nodes[parent_index][digit] = index as u32;
            }
            let mut slots = [SLOT_LEAF | pending.best; 10];
            let mut internal = [None; 10];
            for (digit, &child) in trie.children[pending.old].iter().enumerate() {
                if child == 0 {
                    continue;
                }
                let (child, depth) = (child as usize, pending.depth + 1);
                let best = match trie.targets[child] {
                    TARGET_NONE => pending.best,
                    own => own,
                };
                slots[digit] =
                    compaction.slot_for(trie, &shapes, child, depth, best, direct_digits);
                if slots[digit] & (SLOT_LEAF | SLOT_BUCKET) == 0 {
                    internal[digit] = Some((child, best));
                }
            }
            compaction.nodes.push(slots);
            compaction.ends.push(pending.best);
            for (digit, waiting) in internal.iter().enumerate().rev() {
                if let Some((old, best)) = *waiting {
                    stack.push(Pending {
                        old,
                        depth: pending.depth + 1,
                        best,
                        parent: Some((index, digit)),
                    });
                }
            }
            debug_assert!(stack.len() <= 10 * PREFIX_DIGITS_MAX + 1);
        }
        assert!(compaction.nodes.len() <= internal_count);
        compaction
    }

    /// The slot for plain-trie node `old` at `depth` with best target `best`: a leaf when it
    /// has no children, a new bucket when its subtree is small and below the direct level, or
    /// 0 as a placeholder for an internal node the caller writes later.
    fn slot_for(
        &mut self,
        trie: &PrefixTableBuilder,
        shapes: &SubtreeShapes,
        old: usize,
        depth: usize,
        best: u32,
        direct_digits: usize,
    ) -> u32 {
        let height = usize::from(shapes.heights[old]);
        if height == 0 {
            return SLOT_LEAF | best;
        }
        let small = shapes.prefixes_below[old] as usize <= BUCKET_ENTRIES_MAX;
        // Height 1 is one node read already; a bucket would only cost more memory.
        if depth >= direct_digits && small && (2..=BUCKET_DEPTH_MAX).contains(&height) {
            // buckets.len() <= nodes in the plain trie < 2^30.
            let index = self.buckets.len() as u32;
            self.buckets.push(bucket_of(trie, old, best));
            return SLOT_BUCKET | index;
        }
        0
    }
}

/// Per plain-trie node: prefixes strictly below it and its height (0 for a leaf).
struct SubtreeShapes {
    prefixes_below: Vec<u32>,
    heights: Vec<u8>,
}

impl SubtreeShapes {
    fn of(trie: &PrefixTableBuilder) -> SubtreeShapes {
        let count = trie.children.len();
        let mut shapes = SubtreeShapes {
            prefixes_below: vec![0; count],
            heights: vec![0; count],
        };
        // Children have larger indices than parents, so a reverse pass sees children first.
        for node in (0..count).rev() {
            for &child in &trie.children[node] {
                if child == 0 {
                    continue;
                }
                let child = child as usize;
                assert!(child > node);
                let own = u32::from(trie.targets[child] != TARGET_NONE);
                shapes.prefixes_below[node] += shapes.prefixes_below[child] + own;
                shapes.heights[node] = shapes.heights[node].max(shapes.heights[child] + 1);
            }
        }
        shapes
    }
}

/// The bucket holding every prefix below plain-trie node `old`, whose best is `best`.
fn bucket_of(trie: &PrefixTableBuilder, old: usize, best: u32) -> Bucket {
    let mut entries: Vec<(u8, u32, u32)> = Vec::with_capacity(BUCKET_ENTRIES_MAX);
    // (node, digits below `old`, their value); depth is at most BUCKET_DEPTH_MAX.
    let mut stack = vec![(old, 0u8, 0u32)];
    while let Some((node, length, value)) = stack.pop() {
        for (digit, &child) in trie.children[node].iter().enumerate() {
            if child == 0 {
                continue;
            }
            let child = child as usize;
            let (length, value) = (length + 1, value * 10 + digit as u32);
            if trie.targets[child] != TARGET_NONE {
                entries.push((length, value, trie.targets[child]));
            }
            stack.push((child, length, value));
        }
    }
    assert!(entries.len() <= BUCKET_ENTRIES_MAX);
    entries.sort_unstable_by_key(|&(length, _, _)| std::cmp::Reverse(length));
    let mut bucket = Bucket {
        default: best,
        ..Bucket::default()
    };
    for (index, &(length, value, target)) in entries.iter().enumerate() {
        assert!((1..=BUCKET_DEPTH_MAX).contains(&usize::from(length)));
        bucket.lengths[index] = length;
        bucket.values[index] = value;
        bucket.targets[index] = target;
    }
    // entries.len() <= BUCKET_ENTRIES_MAX, far below 256.
    bucket.count = entries.len() as u8;
    bucket
}

/// Why a prefix was refused. An operator error: the config loader reports it with the key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PrefixError {
    /// The prefix holds a byte other than an ASCII digit.
    #[error("prefix {prefix:?}: character at index {index} is not a decimal digit")]
    NonDigit {
        /// The prefix as given.
        prefix: String,
        /// Index of the first offending byte.
        index: usize,
    },
    /// The prefix is longer than any number.
    #[error("prefix {prefix:?} is longer than {max} digits")]
    DigitsOver {
        /// The prefix as given.
        prefix: String,
        /// [`PREFIX_DIGITS_MAX`].
        max: usize,
    },
    /// The same prefix was given twice in one table.
    #[error("prefix {prefix:?} is given more than once")]
    Duplicate {
        /// The prefix.
        prefix: String,
    },
    /// The table already holds its maximum number of prefixes.
    #[error("more than {max} prefixes")]
    PrefixesOver {
        /// The bound that applied.
        max: usize,
    },
    /// The prefixes share too little to fit the trie's node bound.
    #[error("the prefixes need more than {max} trie nodes")]
    NodesOver {
        /// [`PREFIX_TABLE_NODES_MAX`].
        max: usize,
    },
}

/// Top bit of a slot: the slot is a leaf holding a raw target.
const SLOT_LEAF: u32 = 1 << 31;

/// Second bit of a slot (top bit clear): the slot is a bucket index.
const SLOT_BUCKET: u32 = 1 << 30;

/// The raw target of a leaf with no route.
const TARGET_NONE: u32 = SLOT_LEAF - 1;

// Node and bucket indices stay below the tag bits; a bucket is half a cache line, aligned so
// it never straddles two.
const _: () = assert!(PREFIX_TABLE_NODES_MAX < SLOT_BUCKET as usize);
const _: () = assert!(size_of::<Bucket>() == 32);
// Bucket values of up to BUCKET_DEPTH_MAX digits fit u32.
const _: () = assert!(10u64.pow(BUCKET_DEPTH_MAX as u32) <= u32::MAX as u64);

fn target_decode(raw: u32) -> Option<GroupId> {
    if raw == TARGET_NONE {
        None
    } else {
        // Raw targets come from GroupId::raw, so they are below GROUPS_MAX.
        Some(GroupId(raw))
    }
}

fn direct_index(head: &[u8]) -> usize {
    head.iter().fold(0usize, |index, &digit| {
        index * 10 + usize::from(digit_value(digit))
    })
}

/// Direct digits for a table: at most [`PREFIX_DIRECT_DIGITS_MAX`], at most the longest
/// prefix (deeper slots would all repeat one leaf), and at most log10 of the prefix count (so
/// the direct level costs at most 4 bytes per prefix).
fn direct_digits_for(prefix_count: usize, digits_max: usize) -> u32 {
    let by_count = prefix_count.checked_ilog10().unwrap_or(0);
    let by_length = u32::try_from(digits_max).unwrap_or(u32::MAX);
    PREFIX_DIRECT_DIGITS_MAX.min(by_count).min(by_length)
}

/// Fills `direct` (10^`digits_left` slots) with the slot each digit string reaches from `slot`.
/// Buckets sit at or below the direct level, so above it a slot is a node or a leaf.
fn fill_direct(nodes: &[[u32; 10]], slot: u32, digits_left: u32, base: usize, direct: &mut [u32]) {
    let span = 10usize.pow(digits_left);
    if slot & SLOT_LEAF != 0 || digits_left == 0 {
        direct[base * span..(base + 1) * span].fill(slot);
        return;
    }
    assert!(slot & SLOT_BUCKET == 0);
    for (digit, &child) in nodes[slot as usize].iter().enumerate() {
        fill_direct(nodes, child, digits_left - 1, base * 10 + digit, direct);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(index: u32) -> GroupId {
        GroupId::new(index).unwrap()
    }

    fn table_of(entries: &[(&str, u32)]) -> PrefixTable {
        let mut builder = PrefixTableBuilder::new();
        for &(prefix, target) in entries {
            builder.insert(prefix, group(target)).unwrap();
        }
        builder.build()
    }

    // Proves the longest matching prefix wins over shorter ones on the same path, and that a
    // number shorter than a prefix does not match it.
    #[test]
    fn longest_prefix_wins() {
        let table = table_of(&[("86", 1), ("861", 2), ("86138", 3), ("1", 4)]);
        assert_eq!(table.lookup(b"8613800138000"), Ok(Some(group(3))));
        assert_eq!(table.lookup(b"8613900138000"), Ok(Some(group(2))));
        assert_eq!(table.lookup(b"8620000000"), Ok(Some(group(1))));
        assert_eq!(table.lookup(b"8613"), Ok(Some(group(2))));
        assert_eq!(table.lookup(b"8"), Ok(None));
        assert_eq!(table.lookup(b"12"), Ok(Some(group(4))));
        assert_eq!(table.lookup(b"2"), Ok(None));
    }

    // Proves "" is a default route that every number matches, but any longer prefix beats it,
    // and a table of only the default answers it for every number.
    #[test]
    fn empty_prefix_is_the_default_route() {
        let table = table_of(&[("", 9), ("44", 1)]);
        assert_eq!(table.lookup(b"447700900000"), Ok(Some(group(1))));
        assert_eq!(table.lookup(b"4"), Ok(Some(group(9))));
        assert_eq!(table.lookup(b"33123"), Ok(Some(group(9))));
        let only_default = table_of(&[("", 5)]);
        assert_eq!(only_default.node_count(), 0);
        assert_eq!(only_default.lookup(b"1"), Ok(Some(group(5))));
        assert_eq!(PrefixTable::empty().lookup(b"1"), Ok(None));
    }

    // Proves a leading '+' is ignored by lookups and that invalid numbers are typed errors.
    #[test]
    fn plus_is_ignored_and_bad_numbers_are_errors() {
        let table = table_of(&[("44", 1)]);
        assert_eq!(table.lookup(b"+447700900000"), Ok(Some(group(1))));
        assert_eq!(table.lookup(b"+"), Err(NumberError::Empty));
        assert!(matches!(
            table.lookup(b"44x"),
            Err(NumberError::NonDigit { index: 2, .. })
        ));
    }

    // Proves the builder refuses non-digits (including '+'), over-long prefixes and duplicates
    // with errors naming the prefix, and stays usable after each refusal.
    #[test]
    fn builder_refuses_bad_prefixes_by_name() {
        let mut builder = PrefixTableBuilder::new();
        builder.insert("86", group(1)).unwrap();
        assert_eq!(
            builder.insert("8a", group(1)),
            Err(PrefixError::NonDigit {
                prefix: "8a".into(),
                index: 1
            })
        );
        assert!(matches!(
            builder.insert("+86", group(1)),
            Err(PrefixError::NonDigit { index: 0, .. })
        ));
        let long = "1".repeat(PREFIX_DIGITS_MAX + 1);
        assert_eq!(
            builder.insert(&long, group(1)),
            Err(PrefixError::DigitsOver {
                prefix: long.clone(),
                max: PREFIX_DIGITS_MAX
            })
        );
        builder.insert(&long[1..], group(2)).unwrap();
        assert_eq!(
            builder.insert("86", group(3)),
            Err(PrefixError::Duplicate {
                prefix: "86".into()
            })
        );
        assert_eq!(builder.len(), 2);
        let table = builder.build();
        assert_eq!(table.lookup(b"861"), Ok(Some(group(1))));
        assert_eq!(table.lookup(&long.as_bytes()[1..]), Ok(Some(group(2))));
    }

    // Proves the prefix-count bound is enforced at exactly the bound, without changing the
    // builder.
    #[test]
    fn builder_refuses_prefixes_over_the_bound() {
        let mut builder = PrefixTableBuilder::with_prefix_count_max(2);
        builder.insert("1", group(1)).unwrap();
        builder.insert("2", group(2)).unwrap();
        assert_eq!(
            builder.insert("3", group(3)),
            Err(PrefixError::PrefixesOver { max: 2 })
        );
        assert_eq!(builder.build().lookup(b"3"), Ok(None));
    }

    // Proves a small subtree below the direct level becomes one bucket answering as the trie
    // would: the longest entry that fits, the node's best when none does or the number ends
    // inside the subtree, never an entry longer than the number; and that a subtree over
    // BUCKET_ENTRIES_MAX prefixes stays a node.
    #[test]
    fn small_subtrees_become_buckets() {
        let table = table_of(&[("", 7), ("12", 1), ("1234", 2), ("125", 3)]);
        assert_eq!((table.direct_digits(), table.bucket_count()), (0, 1));
        assert_eq!(table.node_count(), 0);
        let cases: [(&[u8], u32); 9] = [
            (b"1", 7),
            (b"12", 1),
            (b"123", 1),
            (b"1234", 2),
            (b"12345", 2),
            (b"125", 3),
            (b"1259", 3),
            (b"13", 7),
            (b"9", 7),
        ];
        for (number, target) in cases {
            assert_eq!(table.lookup(number), Ok(Some(group(target))));
        }
        let crowded: Vec<(String, u32)> = (0..=BUCKET_ENTRIES_MAX as u32)
            .map(|digit| (format!("1{digit}"), digit))
            .collect();
        let entries: Vec<(&str, u32)> = crowded.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        let table = table_of(&entries);
        assert_eq!(table.bucket_count(), 0);
        let last = BUCKET_ENTRIES_MAX as u32;
        assert_eq!(
            table.lookup(format!("1{last}").as_bytes()),
            Ok(Some(group(last)))
        );
        assert_eq!(table.lookup(b"19"), Ok(None));
    }

    // Proves the direct level is sized by the prefix count and the longest prefix, and that
    // numbers shorter than the direct level (walked from the root) still match correctly.
    #[test]
    fn direct_level_and_short_numbers_agree() {
        let mut builder = PrefixTableBuilder::new();
        for value in 0..1_000u32 {
            builder
                .insert(&format!("{:03}5", value), group(value))
                .unwrap();
        }
        builder.insert("12", group(5_000)).unwrap();
        let table = builder.build();
        assert_eq!(table.direct_digits(), 3);
        assert_eq!(table.lookup(b"1235"), Ok(Some(group(123))));
        assert_eq!(table.lookup(b"1236"), Ok(Some(group(5_000))));
        assert_eq!(table.lookup(b"123"), Ok(Some(group(5_000))));
        assert_eq!(table.lookup(b"12"), Ok(Some(group(5_000))));
        assert_eq!(table.lookup(b"1"), Ok(None));
        assert_eq!(table.lookup(b"0005999"), Ok(Some(group(0))));
        assert!(table.heap_size() >= table.node_count() * 40);
    }
}
