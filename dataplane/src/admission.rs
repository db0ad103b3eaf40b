//! SP bind admission: who may bind (SMPP `bind_*`, SMPP 3.4 §4.1) or log in (CMPP_CONNECT,
//! CMPP V3.0 §7.4.1), from where, and how many sessions at once.
//!
//! [`Accounts`] is built once from plain data (the typed config's `[[account]]` entries) and
//! shared by every core behind an `Arc`. Admission checks, in this order, so that a refusal
//! says no more than the peer is entitled to know:
//!
//! 1. the system_id (CMPP: Source_Addr) names an account, else `ESME_RINVSYSID` (0x0F);
//! 2. the peer's IP is inside one of the account's `allowed_ips`, else `ESME_RBINDFAIL` (0x0D),
//!    before the password is looked at, so a host that may not bind cannot probe passwords;
//! 3. the password (CMPP: AuthenticatorSource) matches, compared in constant time, else
//!    `ESME_RINVPASWD` (0x0E);
//! 4. the account is enabled, else `ESME_RBINDFAIL`;
//! 5. the account has fewer than `max_binds` sessions open on this node, else `ESME_RALYBND`
//!    (0x05), the status the data-plane issue names for "over max_binds".
//!
//! [`BindRefusal::status`] and [`BindRefusal::connect_status`] are the one mapping from a
//! refusal to the SMPP and CMPP wire codes; `docs/admission.md` has the table.
//!
//! **Bind counts** are one `AtomicU32` per account for the whole node. Binds and unbinds are
//! rare (a few per second at most, never per PDU), so a shared atomic is off the hot path; the
//! alternative, a per-core split of `max_binds`, would refuse binds on one core while another
//! has room, because SO_REUSEPORT spreads connections by hash, not by load. The count is taken
//! with a compare-and-swap that never goes over `max_binds`, and released with the
//! [`BindPermit`] the admission returned, so a session cannot release twice.
//!
//! A config push builds a new table with [`Accounts::reload`]: ids and bind counts carry over
//! by system_id, so open sessions keep counting and the ids other tables hold stay valid.
//!
//! An empty `allowed_ips` admits nobody: there is no "empty means any" (write `0.0.0.0/0` and
//! `::/0`). An IPv4-mapped IPv6 peer (`::ffff:10.1.2.3`, as a dual-stack socket reports IPv4
//! clients) is checked as its IPv4 address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ipnet::IpNet;
use smsgw_shared::cmpp::{ConnectStatus, verify_authenticator_source};
use smsgw_shared::smpp::CommandStatus;
use thiserror::Error;

/// An account's index in [`Accounts`], stable for the table's life. Other modules (receipt
/// correlation, MO routing, pending deliveries) key their tables by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub u32);

/// One account as the config describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    /// The SMPP system_id.
    pub system_id: String,
    /// The SMPP password.
    pub password: String,
    /// Networks binds are accepted from; empty admits nobody.
    pub allowed_ips: Vec<IpNet>,
    /// Sessions open at once on this node, all protocols; at least 1.
    pub max_binds: u32,
    /// A disabled account is refused with `ESME_RBINDFAIL` after its password is checked.
    pub enabled: bool,
    /// CMPP access, when the SP may log in over CMPP.
    pub cmpp: Option<CmppSpec>,
}

/// How an account logs in over CMPP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmppSpec {
    /// The SP_Id sent as Source_Addr in CMPP_CONNECT.
    pub source_addr: String,
    /// The secret of the MD5 authenticators.
    pub shared_secret: String,
}

/// The SMPP bind a session asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindMode {
    /// bind_transmitter: submits only.
    Transmitter,
    /// bind_receiver: receipts and MO only.
    Receiver,
    /// bind_transceiver: both.
    Transceiver,
}

impl BindMode {
    /// Whether receipts and MO may be delivered on a session of this mode.
    pub fn receives(self) -> bool {
        match self {
            BindMode::Receiver | BindMode::Transceiver => true,
            BindMode::Transmitter => false,
        }
    }
}

