//! The compiled routing snapshot and its builder.
//!
//! Call contract: create a [`RouteSnapshotBuilder`] with the version, declare connectors, then
//! groups (which name connectors), then routes (which name groups), then `build`. Each call
//! validates its own entry and returns a typed [`BuildError`] without changing the builder, so a
//! config loader can call it for every entry, collect every error with its key, and refuse the
//! config once. `build` checks what needs the whole set (duplicate ported numbers) and returns
//! an `Arc` that every core shares; a new version is a new snapshot, never an edit.

// HOT PATH: `RouteSnapshot::select`, `route` and `route_digits` run once per message; they
// allocate nothing, take no locks and log nothing. The builder runs off the data plane.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use thiserror::Error;

use super::group::{Member, MemberSpec, RouteGroup, members_sort};
use super::number::Digits;
use super::ported::{PortedError, PortedNumbers, PortedNumbersBuilder};
use super::prefix::{PrefixError, PrefixTable, PrefixTableBuilder};
use super::{
    ACCOUNT_PREFIXES_MAX, ACCOUNTS_WITH_ROUTES_MAX, AccountId, CONNECTORS_MAX, ConnectorId,
    GROUP_MEMBERS_MAX, GROUPS_MAX, GroupId, NAME_SIZE_MAX, RouteError,
};
use crate::smpp::CommandStatus;

/// An immutable, versioned routing configuration: connectors, route groups, the global prefix
/// table, per-account prefix tables and portability overrides. `Send + Sync`; share it as
/// `Arc<RouteSnapshot>` and replace the `Arc` whole to change routes.
#[derive(Debug)]
pub struct RouteSnapshot {
    version: u64,
    connectors: Box<[Box<str>]>,
    group_names: Box<[Box<str>]>,
    /// `members[group_spans[g].0..group_spans[g].1]` are group g's members in failover order:
    /// one small array for all groups, so a selection reads one or two cache lines.
    group_spans: Box<[(u32, u32)]>,
    members: Box<[Member]>,
    global: PrefixTable,
    /// Sorted; `account_tables[i]` belongs to `accounts[i]`.
    accounts: Box<[AccountId]>,
    account_tables: Box<[PrefixTable]>,
    ported: PortedNumbers,
    statuses: RouteStatuses,
}

impl RouteSnapshot {
    /// Chooses the connector for a message from `account` to `destination` (ASCII digits,
    /// optional leading `+`). `seed` picks among weighted equals (pass a hash of the message id,
    /// or a counter); `is_available` says whether a connector can take a message now and is
    /// called at most once per member of the matched group.
    pub fn select(
        &self,
        account: AccountId,
        destination: &[u8],
        seed: u64,
        is_available: impl Fn(ConnectorId) -> bool,
    ) -> Result<Selection, RouteError> {
        let digits = Digits::parse(destination)?;
        let (group, source) = self
            .route_digits(account, &digits)
            .ok_or(RouteError::NoRoute)?;
        let Some((member, failed_over)) = self.group_view(group).select(seed, is_available) else {
            return Err(RouteError::AllConnectorsDown { group });
        };
        Ok(Selection {
            connector: member.connector,
            group,
            source,
            priority: member.priority,
            failed_over,
        })
    }

    /// The route group for `destination` and which table gave it, without choosing a connector
    /// (for `smsgwctl route test` and diagnostics).
    pub fn route(
        &self,
        account: AccountId,
        destination: &[u8],
    ) -> Result<(GroupId, RouteSource), RouteError> {
        let digits = Digits::parse(destination)?;
        self.route_digits(account, &digits)
            .ok_or(RouteError::NoRoute)
    }

    /// Precedence: portability override, then the account's table, then the global table.
    pub fn route_digits(
        &self,
        account: AccountId,
        digits: &Digits<'_>,
    ) -> Option<(GroupId, RouteSource)> {
        // All three lookups run, then precedence picks: they are independent, so with no
        // branch between them the CPU overlaps their cache misses. Measured faster than
        // returning at the first match, whose unpredictable branches serialise the misses.
        let ported = self.ported.lookup_digits(digits);
        let account = match self.accounts.binary_search(&account) {
            Ok(index) => self.account_tables[index].lookup_digits(digits),
            Err(_) => None,
        };
        let global = self.global.lookup_digits(digits);
        ported
            .map(|group| (group, RouteSource::Ported))
            .or(account.map(|group| (group, RouteSource::Account)))
            .or(global.map(|group| (group, RouteSource::Global)))
    }

