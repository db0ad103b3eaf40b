//! Number-portability overrides: exact numbers that moved to another network, each with the
//! route group that now serves it. Checked before any prefix table.
//!
//! # Layout and cost
//!
//! A number of L digits (1 to [`PORTED_NUMBER_DIGITS_MAX`]) becomes the key
//! `(10^L - 1) / 9 + value`: distinct for every digit string (so `"0123"` and `"123"` differ)
//! and below 2^64 for L <= 19. Keys are sorted in one `Box<[u64]>`, targets in a parallel
//! `Box<[u32]>`: 12 bytes per number. A directory of 2^b `u32` bucket starts (2^b at most half
//! the count, so at most 2 bytes per number) splits the key range evenly; a lookup reads its
//! bucket's bounds and binary-searches the few keys inside, then reads one target. Clustered
//! keys only make some buckets larger, which costs a few more search steps there.

// HOT PATH: `lookup_digits` allocates nothing, takes no locks and logs nothing.

use thiserror::Error;

use super::number::{Digits, digit_value};
use super::{GroupId, PORTED_NUMBER_DIGITS_MAX, PORTED_NUMBERS_MAX};

/// Immutable exact-number overrides. Build with [`PortedNumbersBuilder`].
#[derive(Debug, Clone)]
pub struct PortedNumbers {
    keys: Box<[u64]>,
    targets: Box<[GroupId]>,
    /// `directory[b]` is the first index whose key is in bucket `b`; one extra entry at the end.
    directory: Box<[u32]>,
    key_base: u64,
    bucket_shift: u32,
}

impl PortedNumbers {
    /// No overrides.
    pub fn empty() -> PortedNumbers {
        PortedNumbersBuilder::new().build_unchecked_sorted(Vec::new())
    }

    /// The override for exactly this number, if any.
    pub fn lookup_digits(&self, digits: &Digits<'_>) -> Option<GroupId> {
        let key = key_of(digits.as_ascii())?;
        let bucket = key.checked_sub(self.key_base)? >> self.bucket_shift;
        let bucket = usize::try_from(bucket).ok()?;
        let start = *self.directory.get(bucket)? as usize;
        let end = *self.directory.get(bucket + 1)? as usize;
        let offset = self.keys[start..end].binary_search(&key).ok()?;
        Some(self.targets[start + offset])
    }

    /// How many numbers are overridden.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no overrides.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Bytes of heap held.
    pub fn heap_size(&self) -> usize {
        size_of_val(&*self.keys) + size_of_val(&*self.targets) + size_of_val(&*self.directory)
    }
}

/// Collects (number, target) pairs, then sorts them into [`PortedNumbers`].
#[derive(Debug, Clone, Default)]
pub struct PortedNumbersBuilder {
    entries: Vec<(u64, GroupId)>,
}

impl PortedNumbersBuilder {
    /// An empty builder.
    pub fn new() -> PortedNumbersBuilder {
        PortedNumbersBuilder::default()
    }

    /// Adds `number` (1 to [`PORTED_NUMBER_DIGITS_MAX`] ASCII digits, no `+`) routed to
    /// `target`. Duplicates are found by `build`.
    pub fn insert(&mut self, number: &str, target: GroupId) -> Result<(), PortedError> {
        let bytes = number.as_bytes();
        // Digits first: key_of takes only ASCII digits (and refuses empty or over-long ones).
        let key = if bytes.iter().all(u8::is_ascii_digit) {
            key_of(bytes)
        } else {
            None
        };
        let Some(key) = key else {
            return Err(PortedError::NumberInvalid {
                number: number.to_owned(),
            });
        };
        if self.entries.len() >= PORTED_NUMBERS_MAX {
            return Err(PortedError::NumbersOver {
                max: PORTED_NUMBERS_MAX,
            });
        }
        self.entries.push((key, target));
        Ok(())
    }