/// Why a bind or CMPP_CONNECT was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BindRefusal {
    /// No account has this system_id (CMPP: Source_Addr).
    #[error("unknown system_id")]
    UnknownSystemId,
    /// The peer's address is outside the account's `allowed_ips`.
    #[error("bind from {peer_ip} is outside allowed_ips")]
    IpNotAllowed {
        /// The peer's address.
        peer_ip: IpAddr,
    },
    /// The password (CMPP: AuthenticatorSource) does not match.
    #[error("wrong password")]
    WrongPassword,
    /// The account is disabled.
    #[error("account is disabled")]
    Disabled,
    /// The account already has `max_binds` sessions on this node.
    #[error("account already has {max_binds} binds")]
    OverMaxBinds {
        /// The account's `max_binds`.
        max_binds: u32,
    },
}

impl BindRefusal {
    /// The SMPP command_status of the bind_*_resp.
    pub fn status(&self) -> CommandStatus {
        match self {
            BindRefusal::UnknownSystemId => CommandStatus::ESME_RINVSYSID,
            BindRefusal::IpNotAllowed { .. } | BindRefusal::Disabled => {
                CommandStatus::ESME_RBINDFAIL
            }
            BindRefusal::WrongPassword => CommandStatus::ESME_RINVPASWD,
            BindRefusal::OverMaxBinds { .. } => CommandStatus::ESME_RALYBND,
        }
    }

    /// The CMPP_CONNECT_RESP Status. CMPP has fewer codes: an address outside `allowed_ips` is
    /// an illegal source (2) like an unknown SP_Id, and a disabled account or one over its
    /// binds is "other error" (5).
    pub fn connect_status(&self) -> ConnectStatus {
        match self {
            BindRefusal::UnknownSystemId | BindRefusal::IpNotAllowed { .. } => {
                ConnectStatus::ILLEGAL_SOURCE_ADDR
            }
            BindRefusal::WrongPassword => ConnectStatus::AUTH_ERROR,
            BindRefusal::Disabled | BindRefusal::OverMaxBinds { .. } => ConnectStatus::OTHER_ERROR,
        }
    }
}

/// Why an account table cannot be built (an operator error in the config).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccountsError {
    /// Two accounts share a system_id.
    #[error("account system_id \"{system_id}\" appears twice")]
    DuplicateSystemId {
        /// The repeated system_id.
        system_id: String,
    },
    /// Two accounts share a CMPP Source_Addr.
    #[error("cmpp source_addr \"{source_addr}\" appears twice")]
    DuplicateSourceAddr {
        /// The repeated Source_Addr.
        source_addr: String,
    },
    /// An account's `max_binds` is 0.
    #[error("account \"{system_id}\" has max_binds 0")]
    MaxBindsZero {
        /// The account.
        system_id: String,
    },
    /// More accounts than [`ACCOUNTS_MAX`], or a reload that would issue more ids than
    /// [`ACCOUNT_IDS_MAX`].
    #[error("{count} accounts is over the maximum of {max}")]
    TooMany {
        /// Accounts given, or ids the reloaded table would hold.
        count: usize,
        /// The bound.
        max: usize,
    },
}

/// Proof that a session holds one of its account's binds; give it back with
/// [`Accounts::release`] when the session ends. Not `Clone`, so it is released at most once.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a permit that is dropped without release leaks one of the account's binds"]
pub struct BindPermit {
    account: AccountId,
    mode: BindMode,
}

impl BindPermit {
    /// The admitted account.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The bind mode admitted; CMPP logins are [`BindMode::Transceiver`] (CMPP has one kind of
    /// connection, and the ISMG sends DELIVER on it).
    pub fn mode(&self) -> BindMode {
        self.mode
    }
}

/// Every account of the node, with its bind count. Share one behind an `Arc`; all methods take
/// `&self`.
#[derive(Debug)]
pub struct Accounts {
    accounts: Vec<Account>,
    by_system_id: HashMap<String, AccountId>,
    by_source_addr: HashMap<String, AccountId>,
}

impl Accounts {
    /// Builds the table; account `i` of `specs` gets `AccountId(i)`.
    pub fn new(specs: Vec<AccountSpec>) -> Result<Accounts, AccountsError> {
        Accounts::build(&[], specs)
    }

