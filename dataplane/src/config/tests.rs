//! Tests of the config loader: the documented files load, each kind of error is reported at
//! the right key path, errors are collected rather than stopping at the first, the schema and
//! the docs agree, and no input panics (fixed-seed property tests).

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use smsgw_shared::smpp::session::BindMode;
use toml::{Table, Value};

use super::limits::*;
use super::schema::{KEYS, Reload, children, reload_of};
use super::*;

/// The example block of INTERFACES.md "Config file", verbatim.
const INTERFACES_EXAMPLE: &str = r#"
[node]
id = 1                       # 0..=255; part of message ids and the CMPP Msg_Id gateway id
cores = 2                    # data-plane workers, or a list of core ids: [2, 3]
data_dir = "var"             # journal segments and RocksDB
io_backend = "auto"          # auto | io_uring | epoll
durability = "sync"          # sync | batch | none

[control]
listen = "127.0.0.1:50051"   # in-process gRPC control plane; leave out to run without one

[metrics]
listen = "127.0.0.1:9100"    # GET /metrics (Prometheus text), /healthz

[smpp]
listen = ["127.0.0.1:2775"]

[cmpp]
listen = ["127.0.0.1:7890"]

[[account]]                  # one per SP
id = "acme"                  # the SMPP system_id
password = "secret1"
allowed_ips = ["127.0.0.0/8"]
max_binds = 8
tps = 1000                   # submits per second over all its binds
window = 64                  # outstanding requests per session
short_codes = ["12345"]      # MO to these destinations goes to this SP
message_id_format = "hex"    # hex | decimal
cmpp = { source_addr = "900001", shared_secret = "s3cret" }   # optional: CMPP access

[[connector]]                # one per upstream SMSC account
name = "op-a"
address = "127.0.0.1:2776"
system_id = "gw"
password = "pw"
bind = "transceiver"         # transmitter | receiver | transceiver
binds = 2
window = 64
tps = 5000
enquire_link_s = 30

[[route]]
prefix = "2547"              # longest match on the destination number; "" is the default route
connectors = ["op-a"]        # in failover order
"#;

/// The example file docs/config.md points operators at.
const DOCS_EXAMPLE: &str = include_str!("../../../docs/examples/smsgw.toml");

/// The reference that must document every key.
const DOCS_REFERENCE: &str = include_str!("../../../docs/config.md");

/// The smallest valid file: required keys only, one of each entry.
const MINIMAL: &str = r#"
[node]
id = 1

[smpp]
listen = ["127.0.0.1:2775"]

[[account]]
id = "acme"
password = "secret1"
allowed_ips = ["127.0.0.0/8"]
short_codes = ["12345"]

[[connector]]
name = "op-a"
address = "127.0.0.1:2776"
system_id = "gw"
password = "pw"

[[route]]
prefix = "2547"
connectors = ["op-a"]
"#;

#[test]
fn interfaces_example_loads_with_its_values() {
    // Proves the INTERFACES.md example is valid and every value lands in the typed field of
    // the same name, with data_dir joined to the config file's directory.
    let config = Config::parse(INTERFACES_EXAMPLE, Path::new("/etc/smsgw")).unwrap();
    assert_eq!(config.node.id, 1);
    assert_eq!(config.node.cores, Cores::Count(2));
    assert_eq!(config.node.data_dir, Path::new("/etc/smsgw/var"));
    assert_eq!(config.node.io_backend, IoBackend::Auto);
    assert_eq!(config.node.durability, Durability::Sync);
    assert_eq!(config.control.listen, Some(addr("127.0.0.1:50051")));
    assert_eq!(config.metrics.listen, Some(addr("127.0.0.1:9100")));
    assert_eq!(config.smpp.listen, vec![addr("127.0.0.1:2775")]);
    assert_eq!(config.cmpp.listen, vec![addr("127.0.0.1:7890")]);
    let account = &config.accounts[0];
    assert_eq!(account.id, "acme");
    assert_eq!(account.password.expose(), "secret1");
    assert_eq!(account.allowed_ips, vec!["127.0.0.0/8".parse().unwrap()]);
    assert_eq!(
        (account.max_binds, account.tps, account.window),
        (8, 1000, 64)
    );
    assert_eq!(account.short_codes, vec!["12345"]);
    assert_eq!(account.message_id_format, MessageIdFormat::Hex);
    let cmpp = account.cmpp.as_ref().unwrap();
    assert_eq!(cmpp.source_addr, "900001");
    assert_eq!(cmpp.shared_secret.expose(), "s3cret");
    let connector = &config.connectors[0];
    assert_eq!(connector.name, "op-a");
    assert_eq!(connector.address.to_string(), "127.0.0.1:2776");
    assert_eq!(connector.system_id, "gw");
    assert_eq!(connector.password.expose(), "pw");
    assert_eq!(connector.bind, BindMode::Transceiver);
    assert_eq!(
        (
            connector.binds,
            connector.window,
            connector.tps,
            connector.enquire_link_s
        ),
        (2, 64, 5000, 30)
    );
    assert_eq!(config.routes[0].prefix, "2547");
    assert_eq!(config.routes[0].connectors, vec!["op-a"]);
}

#[test]
fn docs_example_loads_and_states_the_defaults() {
    // Proves docs/examples/smsgw.toml is valid, and that the [limits] and [journal] values it
    // presents as defaults are the defaults a file without those sections gets.
    let example = Config::parse(DOCS_EXAMPLE, Path::new(".")).unwrap();
    assert_eq!(
        (
            example.accounts.len(),
            example.connectors.len(),
            example.routes.len()
        ),
        (2, 2, 2)
    );
    let minimal = Config::parse(MINIMAL, Path::new(".")).unwrap();
    assert_eq!(example.limits, minimal.limits);
    assert_eq!(example.journal, minimal.journal);
}

