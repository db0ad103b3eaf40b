//! Message ids generated on every core of every node without coordination (DESIGN §3 "Message
//! ids"), sans-IO: the caller passes the wall clock in.
//!
//! # [`MessageId`]: our id, 64 bits
//!
//! | bits | field | range |
//! | --- | --- | --- |
//! | 63..23 (41) | milliseconds since [`EPOCH_UNIX_MS`] (2024-01-01T00:00:00Z) | until 2093-09-06 |
//! | 22..15 (8) | `node.id` | 0..=255 |
//! | 14..7 (8) | core index (the worker's position, not its CPU id) | 0..=255 ([`CORES_MAX`]) |
//! | 6..0 (7) | sequence within the millisecond | 0..=127 |
//!
//! Uniqueness: node and core occupy their own bits, so two generators with different
//! `(node, core)` never collide; one generator never repeats, because its `(millisecond,
//! sequence)` only moves forward:
//! - a clock that goes backwards (or stalls) is ignored: the generator keeps its last
//!   millisecond and continues its sequence;
//! - past 128 ids in one millisecond it borrows the next millisecond, running ahead of the
//!   clock until the clock catches up (sustained, that is 128,000 ids per second per core);
//! - the time field holds the generator's millisecond modulo 2^41: ids stay unique over any
//!   69.7-year span and increase monotonically until 2093-09-06, when the field wraps.
//!
//! Across restarts, uniqueness rests on the wall clock being past the last id issued before
//! the restart; recovery can guarantee it with [`MessageIdGenerator::resume_after`] and the
//! highest id the core's journal holds.
//!
//! Text forms (`account.message_id_format`): `hex` is 16 upper-case hex digits, fixed width;
//! `decimal` is 1 to 20 digits without leading zeros. Parsing (for query_sm, cancel_sm and
//! replace_sm) accepts upper or lower case hex and leading zeros in both. Decimal ids pass
//! `i64::MAX` from 2058-11-03 (bit 63 set): SPs storing them as signed 64-bit integers must move
//! to a string or unsigned column by then, or use `hex`.
//!
//! # CMPP Msg_Id: 64 bits in the spec's layout
//!
//! For CMPP SPs, [`CmppMsgIdGenerator`] fills [`MsgId`] (CMPP V3.0 §8.4.3.2): month, day,
//! hour, minute and second from the wall-clock breakdown the caller passes (local time, as
//! CMPP peers expect), the 22-bit ISMG code from `node << 8 | core` (bits 21..16 stay 0), and
//! the 16-bit sequence. Per node and core that is 65,536 ids per second; past that the
//! generator borrows the next second (carrying into minute, hour, day, month and year), and a
//! clock that goes backwards is ignored as above. The Msg_Id has no year, so an id repeats at
//! the earliest one year after it was issued.

// HOT PATH: `next`, `render` and `parse` allocate nothing, take no locks and log nothing.

use std::fmt;

use smsgw_shared::cmpp::MsgId;
use smsgw_shared::smpp::CommandStatus;
use thiserror::Error;

/// One of our message ids (layout in the module doc).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(u64);

/// How an account sees message ids: `account.message_id_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageIdFormat {
    /// 16 upper-case hexadecimal digits.
    Hex,
    /// 1 to 20 decimal digits.
    Decimal,
}

/// A message id that cannot be ours: answer query_sm / cancel_sm with `ESME_RINVMSGID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ParseError {
    /// No characters.
    #[error("message_id is empty")]
    Empty,
    /// More characters than the format ever renders.
    #[error("message_id has {size} characters, over {max}")]
    TooLong {
        /// Characters given.
        size: usize,
        /// Most the format renders.
        max: usize,
    },
    /// A character that is not a digit of the format.
    #[error("message_id character {index} is 0x{octet:02X}, not a digit")]
    InvalidDigit {
        /// Its position, from 0.
        index: usize,
        /// The octet.
        octet: u8,
    },
    /// Decimal digits whose value is over 2^64 - 1.
    #[error("message_id is over the largest 64-bit value")]
    Overflow,
}

