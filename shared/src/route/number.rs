//! Destination numbers as the router reads them: ASCII decimal digits, one optional leading `+`
//! that is ignored, at most [`NUMBER_DIGITS_MAX`] digits.
//!
//! The destination comes from the SP (SMPP destination_addr, CMPP Dest_terminal_Id), so every
//! byte string gives a [`Digits`] or a [`NumberError`], never a panic.

// HOT PATH: parsed once per message. No allocation, no logging.

use thiserror::Error;

use super::NUMBER_DIGITS_MAX;

/// A validated destination: a view of 1 to [`NUMBER_DIGITS_MAX`] ASCII digits, `+` removed.
/// Borrowed, not copied: a lookup reads the digits where the PDU decoder left them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digits<'a> {
    ascii: &'a [u8],
}

impl<'a> Digits<'a> {
    /// Parses an ASCII number such as `b"+8613800138000"`.
    pub fn parse(number: &'a [u8]) -> Result<Digits<'a>, NumberError> {
        let ascii = number.strip_prefix(b"+").unwrap_or(number);
        if ascii.is_empty() {
            return Err(NumberError::Empty);
        }
        if ascii.len() > NUMBER_DIGITS_MAX {
            return Err(NumberError::DigitsOver {
                got: ascii.len(),
                max: NUMBER_DIGITS_MAX,
            });
        }
        if let Some(index) = ascii.iter().position(|byte| !byte.is_ascii_digit()) {
            let offset = number.len() - ascii.len();
            return Err(NumberError::NonDigit {
                index: index + offset,
                byte: ascii[index],
            });
        }
        Ok(Digits { ascii })
    }

    /// The digits as ASCII (`b'0'` to `b'9'`), most significant first.
    pub fn as_ascii(&self) -> &'a [u8] {
        self.ascii
    }

    /// How many digits there are (1 to [`NUMBER_DIGITS_MAX`]).
    pub fn count(&self) -> usize {
        self.ascii.len()
    }
}

/// The value 0-9 of an ASCII digit (`b'0'` is 0x30, so the low nibble is the value).
pub(crate) fn digit_value(ascii: u8) -> u8 {
    debug_assert!(ascii.is_ascii_digit());
    ascii & 0x0F
}

impl std::fmt::Debug for Digits<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digits(\"{}\")", self.ascii.escape_ascii())
    }
}

/// Why a destination is not a routable number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NumberError {
    /// Nothing but an optional `+`.
    #[error("the number has no digits")]
    Empty,
    /// A byte other than an ASCII digit (a leading `+` is allowed).
    #[error("byte 0x{byte:02X} at index {index} is not a decimal digit")]
    NonDigit {
        /// Index of the byte in the number as given, `+` included.
        index: usize,
        /// The offending byte.
        byte: u8,
    },
    /// More digits than any number has.
    #[error("the number has {got} digits, over the maximum of {max}")]
    DigitsOver {
        /// Digits given, `+` excluded.
        got: usize,
        /// [`NUMBER_DIGITS_MAX`].
        max: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves a leading '+' is dropped and the digits keep their order and values 0-9.
    #[test]
    fn plus_is_ignored_and_digits_are_values() {
        let digits = Digits::parse(b"+8613").unwrap();
        assert_eq!(digits.as_ascii(), b"8613");
        let values: Vec<u8> = digits.as_ascii().iter().map(|&d| digit_value(d)).collect();
        assert_eq!(values, [8, 6, 1, 3]);
        assert_eq!(Digits::parse(b"8613").unwrap(), digits);
        assert_eq!(digits.count(), 4);
        assert_eq!(format!("{digits:?}"), "Digits(\"8613\")");
    }

    // Proves each malformed shape gets its own error: empty, '+' alone, a second '+', a
    // non-digit (with its index counted in the input as given), and one digit too many.
    #[test]
    fn malformed_numbers_are_typed_errors() {
        assert_eq!(Digits::parse(b""), Err(NumberError::Empty));
        assert_eq!(Digits::parse(b"+"), Err(NumberError::Empty));
        assert_eq!(
            Digits::parse(b"++1"),
            Err(NumberError::NonDigit {
                index: 1,
                byte: b'+'
            })
        );
        assert_eq!(
            Digits::parse(b"+86 13"),
            Err(NumberError::NonDigit {
                index: 3,
                byte: b' '
            })
        );
        let longest = [b'9'; NUMBER_DIGITS_MAX];
        assert!(Digits::parse(&longest).is_ok());
        let over = [b'9'; NUMBER_DIGITS_MAX + 1];
        assert_eq!(
            Digits::parse(&over),
            Err(NumberError::DigitsOver {
                got: NUMBER_DIGITS_MAX + 1,
                max: NUMBER_DIGITS_MAX
            })
        );
    }
}
