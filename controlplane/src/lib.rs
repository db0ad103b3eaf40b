//! smsgw's control plane: the configuration store over RocksDB, the gRPC service
//! (`smsgw.control.v1`, tonic) and the pieces the `smsgwctl` CLI shares with it.
//!
//! This crate is the only one that links RocksDB; the data plane reaches it through
//! [`store::Store`]'s narrow API so that `rocksdb` appears in one Cargo.toml.
#![forbid(unsafe_code)]

pub mod server;
pub mod store;

/// The generated gRPC types of `shared/proto/smsgw/control/v1/control.proto`.
pub mod proto {
    #![allow(missing_docs, clippy::all)]
    tonic::include_proto!("smsgw.control.v1");
}

/// The endpoint `smsgwctl` talks to unless `--endpoint` says otherwise.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:50051";
