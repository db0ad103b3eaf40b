//! Command-line arguments of `smsgw-bench smsc-sim`, `load` and `ussd-sim` (clap derive types
//! only; `main.rs` owns the top-level subcommand enum and dispatch).
//!
//! Every number has a ceiling, checked by clap with an error naming the flag and the range.
//! What clap cannot check alone (how often a repeatable flag was given, flags that only make
//! sense together) is checked by each struct's `validate`, which the caller runs right after
//! parsing and turns into a readable message and exit status 2, as clap does.
//! The long flag names are a public interface (INTERFACES.md): benchmark rigs use them.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use clap::{ArgGroup, Args, ValueEnum};
use smsgw_shared::cmpp::CmppVersion;
use thiserror::Error;

use crate::mix::{DEST_PREFIXES_MAX, DestPrefix, DlrMix, Mix};
use crate::report::Protocol;

/// A combination of flags that clap accepted one by one but that does not work together.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CliError {
    /// A repeatable flag was given too often.
    #[error("{flag} given {count} times; the maximum is {max}")]
    TooMany {
        /// The flag.
        flag: &'static str,
        /// Times given.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// Two `--account` flags name the same system_id.
    #[error("--account {system_id}: given twice")]
    DuplicateAccount {
        /// The system_id.
        system_id: String,
    },
    /// `--rate` is below `--binds`, so some bind would never send.
    #[error("--rate {rate} is below --binds {binds}: each bind needs at least 1 msg/s")]
    RateBelowBinds {
        /// The rate.
        rate: u64,
        /// The binds.
        binds: u32,
    },
    /// Receipts were asked for on a bind that cannot receive them.
    #[error(
        "--registered-delivery needs --bind-mode transceiver: a transmitter bind gets no receipts"
    )]
    ReceiptsOnTransmitter,
    /// A credential is too long for the protocol.
    #[error("{flag} is {len} characters; {protocol} allows at most {max}")]
    CredentialTooLong {
        /// The flag.
        flag: &'static str,
        /// Its length.
        len: usize,
        /// The protocol.
        protocol: &'static str,
        /// The maximum.
        max: usize,
    },
}

/// `smsgw-bench ismg-sim`: a CMPP 2.0/3.0 ISMG that authenticates SP connections, answers
/// CMPP_SUBMIT and sends status reports.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(after_help = ISMG_SIM_EXAMPLES)]
pub struct IsmgSimArgs {
    /// Address to accept CMPP connections on, HOST:PORT (repeatable; loopback only unless
    /// --allow-non-loopback).
    #[arg(long, value_name = "ADDR", required = true, value_parser = parse_host_port)]
    pub listen: Vec<String>,

    /// An SP allowed to connect, SP_ID:SHARED_SECRET (repeatable, at least one: CMPP
    /// authentication needs the secret).
    #[arg(long, value_name = "SP_ID:SECRET", required = true)]
    pub account: Vec<Account>,

    /// Highest CMPP version answered; clients asking for less get their own.
    #[arg(long, value_enum, value_name = "VERSION", default_value = "3.0")]
    pub cmpp_version: CmppVersionArg,

    /// ISMG id put in the Msg_Ids (0 to 4194303).
    #[arg(long, value_name = "N", default_value_t = 79_101,
          value_parser = clap::value_parser!(u32).range(0..=4_194_303))]
    pub ismg_id: u32,

    /// Write the counters as one JSON object to this file every --stats-interval-ms and on exit.
    #[arg(long, value_name = "FILE")]
    pub stats_file: Option<std::path::PathBuf>,

    /// How often to rewrite --stats-file, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(10..=STATS_INTERVAL_MS_MAX))]
    pub stats_interval_ms: u64,

    /// Delay between a SUBMIT_RESP and its status report, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=DELAY_MS_MAX))]
    pub dlr_delay_ms: u64,

    /// Final states of the status reports, as percentages summing to 100.
    #[arg(long, value_name = "STAT=PCT,...", default_value = "DELIVRD=100")]
    pub dlr_mix: DlrMix,

    /// Answer every Nth CMPP_SUBMIT with Result 8 (flow control).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub throttle_every: Option<u64>,

    /// Wait this many milliseconds before each response.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=RESPONSE_DELAY_MS_MAX))]
    pub response_delay_ms: Option<u64>,

    /// Never answer every Nth CMPP_SUBMIT.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub drop_response_every: Option<u64>,

    /// Close each connection after it received N PDUs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub close_after_pdus: Option<u64>,

    /// Refuse connects (Status 5, other error) for the first N milliseconds after start.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=DELAY_MS_MAX))]
    pub refuse_connects_ms: Option<u64>,

    /// Most connections open at once.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_connections: u32,

    /// Stop after this many seconds (default: run until SIGTERM or SIGINT).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=DURATION_S_MAX))]
    pub duration_s: Option<u64>,

    /// Allow listening on addresses other than loopback (127.0.0.0/8, ::1).
    #[arg(long)]
    pub allow_non_loopback: bool,
}

const ISMG_SIM_EXAMPLES: &str = "Examples:
  smsgw-bench ismg-sim --listen 127.0.0.1:7890 --account 900001:s3cret
  smsgw-bench ismg-sim --listen 127.0.0.1:7890 --account 900001:s3cret --cmpp-version 2.0 --throttle-every 100";

