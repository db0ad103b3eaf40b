//! Delivery receipt text (SMPP 3.4 Appendix B):
//! `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
//! err:E text:...`, and the `stat` values with their message_state (SMPP 3.4 §5.2.28).
//!
//! Appendix B calls the format SMSC-vendor specific, so the parser is tolerant:
//! - keys in any case and any order; `submit date`, `submit_date` and `submitdate` (and the same
//!   for `done`); extra spaces around keys, colons and values; unknown `key:value` pairs and
//!   stray words are skipped;
//! - every field but `id` may be missing; a value that cannot be read (a 9-digit date, a month
//!   13, a count that is not a number) is treated as missing, never as an error, because the
//!   id and stat still deserve delivery;
//! - dates of 10 (`YYMMDDhhmm`) or 12 (`YYMMDDhhmmss`) digits;
//! - `stat` as the 7-letter codes or the message_state names (`DELIVERED`, `UNDELIVERABLE`...);
//!   the raw text is kept in [`Receipt::stat_text`] for values we do not know;
//! - the id is kept as given (hex or decimal, any case, leading zeros): [`normalize_id`] and
//!   [`id_value`] compare ids the way a connector is configured to;
//! - `text:` runs to the end of the input (the spec puts it last, and user text may contain
//!   anything, `key:` included), so fields after it are not read; spaces after `text:` are
//!   skipped, trailing ones kept.
//!
//! The parser borrows from the input and allocates nothing. Formatting writes the spec's order
//! with `sub` and `dlvrd` as 3 digits and lower-case `text:`, which every parser we know reads.

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;

/// The final (or intermediate) state a receipt reports.
///
/// Variants carry the receipt's 7-letter spec codes.
#[allow(
    clippy::upper_case_acronyms,
    reason = "the spec's stat codes, as on the wire"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stat {
    /// Message is in enroute state (message_state 1).
    ENROUTE,
    /// Message is delivered to destination (2).
    DELIVRD,
    /// Message validity period has expired (3).
    EXPIRED,
    /// Message has been deleted (4).
    DELETED,
    /// Message is undeliverable (5).
    UNDELIV,
    /// Message is in accepted state (6).
    ACCEPTD,
    /// Message is in invalid state (7).
    UNKNOWN,
    /// Message is in a rejected state (8).
    REJECTD,
}

impl Stat {
    /// Every stat, in message_state order.
    pub const ALL: [Stat; 8] = [
        Stat::ENROUTE,
        Stat::DELIVRD,
        Stat::EXPIRED,
        Stat::DELETED,
        Stat::UNDELIV,
        Stat::ACCEPTD,
        Stat::UNKNOWN,
        Stat::REJECTD,
    ];

    /// The 7-letter code written in receipts.
    pub fn as_str(self) -> &'static str {
        match self {
            Stat::ENROUTE => "ENROUTE",
            Stat::DELIVRD => "DELIVRD",
            Stat::EXPIRED => "EXPIRED",
            Stat::DELETED => "DELETED",
            Stat::UNDELIV => "UNDELIV",
            Stat::ACCEPTD => "ACCEPTD",
            Stat::UNKNOWN => "UNKNOWN",
            Stat::REJECTD => "REJECTD",
        }
    }

    /// The SMPP message_state value (SMPP 3.4 §5.2.28).
    pub fn message_state(self) -> u8 {
        match self {
            Stat::ENROUTE => 1,
            Stat::DELIVRD => 2,
            Stat::EXPIRED => 3,
            Stat::DELETED => 4,
            Stat::UNDELIV => 5,
            Stat::ACCEPTD => 6,
            Stat::UNKNOWN => 7,
            Stat::REJECTD => 8,
        }
    }

    /// The stat for a message_state value (1 to 8).
    pub fn from_message_state(message_state: u8) -> Option<Stat> {
        Stat::ALL
            .into_iter()
            .find(|stat| stat.message_state() == message_state)
    }

    /// Reads a stat code or message_state name, in any case.
    pub fn parse(text: &str) -> Option<Stat> {
        const NAMES: [(&str, Stat); 5] = [
            ("DELIVERED", Stat::DELIVRD),
            ("UNDELIVERABLE", Stat::UNDELIV),
            ("UNDELIVERED", Stat::UNDELIV),
            ("ACCEPTED", Stat::ACCEPTD),
            ("REJECTED", Stat::REJECTD),
        ];
        Stat::ALL
            .into_iter()
            .map(|stat| (stat.as_str(), stat))
            .chain(NAMES)
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|(_, stat)| stat)
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A receipt date: `YYMMDDhhmm`, with seconds when the SMSC sent 12 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptDate {
    /// Two-digit year.
    pub year: u8,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 59, when present.
    pub second: Option<u8>,
}

