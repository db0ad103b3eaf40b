//! CMPP_CONNECT authentication (CMPP V3.0 §8.4.1.1 and §8.4.1.2; the same in 2.0 apart from
//! the width of Status).
//!
//! - AuthenticatorSource = MD5(Source_Addr + 9 zero octets + shared secret + timestamp), where
//!   the timestamp is "MMDDHHMMSS" as 10 ASCII digits and CMPP_CONNECT's Timestamp field carries
//!   the same number as an unsigned integer.
//! - AuthenticatorISMG = MD5(Status + AuthenticatorSource + shared secret), with Status in its
//!   wire form: 1 octet in 2.0, 4 octets big-endian in 3.0 (where the field is 4 octets).
//!
//! Time is an argument: the caller reads its clock and passes the fields. Comparisons of
//! received authenticators run in constant time.

use md5::{Digest, Md5};
use thiserror::Error;

use super::{CmppVersion, ConnectStatus};

/// The "MMDDHHMMSS" time of a CMPP_CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectTimestamp {
    /// Month, 1..=12.
    pub month: u8,
    /// Day, 1..=the month's length (29 for February, as the year is unknown).
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59.
    pub second: u8,
}

/// A timestamp field out of range, or a Timestamp value that is not a valid MMDDHHMMSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("timestamp field {field} = {value} is out of range")]
pub struct TimestampError {
    /// Name of the field.
    pub field: &'static str,
    /// The value given (for `value`, the whole Timestamp).
    pub value: u32,
}

impl ConnectTimestamp {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), TimestampError> {
        let day_max = match self.month {
            1..=12 => DAYS_IN_MONTH_MAX[usize::from(self.month - 1)],
            _ => {
                return Err(TimestampError {
                    field: "month",
                    value: self.month.into(),
                });
            }
        };
        let fields = [
            ("day", self.day, 1, day_max),
            ("hour", self.hour, 0, 23),
            ("minute", self.minute, 0, 59),
            ("second", self.second, 0, 59),
        ];
        for (field, value, min, max) in fields {
            if value < min || value > max {
                return Err(TimestampError {
                    field,
                    value: value.into(),
                });
            }
        }
        Ok(())
    }

    /// The Timestamp field's value, MMDDHHMMSS read as a decimal number.
    pub fn to_u32(&self) -> Result<u32, TimestampError> {
        self.validate()?;
        let parts = [self.month, self.day, self.hour, self.minute, self.second];
        Ok(parts
            .iter()
            .fold(0u32, |value, &part| value * 100 + u32::from(part)))
    }

    /// Splits a received Timestamp value, e.g. for a freshness check against the caller's clock.
    pub fn from_u32(value: u32) -> Result<ConnectTimestamp, TimestampError> {
        if value > 1_231_235_959 {
            return Err(TimestampError {
                field: "value",
                value,
            });
        }
        // Each part is value / 10^k % 100, so it is under 100 and fits a u8.
        let part = |divisor: u32| (value / divisor % 100) as u8;
        let timestamp = ConnectTimestamp {
            month: part(100_000_000),
            day: part(1_000_000),
            hour: part(10_000),
            minute: part(100),
            second: part(1),
        };
        timestamp.validate()?;
        Ok(timestamp)
    }
}

/// The Timestamp field for a CMPP_CONNECT sent at the given time.
pub fn timestamp(
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
) -> Result<u32, TimestampError> {
    ConnectTimestamp {
        month,
        day,
        hour,
        minute,
        second,
    }
    .to_u32()
}

/// AuthenticatorSource for `source_addr` (the SP_Id, without padding), the shared secret and
/// the Timestamp field value.
pub fn authenticator_source(source_addr: &[u8], shared_secret: &[u8], timestamp: u32) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(source_addr);
    md5.update([0u8; 9]);
    md5.update(shared_secret);
    md5.update(timestamp_digits(timestamp));
    md5.finalize().into()
}

