//! Weighted mixes and the messages `load` sends: `--mix gsm=70,ucs2=20,long=10`, destination
//! numbers from `--dest-prefix`, ready SMPP parts per message, and `smsc-sim`'s
//! `--dlr-mix DELIVRD=90,UNDELIV=10` receipt states.
//!
//! A mix is a list of `NAME=PERCENT` entries summing to 100. Picks are deterministic and exact:
//! message `n` of a thread takes slot `(n × 37 + offset) mod 100` (37 is coprime with 100, so
//! every block of 100 consecutive messages visits each slot once, scattered), and slot ranges
//! are laid out by percentage. So every 100 messages carry exactly the asked proportions, and a
//! run replays exactly from its `--seed`.
//!
//! Sample texts: a GSM 7-bit text of about 120 characters (one part), a UCS2 text of about 50
//! characters mixing Swahili, Chinese and emoji (one part), and a GSM text of about 400
//! characters (three parts, 8-bit UDH concatenation, TS 23.040 §9.2.3.24.1, reference from a
//! per-thread counter). GSM 7-bit is sent unpacked with `data_coding` 0 (SMPP 3.4 §5.2.19).
//!
//! Bounds: at most [`DEST_PREFIXES_MAX`] prefixes; destinations are always
//! [`DESTINATION_DIGITS`] digits. Cost: texts are split once per generator; each message then
//! costs one allocation per part plus the destination string.

use std::fmt;
use std::str::FromStr;

use smsgw_shared::text::{
    Coding, ConcatMode, ConcatReference, ConcatUdh, Gsm7Packing, SplitError, SplitOptions, Stat,
    split_text,
};
use thiserror::Error;

/// Why a mix, prefix or sample text was refused. Each message names the flag and the shape
/// expected, so the operator can fix the command line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MixError {
    /// The flag's value is empty.
    #[error("{flag}: empty; expected NAME=PERCENT entries separated by commas")]
    Empty {
        /// The flag.
        flag: &'static str,
    },
    /// An entry is not `NAME=PERCENT`.
    #[error("{flag}: entry {entry:?} is not NAME=PERCENT")]
    EntryShape {
        /// The flag.
        flag: &'static str,
        /// The entry.
        entry: String,
    },
    /// An entry names something the flag does not know.
    #[error("{flag}: unknown name {name:?}; expected one of {expected}")]
    UnknownName {
        /// The flag.
        flag: &'static str,
        /// The name given.
        name: String,
        /// The names allowed.
        expected: &'static str,
    },
    /// A percentage is not an integer from 0 to 100.
    #[error("{flag}: percentage {value:?} of {name} is not an integer from 0 to 100")]
    Percent {
        /// The flag.
        flag: &'static str,
        /// The entry's name.
        name: String,
        /// The value given.
        value: String,
    },
    /// A name appears twice.
    #[error("{flag}: {name} is given twice")]
    Duplicate {
        /// The flag.
        flag: &'static str,
        /// The name.
        name: String,
    },
    /// The percentages do not add up to 100.
    #[error("{flag}: percentages sum to {sum}, not 100")]
    SumNot100 {
        /// The flag.
        flag: &'static str,
        /// Their sum.
        sum: u32,
    },
    /// A destination prefix holds something other than digits.
    #[error("--dest-prefix {prefix:?}: only digits are allowed")]
    PrefixNotDigits {
        /// The prefix.
        prefix: String,
    },
    /// A destination prefix is empty or leaves no digit for the counter.
    #[error("--dest-prefix {prefix:?}: needs 1 to {max} digits (numbers are {total} digits)")]
    PrefixLength {
        /// The prefix.
        prefix: String,
        /// The longest prefix allowed.
        max: usize,
        /// Digits in a destination number.
        total: usize,
    },
    /// No prefixes, or more than [`DEST_PREFIXES_MAX`].
    #[error("--dest-prefix given {count} times; give 1 to {max}")]
    PrefixCount {
        /// Prefixes given.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// A sample text could not be split (a bug in the samples or the splitter).
    #[error("sample text {kind} cannot be split: {source}")]
    Split {
        /// The kind of message.
        kind: Kind,
        /// The splitter's error.
        source: SplitError,
    },
}