#[test]
fn minimal_file_gets_documented_defaults() {
    // Proves each optional key's default is the constant docs/config.md names.
    let config = Config::parse(MINIMAL, Path::new("cfg")).unwrap();
    assert_eq!(config.node.cores, Cores::Count(CORES_DEFAULT));
    assert_eq!(
        config.node.data_dir,
        Path::new("cfg").join(DATA_DIR_DEFAULT)
    );
    assert_eq!(config.node.io_backend, IoBackend::Auto);
    assert_eq!(config.node.durability, Durability::Sync);
    assert_eq!(config.control.listen, None);
    assert_eq!(config.metrics.listen, None);
    assert!(config.cmpp.listen.is_empty());
    let account = &config.accounts[0];
    assert_eq!(account.max_binds, ACCOUNT_BINDS_DEFAULT);
    assert_eq!(account.tps, TPS_DEFAULT);
    assert_eq!(account.window, WINDOW_DEFAULT);
    assert_eq!(account.message_id_format, MessageIdFormat::Hex);
    assert_eq!(account.cmpp, None);
    let connector = &config.connectors[0];
    assert_eq!(connector.bind, BindMode::Transceiver);
    assert_eq!(connector.binds, CONNECTOR_BINDS_DEFAULT);
    assert_eq!(connector.enquire_link_s, ENQUIRE_LINK_S_DEFAULT);
    let limits = &config.limits;
    assert_eq!(limits.sessions_max, SESSIONS_MAX_DEFAULT);
    assert_eq!(limits.connector_queue_max, CONNECTOR_QUEUE_MAX_DEFAULT);
    assert_eq!(limits.receipt_queue_max, RECEIPT_QUEUE_MAX_DEFAULT);
    assert_eq!(limits.mo_queue_max, MO_QUEUE_MAX_DEFAULT);
    assert_eq!(limits.pdu_size_max, PDU_SIZE_MAX_DEFAULT);
    assert_eq!(limits.transmit_size_max, TRANSMIT_SIZE_MAX_DEFAULT);
    assert_eq!(limits.response_timeout_ms, TIMEOUT_MS_DEFAULT);
    assert_eq!(limits.bind_timeout_ms, TIMEOUT_MS_DEFAULT);
    assert_eq!(limits.enquire_link_s, ENQUIRE_LINK_S_DEFAULT);
    assert_eq!(limits.idle_timeout_s, IDLE_TIMEOUT_S_DEFAULT);
    assert_eq!(
        config.journal.segment_size_bytes,
        SEGMENT_SIZE_BYTES_DEFAULT
    );
    assert_eq!(config.journal.sync_interval_ms, SYNC_INTERVAL_MS_DEFAULT);
    // The default session settings are the session's own defaults.
    assert_eq!(
        limits.account_session(account),
        smsgw_shared::smpp::session::SessionConfig::default()
    );
}

#[test]
fn core_list_and_other_forms_load() {
    // Proves the alternative forms: a core-id list, IPv6 listeners and networks, a bare
    // address as a /32, a host-name connector address and the default route.
    let text = MINIMAL
        .replace("id = 1", "id = 0\ncores = [2, 3]\ndurability = \"batch\"")
        .replace("\"127.0.0.1:2775\"]", "\"[::1]:2775\", \"0.0.0.0:0\"]")
        .replace("\"127.0.0.0/8\"]", "\"2001:db8::/32\", \"192.0.2.7\"]")
        .replace("\"127.0.0.1:2776\"", "\"smsc.example.net:2775\"")
        .replace("prefix = \"2547\"", "prefix = \"\"");
    let config = Config::parse(&text, Path::new(".")).unwrap();
    assert_eq!(config.node.cores, Cores::List(vec![2, 3]));
    assert_eq!(config.node.cores.worker_count(), 2);
    assert_eq!(config.node.durability, Durability::Batch);
    assert_eq!(config.smpp.listen[0], addr("[::1]:2775"));
    assert_eq!(
        config.accounts[0].allowed_ips[1].to_string(),
        "192.0.2.7/32"
    );
    assert_eq!(config.connectors[0].address.host, "smsc.example.net");
    assert_eq!(config.routes[0].prefix, "");
}

/// One kind of problem: the edit to [`MINIMAL`], where the error must be reported and a
/// fragment its message must contain.
struct Case {
    edit: (&'static str, &'static str),
    at: &'static str,
    fragment: &'static str,
}

const fn case(
    from: &'static str,
    to: &'static str,
    at: &'static str,
    fragment: &'static str,
) -> Case {
    Case {
        edit: (from, to),
        at,
        fragment,
    }
}

const ID_1: &str = "id = 1";
const ACME: &str = "id = \"acme\"";
const OP_A: &str = "name = \"op-a\"";
const PREFIX: &str = "prefix = \"2547\"";
const SMPP: &str = "[smpp]\nlisten = [\"127.0.0.1:2775\"]";

