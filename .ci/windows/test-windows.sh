#!/usr/bin/env bash
# make test-windows: test the Windows build under Wine on this Linux machine.
#
#  1. Install Debian's wine64 and the mingw-w64 C compiler when missing.
#  2. Create a Wine prefix (bin/windows/wineprefix) and, when Wine has no
#     bcryptprimitives.dll (Wine 8), put the ProcessPrng stand-in built from
#     processprng.c into its system32: Go 1.22+ Windows binaries stop at
#     startup without it.
#  3. Cross-compile the collector tests, portwatch.exe, and the cmd tests
#     (run under Wine as a Windows process holding a connection).
#  4. Run the collector tests under wine64.
#  5. Run the Linux test that drives portwatch.exe under wine64.
#
# Headless: no X display is used. Any failure fails the target, and so
# does a test that skips or does not run: the target cannot pass by
# skipping.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS

GO=${GO:-go}
out=$PWD/bin/windows
export WINEPREFIX=${PORTWATCH_WINEPREFIX:-$out/wineprefix}
export WINEDEBUG=-all
# No Mono or Gecko installer dialogs when Wine creates or updates the prefix,
# and no winemenubuilder writing menu entries into the user's home.
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$out"

step() { printf 'test-windows: %s (%ds)\n' "$*" $((SECONDS - start)); }

# ran LOG TEST: fail unless the verbose test output in LOG says TEST passed
# and nothing skipped.
ran() {
  if grep -q -- '--- SKIP' "$1"; then
    echo "test-windows: tests skipped (the target must run them all):" >&2
    grep -- '--- SKIP' "$1" >&2
    exit 1
  fi
  grep -q -- "^--- PASS: $2 " "$1" || { echo "test-windows: $2 did not run and pass" >&2; exit 1; }
}

find_wine64() {
  command -v wine64 2>/dev/null || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || true
}

# 1. Tools.
need=()
[ -n "$(find_wine64)" ] || need+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
wine64=$(find_wine64)
[ -n "$wine64" ] || { echo "test-windows: no wine64 after installing it" >&2; exit 1; }
wineserver=$(dirname "$wine64")/wineserver64
[ -x "$wineserver" ] || wineserver=$(dirname "$wine64")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver)
"$wine64" --version

# 2. The prefix.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  step "creating the Wine prefix $WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  # Its output goes to a log: Wine 8 without wine32 reports that it cannot
  # start syswow64's rundll32.exe, and the 64-bit prefix is complete all the
  # same. wineserver -w waits for the registry to be written.
  "$wine64" wineboot --init >"$out/wineboot.log" 2>&1 || { cat "$out/wineboot.log" >&2; exit 1; }
  "$wineserver" -w
  [ -f "$WINEPREFIX/system.reg" ] || { echo "test-windows: wineboot did not create $WINEPREFIX" >&2; exit 1; }
fi
sys32=$WINEPREFIX/drive_c/windows/system32
dll=$sys32/bcryptprimitives.dll
if [ -f "$dll" ] && grep -q 'Wine builtin DLL' "$dll"; then
  step "Wine has its own bcryptprimitives.dll: no stand-in"
else
  step "building the ProcessPrng stand-in bcryptprimitives.dll"
  x86_64-w64-mingw32-gcc -shared -O2 -s -nostdlib -Wall -Werror \
    -o "$out/bcryptprimitives.dll" .ci/windows/processprng.c -ladvapi32 -lkernel32
  cp "$out/bcryptprimitives.dll" "$dll"
fi

# 3. Cross-compile.
step "cross-compiling the collector tests, portwatch.exe and the cmd tests"
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 "$GO" test -c -o "$out/collector.test.exe" ./collector
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 "$GO" build -trimpath -o "$out/portwatch.exe" ./cmd/portwatch
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 "$GO" test -c -o "$out/portwatch-cmd.test.exe" ./cmd/portwatch

# 4. The collector tests, inside Wine.
step "running collector.test.exe under wine64"
(cd collector && "$wine64" "$out/collector.test.exe" -test.v -test.count=1 -test.timeout=5m) 2>&1 |
  tee "$out/collector.log"
ran "$out/collector.log" TestCollectLoopbackSockets

# 5. portwatch.exe under Wine, driven by a Linux test.
step "running TestWindowsBinaryUnderWine"
PORTWATCH_WINDOWS_EXE=$out/portwatch.exe PORTWATCH_WINDOWS_HELPER=$out/portwatch-cmd.test.exe \
  PORTWATCH_WINE=$wine64 \
  "$GO" test -count=1 -v -run '^TestWindowsBinaryUnderWine$' ./cmd/portwatch 2>&1 | tee "$out/wine.log"
ran "$out/wine.log" TestWindowsBinaryUnderWine

step "passed"