/// A kind of message in the `--mix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// About 120 GSM 7-bit characters: one part.
    Gsm,
    /// About 50 characters of Swahili, Chinese and emoji as UCS2: one part.
    Ucs2,
    /// About 400 GSM 7-bit characters: three parts with an 8-bit concatenation UDH.
    Long,
}

impl Kind {
    /// Every kind, in `--mix` slot order.
    pub const ALL: [Kind; 3] = [Kind::Gsm, Kind::Ucs2, Kind::Long];

    /// The name used in `--mix`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gsm => "gsm",
            Kind::Ucs2 => "ucs2",
            Kind::Long => "long",
        }
    }

    /// The sample text.
    pub fn text(self) -> &'static str {
        match self {
            Kind::Gsm => TEXT_GSM,
            Kind::Ucs2 => TEXT_UCS2,
            Kind::Long => TEXT_LONG,
        }
    }

    /// The coding the sample is sent in.
    pub fn coding(self) -> Coding {
        match self {
            Kind::Gsm | Kind::Long => Coding::Gsm7,
            Kind::Ucs2 => Coding::Ucs2,
        }
    }

    fn index(self) -> usize {
        match self {
            Kind::Gsm => 0,
            Kind::Ucs2 => 1,
            Kind::Long => 2,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `--mix` of `load`: a percentage per [`Kind`], summing to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    percents: [u8; 3],
}

impl Mix {
    /// The percentage of `kind`.
    pub fn percent(&self, kind: Kind) -> u8 {
        self.percents[kind.index()]
    }

    /// The kind of message `sequence` (0-based) of a thread whose slot offset is `offset`.
    pub fn kind_at(&self, sequence: u64, offset: u64) -> Kind {
        let slot = slot(sequence, offset);
        let mut end = 0;
        for kind in Kind::ALL {
            end += self.percent(kind);
            if slot < end {
                return kind;
            }
        }
        unreachable!("percentages sum to 100 (checked in from_str), slot={slot}")
    }
}

impl Default for Mix {
    /// `gsm=100`.
    fn default() -> Mix {
        Mix {
            percents: [100, 0, 0],
        }
    }
}

impl FromStr for Mix {
    type Err = MixError;

    fn from_str(text: &str) -> Result<Mix, MixError> {
        let mut percents = [0u8; 3];
        let mut seen = [false; 3];
        for (name, percent) in parse_percentages(text, MIX_FLAG)? {
            let kind = Kind::ALL
                .into_iter()
                .find(|kind| kind.name().eq_ignore_ascii_case(name))
                .ok_or_else(|| MixError::UnknownName {
                    flag: MIX_FLAG,
                    name: name.to_owned(),
                    expected: "gsm, ucs2, long",
                })?;
            if seen[kind.index()] {
                return Err(MixError::Duplicate {
                    flag: MIX_FLAG,
                    name: kind.name().to_owned(),
                });
            }
            seen[kind.index()] = true;
            percents[kind.index()] = percent;
        }
        Ok(Mix { percents })
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        for kind in Kind::ALL {
            if self.percent(kind) > 0 {
                write!(f, "{separator}{kind}={}", self.percent(kind))?;
                separator = ",";
            }
        }
        Ok(())
    }
}

/// The `--dlr-mix` of `smsc-sim`: which final state each delivery receipt reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlrMix {
    /// Final states and their percentages, in the order given; percentages sum to 100.
    entries: Vec<(Stat, u8)>,
}

impl DlrMix {
    /// The percentage of `stat` (0 when absent).
    pub fn percent(&self, stat: Stat) -> u8 {
        self.entries
            .iter()
            .find(|(entry, _)| *entry == stat)
            .map_or(0, |(_, percent)| *percent)
    }

    /// The state of receipt `sequence` (0-based), with slot offset `offset` (e.g. the seed).
    pub fn stat_at(&self, sequence: u64, offset: u64) -> Stat {
        let slot = slot(sequence, offset);
        let mut end = 0;
        for &(stat, percent) in &self.entries {
            end += percent;
            if slot < end {
                return stat;
            }
        }
        unreachable!("percentages sum to 100 (checked in from_str), slot={slot}")
    }
}

impl Default for DlrMix {
    /// `DELIVRD=100`.
    fn default() -> DlrMix {
        DlrMix {
            entries: vec![(Stat::DELIVRD, 100)],
        }
    }
}

impl FromStr for DlrMix {
    type Err = MixError;

