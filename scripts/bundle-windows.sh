#!/usr/bin/env bash
# Builds QR Cashier for Windows on this Linux machine: the release app, cross-compiled with
# mingw-w64 (target x86_64-pc-windows-gnu), and its installer, made offline by Debian's makensis
# from packaging/windows/installer.nsi. Prints the installer's path.
#   VERSION=0.1.1 scripts/bundle-windows.sh   labels the installer with another version (the
#   upgrade test installs one over the other; the app inside is the same build)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

scripts/setup.sh windows >&2
target=x86_64-pc-windows-gnu
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
version=${VERSION:-$cargo_version}
app="target/$target/release"
say "cross-building the release app for Windows ($target; several minutes the first time)"
cargo build --release --locked --quiet --target "$target" --bin qr-cashier >&2
out="target/$target/release/bundle"
mkdir -p "$out"
installer="$out/QR-Cashier_${version}_x64_es-pt-en.exe"
say "making the installer with makensis (per-user, es/pt/en, WebView2 checked)"
makensis -V2 -WX -DVERSION="$version" -DAPPDIR="$PWD/$app" -DICON="$PWD/icons/icon.ico" \
  -DOUTFILE="$PWD/$installer" packaging/windows/installer.nsi >&2
say "built $installer ($(du -h "$installer" | cut -f1); the app: $(du -h "$app/qr-cashier.exe" | cut -f1))"
echo "$installer"