    /// A new table for a config push. A system_id this table knows keeps its [`AccountId`] and
    /// shares its bind count, so a permit from either table is released correctly and
    /// sessions already open still count against the new `max_binds` (a lower `max_binds`
    /// refuses new binds until enough sessions close; open ones are not cut). New accounts get
    /// new ids; an account no longer configured stays as a removed entry, refused as unknown,
    /// so its id is never given to another SP while receipts for it may still be held.
    pub fn reload(&self, specs: Vec<AccountSpec>) -> Result<Accounts, AccountsError> {
        Accounts::build(&self.accounts, specs)
    }

    fn build(previous: &[Account], specs: Vec<AccountSpec>) -> Result<Accounts, AccountsError> {
        if specs.len() > ACCOUNTS_MAX {
            return Err(AccountsError::TooMany {
                count: specs.len(),
                max: ACCOUNTS_MAX,
            });
        }
        let mut index_of = HashMap::with_capacity(specs.len());
        let mut source_addrs = HashMap::new();
        for (index, spec) in specs.iter().enumerate() {
            if spec.max_binds == 0 {
                return Err(AccountsError::MaxBindsZero {
                    system_id: spec.system_id.clone(),
                });
            }
            if index_of.insert(spec.system_id.clone(), index).is_some() {
                return Err(AccountsError::DuplicateSystemId {
                    system_id: spec.system_id.clone(),
                });
            }
            if let Some(cmpp) = &spec.cmpp
                && source_addrs
                    .insert(cmpp.source_addr.clone(), index)
                    .is_some()
            {
                return Err(AccountsError::DuplicateSourceAddr {
                    source_addr: cmpp.source_addr.clone(),
                });
            }
        }
        let mut specs: Vec<Option<AccountSpec>> = specs.into_iter().map(Some).collect();
        let mut accounts = Vec::with_capacity(previous.len() + specs.len());
        for old in previous {
            let kept = index_of
                .get(&old.spec.system_id)
                .and_then(|&index| specs[index].take());
            accounts.push(Account {
                removed: kept.is_none(),
                spec: kept.unwrap_or_else(|| old.spec.clone()),
                binds_count: Arc::clone(&old.binds_count),
            });
        }
        accounts.extend(specs.into_iter().flatten().map(|spec| Account {
            spec,
            binds_count: Arc::new(AtomicU32::new(0)),
            removed: false,
        }));
        if accounts.len() > ACCOUNT_IDS_MAX {
            return Err(AccountsError::TooMany {
                count: accounts.len(),
                max: ACCOUNT_IDS_MAX,
            });
        }
        let mut by_system_id = HashMap::with_capacity(index_of.len());
        let mut by_source_addr = HashMap::with_capacity(source_addrs.len());
        for (index, account) in accounts.iter().enumerate() {
            if account.removed {
                continue;
            }
            // Bounded by ACCOUNT_IDS_MAX, checked above, which fits u32.
            let id = AccountId(u32::try_from(index).unwrap_or(u32::MAX));
            by_system_id.insert(account.spec.system_id.clone(), id);
            if let Some(cmpp) = &account.spec.cmpp {
                by_source_addr.insert(cmpp.source_addr.clone(), id);
            }
        }
        Ok(Accounts {
            accounts,
            by_system_id,
            by_source_addr,
        })
    }

    /// Admits an SMPP bind or says why not (see the module doc for the order of checks).
    pub fn admit(
        &self,
        system_id: &str,
        password: &[u8],
        peer_ip: IpAddr,
        mode: BindMode,
    ) -> Result<BindPermit, BindRefusal> {
        let id = *self
            .by_system_id
            .get(system_id)
            .ok_or(BindRefusal::UnknownSystemId)?;
        let account = self.account(id);
        account.check_ip(peer_ip)?;
        if !constant_time_eq(account.spec.password.as_bytes(), password) {
            return Err(BindRefusal::WrongPassword);
        }
        // Every mode counts against max_binds: the limit is on sessions, all protocols.
        account.take_bind(id, mode)
    }