    fn from_str(text: &str) -> Result<DlrMix, MixError> {
        let mut entries: Vec<(Stat, u8)> = Vec::with_capacity(DLR_STATS.len());
        for (name, percent) in parse_percentages(text, DLR_MIX_FLAG)? {
            let stat = Stat::parse(name)
                .filter(|stat| DLR_STATS.contains(stat))
                .ok_or_else(|| MixError::UnknownName {
                    flag: DLR_MIX_FLAG,
                    name: name.to_owned(),
                    expected: "DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN",
                })?;
            if entries.iter().any(|(seen, _)| *seen == stat) {
                return Err(MixError::Duplicate {
                    flag: DLR_MIX_FLAG,
                    name: stat.as_str().to_owned(),
                });
            }
            entries.push((stat, percent));
        }
        Ok(DlrMix { entries })
    }
}

/// One `--dest-prefix`: 1 to [`DESTINATION_DIGITS`] − 1 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DestPrefix(String);

impl DestPrefix {
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DestPrefix {
    type Err = MixError;

    fn from_str(text: &str) -> Result<DestPrefix, MixError> {
        if !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(MixError::PrefixNotDigits {
                prefix: text.to_owned(),
            });
        }
        if text.is_empty() || text.len() >= DESTINATION_DIGITS {
            return Err(MixError::PrefixLength {
                prefix: text.to_owned(),
                max: DESTINATION_DIGITS - 1,
                total: DESTINATION_DIGITS,
            });
        }
        Ok(DestPrefix(text.to_owned()))
    }
}

impl fmt::Display for DestPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One short message of a [`Message`], ready for submit_sm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartBytes {
    /// The UDH (for a part of a long message) then the encoded text.
    pub short_message: Vec<u8>,
    /// 0x40 (UDHI) when `short_message` starts with a UDH, else 0x00.
    pub esm_class: u8,
    /// The SMPP data_coding of the text.
    pub data_coding: u8,
}

/// One message of the load: where it goes and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Which sample it carries.
    pub kind: Kind,
    /// The coding of its text (for protocols other than SMPP to map).
    pub coding: Coding,
    /// [`DESTINATION_DIGITS`] digits: a prefix then a zero-padded counter.
    pub destination: String,
    /// One part, or the parts of a concatenated message in order.
    pub parts: Vec<PartBytes>,
}

/// Makes the messages of one `load` thread, deterministically from the seed.
///
/// Call contract: one generator per thread, [`MessageGenerator::next_message`] per message.
/// Two generators with the same arguments produce the same sequence.
#[derive(Debug, Clone)]
pub struct MessageGenerator {
    mix: Mix,
    prefixes: Vec<DestPrefix>,
    templates: [Vec<Template>; 3],
    /// Slot offset of this thread in the mix.
    offset: u64,
    /// Where this thread's destination counter starts.
    counter_start: u64,
    /// Messages made so far.
    sequence: u64,
    /// The next concatenation reference.
    reference: u8,
}

impl MessageGenerator {
    /// A generator for thread `thread_index` of a run with `seed`.
    pub fn new(
        mix: Mix,
        prefixes: Vec<DestPrefix>,
        seed: u64,
        thread_index: u64,
    ) -> Result<MessageGenerator, MixError> {
        if prefixes.is_empty() || prefixes.len() > DEST_PREFIXES_MAX {
            return Err(MixError::PrefixCount {
                count: prefixes.len(),
                max: DEST_PREFIXES_MAX,
            });
        }
        let templates = [
            Template::split(Kind::Gsm)?,
            Template::split(Kind::Ucs2)?,
            Template::split(Kind::Long)?,
        ];
        let thread_seed = splitmix64(seed ^ splitmix64(thread_index));
        Ok(MessageGenerator {
            mix,
            prefixes,
            templates,
            offset: thread_seed % 100,
            counter_start: splitmix64(thread_seed),
            sequence: 0,
            // Truncation intended: threads start at different references.
            reference: (thread_seed >> 56) as u8,
        })
    }

