//! `smsgw`: the gateway daemon.
//!
//! The command-line shape is fixed by INTERFACES.md (`run`, `demo`, `check-config`).
//! `check-config` validates a file with [`config`]; `run` starts the [`Gateway`] and stops it
//! gracefully on SIGTERM/SIGINT; `demo` is [`smsgw_dataplane::demo`].
#![forbid(unsafe_code)]

use smsgw_dataplane::config;
use smsgw_dataplane::gateway::Gateway;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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
    Demo {
        /// Where SPs bind (the gateway's SMPP listener).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2775")]
        smpp_listen: std::net::SocketAddr,
        /// Where the simulated SMSC listens.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2776")]
        smsc_listen: std::net::SocketAddr,
    },
    /// Validate a config file and print every error with its key path; exit 1 when invalid.
    CheckConfig {
        /// The TOML config file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config } => run(&config),
        Command::Demo {
            smpp_listen,
            smsc_listen,
        } => demo(smsgw_dataplane::demo::DemoAddrs {
            smpp: smpp_listen,
            smsc: smsc_listen,
        }),
        Command::CheckConfig { file } => check_config(&file),
    }
}

/// SIGTERM and SIGINT set the returned flag.
fn stop_flag() -> Result<Arc<AtomicBool>, ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(error) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("smsgw: cannot handle signal {signal}: {error}");
            return Err(ExitCode::from(1));
        }
    }
    Ok(stop)
}

/// `smsgw run --config FILE`: exit 0 after a graceful stop, 1 when the config is invalid or the
/// gateway cannot start.
fn run(file: &Path) -> ExitCode {
    let config = match config::Config::load(file) {
        Ok(config) => config,
        Err(errors) => {
            let mut stderr = std::io::stderr().lock();
            for error in errors.iter() {
                let _ = writeln!(stderr, "error: {error}");
            }
            return ExitCode::from(1);
        }
    };
    let stop = match stop_flag() {
        Ok(stop) => stop,
        Err(code) => return code,
    };
    let gateway = match Gateway::start(config) {
        Ok(gateway) => gateway,
        Err(error) => {
            eprintln!("smsgw: cannot start: {error}");
            return ExitCode::from(1);
        }
    };
    eprintln!("smsgw: running; SIGTERM or SIGINT stops it gracefully");
    while !stop.load(Ordering::Relaxed) && !gateway.is_stopping() {
        std::thread::sleep(Duration::from_millis(50));
    }
    // A core that failed sets the gateway's stop flag itself: exit 1 then.
    let failed = !stop.load(Ordering::Relaxed);
    eprintln!("smsgw: stopping: no new connections, unbinding sessions, draining queues");
    let counters = gateway.join();
    eprintln!("smsgw: stopped; {counters:?}");
    if failed {
        eprintln!("smsgw: a data-plane core failed (see above); exiting 1");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// `smsgw demo`.
fn demo(addrs: smsgw_dataplane::demo::DemoAddrs) -> ExitCode {
    let stop = match stop_flag() {
        Ok(stop) => stop,
        Err(code) => return code,
    };
    match smsgw_dataplane::demo::run(stop, addrs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smsgw demo: {error}");
            ExitCode::from(1)
        }
    }
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