    /// Admits a CMPP_CONNECT: `source_addr` names the account, `authenticator_source` must be
    /// MD5(Source_Addr, 9 zero octets, shared_secret, Timestamp) (CMPP V3.0 §7.4.1).
    pub fn admit_cmpp(
        &self,
        source_addr: &str,
        authenticator_source: &[u8; 16],
        timestamp: u32,
        peer_ip: IpAddr,
    ) -> Result<BindPermit, BindRefusal> {
        let id = *self
            .by_source_addr
            .get(source_addr)
            .ok_or(BindRefusal::UnknownSystemId)?;
        let account = self.account(id);
        account.check_ip(peer_ip)?;
        let Some(cmpp) = &account.spec.cmpp else {
            unreachable!("by_source_addr only holds accounts with CMPP access");
        };
        if !verify_authenticator_source(
            authenticator_source,
            source_addr.as_bytes(),
            cmpp.shared_secret.as_bytes(),
            timestamp,
        ) {
            return Err(BindRefusal::WrongPassword);
        }
        account.take_bind(id, BindMode::Transceiver)
    }

    /// Gives back the bind a session held; call once when the session closes.
    pub fn release(&self, permit: BindPermit) {
        let previous = self
            .account(permit.account)
            .binds_count
            .fetch_sub(1, Ordering::AcqRel);
        // A permit exists only for a bind that was counted, so the count was at least 1.
        assert!(previous >= 1, "account={:?}", permit.account);
    }

    /// The account's id for an SMPP system_id.
    pub fn lookup(&self, system_id: &str) -> Option<AccountId> {
        self.by_system_id.get(system_id).copied()
    }

    /// The account's spec.
    pub fn spec(&self, id: AccountId) -> &AccountSpec {
        &self.account(id).spec
    }

    /// Sessions the account has open on this node.
    pub fn binds_count(&self, id: AccountId) -> u32 {
        self.account(id).binds_count.load(Ordering::Acquire)
    }

    /// Account ids in the table, removed accounts included.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the table has no accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    fn account(&self, id: AccountId) -> &Account {
        // Ids come only from this table, so they are in range.
        &self.accounts[id.0 as usize]
    }
}

#[derive(Debug)]
struct Account {
    spec: AccountSpec,
    /// Shared with the tables this one was reloaded from or into.
    binds_count: Arc<AtomicU32>,
    /// No longer configured: not in the lookup maps, kept so its id is not reused.
    removed: bool,
}

impl Account {
    fn check_ip(&self, peer_ip: IpAddr) -> Result<(), BindRefusal> {
        let ip = match peer_ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer_ip, IpAddr::V4),
            IpAddr::V4(_) => peer_ip,
        };
        if self.spec.allowed_ips.iter().any(|net| net.contains(&ip)) {
            Ok(())
        } else {
            Err(BindRefusal::IpNotAllowed { peer_ip })
        }
    }

    /// Checks `enabled` and takes one bind if the count is under `max_binds`.
    fn take_bind(&self, id: AccountId, mode: BindMode) -> Result<BindPermit, BindRefusal> {
        if !self.spec.enabled {
            return Err(BindRefusal::Disabled);
        }
        let max_binds = self.spec.max_binds;
        self.binds_count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count < max_binds).then_some(count + 1)
            })
            .map(|_| BindPermit { account: id, mode })
            .map_err(|_| BindRefusal::OverMaxBinds { max_binds })
    }
}

/// Compares a stored secret with what a peer sent in time that depends only on the stored
/// secret's length, not on where the two differ. The length of the stored secret is not hidden
/// (it is at most 8 octets for SMPP, so there is little to learn).
fn constant_time_eq(stored: &[u8], given: &[u8]) -> bool {
    let mut difference = u8::from(stored.len() != given.len());
    for (index, octet) in stored.iter().enumerate() {
        difference |= octet ^ given.get(index).copied().unwrap_or(0);
    }
    std::hint::black_box(difference) == 0
}

/// Most accounts one table holds.
///
/// Cost: one `AccountSpec` (a few hundred bytes with its networks) and two map entries each.
/// At the bound: [`Accounts::new`] fails with [`AccountsError::TooMany`] and the config is
/// refused. Why: the config's own ceiling (`ACCOUNTS_MAX` in the config limits) is 10,000; the
/// table takes the same number so any valid config fits.
pub const ACCOUNTS_MAX: usize = 10_000;

/// Most account ids one process issues, removed accounts included.
///
/// Cost: a removed account keeps its spec (a few hundred bytes). At the bound:
/// [`Accounts::reload`] fails with [`AccountsError::TooMany`]; the config push is refused and a
/// restart compacts the ids. Why: twice [`ACCOUNTS_MAX`] lets every account be replaced once
/// without a restart, and removals are rare.
pub const ACCOUNT_IDS_MAX: usize = 2 * ACCOUNTS_MAX;

