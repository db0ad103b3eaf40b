//! Value types of the typed config that are more than a number or a word: CIDR blocks,
//! `host:port` addresses and secrets, with their parsers; and how errors show a TOML value.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;
use toml::Value;

use super::limits::HOST_NAME_SIZE_MAX;

/// Parses an `allowed_ips` entry, `ADDRESS/PREFIX_LEN` or a bare address (a host route), into
/// an [`IpNet`]; the error says what is wrong. Host bits set under the prefix are refused with
/// the network the operator probably meant, because ipnet would silently accept them.
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let network: IpAddr = address
        .parse()
        .map_err(|_| format!("\"{address}\" is not an IP address"))?;
    let bits: u8 = if network.is_ipv4() { 32 } else { 128 };
    let prefix_len = match prefix {
        None => bits,
        Some(prefix) => {
            let digits_only = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit());
            match prefix.parse::<u8>() {
                Ok(len) if digits_only && len <= bits => len,
                _ => return Err(format!("the prefix length must be 0 to {bits}")),
            }
        }
    };
    let block = IpNet::new(network, prefix_len)
        .map_err(|_| format!("the prefix length must be 0 to {bits}"))?;
    if block.trunc() != block {
        return Err(format!(
            "host bits are set; the network is {}",
            block.trunc()
        ));
    }
    Ok(block)
}

/// Where a connector connects: a host name or IP address and a port (1..=65535).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// A DNS name (resolved when connecting) or an IP address, without brackets.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

impl FromStr for HostPort {
    type Err = String;

    /// Parses `host:port`, `1.2.3.4:port` or `[v6]:port`; the error says what is wrong.
    fn from_str(text: &str) -> Result<HostPort, String> {
        if let Ok(socket) = text.parse::<SocketAddr>() {
            if socket.port() == 0 {
                return Err("port 0 cannot be connected to".to_owned());
            }
            return Ok(HostPort {
                host: socket.ip().to_string(),
                port: socket.port(),
            });
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err("the port is missing".to_owned());
        };
        if host.contains(':') {
            return Err("an IPv6 address needs brackets: [2001:db8::1]:2775".to_owned());
        }
        // Digits only, no leading zero: `u16::from_str` would accept `+80` and `080`.
        let canonical = port.bytes().all(|b| b.is_ascii_digit()) && !port.starts_with('0');
        let port = match port.parse::<u16>() {
            Ok(port) if canonical => port,
            _ => return Err("the port must be 1 to 65535".to_owned()),
        };
        if !is_host_name(host) {
            return Err(format!("\"{host}\" is not a host name or IP address"));
        }
        Ok(HostPort {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A password or shared secret: compared and used, never printed (`Debug` shows `Secret(..)`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret itself, for authentication only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How errors show a value: its type and a short rendering (`string "abc"`, `integer 7`,
/// `an array of 3`), or `<redacted>` for a secret's value.
pub(super) fn describe(value: &Value, secret: bool) -> String {
    let type_name = match value {
        Value::String(_) => "string",
        Value::Integer(_) => "integer",
        Value::Float(_) => "float",
        Value::Boolean(_) => "boolean",
        Value::Datetime(_) => "datetime",
        Value::Array(items) => return format!("an array of {}", items.len()),
        Value::Table(table) => return format!("a table of {} keys", table.len()),
    };
    if secret {
        return format!("{type_name} <redacted>");
    }
    match value {
        Value::String(text) => format!("string {}", quote(text)),
        Value::Integer(number) => format!("integer {number}"),
        Value::Float(number) => format!("float {number}"),
        Value::Boolean(flag) => format!("boolean {flag}"),
        Value::Datetime(datetime) => format!("datetime {datetime}"),
        Value::Array(_) | Value::Table(_) => type_name.to_owned(),
    }
}

/// A string as errors show it: quoted and escaped, cut at [`QUOTE_CHARS_MAX`] characters so one
/// error stays one readable line.
pub(super) fn quote(text: &str) -> String {
    let mut shown: String = text.chars().take(QUOTE_CHARS_MAX).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= HOST_NAME_SIZE_MAX
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Longest string an error quotes, in characters.
const QUOTE_CHARS_MAX: usize = 64;
