//! The compiled configuration every core shares: accounts, routes, short codes and connectors,
//! built once from a [`Config`] off the data-plane cores and swapped in whole (`Arc`).
//!
//! The control plane (issue #6) will build a new `Snapshot` from each pushed version and hand
//! it to the cores; nothing on a core edits a snapshot.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use smsgw_shared::route::{
    AccountId as RouteAccountId, MemberSpec, RouteSnapshot, RouteSnapshotBuilder, RouteStatuses,
};
use smsgw_shared::smpp::CommandStatus;

use crate::admission::{AccountId, AccountSpec, Accounts, CmppSpec};
use crate::config::{Config, MessageIdFormat};
use crate::mo::{ShortCode, ShortCodeTable};

/// One account's settings as the cores need them.
#[derive(Debug, Clone)]
pub struct AccountInfo {
    /// The system_id.
    pub system_id: String,
    /// Submits per second over all binds and cores.
    pub tps: u32,
    /// How our message ids are rendered for it.
    pub message_id_format: MessageIdFormat,
}

/// One connector as the cores need it.
#[derive(Debug)]
pub struct ConnectorInfo {
    /// Its name.
    pub name: String,
    /// Where to connect (resolved at start).
    pub address: SocketAddr,
    /// The cores holding at least one of its binds.
    pub home_cores: Vec<usize>,
    /// Binds bound right now, over all cores (written by the owning cores on bind changes).
    pub bound: AtomicU32,
    /// Set by the owning cores while their queue of it is full (route failover reads it).
    pub full: AtomicBool,
}

impl ConnectorInfo {
    /// Whether a route may choose it now: at least one bind up and its queue not full.
    pub fn is_available(&self) -> bool {
        self.bound.load(Ordering::Relaxed) > 0 && !self.full.load(Ordering::Relaxed)
    }

    /// Whether it can queue a message (bound or not).
    pub fn has_room(&self) -> bool {
        !self.full.load(Ordering::Relaxed)
    }
}

/// Why a config cannot be compiled (beyond what the loader checks).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A connector address does not resolve.
    #[error("connector[{index}].address: {address}: {reason}")]
    Resolve {
        /// The connector's position.
        index: usize,
        /// The address as written.
        address: String,
        /// The resolver's answer.
        reason: String,
    },
    /// Accounts, routes or short codes were refused by their tables.
    #[error("{0}")]
    Table(String),
}

/// One route group per `connectors` list: in failover order (priority = position).
fn failover_members(connectors: &[String]) -> Vec<MemberSpec> {
    connectors
        .iter()
        .enumerate()
        .map(|(priority, name)| MemberSpec {
            connector: name.clone(),
            priority: u8::try_from(priority).unwrap_or(u8::MAX),
            weight: 1,
        })
        .collect()
}

/// The configuration compiled for the cores.
#[derive(Debug)]
pub struct Snapshot {
    /// The config it was built from.
    pub config: Config,
    /// Bind admission (shared bind counters).
    pub accounts: Accounts,
    /// Per account, indexed by [`AccountId`].
    pub account_info: Vec<AccountInfo>,
    /// Per account: sessions that may submit (transmitter, transceiver) over all cores. Cores
    /// split the account's TPS in proportion to their share of these.
    pub submit_binds: Vec<AtomicU32>,
    /// SP connections open on the node (all cores), against `limits.sessions_max`.
    pub sessions_open: AtomicU32,
    /// Routing.
    pub routes: Arc<RouteSnapshot>,
    /// MO short codes.
    pub short_codes: ShortCodeTable,
    /// Per connector, indexed like `config.connectors` and the route snapshot's connector ids.
    pub connectors: Vec<ConnectorInfo>,
    /// Data-plane cores.
    pub core_count: usize,
}