impl ReceiptDate {
    /// Reads 10 or 12 digits; `None` for any other shape or an out-of-range field.
    pub fn parse(text: &str) -> Option<ReceiptDate> {
        let digits = text.as_bytes();
        if !(digits.len() == 10 || digits.len() == 12) || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let pair = |index: usize| (digits[index] - b'0') * 10 + (digits[index + 1] - b'0');
        let date = ReceiptDate {
            year: pair(0),
            month: pair(2),
            day: pair(4),
            hour: pair(6),
            minute: pair(8),
            second: (digits.len() == 12).then(|| pair(10)),
        };
        let valid = (1..=12).contains(&date.month)
            && (1..=31).contains(&date.day)
            && date.hour <= 23
            && date.minute <= 59
            && date.second.is_none_or(|second| second <= 59);
        valid.then_some(date)
    }
}

impl fmt::Display for ReceiptDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )?;
        match self.second {
            Some(second) => write!(f, "{second:02}"),
            None => Ok(()),
        }
    }
}

/// A delivery receipt, borrowed from its text. Build one with our id and `to_string()` it to
/// format; [`Receipt::parse`] reads one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Receipt<'a> {
    /// The message id, exactly as given.
    pub id: &'a str,
    /// Short messages originally submitted.
    pub sub: Option<u16>,
    /// Short messages delivered.
    pub dlvrd: Option<u16>,
    /// When the message was submitted.
    pub submit_date: Option<ReceiptDate>,
    /// When it reached its final state.
    pub done_date: Option<ReceiptDate>,
    /// The state, when it is one we know.
    pub stat: Option<Stat>,
    /// The `stat` value as given (kept for values [`Stat::parse`] does not know).
    pub stat_text: Option<&'a str>,
    /// The error code as given (network or SMSC specific; usually 3 digits).
    pub err: Option<&'a str>,
    /// The text excerpt (the first 20 characters of the message, per the spec).
    pub text: Option<&'a str>,
}

/// Why a receipt text cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReceiptError {
    /// No `id:` field, or an empty one.
    #[error("receipt text has no id")]
    MissingId,
    /// The bytes are not UTF-8 (decode the short message first).
    #[error("receipt text is not UTF-8 (valid up to octet {valid_up_to})")]
    NotUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
}

