#!/usr/bin/env bash
# Runs a command as on a store PC's desktop: a virtual display (Xvfb), a private D-Bus session
# and an unlocked gnome-keyring (a real Secret Service), with runtime and data folders of its
# own, so that a keyring left by an earlier run with another password never gets in the way.
# `make test`, `make test-bundle` and `make bench` run their windows in it.
set -euo pipefail
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
mkdir -m 700 "$run_dir/runtime"
export XDG_RUNTIME_DIR="$run_dir/runtime" XDG_DATA_HOME="$run_dir/data" NO_AT_BRIDGE=1
xvfb-run -a -s "-screen 0 1920x1080x24" dbus-run-session -- bash -c '
  set -euo pipefail
  printf "qr-cashier-test" | env -u DISPLAY gnome-keyring-daemon --unlock --components=secrets >/dev/null
  "$@"' desktop-session "$@"
