//! Octet-string fields (CMPP V3.0 §8.1 "Octet String") as borrowed views that can be made owned.
//!
//! A fixed-length field is padded on the right with NUL octets (§8.1: "右补0则补二进制的零").
//! The decoder strips trailing NULs, and the encoder pads them back, so a field decodes to the
//! same value whatever its width, and decoding then encoding reproduces the input byte for byte.
//! A value that itself ends in NUL is indistinguishable from padding on the wire.
//!
//! [`Octets`] and [`TerminalIds`] borrow from the frame after a decode (no allocation) and own
//! their bytes after `into_owned()`.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

/// One octet-string field: a view into a frame, or owned bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Octets<'a>(Cow<'a, [u8]>);

impl<'a> Octets<'a> {
    /// The empty field.
    pub const EMPTY: Octets<'static> = Octets(Cow::Borrowed(&[]));

    /// Wraps a view without copying.
    pub const fn borrowed(bytes: &'a [u8]) -> Octets<'a> {
        Octets(Cow::Borrowed(bytes))
    }

    /// The field's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Copies a borrowed view so the field outlives the frame it came from.
    pub fn into_owned(self) -> Octets<'static> {
        Octets(Cow::Owned(self.0.into_owned()))
    }

    /// Whether the field is still a view (true for everything the decoder returns).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

impl Default for Octets<'_> {
    fn default() -> Self {
        Octets(Cow::Borrowed(&[]))
    }
}

impl Deref for Octets<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Octets<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl<'a> From<&'a [u8]> for Octets<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Octets::borrowed(bytes)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Octets<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Octets::borrowed(bytes)
    }
}

impl<'a> From<&'a str> for Octets<'a> {
    fn from(text: &'a str) -> Self {
        Octets::borrowed(text.as_bytes())
    }
}

impl From<Vec<u8>> for Octets<'static> {
    fn from(bytes: Vec<u8>) -> Self {
        Octets(Cow::Owned(bytes))
    }
}

impl fmt::Debug for Octets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// A list of terminal numbers (Dest_terminal_Id × DestUsr_tl): a view of the packed
/// fixed-width entries in a frame, or a list the caller built.
///
/// Entries are compared and iterated without their trailing NUL padding, so a decoded list
/// equals the list it was encoded from.
#[derive(Clone)]
pub struct TerminalIds<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    /// `raw` holds `raw.len() / size` entries of `size` octets each (checked at construction).
    Packed {
        raw: &'a [u8],
        size: usize,
    },
    /// A caller's slice. (Not a `Cow`: `Cow<[Octets<'a>]>` would make the type invariant in
    /// `'a`, so a `Pdu<'static>` could not be compared with a decoded `Pdu<'a>`.)
    Slice(&'a [Octets<'a>]),
    Owned(Vec<Octets<'a>>),
}

impl<'a> TerminalIds<'a> {
    /// A view of `count` packed entries of `size` octets; the decoder's constructor.
    pub(crate) fn packed(raw: &'a [u8], size: usize) -> TerminalIds<'a> {
        assert!(size > 0);
        assert!(
            raw.len().is_multiple_of(size),
            "raw={} size={size}",
            raw.len()
        );
        TerminalIds(Repr::Packed { raw, size })
    }

    /// A list over the caller's entries, without copying.
    pub fn from_slice(ids: &'a [Octets<'a>]) -> TerminalIds<'a> {
        TerminalIds(Repr::Slice(ids))
    }

    /// Number of entries (DestUsr_tl).
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed { raw, size } => raw.len() / size,
            Repr::Slice(ids) => ids.len(),
            Repr::Owned(ids) => ids.len(),
        }
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry at `index`, without NUL padding.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.iter().nth(index)
    }

    /// The entries in order, without NUL padding.
    pub fn iter(&self) -> TerminalIdsIter<'_> {
        match &self.0 {
            Repr::Packed { raw, size } => TerminalIdsIter::Packed(raw.chunks_exact(*size)),
            Repr::Slice(ids) => TerminalIdsIter::List(ids.iter()),
            Repr::Owned(ids) => TerminalIdsIter::List(ids.iter()),
        }
    }

    /// Copies the entries so the list outlives the frame it came from.
    pub fn into_owned(self) -> TerminalIds<'static> {
        let ids: Vec<Octets<'static>> = self.iter().map(|id| Octets::from(id.to_vec())).collect();
        TerminalIds(Repr::Owned(ids))
    }

    /// Whether the list is a view into a frame or a caller's slice (no owned bytes).
    pub fn is_borrowed(&self) -> bool {
        match &self.0 {
            Repr::Packed { .. } => true,
            Repr::Slice(ids) => ids.iter().all(Octets::is_borrowed),
            Repr::Owned(_) => false,
        }
    }
}

