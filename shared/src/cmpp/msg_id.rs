//! The 64-bit Msg_Id layout (CMPP V3.0 §8.4.3.2 and §8.4.5.1; the same in 2.0).
//!
//! From the most significant bit: month (4 bits, bit64..61), day (5), hour (5), minute (6),
//! second (6), ISMG code as an integer (22 bits, bit38..17; "079101" is 79101) and a sequence
//! (16 bits) that wraps. [`MsgId::pack`] checks every field's range; [`MsgId::unpack`] accepts
//! any 64-bit value, because a peer's Msg_Id is an opaque correlation key that we only read.

use thiserror::Error;

/// The fields of a Msg_Id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsgId {
    /// Month, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59.
    pub second: u8,
    /// ISMG (gateway) code as an integer, 0..=[`MsgId::ISMG_ID_MAX`].
    pub ismg_id: u32,
    /// Sequence number; wraps at 65,536.
    pub sequence: u16,
}

/// A Msg_Id field out of its range; nothing is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("Msg_Id field {field} = {value} is outside {min}..={max}")]
pub struct MsgIdError {
    /// Name of the field.
    pub field: &'static str,
    /// The value given.
    pub value: u32,
    /// Smallest legal value.
    pub min: u32,
    /// Largest legal value.
    pub max: u32,
}

impl MsgId {
    /// Largest ISMG code that fits the 22-bit field.
    pub const ISMG_ID_MAX: u32 = (1 << ISMG_ID_BITS) - 1;

    /// Packs the fields into the 64-bit Msg_Id, checking each range.
    pub fn pack(&self) -> Result<u64, MsgIdError> {
        check("month", self.month.into(), 1, 12)?;
        check("day", self.day.into(), 1, 31)?;
        check("hour", self.hour.into(), 0, 23)?;
        check("minute", self.minute.into(), 0, 59)?;
        check("second", self.second.into(), 0, 59)?;
        check("ismg_id", self.ismg_id, 0, MsgId::ISMG_ID_MAX)?;
        let mut packed = u64::from(self.month);
        packed = (packed << DAY_BITS) | u64::from(self.day);
        packed = (packed << HOUR_BITS) | u64::from(self.hour);
        packed = (packed << MINUTE_BITS) | u64::from(self.minute);
        packed = (packed << SECOND_BITS) | u64::from(self.second);
        packed = (packed << ISMG_ID_BITS) | u64::from(self.ismg_id);
        packed = (packed << SEQUENCE_BITS) | u64::from(self.sequence);
        Ok(packed)
    }

    /// Splits a 64-bit Msg_Id into its fields without judging them (a peer may send month 0).
    pub fn unpack(msg_id: u64) -> MsgId {
        let mut rest = msg_id;
        let sequence = take(&mut rest, SEQUENCE_BITS);
        let ismg_id = take(&mut rest, ISMG_ID_BITS);
        let second = take(&mut rest, SECOND_BITS);
        let minute = take(&mut rest, MINUTE_BITS);
        let hour = take(&mut rest, HOUR_BITS);
        let day = take(&mut rest, DAY_BITS);
        let month = take(&mut rest, MONTH_BITS);
        debug_assert_eq!(rest, 0);
        // Each `take` masks to at most 22 bits, so every narrowing below is lossless.
        MsgId {
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            ismg_id: ismg_id as u32,
            sequence: sequence as u16,
        }
    }
}

fn check(field: &'static str, value: u32, min: u32, max: u32) -> Result<(), MsgIdError> {
    if value < min || value > max {
        return Err(MsgIdError {
            field,
            value,
            min,
            max,
        });
    }
    Ok(())
}

/// Removes and returns the low `bits` bits of `rest`.
fn take(rest: &mut u64, bits: u32) -> u64 {
    let value = *rest & ((1u64 << bits) - 1);
    *rest >>= bits;
    value
}

const MONTH_BITS: u32 = 4;
const DAY_BITS: u32 = 5;
const HOUR_BITS: u32 = 5;
const MINUTE_BITS: u32 = 6;
const SECOND_BITS: u32 = 6;
const ISMG_ID_BITS: u32 = 22;
const SEQUENCE_BITS: u32 = 16;