/// Every kind of error the loader reports, one case (or more) each.
const CASES: &[Case] = &[
    // Syntax.
    case(ID_1, "id = = 1", "line 3, column 6", "TOML syntax"),
    // Unknown keys, with and without a suggestion.
    case(
        ACME,
        "id = \"acme\"\ntsp = 5",
        "account[0].tsp",
        "did you mean `tps`?",
    ),
    case(
        ID_1,
        "id = 1\ncolour = 1",
        "node.colour",
        "expected one of: id, cores",
    ),
    case(
        "[smpp]",
        "[limit]\n[smpp]",
        "limit",
        "did you mean `limits`?",
    ),
    case(
        ACME,
        "id = \"acme\"\nMax-Binds = 2",
        "account[0].Max-Binds",
        "`max_binds`",
    ),
    case(
        ID_1,
        "id = 1\n\"odd key\" = 1",
        "node.\"odd key\"",
        "unknown key",
    ),
    case(
        ACME,
        "id = \"acme\"\ncmpp = { source_addr = \"9\", shared_secret = \"s\", sourceaddr = 1 }",
        "account[0].cmpp.sourceaddr",
        "did you mean `source_addr`?",
    ),
    // Missing and wrong types.
    case(ID_1, "", "node.id", "missing; expected an integer 0..=255"),
    case(
        "password = \"pw\"",
        "",
        "connector[0].password",
        "missing; expected an SMPP password",
    ),
    case(ID_1, "id = \"one\"", "node.id", "got string \"one\""),
    case(ID_1, "id = 1.5", "node.id", "got float 1.5"),
    case(
        ID_1,
        "id = 1\ncores = true",
        "node.cores",
        "a core count or a list of core ids",
    ),
    case(
        SMPP,
        "[smpp]\nlisten = \"127.0.0.1:2775\"",
        "smpp.listen",
        "an array of listen",
    ),
    case(
        "[node]",
        "control = 5\n[node]",
        "control",
        "expected a table",
    ),
    case(
        "[[account]]",
        "[[account]]\ncmpp = \"yes\"",
        "account[0].cmpp",
        "expected a table",
    ),
    case(
        "[[route]]\nprefix = \"2547\"\nconnectors = [\"op-a\"]",
        "[route]\nprefix = \"2547\"\nconnectors = [\"op-a\"]",
        "route",
        "an array of tables ([[route]])",
    ),
    // Ranges.
    case(
        ID_1,
        "id = 256",
        "node.id",
        "256 is out of range; expected an integer 0..=255",
    ),
    case(ID_1, "id = 1\ncores = 0", "node.cores", "0 is out of range"),
    case(
        ID_1,
        "id = 1\ncores = [1, 1024]",
        "node.cores[1]",
        "1024 is out of range",
    ),
    case(
        ACME,
        "id = \"acme\"\ntps = 0",
        "account[0].tps",
        "0 is out of range",
    ),
    case(
        ACME,
        "id = \"acme\"\nwindow = 70000",
        "account[0].window",
        "1..=65535",
    ),
    case(
        OP_A,
        "name = \"op-a\"\nbinds = 65",
        "connector[0].binds",
        "1..=64",
    ),
    case(
        ID_1,
        "id = 1\n[limits]\npdu_size_max = 80000",
        "limits.pdu_size_max",
        "1024..=72000",
    ),
    case(
        ID_1,
        "id = 1\n[journal]\nsync_interval_ms = -1",
        "journal.sync_interval_ms",
        "-1 is out of range",
    ),
    // Words.
    case(
        ID_1,
        "id = 1\nio_backend = \"uring\"",
        "node.io_backend",
        "\"auto\" | \"io_uring\"",
    ),
    case(
        OP_A,
        "name = \"op-a\"\nbind = \"trx\"",
        "connector[0].bind",
        "\"transceiver\"",
    ),
    // Malformed values.
    case(
        "\"127.0.0.0/8\"",
        "\"127.0.0.1/8\"",
        "account[0].allowed_ips[0]",
        "host bits are set; the network is 127.0.0.0/8",
    ),
    case(
        "\"127.0.0.0/8\"",
        "\"localhost\"",
        "account[0].allowed_ips[0]",
        "not an IP address",
    ),
    case(
        "\"127.0.0.0/8\"",
        "\"10.0.0.0/33\"",
        "account[0].allowed_ips[0]",
        "0 to 32",
    ),
    case(
        "\"127.0.0.1:2775\"",
        "\"localhost:2775\"",
        "smpp.listen[0]",
        "an IP address and port",
    ),
    case(
        "\"127.0.0.1:2776\"",
        "\"smsc\"",
        "connector[0].address",
        "the port is missing",
    ),
    case(
        "\"127.0.0.1:2776\"",
        "\"::1:2776\"",
        "connector[0].address",
        "needs brackets",
    ),
    case(
        "\"127.0.0.1:2776\"",
        "\"10.0.0.1:0\"",
        "connector[0].address",
        "port 0",
    ),
    case(
        "\"12345\"",
        "\"+12345\"",
        "account[0].short_codes[0]",
        "no '+'",
    ),
    case(PREFIX, "prefix = \"25a\"", "route[0].prefix", "digits"),
    case(
        "\"op-a\"",
        "\"op a\"",
        "connector[0].name",
        "letters, digits",
    ),
    case(ACME, "id = \"acmé\"", "account[0].id", "printable ASCII"),
    // Lengths, emptiness, counts.
    case(
        ACME,
        "id = \"abcdefghijklmnop\"",
        "account[0].id",
        "16 bytes; at most 15",
    ),
    case(
        "\"12345\"",
        "\"123456789012345678901\"",
        "account[0].short_codes[0]",
        "at most 20",
    ),
    case(
        "[\"127.0.0.0/8\"]",
        "[]",
        "account[0].allowed_ips",
        "empty; expected",
    ),
    case(
        "password = \"secret1\"",
        "password = \"\"",
        "account[0].password",
        "empty",
    ),
    case("\"op-a\"", "\"\"", "connector[0].name", "empty"),
    case("\"12345\"", "\"\"", "account[0].short_codes[0]", "empty"),
    case(
        "connectors = [\"op-a\"]",
        "connectors = []",
        "route[0].connectors",
        "empty",
    ),
    case(ID_1, "id = 1\ncores = []", "node.cores", "empty"),
    case(
        "connectors = [\"op-a\"]",
        "connectors = [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]",
        "route[0].connectors",
        "9 entries; at most 8",
    ),
    case(
        ACME,
        "id = \"acme\"\ncmpp = { source_addr = \"9\", shared_secret = \"\" }",
        "account[0].cmpp.shared_secret",
        "empty; expected the CMPP shared secret",
    ),
    // Duplicates.
    case(
        ID_1,
        "id = 1\ncores = [3, 3]",
        "node.cores[1]",
        "3 duplicates node.cores[0]",
    ),
    case(
        "[[connector]]",
        "[[account]]\nid = \"acme\"\npassword = \"p\"\nallowed_ips = [\"::/0\"]\n[[connector]]",
        "account[1].id",
        "\"acme\" duplicates account[0].id",
    ),
    case(
        "[[connector]]",
        "[[account]]\nid = \"b\"\npassword = \"p\"\nallowed_ips = [\"::/0\"]\n\
         short_codes = [\"12345\"]\n[[connector]]",
        "account[1].short_codes[0]",
        "duplicates account[0].short_codes[0]",
    ),
    case(
        "\"12345\"]",
        "\"12345\", \"12345\"]",
        "account[0].short_codes[1]",
        "duplicates account[0].short_codes[0]",
    ),
    case(
        "[\"127.0.0.0/8\"]",
        "[\"127.0.0.0/8\", \"127.0.0.0/8\"]",
        "account[0].allowed_ips[1]",
        "duplicates account[0].allowed_ips[0]",
    ),
    case(
        "[[connector]]",
        "[[account]]\nid = \"b\"\npassword = \"p\"\nallowed_ips = [\"::/0\"]\n\
         cmpp = { source_addr = \"900001\", shared_secret = \"x\" }\n\
         [[account]]\nid = \"c\"\npassword = \"p\"\nallowed_ips = [\"::/0\"]\n\
         cmpp = { source_addr = \"900001\", shared_secret = \"y\" }\n[[connector]]",
        "account[2].cmpp.source_addr",
        "duplicates account[1].cmpp.source_addr",
    ),
    case(
        "[[route]]",
        "[[connector]]\nname = \"op-a\"\naddress = \"10.0.0.1:1\"\nsystem_id = \"x\"\n\
         password = \"\"\n[[route]]",
        "connector[1].name",
        "\"op-a\" duplicates connector[0].name",
    ),
    case(
        "[[route]]",
        "[[route]]\nprefix = \"2547\"\nconnectors = [\"op-a\"]\n[[route]]",
        "route[1].prefix",
        "duplicates route[0].prefix",
    ),
    case(
        "connectors = [\"op-a\"]",
        "connectors = [\"op-a\", \"op-a\"]",
        "route[0].connectors[1]",
        "duplicates route[0].connectors[0]",
    ),
    case(
        SMPP,
        "[smpp]\nlisten = [\"127.0.0.1:2775\"]\n[cmpp]\nlisten = [\"0.0.0.0:2775\"]",
        "cmpp.listen[0]",
        "overlaps smpp.listen[0] (\"127.0.0.1:2775\")",
    ),
    case(
        SMPP,
        "[smpp]\nlisten = [\"127.0.0.1:2775\", \"127.0.0.1:2775\"]",
        "smpp.listen[1]",
        "overlaps smpp.listen[0]",
    ),
    case(
        SMPP,
        "[smpp]\nlisten = [\"127.0.0.1:2775\"]\n[metrics]\nlisten = \"[::]:2775\"",
        "smpp.listen[0]",
        "overlaps metrics.listen",
    ),
    // References and relations.
    case(
        "connectors = [\"op-a\"]",
        "connectors = [\"op-b\"]",
        "route[0].connectors[0]",
        "\"op-b\" names no [[connector]]; did you mean \"op-a\"?",
    ),
    case(
        "connectors = [\"op-a\"]",
        "connectors = [\"backup\"]",
        "route[0].connectors[0]",
        "names no [[connector]]",
    ),
    case(
        ID_1,
        "id = 1\n[limits]\nsessions_max = 4",
        "account[0].max_binds",
        "8 exceeds limits.sessions_max = 4",
    ),
    case(
        OP_A,
        "name = \"op-a\"\nenquire_link_s = 85",
        "connector[0].enquire_link_s",
        "must be below limits.idle_timeout_s (90 s)",
    ),
    case(
        ID_1,
        "id = 1\n[limits]\nenquire_link_s = 85",
        "limits.enquire_link_s",
        "85 s plus limits.response_timeout_ms (10000 ms)",
    ),
    case(SMPP, "", "smpp.listen", "no SMPP or CMPP listen address"),
];