impl<'a> Receipt<'a> {
    /// Reads a receipt tolerantly (see the module doc).
    pub fn parse(input: &'a str) -> Result<Receipt<'a>, ReceiptError> {
        let mut receipt = Receipt::default();
        let mut id = None;
        let mut cursor = Cursor { input, position: 0 };
        // Bounded: every turn consumes at least one octet or ends the loop.
        loop {
            cursor.skip_whitespace();
            if cursor.at_end() {
                break;
            }
            let Some(key) = cursor.read_key() else {
                cursor.skip_token();
                continue;
            };
            if key == Key::Text {
                receipt.text = Some(cursor.rest().trim_start());
                break;
            }
            let value = cursor.read_value();
            receipt.set(key, value, &mut id);
        }
        receipt.id = id
            .filter(|id| !id.is_empty())
            .ok_or(ReceiptError::MissingId)?;
        Ok(receipt)
    }

    /// Reads a receipt from octets that must be UTF-8 (ASCII in practice).
    pub fn parse_bytes(input: &'a [u8]) -> Result<Receipt<'a>, ReceiptError> {
        let text = std::str::from_utf8(input).map_err(|error| ReceiptError::NotUtf8 {
            valid_up_to: error.valid_up_to(),
        })?;
        Receipt::parse(text)
    }

    /// The first 20 characters of `message`, the `text` excerpt the spec asks for.
    pub fn text_excerpt(message: &str) -> &str {
        match message.char_indices().nth(RECEIPT_TEXT_CHARS_MAX) {
            Some((end, _)) => &message[..end],
            None => message,
        }
    }

    /// The numeric `err` value, when it is decimal digits.
    pub fn err_code(&self) -> Option<u32> {
        self.err.and_then(parse_decimal)
    }

    /// Stores one field; the first occurrence of a key wins.
    fn set(&mut self, key: Key, value: &'a str, id: &mut Option<&'a str>) {
        match key {
            Key::Id => {
                id.get_or_insert(value);
            }
            Key::Sub => set_once(&mut self.sub, parse_count(value)),
            Key::Dlvrd => set_once(&mut self.dlvrd, parse_count(value)),
            Key::SubmitDate => set_once(&mut self.submit_date, ReceiptDate::parse(value)),
            Key::DoneDate => set_once(&mut self.done_date, ReceiptDate::parse(value)),
            Key::Stat => {
                if self.stat_text.is_none() && !value.is_empty() {
                    self.stat_text = Some(value);
                    self.stat = Stat::parse(value);
                }
            }
            Key::Err => set_once(&mut self.err, (!value.is_empty()).then_some(value)),
            // Either way: unknown keys are skipped; `text` never reaches here.
            Key::Unknown | Key::Text => {}
        }
    }
}

impl fmt::Display for Receipt<'_> {
    /// Writes the Appendix B layout; absent fields are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "id:{}", self.id)?;
        if let Some(sub) = self.sub {
            write!(f, " sub:{sub:03}")?;
        }
        if let Some(dlvrd) = self.dlvrd {
            write!(f, " dlvrd:{dlvrd:03}")?;
        }
        if let Some(date) = self.submit_date {
            write!(f, " submit date:{date}")?;
        }
        if let Some(date) = self.done_date {
            write!(f, " done date:{date}")?;
        }
        match (self.stat, self.stat_text) {
            (Some(stat), _) => write!(f, " stat:{stat}")?,
            (None, Some(text)) => write!(f, " stat:{text}")?,
            (None, None) => {}
        }
        if let Some(err) = self.err {
            write!(f, " err:{err}")?;
        }
        if let Some(text) = self.text {
            write!(f, " text:{text}")?;
        }
        Ok(())
    }
}

/// How to bring an id to one canonical form before comparing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdNormalization {
    /// Letter case to bring hex digits (and any letters) to.
    pub case: IdCase,
    /// Whether to drop leading zeros (keeping one digit for an all-zero id).
    pub strip_leading_zeros: bool,
}

/// Letter case for [`IdNormalization`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdCase {
    /// Leave letters as given.
    Keep,
    /// `a`-`z`.
    Lower,
    /// `A`-`Z`.
    Upper,
}

/// The radix an SMSC writes ids in, for [`id_value`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdRadix {
    /// Decimal digits.
    Decimal,
    /// Hexadecimal digits, either case.
    Hex,
}

/// Brings `id` to the form `how` asks; borrows when nothing changes.
pub fn normalize_id(id: &str, how: IdNormalization) -> Cow<'_, str> {
    let trimmed = if how.strip_leading_zeros {
        let stripped = id.trim_start_matches('0');
        if stripped.is_empty() && !id.is_empty() {
            &id[id.len() - 1..]
        } else {
            stripped
        }
    } else {
        id
    };
    match how.case {
        IdCase::Keep => Cow::Borrowed(trimmed),
        IdCase::Lower if !trimmed.bytes().any(|octet| octet.is_ascii_uppercase()) => {
            Cow::Borrowed(trimmed)
        }
        IdCase::Upper if !trimmed.bytes().any(|octet| octet.is_ascii_lowercase()) => {
            Cow::Borrowed(trimmed)
        }
        IdCase::Lower => Cow::Owned(trimmed.to_ascii_lowercase()),
        IdCase::Upper => Cow::Owned(trimmed.to_ascii_uppercase()),
    }
}

