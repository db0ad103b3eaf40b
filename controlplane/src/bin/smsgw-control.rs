//! `smsgw-control`: the control plane as a standalone server for a fleet of data planes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use smsgw_controlplane::{server, store::Store};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// smsgw-control: the smsgw control plane (gRPC over RocksDB).
///
/// Stops on SIGTERM or Ctrl-C after in-flight calls finish.
#[derive(Debug, Parser)]
#[command(name = "smsgw-control", version, about)]
struct Args {
    /// Address to serve gRPC on.
    #[arg(long, default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Directory of the RocksDB store (created if missing).
    #[arg(long, default_value = "var/control")]
    data_dir: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let store = match Store::open(&args.data_dir) {
        Ok(store) => Arc::new(store),
        Err(error) => {
            eprintln!("smsgw-control: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("smsgw-control: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let (listener, local) = server::bind(args.listen)
            .await
            .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
        eprintln!(
            "smsgw-control: serving gRPC on {local}, store {}",
            args.data_dir.display()
        );
        server::serve(listener, store, shutdown_signal())
            .await
            .map_err(|error| format!("gRPC server failed: {error}"))
    });
    match result {
        Ok(()) => {
            eprintln!("smsgw-control: stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("smsgw-control: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