    /// The next message of this thread.
    pub fn next_message(&mut self) -> Message {
        let sequence = self.sequence;
        self.sequence += 1;
        let kind = self.mix.kind_at(sequence, self.offset);
        let templates = &self.templates[kind.index()];
        let reference = if templates.len() > 1 {
            let reference = self.reference;
            self.reference = self.reference.wrapping_add(1);
            reference
        } else {
            0
        };
        let data_coding = kind.coding().data_coding();
        let parts = templates
            .iter()
            .map(|template| template.part(reference, data_coding))
            .collect();
        Message {
            kind,
            coding: kind.coding(),
            destination: self.destination(sequence),
            parts,
        }
    }

    /// Messages made so far.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    fn destination(&self, sequence: u64) -> String {
        // Bounded by DEST_PREFIXES_MAX, so the index fits usize.
        let prefix_count = self.prefixes.len() as u64;
        let prefix = &self.prefixes[(sequence % prefix_count) as usize];
        let width = DESTINATION_DIGITS - prefix.0.len();
        // width is 1..=11 (checked by DestPrefix), so 10^width fits u64.
        let modulus = 10u64.pow(width as u32);
        let counter = self.counter_start.wrapping_add(sequence) % modulus;
        let destination = format!("{prefix}{counter:0width$}");
        assert_eq!(destination.len(), DESTINATION_DIGITS);
        destination
    }
}

/// One part of a sample, split once; the reference is filled in per message.
#[derive(Debug, Clone)]
struct Template {
    payload: Vec<u8>,
    total: u8,
    seqnum: u8,
    udh: bool,
}

impl Template {
    fn split(kind: Kind) -> Result<Vec<Template>, MixError> {
        let options = SplitOptions {
            mode: ConcatMode::Udh8 { reference: 0 },
            gsm7_packing: Gsm7Packing::Unpacked,
        };
        let parts = split_text(kind.text(), kind.coding(), options)
            .map_err(|source| MixError::Split { kind, source })?;
        Ok(parts
            .into_iter()
            .map(|part| Template {
                seqnum: part.seqnum(),
                total: part.total,
                udh: part.udh.is_some(),
                payload: part.payload,
            })
            .collect())
    }

    fn part(&self, reference: u8, data_coding: u8) -> PartBytes {
        if !self.udh {
            return PartBytes {
                short_message: self.payload.clone(),
                esm_class: 0,
                data_coding,
            };
        }
        let udh = ConcatUdh::new(ConcatReference::Ref8(reference), self.total, self.seqnum);
        let mut short_message = Vec::with_capacity(udh.size() + self.payload.len());
        short_message.extend_from_slice(udh.as_bytes());
        short_message.extend_from_slice(&self.payload);
        PartBytes {
            short_message,
            esm_class: ESM_CLASS_UDHI,
            data_coding,
        }
    }
}

/// Parses `NAME=PERCENT,...` into entries whose percentages sum to 100.
fn parse_percentages<'a>(
    text: &'a str,
    flag: &'static str,
) -> Result<Vec<(&'a str, u8)>, MixError> {
    if text.trim().is_empty() {
        return Err(MixError::Empty { flag });
    }
    if text.split(',').count() > PERCENT_ENTRIES_MAX {
        return Err(MixError::EntryShape {
            flag,
            entry: format!("(more than {PERCENT_ENTRIES_MAX} entries)"),
        });
    }
    let mut entries = Vec::new();
    let mut sum: u32 = 0;
    for entry in text.split(',') {
        let (name, value) = entry
            .split_once('=')
            .map(|(name, value)| (name.trim(), value.trim()))
            .filter(|(name, value)| !name.is_empty() && !value.is_empty())
            .ok_or_else(|| MixError::EntryShape {
                flag,
                entry: entry.to_owned(),
            })?;
        let percent = value
            .parse::<u8>()
            .ok()
            .filter(|percent| *percent <= 100)
            .ok_or_else(|| MixError::Percent {
                flag,
                name: name.to_owned(),
                value: value.to_owned(),
            })?;
        sum += u32::from(percent);
        entries.push((name, percent));
    }
    if sum != 100 {
        return Err(MixError::SumNot100 { flag, sum });
    }
    Ok(entries)
}

/// The slot (0..100) of item `sequence` with `offset`: a bijection on each block of 100.
fn slot(sequence: u64, offset: u64) -> u8 {
    let slot = (sequence % 100 * SLOT_STRIDE + offset % 100) % 100;
    // Below 100, so it fits u8.
    slot as u8
}

