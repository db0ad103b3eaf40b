//! Counting and splitting a text into short messages.
//!
//! Budgets come from TS 23.040 §9.2.3.24.1: one short message carries 140 octets of user data,
//! i.e. 160 GSM septets, 140 Latin-1 or binary octets, or 70 UCS2 code units. A concatenation
//! UDH takes its octets out of that: 6 octets for an 8-bit reference leaves 153 septets (the
//! header plus one fill bit is 7 septets), 134 octets or 67 units; 7 octets for a 16-bit
//! reference leaves 152, 133 or 66. Without a UDH the parts are tied by SMPP's SAR TLVs
//! (SMPP 3.4 §5.3.2.22-24: sar_msg_ref_num, sar_total_segments, sar_segment_seqnum), and each
//! part keeps the whole single-message budget. [`ConcatMode::MessagePayload`] does not split:
//! the whole text goes in one message_payload TLV (SMPP 3.4 §5.3.2.32, at most 65,535 octets).
//!
//! A text that fits one message is never split, whatever the mode. A part boundary never falls
//! inside a GSM escape sequence or a UTF-16 surrogate pair. At most
//! [`CONCAT_PARTS_MAX`](crate::limits::CONCAT_PARTS_MAX) parts (the UDH counts parts in one
//! octet); more is [`SplitError::TooManyParts`].
//!
//! Cost: two passes over the characters (plan, then encode), no allocation per character; one
//! `Vec` of part offsets and one payload `Vec` per part, sized exactly.

use thiserror::Error;

use super::coding::Coding;
use super::udh::{CONCAT_8_UDH_SIZE, CONCAT_16_UDH_SIZE, ConcatReference, ConcatUdh};
use super::{gsm7, latin1, ucs2};
use crate::limits::CONCAT_PARTS_MAX;

/// How the parts of a long message are tied together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConcatMode {
    /// A UDH with IEI 0x00 in each part; `esm_class` gets UDHI (0x40).
    Udh8 {
        /// The message reference (the caller's sequence per destination).
        reference: u8,
    },
    /// A UDH with IEI 0x08 in each part.
    Udh16 {
        /// The message reference.
        reference: u16,
    },
    /// No UDH: SMPP sar_* TLVs carry the reference, total and sequence number.
    Sar {
        /// The sar_msg_ref_num of every part.
        sar_msg_ref_num: u16,
    },
    /// No split: one message_payload TLV.
    MessagePayload,
}

/// How GSM 7-bit text is laid out in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Gsm7Packing {
    /// One septet per octet, as SMPP `data_coding` 0 usually carries it.
    #[default]
    Unpacked,
    /// Eight septets in seven octets, after the UDH's fill bits.
    Packed,
}

/// Everything [`split_text`] needs besides the text and the coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SplitOptions {
    /// How parts are tied together.
    pub mode: ConcatMode,
    /// Layout of GSM 7-bit payloads (ignored for other codings).
    pub gsm7_packing: Gsm7Packing,
}

/// The SMPP SAR TLV values of one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sar {
    /// sar_msg_ref_num.
    pub sar_msg_ref_num: u16,
    /// sar_total_segments (1 to 255).
    pub sar_total_segments: u8,
    /// sar_segment_seqnum (1 to sar_total_segments).
    pub sar_segment_seqnum: u8,
}

/// One short message of a split text, ready for the SMPP or CMPP layer to map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Position in the message, 0-based.
    pub index: u8,
    /// Parts in the message, 1 to 255.
    pub total: u8,
    /// The concatenation reference; `None` for a message sent whole.
    pub reference: Option<ConcatReference>,
    /// The concatenation header to put before the payload, when the mode uses one.
    pub udh: Option<ConcatUdh>,
    /// Whether `esm_class` must carry UDHI (0x40): true exactly when `udh` is some.
    pub esm_class_udhi: bool,
    /// The SAR TLVs, in [`ConcatMode::Sar`] with more than one part.
    pub sar: Option<Sar>,
    /// The encoded text of this part (packed after the fill bits when asked), without the UDH.
    pub payload: Vec<u8>,
    /// GSM 7-bit only: the septets of text in `payload` (what a packed reader needs).
    pub septet_count: Option<usize>,
}

impl Part {
    /// The 1-based sequence number, as in the UDH and sar_segment_seqnum.
    pub fn seqnum(&self) -> u8 {
        self.index + 1
    }