    /// The command_status to answer `error` with, using this snapshot's configured codes.
    pub fn status(&self, error: &RouteError) -> CommandStatus {
        error.status_with(&self.statuses)
    }

    /// The version given to the builder.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The configured statuses.
    pub fn statuses(&self) -> RouteStatuses {
        self.statuses
    }

    /// The group with this id, if it belongs to this snapshot.
    pub fn group(&self, id: GroupId) -> Option<RouteGroup<'_>> {
        (id.index() < self.group_spans.len()).then(|| self.group_view(id))
    }

    /// The id of the group named `name` (a linear scan: not for the hot path).
    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        let index = self.group_names.iter().position(|known| &**known == name)?;
        GroupId::new(u32::try_from(index).ok()?)
    }

    /// How many connectors there are; ids are `0..connector_count()`.
    pub fn connector_count(&self) -> usize {
        self.connectors.len()
    }

    /// The name of a connector, if it belongs to this snapshot.
    pub fn connector_name(&self, id: ConnectorId) -> Option<&str> {
        self.connectors.get(id.index()).map(|name| &**name)
    }

    /// The id of the connector named `name` (a linear scan: not for the hot path).
    pub fn connector_id(&self, name: &str) -> Option<ConnectorId> {
        let index = self.connectors.iter().position(|known| &**known == name)?;
        ConnectorId::from_index(index)
    }

    /// The group `id`, which came from this snapshot's tables.
    fn group_view(&self, id: GroupId) -> RouteGroup<'_> {
        let (start, end) = self.group_spans[id.index()];
        RouteGroup {
            name: &self.group_names[id.index()],
            members: &self.members[start as usize..end as usize],
        }
    }

    /// Counts and heap size, for logs and metrics after a swap.
    pub fn stats(&self) -> RouteStats {
        let account_prefix_count = self.account_tables.iter().map(PrefixTable::len).sum();
        let account_heap_size: usize = self.account_tables.iter().map(PrefixTable::heap_size).sum();
        RouteStats {
            version: self.version,
            connector_count: self.connectors.len(),
            group_count: self.group_spans.len(),
            prefix_count: self.global.len(),
            account_count: self.accounts.len(),
            account_prefix_count,
            ported_count: self.ported.len(),
            heap_size: self.global.heap_size()
                + account_heap_size
                + self.ported.heap_size()
                + size_of_val(&*self.group_spans)
                + size_of_val(&*self.members),
        }
    }
}

/// Where a selection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteSource {
    /// A number-portability override for exactly this number.
    Ported,
    /// The longest match in the account's own prefix table.
    Account,
    /// The longest match in the global prefix table (possibly the default route).
    Global,
}

/// The connector chosen for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// The connector to send on.
    pub connector: ConnectorId,
    /// The route group that matched.
    pub group: GroupId,
    /// Which table matched.
    pub source: RouteSource,
    /// The chosen member's priority.
    pub priority: u8,
    /// True when a better priority had no available connector.
    pub failed_over: bool,
}

/// The command_status codes a snapshot answers route failures with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteStatuses {
    /// For [`RouteError::NoRoute`]. Default `ESME_RINVDSTADR` (0x0B): the destination is
    /// outside every configured route, so it is invalid for this gateway; SPs do not retry it.
    pub no_route: CommandStatus,
    /// For [`RouteError::AllConnectorsDown`]. Default `ESME_RMSGQFUL` (0x14): the route exists
    /// but cannot take a message now; SMPP clients treat it as transient and resubmit later,
    /// where `ESME_RSYSERR` is often read as a gateway fault and not retried.
    pub all_connectors_down: CommandStatus,
}

impl RouteStatuses {
    /// The defaults documented on each field.
    pub const DEFAULT: RouteStatuses = RouteStatuses {
        no_route: CommandStatus::ESME_RINVDSTADR,
        all_connectors_down: CommandStatus::ESME_RMSGQFUL,
    };
}

