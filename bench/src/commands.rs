//! The bodies of the `smsgw-bench` subcommands: argument checks, then the library's simulators
//! and load generators, then reports.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use smsgw_shared::smpp::session::BindMode;

use crate::cli::{self, IsmgSimArgs, LoadArgs, SmscSimArgs, UssdSimArgs};
use crate::ismg_sim::{IsmgSim, IsmgSimConfig};
use crate::load::{self, LoadConfig, Stop};
use crate::load_cmpp::{self, LoadCmppConfig};
use crate::netguard::resolve_checked;
use crate::report::Report;
use crate::signals::Shutdown;
use crate::smsc_sim::{Faults, IdFormat, MoConfig, SimConfig, SmscSim};
use crate::stats_file;
use crate::ussd_sim::{UssdSim, UssdSimConfig};

/// How often a running command checks for SIGTERM / SIGINT.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// `smsc-sim`: serves until SIGTERM/SIGINT or `--duration-s`, then prints its counts as JSON.
pub async fn smsc_sim(args: SmscSimArgs, shutdown: Shutdown) -> Result<(), String> {
    args.validate().map_err(|error| error.to_string())?;
    let listen = resolve_all(&args.listen, args.allow_non_loopback)?;
    let config = SimConfig {
        accounts: args
            .account
            .iter()
            .map(|account| (account.system_id.clone(), account.password.clone()))
            .collect::<HashMap<_, _>>(),
        message_id_format: match args.message_id_format {
            cli::MessageIdFormat::Hex => IdFormat::Hex,
            cli::MessageIdFormat::Decimal => IdFormat::Decimal,
        },
        dlr_delay_ms: args.dlr_delay_ms,
        dlr_mix: args.dlr_mix.clone(),
        mo: (args.mo_rate > 0).then(|| MoConfig {
            rate_per_s: u32::try_from(args.mo_rate).unwrap_or(u32::MAX),
            short_code: args.mo_short_code.clone(),
            source: args.mo_source.clone(),
        }),
        faults: Faults {
            throttle_every: args.throttle_every.unwrap_or(0),
            queue_full_every: args.queue_full_every.unwrap_or(0),
            response_delay_ms: args.response_delay_ms.unwrap_or(0),
            drop_response_every: args.drop_response_every.unwrap_or(0),
            close_after_pdus: args.close_after_pdus.unwrap_or(0),
            refuse_binds_ms: args.refuse_binds_ms.unwrap_or(0),
        },
        max_binds: args.max_binds as usize,
        ..SimConfig::new(listen)
    };
    let sim = SmscSim::start(config)
        .await
        .map_err(|error| format!("cannot listen: {error}"))?;
    for address in &sim.local_addrs {
        eprintln!("smsc-sim: listening on {address}");
    }
    let counters = sim.counters.clone();
    serve_counts(
        args.stats_file.clone(),
        Duration::from_millis(args.stats_interval_ms),
        &shutdown,
        args.duration_s.map(Duration::from_secs),
        move || counters.to_json(),
        sim.stop(),
    )
    .await
}

/// `ismg-sim`: serves CMPP until SIGTERM/SIGINT or `--duration-s`, then prints its counts.
pub async fn ismg_sim(args: IsmgSimArgs, shutdown: Shutdown) -> Result<(), String> {
    let listen = resolve_all(&args.listen, args.allow_non_loopback)?;
    let accounts: HashMap<String, String> = args
        .account
        .iter()
        .map(|account| (account.system_id.clone(), account.password.clone()))
        .collect();
    let config = IsmgSimConfig {
        version: args.cmpp_version.cmpp_version(),
        ismg_id: args.ismg_id,
        dlr_delay_ms: args.dlr_delay_ms,
        dlr_mix: args.dlr_mix.clone(),
        faults: Faults {
            throttle_every: args.throttle_every.unwrap_or(0),
            response_delay_ms: args.response_delay_ms.unwrap_or(0),
            drop_response_every: args.drop_response_every.unwrap_or(0),
            close_after_pdus: args.close_after_pdus.unwrap_or(0),
            refuse_binds_ms: args.refuse_connects_ms.unwrap_or(0),
            queue_full_every: 0,
        },
        max_connections: args.max_connections as usize,
        ..IsmgSimConfig::new(listen, accounts)
    };
    let sim = IsmgSim::start(config)
        .await
        .map_err(|error| format!("cannot listen: {error}"))?;
    for address in &sim.local_addrs {
        eprintln!("ismg-sim: listening on {address}");
    }
    let counters = sim.counters.clone();
    serve_counts(
        args.stats_file.clone(),
        Duration::from_millis(args.stats_interval_ms),
        &shutdown,
        args.duration_s.map(Duration::from_secs),
        move || counters.to_json(),
        sim.stop(),
    )
    .await
}