/// `smsgw-bench smsc-sim`: an SMSC that accepts ESME binds, answers submits and sends
/// delivery receipts and MO messages.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(after_help = SMSC_SIM_EXAMPLES)]
pub struct SmscSimArgs {
    /// Address to accept SMPP binds on, HOST:PORT (repeatable; loopback only unless
    /// --allow-non-loopback).
    #[arg(long, value_name = "ADDR", required = true, value_parser = parse_host_port)]
    pub listen: Vec<String>,

    /// Write the counters as one JSON object to this file every --stats-interval-ms and on
    /// exit (written to FILE.tmp, then renamed).
    #[arg(long, value_name = "FILE")]
    pub stats_file: Option<std::path::PathBuf>,

    /// How often to rewrite --stats-file, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(10..=STATS_INTERVAL_MS_MAX))]
    pub stats_interval_ms: u64,

    /// Delay between a submit_sm_resp and its delivery receipt, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=DELAY_MS_MAX))]
    pub dlr_delay_ms: u64,

    /// Final states of the delivery receipts, as percentages summing to 100: DELIVRD, UNDELIV,
    /// EXPIRED, REJECTD (also DELETED, UNKNOWN).
    #[arg(long, value_name = "STAT=PCT,...", default_value = "DELIVRD=100")]
    pub dlr_mix: DlrMix,

    /// How message ids in submit_sm_resp and receipts are written.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = MessageIdFormat::Hex)]
    pub message_id_format: MessageIdFormat,

    /// Accept binds only with this system_id and password, SYSTEM_ID:PASSWORD (repeatable;
    /// without any, every bind is accepted).
    #[arg(long, value_name = "SYSTEM_ID:PASSWORD")]
    pub account: Vec<Account>,

    /// Mobile-originated messages to send per second, spread over the receiver binds (0: none).
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=MO_RATE_MAX))]
    pub mo_rate: u64,

    /// Destination (short code) of the MO messages.
    #[arg(long, value_name = "S", default_value = "12345", value_parser = parse_address)]
    pub mo_short_code: String,

    /// Source MSISDN of the MO messages.
    #[arg(long, value_name = "MSISDN", default_value = "254700000001",
          value_parser = parse_address)]
    pub mo_source: String,

    /// Answer every Nth submit_sm with ESME_RTHROTTLED (0x58).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub throttle_every: Option<u64>,

    /// Answer every Nth submit_sm with ESME_RMSGQFUL (0x14).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub queue_full_every: Option<u64>,

    /// Wait this many milliseconds before each response.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=RESPONSE_DELAY_MS_MAX))]
    pub response_delay_ms: Option<u64>,

    /// Never answer every Nth submit_sm (the ESME's response timeout must fire).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub drop_response_every: Option<u64>,

    /// Close each connection after it received N PDUs (the ESME must reconnect).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub close_after_pdus: Option<u64>,

    /// Refuse binds (ESME_RBINDFAIL) for the first N milliseconds after start.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=DELAY_MS_MAX))]
    pub refuse_binds_ms: Option<u64>,

    /// Most binds open at once; further binds get ESME_RBINDFAIL.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=BINDS_MAX))]
    pub max_binds: u32,

    /// Stop after this many seconds (default: run until SIGTERM or SIGINT).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=DURATION_S_MAX))]
    pub duration_s: Option<u64>,

    /// Allow listening on addresses other than loopback (127.0.0.0/8, ::1).
    #[arg(long)]
    pub allow_non_loopback: bool,
}

impl SmscSimArgs {
    /// Checks what clap cannot: how many --listen and --account, and no duplicate accounts.
    pub fn validate(&self) -> Result<(), CliError> {
        check_count("--listen", self.listen.len(), LISTEN_MAX)?;
        check_count("--account", self.account.len(), ACCOUNTS_MAX)?;
        let mut system_ids = HashSet::with_capacity(self.account.len());
        for account in &self.account {
            if !system_ids.insert(account.system_id.as_str()) {
                return Err(CliError::DuplicateAccount {
                    system_id: account.system_id.clone(),
                });
            }
        }
        Ok(())
    }
}

/// `smsgw-bench load`: binds to an SMPP or CMPP server and submits messages as fast as the
/// window allows, or at --rate, then prints throughput and latency.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(
    group(ArgGroup::new("amount").required(true).args(["count", "duration_s"])),
    after_help = LOAD_EXAMPLES
)]
pub struct LoadArgs {
    /// Server to bind to, HOST:PORT (loopback only unless --allow-non-loopback).
    #[arg(long, value_name = "ADDR", value_parser = parse_host_port)]
    pub to: String,

    /// SMPP system_id, or CMPP Source_Addr (the SP id).
    #[arg(long, value_name = "ID")]
    pub system_id: String,

    /// SMPP password, or CMPP shared secret.
    #[arg(long, value_name = "PW")]
    pub password: String,

    /// Connections (binds) to open, each with its own window.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=BINDS_MAX))]
    pub binds: u32,

    /// Submits outstanding per bind before waiting for a response.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=WINDOW_MAX))]
    pub window: u32,

    /// Messages to send in total, then wait for responses (and receipts) and stop.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=COUNT_MAX))]
    pub count: Option<u64>,

    /// Send for this many seconds, then wait for responses (and receipts) and stop.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=DURATION_S_MAX))]
    pub duration_s: Option<u64>,

    /// Messages per second over all binds (default: as fast as the windows allow).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=RATE_MAX))]
    pub rate: Option<u64>,