impl Default for RouteStatuses {
    fn default() -> Self {
        RouteStatuses::DEFAULT
    }
}

/// Sizes of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteStats {
    /// The snapshot's version.
    pub version: u64,
    /// Connectors declared.
    pub connector_count: usize,
    /// Route groups declared.
    pub group_count: usize,
    /// Prefixes in the global table.
    pub prefix_count: usize,
    /// Accounts with their own table.
    pub account_count: usize,
    /// Prefixes across all account tables.
    pub account_prefix_count: usize,
    /// Portability overrides.
    pub ported_count: usize,
    /// Bytes of heap in the tables and groups (names excluded: they are small).
    pub heap_size: usize,
}

/// Builds a [`RouteSnapshot`] from plain data; see the module doc for the call order.
#[derive(Debug)]
pub struct RouteSnapshotBuilder {
    version: u64,
    connectors: Vec<Box<str>>,
    connector_ids: HashMap<Box<str>, ConnectorId>,
    group_names: Vec<Box<str>>,
    group_spans: Vec<(u32, u32)>,
    members: Vec<Member>,
    group_ids: HashMap<Box<str>, GroupId>,
    global: PrefixTableBuilder,
    accounts: BTreeMap<AccountId, PrefixTableBuilder>,
    account_prefix_count: usize,
    ported: PortedNumbersBuilder,
    statuses: RouteStatuses,
}

impl RouteSnapshotBuilder {
    /// An empty builder for snapshot `version` (the caller's counter; larger is newer).
    pub fn new(version: u64) -> RouteSnapshotBuilder {
        RouteSnapshotBuilder {
            version,
            connectors: Vec::new(),
            connector_ids: HashMap::new(),
            group_names: Vec::new(),
            group_spans: Vec::new(),
            members: Vec::new(),
            group_ids: HashMap::new(),
            global: PrefixTableBuilder::new(),
            accounts: BTreeMap::new(),
            account_prefix_count: 0,
            ported: PortedNumbersBuilder::new(),
            statuses: RouteStatuses::DEFAULT,
        }
    }

    /// Declares a connector; ids are given in declaration order from 0.
    pub fn connector(&mut self, name: &str) -> Result<ConnectorId, BuildError> {
        name_check(name)?;
        if self.connector_ids.contains_key(name) {
            return Err(BuildError::ConnectorDuplicate { name: name.into() });
        }
        let Some(id) = ConnectorId::from_index(self.connectors.len()) else {
            return Err(BuildError::ConnectorsOver {
                max: CONNECTORS_MAX,
            });
        };
        self.connectors.push(name.into());
        self.connector_ids.insert(name.into(), id);
        Ok(id)
    }

    /// Declares a route group of already-declared connectors.
    pub fn group(&mut self, name: &str, members: &[MemberSpec]) -> Result<GroupId, BuildError> {
        name_check(name)?;
        if self.group_ids.contains_key(name) {
            return Err(BuildError::GroupDuplicate { name: name.into() });
        }
        let Some(id) = u32::try_from(self.group_names.len())
            .ok()
            .and_then(GroupId::new)
        else {
            return Err(BuildError::GroupsOver { max: GROUPS_MAX });
        };
        let mut members = self.members_compile(name, members)?;
        members_sort(&mut members);
        // members.len() <= GROUPS_MAX * GROUP_MEMBERS_MAX, far below 2^32.
        let start = self.members.len() as u32;
        self.members.extend_from_slice(&members);
        self.group_spans.push((start, self.members.len() as u32));
        self.group_names.push(name.into());
        self.group_ids.insert(name.into(), id);
        Ok(id)
    }

    /// Routes numbers starting with `prefix` (digits, `""` for the default route) to `group`
    /// in the global table.
    pub fn prefix(&mut self, prefix: &str, group: &str) -> Result<(), BuildError> {
        let group = self.group_lookup(group)?;
        self.global
            .insert(prefix, group)
            .map_err(BuildError::Prefix)
    }

