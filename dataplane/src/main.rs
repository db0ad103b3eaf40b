//! `smsgw`: the gateway daemon.
//!
//! The command-line shape is fixed by INTERFACES.md (`run`, `demo`, `check-config`). The data
//! plane behind it arrives with the data-plane issue; until then each subcommand says so and
//! exits 2 instead of pretending to run.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// smsgw: carrier-grade SMS and USSD aggregator gateway (SMPP 3.3/3.4/5.0, CMPP 2.0/3.0).
#[derive(Debug, Parser)]
#[command(name = "smsgw", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway in the foreground with a config file; logs to stderr. SIGTERM/SIGINT stop
    /// accepting, unbind sessions politely, flush the journal and exit 0.
    Run {
        /// The TOML config file (see docs/config.md).
        #[arg(long)]
        config: PathBuf,
    },
    /// Run the gateway on an embedded default config with a built-in SMSC simulator, send a few
    /// messages and show their receipts, then keep running until Ctrl-C.
    Demo,
    /// Validate a config file and print every error with its key path; exit 1 when invalid.
    CheckConfig {
        /// The TOML config file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let name = match cli.command {
        Command::Run { .. } => "run",
        Command::Demo => "demo",
        Command::CheckConfig { .. } => "check-config",
    };
    eprintln!(
        "smsgw {name}: not available in this build; the data plane arrives with the data-plane \
         issue. For now `smsgw-bench codec-sample` shows the codecs at work."
    );
    ExitCode::from(2)
}
