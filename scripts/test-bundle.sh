#!/usr/bin/env bash
# The desktop bundle as a store PC gets it: builds the .deb, installs it, starts the
# installed program under Xvfb and drives its window, makes a sale, upgrades to a newer
# .deb on top, checks the sale is still there, checks a second start does not open a
# second register, then removes the package and checks the sales records stayed.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"

scripts/setup.sh test
scripts/setup.sh bundle
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
next=$(echo "$version" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
out=$(mktemp -d)
home=$(mktemp -d)
trap 'rm -rf "$out" "$home"' EXIT

say "building the .deb of version $version"
npx --no-install tauri build --bundles deb >/dev/null
cp target/release/bundle/deb/*_"${version}"_*.deb "$out/old.deb"
say "building the .deb of version $next, for the upgrade"
npx --no-install tauri build --bundles deb --config "{\"version\": \"$next\"}" >/dev/null
cp target/release/bundle/deb/*_"${next}"_*.deb "$out/new.deb"
package=$(dpkg-deb -f "$out/old.deb" Package)
say ".deb size: $(du -k "$out/old.deb" | cut -f1) KiB; installed size: $(dpkg-deb -f "$out/old.deb" Installed-Size) KiB (package $package)"

cargo test --features dev-tools --locked --no-run --quiet --test e2e
export TAURI_DRIVER="$PWD/.tools/bin/tauri-driver" QR_CASHIER_APP="/usr/bin/$package" QR_CASHIER_BUNDLE_HOME="$home"
in_session() { scripts/desktop-session.sh "$@"; }

say "installing $version"
$sudo apt-get install -y -qq "$out/old.deb" >/dev/null
test -x "$QR_CASHIER_APP"
grep -q "Comment\[es\]" /usr/share/applications/*.desktop
say "driving the installed app: a paid sale on $version"
EXPECT_VERSION="$version" in_session cargo test --features dev-tools --locked --quiet --test e2e -- --ignored --exact installed::before_the_upgrade

say "upgrading to $next on top"
$sudo apt-get install -y -qq "$out/new.deb" >/dev/null
say "driving the upgraded app: the sale is still there"
EXPECT_VERSION="$next" in_session cargo test --features dev-tools --locked --quiet --test e2e -- --ignored --exact installed::after_the_upgrade

say "a second start brings the first forward instead of opening a second register"
second_home=$(mktemp -d)
in_session bash -c '
  HOME="$1" "$2" & first=$!
  sleep 4
  kill -0 $first
  HOME="$1" timeout 20 "$2"; status=$?
  kill -0 $first
  kill $first
  exit $status' single "$second_home" "$QR_CASHIER_APP"
rm -rf "$second_home"

say "removing the package"
$sudo apt-get remove -y -qq "$package" >/dev/null
test ! -e "$QR_CASHIER_APP"
test -s "$home/data/demo/journal.sqlite3"
say "removed; the sales journal stayed in $home/data"
echo "bundle: 4 passed, 0 failed"
