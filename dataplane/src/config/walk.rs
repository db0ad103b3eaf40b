//! From a generic TOML table to the typed [`Config`], one section at a time.
//!
//! Each section reader records every problem it finds and returns what it could read; required
//! values it could not read come back as `None`. Entry readers hand each key they could read to
//! [`Context`] at once (uniqueness, route → connector references, relations to `[limits]`), and
//! [`walk`] ends with the checks that need whole sections, so one pass reports bad values,
//! duplicates and broken references together. The typed config is returned only when no error
//! was recorded.

use std::net::SocketAddr;
use std::path::Path;

use smsgw_shared::smpp::session::BindMode;
use toml::{Table, Value};

use super::check::{self, Context, Unique};
use super::error::{ConfigErrorKind, ConfigErrors};
use super::limits::*;
use super::reader::{Fields, Need, integer_value, string_value};
use super::value::{HostPort, Secret, parse_cidr, quote};
use super::{
    Account, CmppAccess, Config, Connector, Cores, Durability, Endpoint, IoBackend, Journal,
    Limits, Listeners, MessageIdFormat, MoConcat, Node, Ported, Route, Routing,
};

/// Reads and checks the whole file's table; paths in `node.data_dir` are joined to `base_dir`.
pub(super) fn walk(table: &Table, base_dir: &Path) -> Result<Config, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    let root = Fields::open(table, String::new(), "", &mut errors);
    let node = section(&root, &mut errors, "node", |fields, errors| {
        node(fields, errors, base_dir)
    });
    let control = section(&root, &mut errors, "control", endpoint);
    let metrics = section(&root, &mut errors, "metrics", endpoint);
    let smpp = section(&root, &mut errors, "smpp", listeners);
    let cmpp = section(&root, &mut errors, "cmpp", listeners);
    let limits = section(&root, &mut errors, "limits", limits);
    let journal = section(&root, &mut errors, "journal", journal);
    let routing = section(&root, &mut errors, "routing", routing);

    let mut context = Context::new(limits.as_ref(), connector_names(&root));
    let accounts = entries(
        &root,
        &mut errors,
        "account",
        ACCOUNTS_MAX,
        |fields, errors| account(fields, errors, &mut context),
    );
    let connectors = entries(
        &root,
        &mut errors,
        "connector",
        CONNECTORS_MAX,
        |fields, errors| connector(fields, errors, &mut context),
    );
    let routes = entries(&root, &mut errors, "route", ROUTES_MAX, |fields, errors| {
        route(fields, errors, &mut context)
    });
    let portability = entries(
        &root,
        &mut errors,
        "portability",
        PORTED_NUMBERS_MAX,
        |fields, errors| ported(fields, errors, &mut context),
    );
    check::relations(
        &check::Parts {
            control: control.as_ref(),
            metrics: metrics.as_ref(),
            smpp: smpp.as_ref(),
            cmpp: cmpp.as_ref(),
            limits: limits.as_ref(),
            accounts: &accounts,
            connectors: &connectors,
        },
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    // Every reader that returns `None` has recorded an error, so with none recorded every
    // section is present.
    let (Some(node), Some(control), Some(metrics), Some(smpp), Some(cmpp), Some(limits)) =
        (node, control, metrics, smpp, cmpp, limits)
    else {
        unreachable!("a config section failed without recording an error");
    };
    let Some(journal) = journal else {
        unreachable!("[journal] failed without recording an error");
    };
    let Some(routing) = routing else {
        unreachable!("[routing] failed without recording an error");
    };
    Ok(Config {
        node,
        control,
        metrics,
        smpp,
        cmpp,
        limits,
        journal,
        routing,
        accounts: without_paths(accounts),
        connectors: without_paths(connectors),
        routes: without_paths(routes),
        portability: without_paths(portability),
    })
}

/// The `name` of every `[[connector]]` table, valid or not, so that a route naming a connector
/// with a bad key elsewhere is not also reported as naming no connector.
fn connector_names<'t>(root: &Fields<'t>) -> Vec<&'t str> {
    match root.raw("connector") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_table()?.get("name")?.as_str())
            .collect(),
        _ => Vec::new(),
    }
}

