//! Typed reads from a generic TOML table, each recording its own error and carrying on.
//!
//! [`Fields::open`] reports the table's unknown keys at once (against [`super::schema`]);
//! every read then returns `Some(value)` or records one [`ConfigError`](super::ConfigError)
//! with the key path, the value found and the shape expected, and returns `None`. Nothing here
//! stops at the first problem and nothing panics on any TOML value.

use std::fmt::Display;

use toml::{Table, Value};

use super::error::{ConfigErrorKind, ConfigErrors};
use super::schema;
use super::value::{describe, quote};

/// What a read does when the key is absent.
#[derive(Debug, Clone, Copy)]
pub(super) enum Need<T> {
    /// Absent is an error (`missing; expected …`).
    Required,
    /// Absent reads as `None` without an error.
    Optional,
    /// Absent reads as this value.
    Default(T),
}

/// The keys of one TOML table, read against one schema section.
pub(super) struct Fields<'t> {
    table: &'t Table,
    /// The concrete path of the table: `""`, `node`, `account[2]`, `account[2].cmpp`.
    path: String,
}

impl<'t> Fields<'t> {
    /// Opens `table` found at `path` as schema section `section` (`""` for the top level,
    /// `account.cmpp` for an account's CMPP table) and reports every key the section lacks.
    pub(super) fn open(
        table: &'t Table,
        path: String,
        section: &str,
        errors: &mut ConfigErrors,
    ) -> Fields<'t> {
        let known = schema::children(section);
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                errors.push(
                    join(&path, key),
                    ConfigErrorKind::UnknownKey {
                        suggestion: schema::suggest(section, key),
                        known: known.join(", "),
                    },
                );
            }
        }
        Fields { table, path }
    }

    /// The raw value of `key`, if present.
    pub(super) fn raw(&self, key: &str) -> Option<&'t Value> {
        self.table.get(key)
    }

    /// The concrete path of `key` in this table.
    pub(super) fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// An integer in `min..=max`, converted to `T` (which the range guarantees fits).
    pub(super) fn integer<T>(
        &self,
        errors: &mut ConfigErrors,
        key: &str,
        (min, max): (T, T),
        unit: &str,
        need: Need<T>,
    ) -> Option<T>
    where
        T: Copy + Display + Into<i64> + TryFrom<i64>,
    {
        let expected = integer_shape(min, max, unit);
        let value = self.value(errors, key, &expected, need)?;
        match value {
            Ok(value) => integer_value(errors, &self.path(key), value, (min, max), unit),
            Err(default) => Some(default),
        }
    }

    /// A string; `secret` keeps its value out of error messages.
    pub(super) fn string(
        &self,
        errors: &mut ConfigErrors,
        key: &str,
        expected: &str,
        secret: bool,
        need: Need<&'t str>,
    ) -> Option<&'t str> {
        match self.value(errors, key, expected, need)? {
            Ok(value) => string_value(errors, &self.path(key), value, expected, secret),
            Err(default) => Some(default),
        }
    }

    /// One of a fixed set of words, mapped to its typed value.
    pub(super) fn word<T: Copy>(
        &self,
        errors: &mut ConfigErrors,
        key: &str,
        words: &[(&'static str, T)],
        default: T,
    ) -> Option<T> {
        let allowed = words
            .iter()
            .map(|(word, _)| format!("\"{word}\""))
            .collect::<Vec<_>>()
            .join(" | ");
        let expected = format!("one of {allowed}");
        let text = self.string(errors, key, &expected, false, Need::Optional);
        let Some(text) = text else {
            // Absent keeps the default; a wrong type was reported by `string`.
            return self.table.get(key).is_none().then_some(default);
        };
        match words.iter().find(|(word, _)| *word == text) {
            Some((_, value)) => Some(*value),
            None => {
                errors.push(
                    self.path(key),
                    ConfigErrorKind::NotOneOf {
                        got: quote(text),
                        allowed,
                    },
                );
                None
            }
        }
    }

    /// An array of at most `max` items (absent reads as empty under `Need::Default`).
    pub(super) fn array(
        &self,
        errors: &mut ConfigErrors,
        key: &str,
        expected: &str,
        max: usize,
        need: Need<&'t [Value]>,
    ) -> Option<&'t [Value]> {
        let items = match self.value(errors, key, expected, need)? {
            Err(default) => return Some(default),
            Ok(Value::Array(items)) => items.as_slice(),
            Ok(other) => {
                errors.push(
                    self.path(key),
                    ConfigErrorKind::WrongType {
                        expected: expected.to_owned(),
                        got: describe(other, false),
                    },
                );
                return None;
            }
        };
        if items.len() > max {
            errors.push(
                self.path(key),
                ConfigErrorKind::TooMany {
                    count: items.len(),
                    max,
                },
            );
            return None;
        }
        Some(items)
    }

    /// A sub-table (`[control]`, an account's `cmpp = { … }`); absent is `None`.
    pub(super) fn table(&self, errors: &mut ConfigErrors, key: &str) -> Option<&'t Table> {
        match self.table.get(key)? {
            Value::Table(table) => Some(table),
            other => {
                errors.push(
                    self.path(key),
                    ConfigErrorKind::WrongType {
                        expected: format!("a table ([{key}] or {key} = {{ … }})"),
                        got: describe(other, false),
                    },
                );
                None
            }
        }
    }

    /// Every table of an array of tables (`[[account]]`), with its path; absent is empty.
    pub(super) fn tables(
        &self,
        errors: &mut ConfigErrors,
        key: &str,
        max: usize,
    ) -> Vec<(String, &'t Table)> {
        let expected = format!("an array of tables ([[{key}]])");
        let items = self.array(errors, key, &expected, max, Need::Default(&[]));
        let mut tables = Vec::new();
        for (index, item) in items.unwrap_or_default().iter().enumerate() {
            let path = format!("{}[{index}]", self.path(key));
            match item {
                Value::Table(table) => tables.push((path, table)),
                other => errors.push(
                    path,
                    ConfigErrorKind::WrongType {
                        expected: format!("a table ([[{key}]])"),
                        got: describe(other, false),
                    },
                ),
            }
        }
        tables
    }

    /// The raw value of `key`: `Ok(value)` when present, `Err(default)` when absent with a
    /// default, `None` when absent and optional or required (the latter reported).
    fn value<T>(
        &self,
        errors: &mut ConfigErrors,
        key: &str,
        expected: &str,
        need: Need<T>,
    ) -> Option<Result<&'t Value, T>> {
        match (self.table.get(key), need) {
            (Some(value), _) => Some(Ok(value)),
            (None, Need::Default(default)) => Some(Err(default)),
            (None, Need::Optional) => None,
            (None, Need::Required) => {
                errors.push(
                    self.path(key),
                    ConfigErrorKind::Missing {
                        expected: expected.to_owned(),
                    },
                );
                None
            }
        }
    }
}