#[cfg(test)]
mod tests {
    use super::*;
    use smsgw_shared::cmpp::authenticator_source;

    fn spec(system_id: &str, allowed: &[&str], max_binds: u32) -> AccountSpec {
        AccountSpec {
            system_id: system_id.to_owned(),
            password: "secret".to_owned(),
            allowed_ips: allowed.iter().map(|net| net.parse().unwrap()).collect(),
            max_binds,
            enabled: true,
            cmpp: None,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn each_refusal_has_its_smpp_and_cmpp_status() {
        // Proves the one mapping from refusal to wire codes: 0x0F, 0x0D, 0x0E, 0x0D, 0x05 for
        // SMPP and 2, 2, 3, 5, 5 for CMPP.
        let cases = [
            (BindRefusal::UnknownSystemId, 0x0F, 2),
            (
                BindRefusal::IpNotAllowed {
                    peer_ip: ip("1.2.3.4"),
                },
                0x0D,
                2,
            ),
            (BindRefusal::WrongPassword, 0x0E, 3),
            (BindRefusal::Disabled, 0x0D, 5),
            (BindRefusal::OverMaxBinds { max_binds: 1 }, 0x05, 5),
        ];
        for (refusal, smpp, cmpp) in cases {
            assert_eq!(refusal.status(), CommandStatus(smpp), "{refusal}");
            assert_eq!(refusal.connect_status(), ConnectStatus(cmpp), "{refusal}");
        }
    }

    #[test]
    fn binds_are_refused_in_the_documented_order() {
        // Proves each check by failing only it: unknown id, wrong IP (even with a wrong
        // password, so passwords cannot be probed from outside), wrong password, disabled.
        let mut disabled = spec("off", &["10.0.0.0/8"], 1);
        disabled.enabled = false;
        let accounts = Accounts::new(vec![spec("acme", &["10.0.0.0/8"], 1), disabled]).unwrap();
        let admit = |id: &str, password: &str, peer: &str| {
            accounts.admit(id, password.as_bytes(), ip(peer), BindMode::Transceiver)
        };
        assert_eq!(
            admit("nobody", "secret", "10.0.0.1"),
            Err(BindRefusal::UnknownSystemId)
        );
        assert_eq!(
            admit("acme", "wrong", "11.0.0.1"),
            Err(BindRefusal::IpNotAllowed {
                peer_ip: ip("11.0.0.1")
            })
        );
        assert_eq!(
            admit("acme", "wrong", "10.0.0.1"),
            Err(BindRefusal::WrongPassword)
        );
        assert_eq!(
            admit("acme", "secre", "10.0.0.1"),
            Err(BindRefusal::WrongPassword)
        );
        assert_eq!(
            admit("acme", "secret!", "10.0.0.1"),
            Err(BindRefusal::WrongPassword)
        );
        assert_eq!(
            admit("off", "wrong", "10.0.0.1"),
            Err(BindRefusal::WrongPassword)
        );
        assert_eq!(
            admit("off", "secret", "10.0.0.1"),
            Err(BindRefusal::Disabled)
        );
        let permit = admit("acme", "secret", "10.0.0.1").unwrap();
        assert_eq!(permit.account(), AccountId(0));
        assert_eq!(accounts.lookup("off"), Some(AccountId(1)));
    }

    #[test]
    fn max_binds_counts_sessions_and_release_frees_one() {
        // Proves the bind count stops at max_binds with ESME_RALYBND, counts every mode, and a
        // released permit makes room for exactly one more bind.
        let accounts = Accounts::new(vec![spec("acme", &["0.0.0.0/0"], 2)]).unwrap();
        let peer = ip("192.0.2.1");
        let first = accounts
            .admit("acme", b"secret", peer, BindMode::Transmitter)
            .unwrap();
        let _second = accounts
            .admit("acme", b"secret", peer, BindMode::Receiver)
            .unwrap();
        let over = accounts.admit("acme", b"secret", peer, BindMode::Transceiver);
        assert_eq!(over, Err(BindRefusal::OverMaxBinds { max_binds: 2 }));
        assert_eq!(over.unwrap_err().status(), CommandStatus::ESME_RALYBND);
        assert_eq!(accounts.binds_count(AccountId(0)), 2);
        accounts.release(first);
        assert_eq!(accounts.binds_count(AccountId(0)), 1);
        let third = accounts.admit("acme", b"secret", peer, BindMode::Transceiver);
        assert!(third.is_ok());
        assert!(
            accounts
                .admit("acme", b"secret", peer, BindMode::Receiver)
                .is_err()
        );
    }

    #[test]
    fn bind_count_is_exact_across_threads() {
        // Proves the shared atomic never admits more than max_binds when cores race: four
        // threads try 50 binds each against a limit of 17.
        let accounts =
            std::sync::Arc::new(Accounts::new(vec![spec("acme", &["0.0.0.0/0"], 17)]).unwrap());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let accounts = accounts.clone();
                std::thread::spawn(move || {
                    let mut permits = Vec::new();
                    for _ in 0..50 {
                        if let Ok(permit) =
                            accounts.admit("acme", b"secret", ip("10.1.1.1"), BindMode::Receiver)
                        {
                            permits.push(permit);
                        }
                    }
                    permits
                })
            })
            .collect();
        let permits: Vec<BindPermit> = handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect();
        assert_eq!(permits.len(), 17);
        assert_eq!(accounts.binds_count(AccountId(0)), 17);
        for permit in permits {
            accounts.release(permit);
        }
        assert_eq!(accounts.binds_count(AccountId(0)), 0);
    }