    /// Protocol to speak.
    #[arg(long, value_enum, value_name = "PROTOCOL", default_value_t = Protocol::Smpp)]
    pub protocol: Protocol,

    /// CMPP version (with --protocol cmpp).
    #[arg(long, value_enum, value_name = "VERSION", default_value_t = CmppVersionArg::V2_0)]
    pub cmpp_version: CmppVersionArg,

    /// SMPP interface_version of the bind (with --protocol smpp).
    #[arg(long, value_enum, value_name = "VERSION", default_value_t = InterfaceVersion::V3_4)]
    pub interface_version: InterfaceVersion,

    /// SMPP bind type (receipts need transceiver).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = BindMode::Transceiver)]
    pub bind_mode: BindMode,

    /// Destination numbers start with this prefix and are 12 digits (repeatable; messages
    /// cycle over the prefixes).
    #[arg(long, value_name = "P", default_value = "2547")]
    pub dest_prefix: Vec<DestPrefix>,

    /// source_addr of the SMPP messages (default: SMSGW); with --protocol cmpp, the Src_Id
    /// (default: empty, the gateway fills in the account's own).
    #[arg(long, value_name = "S", value_parser = parse_address)]
    pub source_addr: Option<String>,

    /// CMPP Service_Id of the submits (--protocol cmpp; at most 10 characters).
    #[arg(long, value_name = "ID", default_value = "")]
    pub service_id: String,

    /// Message kinds as percentages summing to 100: gsm (~120 GSM chars), ucs2 (~50 chars),
    /// long (~400 GSM chars, 3 parts).
    #[arg(long, value_name = "KIND=PCT,...", default_value = "gsm=100")]
    pub mix: Mix,

    /// Ask for delivery receipts and measure submit-to-receipt latency.
    #[arg(long)]
    pub registered_delivery: bool,

    /// After the last submit, wait at most this many seconds for outstanding receipts.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=RECEIPT_WAIT_S_MAX))]
    pub receipt_wait_s: u64,

    /// A submit without a response after this many milliseconds counts as a timeout.
    #[arg(long, value_name = "N", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..=RESPONSE_TIMEOUT_MS_MAX))]
    pub response_timeout_ms: u64,

    /// Print the report as one JSON object on the last line of output.
    #[arg(long)]
    pub json: bool,

    /// Seed of the message mix and destination numbers (same seed, same messages).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Allow connecting to addresses other than loopback (127.0.0.0/8, ::1).
    #[arg(long)]
    pub allow_non_loopback: bool,
}

impl LoadArgs {
    /// Checks what clap cannot: prefix count, rate against binds, receipts on a transmitter,
    /// and credential lengths for the protocol.
    pub fn validate(&self) -> Result<(), CliError> {
        check_count("--dest-prefix", self.dest_prefix.len(), DEST_PREFIXES_MAX)?;
        if let Some(rate) = self.rate
            && rate < u64::from(self.binds)
        {
            return Err(CliError::RateBelowBinds {
                rate,
                binds: self.binds,
            });
        }
        if self.protocol == Protocol::Smpp
            && self.registered_delivery
            && self.bind_mode == BindMode::Transmitter
        {
            return Err(CliError::ReceiptsOnTransmitter);
        }
        let (protocol, system_id_max, password_max) = match self.protocol {
            Protocol::Smpp => ("SMPP", SMPP_SYSTEM_ID_LEN_MAX, SMPP_PASSWORD_LEN_MAX),
            Protocol::Cmpp => ("CMPP", CMPP_SOURCE_ADDR_LEN_MAX, CMPP_SECRET_LEN_MAX),
        };
        check_credential("--system-id", &self.system_id, protocol, system_id_max)?;
        check_credential("--password", &self.password, protocol, password_max)
    }
}

/// `smsgw-bench ussd-sim`: an operator's USSD gateway that dials sessions towards smsgw and
/// answers its menus with a script.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(after_help = USSD_SIM_EXAMPLES)]
pub struct UssdSimArgs {
    /// Address to accept the gateway's bind on, HOST:PORT (loopback only unless
    /// --allow-non-loopback).
    #[arg(long, value_name = "ADDR", value_parser = parse_host_port)]
    pub listen: String,

    /// USSD service code the simulated subscribers dial.
    #[arg(long, value_name = "CODE", default_value = "*144#")]
    pub service_code: ServiceCode,

    /// Sessions to run in total.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=SESSIONS_MAX))]
    pub sessions: u64,

    /// Sessions open at once.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=CONCURRENCY_MAX))]
    pub concurrency: u32,

    /// Answers to the menus, in order, comma-separated (e.g. 1,2,1); they cycle, and the
    /// application (not the script) ends the session with a PSSR response.
    #[arg(long, value_name = "CHOICES", default_value = "1")]
    pub script: UssdScript,

    /// Every Nth session hangs up at its first menu (a USSR confirm with no text and the
    /// end-of-session bit set).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=EVERY_MAX))]
    pub abandon_every: Option<u64>,