#[test]
fn every_kind_of_error_is_reported_at_its_key_path() {
    // Proves each case in CASES yields exactly one error, at the expected path, with the
    // expected words: no problem goes unreported and none drags spurious errors along.
    for case in CASES {
        let (from, to) = case.edit;
        assert!(
            MINIMAL.contains(from),
            "edit target {from:?} not in MINIMAL"
        );
        let text = MINIMAL.replace(from, to);
        let errors = Config::parse(&text, Path::new(".")).expect_err(case.at);
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.count(), 1, "{}: {lines:#?}", case.at);
        let error = errors.iter().next().unwrap();
        assert_eq!(error.at, case.at, "{lines:#?}");
        let message = error.kind.to_string();
        assert!(message.contains(case.fragment), "{}: {message}", case.at);
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn several_errors_in_one_file_are_all_reported() {
    // Proves collection: one file with a problem in every section reports each of them in
    // one pass, including duplicates and references next to value errors, even where the
    // entries involved have errors of their own.
    let text = r#"
[node]
id = 300
io_backend = "kqueue"

[smpp]
listen = ["127.0.0.1:99999"]

[limits]
sesions_max = 10

[[account]]
id = "acme"
password = "this-is-too-long"
allowed_ips = ["10.0.0.0/8", "bogus"]
short_codes = ["123"]

[[account]]
id = "acme"
password = "x"
allowed_ips = ["::/0"]
short_codes = ["123"]
tps = 0

[[connector]]
name = "op-a"
address = "10.0.0.1:2775"
system_id = "gw"
password = "pw"

[[route]]
prefix = "44"
connectors = ["op-x", "op-c"]
"#;
    let errors = Config::parse(text, Path::new(".")).unwrap_err();
    let at: BTreeSet<&str> = errors.iter().map(|error| error.at.as_str()).collect();
    let expected: BTreeSet<&str> = [
        "node.id",
        "node.io_backend",
        "smpp.listen[0]",
        "limits.sesions_max",
        "account[0].password",
        "account[0].allowed_ips[1]",
        "account[1].id",
        "account[1].short_codes[0]",
        "account[1].tps",
        "route[0].connectors[0]",
        "route[0].connectors[1]",
    ]
    .into_iter()
    .collect();
    assert_eq!(at, expected, "{errors}");
    assert_eq!(errors.count(), expected.len());
}

#[test]
fn duplicates_are_found_in_entries_with_other_errors() {
    // Proves uniqueness is checked per key as it is read: the second account has a bad tps,
    // and its id and short code, both the first account's, are reported as well.
    let text = MINIMAL.replace(
        "[[connector]]",
        "[[account]]\nid = \"acme\"\npassword = \"p\"\nallowed_ips = [\"::/0\"]\ntps = 0\n\
         short_codes = [\"12345\"]\n[[connector]]",
    );
    let errors = Config::parse(&text, Path::new(".")).unwrap_err();
    let at: Vec<&str> = errors.iter().map(|error| error.at.as_str()).collect();
    let expected = [
        "account[1].id",
        "account[1].tps",
        "account[1].short_codes[0]",
    ];
    assert_eq!(at, expected, "{errors}");
}

#[test]
fn duplicates_in_a_list_name_the_first_occurrence_by_its_index() {
    // Proves a duplicate names the list index where the value first appeared, even when bad
    // items before it were skipped: cores, allowed_ips and a route's connectors.
    let text = MINIMAL
        .replace(ID_1, "id = 1\ncores = [5, \"x\", 3, 3]")
        .replace(
            "[\"127.0.0.0/8\"]",
            "[\"bad\", \"127.0.0.0/8\", \"127.0.0.0/8\"]",
        )
        .replace(
            "connectors = [\"op-a\"]",
            "connectors = [1, \"op-a\", \"op-a\"]",
        );
    let errors = Config::parse(&text, Path::new(".")).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let duplicates: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|line| line.contains("duplicates"))
        .collect();
    assert_eq!(
        duplicates,
        [
            "node.cores[3]: 3 duplicates node.cores[2]",
            "account[0].allowed_ips[2]: \"127.0.0.0/8\" duplicates account[0].allowed_ips[1]",
            "route[0].connectors[2]: \"op-a\" duplicates route[0].connectors[1]",
        ],
        "{lines:#?}"
    );
    assert_eq!(errors.count(), 6, "{lines:#?}");
}

