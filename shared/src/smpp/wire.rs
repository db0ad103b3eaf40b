//! Field-level reading and writing of SMPP bodies (SMPP v3.4 §3.1 data types).
//!
//! HOT PATH: no allocation, no logging. The reader returns views into the frame; the writer
//! appends to a caller's buffer, which the caller sizes once.

use super::error::{DecodeError, EncodeError, Field};

/// A cursor over one PDU body that returns views into it.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], position: usize) -> Reader<'a> {
        debug_assert!(position <= bytes.len());
        Reader { bytes, position }
    }

    pub(crate) fn position(&self) -> usize {
        self.position
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.position == self.bytes.len()
    }

    pub(crate) fn u8(&mut self, field: Field) -> Result<u8, DecodeError> {
        let value = *self
            .bytes
            .get(self.position)
            .ok_or(DecodeError::FieldTruncated(field))?;
        self.position += 1;
        Ok(value)
    }

    pub(crate) fn u32(&mut self, field: Field) -> Result<u32, DecodeError> {
        let bytes = self.octets(field, 4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub(crate) fn octets(&mut self, field: Field, size: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .position
            .checked_add(size)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(DecodeError::FieldTruncated(field))?;
        let value = &self.bytes[self.position..end];
        self.position = end;
        Ok(value)
    }

    /// Reads a C-octet string of at most `size_max` octets including its NUL and returns it
    /// without the NUL.
    pub(crate) fn c_octet(
        &mut self,
        field: Field,
        size_max: usize,
    ) -> Result<&'a [u8], DecodeError> {
        debug_assert!(size_max >= 1);
        let rest = &self.bytes[self.position..];
        let window = &rest[..rest.len().min(size_max)];
        match window.iter().position(|byte| *byte == 0) {
            Some(size) => {
                self.position += size + 1;
                Ok(&window[..size])
            }
            None if window.len() < size_max => Err(DecodeError::FieldTruncated(field)),
            None => Err(DecodeError::CStringTooLong { field, size_max }),
        }
    }

    /// Bytes the cursor has already passed: `size` octets from `start`.
    pub(crate) fn slice(&self, start: usize, size: usize) -> &'a [u8] {
        debug_assert!(start + size <= self.position);
        &self.bytes[start..start + size]
    }

    /// The bytes after the cursor (the TLV region).
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.position..];
        self.position = self.bytes.len();
        rest
    }
}

/// Appends a C-octet string, refusing values over `size_max` (NUL included) or with a NUL.
pub(crate) fn put_c_octet(
    out: &mut Vec<u8>,
    field: Field,
    value: &[u8],
    size_max: usize,
) -> Result<(), EncodeError> {
    if value.len() >= size_max {
        return Err(EncodeError::CStringTooLong {
            field,
            size: value.len(),
            size_max,
        });
    }
    if value.contains(&0) {
        return Err(EncodeError::EmbeddedNul(field));
    }
    out.extend_from_slice(value);
    out.push(0);
    Ok(())
}

/// Validates a TON (SMPP v3.4 §5.2.5: 0 to 6).
pub(crate) fn check_ton(field: Field, value: u8) -> Result<u8, DecodeError> {
    if value <= 6 {
        Ok(value)
    } else {
        Err(DecodeError::InvalidValue {
            field,
            value: u32::from(value),
        })
    }
}

/// Validates an NPI (SMPP v3.4 §5.2.6 and v5.0 §4.7.2: 0, 1, 3, 4, 6, 8, 9, 10, 14, 18).
pub(crate) fn check_npi(field: Field, value: u8) -> Result<u8, DecodeError> {
    if matches!(value, 0 | 1 | 3 | 4 | 6 | 8 | 9 | 10 | 14 | 18) {
        Ok(value)
    } else {
        Err(DecodeError::InvalidValue {
            field,
            value: u32::from(value),
        })
    }
}

