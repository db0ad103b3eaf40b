//! `smsgwctl`: the operators' CLI for the smsgw control plane (gRPC).

mod cli;
mod commands;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("smsgwctl: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = Duration::from_secs(cli.timeout_s);
    let result = runtime.block_on(async {
        match cli.command {
            cli::Command::Status => commands::status::run(&cli.endpoint, timeout, cli.json).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smsgwctl: {error}");
            ExitCode::FAILURE
        }
    }
}
