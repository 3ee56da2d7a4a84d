#!/usr/bin/env bash
# QR Cashier on Windows, proven on this Linux machine:
#  1. the core's suites cross-built for Windows (x86_64-pc-windows-gnu) and run under Wine: the
#     unit tests and tests/integration (every suite without a window: the client and sandbox
#     contract, the fault matrix, a sale's life, crashes, the commands, the keyring in Wine's
#     Credential Manager);
#  2. the installer (scripts/bundle-windows.sh) in a fresh Wine prefix: refused without WebView2,
#     installed silently (files, shortcuts, the entry in Apps & features), the installed app
#     started once (its data and log in the user's app-data folder), upgraded in place by a
#     newer one, uninstalled, and the store's data still there.
# The window itself cannot be shown here (WebView2 cannot be installed without the internet).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31mFAILED:\033[0m %s\n' "$*"; exit 1; }

scripts/setup.sh windows
target=x86_64-pc-windows-gnu
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
work=$(mktemp -d)
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe=d"
cleanup() { "$wineserver" -k >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# Wine links the user's Desktop and Documents to $HOME: inside the prefix they are real folders.
w() { HOME="$work/home" "$wine" "$@"; }

say "a fresh Wine prefix (Windows 10, 64-bit) in $WINEPREFIX"
mkdir -p "$work/home"
w wineboot --init >/dev/null 2>&1
users="$WINEPREFIX/drive_c/users"
user=$(ls "$users" | grep -v '^Public$' | head -1)
profile="$users/$user"
for d in Desktop Documents; do
  [ -L "$profile/$d" ] && rm "$profile/$d" && mkdir "$profile/$d"
done
local_appdata="$profile/AppData/Local"

# Rust's standard library asks bcryptprimitives.dll for ProcessPrng, which Wine 8 lacks: a
# stand-in over RtlGenRandom, put in this prefix's system32 for the test run only (never shipped).
shim="target/$target/wine-shim/bcryptprimitives.dll"
mkdir -p "$(dirname "$shim")"
x86_64-w64-mingw32-gcc -O2 -shared -o "$shim" tests/windows/bcryptprimitives.c \
  tests/windows/bcryptprimitives.def -ladvapi32
cp "$shim" "$WINEPREFIX/drive_c/windows/system32/"

say "cross-building the core's tests for Windows"
cargo test --target "$target" --features dev-tools --locked --no-run --lib --test integration \
  --message-format=json 2>/dev/null > "$work/build.json" || {
  cargo test --target "$target" --features dev-tools --locked --no-run --lib --test integration
  fail "the tests do not build for Windows"
}
mapfile -t suites < <(grep '"test":true' "$work/build.json" | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
[ ${#suites[@]} -eq 2 ] || fail "expected the unit tests and tests/integration, found: ${suites[*]}"
# The test programs link the app's library, which loads WebView2Loader.dll from beside them.
debug="target/$target/debug"
cp "$debug/WebView2Loader.dll" "$debug/deps/"

passed=0; failed=0
for exe in "${suites[@]}"; do
  name=$(basename "$exe")
  say "running $name under Wine"
  log="$work/$name.log"
  set +e
  w "$exe" --test-threads 2 >"$log" 2>&1
  status=$?
  set -e
  result=$(grep -E '^test result:' "$log" | tail -1)
  [ -n "$result" ] || { tail -40 "$log"; fail "$name ended without a result (exit $status)"; }
  echo "   $result"
  p=$(echo "$result" | sed -n 's/.* \([0-9]*\) passed.*/\1/p'); f=$(echo "$result" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$status" -ne 0 ] || [ "$f" -ne 0 ]; then
    grep -E '^test .* FAILED$' "$log" || true
    sed -n '/^failures:$/,/^test result/p' "$log" | head -80 || true
    fail "$name: some tests failed under Wine"
  fi
done
say "under Wine: $passed passed, $failed failed"

say "building the installer"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
next=$(echo "$version" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
old_installer=$(scripts/bundle-windows.sh | tail -1)
new_installer=$(VERSION="$next" scripts/bundle-windows.sh | tail -1)

uninstall_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\com.qrcashier.desktop'
programs="$local_appdata/Programs/QR Cashier"
data="$local_appdata/com.qrcashier.desktop"
checks=0
check() { checks=$((checks + 1)); echo "   ok: $*"; }
entry() { w reg query "$uninstall_key" /v "$1" 2>/dev/null | sed -n "s/.*$1 *REG_[A-Z_]* *//p" | tr -d '\r'; }

say "a PC without WebView2: the installer says so and installs nothing"
set +e; w "$old_installer" /S; status=$?; set -e
[ "$status" -eq 3 ] || fail "the installer without WebView2 answered $status, not 3"
[ ! -e "$programs" ] || fail "the installer without WebView2 installed files"
check "refused with exit code 3, nothing installed"

say "with WebView2 (its Evergreen runtime's key): installing $version silently"
w reg add 'HKCU\Software\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}' \
  /v pv /t REG_SZ /d 131.0.2903.70 /f >/dev/null
w "$old_installer" /S || fail "the silent install failed"
for f in qr-cashier.exe WebView2Loader.dll uninstall.exe; do
  [ -s "$programs/$f" ] || fail "$f is not in $programs"
done
check "qr-cashier.exe, WebView2Loader.dll and uninstall.exe in %LOCALAPPDATA%\\Programs\\QR Cashier"
[ -s "$profile/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/QR Cashier.lnk" ] || fail "no Start-menu shortcut"
[ -s "$profile/Desktop/QR Cashier.lnk" ] || fail "no desktop shortcut"
check "Start-menu and desktop shortcuts"
[ "$(entry DisplayVersion)" = "$version" ] || fail "Apps & features says version '$(entry DisplayVersion)'"
[ "$(entry DisplayName)" = "QR Cashier" ] || fail "Apps & features names '$(entry DisplayName)'"
case "$(entry QuietUninstallString)" in *uninstall.exe*/S) ;; *) fail "no quiet uninstall string" ;; esac
check "Apps & features: QR Cashier $version, with its uninstaller"

say "the installed app, started once: it keeps its data and log in %LOCALAPPDATA%\\com.qrcashier.desktop"
# Here it cannot open its window (no display, no WebView2 runtime behind the key): it logs why
# and says so in a message box, which nobody can close here: it is ended once the log says it.
HOME="$work/home" "$wine" "$programs/qr-cashier.exe" >"$work/app.log" 2>&1 &
for _ in $(seq 60); do
  grep -qs "the window could not open" "$data"/logs/qr-cashier*.log && break
  sleep 1
done
"$wineserver" -k >/dev/null 2>&1 || true
wait || true
grep -qs "the window could not open" "$data"/logs/qr-cashier*.log || { cat "$work/app.log"; fail "the log does not say why no window opened"; }
[ -s "$data/demo/journal.sqlite3" ] || fail "no demo journal in $data"
check "the demo started (journal in %LOCALAPPDATA%\\com.qrcashier.desktop\\demo) and its log says why no window opened"
echo "a store's sale" > "$data/journal.sqlite3"
echo '{"language":"es"}' > "$data/settings.json"

say "upgrading in place to $next"
w "$new_installer" /S || fail "the upgrade failed"
[ "$(entry DisplayVersion)" = "$next" ] || fail "after the upgrade Apps & features says '$(entry DisplayVersion)'"
[ -s "$programs/qr-cashier.exe" ] || fail "the upgrade removed the app"
[ "$(ls "$local_appdata/Programs")" = "QR Cashier" ] || fail "the upgrade installed a second copy"
grep -q "a store's sale" "$data/journal.sqlite3" || fail "the upgrade touched the journal"
check "version $next over $version, in the same folder, the journal and settings as they were"

say "uninstalling silently"
# As Apps & features runs it: the uninstaller copies itself away and removes the folder.
w "$programs/uninstall.exe" /S || fail "the uninstaller failed"
"$wineserver" -w
[ ! -e "$programs" ] || fail "the program's folder is still there: $(ls "$programs")"
[ ! -e "$profile/Desktop/QR Cashier.lnk" ] || fail "the desktop shortcut is still there"
[ ! -e "$profile/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/QR Cashier.lnk" ] || fail "the Start-menu shortcut is still there"
if w reg query "$uninstall_key" >/dev/null 2>&1; then fail "Apps & features still lists QR Cashier"; fi
check "the program, its shortcuts and its Apps & features entry are gone"
grep -q "a store's sale" "$data/journal.sqlite3" && [ -s "$data/settings.json" ] && [ -s "$data/demo/journal.sqlite3" ] \
  || fail "uninstalling removed the store's data"
check "the journal, the settings and the demo's sales stayed"
say "windows: $passed tests passed under Wine, $failed failed; installer: $checks checks passed"
