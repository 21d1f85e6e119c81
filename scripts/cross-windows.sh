#!/usr/bin/env bash
# Cross-builds the Windows executable (x86_64-pc-windows-gnu, with mingw-w64) on Linux, to
# catch code that does not build for Windows before the release workflow's native Windows
# runner does (.github/workflows/release.yml makes the installer there). Skipped, saying
# why, when the target or the cross compiler cannot be installed. The executable is
# ${CARGO_TARGET_DIR:-target}/x86_64-pc-windows-gnu/dist/commonroom.exe.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-pc-windows-gnu
PROFILE=${COMMONROOM_PROFILE:-dist}
skip() { echo "skipping the Windows cross-build: $*"; exit 0; }

if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 >/dev/null \
            || skip "gcc-mingw-w64-x86-64 could not be installed"
    else
        skip "the mingw-w64 cross compiler is not installed (apt-get install gcc-mingw-w64-x86-64)"
    fi
fi
command -v rustup >/dev/null 2>&1 || skip "rustup is not here to add the $TARGET target"
if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET" >/dev/null 2>&1 || skip "rustup could not add the $TARGET target (no network to the Rust toolchain server?)"
fi

started=$(date +%s)
cargo build --locked --target "$TARGET" --profile "$PROFILE" --bin commonroom
EXE=${CARGO_TARGET_DIR:-target}/$TARGET/$PROFILE/commonroom.exe
[ "$PROFILE" = dev ] && EXE=${CARGO_TARGET_DIR:-target}/$TARGET/debug/commonroom.exe
file "$EXE" 2>/dev/null || true
echo "built $EXE ($(du -h "$EXE" | cut -f1)) in $(( $(date +%s) - started )) s"
