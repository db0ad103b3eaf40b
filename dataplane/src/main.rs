//! `smsgw`: the gateway daemon.
//!
//! The command-line shape is fixed by INTERFACES.md (`run`, `demo`, `check-config`).
//! `check-config` validates a file with [`config`]; the data plane behind `run` and `demo`
//! arrives with the data-plane issue, and until then they say so and exit 2 instead of
//! pretending to run.
#![forbid(unsafe_code)]

use smsgw_dataplane::config;

use std::io::Write;
use std::path::{Path, PathBuf};
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
        Command::CheckConfig { file } => return check_config(&file),
    };
    eprintln!(
        "smsgw {name}: not available in this build; the data plane arrives with the data-plane \
         issue. For now `smsgw-bench codec-sample` shows the codecs at work."
    );
    ExitCode::from(2)
}

/// `smsgw check-config FILE`: `ok: N accounts, M connectors, K routes` on stdout and exit 0, or
/// every error as `error: <path>: <message>` on stderr and exit 1.
///
/// Output goes through `writeln!` with the result ignored, not `println!`, so a closed pipe
/// (`smsgw check-config f | head -0`) cannot panic; the exit code still tells the story.
fn check_config(file: &Path) -> ExitCode {
    match config::Config::load(file) {
        Ok(config) => {
            let _ = writeln!(
                std::io::stdout().lock(),
                "ok: {} accounts, {} connectors, {} routes",
                config.accounts.len(),
                config.connectors.len(),
                config.routes.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            let mut stderr = std::io::stderr().lock();
            for error in errors.iter() {
                let _ = writeln!(stderr, "error: {error}");
            }
            if errors.omitted() > 0 {
                let _ = writeln!(
                    stderr,
                    "error: {} more errors not shown; fix the ones above first",
                    errors.omitted()
                );
            }
            ExitCode::from(1)
        }
    }
}
