#!/usr/bin/env bash
# `make bench`: measures the counter the way a store feels it and writes the tables into
# docs/performance.md (between its "bench" markers; the notes around them are kept).
# About 20 minutes: the requests-per-sale run lasts an order's lifetime (10 minutes) and runs
# in the background while the window is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

scripts/setup.sh test
scripts/setup.sh bundle
out=target/bench
mkdir -p "$out"
say "building the release app, the empty window and the register benchmark"
cargo build --release --locked --quiet --features dev-tools --bin qr-cashier --bin empty-window --bin bench
say "building the window benchmark (the end-to-end harness)"
cargo test --features dev-tools --locked --quiet --no-run --test e2e

say "requests per sale: three customers, two schedules, in the background (10 minutes)"
target/release/bench requests >"$out/requests.md" &
requests=$!

say "payment → paid event on the register, charge(): 60 sales per schedule"
target/release/bench paid --sales 60 >"$out/paid.md"

say "the window (release, Xvfb): start-up on 0, 10 000 and 1 000 000 sales, time to Paid, charge, memory"
export TAURI_DRIVER="$PWD/.tools/bin/tauri-driver"
BENCH_APP="$PWD/target/release/qr-cashier" BENCH_EMPTY_WINDOW="$PWD/target/release/empty-window" \
  BENCH_SALES=60 BENCH_OUT="$out/window.md" \
  scripts/desktop-session.sh cargo test --features dev-tools --locked --quiet --test e2e \
  -- --ignored --exact bench::bench_the_window --nocapture

say "the package: .deb and installed size"
npx --no-install tauri build --bundles deb >/dev/null
deb=$(ls -t target/release/bundle/deb/*.deb | head -1)
{
  echo "| package | size |"
  echo "|---|---|"
  echo "| $(basename "$deb") | $(du -k "$deb" | cut -f1) KiB ($(du -k "$deb" | awk '{ printf "%.1f", $1 / 1024 }') MiB) |"
  echo "| installed (dpkg Installed-Size) | $(dpkg-deb -f "$deb" Installed-Size) KiB |"
} >"$out/size.md"

say "waiting for the requests-per-sale run"
wait "$requests"

{
  echo "<!-- bench:begin (written by \`make bench\`; edit the notes outside these markers) -->"
  echo
  echo "Measured $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD) by \`make bench\` on"
  echo "$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
  echo "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"),"
  echo "Xvfb with software rendering. Loopback only: Mercado Pago's real latency comes on top."
  for part in paid requests window size; do
    echo
    cat "$out/$part.md"
  done
  echo
  echo "<!-- bench:end -->"
} >"$out/tables.md"
python3 - "$out/tables.md" docs/performance.md <<'PY'
import re, sys
tables = open(sys.argv[1]).read().rstrip("\n")
doc = open(sys.argv[2]).read()
doc, n = re.subn(r"<!-- bench:begin.*?<!-- bench:end -->", lambda _: tables, doc, flags=re.S)
assert n == 1, "docs/performance.md has no bench markers"
open(sys.argv[2], "w").write(doc)
PY
cat "$out/tables.md"
say "written into docs/performance.md"
