#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and shows the product working.
# Today that is the codec sample: SMPP and CMPP PDUs encoded to bytes and decoded back, and text
# split into SMS parts. The data-plane issue turns this into `smsgw demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
smsgw_setup
smsgw_log "building (release; the first build compiles RocksDB and takes ~25 minutes on 2 cores)"
cargo build --release --workspace --locked
exec "$CARGO_TARGET_DIR/release/smsgw-bench" codec-sample "$@"
