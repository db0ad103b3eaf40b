# Shared set-up for the README's commands: system packages, toolchain checks, the build cache.
# Sourced, not run.

# RocksDB's C++ compiles once per machine into a target directory outside the checkout, so a
# fresh clone (CI's) reuses it. Keep RUSTFLAGS and features identical across build, clippy and
# test: a change re-runs RocksDB's build script (see docs/build.md).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/smsgw/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Debian packages the build and tests need: libclang for RocksDB's bindgen, protoc for tonic,
# valgrind for the unsafe io_uring layer's memcheck run.
SMSGW_APT_PACKAGES=(libclang1-14 libclang-common-14-dev protobuf-compiler valgrind)

smsgw_log() {
    printf '==> %s\n' "$*" >&2
}

# Installs the missing packages of "$@" with apt-get; does nothing when all are present.
smsgw_apt_install() {
    local missing=()
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            smsgw_log "missing packages ${missing[*]}: run as root or install sudo"
            return 1
        fi
        sudo="sudo"
    fi
    smsgw_log "installing ${missing[*]} (apt-get)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Checks the Rust toolchain the project needs.
smsgw_check_toolchain() {
    if ! command -v cargo >/dev/null 2>&1; then
        smsgw_log "cargo not found: install Rust 1.95 or newer (rustup) and re-run"
        return 1
    fi
    local component
    for component in fmt clippy; do
        if ! cargo "$component" --version >/dev/null 2>&1; then
            if command -v rustup >/dev/null 2>&1; then
                smsgw_log "adding rustup component for cargo $component"
                rustup component add "$( [ "$component" = fmt ] && echo rustfmt || echo clippy )"
            else
                smsgw_log "cargo $component is missing: install the rustfmt and clippy components"
                return 1
            fi
        fi
    done
}

smsgw_setup() {
    smsgw_apt_install "${SMSGW_APT_PACKAGES[@]}"
    smsgw_check_toolchain
    mkdir -p "$CARGO_TARGET_DIR"
}

# The Python virtualenv with the third-party protocol clients the interop tests drive
# (bench/interop/requirements.txt). Outside the checkout, like the build cache.
export SMSGW_VENV="${SMSGW_VENV:-$HOME/.cache/smsgw/venv}"

smsgw_setup_interop() {
    if ! command -v python3 >/dev/null 2>&1; then
        smsgw_apt_install python3
    fi
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        smsgw_apt_install python3-venv
    fi
    if [ ! -x "$SMSGW_VENV/bin/python" ]; then
        smsgw_log "creating the interop virtualenv in $SMSGW_VENV"
        python3 -m venv "$SMSGW_VENV"
    fi
    local stamp="$SMSGW_VENV/.requirements"
    if ! cmp -s bench/interop/requirements.txt "$stamp" 2>/dev/null; then
        smsgw_log "installing bench/interop/requirements.txt (pip)"
        "$SMSGW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r bench/interop/requirements.txt
        cp bench/interop/requirements.txt "$stamp"
    fi
    export SMSGW_INTEROP_PYTHON="$SMSGW_VENV/bin/python"
}