fn without_paths<T>(entries: Vec<(String, T)>) -> Vec<T> {
    entries.into_iter().map(|(_, entry)| entry).collect()
}

/// Reads the table `[key]`; an absent table reads as an empty one, so its defaults apply and
/// its required keys are reported as missing.
fn section<T>(
    root: &Fields<'_>,
    errors: &mut ConfigErrors,
    key: &'static str,
    read: impl FnOnce(&Fields<'_>, &mut ConfigErrors) -> Option<T>,
) -> Option<T> {
    let empty = Table::new();
    let present = root.table(errors, key);
    if present.is_none() && root.raw(key).is_some() {
        // `node = 3` was reported by `table`; reading it as empty would only add noise.
        return None;
    }
    let fields = Fields::open(present.unwrap_or(&empty), root.path(key), key, errors);
    read(&fields, errors)
}

/// Reads every `[[key]]` entry with its path (`account[3]`); entries with errors are left out,
/// their errors recorded.
fn entries<T>(
    root: &Fields<'_>,
    errors: &mut ConfigErrors,
    key: &'static str,
    max: usize,
    mut read: impl FnMut(&Fields<'_>, &mut ConfigErrors) -> Option<T>,
) -> Vec<(String, T)> {
    let mut out = Vec::new();
    for (path, table) in root.tables(errors, key, max) {
        let fields = Fields::open(table, path.clone(), key, errors);
        if let Some(entry) = read(&fields, errors) {
            out.push((path, entry));
        }
    }
    out
}

fn node(fields: &Fields<'_>, errors: &mut ConfigErrors, base_dir: &Path) -> Option<Node> {
    let id = fields.integer(errors, "id", (0, NODE_ID_MAX), "", Need::Required);
    let cores = cores(fields, errors);
    let data_dir = fields.string(
        errors,
        "data_dir",
        "a directory path, relative to the config file",
        false,
        Need::Default(DATA_DIR_DEFAULT),
    );
    let data_dir = data_dir.and_then(|dir| {
        if dir.is_empty() {
            errors.push(
                fields.path("data_dir"),
                ConfigErrorKind::Empty {
                    expected: "a directory path, relative to the config file".to_owned(),
                },
            );
            None
        } else {
            Some(base_dir.join(dir))
        }
    });
    let io_backend = fields.word(
        errors,
        "io_backend",
        &[
            ("auto", IoBackend::Auto),
            ("io_uring", IoBackend::IoUring),
            ("epoll", IoBackend::Epoll),
        ],
        IoBackend::Auto,
    );
    let durability = fields.word(
        errors,
        "durability",
        &[
            ("sync", Durability::Sync),
            ("batch", Durability::Batch),
            ("none", Durability::None),
        ],
        Durability::Sync,
    );
    Some(Node {
        id: id?,
        cores: cores?,
        data_dir: data_dir?,
        io_backend: io_backend?,
        durability: durability?,
    })
}

/// `cores = 4` or `cores = [2, 3]`.
fn cores(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<Cores> {
    const EXPECTED: &str = "a core count or a list of core ids";
    let path = fields.path("cores");
    let Some(value) = fields.raw("cores") else {
        return Some(Cores::Count(CORES_DEFAULT));
    };
    match value {
        Value::Integer(_) => {
            integer_value(errors, &path, value, (1, CORES_MAX), "worker cores").map(Cores::Count)
        }
        Value::Array(items) => {
            if items.is_empty() {
                errors.push(
                    path,
                    ConfigErrorKind::Empty {
                        expected: "at least one core id".to_owned(),
                    },
                );
                return None;
            }
            if items.len() > usize::from(CORES_MAX) {
                errors.push(
                    path,
                    ConfigErrorKind::TooMany {
                        count: items.len(),
                        max: usize::from(CORES_MAX),
                    },
                );
                return None;
            }
            // (index in the list, core id) of each valid item, for duplicate reports.
            let mut ids: Vec<(usize, u16)> = Vec::with_capacity(items.len());
            let mut valid = true;
            for (index, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{index}]");
                let Some(id) = integer_value(errors, &item_path, item, (0, CORE_ID_MAX), "core id")
                else {
                    valid = false;
                    continue;
                };
                if let Some((first, _)) = ids.iter().find(|(_, seen)| *seen == id) {
                    errors.push(
                        item_path,
                        ConfigErrorKind::Duplicate {
                            got: id.to_string(),
                            first: format!("{path}[{first}]"),
                        },
                    );
                    valid = false;
                }
                ids.push((index, id));
            }
            valid.then(|| Cores::List(ids.into_iter().map(|(_, id)| id).collect()))
        }
        other => {
            errors.push(
                path,
                ConfigErrorKind::WrongType {
                    expected: EXPECTED.to_owned(),
                    got: super::value::describe(other, false),
                },
            );
            None
        }
    }
}

/// `[control]` and `[metrics]`: one optional listen address.
fn endpoint(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<Endpoint> {
    let listen = fields.string(errors, "listen", LISTEN_SHAPE, false, Need::Optional);
    let present = fields.raw("listen").is_some();
    match listen {
        Some(text) => socket_addr(errors, &fields.path("listen"), text).map(|address| Endpoint {
            listen: Some(address),
        }),
        None if present => None,
        None => Some(Endpoint { listen: None }),
    }
}

/// `[smpp]` and `[cmpp]`: a list of listen addresses.
fn listeners(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<Listeners> {
    let items = fields.array(
        errors,
        "listen",
        "an array of listen addresses like [\"127.0.0.1:2775\"]",
        LISTEN_ADDRS_MAX,
        Need::Default(&[]),
    )?;
    let path = fields.path("listen");
    let mut listen = Vec::with_capacity(items.len());
    let mut valid = true;
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        let address = string_value(errors, &item_path, item, LISTEN_SHAPE, false)
            .and_then(|text| socket_addr(errors, &item_path, text));
        match address {
            Some(address) => listen.push(address),
            None => valid = false,
        }
    }
    valid.then_some(Listeners { listen })
}

fn limits(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<Limits> {
    let mut read = |key: &str, range: (u32, u32), unit: &str, default: u32| {
        fields.integer(errors, key, range, unit, Need::Default(default))
    };
    let sessions_max = read(
        "sessions_max",
        (1, SESSIONS_MAX_CEILING),
        "SP sessions",
        SESSIONS_MAX_DEFAULT,
    );
    let connector_queue_max = read(
        "connector_queue_max",
        (1, CONNECTOR_QUEUE_MAX_CEILING),
        "messages per connector",
        CONNECTOR_QUEUE_MAX_DEFAULT,
    );
    let receipt_queue_max = read(
        "receipt_queue_max",
        (1, DELIVER_QUEUE_MAX_CEILING),
        "receipts",
        RECEIPT_QUEUE_MAX_DEFAULT,
    );
    let mo_queue_max = read(
        "mo_queue_max",
        (1, DELIVER_QUEUE_MAX_CEILING),
        "MO messages",
        MO_QUEUE_MAX_DEFAULT,
    );
    let pdu_size_max = read(
        "pdu_size_max",
        (PDU_SIZE_MAX_FLOOR, PDU_SIZE_MAX_DEFAULT),
        "bytes",
        PDU_SIZE_MAX_DEFAULT,
    );
    let transmit_size_max = read(
        "transmit_size_max",
        (TRANSMIT_SIZE_MAX_FLOOR, TRANSMIT_SIZE_MAX_CEILING),
        "bytes",
        TRANSMIT_SIZE_MAX_DEFAULT,
    );
    let timeout = (TIMEOUT_MS_MIN, TIMEOUT_MS_MAX);
    let response_timeout_ms = read("response_timeout_ms", timeout, "ms", TIMEOUT_MS_DEFAULT);
    let bind_timeout_ms = read("bind_timeout_ms", timeout, "ms", TIMEOUT_MS_DEFAULT);
    let enquire_link_s = read(
        "enquire_link_s",
        (ENQUIRE_LINK_S_MIN, ENQUIRE_LINK_S_MAX),
        "seconds",
        ENQUIRE_LINK_S_DEFAULT,
    );
    let idle_timeout_s = read(
        "idle_timeout_s",
        (IDLE_TIMEOUT_S_MIN, IDLE_TIMEOUT_S_MAX),
        "seconds",
        IDLE_TIMEOUT_S_DEFAULT,
    );
    Some(Limits {
        sessions_max: sessions_max?,
        connector_queue_max: connector_queue_max?,
        receipt_queue_max: receipt_queue_max?,
        mo_queue_max: mo_queue_max?,
        pdu_size_max: pdu_size_max?,
        transmit_size_max: transmit_size_max?,
        response_timeout_ms: response_timeout_ms?,
        bind_timeout_ms: bind_timeout_ms?,
        enquire_link_s: enquire_link_s?,
        idle_timeout_s: idle_timeout_s?,
    })
}

fn journal(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<Journal> {
    let segment_size_bytes = fields.integer(
        errors,
        "segment_size_bytes",
        (SEGMENT_SIZE_BYTES_MIN, SEGMENT_SIZE_BYTES_MAX),
        "bytes",
        Need::Default(SEGMENT_SIZE_BYTES_DEFAULT),
    );
    let sync_interval_ms = fields.integer(
        errors,
        "sync_interval_ms",
        (SYNC_INTERVAL_MS_MIN, SYNC_INTERVAL_MS_MAX),
        "ms",
        Need::Default(SYNC_INTERVAL_MS_DEFAULT),
    );
    Some(Journal {
        segment_size_bytes: segment_size_bytes?,
        sync_interval_ms: sync_interval_ms?,
    })
}

fn routing(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<Routing> {
    let status = |errors: &mut ConfigErrors, key: &str, default: u32| {
        fields.integer(
            errors,
            key,
            (1, ROUTE_STATUS_MAX),
            "an SMPP command_status other than 0 (e.g. 0x0B)",
            Need::Default(default),
        )
    };
    let no_route_status = status(errors, "no_route_status", NO_ROUTE_STATUS_DEFAULT);
    let all_down_status = status(errors, "all_down_status", ALL_DOWN_STATUS_DEFAULT);
    Some(Routing {
        no_route_status: no_route_status?,
        all_down_status: all_down_status?,
    })
}

fn account(
    fields: &Fields<'_>,
    errors: &mut ConfigErrors,
    context: &mut Context<'_>,
) -> Option<Account> {
    let id = text(fields, errors, "id", &SYSTEM_ID);
    if let Some(id) = id {
        context.unique(Unique::AccountId, id, fields.path("id"), errors);
    }
    let password = text(fields, errors, "password", &SP_PASSWORD);
    let allowed_ips = allowed_ips(fields, errors);
    let max_binds = fields.integer(
        errors,
        "max_binds",
        (1, ACCOUNT_BINDS_MAX),
        "binds",
        Need::Default(ACCOUNT_BINDS_DEFAULT),
    );
    if let Some(max_binds) = max_binds {
        context.max_binds(max_binds, fields.path("max_binds"), errors);
    }
    let tps = tps(fields, errors);
    let window = window(fields, errors);
    let short_codes = short_codes(fields, errors, context);
    let message_id_format = fields.word(
        errors,
        "message_id_format",
        &[
            ("hex", MessageIdFormat::Hex),
            ("decimal", MessageIdFormat::Decimal),
        ],
        MessageIdFormat::Hex,
    );
    let cmpp = cmpp_access(fields, errors, context);
    let sender_tps = fields.integer(
        errors,
        "sender_tps",
        (0, TPS_MAX),
        "messages per second per source address, 0 for no limit",
        Need::Default(0),
    );
    let prefix_tps = fields.integer(
        errors,
        "prefix_tps",
        (0, TPS_MAX),
        "messages per second per destination prefix, 0 for no limit",
        Need::Default(0),
    );
    let prefix_digits = fields.integer(
        errors,
        "prefix_digits",
        (1, ADDRESS_DIGITS_MAX as u32),
        "leading destination digits",
        Need::Default(PREFIX_DIGITS_DEFAULT),
    );
    let delayed_response_ms = fields.integer(
        errors,
        "delayed_response_ms",
        (0, crate::flow::RESPONSE_HOLD_MAX_MS as u32),
        "milliseconds, 0 to answer ESME_RTHROTTLED at once",
        Need::Default(0),
    );
    let mo_concat = fields.word(
        errors,
        "mo_concat",
        &[
            ("parts", MoConcat::Parts),
            ("reassemble", MoConcat::Reassemble),
        ],
        MoConcat::Parts,
    );
    Some(Account {
        id: id?.to_owned(),
        password: Secret::new(password?.to_owned()),
        allowed_ips: allowed_ips?,
        max_binds: max_binds?,
        tps: tps?,
        window: window?,
        short_codes: short_codes?,
        message_id_format: message_id_format?,
        cmpp: cmpp?,
        sender_tps: sender_tps?,
        prefix_tps: prefix_tps?,
        prefix_digits: prefix_digits?,
        delayed_response_ms: delayed_response_ms?,
        mo_concat: mo_concat?,
    })
}

fn allowed_ips(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<Vec<ipnet::IpNet>> {
    const ITEM: &str = "a CIDR block like \"10.0.0.0/8\" or \"2001:db8::/32\", or an address";
    let items = fields.array(
        errors,
        "allowed_ips",
        "an array of CIDR blocks like [\"10.0.0.0/8\"]",
        ALLOWED_IPS_MAX,
        Need::Required,
    )?;
    let path = fields.path("allowed_ips");
    if items.is_empty() {
        errors.push(
            path,
            ConfigErrorKind::Empty {
                expected: "at least one CIDR block; [\"0.0.0.0/0\", \"::/0\"] allows any address"
                    .to_owned(),
            },
        );
        return None;
    }
    // (index in the list, block) of each valid item, for duplicate reports.
    let mut blocks: Vec<(usize, ipnet::IpNet)> = Vec::with_capacity(items.len());
    let mut valid = true;
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        let Some(text) = string_value(errors, &item_path, item, ITEM, false) else {
            valid = false;
            continue;
        };
        match parse_cidr(text) {
            Ok(block) => {
                if let Some((first, _)) = blocks.iter().find(|(_, seen)| *seen == block) {
                    errors.push(
                        item_path,
                        ConfigErrorKind::Duplicate {
                            got: quote(text),
                            first: format!("{path}[{first}]"),
                        },
                    );
                    valid = false;
                }
                blocks.push((index, block));
            }
            Err(reason) => {
                errors.push(
                    item_path,
                    ConfigErrorKind::Malformed {
                        got: quote(text),
                        expected: format!("{ITEM} ({reason})"),
                    },
                );
                valid = false;
            }
        }
    }
    valid.then(|| blocks.into_iter().map(|(_, block)| block).collect())
}

fn short_codes(
    fields: &Fields<'_>,
    errors: &mut ConfigErrors,
    context: &mut Context<'_>,
) -> Option<Vec<String>> {
    let items = fields.array(
        errors,
        "short_codes",
        "an array of digit strings like [\"12345\"]",
        SHORT_CODES_MAX,
        Need::Default(&[]),
    )?;
    let path = fields.path("short_codes");
    let mut codes = Vec::with_capacity(items.len());
    let mut valid = true;
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        let code = string_value(errors, &item_path, item, DIGITS_SHAPE, false)
            .and_then(|text| digits(errors, &item_path, text, false));
        match code {
            Some(code) => {
                context.unique(Unique::ShortCode, code, item_path, errors);
                codes.push(code.to_owned());
            }
            None => valid = false,
        }
    }
    valid.then_some(codes)
}

/// The optional `cmpp = { source_addr, shared_secret }`: `Some(None)` when absent.
fn cmpp_access(
    fields: &Fields<'_>,
    errors: &mut ConfigErrors,
    context: &mut Context<'_>,
) -> Option<Option<CmppAccess>> {
    let present = fields.raw("cmpp").is_some();
    let Some(table) = fields.table(errors, "cmpp") else {
        return if present { None } else { Some(None) };
    };
    let cmpp = Fields::open(table, fields.path("cmpp"), "account.cmpp", errors);
    let source_addr = text(&cmpp, errors, "source_addr", &CMPP_SOURCE_ADDR);
    if let Some(source_addr) = source_addr {
        let path = cmpp.path("source_addr");
        context.unique(Unique::CmppSourceAddr, source_addr, path, errors);
    }
    let shared_secret = text(&cmpp, errors, "shared_secret", &CMPP_SHARED_SECRET);
    Some(Some(CmppAccess {
        source_addr: source_addr?.to_owned(),
        shared_secret: Secret::new(shared_secret?.to_owned()),
    }))
}

fn connector(
    fields: &Fields<'_>,
    errors: &mut ConfigErrors,
    context: &mut Context<'_>,
) -> Option<Connector> {
    let name = fields
        .string(errors, "name", NAME_SHAPE, false, Need::Required)
        .and_then(|text| connector_name(errors, &fields.path("name"), text));
    if let Some(name) = &name {
        context.unique(Unique::ConnectorName, name, fields.path("name"), errors);
    }
    let address = fields
        .string(errors, "address", ADDRESS_SHAPE, false, Need::Required)
        .and_then(|text| match text.parse::<HostPort>() {
            Ok(address) => Some(address),
            Err(reason) => {
                errors.push(
                    fields.path("address"),
                    ConfigErrorKind::Malformed {
                        got: quote(text),
                        expected: format!("{ADDRESS_SHAPE} ({reason})"),
                    },
                );
                None
            }
        });
    let system_id = text(fields, errors, "system_id", &SYSTEM_ID);
    let password = text(fields, errors, "password", &SMSC_PASSWORD);
    let bind = fields.word(
        errors,
        "bind",
        &[
            ("transmitter", BindMode::Transmitter),
            ("receiver", BindMode::Receiver),
            ("transceiver", BindMode::Transceiver),
        ],
        BindMode::Transceiver,
    );
    let binds = fields.integer(
        errors,
        "binds",
        (1, CONNECTOR_BINDS_MAX),
        "binds",
        Need::Default(CONNECTOR_BINDS_DEFAULT),
    );
    let window = window(fields, errors);
    let tps = tps(fields, errors);
    let enquire_link_s = fields.integer(
        errors,
        "enquire_link_s",
        (ENQUIRE_LINK_S_MIN, ENQUIRE_LINK_S_MAX),
        "seconds",
        Need::Default(ENQUIRE_LINK_S_DEFAULT),
    );
    if let Some(enquire_link_s) = enquire_link_s {
        context.enquire_link(enquire_link_s, &fields.path("enquire_link_s"), errors);
    }
    Some(Connector {
        name: name?,
        address: address?,
        system_id: system_id?.to_owned(),
        password: Secret::new(password?.to_owned()),
        bind: bind?,
        binds: binds?,
        window: window?,
        tps: tps?,
        enquire_link_s: enquire_link_s?,
    })
}

fn route(
    fields: &Fields<'_>,
    errors: &mut ConfigErrors,
    context: &mut Context<'_>,
) -> Option<Route> {
    let prefix = fields
        .string(
            errors,
            "prefix",
            "destination digits like \"2547\", or \"\" for the default route",
            false,
            Need::Required,
        )
        .and_then(|text| digits(errors, &fields.path("prefix"), text, true));
    let account = match fields.string(
        errors,
        "account",
        "an [[account]] id; the route then applies to that account only",
        false,
        Need::Optional,
    ) {
        Some(id) if context.account_exists(id, &fields.path("account"), errors) => Some(Some(id)),
        Some(_) => None,
        None if fields.raw("account").is_some() => None,
        None => Some(None),
    };
    if let (Some(prefix), Some(account)) = (prefix, account) {
        // One prefix per account (or per the global table).
        let key = format!("{}\u{0}{prefix}", account.unwrap_or(""));
        context.unique(Unique::RoutePrefix, &key, fields.path("prefix"), errors);
    }
    let connectors = connector_list(fields, errors, context);
    Some(Route {
        prefix: prefix?.to_owned(),
        connectors: connectors?,
        account: account?.map(str::to_owned),
    })
}

/// `[[portability]]`: one ported number and where it goes.
fn ported(
    fields: &Fields<'_>,
    errors: &mut ConfigErrors,
    context: &mut Context<'_>,
) -> Option<Ported> {
    let number = fields
        .string(
            errors,
            "number",
            "the full destination number in digits, like \"254711000001\"",
            false,
            Need::Required,
        )
        .and_then(|text| digits(errors, &fields.path("number"), text, false));
    if let Some(number) = number {
        context.unique(Unique::PortedNumber, number, fields.path("number"), errors);
    }
    let connectors = connector_list(fields, errors, context);
    Some(Ported {
        number: number?.to_owned(),
        connectors: connectors?,
    })
}

/// `connectors` of a route or ported number: existing names, in failover order, no repeats.
fn connector_list(
    fields: &Fields<'_>,
    errors: &mut ConfigErrors,
    context: &mut Context<'_>,
) -> Option<Vec<String>> {
    let items = fields.array(
        errors,
        "connectors",
        "an array of connector names in failover order, like [\"op-a\"]",
        ROUTE_CONNECTORS_MAX,
        Need::Required,
    );
    let path = fields.path("connectors");
    items.and_then(|items| {
        if items.is_empty() {
            errors.push(
                path.clone(),
                ConfigErrorKind::Empty {
                    expected: "at least one connector name".to_owned(),
                },
            );
            return None;
        }
        // (index in the list, name) of each string item, for duplicate reports.
        let mut names: Vec<(usize, &str)> = Vec::with_capacity(items.len());
        let mut valid = true;
        for (index, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            let Some(name) = string_value(errors, &item_path, item, NAME_SHAPE, false) else {
                valid = false;
                continue;
            };
            if !context.connector_exists(name, &item_path, errors) {
                valid = false;
            } else if let Some((first, _)) = names.iter().find(|(_, seen)| *seen == name) {
                errors.push(
                    item_path,
                    ConfigErrorKind::Duplicate {
                        got: quote(name),
                        first: format!("{path}[{first}]"),
                    },
                );
                valid = false;
            }
            names.push((index, name));
        }
        valid.then(|| names.into_iter().map(|(_, name)| name.to_owned()).collect())
    })
}

/// A string key checked against `rule`: printable ASCII (SMPP C-Octet Strings and CMPP fixed
/// fields carry nothing else reliably), at most `rule.size_max` bytes, empty only if allowed.
fn text<'t>(
    fields: &Fields<'t>,
    errors: &mut ConfigErrors,
    key: &str,
    rule: &TextRule,
) -> Option<&'t str> {
    let text = fields.string(errors, key, rule.expected, rule.secret, Need::Required)?;
    let path = fields.path(key);
    if text.is_empty() && !rule.empty_ok {
        errors.push(
            path,
            ConfigErrorKind::Empty {
                expected: rule.expected.to_owned(),
            },
        );
        return None;
    }
    let shown = if rule.secret {
        "<redacted>".to_owned()
    } else {
        quote(text)
    };
    if text.len() > rule.size_max {
        errors.push(
            path,
            ConfigErrorKind::TooLong {
                got: shown,
                size: text.len(),
                max: rule.size_max,
            },
        );
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        errors.push(
            path,
            ConfigErrorKind::Malformed {
                got: shown,
                expected: format!("{} (the wire field carries nothing else)", rule.expected),
            },
        );
        return None;
    }
    Some(text)
}

fn tps(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<u32> {
    fields.integer(
        errors,
        "tps",
        (1, TPS_MAX),
        "messages per second",
        Need::Default(TPS_DEFAULT),
    )
}

fn window(fields: &Fields<'_>, errors: &mut ConfigErrors) -> Option<u32> {
    fields.integer(
        errors,
        "window",
        (1, WINDOW_MAX),
        "outstanding requests per session",
        Need::Default(WINDOW_DEFAULT),
    )
}

/// Digits only, at most [`ADDRESS_DIGITS_MAX`]; empty only where `empty_ok` (the default
/// route).
fn digits<'t>(
    errors: &mut ConfigErrors,
    path: &str,
    text: &'t str,
    empty_ok: bool,
) -> Option<&'t str> {
    if text.is_empty() && !empty_ok {
        errors.push(
            path,
            ConfigErrorKind::Empty {
                expected: DIGITS_SHAPE.to_owned(),
            },
        );
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(
            path,
            ConfigErrorKind::Malformed {
                got: quote(text),
                expected: format!("{DIGITS_SHAPE} (no '+', spaces or separators)"),
            },
        );
        return None;
    }
    if text.len() > ADDRESS_DIGITS_MAX {
        errors.push(
            path,
            ConfigErrorKind::TooLong {
                got: quote(text),
                size: text.len(),
                max: ADDRESS_DIGITS_MAX,
            },
        );
        return None;
    }
    Some(text)
}

fn connector_name(errors: &mut ConfigErrors, path: &str, text: &str) -> Option<String> {
    if text.is_empty() {
        errors.push(
            path,
            ConfigErrorKind::Empty {
                expected: NAME_SHAPE.to_owned(),
            },
        );
        return None;
    }
    if text.len() > CONNECTOR_NAME_SIZE_MAX {
        errors.push(
            path,
            ConfigErrorKind::TooLong {
                got: quote(text),
                size: text.len(),
                max: CONNECTOR_NAME_SIZE_MAX,
            },
        );
        return None;
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
    if !text.bytes().all(allowed) {
        errors.push(
            path,
            ConfigErrorKind::Malformed {
                got: quote(text),
                expected: NAME_SHAPE.to_owned(),
            },
        );
        return None;
    }
    Some(text.to_owned())
}

fn socket_addr(errors: &mut ConfigErrors, path: &str, text: &str) -> Option<SocketAddr> {
    match text.parse::<SocketAddr>() {
        Ok(address) => Some(address),
        Err(_) => {
            errors.push(
                path,
                ConfigErrorKind::Malformed {
                    got: quote(text),
                    expected: LISTEN_SHAPE.to_owned(),
                },
            );
            None
        }
    }
}

const LISTEN_SHAPE: &str = "an IP address and port like \"127.0.0.1:2775\" or \"[::1]:2775\"";
const ADDRESS_SHAPE: &str = "host:port like \"smsc.example.net:2775\" or \"10.0.0.5:2775\"";
const NAME_SHAPE: &str = "a connector name of letters, digits, '-', '_' or '.'";
const DIGITS_SHAPE: &str = "a string of 1 to 20 digits like \"12345\"";

/// How a string key is checked by [`text`].
struct TextRule {
    /// The shape, as errors state it.
    expected: &'static str,
    /// Longest value in bytes.
    size_max: usize,
    /// Keep the value out of error messages.
    secret: bool,
    /// Whether `""` is allowed.
    empty_ok: bool,
}

const SYSTEM_ID: TextRule = TextRule {
    expected: "an SMPP system_id, 1 to 15 printable ASCII characters",
    size_max: SYSTEM_ID_SIZE_MAX,
    secret: false,
    empty_ok: false,
};

/// An SP's password must not be empty: it is what keeps others out.
const SP_PASSWORD: TextRule = TextRule {
    expected: "an SMPP password, 1 to 8 printable ASCII characters",
    size_max: PASSWORD_SIZE_MAX,
    secret: true,
    empty_ok: false,
};

/// Our password at an SMSC may be empty when the SMSC asks for none.
const SMSC_PASSWORD: TextRule = TextRule {
    expected: "an SMPP password, at most 8 printable ASCII characters",
    size_max: PASSWORD_SIZE_MAX,
    secret: true,
    empty_ok: true,
};

const CMPP_SOURCE_ADDR: TextRule = TextRule {
    expected: "the CMPP SP_Id, 1 to 6 printable ASCII characters like \"900001\"",
    size_max: CMPP_SOURCE_ADDR_SIZE_MAX,
    secret: false,
    empty_ok: false,
};

const CMPP_SHARED_SECRET: TextRule = TextRule {
    expected: "the CMPP shared secret, 1 to 64 printable ASCII characters",
    size_max: SHARED_SECRET_SIZE_MAX,
    secret: true,
    empty_ok: false,
};