impl From<&ParseError> for CommandStatus {
    fn from(error: &ParseError) -> CommandStatus {
        match error {
            ParseError::Empty
            | ParseError::TooLong { .. }
            | ParseError::InvalidDigit { .. }
            | ParseError::Overflow => CommandStatus::ESME_RINVMSGID,
        }
    }
}

impl MessageId {
    /// The id with this 64-bit value.
    pub const fn from_u64(value: u64) -> MessageId {
        MessageId(value)
    }

    /// The 64-bit value (what the journal and correlation tables store).
    pub const fn to_u64(self) -> u64 {
        self.0
    }

    /// The time field as Unix milliseconds (before the field wraps in 2093).
    pub fn unix_ms(self) -> u64 {
        EPOCH_UNIX_MS + (self.0 >> TIME_SHIFT)
    }

    /// The node that issued the id.
    pub fn node_id(self) -> u8 {
        // Masked to 8 bits.
        ((self.0 >> NODE_SHIFT) & 0xFF) as u8
    }

    /// The core index that issued the id.
    pub fn core_id(self) -> u8 {
        // Masked to 8 bits.
        ((self.0 >> CORE_SHIFT) & 0xFF) as u8
    }

    /// The sequence within its millisecond.
    pub fn sequence(self) -> u8 {
        // Masked to 7 bits.
        (self.0 & SEQUENCE_MAX) as u8
    }

    /// The id as text in `format`.
    pub fn render(self, format: MessageIdFormat) -> MessageIdText {
        let mut text = MessageIdText {
            octets: [0; DECIMAL_SIZE_MAX],
            size: 0,
        };
        match format {
            MessageIdFormat::Hex => {
                for (index, octet) in text.octets[..HEX_SIZE].iter_mut().enumerate() {
                    let nibble = (self.0 >> ((HEX_SIZE - 1 - index) * 4)) & 0xF;
                    *octet = HEX_DIGITS[nibble as usize];
                }
                text.size = HEX_SIZE as u8;
            }
            MessageIdFormat::Decimal => {
                let mut digits = [0u8; DECIMAL_SIZE_MAX];
                let mut rest = self.0;
                let mut count = 0;
                loop {
                    // rest % 10 < 10.
                    digits[count] = b'0' + (rest % 10) as u8;
                    count += 1;
                    rest /= 10;
                    if rest == 0 {
                        break;
                    }
                }
                assert!(count <= DECIMAL_SIZE_MAX);
                for index in 0..count {
                    text.octets[index] = digits[count - 1 - index];
                }
                // count ≤ 20.
                text.size = count as u8;
            }
        }
        text
    }

    /// Parses `text` (a peer's message_id: query_sm, cancel_sm, replace_sm) in `format`. Hex is
    /// case-insensitive; leading zeros are accepted in both formats. Never panics.
    pub fn parse(text: &[u8], format: MessageIdFormat) -> Result<MessageId, ParseError> {
        if text.is_empty() {
            return Err(ParseError::Empty);
        }
        let max = match format {
            MessageIdFormat::Hex => HEX_SIZE,
            MessageIdFormat::Decimal => DECIMAL_SIZE_MAX,
        };
        if text.len() > max {
            return Err(ParseError::TooLong {
                size: text.len(),
                max,
            });
        }
        let radix = match format {
            MessageIdFormat::Hex => 16,
            MessageIdFormat::Decimal => 10,
        };
        let mut value: u64 = 0;
        for (index, &octet) in text.iter().enumerate() {
            let digit = char::from(octet)
                .to_digit(radix)
                .ok_or(ParseError::InvalidDigit { index, octet })?;
            value = value
                .checked_mul(u64::from(radix))
                .and_then(|value| value.checked_add(u64::from(digit)))
                .ok_or(ParseError::Overflow)?;
        }
        Ok(MessageId(value))
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MessageId({:016X}: ms {}, node {}, core {}, seq {})",
            self.0,
            self.0 >> TIME_SHIFT,
            self.node_id(),
            self.core_id(),
            self.sequence()
        )
    }
}