impl Snapshot {
    /// Compiles `config` for `core_count` cores (`version` numbers the route snapshot).
    pub fn build(config: Config, version: u64) -> Result<Snapshot, SnapshotError> {
        let core_count = config.node.cores.worker_count();
        let specs = config
            .accounts
            .iter()
            .map(|account| AccountSpec {
                system_id: account.id.clone(),
                password: account.password.expose().to_string(),
                allowed_ips: account.allowed_ips.clone(),
                max_binds: account.max_binds,
                enabled: true,
                cmpp: account.cmpp.as_ref().map(|cmpp| CmppSpec {
                    source_addr: cmpp.source_addr.clone(),
                    shared_secret: cmpp.shared_secret.expose().to_string(),
                }),
            })
            .collect();
        let accounts = Accounts::new(specs).map_err(|e| SnapshotError::Table(e.to_string()))?;
        let account_info = config
            .accounts
            .iter()
            .map(|account| AccountInfo {
                system_id: account.id.clone(),
                tps: account.tps,
                message_id_format: account.message_id_format,
            })
            .collect();

        let mut builder = RouteSnapshotBuilder::new(version);
        let table = |e: &dyn std::fmt::Display| SnapshotError::Table(e.to_string());
        for connector in &config.connectors {
            builder.connector(&connector.name).map_err(|e| table(&e))?;
        }
        for (index, route) in config.routes.iter().enumerate() {
            let members = failover_members(&route.connectors);
            let group = format!("route-{index}");
            builder.group(&group, &members).map_err(|e| table(&e))?;
            let placed = match &route.account {
                Some(id) => {
                    let position = config.accounts.iter().position(|a| &a.id == id);
                    let Some(position) = position else {
                        return Err(SnapshotError::Table(format!(
                            "route[{index}].account: {id:?} names no account"
                        )));
                    };
                    let account = RouteAccountId(u32::try_from(position).unwrap_or(u32::MAX));
                    builder.account_prefix(account, &route.prefix, &group)
                }
                None => builder.prefix(&route.prefix, &group),
            };
            placed.map_err(|e| SnapshotError::Table(format!("route[{index}].prefix: {e}")))?;
        }
        for (index, ported) in config.portability.iter().enumerate() {
            let members = failover_members(&ported.connectors);
            let group = format!("ported-{index}");
            builder.group(&group, &members).map_err(|e| table(&e))?;
            builder
                .ported_number(&ported.number, &group)
                .map_err(|e| SnapshotError::Table(format!("portability[{index}].number: {e}")))?;
        }
        builder
            .statuses(RouteStatuses {
                no_route: CommandStatus(config.routing.no_route_status),
                all_connectors_down: CommandStatus(config.routing.all_down_status),
            })
            .map_err(|e| SnapshotError::Table(format!("[routing]: {e}")))?;
        let routes = builder.build().map_err(|e| table(&e))?;

        let mut codes = Vec::new();
        for (index, account) in config.accounts.iter().enumerate() {
            for code in &account.short_codes {
                let id = AccountId(u32::try_from(index).unwrap_or(u32::MAX));
                codes.push(ShortCode::parse(code, id).map_err(|e| table(&e))?);
            }
        }
        let short_codes = ShortCodeTable::new(codes).map_err(|e| table(&e))?;

        let mut connectors = Vec::with_capacity(config.connectors.len());
        for (index, connector) in config.connectors.iter().enumerate() {
            let text = format!("{}:{}", connector.address.host, connector.address.port);
            let address = text
                .to_socket_addrs()
                .map_err(|e| e.to_string())
                .and_then(|mut addrs| addrs.next().ok_or_else(|| "no address".to_string()))
                .map_err(|reason| SnapshotError::Resolve {
                    index,
                    address: text.clone(),
                    reason,
                })?;
            let binds = connector.binds as usize;
            let home_cores = (0..core_count.min(binds)).collect();
            connectors.push(ConnectorInfo {
                name: connector.name.clone(),
                address,
                home_cores,
                bound: AtomicU32::new(0),
                full: AtomicBool::new(false),
            });
        }
        let submit_binds = config.accounts.iter().map(|_| AtomicU32::new(0)).collect();
        Ok(Snapshot {
            config,
            accounts,
            account_info,
            submit_binds,
            sessions_open: AtomicU32::new(0),
            routes,
            short_codes,
            connectors,
            core_count,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const CONFIG: &str = r#"
[node]
id = 1
cores = 2
[smpp]
listen = ["127.0.0.1:0"]
[[account]]
id = "acme"
password = "pw"
allowed_ips = ["127.0.0.0/8"]
[[account]]
id = "beta"
password = "pw"
allowed_ips = ["127.0.0.0/8"]
[[connector]]
name = "a"
address = "127.0.0.1:1"
system_id = "gw"
password = "pw"
[[connector]]
name = "b"
address = "127.0.0.1:2"
system_id = "gw"
password = "pw"
binds = 3
[[connector]]
name = "c"
address = "127.0.0.1:3"
system_id = "gw"
password = "pw"
[[route]]
prefix = "2547"
connectors = ["a", "b"]
[[route]]
prefix = "2547"
account = "beta"
connectors = ["c"]
[[portability]]
number = "254711000001"
connectors = ["b"]
"#;

    fn select(snapshot: &Snapshot, account: u32, destination: &str) -> String {
        let selection = snapshot
            .routes
            .select(RouteAccountId(account), destination.as_bytes(), 0, |_| true)
            .unwrap();
        snapshot.connectors[selection.connector.index()]
            .name
            .clone()
    }

    // Proves the config's routing layers compile in priority order: a ported number beats
    // every prefix, a per-account route beats the global one for that account only, and
    // connectors' home cores follow their bind counts.
    #[test]
    fn portability_and_account_routes_compile_in_priority_order() {
        let config = Config::parse(CONFIG, std::path::Path::new(".")).unwrap();
        let snapshot = Snapshot::build(config, 1).unwrap();
        assert_eq!(select(&snapshot, 0, "254722000000"), "a");
        assert_eq!(select(&snapshot, 1, "254722000000"), "c");
        assert_eq!(select(&snapshot, 0, "254711000001"), "b");
        assert_eq!(select(&snapshot, 1, "254711000001"), "b");
        assert_eq!(snapshot.connectors[0].home_cores, vec![0]);
        assert_eq!(snapshot.connectors[1].home_cores, vec![0, 1]);
    }

    // Proves [routing] sets the statuses route failures are answered with.
    #[test]
    fn configured_route_statuses_reach_the_snapshot() {
        let text =
            format!("{CONFIG}\n[routing]\nno_route_status = 0x401\nall_down_status = 0x58\n");
        let config = Config::parse(&text, std::path::Path::new(".")).unwrap();
        let snapshot = Snapshot::build(config, 1).unwrap();
        let error = snapshot
            .routes
            .select(RouteAccountId(0), b"3312345", 0, |_| true)
            .unwrap_err();
        assert_eq!(snapshot.routes.status(&error), CommandStatus(0x401));
        let error = snapshot
            .routes
            .select(RouteAccountId(0), b"254722000000", 0, |_| false)
            .unwrap_err();
        assert_eq!(
            snapshot.routes.status(&error),
            CommandStatus::ESME_RTHROTTLED
        );
    }

    // Proves a route naming an unknown account is refused by the loader with its key path.
    #[test]
    fn route_for_an_unknown_account_is_refused() {
        let text = CONFIG.replace("account = \"beta\"", "account = \"gamma\"");
        let errors = Config::parse(&text, std::path::Path::new(".")).unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("route[1].account"), "{text}");
        assert!(text.contains("names no [[account]]"), "{text}");
    }
}