/// `load`: runs to its count or duration (or SIGINT) and prints the report.
pub async fn load(args: LoadArgs, shutdown: Shutdown) -> Result<(), String> {
    args.validate().map_err(|error| error.to_string())?;
    let to = *resolve_checked(&args.to, args.allow_non_loopback)
        .map_err(|error| error.to_string())?
        .first()
        .ok_or_else(|| format!("--to {} resolves to no address", args.to))?;
    let stop = match (args.count, args.duration_s) {
        (Some(count), _) => Stop::Count(count),
        (None, Some(seconds)) => Stop::Duration(Duration::from_secs(seconds)),
        (None, None) => return Err("give --count or --duration-s".into()),
    };
    let report = match args.protocol {
        crate::report::Protocol::Smpp => {
            let config = LoadConfig {
                to,
                system_id: args.system_id.clone(),
                password: args.password.clone(),
                binds: args.binds as usize,
                window: args.window as usize,
                stop,
                rate_per_s: args.rate,
                interface_version: args.interface_version.interface_version(),
                bind_mode: match args.bind_mode {
                    cli::BindMode::Transmitter => BindMode::Transmitter,
                    cli::BindMode::Transceiver => BindMode::Transceiver,
                },
                mix: args.mix,
                prefixes: args.dest_prefix.clone(),
                source_addr: args.source_addr.clone().unwrap_or_else(|| "SMSGW".into()),
                registered_delivery: args.registered_delivery,
                receipt_wait: Duration::from_secs(args.receipt_wait_s),
                response_timeout_ms: args.response_timeout_ms,
                seed: args.seed,
            };
            load::run(config, shutdown)
                .await
                .map_err(|error| error.to_string())?
        }
        crate::report::Protocol::Cmpp => {
            let config = LoadCmppConfig {
                to,
                source_addr: args.system_id.clone(),
                shared_secret: args.password.clone(),
                version: args.cmpp_version.cmpp_version(),
                binds: args.binds as usize,
                window: args.window as usize,
                stop,
                rate_per_s: args.rate,
                mix: args.mix,
                prefixes: args.dest_prefix.clone(),
                src_id: args.source_addr.clone().unwrap_or_default(),
                service_id: args.service_id.clone(),
                registered_delivery: args.registered_delivery,
                receipt_wait: Duration::from_secs(args.receipt_wait_s),
                response_timeout_ms: args.response_timeout_ms,
                seed: args.seed,
            };
            load_cmpp::run(config, shutdown)
                .await
                .map_err(|error| error.to_string())?
        }
    };
    print_report(&report, args.json);
    Ok(())
}

/// `ussd-sim`: runs its sessions (or until `--duration-s` / a signal), then prints the report.
pub async fn ussd_sim(args: UssdSimArgs, shutdown: Shutdown) -> Result<(), String> {
    args.validate().map_err(|error| error.to_string())?;
    let listen = resolve_all(std::slice::from_ref(&args.listen), args.allow_non_loopback)?;
    let config = UssdSimConfig {
        accounts: args
            .account
            .iter()
            .map(|account| (account.system_id.clone(), account.password.clone()))
            .collect(),
        service_code: args.service_code.to_string(),
        sessions: args.sessions,
        concurrency: args.concurrency as usize,
        script: args.script.choices().to_vec(),
        think_ms: args.think_ms,
        abandon_every: args.abandon_every,
        step_timeout_ms: args.step_timeout_ms,
        msisdn_first: args.msisdn_first,
        max_binds: args.max_binds as usize,
        ..UssdSimConfig::new(listen)
    };
    let sim = UssdSim::start(config)
        .await
        .map_err(|error| error.to_string())?;
    for address in &sim.local_addrs {
        eprintln!("ussd-sim: listening on {address}");
    }
    let started = Instant::now();
    let limit = args.duration_s.map(Duration::from_secs);
    // Bounded by --duration-s when given, otherwise by the sessions finishing or a signal.
    loop {
        if sim.wait_done(SIGNAL_POLL).await || shutdown.is_requested() {
            break;
        }
        if limit.is_some_and(|limit| started.elapsed() >= limit) {
            break;
        }
    }
    let report = sim.report_json();
    sim.stop().await;
    if !args.json {
        eprintln!("ussd-sim: done");
    }
    println!("{report}");
    Ok(())
}

/// Serves until a signal or `duration`, writing `counts()` to `stats_file` every `interval`
/// meanwhile; then runs `stop` (the simulator's polite shutdown), writes the stats file a last
/// time with the final counts and prints them as one JSON object.
async fn serve_counts<F>(
    stats_file: Option<PathBuf>,
    interval: Duration,
    shutdown: &Shutdown,
    duration: Option<Duration>,
    counts: F,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), String>
where
    F: Fn() -> serde_json::Value + Clone + Send + 'static,
{
    let writer_stop = Shutdown::new();
    let writer = match stats_file {
        Some(path) => Some(
            stats_file::spawn_periodic(path, interval, writer_stop.clone(), counts.clone())
                .map_err(|error| error.to_string())?,
        ),
        None => None,
    };
    wait_for_stop(shutdown, duration).await;
    stop.await;
    writer_stop.request();
    if let Some(writer) = writer {
        writer.join().map_err(|error| error.to_string())?;
    }
    println!("{}", counts());
    Ok(())
}

fn print_report(report: &Report, json: bool) {
    if !json {
        println!("{}", report.to_table());
    }
    println!("{}", report.to_json());
}

fn resolve_all(targets: &[String], allow_non_loopback: bool) -> Result<Vec<SocketAddr>, String> {
    let mut addresses = Vec::new();
    for target in targets {
        let resolved =
            resolve_checked(target, allow_non_loopback).map_err(|error| error.to_string())?;
        addresses.extend(resolved.first().copied());
    }
    Ok(addresses)
}

/// Waits for a signal or the duration, polling the signal flag.
async fn wait_for_stop(shutdown: &Shutdown, duration: Option<Duration>) {
    let started = Instant::now();
    // Bounded by the duration when given; otherwise by the operator's signal.
    while !shutdown.is_requested() && duration.is_none_or(|duration| started.elapsed() < duration) {
        tokio::time::sleep(SIGNAL_POLL).await;
    }
}
