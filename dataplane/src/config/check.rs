//! Checks that span keys: uniqueness, references, overlapping listeners and the relations
//! between timers and bounds.
//!
//! Entry readers call [`Context`] as soon as they have read one valid key, whether or not the
//! rest of the entry is valid, so one pass reports a bad `tps` and, in the same account, a
//! short code another account owns. Each error lands on the later of the two keys involved and
//! names the earlier one. [`relations`] then checks what needs whole sections.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use super::error::{ConfigErrorKind, ConfigErrors};
use super::schema::closest;
use super::value::quote;
use super::{Account, Connector, Endpoint, Limits, Listeners};

/// What entry readers check against while they read: `[limits]`, the connector names, and the
/// values seen so far that must be unique.
pub(super) struct Context<'a> {
    /// `[limits]`, when it could be read.
    limits: Option<&'a Limits>,
    /// The `name` of every `[[connector]]` table, including tables with errors elsewhere, so a
    /// route naming one is not also reported as naming no connector.
    connector_names: Vec<&'a str>,
    connector_name_set: HashSet<&'a str>,
    /// (kind of value, value) → the path where it was first seen.
    seen: HashMap<(Unique, String), String>,
}

/// Values that must be unique across all entries of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Unique {
    /// `account.id`: the SMPP system_id identifies the SP at bind.
    AccountId,
    /// `account.short_codes`: an MO's destination selects one SP.
    ShortCode,
    /// `account.cmpp.source_addr`: the SP_Id identifies the SP at CMPP_CONNECT.
    CmppSourceAddr,
    /// `connector.name`: routes name connectors.
    ConnectorName,
    /// `route.prefix` with `route.account`: one prefix per account (or global), one list.
    RoutePrefix,
    /// `portability.number`: one ported number, one connector list.
    PortedNumber,
}

impl<'a> Context<'a> {
    pub(super) fn new(limits: Option<&'a Limits>, connector_names: Vec<&'a str>) -> Context<'a> {
        let connector_name_set = connector_names.iter().copied().collect();
        Context {
            limits,
            connector_names,
            connector_name_set,
            seen: HashMap::new(),
        }
    }

    /// Records `value` read at `path`, or reports it as a duplicate of where it was first seen.
    pub(super) fn unique(
        &mut self,
        kind: Unique,
        value: &str,
        path: String,
        errors: &mut ConfigErrors,
    ) {
        let key = (kind, value.to_owned());
        match self.seen.get(&key) {
            Some(first) => errors.push(
                path,
                ConfigErrorKind::Duplicate {
                    got: quote(value),
                    first: first.clone(),
                },
            ),
            None => {
                self.seen.insert(key, path);
            }
        }
    }

    /// Reports a route's connector name that no `[[connector]]` defines, suggesting the
    /// closest; returns whether the name is defined.
    pub(super) fn connector_exists(
        &self,
        name: &str,
        path: &str,
        errors: &mut ConfigErrors,
    ) -> bool {
        if self.connector_name_set.contains(name) {
            return true;
        }
        errors.push(
            path,
            ConfigErrorKind::UnknownConnector {
                got: quote(name),
                suggestion: closest(name, self.connector_names.iter().copied()).map(str::to_owned),
            },
        );
        false
    }

    /// Reports an `account` reference that no `[[account]]` (read earlier) defines; returns
    /// whether it is defined.
    pub(super) fn account_exists(&self, id: &str, path: &str, errors: &mut ConfigErrors) -> bool {
        if self.seen.contains_key(&(Unique::AccountId, id.to_owned())) {
            return true;
        }
        errors.push(path, ConfigErrorKind::UnknownAccount { got: quote(id) });
        false
    }

    /// An account's `max_binds` must fit in `limits.sessions_max`.
    pub(super) fn max_binds(&self, max_binds: u32, path: String, errors: &mut ConfigErrors) {
        if let Some(limits) = self.limits
            && max_binds > limits.sessions_max
        {
            errors.push(
                path,
                ConfigErrorKind::Exceeds {
                    got: u64::from(max_binds),
                    key: "limits.sessions_max",
                    limit: u64::from(limits.sessions_max),
                },
            );
        }
    }

    /// A connector's enquire_link interval must leave time to answer before the idle timeout.
    pub(super) fn enquire_link(&self, enquire_link_s: u32, path: &str, errors: &mut ConfigErrors) {
        if let Some(limits) = self.limits {
            idle_relation(limits, enquire_link_s, path, errors);
        }
    }
}

