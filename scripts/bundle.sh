#!/usr/bin/env bash
# Builds the release app and its Debian package with the Tauri CLI (from npm, installed
# into node_modules/ when missing). Extra arguments go to `tauri build`.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

scripts/setup.sh bundle
say "building the release app and the .deb (several minutes the first time)"
npx --no-install tauri build --bundles deb "$@"
for deb in target/release/bundle/deb/*.deb; do
  say "built $deb ($(du -h "$deb" | cut -f1), installed size $(dpkg-deb -f "$deb" Installed-Size) KiB)"
done