    /// How many numbers have been inserted.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing has been inserted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sorts the numbers and builds the directory; refuses duplicates, naming the first.
    pub fn build(self) -> Result<PortedNumbers, PortedError> {
        let mut entries = self.entries;
        entries.sort_unstable_by_key(|&(key, _)| key);
        let mut duplicates = entries.windows(2).filter(|pair| pair[0].0 == pair[1].0);
        if let Some(first) = duplicates.next() {
            return Err(PortedError::Duplicate {
                number: number_of(first[0].0),
                duplicate_count: 1 + duplicates.count(),
            });
        }
        Ok(PortedNumbersBuilder::new().build_unchecked_sorted(entries))
    }

    fn build_unchecked_sorted(self, entries: Vec<(u64, GroupId)>) -> PortedNumbers {
        debug_assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        let keys: Box<[u64]> = entries.iter().map(|&(key, _)| key).collect();
        let targets: Box<[GroupId]> = entries.iter().map(|&(_, target)| target).collect();
        drop(entries);
        let (key_base, key_last) = match (keys.first(), keys.last()) {
            (Some(&first), Some(&last)) => (first, last),
            _ => (0, 0),
        };
        // At most one bucket per two keys, at least one bucket.
        let bucket_bits = (keys.len() / 2).checked_ilog2().unwrap_or(0);
        let span = key_last - key_base;
        let span_bits = u64::BITS - span.leading_zeros();
        let bucket_shift = span_bits.saturating_sub(bucket_bits);
        let bucket_count = ((span >> bucket_shift) + 1) as usize;
        assert!(bucket_count <= 1 << bucket_bits);
        let mut directory = Vec::with_capacity(bucket_count + 1);
        let mut index = 0usize;
        for bucket in 0..bucket_count {
            while index < keys.len() && ((keys[index] - key_base) >> bucket_shift) < bucket as u64 {
                index += 1;
            }
            // index <= keys.len() <= PORTED_NUMBERS_MAX <= u32::MAX.
            directory.push(index as u32);
        }
        directory.push(keys.len() as u32);
        PortedNumbers {
            keys,
            targets,
            directory: directory.into_boxed_slice(),
            key_base,
            bucket_shift,
        }
    }
}

/// Why a portability override was refused. An operator error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortedError {
    /// Not 1 to [`PORTED_NUMBER_DIGITS_MAX`] ASCII digits.
    #[error("ported number {number:?} is not 1 to 19 decimal digits")]
    NumberInvalid {
        /// The number as given.
        number: String,
    },
    /// The same number was given more than once.
    #[error("ported number {number:?} is given more than once ({duplicate_count} duplicates)")]
    Duplicate {
        /// The smallest duplicated number (by length, then value).
        number: String,
        /// How many entries repeat an earlier one.
        duplicate_count: usize,
    },
    /// More than [`PORTED_NUMBERS_MAX`] numbers.
    #[error("more than {max} ported numbers")]
    NumbersOver {
        /// [`PORTED_NUMBERS_MAX`].
        max: usize,
    },
}

/// `KEY_OFFSETS[L]` = (10^L - 1) / 9: how many digit strings are shorter than L digits.
const KEY_OFFSETS: [u64; PORTED_NUMBER_DIGITS_MAX + 2] = key_offsets();

const fn key_offsets() -> [u64; PORTED_NUMBER_DIGITS_MAX + 2] {
    let mut offsets = [0u64; PORTED_NUMBER_DIGITS_MAX + 2];
    let mut length = 1;
    while length < offsets.len() {
        offsets[length] = offsets[length - 1] * 10 + 1;
        length += 1;
    }
    offsets
}

/// The key of ASCII digits `ascii`, or `None` when there are none or too many.
fn key_of(ascii: &[u8]) -> Option<u64> {
    if ascii.is_empty() || ascii.len() > PORTED_NUMBER_DIGITS_MAX {
        return None;
    }
    let value = ascii.iter().fold(0u64, |value, &digit| {
        value * 10 + u64::from(digit_value(digit))
    });
    Some(KEY_OFFSETS[ascii.len()] + value)
}