#[test]
fn a_route_to_a_broken_connector_is_not_also_unknown() {
    // Proves a connector with a bad key elsewhere still counts as defined for routes, so the
    // operator sees the real problem once.
    let text = MINIMAL.replace(OP_A, "name = \"op-a\"\ntps = 0");
    let errors = Config::parse(&text, Path::new(".")).unwrap_err();
    let at: Vec<&str> = errors.iter().map(|error| error.at.as_str()).collect();
    assert_eq!(at, ["connector[0].tps"]);
}

#[test]
fn secrets_are_never_echoed() {
    // Proves passwords and shared secrets stay out of error messages, whatever the problem,
    // and out of Debug output of the typed config.
    let text = MINIMAL
        .replace("password = \"secret1\"", "password = \"hunter2hunter2\"")
        .replace("password = \"pw\"", "password = 123456789")
        .replace(
            ACME,
            "id = \"acme\"\ncmpp = { source_addr = \"1\", shared_secret = \"\\u0001opensesame\" }",
        );
    let errors = Config::parse(&text, Path::new("."))
        .unwrap_err()
        .to_string();
    assert_eq!(errors.lines().count(), 3, "{errors}");
    for secret in ["hunter2", "123456789", "opensesame"] {
        assert!(!errors.contains(secret), "{errors}");
    }
    assert!(errors.contains("<redacted>"), "{errors}");
    let config = Config::parse(INTERFACES_EXAMPLE, Path::new(".")).unwrap();
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("secret1") && !debug.contains("s3cret"),
        "{debug}"
    );
}

