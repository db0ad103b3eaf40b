#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs formatting, lints and every
# test in the release profile (the one RocksDB is compiled in once per machine).
# Exits non-zero when any step fails; the test runner's summary is printed either way.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
smsgw_setup
smsgw_setup_interop

started=$(date +%s)
smsgw_log "cargo fmt --check"
cargo fmt --all -- --check

smsgw_log "cargo clippy --release --all-targets -- -D warnings (target dir $CARGO_TARGET_DIR)"
cargo clippy --release --workspace --all-targets --locked -- -D warnings

smsgw_log "cargo test --release"
status=0
cargo test --release --workspace --locked --no-fail-fast 2>&1 | tee /tmp/smsgw-test.$$.log || status=$?
totals=$(awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
              END { printf "%d %d", p, f }' /tmp/smsgw-test.$$.log)
rm -f /tmp/smsgw-test.$$.log
passed=${totals% *}
failed=${totals#* }

smsgw_log "valgrind memcheck over the unsafe io_uring layer's tests"
memcheck=ok
bash scripts/valgrind-ring.sh || { status=1; memcheck=FAILED; }
echo
echo "test command took $(( $(date +%s) - started )) s; valgrind memcheck: $memcheck"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