/// SplitMix64 (Steele, Lea, Flood 2014): a seed mixer, so nearby seeds give unrelated values.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Digits in a destination number (country code and subscriber number, as in 2547XXXXXXXX).
pub const DESTINATION_DIGITS: usize = 12;

/// Most `--dest-prefix` flags. Cost: one short string each. At the bound: [`MixError`] at
/// start-up. Why: a load spreads over a few routes; 64 covers every route table we test.
pub const DEST_PREFIXES_MAX: usize = 64;

/// Most entries in a `--mix` or `--dlr-mix`: more than there are names means duplicates.
const PERCENT_ENTRIES_MAX: usize = 8;

/// esm_class UDHI bit (SMPP 3.4 §5.2.12).
const ESM_CLASS_UDHI: u8 = 0x40;

/// Coprime with 100, so `n × 37 mod 100` visits every slot once per 100 items.
const SLOT_STRIDE: u64 = 37;

const MIX_FLAG: &str = "--mix";
const DLR_MIX_FLAG: &str = "--dlr-mix";

/// Final states a simulated receipt may report.
const DLR_STATS: [Stat; 6] = [
    Stat::DELIVRD,
    Stat::UNDELIV,
    Stat::EXPIRED,
    Stat::REJECTD,
    Stat::DELETED,
    Stat::UNKNOWN,
];

const TEXT_GSM: &str = "smsgw bench: your verification code is 482913. It expires in 10 minutes. \
    Do not share it with anyone. Reply STOP to end.";

const TEXT_UCS2: &str = "Habari Amina! Msimbo wako ni 4829 🎉 您的验证码是4829，请勿泄露 😀";

const TEXT_LONG: &str = "Dear customer, thank you for choosing our network. Your monthly bundle \
    has been renewed: 10 GB of data, 500 minutes to all networks and 1000 SMS, valid for 30 \
    days from today. To check your balance dial *144# or reply BAL to this message. Visit \
    any of our shops or call 100 for help \
    with your account, and remember that we will never ask you for your PIN. Reply STOP to stop \
    these messages at no cost.";

#[cfg(test)]
mod tests {
    use smsgw_shared::text::{Udh, gsm7};

    use super::*;

    fn prefixes(values: &[&str]) -> Vec<DestPrefix> {
        values.iter().map(|value| value.parse().unwrap()).collect()
    }

    #[test]
    fn mix_parses_and_round_trips() {
        // Proves a valid mix parses (any case, spaces tolerated), keeps its percentages, and
        // displays back in --mix form; the default is gsm=100.
        let mix: Mix = "gsm=70, UCS2=20,long=10".parse().unwrap();
        assert_eq!(Kind::ALL.map(|kind| mix.percent(kind)), [70, 20, 10]);
        assert_eq!(mix.to_string(), "gsm=70,ucs2=20,long=10");
        assert_eq!(Mix::default().to_string(), "gsm=100");
        assert_eq!("gsm=100".parse::<Mix>().unwrap(), Mix::default());
    }

