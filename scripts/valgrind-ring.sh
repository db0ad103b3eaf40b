#!/usr/bin/env bash
# Runs the io_uring driver's tests (dataplane `ring::` unit tests and dataplane/tests/ring.rs)
# under valgrind memcheck; exits non-zero on any memcheck error or definite/possible leak.
# What memcheck can and cannot see through io_uring: docs/ring.md ("Valgrind").
#
# Usage: scripts/valgrind-ring.sh [--suppressions FILE]
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# libtest's main thread keeps its std::thread::current() handle in a thread-local that memcheck
# cannot trace back to a pointer start, so it reports it as "possibly lost" once per process.
# Not ours, not a leak; suppressed by that one allocation site.
suppressions="$(mktemp)"
trap 'rm -f "$suppressions"' EXIT
cat >"$suppressions" <<'SUPPRESSIONS'
{
   rust-std-thread-current-handle
   Memcheck:Leak
   match-leak-kinds: possible
   fun:malloc
   ...
   fun:*init_current*
}
SUPPRESSIONS
extra_args=("--suppressions=$suppressions")
if [ "${1:-}" = "--suppressions" ]; then
    extra_args+=("--suppressions=$2")
fi

command -v valgrind >/dev/null 2>&1 || { smsgw_log "valgrind is not installed"; exit 1; }

smsgw_log "building the ring tests (release profile, shared target dir)"
# The release profile keeps line tables, so memcheck's stacks name files and lines.
mapfile -t binaries < <(
    cargo test --release -p smsgw-dataplane --lib --test ring --no-run --message-format=json \
        | python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message["profile"]["test"]:
        print(message["executable"])
'
)
[ "${#binaries[@]}" -eq 2 ] || { smsgw_log "expected 2 test binaries, got ${#binaries[@]}"; exit 1; }

for binary in "${binaries[@]}"; do
    smsgw_log "memcheck: $(basename "$binary") ring"
    # One test thread: memcheck serialises threads anyway, and a ring waiting in io_uring_enter
    # holds valgrind's lock (it treats the syscall as non-blocking), stalling the others.
    valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible \
        --quiet "${extra_args[@]}" "$binary" --test-threads=1 ring
done
smsgw_log "memcheck: no errors, no definite or possible leaks"
