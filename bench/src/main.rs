//! `smsgw-bench`: the SMPP/CMPP load generator, the SMSC and USSD gateway simulators, and the
//! codec sample. Every command is bounded in time and count and connects only to loopback
//! addresses unless `--allow-non-loopback` is given.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use smsgw_bench::cli::{IsmgSimArgs, LoadArgs, SmscSimArgs, UssdSimArgs};
use smsgw_bench::signals::Shutdown;
use smsgw_bench::{commands, sample};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// smsgw-bench: smsgw's benchmark harness and protocol tooling.
#[derive(Debug, Parser)]
#[command(name = "smsgw-bench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// SMSC simulator: accepts SMPP binds, answers submits, sends receipts and MO, injects
    /// faults; SIGTERM (or --duration-s) prints and writes its counts as JSON.
    SmscSim(SmscSimArgs),
    /// CMPP ISMG simulator: authenticates SPs (MD5), answers CMPP_SUBMIT, sends status
    /// reports, injects faults; SIGTERM (or --duration-s) prints its counts as JSON.
    IsmgSim(IsmgSimArgs),
    /// Load generator: binds, submits a message mix through sliding windows, matches responses
    /// and receipts, reports throughput and latency (--json: last line is one JSON object).
    Load(LoadArgs),
    /// Operator USSD gateway simulator: starts subscriber sessions and answers menus.
    UssdSim(UssdSimArgs),
    /// Encode and decode a sample of SMPP and CMPP PDUs and split sample texts into SMS parts,
    /// printing the bytes and the decoded fields.
    CodecSample,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::CodecSample => {
            sample::run(&mut std::io::stdout().lock()).map_err(|error| error.to_string())
        }
        Command::SmscSim(args) => with_runtime(|shutdown| commands::smsc_sim(args, shutdown)),
        Command::IsmgSim(args) => with_runtime(|shutdown| commands::ismg_sim(args, shutdown)),
        Command::Load(args) => with_runtime(|shutdown| commands::load(args, shutdown)),
        Command::UssdSim(args) => with_runtime(|shutdown| commands::ussd_sim(args, shutdown)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smsgw-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs an async command on a multi-threaded runtime with one worker per core, with SIGTERM and
/// SIGINT turned into a [`Shutdown`] request.
fn with_runtime<F, Fut>(command: F) -> Result<(), String>
where
    F: FnOnce(Shutdown) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let shutdown = Shutdown::install().map_err(|error| error.to_string())?;
    let workers = std::thread::available_parallelism().map_or(2, |cores| cores.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let result = runtime.block_on(command(shutdown));
    runtime.shutdown_timeout(Duration::from_secs(2));
    result
}