    /// The short_message octets: the UDH, if any, then the payload.
    pub fn short_message(&self) -> Vec<u8> {
        let udh = self.udh.as_ref().map_or(&[][..], ConcatUdh::as_bytes);
        let mut octets = Vec::with_capacity(udh.len() + self.payload.len());
        octets.extend_from_slice(udh);
        octets.extend_from_slice(&self.payload);
        octets
    }
}

/// Why a text cannot be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SplitError {
    /// The text holds a character the coding cannot write.
    #[error("character {ch:?} at byte {index} cannot be written in {coding:?}")]
    Unencodable {
        /// The character.
        ch: char,
        /// Its byte offset in the text.
        index: usize,
        /// The coding asked for.
        coding: Coding,
    },
    /// The text needs more parts than a UDH or sar_total_segments can count.
    #[error("text needs {needed} parts, over the maximum of {max}")]
    TooManyParts {
        /// Parts needed.
        needed: usize,
        /// The maximum ([`CONCAT_PARTS_MAX`]).
        max: usize,
    },
    /// The encoded text is over the message_payload maximum.
    #[error("encoded text of {size} octets is over the message_payload maximum of {max}")]
    PayloadOver {
        /// Encoded size in octets.
        size: usize,
        /// The maximum ([`MESSAGE_PAYLOAD_SIZE_MAX`]).
        max: usize,
    },
    /// [`Coding::Binary`] is data: split it with [`split_binary`].
    #[error("8-bit binary is not text; use split_binary")]
    BinaryIsNotText,
}

/// Units (septets, octets or UCS2 code units) one part of `coding` holds after a UDH of
/// `udh_size` octets (0 for none).
pub fn unit_capacity(coding: Coding, udh_size: usize) -> usize {
    assert!(udh_size < USER_DATA_SIZE_MAX, "udh_size={udh_size}");
    let octets = USER_DATA_SIZE_MAX - udh_size;
    match coding {
        // The header and its fill bits take whole septets.
        Coding::Gsm7 => GSM7_SEPTETS_MAX - (udh_size * 8).div_ceil(7),
        Coding::Latin1 | Coding::Binary => octets,
        Coding::Ucs2 => octets / 2,
    }
}

/// Counts the parts [`split_text`] would make, without encoding.
pub fn count_parts(text: &str, coding: Coding, options: SplitOptions) -> Result<usize, SplitError> {
    let coding_text = TextCoding::of(coding)?;
    if options.mode == ConcatMode::MessagePayload {
        let units = plan(text, coding_text, usize::MAX)?.units;
        check_payload_size(coding_text.encoded_size(units, options.gsm7_packing))?;
        return Ok(1);
    }
    let plan = plan(text, coding_text, multi_capacity(coding, options.mode))?;
    if plan.units <= unit_capacity(coding, 0) {
        return Ok(1);
    }
    check_part_count(plan.needed)?;
    Ok(plan.needed)
}

/// Splits `text` into parts of `coding`, tied as `options.mode` says.
pub fn split_text(
    text: &str,
    coding: Coding,
    options: SplitOptions,
) -> Result<Vec<Part>, SplitError> {
    let coding_text = TextCoding::of(coding)?;
    if options.mode == ConcatMode::MessagePayload {
        let units = plan(text, coding_text, usize::MAX)?.units;
        check_payload_size(coding_text.encoded_size(units, options.gsm7_packing))?;
        return Ok(vec![whole_part(
            text,
            coding_text,
            options.gsm7_packing,
            units,
        )]);
    }
    let plan = plan(text, coding_text, multi_capacity(coding, options.mode))?;
    if plan.units <= unit_capacity(coding, 0) {
        return Ok(vec![whole_part(
            text,
            coding_text,
            options.gsm7_packing,
            plan.units,
        )]);
    }
    check_part_count(plan.needed)?;
    assert_eq!(plan.part_starts.len(), plan.needed);
    // Checked above: needed <= CONCAT_PARTS_MAX = 255.
    let total = u8::try_from(plan.needed).map_err(|_| SplitError::TooManyParts {
        needed: plan.needed,
        max: CONCAT_PARTS_MAX,
    })?;
    let mut parts = Vec::with_capacity(plan.needed);
    for (index, &start) in plan.part_starts.iter().enumerate() {
        let end = plan
            .part_starts
            .get(index + 1)
            .copied()
            .unwrap_or(text.len());
        let frame = PartFrame::new(options.mode, total, index);
        parts.push(frame.encode(&text[start..end], coding_text, options.gsm7_packing));
    }
    Ok(parts)
}

