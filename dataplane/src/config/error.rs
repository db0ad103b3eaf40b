//! Operator errors of the config loader: every problem in a file, each with where it is.
//!
//! Loading never stops at the first problem (STYLE.md §3 "Config errors are collected"): the
//! walker records a [`ConfigError`] per bad key and keeps going, and [`ConfigErrors`] holds them
//! all, at most [`CONFIG_ERRORS_MAX`] listed. Messages carry the offending value and the
//! expected shape; secrets (`password`, `shared_secret`) are never echoed.

use std::fmt;

use super::limits::CONFIG_ERRORS_MAX;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: a key path as the file spells it (`account[2].allowed_ips[0]`, `node.id`), or
    /// `line L, column C` for a syntax error, or the file's path when it cannot be read.
    pub at: String,
    /// What is wrong, with the value found and the shape expected.
    pub kind: ConfigErrorKind,
}

/// What is wrong with a key (or the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    /// The file could not be opened or read.
    #[error("cannot read the config file: {reason}")]
    Unreadable {
        /// The operating system's reason.
        reason: String,
    },
    /// The file is over [`super::limits::CONFIG_FILE_SIZE_MAX`].
    #[error("the config file is over {max} bytes")]
    FileTooLarge {
        /// The limit in bytes.
        max: u64,
    },
    /// Not valid TOML (or not UTF-8); `at` holds the line and column.
    #[error("TOML syntax: {message}")]
    Syntax {
        /// The parser's message, on one line.
        message: String,
    },
    /// A key the schema does not know.
    #[error("unknown key; {}", unknown_key_hint(*.suggestion, .known))]
    UnknownKey {
        /// The closest known key, when one is within two edits.
        suggestion: Option<&'static str>,
        /// The keys allowed here, comma-separated.
        known: String,
    },
    /// A required key is absent.
    #[error("missing; expected {expected}")]
    Missing {
        /// The shape a value must have.
        expected: String,
    },
    /// The value has the wrong TOML type.
    #[error("expected {expected}, got {got}")]
    WrongType {
        /// The shape a value must have.
        expected: String,
        /// The value found, with its type.
        got: String,
    },
    /// An integer outside its range.
    #[error("{got} is out of range; expected {expected}")]
    OutOfRange {
        /// The value found.
        got: i64,
        /// The range and unit.
        expected: String,
    },
    /// A string that is not one of the allowed words.
    #[error("{got} is not one of {allowed}")]
    NotOneOf {
        /// The value found, quoted.
        got: String,
        /// The allowed words, `a | b | c`.
        allowed: String,
    },
    /// A string that does not parse as what the key holds (address, CIDR, digits, name).
    #[error("{got} is not {expected}")]
    Malformed {
        /// The value found, quoted.
        got: String,
        /// What it should be, with an example, and why it failed when that helps.
        expected: String,
    },
    /// A string longer than its wire field allows.
    #[error("{got} is {size} bytes; at most {max} allowed")]
    TooLong {
        /// The value found, quoted (or `<redacted>` for a secret).
        got: String,
        /// Its length in bytes.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// An empty string or list where one is needed.
    #[error("empty; expected {expected}")]
    Empty {
        /// The shape a value must have.
        expected: String,
    },
    /// A list or table with more entries than its bound.
    #[error("{count} entries; at most {max} allowed")]
    TooMany {
        /// Entries found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A value that must be unique repeats one seen earlier.
    #[error("{got} duplicates {first}")]
    Duplicate {
        /// The value found, quoted.
        got: String,
        /// The key path of the first occurrence.
        first: String,
    },
    /// Two listen addresses would share a port.
    #[error("{got} overlaps {other} ({other_value}); both would listen on one port")]
    ListenOverlap {
        /// The address found, quoted.
        got: String,
        /// The key path of the earlier address.
        other: String,
        /// The earlier address, quoted.
        other_value: String,
    },
    /// A route names a connector no `[[connector]]` defines.
    #[error("{got} names no [[connector]]{}", did_you_mean(.suggestion.as_deref()))]
    UnknownConnector {
        /// The name found, quoted.
        got: String,
        /// The closest connector name, when one is within two edits.
        suggestion: Option<String>,
    },
    /// A route names an account no `[[account]]` defines.
    #[error("{got} names no [[account]] (account ids are the SMPP system_ids)")]
    UnknownAccount {
        /// The name, quoted.
        got: String,
    },
    /// A value above another key's value that bounds it.
    #[error("{got} exceeds {key} = {limit}")]
    Exceeds {
        /// The value found.
        got: u64,
        /// The bounding key.
        key: &'static str,
        /// Its value.
        limit: u64,
    },
    /// An enquire_link interval that leaves a live peer no time to answer before the idle
    /// timeout closes the session.
    #[error(
        "{enquire_link_s} s plus limits.response_timeout_ms ({response_timeout_ms} ms) must be \
         below limits.idle_timeout_s ({idle_timeout_s} s), or live sessions are closed as idle"
    )]
    IdleTimeoutTooShort {
        /// The enquire_link interval found, in seconds.
        enquire_link_s: u32,
        /// `limits.response_timeout_ms`.
        response_timeout_ms: u32,
        /// `limits.idle_timeout_s`.
        idle_timeout_s: u32,
    },
    /// Neither `smpp.listen` nor `cmpp.listen` has an address, so no SP could connect.
    #[error("no SMPP or CMPP listen address; set smpp.listen or cmpp.listen")]
    NoListener,
    /// The sans-IO session refused the settings derived from this entry. The loader's own
    /// checks should make this unreachable; it is reported rather than asserted because it is
    /// about operator input.
    #[error("session settings rejected: {rule}")]
    Session {
        /// `SessionConfig::validate`'s reason.
        rule: &'static str,
    },
}

/// Every problem found in one config file, in the order the walker met them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors {
    list: Vec<ConfigError>,
    omitted: usize,
}

impl ConfigErrors {
    /// A list of one error (a file that could not be read or parsed).
    pub fn one(at: impl Into<String>, kind: ConfigErrorKind) -> ConfigErrors {
        let mut errors = ConfigErrors::default();
        errors.push(at, kind);
        errors
    }

    /// The errors listed, at most [`CONFIG_ERRORS_MAX`].
    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.list.iter()
    }

    /// Errors found beyond [`CONFIG_ERRORS_MAX`] and not listed.
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// Errors found, listed or not.
    pub fn count(&self) -> usize {
        self.list.len() + self.omitted
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Records one error.
    pub(super) fn push(&mut self, at: impl Into<String>, kind: ConfigErrorKind) {
        if self.list.len() < CONFIG_ERRORS_MAX {
            self.list.push(ConfigError {
                at: at.into(),
                kind,
            });
        } else {
            self.omitted += 1;
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.kind)
    }
}

impl std::error::Error for ConfigError {}

/// One error per line, then a line counting the omitted ones if any.
impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.list.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        if self.omitted > 0 {
            write!(
                f,
                "\n{} more errors not shown; fix the ones above first",
                self.omitted
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

fn unknown_key_hint(suggestion: Option<&'static str>, known: &str) -> String {
    match suggestion {
        Some(name) => format!("did you mean `{name}`?"),
        None => format!("expected one of: {known}"),
    }
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(name) => format!("; did you mean \"{name}\"?"),
        None => String::new(),
    }
}
