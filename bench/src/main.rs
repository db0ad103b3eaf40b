//! `smsgw-bench`: the load generator, SMSC and USSD simulators (bench-harness issue), and for
//! now the codec sample the README's first command runs.

mod sample;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Encode and decode a sample of SMPP and CMPP PDUs and split sample texts into SMS parts,
    /// printing the bytes and the decoded fields.
    CodecSample,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::CodecSample => sample::run(&mut std::io::stdout().lock()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smsgw-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
