//! Which SP owns an MO message: its destination address (the short code the subscriber
//! texted) names the account.
//!
//! Codes are exact (`12345`) or prefixes (`1069001*`: the code and any extension after it, as
//! CMPP SP access codes are extended per service). An exact code wins over any prefix, and the
//! longest prefix wins among prefixes. Lookup costs at most one hash probe per destination
//! digit plus one, with no allocation.

use std::collections::HashMap;

use thiserror::Error;

use crate::admission::AccountId;

/// One short code of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortCode {
    /// The digits (without the `*`).
    pub code: String,
    /// Whether longer destinations starting with the code match too.
    pub prefix: bool,
    /// The owner.
    pub account: AccountId,
}

impl ShortCode {
    /// Reads the config form: digits, with a trailing `*` for a prefix code.
    pub fn parse(text: &str, account: AccountId) -> Result<ShortCode, ShortCodeError> {
        let (code, prefix) = match text.strip_suffix('*') {
            Some(code) => (code, true),
            None => (text, false),
        };
        if code.is_empty() || code.len() > SHORT_CODE_DIGITS_MAX {
            return Err(ShortCodeError::Length {
                code: text.to_owned(),
                max: SHORT_CODE_DIGITS_MAX,
            });
        }
        if !code.bytes().all(|octet| octet.is_ascii_digit()) {
            return Err(ShortCodeError::NotDigits {
                code: text.to_owned(),
            });
        }
        Ok(ShortCode {
            code: code.to_owned(),
            prefix,
            account,
        })
    }
}

/// Why a short code table cannot be built (an operator error).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShortCodeError {
    /// Empty or over [`SHORT_CODE_DIGITS_MAX`] digits.
    #[error("short code \"{code}\" must have 1 to {max} digits")]
    Length {
        /// The code as given.
        code: String,
        /// [`SHORT_CODE_DIGITS_MAX`].
        max: usize,
    },
    /// Something other than digits (and a trailing `*`).
    #[error("short code \"{code}\" must be digits, with an optional trailing *")]
    NotDigits {
        /// The code as given.
        code: String,
    },
    /// The same code (and kind) twice.
    #[error("short code \"{code}\" is given to two accounts")]
    Duplicate {
        /// The repeated code.
        code: String,
    },
}

/// Destination address to account; built once per config version.
#[derive(Debug, Default)]
pub struct ShortCodeTable {
    exact: HashMap<String, AccountId>,
    prefixes: HashMap<String, AccountId>,
    prefix_len_max: usize,
}

impl ShortCodeTable {
    /// Builds the table; a code given twice (of the same kind) is an error.
    pub fn new(codes: Vec<ShortCode>) -> Result<ShortCodeTable, ShortCodeError> {
        let mut table = ShortCodeTable::default();
        for short_code in codes {
            let ShortCode {
                code,
                prefix,
                account,
            } = short_code;
            assert!(!code.is_empty() && code.len() <= SHORT_CODE_DIGITS_MAX);
            let map = if prefix {
                table.prefix_len_max = table.prefix_len_max.max(code.len());
                &mut table.prefixes
            } else {
                &mut table.exact
            };
            if map.contains_key(&code) {
                return Err(ShortCodeError::Duplicate { code });
            }
            map.insert(code, account);
        }
        Ok(table)
    }

    /// The account owning `destination_addr`, if any.
    pub fn route(&self, destination_addr: &str) -> Option<AccountId> {
        if let Some(&account) = self.exact.get(destination_addr) {
            return Some(account);
        }
        let longest = destination_addr.len().min(self.prefix_len_max);
        (1..=longest)
            .rev()
            .filter_map(|len| destination_addr.get(..len))
            .find_map(|prefix| self.prefixes.get(prefix).copied())
    }
}

/// Most digits in a short code.
///
/// Cost: none beyond the code's own string. At the bound: [`ShortCodeError::Length`] and the
/// config is refused. Why: SMPP addresses are at most 20 digits (`ADDRESS_DIGITS_MAX` in the
/// config limits; destination_addr is a 21-octet C-Octet String).
pub const SHORT_CODE_DIGITS_MAX: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn table(codes: &[(&str, u32)]) -> ShortCodeTable {
        let codes = codes
            .iter()
            .map(|&(code, account)| ShortCode::parse(code, AccountId(account)).unwrap())
            .collect();
        ShortCodeTable::new(codes).unwrap()
    }

    #[test]
    fn mo_goes_to_the_account_owning_the_short_code() {
        // Proves exact codes route only their own destination, the longest prefix wins among
        // prefixes, an exact code beats a prefix, and an unknown destination has no owner.
        let table = table(&[
            ("12345", 1),
            ("1069", 2),
            ("1069*", 3),
            ("106900*", 4),
            ("10690012", 5),
        ]);
        assert_eq!(table.route("12345"), Some(AccountId(1)));
        assert_eq!(table.route("123456"), None);
        assert_eq!(table.route("1234"), None);
        assert_eq!(table.route("1069"), Some(AccountId(2)));
        assert_eq!(table.route("10691"), Some(AccountId(3)));
        assert_eq!(table.route("1069001"), Some(AccountId(4)));
        assert_eq!(table.route("10690012"), Some(AccountId(5)));
        assert_eq!(table.route("106900123"), Some(AccountId(4)));
        assert_eq!(table.route(""), None);
        assert_eq!(table.route("99999"), None);
        assert_eq!(table.route("1069é"), Some(AccountId(3)));
    }

    #[test]
    fn bad_short_codes_are_refused() {
        // Proves the operator errors: empty, too long, non-digits, and a code given twice.
        let account = AccountId(0);
        assert!(matches!(
            ShortCode::parse("", account),
            Err(ShortCodeError::Length { .. })
        ));
        assert!(matches!(
            ShortCode::parse("*", account),
            Err(ShortCodeError::Length { .. })
        ));
        assert!(matches!(
            ShortCode::parse(&"1".repeat(21), account),
            Err(ShortCodeError::Length { .. })
        ));
        assert!(matches!(
            ShortCode::parse("12a4", account),
            Err(ShortCodeError::NotDigits { .. })
        ));
        assert!(matches!(
            ShortCode::parse("1*2", account),
            Err(ShortCodeError::NotDigits { .. })
        ));
        let twice = vec![
            ShortCode::parse("555", AccountId(1)).unwrap(),
            ShortCode::parse("555", AccountId(2)).unwrap(),
        ];
        assert_eq!(
            ShortCodeTable::new(twice).unwrap_err(),
            ShortCodeError::Duplicate {
                code: "555".to_owned()
            }
        );
        let kinds = vec![
            ShortCode::parse("555", AccountId(1)).unwrap(),
            ShortCode::parse("555*", AccountId(2)).unwrap(),
        ];
        assert!(ShortCodeTable::new(kinds).is_ok());
    }
}
