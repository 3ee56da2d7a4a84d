#!/usr/bin/env bash
# Memory of the running app in demo mode under Xvfb: PSS (shared pages counted once) of the
# app and its WebKit processes, after start and after 20 sales.
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:-target/release/qr-cashier}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
pss() { awk '/^Pss:/ { kb += $2 } END { print kb }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
QR_CASHIER_HOME="$home" QR_CASHIER_LOG=warn NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  "$1" & app=$!
  sleep 8
  total=0
  for pid in $app $(pgrep -P $app) $(pgrep -f WebKitWebProcess) $(pgrep -f WebKitNetworkProcess); do
    kb=$(awk "/^Pss:/ { kb += \$2 } END { print kb }" /proc/$pid/smaps_rollup 2>/dev/null || echo 0)
    name=$(cat /proc/$pid/comm 2>/dev/null || echo "?")
    echo "| $name | $((kb / 1024)) MB |"
    total=$((total + kb))
  done | sort -u
  kill $app' mem "$app"