/// The digit string of a key (inverse of [`key_of`]), for error messages.
fn number_of(key: u64) -> String {
    let length = (1..=PORTED_NUMBER_DIGITS_MAX)
        .rev()
        .find(|&length| KEY_OFFSETS[length] <= key)
        .unwrap_or(1);
    format!("{:0length$}", key - KEY_OFFSETS[length])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(index: u32) -> GroupId {
        GroupId::new(index).unwrap()
    }

    fn lookup(ported: &PortedNumbers, number: &str) -> Option<GroupId> {
        ported.lookup_digits(&Digits::parse(number.as_bytes()).unwrap())
    }

    // Proves keys are distinct per digit string (leading zeros and lengths matter), fit the
    // longest number, and map back to the same string.
    #[test]
    fn keys_are_distinct_and_invertible() {
        let numbers = ["0", "9", "00", "0123", "123", "9999999999999999999"];
        let mut keys: Vec<u64> = numbers
            .iter()
            .map(|number| key_of(number.as_bytes()).unwrap())
            .collect();
        for (number, &key) in numbers.iter().zip(&keys) {
            assert_eq!(&number_of(key), number);
        }
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), numbers.len());
        assert_eq!(key_of(&[b'1'; PORTED_NUMBER_DIGITS_MAX + 1]), None);
    }

    // Proves exact matching: a ported number matches only itself, not its prefixes or
    // extensions, and numbers too long for a key never match.
    #[test]
    fn only_the_exact_number_matches() {
        let mut builder = PortedNumbersBuilder::new();
        builder.insert("447700900123", group(1)).unwrap();
        builder.insert("0447700900123", group(2)).unwrap();
        builder.insert("5", group(3)).unwrap();
        let ported = builder.build().unwrap();
        assert_eq!(lookup(&ported, "447700900123"), Some(group(1)));
        assert_eq!(lookup(&ported, "+447700900123"), Some(group(1)));
        assert_eq!(lookup(&ported, "0447700900123"), Some(group(2)));
        assert_eq!(lookup(&ported, "44770090012"), None);
        assert_eq!(lookup(&ported, "4477009001234"), None);
        assert_eq!(lookup(&ported, "5"), Some(group(3)));
        assert_eq!(lookup(&ported, "55555555555555555555"), None);
        assert_eq!(lookup(&PortedNumbers::empty(), "5"), None);
    }

    // Proves invalid numbers and duplicates are refused by name, with the duplicate count.
    #[test]
    fn invalid_and_duplicate_numbers_are_refused() {
        let mut builder = PortedNumbersBuilder::new();
        for bad in ["", "+44", "44 77", "12345678901234567890"] {
            assert_eq!(
                builder.insert(bad, group(1)),
                Err(PortedError::NumberInvalid { number: bad.into() })
            );
        }
        builder.insert("0123", group(1)).unwrap();
        builder.insert("123", group(1)).unwrap();
        builder.insert("0123", group(2)).unwrap();
        builder.insert("0123", group(3)).unwrap();
        assert_eq!(
            builder.build().unwrap_err(),
            PortedError::Duplicate {
                number: "0123".into(),
                duplicate_count: 2
            }
        );
    }

    // Proves the directory finds every inserted number and rejects its neighbours when many
    // keys of mixed lengths share the range (uneven buckets included).
    #[test]
    fn directory_finds_every_number() {
        let mut builder = PortedNumbersBuilder::new();
        let mut numbers = Vec::new();
        for index in 0..5_000u64 {
            let number = format!("86138{:08}", index * 7_919 % 100_000_000);
            numbers.push(number);
            numbers.push(format!("{}", index * 3 + 1));
        }
        for (index, number) in numbers.iter().enumerate() {
            builder.insert(number, group(index as u32)).unwrap();
        }
        let ported = builder.build().unwrap();
        assert_eq!(ported.len(), numbers.len());
        for (index, number) in numbers.iter().enumerate() {
            assert_eq!(
                lookup(&ported, number),
                Some(group(index as u32)),
                "{number}"
            );
        }
        assert_eq!(lookup(&ported, "2"), None);
        assert_eq!(lookup(&ported, "8613800000001"), None);
        assert!(ported.heap_size() <= ported.len() * 14 + 8);
    }
}