    /// Routes numbers starting with `prefix` to `group` for messages from `account` only,
    /// before the global table.
    pub fn account_prefix(
        &mut self,
        account: AccountId,
        prefix: &str,
        group: &str,
    ) -> Result<(), BuildError> {
        let group = self.group_lookup(group)?;
        let prefix_error = |error| BuildError::AccountPrefix { account, error };
        if self.account_prefix_count >= ACCOUNT_PREFIXES_MAX {
            return Err(prefix_error(PrefixError::PrefixesOver {
                max: ACCOUNT_PREFIXES_MAX,
            }));
        }
        if let Some(table) = self.accounts.get_mut(&account) {
            table.insert(prefix, group).map_err(prefix_error)?;
        } else {
            if self.accounts.len() >= ACCOUNTS_WITH_ROUTES_MAX {
                return Err(BuildError::AccountsOver {
                    max: ACCOUNTS_WITH_ROUTES_MAX,
                });
            }
            let mut table = PrefixTableBuilder::with_prefix_count_max(ACCOUNT_PREFIXES_MAX);
            table.insert(prefix, group).map_err(prefix_error)?;
            self.accounts.insert(account, table);
        }
        self.account_prefix_count += 1;
        Ok(())
    }

    /// Routes exactly `number` (1 to 19 digits, no `+`) to `group`, before any prefix table.
    pub fn ported_number(&mut self, number: &str, group: &str) -> Result<(), BuildError> {
        let group = self.group_lookup(group)?;
        self.ported
            .insert(number, group)
            .map_err(BuildError::Ported)
    }

    /// Sets the statuses route failures are answered with; neither may be `ESME_ROK`.
    pub fn statuses(&mut self, statuses: RouteStatuses) -> Result<(), BuildError> {
        if statuses.no_route.is_ok() {
            return Err(BuildError::StatusOk { which: "no_route" });
        }
        if statuses.all_connectors_down.is_ok() {
            return Err(BuildError::StatusOk {
                which: "all_connectors_down",
            });
        }
        self.statuses = statuses;
        Ok(())
    }

    /// Compiles every table. Fails only on duplicate ported numbers (found by sorting).
    pub fn build(self) -> Result<Arc<RouteSnapshot>, BuildError> {
        let ported = self.ported.build().map_err(BuildError::Ported)?;
        let (accounts, account_tables): (Vec<AccountId>, Vec<PrefixTable>) = self
            .accounts
            .into_iter()
            .map(|(account, table)| (account, table.build()))
            .unzip();
        let snapshot = RouteSnapshot {
            version: self.version,
            connectors: self.connectors.into_boxed_slice(),
            group_names: self.group_names.into_boxed_slice(),
            group_spans: self.group_spans.into_boxed_slice(),
            members: self.members.into_boxed_slice(),
            global: self.global.build(),
            accounts: accounts.into_boxed_slice(),
            account_tables: account_tables.into_boxed_slice(),
            ported,
            statuses: self.statuses,
        };
        // BTreeMap iteration is ordered, so binary search on accounts is valid.
        assert!(snapshot.accounts.is_sorted());
        assert!(snapshot.accounts.len() == snapshot.account_tables.len());
        Ok(Arc::new(snapshot))
    }

    fn group_lookup(&self, name: &str) -> Result<GroupId, BuildError> {
        self.group_ids
            .get(name)
            .copied()
            .ok_or_else(|| BuildError::GroupUnknown { name: name.into() })
    }

    fn members_compile(
        &self,
        group: &str,
        specs: &[MemberSpec],
    ) -> Result<Vec<Member>, BuildError> {
        if specs.is_empty() {
            return Err(BuildError::GroupEmpty {
                group: group.into(),
            });
        }
        if specs.len() > GROUP_MEMBERS_MAX {
            return Err(BuildError::GroupMembersOver {
                group: group.into(),
                got: specs.len(),
                max: GROUP_MEMBERS_MAX,
            });
        }
        let mut members: Vec<Member> = Vec::with_capacity(specs.len());
        for spec in specs {
            let member_error = |rule| BuildError::GroupMember {
                group: group.into(),
                connector: spec.connector.clone(),
                rule,
            };
            let Some(&connector) = self.connector_ids.get(spec.connector.as_str()) else {
                return Err(member_error(MemberRule::ConnectorUnknown));
            };
            if members.iter().any(|member| member.connector == connector) {
                return Err(member_error(MemberRule::ConnectorDuplicate));
            }
            if spec.weight == 0 {
                return Err(member_error(MemberRule::WeightZero));
            }
            members.push(Member {
                connector,
                priority: spec.priority,
                weight: spec.weight,
            });
        }
        Ok(members)
    }
}