impl Default for TerminalIds<'_> {
    fn default() -> Self {
        TerminalIds(Repr::Slice(&[]))
    }
}

impl<'a> From<Vec<Octets<'a>>> for TerminalIds<'a> {
    fn from(ids: Vec<Octets<'a>>) -> Self {
        TerminalIds(Repr::Owned(ids))
    }
}

impl PartialEq for TerminalIds<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for TerminalIds<'_> {}

impl fmt::Debug for TerminalIds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(Octets::borrowed))
            .finish()
    }
}

/// Iterator over [`TerminalIds`] entries, without NUL padding.
#[derive(Debug, Clone)]
pub enum TerminalIdsIter<'s> {
    /// Over packed entries in a frame.
    Packed(std::slice::ChunksExact<'s, u8>),
    /// Over a caller's list.
    List(std::slice::Iter<'s, Octets<'s>>),
}

impl<'s> Iterator for TerminalIdsIter<'s> {
    type Item = &'s [u8];

    fn next(&mut self) -> Option<&'s [u8]> {
        match self {
            TerminalIdsIter::Packed(chunks) => chunks.next().map(trim_nul_padding),
            TerminalIdsIter::List(ids) => ids.next().map(|id| trim_nul_padding(id.as_bytes())),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            TerminalIdsIter::Packed(chunks) => chunks.size_hint(),
            TerminalIdsIter::List(ids) => ids.size_hint(),
        }
    }
}

impl ExactSizeIterator for TerminalIdsIter<'_> {}

/// A fixed-length field without its trailing NUL padding (lossless: the encoder pads back).
pub fn trim_nul_padding(field: &[u8]) -> &[u8] {
    let end = field
        .iter()
        .rposition(|&octet| octet != 0)
        .map_or(0, |last| last + 1);
    &field[..end]
}

/// The bytes before the first NUL, for peers that end a string with NUL and leave garbage
/// after it (C-string semantics). Lossy: use it to read a value, never to re-encode one.
pub fn until_nul(field: &[u8]) -> &[u8] {
    let end = field
        .iter()
        .position(|&octet| octet == 0)
        .unwrap_or(field.len());
    &field[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves trailing NUL padding is stripped while inner NULs and trailing spaces are kept, and
    // that `until_nul` cuts at the first NUL.
    #[test]
    fn trim_strips_only_trailing_nul() {
        assert_eq!(trim_nul_padding(b"1069\0\0\0"), b"1069");
        assert_eq!(trim_nul_padding(b"a\0b\0\0"), b"a\0b");
        assert_eq!(trim_nul_padding(b"ab  "), b"ab  ");
        assert_eq!(trim_nul_padding(b"\0\0\0"), b"");
        assert_eq!(trim_nul_padding(b""), b"");
        assert_eq!(until_nul(b"a\0b\0\0"), b"a");
        assert_eq!(until_nul(b"abc"), b"abc");
    }

    // Proves a packed view and a caller's list with the same numbers are equal, iterate the
    // same trimmed entries, and that `into_owned` keeps the value but drops the borrow.
    #[test]
    fn packed_and_list_terminal_ids_compare_by_entries() {
        let raw = b"13800000000\0\0\0\x0013900000000\0\0\0\0";
        let packed = TerminalIds::packed(raw, 15);
        let entries = [Octets::from("13800000000"), Octets::from("13900000000\0")];
        let list = TerminalIds::from_slice(&entries);
        assert_eq!(packed, list);
        assert_eq!(packed.len(), 2);
        assert_eq!(packed.get(1), Some(&b"13900000000"[..]));
        assert_eq!(packed.get(2), None);
        assert!(packed.is_borrowed());
        let owned = packed.clone().into_owned();
        assert!(!owned.is_borrowed());
        assert_eq!(owned, packed);
        assert_ne!(TerminalIds::from_slice(&entries[..1]), packed);
    }

    // Proves Debug shows octet strings as escaped ASCII, which is what logs need.
    #[test]
    fn octets_debug_is_escaped_ascii() {
        assert_eq!(
            format!("{:?}", Octets::from(b"DELIVRD\x00\xff")),
            "b\"DELIVRD\\x00\\xff\""
        );
    }
}
