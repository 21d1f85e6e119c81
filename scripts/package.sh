#!/usr/bin/env bash
# Builds the Debian package: target/package/commonroom_VERSION_ARCH.deb (its path is the
# last line printed). The binary is built with the `dist` profile (release, stripped, no
# debug info) unless COMMONROOM_PROFILE names another one: CI packages the binary its
# tests already built (`COMMONROOM_PROFILE=dev`, stripped by cargo-deb) to check the
# package's contents without a second full build.
# Needs cargo-deb (`cargo install --locked cargo-deb`) and dpkg-dev (for the automatic
# dependencies); on Debian or Ubuntu.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${COMMONROOM_PROFILE:-dist}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$TARGET/package
if ! command -v cargo-deb >/dev/null 2>&1; then
    echo "cargo-deb is not installed: run 'cargo install --locked cargo-deb' first" >&2
    exit 1
fi
command -v dpkg-shlibdeps >/dev/null 2>&1 || echo "note: dpkg-dev is not installed, so the package's library dependencies are guessed less well" >&2
# The packaged icons are made from assets/icon.png by scripts/icons.sh and committed.
for size in 16 32 48 64 128 256; do
    icon=packaging/icons/hicolor/${size}x${size}/apps/org.commonroom.Commonroom.png
    [ -f "$icon" ] || { echo "missing $icon: run scripts/icons.sh" >&2; exit 1; }
done
cargo build --locked --profile "$PROFILE" --bin commonroom >&2
mkdir -p "$OUT"
strip_flag=()
[ "$PROFILE" = dist ] || strip_flag=(--strip --fast)
cargo deb --no-build --locked --profile "$PROFILE" "${strip_flag[@]}" --output "$OUT" >&2
DEB=$(ls -t "$OUT"/commonroom_*.deb | head -1)
echo "built $DEB ($(du -h "$DEB" | cut -f1)), binary from the $PROFILE profile" >&2
echo "$DEB"