/// A rendered message id: at most 20 ASCII characters, held inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MessageIdText {
    octets: [u8; DECIMAL_SIZE_MAX],
    size: u8,
}

impl MessageIdText {
    /// The characters, as the octets of an SMPP C-Octet String (without its NUL).
    pub fn as_bytes(&self) -> &[u8] {
        &self.octets[..usize::from(self.size)]
    }

    /// The characters as a string.
    pub fn as_str(&self) -> &str {
        // render writes only ASCII digits and upper-case letters, which are valid UTF-8.
        std::str::from_utf8(self.as_bytes()).expect("message id text is ASCII")
    }
}

impl fmt::Display for MessageIdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MessageIdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageIdText({:?})", self.as_str())
    }
}

/// Issues the [`MessageId`]s of one core.
///
/// Call contract: one generator per core, created at start (or resumed from the journal);
/// [`MessageIdGenerator::next`] with the wall clock in Unix milliseconds for each message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageIdGenerator {
    node_id: u8,
    core_id: u8,
    /// Milliseconds since the epoch of the last id (not truncated to the 41-bit field).
    last_ms: u64,
    /// The next sequence in `last_ms`; `SEQUENCE_MAX + 1` when the millisecond is used up.
    next_sequence: u64,
}

impl MessageIdGenerator {
    /// A generator for `node_id` and core index `core_id` that has issued nothing.
    pub fn new(node_id: u8, core_id: u8) -> MessageIdGenerator {
        MessageIdGenerator {
            node_id,
            core_id,
            last_ms: 0,
            next_sequence: 0,
        }
    }

    /// A generator that only issues ids after `last` (the highest id the core's journal
    /// holds), whatever the clock says after a restart.
    pub fn resume_after(node_id: u8, core_id: u8, last: MessageId) -> MessageIdGenerator {
        MessageIdGenerator {
            node_id,
            core_id,
            last_ms: last.0 >> TIME_SHIFT,
            next_sequence: u64::from(last.sequence()) + 1,
        }
    }

    /// The next id at wall-clock `now_unix_ms` (module doc for a clock that goes backwards or
    /// more than 128 ids in one millisecond).
    pub fn next(&mut self, now_unix_ms: u64) -> MessageId {
        let now_ms = now_unix_ms.saturating_sub(EPOCH_UNIX_MS);
        if now_ms > self.last_ms {
            self.last_ms = now_ms;
            self.next_sequence = 0;
        } else if self.next_sequence > SEQUENCE_MAX {
            // Borrow the next millisecond. Overflow needs 2^64 ms of borrowing: unreachable,
            // and wrapping keeps it panic-free regardless.
            self.last_ms = self.last_ms.wrapping_add(1);
            self.next_sequence = 0;
        }
        assert!(self.next_sequence <= SEQUENCE_MAX);
        let id = MessageId(
            (self.last_ms & TIME_MAX) << TIME_SHIFT
                | u64::from(self.node_id) << NODE_SHIFT
                | u64::from(self.core_id) << CORE_SHIFT
                | self.next_sequence,
        );
        self.next_sequence += 1;
        assert!(id.node_id() == self.node_id);
        assert!(id.core_id() == self.core_id);
        id
    }
}

/// A wall-clock reading broken down, in the time zone CMPP peers expect (usually local time).
/// Field order makes the derived ordering chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallClock {
    /// Year, e.g. 2025 (not in the Msg_Id; used to order readings across New Year).
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=days in the month.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59 (60, a leap second, reads as 59).
    pub second: u8,
}