#[test]
fn every_schema_key_is_read_and_type_checked() {
    // Proves the walker reads every key in KEYS at its documented place: setting each one to
    // a boolean (no key takes one) yields a wrong-type error at exactly that path, not an
    // unknown-key error.
    for spec in KEYS {
        let mut table: Table = MINIMAL.parse().unwrap();
        if spec.key.starts_with("account.cmpp.") {
            set(
                &mut table,
                "account.cmpp.source_addr",
                Value::from("900001"),
            );
            set(&mut table, "account.cmpp.shared_secret", Value::from("s"));
        }
        if spec.key.starts_with("portability.") {
            let mut entry = Table::new();
            entry.insert("number".into(), Value::from("254711000001"));
            entry.insert("connectors".into(), Value::from(vec![Value::from("op-a")]));
            table.insert(
                "portability".into(),
                Value::Array(vec![Value::Table(entry)]),
            );
        }
        set(&mut table, spec.key, Value::Boolean(true));
        let errors = Config::from_table(&table, Path::new(".")).unwrap_err();
        let expected_at = concrete(spec.key);
        let error = errors.iter().find(|error| error.at == expected_at);
        let Some(error) = error else {
            panic!("{}: no error at {expected_at}: {errors}", spec.key);
        };
        assert!(
            matches!(error.kind, ConfigErrorKind::WrongType { .. }),
            "{}: {error}",
            spec.key
        );
    }
}

#[test]
fn docs_reference_names_every_key() {
    // Proves docs/config.md has a table row for each key of the schema (as `section.key` in
    // backticks) whose reload column matches the schema.
    for spec in KEYS {
        let needle = format!("`{}`", spec.key);
        let column = match spec.reload {
            Reload::Live => "| live |",
            Reload::Restart => "| restart |",
        };
        let documented = DOCS_REFERENCE
            .lines()
            .any(|line| line.starts_with('|') && line.contains(&needle) && line.contains(column));
        assert!(
            documented,
            "docs/config.md has no table row for {needle} with {column:?}"
        );
    }
}

#[test]
fn reload_table_answers_by_concrete_path() {
    // Proves reload_of reads concrete paths as errors print them and refuses unknown keys.
    assert_eq!(reload_of("node.id"), Some(Reload::Restart));
    assert_eq!(reload_of("account[2].tps"), Some(Reload::Live));
    assert_eq!(
        reload_of("account[0].cmpp.shared_secret"),
        Some(Reload::Live)
    );
    assert_eq!(reload_of("limits.sessions_max"), Some(Reload::Restart));
    assert_eq!(reload_of("limits.response_timeout_ms"), Some(Reload::Live));
    assert_eq!(reload_of("account[1].nope"), None);
}

#[test]
fn restart_only_diffs_cover_exactly_the_restart_keys() {
    // Proves the per-key comparisons behind restart_only_changes name every restart-only key
    // of the schema, in schema order, and no live key.
    let restart: Vec<&str> = KEYS
        .iter()
        .filter(|spec| spec.reload == Reload::Restart)
        .map(|spec| spec.key)
        .collect();
    let diffs: Vec<&str> = RESTART_ONLY_DIFFS.iter().map(|(key, _)| *key).collect();
    assert_eq!(diffs, restart);
}

#[test]
fn restart_only_changes_names_changed_restart_keys_only() {
    // Proves a live push can be judged by name: changing node.id, a listener and a queue
    // bound is refused by those names, while account, connector and route changes are live.
    let old = Config::parse(DOCS_EXAMPLE, Path::new(".")).unwrap();
    assert!(old.restart_only_changes(&old).is_empty());
    let mut live = old.clone();
    live.accounts[0].tps = 1;
    live.connectors.pop();
    live.routes[0].connectors = vec!["op-a".to_owned()];
    live.limits.response_timeout_ms += 1;
    assert!(old.restart_only_changes(&live).is_empty());
    let mut restart = live;
    restart.node.id = 9;
    restart.smpp.listen.push(addr("127.0.0.1:2777"));
    restart.limits.connector_queue_max = 5;
    assert_eq!(
        old.restart_only_changes(&restart),
        ["node.id", "smpp.listen", "limits.connector_queue_max"]
    );
}

#[test]
fn errors_beyond_the_cap_are_counted_not_listed() {
    // Proves CONFIG_ERRORS_MAX bounds the list: 1,500 bad routes give 1,000 listed errors and
    // a count of the 500 others, and the display ends saying so.
    let mut text = MINIMAL.to_owned();
    for index in 0..1_500 {
        text.push_str(&format!(
            "[[route]]\nprefix = \"x{index}\"\nconnectors = [\"op-a\"]\n"
        ));
    }
    let errors = Config::parse(&text, Path::new(".")).unwrap_err();
    assert_eq!(errors.iter().count(), CONFIG_ERRORS_MAX);
    assert_eq!(errors.omitted(), 500);
    assert!(
        errors
            .to_string()
            .ends_with("500 more errors not shown; fix the ones above first")
    );
}

#[test]
fn load_reports_unreadable_oversized_and_non_utf8_files() {
    // Proves load's own failures are single readable errors: a missing file names its path,
    // a directory is unreadable, a file one byte over the bound is refused before parsing,
    // and invalid UTF-8 is a syntax error at its line and column.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.toml");
    let errors = Config::load(&missing).unwrap_err();
    let error = errors.iter().next().unwrap();
    assert_eq!(error.at, missing.display().to_string());
    assert!(
        matches!(error.kind, ConfigErrorKind::Unreadable { .. }),
        "{error}"
    );
    let errors = Config::load(dir.path()).unwrap_err();
    assert!(
        errors.to_string().contains("cannot read the config file"),
        "{errors}"
    );
    let oversized = dir.path().join("oversized.toml");
    let comment = vec![b'#'; usize::try_from(CONFIG_FILE_SIZE_MAX).unwrap() + 1];
    std::fs::write(&oversized, comment).unwrap();
    let errors = Config::load(&oversized).unwrap_err();
    assert_eq!(
        errors.iter().next().unwrap().kind,
        ConfigErrorKind::FileTooLarge {
            max: CONFIG_FILE_SIZE_MAX
        }
    );
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, b"[node]\nid = \"\xff\"\n").unwrap();
    let errors = Config::load(&binary).unwrap_err();
    assert_eq!(
        errors.to_string(),
        "line 2, column 7: TOML syntax: the file is not UTF-8 text"
    );
}