/// AuthenticatorISMG for a CONNECT_RESP with `status`, Status taken in its `version` wire form.
pub fn authenticator_ismg(
    version: CmppVersion,
    status: ConnectStatus,
    authenticator_source: &[u8; 16],
    shared_secret: &[u8],
) -> [u8; 16] {
    let mut md5 = Md5::new();
    match version {
        // A 2.0 Status is one octet; wider values cannot be sent, so hash the low octet the
        // encoder would refuse to write anyway.
        CmppVersion::V2_0 => md5.update([status.0.to_be_bytes()[3]]),
        CmppVersion::V3_0 => md5.update(status.0.to_be_bytes()),
    }
    md5.update(authenticator_source);
    md5.update(shared_secret);
    md5.finalize().into()
}

/// Whether a received AuthenticatorSource matches, compared in constant time (server side).
pub fn verify_authenticator_source(
    received: &[u8; 16],
    source_addr: &[u8],
    shared_secret: &[u8],
    timestamp: u32,
) -> bool {
    constant_time_eq(
        received,
        &authenticator_source(source_addr, shared_secret, timestamp),
    )
}

/// Whether a received AuthenticatorISMG matches, compared in constant time (client side).
///
/// Tolerance: for 3.0 the one-octet Status form is accepted too, because deployed ISMGs
/// differ on whether the 3.0 hash takes Status as 1 or 4 octets. Both forms need the secret.
pub fn verify_authenticator_ismg(
    received: &[u8; 16],
    version: CmppVersion,
    status: ConnectStatus,
    authenticator_source: &[u8; 16],
    shared_secret: &[u8],
) -> bool {
    let wire_form = authenticator_ismg(version, status, authenticator_source, shared_secret);
    let matches_wire_form = constant_time_eq(received, &wire_form);
    let matches_one_octet_form = match version {
        CmppVersion::V2_0 => false,
        CmppVersion::V3_0 => constant_time_eq(
            received,
            &authenticator_ismg(
                CmppVersion::V2_0,
                status,
                authenticator_source,
                shared_secret,
            ),
        ),
    };
    matches_wire_form | matches_one_octet_form
}