impl WallClock {
    /// True when every field is in range for a real date (second 60 allowed).
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 60
    }

    /// The following second, carrying into minute, hour, day, month and year.
    fn next_second(self) -> WallClock {
        let mut next = self;
        next.second += 1;
        if next.second <= 59 {
            return next;
        }
        next.second = 0;
        next.minute += 1;
        if next.minute <= 59 {
            return next;
        }
        next.minute = 0;
        next.hour += 1;
        if next.hour <= 23 {
            return next;
        }
        next.hour = 0;
        next.day += 1;
        if next.day <= days_in_month(next.year, next.month) {
            return next;
        }
        next.day = 1;
        next.month += 1;
        if next.month <= 12 {
            return next;
        }
        next.month = 1;
        // Year 65535 wraps to 0: 63,000 years of borrowing, and still a valid stamp.
        next.year = next.year.wrapping_add(1);
        next
    }
}

/// Issues the CMPP Msg_Ids of one core (layout and uniqueness in the module doc).
///
/// Call contract: one generator per core; [`CmppMsgIdGenerator::next`] with the wall clock
/// broken down for each message to a CMPP SP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmppMsgIdGenerator {
    ismg_id: u32,
    last: WallClock,
    /// The next sequence in `last`; 65,536 when the second is used up.
    next_sequence: u32,
}

impl CmppMsgIdGenerator {
    /// A generator for `node_id` and core index `core_id` that has issued nothing.
    pub fn new(node_id: u8, core_id: u8) -> CmppMsgIdGenerator {
        CmppMsgIdGenerator {
            ismg_id: CmppMsgIdGenerator::ismg_id(node_id, core_id),
            last: WALL_CLOCK_FLOOR,
            next_sequence: 0,
        }
    }

    /// A generator that only issues Msg_Ids after `last`, issued in `year` (from the core's
    /// journal after a restart). A `last` whose fields are out of range is ignored.
    pub fn resume_after(node_id: u8, core_id: u8, last: MsgId, year: u16) -> CmppMsgIdGenerator {
        let mut generator = CmppMsgIdGenerator::new(node_id, core_id);
        let stamp = WallClock {
            year,
            month: last.month,
            day: last.day,
            hour: last.hour,
            minute: last.minute,
            second: last.second,
        };
        if stamp.is_valid() && stamp.second <= 59 {
            generator.last = stamp;
            generator.next_sequence = u32::from(last.sequence) + 1;
        }
        generator
    }

    /// The 22-bit ISMG code this node and core put in their Msg_Ids: `node << 8 | core`.
    pub fn ismg_id(node_id: u8, core_id: u8) -> u32 {
        u32::from(node_id) << 8 | u32::from(core_id)
    }

    /// The next Msg_Id at wall-clock `now`. An invalid reading is treated like a clock that
    /// stood still; the result always packs ([`MsgId::pack`] succeeds).
    pub fn next(&mut self, now: WallClock) -> MsgId {
        let now = if now.is_valid() {
            WallClock {
                second: now.second.min(59),
                ..now
            }
        } else {
            self.last
        };
        if now > self.last {
            self.last = now;
            self.next_sequence = 0;
        } else if self.next_sequence > u32::from(u16::MAX) {
            self.last = self.last.next_second();
            self.next_sequence = 0;
        }
        // next_sequence ≤ u16::MAX after the branch above.
        let sequence = self.next_sequence as u16;
        self.next_sequence += 1;
        let msg_id = MsgId {
            month: self.last.month,
            day: self.last.day,
            hour: self.last.hour,
            minute: self.last.minute,
            second: self.last.second,
            ismg_id: self.ismg_id,
            sequence,
        };
        debug_assert!(msg_id.pack().is_ok());
        msg_id
    }
}

/// Days in `month` of `year` (Gregorian).
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        // Callers check the month first; 0 makes every day invalid for any other value.
        _ => 0,
    }
}

/// 2024-01-01T00:00:00Z in Unix milliseconds: the zero of [`MessageId`]'s time field.
pub const EPOCH_UNIX_MS: u64 = 1_704_067_200_000;

/// Most cores the id layout tells apart (the core field is 8 bits); equal to the config's
/// `node.cores` ceiling.
pub const CORES_MAX: usize = 256;