/// Why a routing configuration entry was refused. An operator error: the config loader adds
/// the key and reports every one before refusing the config.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildError {
    /// A connector or group name is empty, too long, or not printable ASCII without spaces.
    #[error("name {name:?} must be 1 to {max} printable ASCII characters without spaces")]
    NameInvalid {
        /// The name as given.
        name: String,
        /// [`NAME_SIZE_MAX`].
        max: usize,
    },
    /// A connector name is declared twice.
    #[error("connector {name:?} is declared more than once")]
    ConnectorDuplicate {
        /// The name.
        name: String,
    },
    /// More than [`CONNECTORS_MAX`] connectors.
    #[error("more than {max} connectors")]
    ConnectorsOver {
        /// [`CONNECTORS_MAX`].
        max: usize,
    },
    /// A group name is declared twice.
    #[error("route group {name:?} is declared more than once")]
    GroupDuplicate {
        /// The name.
        name: String,
    },
    /// More than [`GROUPS_MAX`] groups.
    #[error("more than {max} route groups")]
    GroupsOver {
        /// [`GROUPS_MAX`].
        max: usize,
    },
    /// A group has no members.
    #[error("route group {group:?} has no connectors")]
    GroupEmpty {
        /// The group's name.
        group: String,
    },
    /// A group has more than [`GROUP_MEMBERS_MAX`] members.
    #[error("route group {group:?} has {got} connectors, over the maximum of {max}")]
    GroupMembersOver {
        /// The group's name.
        group: String,
        /// Members given.
        got: usize,
        /// [`GROUP_MEMBERS_MAX`].
        max: usize,
    },
    /// A group member breaks a rule.
    #[error("route group {group:?}, connector {connector:?}: {rule}")]
    GroupMember {
        /// The group's name.
        group: String,
        /// The member's connector name.
        connector: String,
        /// The rule broken.
        rule: MemberRule,
    },
    /// A route names a group that was not declared (groups come before routes).
    #[error("route group {name:?} is not declared")]
    GroupUnknown {
        /// The name.
        name: String,
    },
    /// A global prefix was refused.
    #[error("global route: {0}")]
    Prefix(#[source] PrefixError),
    /// An account prefix was refused.
    #[error("routes of account {}: {error}", account.0)]
    AccountPrefix {
        /// The account.
        account: AccountId,
        /// Why.
        #[source]
        error: PrefixError,
    },
    /// More than [`ACCOUNTS_WITH_ROUTES_MAX`] accounts have their own routes.
    #[error("more than {max} accounts with their own routes")]
    AccountsOver {
        /// [`ACCOUNTS_WITH_ROUTES_MAX`].
        max: usize,
    },
    /// A portability override was refused.
    #[error("number portability: {0}")]
    Ported(#[source] PortedError),
    /// A configured failure status is `ESME_ROK`, which would tell the SP it was accepted.
    #[error("route status {which} must not be ESME_ROK")]
    StatusOk {
        /// The field: `no_route` or `all_connectors_down`.
        which: &'static str,
    },
}

/// The rule a group member breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MemberRule {
    /// The connector is not declared (connectors come before groups).
    #[error("the connector is not declared")]
    ConnectorUnknown,
    /// The connector appears twice in the group.
    #[error("the connector appears more than once")]
    ConnectorDuplicate,
    /// The weight is 0; weights are 1 or more.
    #[error("weight must be at least 1")]
    WeightZero,
}

fn name_check(name: &str) -> Result<(), BuildError> {
    let printable = name.bytes().all(|byte| byte.is_ascii_graphic());
    if name.is_empty() || name.len() > NAME_SIZE_MAX || !printable {
        return Err(BuildError::NameInvalid {
            name: name.into(),
            max: NAME_SIZE_MAX,
        });
    }
    Ok(())
}
