#!/usr/bin/env bash
# Installs what building, running and testing QR Cashier needs on Debian/Ubuntu,
# and only what is missing. Safe to run again.
#   scripts/setup.sh          system packages for building and running
#   scripts/setup.sh test     + Xvfb, gnome-keyring, WebKitWebDriver, tauri-driver, Node
#   scripts/setup.sh bundle   + the Tauri CLI from npm
#   scripts/setup.sh windows  + what builds and tests the Windows app here: Rust's Windows target,
#                               mingw-w64, Wine and NSIS
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

need_pkgs=(build-essential pkg-config curl file libssl-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev libsecret-1-dev dbus dbus-x11)
case "${1:-run}" in
  test|bundle) need_pkgs+=(xvfb xauth webkit2gtk-driver gnome-keyring imagemagick keyutils poppler-utils fonts-dejavu-core) ;;
esac
case "${1:-run}" in
  windows) need_pkgs+=(gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine64 nsis) ;;
esac
# Node: the page's unit tests run on it, and npm brings the Tauri CLI. Debian's, unless the
# machine has them already.
case "${1:-run}" in
  test) command -v node >/dev/null || need_pkgs+=(nodejs) ;;
  bundle) command -v npm >/dev/null || need_pkgs+=(nodejs npm) ;;
esac
# `make run` also needs a display: on a headless machine it runs under Xvfb.
[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && need_pkgs+=(xvfb xauth)

missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "system packages: all present"
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
say "Rust: $(rustc --version)"
if [ "${1:-run}" = windows ]; then
  if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
    say "adding Rust's Windows target (rustup target add x86_64-pc-windows-gnu)"
    rustup target add x86_64-pc-windows-gnu
  else
    say "Rust's Windows target: present"
  fi
fi

case "${1:-run}" in
  test|bundle)
    if [ ! -x .tools/bin/tauri-driver ]; then
      say "installing tauri-driver into .tools/ (cargo install, about a minute)"
      cargo install tauri-driver --locked --quiet --root .tools
    else
      say "tauri-driver: present in .tools/bin"
    fi ;;
esac
if [ "${1:-run}" = bundle ] && [ ! -x node_modules/.bin/tauri ]; then
  say "installing the Tauri CLI from npm (node_modules/, as package-lock.json pins it)"
  npm ci --no-audit --no-fund --silent
fi
exit 0