#[test]
fn load_resolves_data_dir_against_the_file() {
    // Proves relative paths are taken from the config file's directory, not the process's.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smsgw.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    let config = Config::load(&path).unwrap();
    assert_eq!(config.node.data_dir, dir.path().join("var"));
    let absolute = MINIMAL.replace(ID_1, "id = 1\ndata_dir = \"/srv/smsgw\"");
    std::fs::write(&path, absolute).unwrap();
    assert_eq!(
        Config::load(&path).unwrap().node.data_dir,
        Path::new("/srv/smsgw")
    );
}

#[test]
fn cidr_entries_parse_to_their_network() {
    // Proves allowlist parsing: prefix boundaries, /0, a bare address (a host route), IPv6; the
    // parsed blocks contain exactly their network (IPv4-mapped peers are matched by admission).
    let cidr = |text: &str| parse_cidr(text).unwrap();
    let ip = |text: &str| text.parse::<IpAddr>().unwrap();
    assert!(cidr("10.0.0.0/8").contains(&ip("10.255.1.2")));
    assert!(!cidr("10.0.0.0/8").contains(&ip("11.0.0.0")));
    assert!(cidr("0.0.0.0/0").contains(&ip("203.0.113.9")));
    assert!(!cidr("0.0.0.0/0").contains(&ip("2001:db8::1")));
    assert!(cidr("192.0.2.7").contains(&ip("192.0.2.7")));
    assert!(!cidr("192.0.2.7").contains(&ip("192.0.2.8")));
    assert!(cidr("2001:db8::/32").contains(&ip("2001:db8:ffff::1")));
    assert!(!cidr("2001:db8::/32").contains(&ip("2001:db9::1")));
    assert!(cidr("::/0").contains(&ip("::1")));
    assert!(
        parse_cidr("10.1.2.3/16")
            .unwrap_err()
            .contains("10.1.0.0/16")
    );
    for bad in [
        "10.0.0.0/",
        "10.0.0.0/+8",
        "10.0.0.0/8/8",
        "::/129",
        "",
        "/8",
    ] {
        assert!(parse_cidr(bad).is_err(), "{bad}");
    }
}

#[test]
fn host_port_parses_names_and_addresses() {
    // Proves connector addresses: host names, IPv4, bracketed IPv6, and the refusals of port
    // 0, leading zeros, signs and bad labels.
    let parse = |text: &str| text.parse::<HostPort>();
    assert_eq!(
        parse("smsc.example.net:2775").unwrap().to_string(),
        "smsc.example.net:2775"
    );
    assert_eq!(parse("[2001:db8::5]:2775").unwrap().host, "2001:db8::5");
    assert_eq!(
        parse("[2001:db8::5]:2775").unwrap().to_string(),
        "[2001:db8::5]:2775"
    );
    for bad in [
        "host:0",
        "host:02775",
        "host:+80",
        "host:",
        ":2775",
        "-bad-.net:1",
        "a..b:1",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    // Proves deep nesting (arrays, inline tables, dotted keys, table headers) ends in a
    // reported error or a rejected key, never a stack overflow.
    let depth = 100_000;
    let inputs = [
        format!("a = {}", "[".repeat(depth)),
        format!("a = {}", "{ b = ".repeat(depth)),
        format!("{} = 1", vec!["k"; depth].join(".")),
        format!("[{}]", vec!["k"; depth].join(".")),
    ];
    for input in inputs {
        assert!(Config::parse(&input, Path::new(".")).is_err());
    }
}

fn edited_example() -> impl Strategy<Value = String> {
    prop_oneof![line_edits(), char_edits()]
}

/// Whole-line edits that keep TOML syntax mostly intact, so the walker and the cross-key
/// checks see the damage: a line deleted, repeated, or its value replaced.
fn line_edits() -> impl Strategy<Value = String> {
    let values = select(vec![
        "0",
        "-1",
        "1",
        "2",
        "256",
        "65536",
        "99999999999",
        "\"\"",
        "\"op-a\"",
        "\"op-b\"",
        "\"12345\"",
        "\"2547\"",
        "\"x\"",
        "\"0.0.0.0:2775\"",
        "\"[::]:0\"",
        "\"10.0.0.1/8\"",
        "[]",
        "[1, 1]",
        "[\"op-a\", \"op-a\"]",
        "[\"::/0\", \"::/0\"]",
        "{}",
        "true",
        "1.5",
        "\"hunter2hunter2\"",
        "{ source_addr = \"900001\", shared_secret = \"s\" }",
    ]);
    let edit = (any::<prop::sample::Index>(), 0..5_u8, values);
    prop::collection::vec(edit, 1..8).prop_map(|edits| {
        let mut lines: Vec<String> = DOCS_EXAMPLE.lines().map(str::to_owned).collect();
        for (at, op, value) in edits {
            let index = at.index(lines.len());
            match op {
                0 => {
                    lines.remove(index);
                }
                1 => {
                    let line = lines[index].clone();
                    lines.insert(index, line);
                }
                _ => {
                    if let Some((key, _)) = lines[index].split_once(" = ") {
                        lines[index] = format!("{key} = {value}");
                    }
                }
            }
            if lines.is_empty() {
                lines.push(String::new());
            }
        }
        lines.join("\n")
    })
}

/// Character edits anywhere: mostly syntax errors, which must be reported, not panic.
fn char_edits() -> impl Strategy<Value = String> {
    // Edits: (position, delete count, inserted text), applied in order on characters.
    let insert = prop_oneof![
        "[\\[\\]{}=\",.#0-9a-z_ \n'-]{0,8}",
        select(vec![
            "\n[[account]]\n",
            "\n[[route]]\nprefix = \"\"\n",
            "= 0",
            "= -1",
            "= 99999999999",
            "= []",
            "= {}",
            "= \"0.0.0.0:2775\"",
            "= [\"::/0\"]",
            "\"op-a\"",
            "\n[limits]\nsessions_max = 1\n",
        ])
        .prop_map(str::to_owned),
    ];
    let edit = (any::<prop::sample::Index>(), 0..8_usize, insert);
    prop::collection::vec(edit, 1..6).prop_map(|edits| {
        let mut chars: Vec<char> = DOCS_EXAMPLE.chars().collect();
        for (at, delete, insert) in edits {
            let start = at.index(chars.len() + 1);
            let end = (start + delete).min(chars.len());
            chars.splice(start..end, insert.chars());
        }
        chars.into_iter().collect()
    })
}

fn toml_value() -> impl Strategy<Value = Value> {
    let words: Vec<&'static str> = KEYS.iter().flat_map(|spec| spec.key.split('.')).collect();
    let key = prop_oneof![select(words).prop_map(str::to_owned), "[a-z_]{1,10}"];
    let strings = select(vec![
        "",
        "0",
        "12345",
        "op-a",
        "hex",
        "epoll",
        "none",
        "receiver",
        "127.0.0.1:2775",
        "0.0.0.0:0",
        "[::]:1",
        "host:80",
        "10.0.0.0/8",
        "::/0",
        "a/b",
        "\u{0}",
        "é",
    ]);
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Integer),
        select(vec![
            -1_i64,
            0,
            1,
            8,
            64,
            255,
            256,
            65_535,
            65_536,
            i64::MAX
        ])
        .prop_map(Value::Integer),
        any::<bool>().prop_map(Value::Boolean),
        any::<f64>().prop_map(Value::Float),
        strings.prop_map(Value::from),
        "[ -~]{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|map| Value::Table(map.into_iter().collect())),
        ]
    })
}