/// Validates an SMPP time (SMPP v3.4 §7.1.1): empty, or `YYMMDDhhmmsstnnp` where p is `+` or
/// `-` (absolute, with range checks) or `R` (relative).
pub(crate) fn check_time(field: Field, value: &[u8]) -> Result<(), DecodeError> {
    if value.is_empty() {
        return Ok(());
    }
    let Some(time) = value.first_chunk::<16>().filter(|_| value.len() == 16) else {
        return Err(DecodeError::InvalidTime(field));
    };
    if !time[..15].iter().all(u8::is_ascii_digit) {
        return Err(DecodeError::InvalidTime(field));
    }
    let pair = |index: usize| (time[index] - b'0') * 10 + (time[index + 1] - b'0');
    match time[15] {
        b'R' => Ok(()),
        b'+' | b'-' => {
            let valid = (1..=12).contains(&pair(2))
                && (1..=31).contains(&pair(4))
                && pair(6) < 24
                && pair(8) < 60
                && pair(10) < 60
                && pair(13) <= 48;
            if valid {
                Ok(())
            } else {
                Err(DecodeError::InvalidTime(field))
            }
        }
        _ => Err(DecodeError::InvalidTime(field)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves C-octet strings are read up to their NUL, and that a missing NUL is "truncated"
    // when the body ends and "too long" when the maximum is reached first.
    #[test]
    fn c_octet_reads_to_nul_and_bounds_the_size() {
        let mut reader = Reader::new(b"abc\0\0xyz", 0);
        assert_eq!(reader.c_octet(Field::system_id, 16).unwrap(), b"abc");
        assert_eq!(reader.c_octet(Field::password, 9).unwrap(), b"");
        assert_eq!(
            reader.c_octet(Field::system_type, 13),
            Err(DecodeError::FieldTruncated(Field::system_type))
        );
        let mut reader = Reader::new(b"0123456789\0", 0);
        assert_eq!(
            reader.c_octet(Field::password, 9),
            Err(DecodeError::CStringTooLong {
                field: Field::password,
                size_max: 9
            })
        );
        let mut reader = Reader::new(b"01234567\0", 0);
        assert_eq!(reader.c_octet(Field::password, 9).unwrap(), b"01234567");
    }

    // Proves the encoder refuses a value that needs more than size_max octets with its NUL.
    #[test]
    fn put_c_octet_refuses_overlong_and_nul() {
        let mut out = Vec::new();
        assert!(put_c_octet(&mut out, Field::password, b"12345678", 9).is_ok());
        assert!(put_c_octet(&mut out, Field::password, b"123456789", 9).is_err());
        assert_eq!(
            put_c_octet(&mut out, Field::password, b"a\0b", 9),
            Err(EncodeError::EmbeddedNul(Field::password))
        );
        assert_eq!(out, b"12345678\0");
    }

    // Proves SMPP times are accepted in their absolute and relative forms and rejected otherwise.
    #[test]
    fn smpp_times_are_validated() {
        let field = Field::validity_period;
        assert!(check_time(field, b"").is_ok());
        assert!(check_time(field, b"251224153000004+").is_ok());
        assert!(check_time(field, b"000002000000000R").is_ok());
        assert!(check_time(field, b"251324153000004+").is_err(), "month 13");
        assert!(check_time(field, b"251224153000049-").is_err(), "offset 49");
        assert!(check_time(field, b"25122415300000+").is_err(), "short");
        assert!(
            check_time(field, b"251224153000004X").is_err(),
            "bad suffix"
        );
        assert!(check_time(field, b"2512241530a0004+").is_err(), "non-digit");
    }

    // Proves TON and NPI accept exactly the spec's values.
    #[test]
    fn ton_and_npi_accept_the_spec_values() {
        let tons: Vec<u8> = (0..=255)
            .filter(|v| check_ton(Field::addr_ton, *v).is_ok())
            .collect();
        assert_eq!(tons, vec![0, 1, 2, 3, 4, 5, 6]);
        let npis: Vec<u8> = (0..=255)
            .filter(|v| check_npi(Field::addr_npi, *v).is_ok())
            .collect();
        assert_eq!(npis, vec![0, 1, 3, 4, 6, 8, 9, 10, 14, 18]);
    }
}
