#!/usr/bin/env bash
# Starts QR Cashier. With no access token saved it runs on the built-in sandbox (demo mode).
# On a machine with no display it runs under a virtual one (Xvfb) so it can still be driven
# and screenshotted.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

scripts/setup.sh run
say "building and starting QR Cashier"
cargo build --quiet --bin qr-cashier
app="$PWD/target/debug/qr-cashier"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  say "no display found: running under Xvfb (screen :99-style virtual display)"
  exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$app" "$@"
elif [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  exec dbus-run-session -- "$app" "$@"
else
  exec "$app" "$@"
fi