/// Characters of a hex id (fixed width).
pub const HEX_SIZE: usize = 16;

/// Most characters of a decimal id (2^64 - 1 has 20 digits).
pub const DECIMAL_SIZE_MAX: usize = 20;

const SEQUENCE_BITS: u32 = 7;
const CORE_BITS: u32 = 8;
const NODE_BITS: u32 = 8;
const TIME_BITS: u32 = 41;
const CORE_SHIFT: u32 = SEQUENCE_BITS;
const NODE_SHIFT: u32 = CORE_SHIFT + CORE_BITS;
const TIME_SHIFT: u32 = NODE_SHIFT + NODE_BITS;
const SEQUENCE_MAX: u64 = (1 << SEQUENCE_BITS) - 1;
const TIME_MAX: u64 = (1 << TIME_BITS) - 1;
const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// The stamp before any real reading: a valid date, so even a generator that never saw a
/// valid clock issues Msg_Ids that pack.
const WALL_CLOCK_FLOOR: WallClock = WallClock {
    year: 0,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
};

const _: () = assert!(TIME_BITS + NODE_BITS + CORE_BITS + SEQUENCE_BITS == 64);
// Node and core index are each one octet; the config's bounds (node.id ≤ 255, cores ≤ 256)
// must fit the layout.
const _: () = assert!(CORES_MAX == 1 << CORE_BITS);
// node << 8 | core fits the Msg_Id's 22-bit ISMG field.
const _: () = assert!((1u32 << (NODE_BITS + CORE_BITS)) - 1 <= MsgId::ISMG_ID_MAX);
const _: () = assert!(HEX_SIZE * 4 == 64);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: u64 = EPOCH_UNIX_MS + 1_000_000;

    // Proves the documented bit layout with a hand-computed value: 3 ms after the epoch on
    // node 0xAB, core 0xCD, sequence 0 → 3 << 23 | 0xAB << 15 | 0xCD << 7.
    #[test]
    fn fields_land_in_their_documented_bits() {
        let mut generator = MessageIdGenerator::new(0xAB, 0xCD);
        let id = generator.next(EPOCH_UNIX_MS + 3);
        assert_eq!(id.to_u64(), 3 << 23 | 0xAB << 15 | 0xCD << 7);
        assert_eq!(
            (id.unix_ms(), id.node_id(), id.core_id(), id.sequence()),
            (EPOCH_UNIX_MS + 3, 0xAB, 0xCD, 0)
        );
        let next = generator.next(EPOCH_UNIX_MS + 3);
        assert_eq!(next.to_u64(), id.to_u64() + 1);
    }

    // Proves the 129th id in one millisecond borrows the next millisecond, and that the clock
    // catching up does not reuse it.
    #[test]
    fn sequence_overflow_borrows_the_next_millisecond() {
        let mut generator = MessageIdGenerator::new(1, 2);
        let ids: Vec<MessageId> = (0..129).map(|_| generator.next(T0)).collect();
        assert_eq!(ids[127].sequence(), 127);
        assert_eq!(ids[127].unix_ms(), T0);
        assert_eq!((ids[128].unix_ms(), ids[128].sequence()), (T0 + 1, 0));
        let caught_up = generator.next(T0 + 1);
        assert_eq!((caught_up.unix_ms(), caught_up.sequence()), (T0 + 1, 1));
    }

    // Proves a clock that jumps back keeps the last millisecond and continues its sequence.
    #[test]
    fn backwards_clock_keeps_the_last_millisecond() {
        let mut generator = MessageIdGenerator::new(1, 2);
        let first = generator.next(T0);
        let after = generator.next(T0 - 60_000);
        assert_eq!(after.unix_ms(), T0);
        assert!(after > first);
        let before_epoch = generator.next(0);
        assert!(before_epoch > after);
    }

    // Proves resume_after continues strictly after the journal's last id even when the clock
    // restarts behind it.
    #[test]
    fn resumed_generator_issues_after_the_last_journal_id() {
        let mut before = MessageIdGenerator::new(9, 3);
        let last = (0..1_000).map(|_| before.next(T0)).last().unwrap();
        let mut resumed = MessageIdGenerator::resume_after(9, 3, last);
        assert!(resumed.next(T0 - 5_000) > last);
        let mut at_sequence_end = MessageIdGenerator::resume_after(9, 3, MessageId(127));
        let borrowed = at_sequence_end.next(0);
        assert_eq!(
            (borrowed.unix_ms(), borrowed.sequence()),
            (EPOCH_UNIX_MS + 1, 0)
        );
    }

    // Proves uniqueness and strict per-core monotonicity over a million draws on a clock that
    // mostly advances, often stalls, and sometimes jumps back by up to a second (a fixed-seed
    // LCG drives it).
    #[test]
    fn million_ids_are_unique_and_monotonic_under_a_jittery_clock() {
        let mut generator = MessageIdGenerator::new(255, 255);
        let mut state: u64 = 0x5EED;
        let mut now_ms = T0;
        let mut previous = generator.next(now_ms);
        for _ in 0..1_000_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            match state >> 60 {
                0 => now_ms -= (state >> 20) % 1_000,
                1..=9 => {}
                _ => now_ms += (state >> 20) % 3,
            }
            let id = generator.next(now_ms);
            assert!(id > previous, "{id:?} after {previous:?}");
            previous = id;
        }
    }

    // Proves the text forms: hex is 16 upper-case digits with leading zeros, decimal has no
    // leading zeros, and the extremes render at their documented widths.
    #[test]
    fn ids_render_in_both_formats() {
        let id = MessageId(0x00AB_CDEF_0123_4567);
        assert_eq!(id.render(MessageIdFormat::Hex).as_str(), "00ABCDEF01234567");
        assert_eq!(
            id.render(MessageIdFormat::Decimal).as_str(),
            "48358647417488743"
        );
        assert_eq!(
            MessageId(0).render(MessageIdFormat::Hex).as_str(),
            "0000000000000000"
        );
        assert_eq!(MessageId(0).render(MessageIdFormat::Decimal).as_str(), "0");
        let max = MessageId(u64::MAX).render(MessageIdFormat::Decimal);
        assert_eq!(max.as_bytes(), b"18446744073709551615");
        assert_eq!(max.to_string().len(), DECIMAL_SIZE_MAX);
    }

    // Proves parse accepts lower-case hex and leading zeros, and rejects each malformed case
    // with its own error, all mapping to ESME_RINVMSGID.
    #[test]
    fn parse_is_case_insensitive_and_rejects_malformed_ids() {
        let hex = MessageIdFormat::Hex;
        let decimal = MessageIdFormat::Decimal;
        assert_eq!(
            MessageId::parse(b"00abcdef01234567", hex),
            Ok(MessageId(0x00AB_CDEF_0123_4567))
        );
        assert_eq!(MessageId::parse(b"Ff", hex), Ok(MessageId(255)));
        assert_eq!(MessageId::parse(b"007", decimal), Ok(MessageId(7)));
        let cases = [
            (MessageId::parse(b"", hex), ParseError::Empty),
            (
                MessageId::parse(b"00000000000000000", hex),
                ParseError::TooLong { size: 17, max: 16 },
            ),
            (
                MessageId::parse(b"12G4", hex),
                ParseError::InvalidDigit {
                    index: 2,
                    octet: b'G',
                },
            ),
            (
                MessageId::parse(b"12a4", decimal),
                ParseError::InvalidDigit {
                    index: 2,
                    octet: b'a',
                },
            ),
            (
                MessageId::parse(b"+1", decimal),
                ParseError::InvalidDigit {
                    index: 0,
                    octet: b'+',
                },
            ),
            (
                MessageId::parse(b"18446744073709551616", decimal),
                ParseError::Overflow,
            ),
        ];
        for (result, expected) in cases {
            assert_eq!(result, Err(expected));
            assert_eq!(
                CommandStatus::from(&expected),
                CommandStatus::ESME_RINVMSGID
            );
        }
    }

    // Proves the CMPP Msg_Id fields: the wall clock's month..second, ISMG code node << 8 | core
    // (node 1, core 2 → 258), and sequences from 0.
    #[test]
    fn cmpp_msg_id_carries_clock_node_core_and_sequence() {
        let mut generator = CmppMsgIdGenerator::new(1, 2);
        let now = clock(2025, 6, 30, 14, 5, 9);
        let first = generator.next(now);
        assert_eq!(
            (
                first.month,
                first.day,
                first.hour,
                first.minute,
                first.second
            ),
            (6, 30, 14, 5, 9)
        );
        assert_eq!((first.ismg_id, first.sequence), (258, 0));
        assert_eq!(generator.next(now).sequence, 1);
        assert_eq!(CmppMsgIdGenerator::ismg_id(255, 255), 65_535);
    }

    // Proves the 65,537th Msg_Id in one second borrows the next second, carrying through every
    // field at New Year's Eve, and that leap days are respected.
    #[test]
    fn cmpp_sequence_overflow_borrows_the_next_second_with_carry() {
        let mut generator = CmppMsgIdGenerator::new(0, 0);
        let new_year_eve = clock(2024, 12, 31, 23, 59, 59);
        let last = (0..=65_535)
            .map(|_| generator.next(new_year_eve))
            .last()
            .unwrap();
        assert_eq!(last.sequence, u16::MAX);
        let borrowed = generator.next(new_year_eve);
        assert_eq!(
            (
                borrowed.month,
                borrowed.day,
                borrowed.hour,
                borrowed.minute,
                borrowed.second
            ),
            (1, 1, 0, 0, 0)
        );
        assert_eq!(borrowed.sequence, 0);
        assert_eq!(
            clock(2024, 2, 28, 23, 59, 59).next_second(),
            clock(2024, 2, 29, 0, 0, 0)
        );
        assert_eq!(
            clock(2025, 2, 28, 23, 59, 59).next_second(),
            clock(2025, 3, 1, 0, 0, 0)
        );
        assert_eq!(
            clock(2100, 2, 28, 23, 59, 59).next_second(),
            clock(2100, 3, 1, 0, 0, 0)
        );
    }

    // Proves a CMPP clock going backwards, an invalid reading and a leap second all keep the
    // last stamp and continue the sequence, while New Year (a smaller month) moves forward.
    #[test]
    fn cmpp_clock_anomalies_never_reuse_a_msg_id() {
        let mut generator = CmppMsgIdGenerator::new(3, 4);
        let noon = clock(2025, 12, 31, 12, 0, 0);
        assert_eq!(generator.next(noon).sequence, 0);
        let back = generator.next(clock(2025, 12, 31, 11, 59, 0));
        assert_eq!((back.hour, back.sequence), (12, 1));
        let invalid = generator.next(clock(2025, 2, 30, 0, 0, 0));
        assert_eq!((invalid.hour, invalid.sequence), (12, 2));
        let new_year = generator.next(clock(2026, 1, 1, 0, 0, 0));
        assert_eq!((new_year.month, new_year.sequence), (1, 0));
        let leap = generator.next(clock(2026, 1, 1, 0, 0, 60));
        assert_eq!((leap.second, leap.sequence), (59, 0));
        assert_eq!(generator.next(clock(2026, 1, 1, 0, 0, 59)).sequence, 1);
    }

    // Proves a resumed CMPP generator continues after the journal's last Msg_Id.
    #[test]
    fn cmpp_resumed_generator_issues_after_the_last_msg_id() {
        let mut before = CmppMsgIdGenerator::new(1, 1);
        let now = clock(2025, 3, 1, 8, 0, 0);
        let last = (0..10).map(|_| before.next(now)).last().unwrap();
        let mut resumed = CmppMsgIdGenerator::resume_after(1, 1, last, 2025);
        let next = resumed.next(clock(2025, 3, 1, 7, 59, 0));
        assert!(next.pack().unwrap() > last.pack().unwrap());
    }

    // Proves Msg_Ids are unique and increasing over a million draws within a year on a clock
    // that stalls, advances and jumps back (fixed-seed LCG), including borrowed seconds.
    #[test]
    fn million_cmpp_msg_ids_are_unique_and_monotonic() {
        let mut generator = CmppMsgIdGenerator::new(7, 9);
        let mut state: u64 = 0xC0FFEE;
        let mut now = clock(2025, 1, 31, 23, 59, 0);
        let mut previous = generator.next(now).pack().unwrap();
        for _ in 0..1_000_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            match state >> 58 {
                0 => now = WallClock { minute: 58, ..now },
                1 => now = now.next_second(),
                _ => {}
            }
            let packed = generator.next(now).pack().unwrap();
            assert!(packed > previous);
            previous = packed;
        }
    }

    fn clock(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> WallClock {
        WallClock {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    proptest! {
        // Proves parse(render(id)) == id for every 64-bit id in both formats, and that hex
        // parsing ignores case.
        #[test]
        fn parse_of_render_is_identity(value in any::<u64>()) {
            let id = MessageId(value);
            for format in [MessageIdFormat::Hex, MessageIdFormat::Decimal] {
                let text = id.render(format);
                prop_assert_eq!(MessageId::parse(text.as_bytes(), format), Ok(id));
            }
            let lower = id.render(MessageIdFormat::Hex).as_str().to_ascii_lowercase();
            prop_assert_eq!(MessageId::parse(lower.as_bytes(), MessageIdFormat::Hex), Ok(id));
        }

        // Proves parse never panics on arbitrary peer bytes, and that whatever it accepts
        // renders back to the same value.
        #[test]
        fn parse_never_panics_on_arbitrary_bytes(
            text in proptest::collection::vec(any::<u8>(), 0..32),
        ) {
            for format in [MessageIdFormat::Hex, MessageIdFormat::Decimal] {
                if let Ok(id) = MessageId::parse(&text, format) {
                    let rendered = id.render(format);
                    prop_assert_eq!(MessageId::parse(rendered.as_bytes(), format), Ok(id));
                }
            }
        }

        // Proves generators of different (node, core) never issue the same id, whatever
        // clocks they are given, and each stays strictly increasing.
        #[test]
        fn generators_on_different_cores_never_collide(
            a in (any::<u8>(), any::<u8>()), b in (any::<u8>(), any::<u8>()),
            clock_steps in proptest::collection::vec(-3i64..=3, 1..400),
        ) {
            prop_assume!(a != b);
            let mut first = MessageIdGenerator::new(a.0, a.1);
            let mut second = MessageIdGenerator::new(b.0, b.1);
            let mut now_ms = T0;
            let mut seen = std::collections::HashSet::new();
            let (mut last_first, mut last_second) = (None, None);
            for step in clock_steps {
                now_ms = now_ms.saturating_add_signed(step);
                let (x, y) = (first.next(now_ms), second.next(now_ms));
                prop_assert!(seen.insert(x));
                prop_assert!(seen.insert(y));
                prop_assert!(last_first < Some(x));
                prop_assert!(last_second < Some(y));
                (last_first, last_second) = (Some(x), Some(y));
            }
        }

        // Proves every CMPP Msg_Id packs, whatever the clock readings (valid or not).
        #[test]
        fn cmpp_msg_ids_always_pack(
            readings in proptest::collection::vec(
                (any::<u16>(), any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()),
                1..200),
        ) {
            let mut generator = CmppMsgIdGenerator::new(255, 255);
            for (year, month, day, hour, minute, second) in readings {
                let msg_id = generator.next(clock(year, month, day, hour, minute, second));
                prop_assert!(msg_id.pack().is_ok());
            }
        }
    }
}
