#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and shows the product working:
# `smsgw demo` starts the SMSC simulator and the gateway in front of it on an embedded config,
# sends GSM, UCS2 and long messages as an SP, prints their receipts and MO as they arrive, and
# runs until Ctrl-C. Extra arguments go to `smsgw demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
smsgw_setup
smsgw_log "building (release; the first build compiles RocksDB and takes ~25 minutes on 2 cores)"
cargo build --release --workspace --locked
exec "$CARGO_TARGET_DIR/release/smsgw" demo "$@"