/// Splits 8-bit data into parts (at octet boundaries), tied as `mode` says.
pub fn split_binary(data: &[u8], mode: ConcatMode) -> Result<Vec<Part>, SplitError> {
    let whole = |data: &[u8]| Part {
        index: 0,
        total: 1,
        reference: None,
        udh: None,
        esm_class_udhi: false,
        sar: None,
        payload: data.to_vec(),
        septet_count: None,
    };
    if mode == ConcatMode::MessagePayload {
        check_payload_size(data.len())?;
        return Ok(vec![whole(data)]);
    }
    if data.len() <= unit_capacity(Coding::Binary, 0) {
        return Ok(vec![whole(data)]);
    }
    let capacity = multi_capacity(Coding::Binary, mode);
    let needed = data.len().div_ceil(capacity);
    check_part_count(needed)?;
    let total = u8::try_from(needed).map_err(|_| SplitError::TooManyParts {
        needed,
        max: CONCAT_PARTS_MAX,
    })?;
    let parts = data
        .chunks(capacity)
        .enumerate()
        .map(|(index, chunk)| {
            let frame = PartFrame::new(mode, total, index);
            frame.part(chunk.to_vec(), None)
        })
        .collect();
    Ok(parts)
}

/// The codings that carry text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextCoding {
    Gsm7,
    Latin1,
    Ucs2,
}

impl TextCoding {
    fn of(coding: Coding) -> Result<TextCoding, SplitError> {
        match coding {
            Coding::Gsm7 => Ok(TextCoding::Gsm7),
            Coding::Latin1 => Ok(TextCoding::Latin1),
            Coding::Ucs2 => Ok(TextCoding::Ucs2),
            Coding::Binary => Err(SplitError::BinaryIsNotText),
        }
    }

    fn coding(self) -> Coding {
        match self {
            TextCoding::Gsm7 => Coding::Gsm7,
            TextCoding::Latin1 => Coding::Latin1,
            TextCoding::Ucs2 => Coding::Ucs2,
        }
    }

    /// Units `ch` takes, or `None` when the coding cannot write it.
    #[inline]
    fn unit_count(self, ch: char) -> Option<usize> {
        match self {
            TextCoding::Gsm7 => gsm7::encode_char(ch).map(gsm7::GsmChar::septet_count),
            TextCoding::Latin1 => latin1::encode_char(ch).map(|_| 1),
            TextCoding::Ucs2 => Some(ch.len_utf16()),
        }
    }

    /// Octets `units` take when encoded without a header.
    fn encoded_size(self, units: usize, packing: Gsm7Packing) -> usize {
        match (self, packing) {
            (TextCoding::Gsm7, Gsm7Packing::Unpacked) | (TextCoding::Latin1, _) => units,
            (TextCoding::Gsm7, Gsm7Packing::Packed) => gsm7::packed_size(units, 0),
            (TextCoding::Ucs2, _) => units * 2,
        }
    }

    /// Appends `text` (already checked encodable by `plan`) to `out`; returns its septets for
    /// GSM 7-bit.
    fn encode_into(
        self,
        text: &str,
        packing: Gsm7Packing,
        fill_bits: u8,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let encoded = match (self, packing) {
            (TextCoding::Gsm7, Gsm7Packing::Unpacked) => {
                let size_before = out.len();
                gsm7::encode_unpacked_into(text, out).map(|()| out.len() - size_before)
            }
            (TextCoding::Gsm7, Gsm7Packing::Packed) => {
                gsm7::encode_packed_into(text, fill_bits, out)
            }
            (TextCoding::Latin1, _) => {
                let result = latin1::encode_into(text, out);
                debug_assert!(result.is_ok(), "plan checked every character");
                return None;
            }
            (TextCoding::Ucs2, _) => {
                ucs2::encode_into(text, out);
                return None;
            }
        };
        debug_assert!(encoded.is_ok(), "plan checked every character");
        encoded.ok()
    }
}

/// Where parts start, and how many units the whole text takes.
struct Plan {
    units: usize,
    /// Byte offsets of part starts, at most `CONCAT_PARTS_MAX` kept.
    part_starts: Vec<usize>,
    /// Parts needed at the planned capacity, counted past the maximum.
    needed: usize,
}

