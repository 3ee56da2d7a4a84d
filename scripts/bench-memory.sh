#!/usr/bin/env bash
# Memory of the running app in demo mode under Xvfb: PSS (shared pages counted once) of the
# app and its WebKit processes, eight seconds after start.
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:-target/release/qr-cashier}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
QR_CASHIER_HOME="$home" QR_CASHIER_LOG=warn NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  "$1" 2>/dev/null & app=$!
  sleep 8
  echo "| process | PSS |"
  echo "|---|---|"
  total=0
  for pid in $app $(pgrep -x WebKitWebProces) $(pgrep -x WebKitNetworkPr); do
    kb=$(awk "/^Pss:/ { kb += \$2 } END { print kb + 0 }" /proc/$pid/smaps_rollup 2>/dev/null || echo 0)
    echo "| $(cat /proc/$pid/comm) | $((kb / 1024)) MB |"
    total=$((total + kb))
  done
  echo "| all | $((total / 1024)) MB |"
  kill $app' mem "$app"