/// The numeric value of `id` in `radix`, so a hex id from submit_sm_resp and a decimal id in
/// the receipt compare equal; `None` when it is not a number in that radix or over 128 bits.
pub fn id_value(id: &str, radix: IdRadix) -> Option<u128> {
    let radix = match radix {
        IdRadix::Decimal => 10,
        IdRadix::Hex => 16,
    };
    if id.is_empty() || !id.bytes().all(|octet| octet.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(id, radix).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
    Unknown,
}

/// A position in the receipt text. Every cut is at an ASCII octet, so slices stay on UTF-8
/// character boundaries.
struct Cursor<'a> {
    input: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.position >= self.input.len()
    }

    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.position).copied()
    }

    fn rest(&self) -> &'a str {
        &self.input[self.position..]
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|octet| octet.is_ascii_whitespace()) {
            self.position += 1;
        }
    }

    fn skip_token(&mut self) {
        while self
            .peek()
            .is_some_and(|octet| !octet.is_ascii_whitespace())
        {
            self.position += 1;
        }
    }

    fn read_word(&mut self) -> &'a str {
        let start = self.position;
        while self
            .peek()
            .is_some_and(|octet| octet.is_ascii_alphabetic() || octet == b'_')
        {
            self.position += 1;
        }
        &self.input[start..self.position]
    }

    /// Reads `key:` (with the two-word date keys) and moves past the colon; on failure the
    /// cursor is left where it was.
    fn read_key(&mut self) -> Option<Key> {
        let start = self.position;
        let key = self.read_key_inner();
        if key.is_none() {
            self.position = start;
        }
        key
    }

    fn read_key_inner(&mut self) -> Option<Key> {
        let word = self.read_word();
        if word.is_empty() {
            return None;
        }
        let mut key = key_of(word);
        if word.eq_ignore_ascii_case("submit") || word.eq_ignore_ascii_case("done") {
            let before_date = self.position;
            self.skip_spaces();
            if self.read_word().eq_ignore_ascii_case("date") {
                key = if word.eq_ignore_ascii_case("submit") {
                    Key::SubmitDate
                } else {
                    Key::DoneDate
                };
            } else {
                self.position = before_date;
            }
        }
        self.skip_spaces();
        if self.peek() != Some(b':') {
            return None;
        }
        self.position += 1;
        Some(key)
    }

    /// Reads a value: the token right after the colon, or after spaces unless the next token
    /// is itself a key (then the value is empty).
    fn read_value(&mut self) -> &'a str {
        if self.peek().is_some_and(|octet| octet.is_ascii_whitespace()) {
            self.skip_whitespace();
            let before = self.position;
            if self.read_key().is_some() {
                self.position = before;
                return "";
            }
        }
        let start = self.position;
        self.skip_token();
        &self.input[start..self.position]
    }

    fn skip_spaces(&mut self) {
        while self
            .peek()
            .is_some_and(|octet| octet == b' ' || octet == b'\t')
        {
            self.position += 1;
        }
    }
}

fn key_of(word: &str) -> Key {
    const KEYS: [(&str, Key); 10] = [
        ("id", Key::Id),
        ("sub", Key::Sub),
        ("dlvrd", Key::Dlvrd),
        ("submit_date", Key::SubmitDate),
        ("submitdate", Key::SubmitDate),
        ("done_date", Key::DoneDate),
        ("donedate", Key::DoneDate),
        ("stat", Key::Stat),
        ("err", Key::Err),
        ("text", Key::Text),
    ];
    KEYS.into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map_or(Key::Unknown, |(_, key)| key)
}

fn set_once<T>(field: &mut Option<T>, value: Option<T>) {
    if field.is_none() {
        *field = value;
    }
}

fn parse_count(value: &str) -> Option<u16> {
    parse_decimal(value).and_then(|count| u16::try_from(count).ok())
}