/// Walks `text` once: checks every character, sums units, and cuts a part whenever the next
/// character would not fit in `capacity` units (so an escape sequence or surrogate pair, being
/// one character, never straddles a cut).
fn plan(text: &str, coding: TextCoding, capacity: usize) -> Result<Plan, SplitError> {
    let mut plan = Plan {
        units: 0,
        part_starts: vec![0],
        needed: 1,
    };
    let mut units_in_part = 0;
    let mut step = |index: usize, unit_count: usize| {
        if units_in_part + unit_count > capacity {
            plan.needed += 1;
            units_in_part = 0;
            if plan.part_starts.len() < CONCAT_PARTS_MAX {
                plan.part_starts.push(index);
            }
        }
        units_in_part += unit_count;
        plan.units += unit_count;
    };
    if coding == TextCoding::Gsm7 {
        // The GSM walk has an ASCII fast path; it is most of the traffic.
        gsm7::for_each_code(text, |index, code| {
            step(index, gsm7::code_septet_count(code))
        })
        .map_err(|(ch, index)| SplitError::Unencodable {
            ch,
            index,
            coding: Coding::Gsm7,
        })?;
        return Ok(plan);
    }
    for (index, ch) in text.char_indices() {
        let Some(unit_count) = coding.unit_count(ch) else {
            return Err(SplitError::Unencodable {
                ch,
                index,
                coding: coding.coding(),
            });
        };
        step(index, unit_count);
    }
    Ok(plan)
}

/// Units per part of a concatenated message in `mode`.
fn multi_capacity(coding: Coding, mode: ConcatMode) -> usize {
    match mode {
        ConcatMode::Udh8 { .. } => unit_capacity(coding, CONCAT_8_UDH_SIZE),
        ConcatMode::Udh16 { .. } => unit_capacity(coding, CONCAT_16_UDH_SIZE),
        ConcatMode::Sar { .. } => unit_capacity(coding, 0),
        ConcatMode::MessagePayload => usize::MAX,
    }
}

fn check_part_count(needed: usize) -> Result<(), SplitError> {
    if needed > CONCAT_PARTS_MAX {
        return Err(SplitError::TooManyParts {
            needed,
            max: CONCAT_PARTS_MAX,
        });
    }
    Ok(())
}

fn check_payload_size(size: usize) -> Result<(), SplitError> {
    if size > MESSAGE_PAYLOAD_SIZE_MAX {
        return Err(SplitError::PayloadOver {
            size,
            max: MESSAGE_PAYLOAD_SIZE_MAX,
        });
    }
    Ok(())
}

/// A text sent whole: no UDH, no SAR.
fn whole_part(text: &str, coding: TextCoding, packing: Gsm7Packing, units: usize) -> Part {
    let mut payload = Vec::with_capacity(coding.encoded_size(units, packing));
    let septet_count = coding.encode_into(text, packing, 0, &mut payload);
    debug_assert_eq!(payload.len(), coding.encoded_size(units, packing));
    Part {
        index: 0,
        total: 1,
        reference: None,
        udh: None,
        esm_class_udhi: false,
        sar: None,
        payload,
        septet_count,
    }
}

/// The concatenation framing of part `index` of `total`.
struct PartFrame {
    index: u8,
    total: u8,
    reference: Option<ConcatReference>,
    udh: Option<ConcatUdh>,
    sar: Option<Sar>,
}

impl PartFrame {
    fn new(mode: ConcatMode, total: u8, index: usize) -> PartFrame {
        assert!(index < usize::from(total), "index={index} total={total}");
        // index < total <= 255, so index and index + 1 fit in u8.
        let index = index as u8;
        let seqnum = index + 1;
        let (reference, sar) = match mode {
            ConcatMode::Udh8 { reference } => (ConcatReference::Ref8(reference), None),
            ConcatMode::Udh16 { reference } => (ConcatReference::Ref16(reference), None),
            ConcatMode::Sar { sar_msg_ref_num } => (
                ConcatReference::Ref16(sar_msg_ref_num),
                Some(Sar {
                    sar_msg_ref_num,
                    sar_total_segments: total,
                    sar_segment_seqnum: seqnum,
                }),
            ),
            ConcatMode::MessagePayload => unreachable!("message_payload is never split"),
        };
        let udh = sar
            .is_none()
            .then(|| ConcatUdh::new(reference, total, seqnum));
        PartFrame {
            index,
            total,
            reference: Some(reference),
            udh,
            sar,
        }
    }