/// Compares without an early exit, so timing does not reveal how many leading octets match.
fn constant_time_eq(a: &[u8; 16], b: &[u8; 16]) -> bool {
    let difference = a
        .iter()
        .zip(b)
        .fold(0u8, |difference, (x, y)| difference | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// The Timestamp value as 10 ASCII digits, zero-padded on the left ("0102030405").
fn timestamp_digits(timestamp: u32) -> [u8; 10] {
    let mut digits = [b'0'; 10];
    let mut rest = timestamp;
    for digit in digits.iter_mut().rev() {
        // `rest % 10` is under 10.
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

/// Longest day of each month; February allows 29 because MMDDHHMMSS carries no year.
const DAYS_IN_MONTH_MAX: [u8; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with Python 3:
    /// `hashlib.md5(b"901234" + b"\0" * 9 + b"secret" + b"0102030405").hexdigest()`.
    const SOURCE_VECTOR: [u8; 16] = [
        0x1c, 0x39, 0xdf, 0x8b, 0x9c, 0x01, 0x79, 0x8a, 0x8f, 0x35, 0xc3, 0xc7, 0x85, 0xcf, 0x91,
        0xce,
    ];
    /// `hashlib.md5(b"\0" + SOURCE_VECTOR + b"secret").hexdigest()` (2.0, Status 0 as 1 octet).
    const ISMG_VECTOR_V2: [u8; 16] = [
        0x9e, 0x21, 0xb4, 0xca, 0x73, 0xef, 0x61, 0x0a, 0xd7, 0xe2, 0xa0, 0xc6, 0x99, 0x0e, 0x10,
        0x98,
    ];
    /// `hashlib.md5(b"\0\0\0\0" + SOURCE_VECTOR + b"secret").hexdigest()` (3.0, 4 octets).
    const ISMG_VECTOR_V3: [u8; 16] = [
        0xe9, 0xed, 0x19, 0x83, 0x50, 0x95, 0x2c, 0xc8, 0x9c, 0xfd, 0xfb, 0x0c, 0x74, 0x7e, 0x84,
        0x38,
    ];

    // Proves AuthenticatorSource matches an MD5 computed outside this code (Python hashlib) for
    // SP_Id 901234, secret "secret", 01-02 03:04:05, including the left-padded "0102030405".
    #[test]
    fn authenticator_source_matches_independent_md5() {
        let timestamp = timestamp(1, 2, 3, 4, 5).unwrap();
        assert_eq!(timestamp, 102_030_405);
        assert_eq!(timestamp_digits(timestamp), *b"0102030405");
        assert_eq!(
            authenticator_source(b"901234", b"secret", timestamp),
            SOURCE_VECTOR
        );
        assert!(verify_authenticator_source(
            &SOURCE_VECTOR,
            b"901234",
            b"secret",
            timestamp
        ));
        assert!(!verify_authenticator_source(
            &SOURCE_VECTOR,
            b"901234",
            b"secreT",
            timestamp
        ));
        assert!(!verify_authenticator_source(
            &SOURCE_VECTOR,
            b"901234",
            b"secret",
            timestamp + 1
        ));
    }

    // Proves AuthenticatorISMG takes Status at the version's width (1 octet in 2.0, 4 in 3.0)
    // against Python hashlib vectors, and that 3.0 verification also accepts the 1-octet form.
    #[test]
    fn authenticator_ismg_uses_version_status_width() {
        let ok = ConnectStatus::OK;
        assert_eq!(
            authenticator_ismg(CmppVersion::V2_0, ok, &SOURCE_VECTOR, b"secret"),
            ISMG_VECTOR_V2
        );
        assert_eq!(
            authenticator_ismg(CmppVersion::V3_0, ok, &SOURCE_VECTOR, b"secret"),
            ISMG_VECTOR_V3
        );
        assert!(verify_authenticator_ismg(
            &ISMG_VECTOR_V2,
            CmppVersion::V2_0,
            ok,
            &SOURCE_VECTOR,
            b"secret"
        ));
        assert!(verify_authenticator_ismg(
            &ISMG_VECTOR_V3,
            CmppVersion::V3_0,
            ok,
            &SOURCE_VECTOR,
            b"secret"
        ));
        assert!(verify_authenticator_ismg(
            &ISMG_VECTOR_V2,
            CmppVersion::V3_0,
            ok,
            &SOURCE_VECTOR,
            b"secret"
        ));
        assert!(!verify_authenticator_ismg(
            &ISMG_VECTOR_V3,
            CmppVersion::V2_0,
            ok,
            &SOURCE_VECTOR,
            b"secret"
        ));
        assert!(!verify_authenticator_ismg(
            &ISMG_VECTOR_V3,
            CmppVersion::V3_0,
            ok,
            &SOURCE_VECTOR,
            b"other"
        ));
    }

    // Proves timestamp validation at every boundary, including short months, and that a
    // received value splits back into its fields.
    #[test]
    fn timestamp_checks_ranges_and_splits_back() {
        assert_eq!(timestamp(12, 31, 23, 59, 59), Ok(1_231_235_959));
        assert_eq!(timestamp(2, 29, 0, 0, 0), Ok(229_000_000));
        let bad = [
            (timestamp(0, 1, 0, 0, 0), "month"),
            (timestamp(13, 1, 0, 0, 0), "month"),
            (timestamp(1, 0, 0, 0, 0), "day"),
            (timestamp(2, 30, 0, 0, 0), "day"),
            (timestamp(4, 31, 0, 0, 0), "day"),
            (timestamp(1, 1, 24, 0, 0), "hour"),
            (timestamp(1, 1, 0, 60, 0), "minute"),
            (timestamp(1, 1, 0, 0, 60), "second"),
        ];
        for (result, field) in bad {
            assert_eq!(result.unwrap_err().field, field);
        }
        let split = ConnectTimestamp::from_u32(1_231_235_959).unwrap();
        assert_eq!(split.to_u32(), Ok(1_231_235_959));
        assert_eq!(ConnectTimestamp::from_u32(102_030_405).unwrap().month, 1);
        assert!(ConnectTimestamp::from_u32(1_231_235_960).is_err());
        assert!(ConnectTimestamp::from_u32(0).is_err());
        assert!(ConnectTimestamp::from_u32(u32::MAX).is_err());
    }
}
