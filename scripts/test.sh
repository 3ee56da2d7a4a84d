#!/usr/bin/env bash
# Runs every test of QR Cashier: format, lints, unit and integration tests, and the end-to-end
# tests in the real window. Provides what they need: a virtual display (Xvfb), a private D-Bus
# session with an unlocked gnome-keyring (a real Secret Service), and tauri-driver.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

scripts/setup.sh test

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy --all-targets -D warnings"
cargo clippy --all-targets --features dev-tools --locked --quiet -- -D warnings
say "building the app and the tests"
cargo test --features dev-tools --locked --no-run --quiet

# Private folders for this run: a keyring from an earlier run with another password stays locked.
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
mkdir -m 700 "$run_dir/runtime"
export XDG_RUNTIME_DIR="$run_dir/runtime" XDG_DATA_HOME="$run_dir/data" NO_AT_BRIDGE=1
export TAURI_DRIVER="$PWD/.tools/bin/tauri-driver"

say "running the tests (Xvfb display, private D-Bus session, unlocked gnome-keyring)"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  set -euo pipefail
  printf "qr-cashier-test" | env -u DISPLAY gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --features dev-tools --locked -- "$@"
' test-run "$@"

say "a short crash soak (make soak runs the long one)"
target/debug/soak --sales 30 --max-seconds 240 --kill-rate 0.3