    fn encode(self, text: &str, coding: TextCoding, packing: Gsm7Packing) -> Part {
        let fill_bits = self.udh.map_or(0, |udh| gsm7::fill_bits_for(udh.size()));
        let mut payload = Vec::with_capacity(text.len() * 2);
        let septet_count = coding.encode_into(text, packing, fill_bits, &mut payload);
        self.part(payload, septet_count)
    }

    fn part(self, payload: Vec<u8>, septet_count: Option<usize>) -> Part {
        Part {
            index: self.index,
            total: self.total,
            reference: self.reference,
            udh: self.udh,
            esm_class_udhi: self.udh.is_some(),
            sar: self.sar,
            payload,
            septet_count,
        }
    }
}

/// Octets of user data in one short message (TS 23.040 §9.2.3.24).
pub const USER_DATA_SIZE_MAX: usize = 140;
/// Septets of GSM 7-bit text in one short message: 140 octets × 8 / 7.
pub const GSM7_SEPTETS_MAX: usize = 160;
/// Largest message_payload TLV value (its length field is 16 bits, SMPP 3.4 §5.3.2.32).
///
/// Cost: one payload `Vec` of this size per message in [`ConcatMode::MessagePayload`]. At the
/// bound: [`SplitError::PayloadOver`]; the caller answers the SP with `ESME_RINVMSGLEN`. Why:
/// the TLV cannot say more.
pub const MESSAGE_PAYLOAD_SIZE_MAX: usize = 65_535;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::reassembly::Reassembler;
    use crate::text::testing::{any_text, gsm_text};
    use crate::text::udh::{Concat, Udh};
    use proptest::prelude::*;

    const UNPACKED: Gsm7Packing = Gsm7Packing::Unpacked;

    fn options(mode: ConcatMode) -> SplitOptions {
        SplitOptions {
            mode,
            gsm7_packing: UNPACKED,
        }
    }

    const MODES: [ConcatMode; 3] = [
        ConcatMode::Udh8 { reference: 7 },
        ConcatMode::Udh16 { reference: 0x1234 },
        ConcatMode::Sar {
            sar_msg_ref_num: 99,
        },
    ];

    fn part_sizes(text: &str, coding: Coding, mode: ConcatMode) -> Vec<usize> {
        split_text(text, coding, options(mode))
            .unwrap()
            .iter()
            .map(|part| part.payload.len())
            .collect()
    }

    #[test]
    fn capacities_match_the_spec_table() {
        // Proves the single and concatenated budgets: 160/140/70, 153/134/67 with an 8-bit
        // reference UDH, 152/133/66 with a 16-bit one.
        assert_eq!(unit_capacity(Coding::Gsm7, 0), 160);
        assert_eq!(unit_capacity(Coding::Latin1, 0), 140);
        assert_eq!(unit_capacity(Coding::Ucs2, 0), 70);
        assert_eq!(unit_capacity(Coding::Gsm7, 6), 153);
        assert_eq!(unit_capacity(Coding::Binary, 6), 134);
        assert_eq!(unit_capacity(Coding::Ucs2, 6), 67);
        assert_eq!(unit_capacity(Coding::Gsm7, 7), 152);
        assert_eq!(unit_capacity(Coding::Latin1, 7), 133);
        assert_eq!(unit_capacity(Coding::Ucs2, 7), 66);
    }

    #[test]
    fn text_that_fits_one_message_is_never_split() {
        // Proves 160 septets, 140 Latin-1 octets and 70 UCS2 units make one part without UDH
        // or SAR, in every mode.
        for mode in MODES {
            for (text, coding) in [
                ("a".repeat(160), Coding::Gsm7),
                ("é".repeat(140), Coding::Latin1),
                ("ж".repeat(70), Coding::Ucs2),
            ] {
                let parts = split_text(&text, coding, options(mode)).unwrap();
                assert_eq!(parts.len(), 1);
                assert_eq!(
                    (parts[0].udh, parts[0].sar, parts[0].reference),
                    (None, None, None)
                );
                assert!(!parts[0].esm_class_udhi);
                assert_eq!(count_parts(&text, coding, options(mode)), Ok(1));
            }
        }
    }

    #[test]
    fn one_unit_over_splits_at_the_mode_budget() {
        // Proves 161 septets split 153+8 (8-bit UDH), 152+9 (16-bit UDH) and 160+1 (SAR); and
        // the same shape for Latin-1 (141 octets) and UCS2 (71 units, 2 octets each).
        let gsm = "a".repeat(161);
        assert_eq!(part_sizes(&gsm, Coding::Gsm7, MODES[0]), [153, 8]);
        assert_eq!(part_sizes(&gsm, Coding::Gsm7, MODES[1]), [152, 9]);
        assert_eq!(part_sizes(&gsm, Coding::Gsm7, MODES[2]), [160, 1]);
        let latin = "é".repeat(141);
        assert_eq!(part_sizes(&latin, Coding::Latin1, MODES[0]), [134, 7]);
        assert_eq!(part_sizes(&latin, Coding::Latin1, MODES[1]), [133, 8]);
        assert_eq!(part_sizes(&latin, Coding::Latin1, MODES[2]), [140, 1]);
        let ucs = "ж".repeat(71);
        assert_eq!(part_sizes(&ucs, Coding::Ucs2, MODES[0]), [134, 8]);
        assert_eq!(part_sizes(&ucs, Coding::Ucs2, MODES[1]), [132, 10]);
        assert_eq!(part_sizes(&ucs, Coding::Ucs2, MODES[2]), [140, 2]);
    }

    #[test]
    fn escape_sequence_is_never_cut() {
        // Proves an extension character that would straddle the 153-septet budget moves whole
        // to the next part: 152 'a' + '€' + 10 'a' splits 152 / 12.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        let parts = split_text(&text, Coding::Gsm7, options(MODES[0])).unwrap();
        assert_eq!(parts[0].payload.len(), 152);
        assert_eq!(&parts[1].payload[..2], &[0x1B, 0x65]);
        assert_eq!(parts[1].septet_count, Some(12));
    }

    #[test]
    fn surrogate_pair_is_never_cut() {
        // Proves an emoji (2 UTF-16 units) that would straddle the 67-unit budget moves whole:
        // 66 'ж' + '😀' + 'ж' x 4 splits 66 / 6 units.
        let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(4));
        let parts = split_text(&text, Coding::Ucs2, options(MODES[0])).unwrap();
        assert_eq!(parts[0].payload.len(), 132);
        assert_eq!(&parts[1].payload[..4], &[0xD8, 0x3D, 0xDE, 0x00]);
    }

    #[test]
    fn parts_carry_udh_or_sar_consistently() {
        // Proves the framing fields: UDH bytes with the right total and seqnum and UDHI set in
        // UDH modes; SAR TLV values and no UDH in SAR mode; short_message = UDH + payload.
        let text = "x".repeat(400);
        let parts = split_text(&text, Coding::Gsm7, options(MODES[0])).unwrap();
        assert_eq!(parts.len(), 3);
        for part in &parts {
            assert!(part.esm_class_udhi);
            assert_eq!(part.reference, Some(ConcatReference::Ref8(7)));
            let udh = part.udh.unwrap();
            assert_eq!(udh.as_bytes(), &[0x05, 0x00, 0x03, 7, 3, part.seqnum()]);
            let short_message = part.short_message();
            let (parsed, body) = Udh::parse(&short_message).unwrap();
            assert_eq!(
                parsed.concat(),
                Some(Concat {
                    reference: ConcatReference::Ref8(7),
                    total: 3,
                    seqnum: part.seqnum()
                })
            );
            assert_eq!(body, part.payload.as_slice());
        }
        let parts = split_text(&text, Coding::Gsm7, options(MODES[2])).unwrap();
        assert_eq!(parts.len(), 3);
        for part in &parts {
            assert!(!part.esm_class_udhi);
            assert_eq!(part.udh, None);
            assert_eq!(
                part.sar,
                Some(Sar {
                    sar_msg_ref_num: 99,
                    sar_total_segments: 3,
                    sar_segment_seqnum: part.seqnum()
                })
            );
            assert_eq!(part.short_message(), part.payload);
        }
    }

    #[test]
    fn packed_parts_start_after_the_fill_bits() {
        // Proves packed GSM payloads after a 6-octet UDH start with 1 fill bit, after a 7-octet
        // UDH with none, and that a whole message is packed with no fill.
        let text = "hellohello".repeat(17);
        let packed = |mode| SplitOptions {
            mode,
            gsm7_packing: Gsm7Packing::Packed,
        };
        let parts = split_text(&text, Coding::Gsm7, packed(MODES[0])).unwrap();
        let first_septets = gsm7::encode_unpacked(&text[..153]).unwrap();
        assert_eq!(parts[0].payload, gsm7::pack(&first_septets, 1));
        assert_eq!(parts[0].septet_count, Some(153));
        let parts = split_text(&text, Coding::Gsm7, packed(MODES[1])).unwrap();
        assert_eq!(parts[0].payload, gsm7::pack(&first_septets[..152], 0));
        let whole = split_text("hellohello", Coding::Gsm7, packed(MODES[0])).unwrap();
        assert_eq!(
            whole[0].payload,
            [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
    }

    #[test]
    fn more_than_255_parts_is_typed_error() {
        // Proves the CONCAT_PARTS_MAX bound: 255 full 8-bit-UDH parts fit, one septet more
        // needs 256 and is refused; count_parts agrees.
        let fits = "a".repeat(153 * 255);
        assert_eq!(
            split_text(&fits, Coding::Gsm7, options(MODES[0]))
                .unwrap()
                .len(),
            255
        );
        let over = "a".repeat(153 * 255 + 1);
        let error = SplitError::TooManyParts {
            needed: 256,
            max: 255,
        };
        assert_eq!(
            split_text(&over, Coding::Gsm7, options(MODES[0])),
            Err(error)
        );
        assert_eq!(
            count_parts(&over, Coding::Gsm7, options(MODES[0])),
            Err(error)
        );
        let binary = vec![0u8; 134 * 255 + 1];
        assert_eq!(split_binary(&binary, MODES[0]), Err(error));
    }

    #[test]
    fn message_payload_is_one_part_up_to_64k() {
        // Proves message_payload mode never splits, and refuses an encoding over 65,535 octets
        // (32,768 UCS2 units = 65,536 octets).
        let parts = split_text(
            &"a".repeat(1000),
            Coding::Gsm7,
            options(ConcatMode::MessagePayload),
        )
        .unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].payload.len(), 1000);
        let over = "ж".repeat(32_768);
        assert_eq!(
            split_text(&over, Coding::Ucs2, options(ConcatMode::MessagePayload)),
            Err(SplitError::PayloadOver {
                size: 65_536,
                max: 65_535
            })
        );
    }

    #[test]
    fn unencodable_text_and_binary_are_typed_errors() {
        // Proves the splitter reports the offending character, and refuses Binary as text.
        assert_eq!(
            split_text("ab😀", Coding::Gsm7, options(MODES[0])),
            Err(SplitError::Unencodable {
                ch: '😀',
                index: 2,
                coding: Coding::Gsm7
            })
        );
        assert_eq!(
            split_text("€", Coding::Latin1, options(MODES[0])),
            Err(SplitError::Unencodable {
                ch: '€',
                index: 0,
                coding: Coding::Latin1
            })
        );
        assert_eq!(
            split_text("a", Coding::Binary, options(MODES[0])),
            Err(SplitError::BinaryIsNotText)
        );
    }

    #[test]
    fn binary_splits_at_octet_budgets() {
        // Proves 8-bit data splits at 134 / 133 / 140 octets and stays whole up to 140.
        assert_eq!(split_binary(&[1; 140], MODES[0]).unwrap().len(), 1);
        let data: Vec<u8> = (0..=255).collect();
        for (mode, first) in MODES.into_iter().zip([134, 133, 140]) {
            let parts = split_binary(&data, mode).unwrap();
            assert_eq!(parts[0].payload.len(), first);
            let joined: Vec<u8> = parts.iter().flat_map(|part| part.payload.clone()).collect();
            assert_eq!(joined, data);
        }
    }

    /// Decodes each part on its own (proving no cut inside a character) and joins the text.
    fn decode_parts_alone(parts: &[Part], coding: Coding, packing: Gsm7Packing) -> String {
        let mut text = String::new();
        for part in parts {
            let fill = part.udh.map_or(0, |udh| gsm7::fill_bits_for(udh.size()));
            let piece = match (coding, packing) {
                (Coding::Gsm7, Gsm7Packing::Packed) => {
                    gsm7::decode_packed(&part.payload, part.septet_count.unwrap(), fill).unwrap()
                }
                _ => coding.decode(&part.payload).unwrap(),
            };
            text.push_str(&piece);
        }
        text
    }

    /// Feeds parts to a reassembler in the order given and returns the joined unpacked payload.
    fn reassemble(parts: &[Part], order: &[usize], packing: Gsm7Packing) -> Vec<u8> {
        if parts.len() == 1 {
            return unpacked_payload(&parts[0], packing);
        }
        let mut reassembler = Reassembler::new(4, 1_000);
        let mut completed = None;
        for &position in order {
            let part = &parts[position];
            let payload = unpacked_payload(part, packing);
            let result = reassembler
                .handle_part(
                    "sp-1",
                    part.reference.unwrap(),
                    part.total,
                    part.seqnum(),
                    &payload,
                    0,
                )
                .unwrap();
            if result.is_some() {
                assert!(completed.is_none());
                completed = result;
            }
        }
        completed.unwrap().payload()
    }

    fn unpacked_payload(part: &Part, packing: Gsm7Packing) -> Vec<u8> {
        match (packing, part.septet_count) {
            (Gsm7Packing::Packed, Some(count)) => {
                let fill = part.udh.map_or(0, |udh| gsm7::fill_bits_for(udh.size()));
                gsm7::unpack(&part.payload, count, fill).unwrap()
            }
            _ => part.payload.clone(),
        }
    }

    fn check_round_trip(
        text: &str,
        coding: Coding,
        mode: ConcatMode,
        packing: Gsm7Packing,
        seed: u64,
    ) {
        let options = SplitOptions {
            mode,
            gsm7_packing: packing,
        };
        let parts = split_text(text, coding, options).unwrap();
        assert_eq!(count_parts(text, coding, options), Ok(parts.len()));
        let capacity = if parts.len() == 1 {
            usize::MAX
        } else {
            multi_capacity(coding, mode)
        };
        for part in &parts {
            let units = match coding {
                Coding::Gsm7 => part.septet_count.unwrap(),
                Coding::Ucs2 => part.payload.len() / 2,
                _ => part.payload.len(),
            };
            assert!(units <= capacity, "units={units} capacity={capacity}");
            assert_eq!(usize::from(part.total), parts.len());
        }
        assert_eq!(decode_parts_alone(&parts, coding, packing), text);
        // A deterministic shuffle: rotate by the seed, then reverse odd seeds.
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.rotate_left((seed as usize) % parts.len());
        if seed % 2 == 1 {
            order.reverse();
        }
        let joined = reassemble(&parts, &order, packing);
        let decoded = match coding {
            Coding::Gsm7 => gsm7::decode_unpacked(&joined).unwrap(),
            _ => coding.decode(&joined).unwrap(),
        };
        assert_eq!(decoded, text);
    }

    proptest! {
        #[test]
        fn gsm_text_splits_and_reassembles_in_every_mode(
            text in gsm_text(0..1200),
            seed in any::<u64>(),
        ) {
            // Proves split → (unpack) → out-of-order reassembly → decode gives the text back for
            // GSM text with extension characters, in every mode and both packings, that each
            // part decodes alone (no cut escape) and stays within its budget.
            for mode in MODES.into_iter().chain([ConcatMode::MessagePayload]) {
                for packing in [Gsm7Packing::Unpacked, Gsm7Packing::Packed] {
                    check_round_trip(&text, Coding::Gsm7, mode, packing, seed);
                }
            }
        }

        #[test]
        fn any_text_splits_and_reassembles_as_ucs2(text in any_text(0..700), seed in any::<u64>()) {
            // Proves the same round trip for arbitrary Unicode (emoji included) as UCS2: no part
            // holds half a surrogate pair, every mode.
            for mode in MODES.into_iter().chain([ConcatMode::MessagePayload]) {
                check_round_trip(&text, Coding::Ucs2, mode, UNPACKED, seed);
            }
        }

        #[test]
        fn latin1_text_splits_and_reassembles(text in "[\\x00-\\xFF]{0,700}", seed in any::<u64>()) {
            // Proves the round trip for Latin-1 text in every mode.
            for mode in MODES.into_iter().chain([ConcatMode::MessagePayload]) {
                check_round_trip(&text, Coding::Latin1, mode, UNPACKED, seed);
            }
        }
    }
}