fn parse_decimal(value: &str) -> Option<u32> {
    if value.is_empty() || !value.bytes().all(|octet| octet.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Characters of the message the `text` field carries (SMPP 3.4 Appendix B).
pub const RECEIPT_TEXT_CHARS_MAX: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(text: &str) -> Option<ReceiptDate> {
        ReceiptDate::parse(text)
    }

    #[test]
    fn spec_layout_parses_every_field() {
        // Proves the Appendix B layout reads field by field, with the text running to the end.
        let receipt = Receipt::parse(
            "id:0123456789 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 \
             stat:DELIVRD err:000 text:Hello world: hi",
        )
        .unwrap();
        assert_eq!(receipt.id, "0123456789");
        assert_eq!((receipt.sub, receipt.dlvrd), (Some(1), Some(1)));
        assert_eq!(
            receipt.submit_date,
            Some(ReceiptDate {
                year: 24,
                month: 3,
                day: 15,
                hour: 12,
                minute: 30,
                second: None
            })
        );
        assert_eq!(receipt.done_date.unwrap().minute, 31);
        assert_eq!(receipt.stat, Some(Stat::DELIVRD));
        assert_eq!(receipt.err, Some("000"));
        assert_eq!(receipt.err_code(), Some(0));
        assert_eq!(receipt.text, Some("Hello world: hi"));
    }

    #[test]
    fn variants_in_case_order_spacing_and_key_spelling_parse() {
        // Proves tolerance: upper-case keys, other order, underscores, 12-digit dates, extra
        // spaces around colons, a hex id, unknown keys and stray words.
        let receipt = Receipt::parse(
            "  STAT : undeliv  ID:  7F3a0B  foo:bar Submit_Date:240315123059 noise \
             done  date:240315123100 Err:0x1 SUB:1 Text:",
        )
        .unwrap();
        assert_eq!(receipt.id, "7F3a0B");
        assert_eq!(receipt.stat, Some(Stat::UNDELIV));
        assert_eq!(receipt.submit_date.unwrap().second, Some(59));
        assert_eq!(receipt.done_date.unwrap().second, Some(0));
        assert_eq!(receipt.err, Some("0x1"));
        assert_eq!(receipt.err_code(), None);
        assert_eq!(receipt.sub, Some(1));
        assert_eq!(receipt.dlvrd, None);
        assert_eq!(receipt.text, Some(""));
    }

    #[test]
    fn missing_and_unreadable_fields_become_absent() {
        // Proves only the id is required: bad dates, a non-numeric count and an unknown stat
        // are absent (the raw stat kept), and an empty value before the next key stays empty.
        let receipt = Receipt::parse(
            "id:42 sub:abc submit date:2413011200 done date:123 stat:FAILED err: text:x",
        )
        .unwrap();
        assert_eq!(receipt.id, "42");
        assert_eq!(
            (receipt.sub, receipt.submit_date, receipt.done_date),
            (None, None, None)
        );
        assert_eq!((receipt.stat, receipt.stat_text), (None, Some("FAILED")));
        assert_eq!(receipt.err, None);
        assert_eq!(receipt.text, Some("x"));
        assert_eq!(Receipt::parse("stat:DELIVRD"), Err(ReceiptError::MissingId));
        assert_eq!(
            Receipt::parse("id: stat:DELIVRD"),
            Err(ReceiptError::MissingId)
        );
        assert_eq!(Receipt::parse(""), Err(ReceiptError::MissingId));
        assert_eq!(
            Receipt::parse_bytes(b"id:1 \xFF"),
            Err(ReceiptError::NotUtf8 { valid_up_to: 5 })
        );
    }

    #[test]
    fn formatting_writes_the_spec_layout() {
        // Proves the formatter's exact output for a full receipt with our id, and that it
        // parses back to the same receipt.
        let receipt = Receipt {
            id: "1A2B3C",
            sub: Some(1),
            dlvrd: Some(0),
            submit_date: date("2403151230"),
            done_date: date("240315123145"),
            stat: Some(Stat::EXPIRED),
            stat_text: None,
            err: Some("001"),
            text: Some(Receipt::text_excerpt(
                "This text is longer than twenty characters",
            )),
        };
        let formatted = receipt.to_string();
        assert_eq!(
            formatted,
            "id:1A2B3C sub:001 dlvrd:000 submit date:2403151230 done date:240315123145 \
             stat:EXPIRED err:001 text:This text is longer "
        );
        let parsed = Receipt::parse(&formatted).unwrap();
        assert_eq!(parsed.stat_text, Some("EXPIRED"));
        assert_eq!(
            Receipt {
                stat_text: None,
                ..parsed
            },
            receipt
        );
    }

    #[test]
    fn stats_map_to_message_states() {
        // Proves the SMPP 3.4 §5.2.28 values and the long-name aliases.
        let states: Vec<u8> = Stat::ALL.iter().map(|stat| stat.message_state()).collect();
        assert_eq!(states, [1, 2, 3, 4, 5, 6, 7, 8]);
        for stat in Stat::ALL {
            assert_eq!(Stat::from_message_state(stat.message_state()), Some(stat));
            assert_eq!(Stat::parse(stat.as_str()), Some(stat));
            assert_eq!(Stat::parse(&stat.as_str().to_ascii_lowercase()), Some(stat));
        }
        assert_eq!(Stat::parse("Delivered"), Some(Stat::DELIVRD));
        assert_eq!(Stat::parse("UNDELIVERABLE"), Some(Stat::UNDELIV));
        assert_eq!(Stat::from_message_state(0), None);
        assert_eq!(Stat::from_message_state(9), None);
    }

    #[test]
    fn ids_normalise_and_compare_across_radixes() {
        // Proves case and leading-zero normalisation (borrowing when unchanged) and that a hex
        // and a decimal id of the same number have the same value.
        let lower_stripped = IdNormalization {
            case: IdCase::Lower,
            strip_leading_zeros: true,
        };
        assert_eq!(normalize_id("000ABc", lower_stripped), "abc");
        assert_eq!(normalize_id("0000", lower_stripped), "0");
        assert!(matches!(
            normalize_id("abc", lower_stripped),
            Cow::Borrowed("abc")
        ));
        let upper = IdNormalization {
            case: IdCase::Upper,
            strip_leading_zeros: false,
        };
        assert_eq!(normalize_id("00ff", upper), "00FF");
        assert_eq!(id_value("00FF", IdRadix::Hex), Some(255));
        assert_eq!(id_value("255", IdRadix::Decimal), Some(255));
        assert_eq!(id_value("FF", IdRadix::Decimal), None);
        assert_eq!(id_value("+1", IdRadix::Decimal), None);
        assert_eq!(id_value("", IdRadix::Hex), None);
    }

    #[test]
    fn text_excerpt_is_twenty_characters() {
        // Proves the excerpt counts characters, not octets, and keeps short text whole.
        assert_eq!(Receipt::text_excerpt("short"), "short");
        assert_eq!(Receipt::text_excerpt(&"é".repeat(30)), "é".repeat(20));
    }

    proptest! {
        #[test]
        fn random_text_never_panics_the_parser(input in any::<String>()) {
            // Proves hostile text only ever yields a receipt or a typed error, and a parsed id
            // is a non-empty slice without whitespace.
            if let Ok(receipt) = Receipt::parse(&input) {
                prop_assert!(!receipt.id.is_empty());
                prop_assert!(!receipt.id.contains(|ch: char| ch.is_ascii_whitespace()));
            }
        }

        #[test]
        fn receipt_like_noise_never_panics(input in "((id|sub|dlvrd|submit|done|date|stat|err|text|[ :_0-9A-Za-z])){0,80}") {
            // Proves key-shaped noise (partial keys, repeated colons) is handled without panic,
            // and formatting a parsed receipt parses back to the same id and stat.
            if let Ok(receipt) = Receipt::parse(&input) {
                let again = receipt.to_string();
                let reparsed = Receipt::parse(&again).unwrap();
                prop_assert_eq!(reparsed.id, receipt.id);
                prop_assert_eq!(reparsed.stat, receipt.stat);
            }
        }

        #[test]
        fn formatted_receipts_parse_back(
            id in "[0-9A-Fa-f]{1,20}",
            sub in proptest::option::of(0u16..1000),
            stat in proptest::sample::select(Stat::ALL.to_vec()),
            text in "[ -~]{0,20}",
        ) {
            // Proves format then parse keeps id, sub, stat and text.
            let receipt = Receipt { id: &id, sub, stat: Some(stat), text: Some(&text), ..Receipt::default() };
            let formatted = receipt.to_string();
            let parsed = Receipt::parse(&formatted).unwrap();
            prop_assert_eq!(parsed.id, id.as_str());
            prop_assert_eq!(parsed.sub, sub);
            prop_assert_eq!(parsed.stat, Some(stat));
            prop_assert_eq!(parsed.text, Some(text.trim_start()));
        }
    }
}
