#!/usr/bin/env bash
# Runs every test of QR Cashier: the page's unit tests, format, lints, unit and integration tests, and the end-to-end
# tests in the real window. Provides what they need: a virtual display (Xvfb), a private D-Bus
# session with an unlocked gnome-keyring (a real Secret Service), and tauri-driver.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

scripts/setup.sh test

say "the page's pure pieces: node --test (scanner bursts, amount typing, sale screens, words)"
node --test tests/ui/lib.test.js tests/ui/i18n.test.js tests/ui/steps.test.js

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy --all-targets -D warnings"
cargo clippy --all-targets --features dev-tools --locked --quiet -- -D warnings
say "building the app and the tests"
cargo test --features dev-tools --locked --no-run --quiet

export TAURI_DRIVER="$PWD/.tools/bin/tauri-driver"
say "running the tests (Xvfb display, private D-Bus session, unlocked gnome-keyring)"
scripts/desktop-session.sh cargo test --features dev-tools --locked -- "$@"

say "a short model-based soak: random interleavings against the money oracle (make soak runs the long one)"
target/debug/soak --max-seconds 75