/// An array item or table value that must be an integer in `min..=max`.
pub(super) fn integer_value<T>(
    errors: &mut ConfigErrors,
    path: &str,
    value: &Value,
    (min, max): (T, T),
    unit: &str,
) -> Option<T>
where
    T: Copy + Display + Into<i64> + TryFrom<i64>,
{
    let expected = integer_shape(min, max, unit);
    let Value::Integer(number) = value else {
        errors.push(
            path,
            ConfigErrorKind::WrongType {
                expected,
                got: describe(value, false),
            },
        );
        return None;
    };
    let in_range = (min.into()..=max.into()).contains(number);
    match T::try_from(*number) {
        Ok(typed) if in_range => Some(typed),
        _ => {
            errors.push(
                path,
                ConfigErrorKind::OutOfRange {
                    got: *number,
                    expected,
                },
            );
            None
        }
    }
}

/// An array item or table value that must be a string.
pub(super) fn string_value<'t>(
    errors: &mut ConfigErrors,
    path: &str,
    value: &'t Value,
    expected: &str,
    secret: bool,
) -> Option<&'t str> {
    match value {
        Value::String(text) => Some(text),
        other => {
            errors.push(
                path,
                ConfigErrorKind::WrongType {
                    expected: expected.to_owned(),
                    got: describe(other, secret),
                },
            );
            None
        }
    }
}

/// `account[2]` + `tps` → `account[2].tps`; keys that are not bare TOML keys are quoted so the
/// path can be read back unambiguously.
pub(super) fn join(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare { key.to_owned() } else { quote(key) };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn integer_shape<T: Display>(min: T, max: T, unit: &str) -> String {
    if unit.is_empty() {
        format!("an integer {min}..={max}")
    } else {
        format!("an integer {min}..={max} ({unit})")
    }
}