    /// A step the application does not answer within this many milliseconds times the session
    /// out; a late answer is refused with ESME_RINVDSTADR.
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=RESPONSE_TIMEOUT_MS_MAX))]
    pub step_timeout_ms: u64,

    /// How long the subscriber "thinks" before answering a menu, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=DELAY_MS_MAX))]
    pub think_ms: u64,

    /// Accept binds only with this system_id and password, SYSTEM_ID:PASSWORD (repeatable;
    /// without any, every bind is accepted).
    #[arg(long, value_name = "SYSTEM_ID:PASSWORD")]
    pub account: Vec<Account>,

    /// Most binds open at once; further binds get ESME_RBINDFAIL.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_binds: u32,

    /// MSISDN of the first simulated subscriber; session i dials from this number plus i.
    #[arg(long, value_name = "MSISDN", default_value_t = 254_700_000_001)]
    pub msisdn_first: u64,

    /// Print the report as one JSON object on the last line of output.
    #[arg(long)]
    pub json: bool,

    /// Stop after this many seconds even if sessions remain.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=DURATION_S_MAX))]
    pub duration_s: Option<u64>,

    /// Allow listening on addresses other than loopback (127.0.0.0/8, ::1).
    #[arg(long)]
    pub allow_non_loopback: bool,
}

impl UssdSimArgs {
    /// Checks what clap cannot (nothing yet beyond the value parsers); kept so every tool is
    /// validated the same way.
    pub fn validate(&self) -> Result<(), CliError> {
        Ok(())
    }
}

/// How message ids are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum MessageIdFormat {
    /// Upper-case hexadecimal, e.g. `1A2B3C`.
    Hex,
    /// Decimal digits, e.g. `1715004`.
    Decimal,
}

/// SMPP bind type of `load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum BindMode {
    /// bind_transmitter: submits only.
    Transmitter,
    /// bind_transceiver: submits, and receipts on the same connection.
    Transceiver,
}

/// SMPP interface_version of the bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum InterfaceVersion {
    /// SMPP 3.3 (0x33): no TLVs.
    #[value(name = "3.3")]
    V3_3,
    /// SMPP 3.4 (0x34).
    #[value(name = "3.4")]
    V3_4,
    /// SMPP 5.0 (0x50).
    #[value(name = "5.0")]
    V5_0,
}

impl InterfaceVersion {
    /// The interface_version octet (SMPP 3.4 §5.2.4).
    pub fn interface_version(self) -> u8 {
        match self {
            InterfaceVersion::V3_3 => 0x33,
            InterfaceVersion::V3_4 => 0x34,
            InterfaceVersion::V5_0 => 0x50,
        }
    }
}

/// CMPP version of `load --protocol cmpp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum CmppVersionArg {
    /// CMPP 2.0.
    #[value(name = "2.0")]
    V2_0,
    /// CMPP 3.0.
    #[value(name = "3.0")]
    V3_0,
}

impl CmppVersionArg {
    /// The codec's version.
    pub fn cmpp_version(self) -> CmppVersion {
        match self {
            CmppVersionArg::V2_0 => CmppVersion::V2_0,
            CmppVersionArg::V3_0 => CmppVersion::V3_0,
        }
    }
}

/// One `--account SYSTEM_ID:PASSWORD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Account {
    /// The SMPP system_id (1 to 15 characters).
    pub system_id: String,
    /// The SMPP password (0 to 8 characters).
    pub password: String,
}

impl FromStr for Account {
    type Err = String;

