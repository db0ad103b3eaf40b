//! `smsgw-bench` as a library (bench-harness issue): the SMPP SMSC simulator ([`smsc_sim`]),
//! the CMPP ISMG simulator ([`ismg_sim`]), the load generators ([`load`], [`load_cmpp`], sharing
//! [`load_run`]), the USSD gateway simulator ([`ussd_sim`]), the socket glue ([`wire`]) and the
//! subcommands ([`commands`]); and the protocol-independent building blocks they share, each of
//! those testable without sockets or sleeps:
//!
//! - [`cli`]: the clap argument structs of the tools, with their bounds.
//! - [`netguard`]: refuses non-loopback addresses unless `--allow-non-loopback` is given.
//! - [`pace`]: the `--rate` pacer, a token bucket on a caller-supplied clock.
//! - [`mix`]: the `--mix` message mix, destination numbers, ready SMPP parts, and the
//!   `--dlr-mix` receipt-state mix.
//! - [`report`]: per-thread counters and latency histograms, merged into a JSON or table report.
//! - [`signals`]: the SIGTERM/SIGINT [`signals::Shutdown`] flag.
//! - [`stats_file`]: atomic JSON stats files, written periodically by a helper thread.
//! - [`sample`]: the `codec-sample` subcommand.
//!
//! Invariant of the building blocks: every loop is bounded, every flag has a ceiling, and
//! among them nothing but [`stats_file`] and [`signals`] touches the operating system.

#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod ismg_sim;
pub mod load;
pub mod load_cmpp;
pub mod load_run;
pub mod mix;
pub mod netguard;
pub mod pace;
pub mod report;
pub mod sample;
pub mod signals;
pub mod smsc_sim;
pub mod stats_file;
pub mod ussd_sim;
pub mod wire;
