//! Keeps the bench tools on loopback: a load generator or simulator pointed at a real network
//! by mistake floods someone else's SMSC, so any address outside 127.0.0.0/8 and ::1 is refused
//! unless the operator passes `--allow-non-loopback`.
//!
//! Both directions are guarded: `--to` (where `load` connects) and `--listen` (where the
//! simulators accept; `0.0.0.0` would expose them on every interface). A `host:port` string
//! is resolved with [`ToSocketAddrs`] and every address it resolves to must pass, so a name that
//! resolves to loopback and something else is refused too.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use thiserror::Error;

/// Why an address may not be used.
#[derive(Debug, Error)]
pub enum NetGuardError {
    /// The address is not loopback and the operator did not allow that.
    #[error(
        "refusing {addr}: not a loopback address (127.0.0.0/8 or ::1); the bench tools stay on \
         this machine unless --allow-non-loopback is given"
    )]
    NotLoopback {
        /// The address refused.
        addr: SocketAddr,
    },
    /// The `host:port` string could not be resolved.
    #[error("cannot resolve {target:?} (expected HOST:PORT, e.g. 127.0.0.1:2775): {source}")]
    Resolve {
        /// What was given.
        target: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The name resolved to no address.
    #[error("{target:?} resolves to no address")]
    NoAddress {
        /// What was given.
        target: String,
    },
    /// The name resolved to more addresses than are checked.
    #[error("{target:?} resolves to more than {max} addresses")]
    TooManyAddresses {
        /// What was given.
        target: String,
        /// The maximum.
        max: usize,
    },
}

/// Refuses `addr` unless it is loopback or `allow_non_loopback` is set.
pub fn check_loopback(addr: SocketAddr, allow_non_loopback: bool) -> Result<(), NetGuardError> {
    if allow_non_loopback || is_loopback(addr.ip()) {
        Ok(())
    } else {
        Err(NetGuardError::NotLoopback { addr })
    }
}

/// Resolves `target` (`host:port`) and checks every address with [`check_loopback`]; returns
/// the addresses in resolver order.
pub fn resolve_checked(
    target: &str,
    allow_non_loopback: bool,
) -> Result<Vec<SocketAddr>, NetGuardError> {
    let resolved = target
        .to_socket_addrs()
        .map_err(|source| NetGuardError::Resolve {
            target: target.to_owned(),
            source,
        })?;
    let mut addrs = Vec::new();
    for addr in resolved {
        if addrs.len() == RESOLVED_ADDRS_MAX {
            return Err(NetGuardError::TooManyAddresses {
                target: target.to_owned(),
                max: RESOLVED_ADDRS_MAX,
            });
        }
        check_loopback(addr, allow_non_loopback)?;
        addrs.push(addr);
    }
    if addrs.is_empty() {
        return Err(NetGuardError::NoAddress {
            target: target.to_owned(),
        });
    }
    Ok(addrs)
}

/// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8 (`::ffff:127.0.0.1`).
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Most addresses one `host:port` may resolve to. At the bound: [`NetGuardError`]. Why: a
/// bench target is one host; a name with more addresses than this is not one.
pub const RESOLVED_ADDRS_MAX: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    // Addresses outside loopback below are documentation ranges (RFC 5737 192.0.2.0/24, RFC 3849
    // 2001:db8::/32) given as literals: they are checked, never connected to.

    #[test]
    fn loopback_addresses_pass() {
        // Proves every 127.0.0.0/8 address, ::1 and IPv4-mapped loopback are accepted without
        // the flag.
        for text in [
            "127.0.0.1:2775",
            "127.1.2.3:0",
            "127.255.255.254:7890",
            "[::1]:2775",
            "[::ffff:127.0.0.1]:2775",
        ] {
            let addr: SocketAddr = text.parse().unwrap();
            assert!(check_loopback(addr, false).is_ok(), "{text}");
        }
    }

    #[test]
    fn other_addresses_are_refused_without_the_flag() {
        // Proves unspecified, documentation-range and IPv4-mapped non-loopback addresses are
        // refused with a message naming the address and the flag, and pass with the flag.
        for text in [
            "0.0.0.0:2775",
            "192.0.2.10:2775",
            "[::]:2775",
            "[2001:db8::1]:2775",
            "[::ffff:192.0.2.10]:2775",
        ] {
            let addr: SocketAddr = text.parse().unwrap();
            let error = check_loopback(addr, false).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(&addr.to_string()), "{message}");
            assert!(message.contains("--allow-non-loopback"), "{message}");
            assert!(check_loopback(addr, true).is_ok(), "{text}");
        }
    }

    #[test]
    fn host_port_strings_are_resolved_and_checked() {
        // Proves resolve_checked accepts loopback literals and localhost (every address it
        // resolves to is loopback), refuses a non-loopback literal, and reports strings without
        // a port or with a bad port as resolve errors.
        assert_eq!(
            resolve_checked("127.0.0.1:2775", false).unwrap(),
            ["127.0.0.1:2775".parse::<SocketAddr>().unwrap()]
        );
        let localhost = resolve_checked("localhost:2775", false).unwrap();
        assert!(localhost.iter().all(|addr| is_loopback(addr.ip())));
        assert!(matches!(
            resolve_checked("192.0.2.10:2775", false),
            Err(NetGuardError::NotLoopback { .. })
        ));
        assert!(resolve_checked("192.0.2.10:2775", true).is_ok());
        for bad in ["127.0.0.1", "127.0.0.1:99999", ""] {
            assert!(
                matches!(
                    resolve_checked(bad, false),
                    Err(NetGuardError::Resolve { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