/// What the section readers produced; entries carry their key path (`account[3]`).
pub(super) struct Parts<'a> {
    pub(super) control: Option<&'a Endpoint>,
    pub(super) metrics: Option<&'a Endpoint>,
    pub(super) smpp: Option<&'a Listeners>,
    pub(super) cmpp: Option<&'a Listeners>,
    pub(super) limits: Option<&'a Limits>,
    pub(super) accounts: &'a [(String, Account)],
    pub(super) connectors: &'a [(String, Connector)],
}

/// The checks that need whole sections: listeners, the SP-side timers, and, once nothing else
/// is wrong, the session settings each entry will run with.
pub(super) fn relations(parts: &Parts<'_>, errors: &mut ConfigErrors) {
    listen_addresses(parts, errors);
    if let Some(limits) = parts.limits {
        idle_relation(
            limits,
            limits.enquire_link_s,
            "limits.enquire_link_s",
            errors,
        );
        if errors.is_empty() {
            sessions(parts, limits, errors);
        }
    }
}

/// No two listeners may share a port: with SO_REUSEPORT the kernel would spread one
/// protocol's connections onto the other's socket instead of failing the bind.
fn listen_addresses(parts: &Parts<'_>, errors: &mut ConfigErrors) {
    let mut all: Vec<(String, SocketAddr)> = Vec::new();
    for (section, endpoint) in [("control", parts.control), ("metrics", parts.metrics)] {
        if let Some(listen) = endpoint.and_then(|endpoint| endpoint.listen) {
            all.push((format!("{section}.listen"), listen));
        }
    }
    for (section, listeners) in [("smpp", parts.smpp), ("cmpp", parts.cmpp)] {
        for (index, listen) in listeners.iter().flat_map(|l| l.listen.iter()).enumerate() {
            all.push((format!("{section}.listen[{index}]"), *listen));
        }
    }
    for (later, (path, address)) in all.iter().enumerate() {
        let earlier = all[..later]
            .iter()
            .find(|(_, other)| listen_overlaps(*address, *other));
        if let Some((other_path, other)) = earlier {
            errors.push(
                path.clone(),
                ConfigErrorKind::ListenOverlap {
                    got: quote(&address.to_string()),
                    other: other_path.clone(),
                    other_value: quote(&other.to_string()),
                },
            );
        }
    }
    if let (Some(smpp), Some(cmpp)) = (parts.smpp, parts.cmpp)
        && smpp.listen.is_empty()
        && cmpp.listen.is_empty()
    {
        errors.push("smpp.listen", ConfigErrorKind::NoListener);
    }
}

/// Whether two listen addresses would bind one port: equal addresses, or an unspecified address
/// covering the other (`0.0.0.0` covers IPv4; `[::]` covers both, sockets being dual-stack).
/// Port 0 asks the kernel for a fresh port each time, so it never overlaps.
fn listen_overlaps(a: SocketAddr, b: SocketAddr) -> bool {
    if a.port() != b.port() || a.port() == 0 {
        return false;
    }
    a.ip() == b.ip() || covers(a.ip(), b.ip()) || covers(b.ip(), a.ip())
}

fn covers(wide: IpAddr, other: IpAddr) -> bool {
    wide.is_unspecified() && (wide.is_ipv6() || other.is_ipv4())
}

/// The sans-IO session's own validation of the settings derived for each entry: the checks
/// above make it pass, and this pairs them with the session's rules so a new session rule
/// cannot be missed by the loader.
fn sessions(parts: &Parts<'_>, limits: &Limits, errors: &mut ConfigErrors) {
    for (path, account) in parts.accounts {
        if let Err(rule) = limits.account_session(account).validate() {
            errors.push(path.clone(), ConfigErrorKind::Session { rule });
        }
    }
    for (path, connector) in parts.connectors {
        if let Err(rule) = limits.connector_session(connector).validate() {
            errors.push(path.clone(), ConfigErrorKind::Session { rule });
        }
    }
}

/// A session sends enquire_link after `enquire_link_s` of silence and waits
/// `response_timeout_ms` for the answer; the idle timeout must be longer than both together.
fn idle_relation(limits: &Limits, enquire_link_s: u32, path: &str, errors: &mut ConfigErrors) {
    let needed_ms = u64::from(enquire_link_s) * 1000 + u64::from(limits.response_timeout_ms);
    if u64::from(limits.idle_timeout_s) * 1000 <= needed_ms {
        errors.push(
            path,
            ConfigErrorKind::IdleTimeoutTooShort {
                enquire_link_s,
                response_timeout_ms: limits.response_timeout_ms,
                idle_timeout_s: limits.idle_timeout_s,
            },
        );
    }
}