fn toml_table() -> impl Strategy<Value = Table> {
    let sections = select(children("")).prop_map(str::to_owned);
    prop::collection::btree_map(sections, toml_value(), 0..10)
        .prop_map(|map| map.into_iter().collect())
}

fn fixed_seed(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x736d_7367_775f_6366),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// What any successful load guarantees, whatever the input.
fn assert_loaded_invariants(config: &Config) {
    assert!(config.accounts.len() <= ACCOUNTS_MAX);
    assert!(config.connectors.len() <= CONNECTORS_MAX);
    assert!(config.routes.len() <= ROUTES_MAX);
    assert!(!(config.smpp.listen.is_empty() && config.cmpp.listen.is_empty()));
    for account in &config.accounts {
        assert!(account.max_binds <= config.limits.sessions_max);
        assert_eq!(config.limits.account_session(account).validate(), Ok(()));
    }
    for connector in &config.connectors {
        assert_eq!(
            config.limits.connector_session(connector).validate(),
            Ok(())
        );
    }
    for route in &config.routes {
        for name in &route.connectors {
            assert!(config.connectors.iter().any(|c| &c.name == name));
        }
    }
}

proptest! {
    #![proptest_config(fixed_seed(512))]

    #[test]
    fn edited_example_never_panics(text in edited_example()) {
        // Proves random edits of the example (broken syntax, moved sections, bad values)
        // end in Ok with the load guarantees or in errors that each print on one line.
        match Config::parse(&text, Path::new(".")) {
            Ok(config) => assert_loaded_invariants(&config),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in errors.iter() {
                    prop_assert!(!error.to_string().contains('\n'), "{}", error);
                }
            }
        }
    }

    #[test]
    fn random_tables_never_panic(table in toml_table()) {
        // Proves arbitrary TOML trees with known and unknown keys at every level, values of
        // every type and boundary integers, never panic the walker.
        match Config::from_table(&table, Path::new(".")) {
            Ok(config) => assert_loaded_invariants(&config),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        // Proves any text at all, mostly not TOML, is an error or a config, never a panic.
        let _ = Config::parse(&text, Path::new("."));
    }
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// `account.cmpp.source_addr` → `account[0].cmpp.source_addr` (first entry of each array).
fn concrete(key: &str) -> String {
    let (section, rest) = key.split_once('.').unwrap();
    match section {
        "account" | "connector" | "route" | "portability" => format!("{section}[0].{rest}"),
        _ => key.to_owned(),
    }
}

/// Sets the key at schema path `key` (first entry of arrays of tables), creating tables.
fn set(table: &mut Table, key: &str, value: Value) {
    let segments: Vec<&str> = key.split('.').collect();
    let (last, parents) = segments.split_last().unwrap();
    let mut current = table;
    for segment in parents {
        let entry = current
            .entry((*segment).to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Array(items) => items[0].as_table_mut().unwrap(),
            Value::Table(inner) => inner,
            other => panic!("{segment} is {other:?}"),
        };
    }
    current.insert((*last).to_owned(), value);
}