    #[test]
    fn allowed_ips_match_v4_v6_and_mapped_peers() {
        // Proves CIDR matching for IPv4 and IPv6 networks, host routes, an IPv4-mapped IPv6
        // peer checked as IPv4, and that an empty list admits nobody.
        let accounts = Accounts::new(vec![
            spec("v4", &["10.0.0.0/8", "192.0.2.7/32"], 8),
            spec("v6", &["2001:db8::/32"], 8),
            spec("none", &[], 8),
        ])
        .unwrap();
        let allowed = |id: &str, peer: &str| match accounts.admit(
            id,
            b"secret",
            ip(peer),
            BindMode::Receiver,
        ) {
            Ok(permit) => {
                accounts.release(permit);
                true
            }
            Err(BindRefusal::IpNotAllowed { .. }) => false,
            Err(other) => panic!("unexpected refusal {other}"),
        };
        assert!(allowed("v4", "10.255.1.2"));
        assert!(!allowed("v4", "11.0.0.1"));
        assert!(allowed("v4", "192.0.2.7"));
        assert!(!allowed("v4", "192.0.2.8"));
        assert!(allowed("v4", "::ffff:10.1.2.3"));
        assert!(!allowed("v4", "2001:db8::1"));
        assert!(allowed("v6", "2001:db8:ffff::1"));
        assert!(!allowed("v6", "2001:db9::1"));
        assert!(!allowed("v6", "10.0.0.1"));
        assert!(!allowed("none", "10.0.0.1"));
        assert!(!allowed("none", "::1"));
    }

    #[test]
    fn cmpp_connect_checks_source_addr_ip_and_authenticator() {
        // Proves CMPP admission: the authenticator computed from the shared secret is
        // accepted, a wrong one is AUTH_ERROR (3), an unknown Source_Addr and a foreign IP are
        // ILLEGAL_SOURCE_ADDR (2), and CMPP binds count against max_binds too.
        let mut acme = spec("acme", &["10.0.0.0/8"], 1);
        acme.cmpp = Some(CmppSpec {
            source_addr: "901234".to_owned(),
            shared_secret: "cmpp-secret".to_owned(),
        });
        let accounts = Accounts::new(vec![acme]).unwrap();
        let timestamp = 1_015_123_045;
        let good = authenticator_source(b"901234", b"cmpp-secret", timestamp);
        let bad = authenticator_source(b"901234", b"other", timestamp);
        let peer = ip("10.0.0.9");
        let refused = |result: Result<BindPermit, BindRefusal>| result.unwrap_err();
        assert_eq!(
            refused(accounts.admit_cmpp("901234", &bad, timestamp, peer)).connect_status(),
            ConnectStatus::AUTH_ERROR
        );
        assert_eq!(
            refused(accounts.admit_cmpp("999999", &good, timestamp, peer)).connect_status(),
            ConnectStatus::ILLEGAL_SOURCE_ADDR
        );
        assert_eq!(
            refused(accounts.admit_cmpp("901234", &good, timestamp, ip("11.0.0.1")))
                .connect_status(),
            ConnectStatus::ILLEGAL_SOURCE_ADDR
        );
        let permit = accounts
            .admit_cmpp("901234", &good, timestamp, peer)
            .unwrap();
        assert_eq!(
            accounts.admit("acme", b"secret", peer, BindMode::Receiver),
            Err(BindRefusal::OverMaxBinds { max_binds: 1 })
        );
        accounts.release(permit);
    }