const _: () = assert!(
    MONTH_BITS + DAY_BITS + HOUR_BITS + MINUTE_BITS + SECOND_BITS + ISMG_ID_BITS + SEQUENCE_BITS
        == 64
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn msg_id(
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        ismg_id: u32,
        sequence: u16,
    ) -> MsgId {
        MsgId {
            month,
            day,
            hour,
            minute,
            second,
            ismg_id,
            sequence,
        }
    }

    // Proves the bit positions against values worked out by hand from §8.4.3.2: each field
    // alone at its maximum lands in its own bit range.
    #[test]
    fn fields_land_in_their_spec_bit_ranges() {
        // month 12 = 0b1100 in bit64..61, day 1 in bit60..56 (lowest bit at 56, i.e. 1 << 55).
        assert_eq!(msg_id(12, 1, 0, 0, 0, 0, 0).pack(), Ok(0xC << 60 | 1 << 55));
        // day 31 fills bit60..56.
        assert_eq!(
            msg_id(1, 31, 0, 0, 0, 0, 0).pack(),
            Ok(1 << 60 | 0x1F << 55)
        );
        // hour 23 in bit55..51, minute 59 in bit50..45, second 59 in bit44..39.
        assert_eq!(
            msg_id(1, 1, 23, 59, 59, 0, 0).pack(),
            Ok(1 << 60 | 1 << 55 | 23 << 50 | 59 << 44 | 59 << 38)
        );
        // ISMG code all ones fills bit38..17, sequence all ones fills bit16..1.
        assert_eq!(
            msg_id(1, 1, 0, 0, 0, MsgId::ISMG_ID_MAX, u16::MAX).pack(),
            Ok(1 << 60 | 1 << 55 | 0x3F_FFFF << 16 | 0xFFFF)
        );
    }

    // Proves every range boundary: the last legal value packs, the first illegal one is a typed
    // error naming the field.
    #[test]
    fn pack_checks_every_range_boundary() {
        let valid = msg_id(12, 31, 23, 59, 59, MsgId::ISMG_ID_MAX, u16::MAX);
        assert_eq!(MsgId::unpack(valid.pack().unwrap()), valid);
        assert_eq!(msg_id(1, 1, 0, 0, 0, 0, 0).pack(), Ok(1 << 60 | 1 << 55));
        let cases = [
            (MsgId { month: 0, ..valid }, "month", 0),
            (MsgId { month: 13, ..valid }, "month", 13),
            (MsgId { day: 0, ..valid }, "day", 0),
            (MsgId { day: 32, ..valid }, "day", 32),
            (MsgId { hour: 24, ..valid }, "hour", 24),
            (
                MsgId {
                    minute: 60,
                    ..valid
                },
                "minute",
                60,
            ),
            (
                MsgId {
                    second: 60,
                    ..valid
                },
                "second",
                60,
            ),
            (
                MsgId {
                    ismg_id: MsgId::ISMG_ID_MAX + 1,
                    ..valid
                },
                "ismg_id",
                1 << 22,
            ),
        ];
        for (id, field, value) in cases {
            let error = id.pack().unwrap_err();
            assert_eq!((error.field, error.value), (field, value), "{id:?}");
        }
    }

    // Proves a realistic id from an ISMG code "079101" packs and unpacks unchanged.
    #[test]
    fn ismg_code_079101_round_trips() {
        let id = msg_id(6, 30, 14, 5, 9, 79_101, 4_242);
        let packed = id.pack().unwrap();
        assert_eq!(MsgId::unpack(packed), id);
        assert_eq!((packed >> 16) & 0x3F_FFFF, 79_101);
        assert_eq!(packed & 0xFFFF, 4_242);
    }

    proptest! {
        // Proves unpack then pack is the identity for every 64-bit value whose fields are in
        // range, and that unpack never panics on any value.
        #[test]
        fn unpack_then_pack_is_identity_when_in_range(raw in any::<u64>()) {
            let id = MsgId::unpack(raw);
            match id.pack() {
                Ok(packed) => prop_assert_eq!(packed, raw),
                Err(error) => prop_assert!(error.value < error.min || error.value > error.max),
            }
        }

        // Proves pack then unpack is the identity for every in-range field combination.
        #[test]
        fn pack_then_unpack_is_identity(
            month in 1u8..=12, day in 1u8..=31, hour in 0u8..=23, minute in 0u8..=59,
            second in 0u8..=59, ismg_id in 0..=MsgId::ISMG_ID_MAX, sequence in any::<u16>(),
        ) {
            let id = msg_id(month, day, hour, minute, second, ismg_id, sequence);
            prop_assert_eq!(MsgId::unpack(id.pack().unwrap()), id);
        }
    }
}
