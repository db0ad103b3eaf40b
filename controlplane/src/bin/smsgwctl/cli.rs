//! The `smsgwctl` command line: clap types only (global options and one subcommand enum per
//! noun). Logic lives in `commands/`.

use clap::{Parser, Subcommand};

/// smsgwctl: operate an smsgw control plane.
///
/// Exit codes: 0 success; 1 the operation failed (control plane unreachable, refused, or
/// invalid input it reported); 2 the command line itself is wrong.
#[derive(Debug, Parser)]
#[command(name = "smsgwctl", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  smsgwctl status\n  smsgwctl --endpoint http://10.0.0.5:50051 status --json"
)]
pub struct Cli {
    /// gRPC endpoint of the control plane.
    #[arg(long, global = true, default_value = smsgw_controlplane::DEFAULT_ENDPOINT)]
    pub endpoint: String,

    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    /// Seconds to wait for the control plane before giving up.
    #[arg(long, global = true, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout_s: u64,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The nouns.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the control plane's health and the configuration version it stores.
    Status,
}