    fn from_str(text: &str) -> Result<Account, String> {
        let (system_id, password) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?} is not SYSTEM_ID:PASSWORD"))?;
        if system_id.is_empty() || system_id.len() > SMPP_SYSTEM_ID_LEN_MAX {
            return Err(format!(
                "system_id {system_id:?} must be 1 to {SMPP_SYSTEM_ID_LEN_MAX} characters"
            ));
        }
        if password.len() > SMPP_PASSWORD_LEN_MAX {
            return Err(format!(
                "the password of {system_id} is {} characters; SMPP allows at most \
                 {SMPP_PASSWORD_LEN_MAX}",
                password.len()
            ));
        }
        check_printable(system_id)?;
        check_printable(password)?;
        Ok(Account {
            system_id: system_id.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// A USSD service code such as `*144#` or `*100*2#`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceCode(String);

impl ServiceCode {
    /// The code as dialled.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ServiceCode {
    type Err = String;

    fn from_str(text: &str) -> Result<ServiceCode, String> {
        let inner = text
            .strip_prefix('*')
            .and_then(|rest| rest.strip_suffix('#'))
            .ok_or_else(|| format!("{text:?} is not a service code like *144#"))?;
        let shape_ok = !inner.is_empty()
            && inner
                .bytes()
                .all(|byte| byte.is_ascii_digit() || byte == b'*')
            && text.len() <= SERVICE_CODE_LEN_MAX;
        if !shape_ok {
            return Err(format!(
                "{text:?} is not a service code: * then digits (and *), then #, at most \
                 {SERVICE_CODE_LEN_MAX} characters"
            ));
        }
        Ok(ServiceCode(text.to_owned()))
    }
}

impl fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `--script` of `ussd-sim`: the subscriber's answer to each menu, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UssdScript(Vec<String>);

impl UssdScript {
    /// The answers, in order.
    pub fn choices(&self) -> &[String] {
        &self.0
    }
}

impl FromStr for UssdScript {
    type Err = String;

    fn from_str(text: &str) -> Result<UssdScript, String> {
        let choices: Vec<String> = text
            .split(',')
            .map(|choice| choice.trim().to_owned())
            .collect();
        if choices.len() > SCRIPT_STEPS_MAX {
            return Err(format!(
                "{} answers; the maximum is {SCRIPT_STEPS_MAX}",
                choices.len()
            ));
        }
        for choice in &choices {
            let ok = !choice.is_empty()
                && choice.len() <= SCRIPT_CHOICE_LEN_MAX
                && choice.bytes().all(|byte| byte.is_ascii_digit());
            if !ok {
                return Err(format!(
                    "answer {choice:?} must be 1 to {SCRIPT_CHOICE_LEN_MAX} digits"
                ));
            }
        }
        Ok(UssdScript(choices))
    }
}

/// Checks HOST:PORT shape (the address is resolved and loopback-checked later, by
/// [`crate::netguard::resolve_checked`]).
fn parse_host_port(text: &str) -> Result<String, String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?} is not HOST:PORT (e.g. 127.0.0.1:2775)"))?;
    if host.is_empty() {
        return Err(format!("{text:?} has no host (e.g. 127.0.0.1:2775)"));
    }
    port.parse::<u16>()
        .map_err(|_| format!("{text:?}: port {port:?} is not 0 to 65535"))?;
    Ok(text.to_owned())
}

/// An SMPP address (source_addr, destination_addr): 1 to 20 printable ASCII characters.
fn parse_address(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > ADDRESS_LEN_MAX {
        return Err(format!(
            "{text:?} must be 1 to {ADDRESS_LEN_MAX} characters"
        ));
    }
    check_printable(text)?;
    Ok(text.to_owned())
}

fn check_printable(text: &str) -> Result<(), String> {
    if text.bytes().all(|byte| byte.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(format!("{text:?} must be printable ASCII without spaces"))
    }
}

fn check_count(flag: &'static str, count: usize, max: usize) -> Result<(), CliError> {
    if count > max {
        Err(CliError::TooMany { flag, count, max })
    } else {
        Ok(())
    }
}

fn check_credential(
    flag: &'static str,
    value: &str,
    protocol: &'static str,
    max: usize,
) -> Result<(), CliError> {
    if value.len() > max {
        Err(CliError::CredentialTooLong {
            flag,
            len: value.len(),
            protocol,
            max,
        })
    } else {
        Ok(())
    }
}

/// Most `--listen` addresses of `smsc-sim`: one accept loop each.
pub const LISTEN_MAX: usize = 16;
/// Most `--account` flags: one entry in the simulator's account table each.
pub const ACCOUNTS_MAX: usize = 1_024;
/// Most binds (`--binds`, `--max-binds`): one connection and its window each.
pub const BINDS_MAX: i64 = 1_024;
/// Largest `--window`: outstanding submits per bind, one pending entry each.
pub const WINDOW_MAX: i64 = 65_535;
/// Largest `--count`.
pub const COUNT_MAX: u64 = 1_000_000_000;
/// Largest `--rate`, in messages per second.
pub const RATE_MAX: u64 = 10_000_000;
/// Longest `--duration-s`: one week.
pub const DURATION_S_MAX: u64 = 604_800;
/// Longest `--receipt-wait-s`: one hour.
pub const RECEIPT_WAIT_S_MAX: u64 = 3_600;
/// Longest `--response-timeout-ms` and `--step-timeout-ms`: ten minutes.
pub const RESPONSE_TIMEOUT_MS_MAX: u64 = 600_000;
/// Longest `--dlr-delay-ms` and `--refuse-binds-ms`: one hour (receipts wait in a queue).
pub const DELAY_MS_MAX: u64 = 3_600_000;
/// Longest `--response-delay-ms`: one minute (responses wait in the window).
pub const RESPONSE_DELAY_MS_MAX: u64 = 60_000;
/// Longest `--stats-interval-ms`: one hour.
pub const STATS_INTERVAL_MS_MAX: u64 = 3_600_000;
/// Largest `--mo-rate`, in messages per second.
pub const MO_RATE_MAX: u64 = 100_000;
/// Largest N of the `--*-every` and `--close-after-pdus` flags.
pub const EVERY_MAX: u64 = 1_000_000_000;
/// Largest `--sessions` of `ussd-sim`.
pub const SESSIONS_MAX: u64 = 10_000_000;
/// Largest `--concurrency` of `ussd-sim`: one session state each.
pub const CONCURRENCY_MAX: i64 = 10_000;
/// Most answers in a `--script`.
pub const SCRIPT_STEPS_MAX: usize = 32;
/// Longest answer in a `--script`.
pub const SCRIPT_CHOICE_LEN_MAX: usize = 16;
/// Longest `--service-code`.
pub const SERVICE_CODE_LEN_MAX: usize = 20;
/// Longest SMPP address (source_addr, destination_addr: C-octet of 21 with the NUL).
pub const ADDRESS_LEN_MAX: usize = 20;
/// Longest SMPP system_id (C-octet of 16 with the NUL, SMPP 3.4 §4.1.1).
pub const SMPP_SYSTEM_ID_LEN_MAX: usize = 15;
/// Longest SMPP password (C-octet of 9 with the NUL, SMPP 3.4 §4.1.1).
pub const SMPP_PASSWORD_LEN_MAX: usize = 8;
/// Longest CMPP Source_Addr (Octet String of 6, CMPP 2.0 §7.4.1).
pub const CMPP_SOURCE_ADDR_LEN_MAX: usize = 6;
/// Longest CMPP shared secret we accept (it is only hashed, never sent).
pub const CMPP_SECRET_LEN_MAX: usize = 64;

const SMSC_SIM_EXAMPLES: &str = "\
Examples:
  smsgw-bench smsc-sim --listen 127.0.0.1:2776
  smsgw-bench smsc-sim --listen 127.0.0.1:2776 --account gw:pw --dlr-delay-ms 200 \\
      --dlr-mix DELIVRD=90,UNDELIV=10 --stats-file /tmp/smsc.json
  smsgw-bench smsc-sim --listen 127.0.0.1:2776 --throttle-every 100 --drop-response-every 1000 \\
      --duration-s 60";

const LOAD_EXAMPLES: &str = "\
Examples:
  smsgw-bench load --to 127.0.0.1:2775 --system-id acme --password secret1 --count 100000
  smsgw-bench load --to 127.0.0.1:2775 --system-id acme --password secret1 --binds 4 \\
      --window 128 --duration-s 60 --rate 20000 --mix gsm=70,ucs2=20,long=10 \\
      --registered-delivery --json
  smsgw-bench load --to 127.0.0.1:7890 --protocol cmpp --cmpp-version 3.0 \\
      --system-id 900001 --password s3cret --count 10000";

const USSD_SIM_EXAMPLES: &str = "\
Examples:
  smsgw-bench ussd-sim --listen 127.0.0.1:2777
  smsgw-bench ussd-sim --listen 127.0.0.1:2777 --service-code '*144#' --sessions 10000 \\
      --concurrency 200 --script 1,2,1 --abandon-every 20 --json";

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser, Subcommand};

    use super::*;
    use crate::mix::Kind;

    /// The shape main.rs wires: one subcommand per tool.
    #[derive(Debug, Parser)]
    #[command(name = "smsgw-bench")]
    struct TestCli {
        #[command(subcommand)]
        command: TestCommand,
    }

    #[derive(Debug, Subcommand)]
    enum TestCommand {
        SmscSim(SmscSimArgs),
        Load(LoadArgs),
        UssdSim(UssdSimArgs),
    }

    fn parse(line: &str) -> Result<TestCommand, clap::Error> {
        let words = std::iter::once("smsgw-bench").chain(line.split_whitespace());
        TestCli::try_parse_from(words).map(|cli| cli.command)
    }

    fn load(line: &str) -> LoadArgs {
        match parse(&format!("load {line}")).unwrap() {
            TestCommand::Load(args) => args,
            other => panic!("not load: {other:?}"),
        }
    }

    fn smsc_sim(line: &str) -> SmscSimArgs {
        match parse(&format!("smsc-sim {line}")).unwrap() {
            TestCommand::SmscSim(args) => args,
            other => panic!("not smsc-sim: {other:?}"),
        }
    }

    fn ussd_sim(line: &str) -> UssdSimArgs {
        match parse(&format!("ussd-sim {line}")).unwrap() {
            TestCommand::UssdSim(args) => args,
            other => panic!("not ussd-sim: {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        parse(line).unwrap_err().to_string()
    }

    #[test]
    fn clap_definitions_are_consistent() {
        // Proves clap's own debug checks pass (no duplicate flags, valid groups and defaults).
        TestCli::command().debug_assert();
    }

    #[test]
    fn smsc_sim_parses_with_defaults() {
        // Proves a minimal smsc-sim line parses, with every documented default.
        let args = smsc_sim("--listen 127.0.0.1:2776");
        assert_eq!(args.listen, ["127.0.0.1:2776"]);
        assert_eq!(args.stats_interval_ms, 1_000);
        assert_eq!(args.dlr_delay_ms, 0);
        assert_eq!(args.dlr_mix, DlrMix::default());
        assert_eq!(args.message_id_format, MessageIdFormat::Hex);
        assert!(args.account.is_empty());
        assert_eq!(args.mo_rate, 0);
        assert_eq!(args.max_binds, 64);
        assert_eq!(args.duration_s, None);
        assert!(!args.allow_non_loopback);
        assert_eq!(args.validate(), Ok(()));
    }

    #[test]
    fn smsc_sim_parses_every_flag() {
        // Proves each smsc-sim flag is spelled as INTERFACES.md and the brief say and lands in
        // its field, including repeated --listen and --account.
        let args = smsc_sim(
            "--listen 127.0.0.1:2776 --listen [::1]:2776 --stats-file /tmp/s.json \
             --stats-interval-ms 500 --dlr-delay-ms 250 --dlr-mix DELIVRD=90,UNDELIV=10 \
             --message-id-format decimal --account gw:pw --account gw2:pw2 --mo-rate 5 \
             --mo-short-code 12345 --mo-source 254711000001 --throttle-every 100 \
             --queue-full-every 200 --response-delay-ms 3 --drop-response-every 1000 \
             --close-after-pdus 5000 --refuse-binds-ms 100 --max-binds 8 --duration-s 60 \
             --allow-non-loopback",
        );
        assert_eq!(args.listen, ["127.0.0.1:2776", "[::1]:2776"]);
        assert_eq!(args.stats_file, Some("/tmp/s.json".into()));
        assert_eq!(
            (args.stats_interval_ms, args.dlr_delay_ms, args.mo_rate),
            (500, 250, 5)
        );
        assert_eq!(args.dlr_mix, "DELIVRD=90,UNDELIV=10".parse().unwrap());
        assert_eq!(args.message_id_format, MessageIdFormat::Decimal);
        assert_eq!(
            args.account[1],
            Account {
                system_id: "gw2".into(),
                password: "pw2".into()
            }
        );
        assert_eq!(args.mo_source, "254711000001");
        assert_eq!(
            (args.throttle_every, args.queue_full_every),
            (Some(100), Some(200))
        );
        assert_eq!(
            (args.response_delay_ms, args.drop_response_every),
            (Some(3), Some(1_000))
        );
        assert_eq!(
            (args.close_after_pdus, args.refuse_binds_ms),
            (Some(5_000), Some(100))
        );
        assert_eq!((args.max_binds, args.duration_s), (8, Some(60)));
        assert!(args.allow_non_loopback);
        assert_eq!(args.validate(), Ok(()));
    }

    #[test]
    fn smsc_sim_rejects_bad_lines() {
        // Proves the operator errors: missing --listen, bounds over their maximum, a malformed
        // account, a bad dlr-mix, an address without a port, and duplicate accounts.
        assert!(error("smsc-sim").contains("--listen"));
        assert!(error("smsc-sim --listen 127.0.0.1:1 --max-binds 1025").contains("1..=1024"));
        assert!(error("smsc-sim --listen 127.0.0.1:1 --max-binds 0").contains("--max-binds"));
        assert!(
            error("smsc-sim --listen 127.0.0.1:1 --stats-interval-ms 5").contains("10..=3600000")
        );
        assert!(error("smsc-sim --listen 127.0.0.1:1 --account nopassword").contains("SYSTEM_ID"));
        assert!(
            error("smsc-sim --listen 127.0.0.1:1 --account gw:waytoolongpw").contains("at most 8")
        );
        assert!(error("smsc-sim --listen 127.0.0.1:1 --dlr-mix DELIVRD=90").contains("sum to 90"));
        assert!(error("smsc-sim --listen 127.0.0.1").contains("HOST:PORT"));
        assert!(error("smsc-sim --listen 127.0.0.1:1 --throttle-every 0").contains("1..="));
        let args = smsc_sim("--listen 127.0.0.1:1 --account gw:a --account gw:b");
        assert_eq!(
            args.validate(),
            Err(CliError::DuplicateAccount {
                system_id: "gw".into()
            })
        );
        let many = (0..=LISTEN_MAX)
            .map(|port| format!("--listen 127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            smsc_sim(&many).validate(),
            Err(CliError::TooMany {
                flag: "--listen",
                count: 17,
                max: 16
            })
        );
    }

    #[test]
    fn load_parses_with_defaults() {
        // Proves the INTERFACES.md load line parses and every documented default.
        let args = load("--to 127.0.0.1:2775 --system-id acme --password secret1 --count 1000");
        assert_eq!(args.to, "127.0.0.1:2775");
        assert_eq!(
            (args.system_id.as_str(), args.password.as_str()),
            ("acme", "secret1")
        );
        assert_eq!((args.binds, args.window), (1, 64));
        assert_eq!(
            (args.count, args.duration_s, args.rate),
            (Some(1_000), None, None)
        );
        assert_eq!(args.protocol, Protocol::Smpp);
        assert_eq!(args.cmpp_version, CmppVersionArg::V2_0);
        assert_eq!(args.interface_version.interface_version(), 0x34);
        assert_eq!(args.bind_mode, BindMode::Transceiver);
        assert_eq!(args.dest_prefix, ["2547".parse().unwrap()]);
        assert_eq!(args.source_addr, None);
        assert_eq!(args.mix, Mix::default());
        assert!(!args.registered_delivery);
        assert_eq!((args.receipt_wait_s, args.response_timeout_ms), (10, 5_000));
        assert!(!args.json);
        assert_eq!(args.seed, 1);
        assert_eq!(args.validate(), Ok(()));
    }

    #[test]
    fn load_parses_every_flag() {
        // Proves each load flag is spelled as specified and lands in its field, with repeated
        // --dest-prefix replacing the default.
        let args = load(
            "--to localhost:7890 --system-id 900001 --password s3cret --binds 4 --window 128 \
             --duration-s 30 --rate 2000 --protocol cmpp --cmpp-version 3.0 \
             --interface-version 5.0 --bind-mode transceiver --dest-prefix 2547 \
             --dest-prefix 2541 --source-addr 12345 --mix gsm=70,ucs2=20,long=10 \
             --registered-delivery --receipt-wait-s 30 --response-timeout-ms 2000 --json \
             --seed 99 --allow-non-loopback",
        );
        assert_eq!((args.binds, args.window), (4, 128));
        assert_eq!(
            (args.count, args.duration_s, args.rate),
            (None, Some(30), Some(2_000))
        );
        assert_eq!(args.protocol, Protocol::Cmpp);
        assert_eq!(args.cmpp_version.cmpp_version(), CmppVersion::V3_0);
        assert_eq!(args.interface_version.interface_version(), 0x50);
        let prefixes: Vec<&str> = args.dest_prefix.iter().map(DestPrefix::as_str).collect();
        assert_eq!(prefixes, ["2547", "2541"]);
        assert_eq!(args.source_addr.as_deref(), Some("12345"));
        assert_eq!(args.mix.percent(Kind::Ucs2), 20);
        assert!(args.registered_delivery && args.json && args.allow_non_loopback);
        assert_eq!(
            (args.receipt_wait_s, args.response_timeout_ms, args.seed),
            (30, 2_000, 99)
        );
        assert_eq!(args.validate(), Ok(()));
    }

    #[test]
    fn load_requires_exactly_one_of_count_and_duration() {
        // Proves --count and --duration-s are mutually exclusive and one is required.
        let base = "load --to 127.0.0.1:2775 --system-id a --password b";
        assert!(parse(&format!("{base} --count 1")).is_ok());
        assert!(parse(&format!("{base} --duration-s 1")).is_ok());
        let neither = error(base);
        assert!(
            neither.contains("--count") && neither.contains("--duration-s"),
            "{neither}"
        );
        let both = error(&format!("{base} --count 1 --duration-s 1"));
        assert!(both.contains("cannot be used with"), "{both}");
    }

    #[test]
    fn load_rejects_bad_lines() {
        // Proves the bounds and value errors of load name the flag or value: binds and window
        // over their maximum, a bad protocol, mix or prefix, and the validate() checks (rate
        // below binds, receipts on a transmitter, credentials too long, too many prefixes).
        let base = "load --to 127.0.0.1:2775 --system-id a --password b --count 1";
        assert!(error(&format!("{base} --binds 1025")).contains("1..=1024"));
        assert!(error(&format!("{base} --window 65536")).contains("1..=65535"));
        assert!(error(&format!("{base} --window 0")).contains("--window"));
        assert!(error(&format!("{base} --protocol http")).contains("smpp, cmpp"));
        assert!(error(&format!("{base} --cmpp-version 4.0")).contains("2.0, 3.0"));
        assert!(error(&format!("{base} --interface-version 3.5")).contains("3.3, 3.4, 5.0"));
        assert!(error(&format!("{base} --mix gsm=60")).contains("sum to 60"));
        assert!(error(&format!("{base} --dest-prefix 25a")).contains("only digits"));
        assert!(error(&format!("{base} --rate 0")).contains("--rate"));
        assert!(error(&format!("{base} --count 1000000001")).contains("--count"));
        assert!(error("load --system-id a --password b --count 1").contains("--to"));
        let validate = |extra: &str| match parse(&format!("{base} {extra}")).unwrap() {
            TestCommand::Load(args) => args.validate(),
            other => panic!("not load: {other:?}"),
        };
        assert_eq!(
            validate("--binds 8 --rate 4"),
            Err(CliError::RateBelowBinds { rate: 4, binds: 8 })
        );
        assert_eq!(
            validate("--bind-mode transmitter --registered-delivery"),
            Err(CliError::ReceiptsOnTransmitter)
        );
        assert_eq!(validate("--bind-mode transmitter"), Ok(()));
        let long_password =
            load("--to 127.0.0.1:2775 --system-id acme --password ninechars --count 1");
        assert!(matches!(
            long_password.validate(),
            Err(CliError::CredentialTooLong {
                flag: "--password",
                max: 8,
                ..
            })
        ));
        let cmpp = load(
            "--to 127.0.0.1:7890 --protocol cmpp --system-id 9000011 --password ninechars \
             --count 1",
        );
        assert!(matches!(
            cmpp.validate(),
            Err(CliError::CredentialTooLong {
                flag: "--system-id",
                max: 6,
                ..
            })
        ));
        let prefixes = "--dest-prefix 1 ".repeat(DEST_PREFIXES_MAX + 1);
        assert!(matches!(
            validate(&prefixes),
            Err(CliError::TooMany {
                flag: "--dest-prefix",
                ..
            })
        ));
    }

    #[test]
    fn ussd_sim_parses_and_rejects() {
        // Proves ussd-sim's flags and defaults, the service code and script shapes, and its
        // bounds.
        let args = ussd_sim("--listen 127.0.0.1:2777");
        assert_eq!(args.service_code.as_str(), "*144#");
        assert_eq!((args.sessions, args.concurrency), (100, 10));
        assert_eq!(args.script.choices(), ["1"]);
        assert_eq!((args.abandon_every, args.step_timeout_ms), (None, 10_000));
        assert_eq!(args.validate(), Ok(()));
        let args = ussd_sim(
            "--listen 127.0.0.1:2777 --service-code *100*2# --sessions 5000 --concurrency 50 \
             --script 1,2,1 --abandon-every 20 --step-timeout-ms 500 --json --duration-s 30 \
             --allow-non-loopback",
        );
        assert_eq!(args.service_code.to_string(), "*100*2#");
        assert_eq!(args.script.choices(), ["1", "2", "1"]);
        assert_eq!((args.sessions, args.concurrency), (5_000, 50));
        assert_eq!((args.abandon_every, args.step_timeout_ms), (Some(20), 500));
        assert!(args.json && args.allow_non_loopback);
        assert_eq!(args.duration_s, Some(30));
        let base = "ussd-sim --listen 127.0.0.1:2777";
        assert!(error(&format!("{base} --service-code 144")).contains("*144#"));
        assert!(error(&format!("{base} --service-code *1a4#")).contains("service code"));
        assert!(error(&format!("{base} --script 1,,2")).contains("digits"));
        assert!(error(&format!("{base} --script {}", ["1"; 33].join(","))).contains("32"));
        assert!(error(&format!("{base} --concurrency 10001")).contains("1..=10000"));
        assert!(error("ussd-sim").contains("--listen"));
    }

    #[test]
    fn help_shows_examples() {
        // Proves each tool's --help carries its doc comments and after_help examples.
        for (tool, example) in [
            ("smsc-sim", "smsgw-bench smsc-sim --listen 127.0.0.1:2776"),
            ("load", "--mix gsm=70,ucs2=20,long=10"),
            ("ussd-sim", "--script 1,2,1"),
        ] {
            let help = error(&format!("{tool} --help"));
            assert!(help.contains("Examples:"), "{tool}: {help}");
            assert!(help.contains(example), "{tool}: {help}");
        }
        assert!(error("load --help").contains("Messages per second over all binds"));
    }
}