    #[test]
    fn bad_account_tables_are_refused() {
        // Proves the operator errors: duplicate system_id, duplicate CMPP Source_Addr and a
        // max_binds of zero.
        let duplicate = Accounts::new(vec![spec("a", &[], 1), spec("a", &[], 1)]);
        assert!(matches!(
            duplicate,
            Err(AccountsError::DuplicateSystemId { .. })
        ));
        let cmpp = Some(CmppSpec {
            source_addr: "1".to_owned(),
            shared_secret: "s".to_owned(),
        });
        let mut a = spec("a", &[], 1);
        a.cmpp = cmpp.clone();
        let mut b = spec("b", &[], 1);
        b.cmpp = cmpp;
        assert!(matches!(
            Accounts::new(vec![a, b]),
            Err(AccountsError::DuplicateSourceAddr { .. })
        ));
        assert!(matches!(
            Accounts::new(vec![spec("a", &[], 0)]),
            Err(AccountsError::MaxBindsZero { .. })
        ));
        assert!(Accounts::new(Vec::new()).unwrap().is_empty());
    }

    #[test]
    fn reload_keeps_ids_and_bind_counts() {
        // Proves a config push keeps an existing account's id and its open binds (a permit
        // from the old table releases into the new one), applies the new max_binds, appends a
        // new account, and refuses a removed one as unknown without reusing its id.
        let old = Accounts::new(vec![spec("a", &["::/0"], 2), spec("b", &["::/0"], 2)]).unwrap();
        let peer = ip("::1");
        let permit = old.admit("b", b"secret", peer, BindMode::Receiver).unwrap();
        let new = old
            .reload(vec![spec("c", &["::/0"], 1), spec("b", &["::/0"], 1)])
            .unwrap();
        assert_eq!(new.len(), 3);
        assert_eq!(new.lookup("b"), Some(AccountId(1)));
        assert_eq!(new.lookup("c"), Some(AccountId(2)));
        assert_eq!(new.lookup("a"), None);
        assert_eq!(
            new.admit("a", b"secret", peer, BindMode::Receiver),
            Err(BindRefusal::UnknownSystemId)
        );
        assert_eq!(new.binds_count(AccountId(1)), 1);
        assert_eq!(
            new.admit("b", b"secret", peer, BindMode::Receiver),
            Err(BindRefusal::OverMaxBinds { max_binds: 1 })
        );
        new.release(permit);
        assert_eq!(old.binds_count(AccountId(1)), 0);
        let again = new.admit("b", b"secret", peer, BindMode::Receiver).unwrap();
        assert_eq!(again.account(), AccountId(1));
        let back = new.reload(vec![spec("a", &["::/0"], 1)]).unwrap();
        assert_eq!(back.lookup("a"), Some(AccountId(0)), "a keeps its old id");
        assert_eq!(
            back.binds_count(AccountId(1)),
            1,
            "b removed, its session still counted"
        );
        back.release(again);
    }

    #[test]
    fn password_comparison_is_exact() {
        // Proves the constant-time comparison agrees with `==` on equal, different, shorter,
        // longer and empty inputs.
        for (stored, given) in [
            (&b"secret"[..], &b"secret"[..]),
            (b"secret", b"secreT"),
            (b"secret", b"secre"),
            (b"secret", b"secrets"),
            (b"", b""),
            (b"", b"x"),
            (b"x", b""),
            (b"ab\0", b"ab"),
        ] {
            assert_eq!(constant_time_eq(stored, given), stored == given);
        }
    }
}