    #[test]
    fn bad_mixes_get_clear_errors() {
        // Proves each malformed --mix gets its own error naming the problem.
        let cases: [(&str, MixError); 7] = [
            ("", MixError::Empty { flag: "--mix" }),
            (
                "gsm70",
                MixError::EntryShape {
                    flag: "--mix",
                    entry: "gsm70".into(),
                },
            ),
            (
                "sms=100",
                MixError::UnknownName {
                    flag: "--mix",
                    name: "sms".into(),
                    expected: "gsm, ucs2, long",
                },
            ),
            (
                "gsm=101",
                MixError::Percent {
                    flag: "--mix",
                    name: "gsm".into(),
                    value: "101".into(),
                },
            ),
            (
                "gsm=-5,long=105",
                MixError::Percent {
                    flag: "--mix",
                    name: "gsm".into(),
                    value: "-5".into(),
                },
            ),
            (
                "gsm=50,gsm=50",
                MixError::Duplicate {
                    flag: "--mix",
                    name: "gsm".into(),
                },
            ),
            (
                "gsm=70,ucs2=20",
                MixError::SumNot100 {
                    flag: "--mix",
                    sum: 90,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Mix>(), Err(expected), "{text:?}");
        }
        let message = "gsm=70,ucs2=20".parse::<Mix>().unwrap_err().to_string();
        assert_eq!(message, "--mix: percentages sum to 90, not 100");
    }

    #[test]
    fn every_hundred_messages_hold_the_exact_mix() {
        // Proves the slot scheme: for any offset, each block of 100 consecutive messages holds
        // exactly 70 gsm, 20 ucs2 and 10 long, and kinds are interleaved, not in runs of 70.
        let mix: Mix = "gsm=70,ucs2=20,long=10".parse().unwrap();
        for offset in [0, 1, 57, 99, u64::MAX] {
            for block in 0..3 {
                let mut counts = [0; 3];
                for sequence in block * 100..block * 100 + 100 {
                    counts[mix.kind_at(sequence, offset).index()] += 1;
                }
                assert_eq!(counts, [70, 20, 10], "offset={offset} block={block}");
            }
        }
        let first_ten: Vec<Kind> = (0..10).map(|sequence| mix.kind_at(sequence, 0)).collect();
        assert!(first_ten.contains(&Kind::Ucs2) || first_ten.contains(&Kind::Long));
    }

    #[test]
    fn dlr_mix_parses_and_picks_exactly() {
        // Proves --dlr-mix accepts the final receipt states, refuses intermediate ones and bad
        // sums, and picks each state its exact share of every 100 receipts.
        let mix: DlrMix = "DELIVRD=85,UNDELIV=5,EXPIRED=5,rejectd=5".parse().unwrap();
        assert_eq!(mix.percent(Stat::REJECTD), 5);
        assert_eq!(mix.percent(Stat::DELETED), 0);
        let mut delivered = 0;
        for sequence in 0..100 {
            if mix.stat_at(sequence, 7) == Stat::DELIVRD {
                delivered += 1;
            }
        }
        assert_eq!(delivered, 85);
        assert_eq!(DlrMix::default().stat_at(12, 0), Stat::DELIVRD);
        assert!(matches!(
            "ENROUTE=100".parse::<DlrMix>(),
            Err(MixError::UnknownName { .. })
        ));
        assert!(matches!(
            "DELIVRD=90".parse::<DlrMix>(),
            Err(MixError::SumNot100 { sum: 90, .. })
        ));
        assert!(matches!(
            "DELIVRD=50,DELIVRD=50".parse::<DlrMix>(),
            Err(MixError::Duplicate { .. })
        ));
    }

    #[test]
    fn prefixes_are_validated() {
        // Proves --dest-prefix takes 1 to 11 digits and refuses anything else, and that a
        // generator needs 1 to DEST_PREFIXES_MAX prefixes.
        assert_eq!("2547".parse::<DestPrefix>().unwrap().as_str(), "2547");
        assert!("25471234567".parse::<DestPrefix>().is_ok());
        assert!(matches!(
            "254712345678".parse::<DestPrefix>(),
            Err(MixError::PrefixLength { max: 11, .. })
        ));
        assert!(matches!(
            "".parse::<DestPrefix>(),
            Err(MixError::PrefixLength { .. })
        ));
        assert!(matches!(
            "+2547".parse::<DestPrefix>(),
            Err(MixError::PrefixNotDigits { .. })
        ));
        assert!(matches!(
            MessageGenerator::new(Mix::default(), Vec::new(), 1, 0),
            Err(MixError::PrefixCount { count: 0, .. })
        ));
        let too_many = prefixes(&["1"; DEST_PREFIXES_MAX + 1]);
        assert!(MessageGenerator::new(Mix::default(), too_many, 1, 0).is_err());
    }

    #[test]
    fn destinations_are_twelve_digits_over_each_prefix() {
        // Proves destinations cycle over the prefixes, are always 12 digits with a zero-padded
        // counter that increases by one per message, and that an 11-digit prefix works.
        let mut generator =
            MessageGenerator::new(Mix::default(), prefixes(&["2547", "2541"]), 42, 0).unwrap();
        let destinations: Vec<String> = (0..4)
            .map(|_| generator.next_message().destination)
            .collect();
        for (index, destination) in destinations.iter().enumerate() {
            assert_eq!(destination.len(), 12);
            assert!(destination.bytes().all(|byte| byte.is_ascii_digit()));
            let prefix = if index % 2 == 0 { "2547" } else { "2541" };
            assert!(destination.starts_with(prefix), "{destination}");
        }
        let counter = |destination: &str| destination[4..].parse::<u64>().unwrap();
        assert_eq!(
            (counter(&destinations[1]) + 1) % 100_000_000,
            counter(&destinations[2]) % 100_000_000
        );
        let mut long_prefix =
            MessageGenerator::new(Mix::default(), prefixes(&["25471234567"]), 42, 0).unwrap();
        assert_eq!(long_prefix.next_message().destination.len(), 12);
    }

    #[test]
    fn generator_is_deterministic_per_seed_and_thread() {
        // Proves the same seed and thread give the same messages, and another thread or seed
        // gives different destinations.
        let make = |seed, thread| {
            let mix: Mix = "gsm=40,ucs2=30,long=30".parse().unwrap();
            let mut generator =
                MessageGenerator::new(mix, prefixes(&["2547"]), seed, thread).unwrap();
            (0..50)
                .map(|_| generator.next_message())
                .collect::<Vec<_>>()
        };
        assert_eq!(make(7, 0), make(7, 0));
        assert_ne!(make(7, 0)[0].destination, make(7, 1)[0].destination);
        assert_ne!(make(7, 0)[0].destination, make(8, 0)[0].destination);
    }

    #[test]
    fn samples_have_their_sizes_and_codings() {
        // Proves the sample texts: GSM about 120 septets in one part (data_coding 0), UCS2 about
        // 50 characters in one part (data_coding 8), long GSM about 400 septets in 3 parts.
        let gsm = gsm7::encode_unpacked(TEXT_GSM).unwrap();
        assert!((110..=130).contains(&gsm.len()), "gsm {}", gsm.len());
        let ucs2_chars = TEXT_UCS2.chars().count();
        assert!((45..=55).contains(&ucs2_chars), "ucs2 {ucs2_chars}");
        assert!(!gsm7::is_encodable(TEXT_UCS2));
        let long = gsm7::encode_unpacked(TEXT_LONG).unwrap();
        assert!((380..=430).contains(&long.len()), "long {}", long.len());
        let mix: Mix = "gsm=34,ucs2=33,long=33".parse().unwrap();
        let mut generator = MessageGenerator::new(mix, prefixes(&["2547"]), 3, 0).unwrap();
        let mut seen = [false; 3];
        for _ in 0..100 {
            let message = generator.next_message();
            seen[message.kind.index()] = true;
            // Unpacked GSM carries one septet per octet, so up to 160 octets; UCS2 up to 140.
            let (parts, data_coding, size_max) = match message.kind {
                Kind::Gsm => (1, 0x00, 160),
                Kind::Ucs2 => (1, 0x08, 140),
                Kind::Long => (3, 0x00, 160),
            };
            assert_eq!(message.parts.len(), parts);
            assert_eq!(message.coding, message.kind.coding());
            for part in &message.parts {
                assert_eq!(part.data_coding, data_coding);
                assert!(part.short_message.len() <= size_max);
            }
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn long_messages_carry_udh_with_a_per_thread_reference() {
        // Proves each part of a long message has UDHI and an 8-bit concatenation UDH (total 3,
        // seqnum 1..=3, one reference per message), that the reference advances per long
        // message and wraps, and that the parts decode back to the sample text.
        let mix: Mix = "long=100".parse().unwrap();
        let mut generator = MessageGenerator::new(mix, prefixes(&["2547"]), 9, 2).unwrap();
        let mut references = Vec::new();
        for _ in 0..300 {
            let message = generator.next_message();
            let mut text = String::new();
            let mut reference = None;
            for (index, part) in message.parts.iter().enumerate() {
                assert_eq!(part.esm_class, 0x40);
                let (udh, body) = Udh::parse(&part.short_message).unwrap();
                let concat = udh.concat().unwrap();
                assert_eq!(concat.total, 3);
                assert_eq!(usize::from(concat.seqnum), index + 1);
                let ConcatReference::Ref8(value) = concat.reference else {
                    panic!("16-bit reference in {concat:?}");
                };
                assert!(reference.is_none() || reference == Some(value));
                reference = Some(value);
                text.push_str(&gsm7::decode_unpacked(body).unwrap());
            }
            assert_eq!(text, TEXT_LONG);
            references.push(reference.unwrap());
        }
        for pair in references.windows(2) {
            assert_eq!(pair[1], pair[0].wrapping_add(1));
        }
        assert_eq!(generator.sequence(), 300);
    }
}
