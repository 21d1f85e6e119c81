#!/usr/bin/env bash
# The Debian package as a person gets it: built (scripts/package.sh), installed with
# dpkg -i, `commonroom --version` run from /usr/bin, the desktop entry and AppStream
# metainfo validated, commonroom:// links handled by Commonroom's desktop entry, and
# removed cleanly with dpkg -r. Needs root (it installs), Debian or Ubuntu, cargo-deb,
# desktop-file-utils, appstream and xdg-utils (.ci/run installs them).
# COMMONROOM_PROFILE chooses the build profile (see scripts/package.sh); CI uses `dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

if [ "$(id -u)" != 0 ]; then echo "skipping the package check: it installs a package, so it needs root"; exit 0; fi
for tool in dpkg cargo-deb desktop-file-validate appstreamcli xdg-mime; do
    command -v "$tool" >/dev/null 2>&1 || { echo "the package check needs $tool (see .ci/run)"; exit 1; }
done
if dpkg -s commonroom >/dev/null 2>&1; then
    echo "a commonroom package is already installed here; remove it first (dpkg -r commonroom)"; exit 1
fi

DEB=$(bash scripts/package.sh | tail -1)
built=$(date +%s)
echo "== package: $DEB, $(du -h "$DEB" | cut -f1), built in $((built - started)) s"
dpkg-deb -I "$DEB" | sed -n 's/^ \(Depends\|Installed-Size\):/  \1:/p'

WORK=$(mktemp -d)
cleanup() {
    dpkg -r commonroom >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== dpkg -i"
dpkg -i "$DEB"
ENTRY=/usr/share/applications/org.commonroom.Commonroom.desktop
META=/usr/share/metainfo/org.commonroom.Commonroom.metainfo.xml
version=$(/usr/bin/commonroom --version)
expected="commonroom $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
[ "$version" = "$expected" ] || { echo "/usr/bin/commonroom --version said '$version', not '$expected'"; exit 1; }
echo "/usr/bin/commonroom --version: $version ($(stat -c %s /usr/bin/commonroom) bytes)"
if readelf -S /usr/bin/commonroom | grep -qE '\.symtab|\.debug_info|\.debug_line'; then echo "the installed binary still has its symbols or debug info"; exit 1; fi
for size in 16 32 48 64 128 256; do
    test -s "/usr/share/icons/hicolor/${size}x${size}/apps/org.commonroom.Commonroom.png" || { echo "no ${size}px icon installed"; exit 1; }
done

echo "== desktop-file-validate $ENTRY"
desktop-file-validate "$ENTRY"
grep -qx 'MimeType=x-scheme-handler/commonroom;' "$ENTRY" || { echo "the entry does not register commonroom:// links"; exit 1; }
grep -qx 'Exec=commonroom %u' "$ENTRY" || { echo "the entry does not pass the link to commonroom"; exit 1; }
echo "== appstreamcli validate $META"
appstreamcli validate --no-net "$META"

echo "== xdg-mime: who opens commonroom:// links"
# The package's trigger (desktop-file-utils) lists the entry in the system mimeinfo.cache;
# run it again in case the trigger did not run in this container.
update-desktop-database /usr/share/applications
grep -q '^x-scheme-handler/commonroom=.*org.commonroom.Commonroom.desktop' /usr/share/applications/mimeinfo.cache \
    || { echo "mimeinfo.cache does not list Commonroom for commonroom:// links"; exit 1; }
# A person's own desktop in a throwaway HOME, with no desktop environment running.
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_DATA_HOME=$WORK/home/.local/share XDG_DATA_DIRS=/usr/local/share:/usr/share
export XDG_CURRENT_DESKTOP= DESKTOP_SESSION=
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
handler=$(xdg-mime query default x-scheme-handler/commonroom || true)
if [ "$handler" = org.commonroom.Commonroom.desktop ]; then
    echo "xdg-mime names $handler with no setting of the person's own"
else
    echo "xdg-mime names '${handler:-nothing}' before the person chooses; setting it as a desktop does on first use"
    xdg-mime default org.commonroom.Commonroom.desktop x-scheme-handler/commonroom
    handler=$(xdg-mime query default x-scheme-handler/commonroom)
    [ "$handler" = org.commonroom.Commonroom.desktop ] || { echo "xdg-mime names '$handler' for commonroom:// links"; exit 1; }
    echo "xdg-mime names $handler"
fi

echo "== dpkg -r"
dpkg -r commonroom
for path in /usr/bin/commonroom "$ENTRY" "$META" /usr/share/icons/hicolor/256x256/apps/org.commonroom.Commonroom.png /usr/share/doc/commonroom; do
    [ ! -e "$path" ] || { echo "$path is still there after dpkg -r"; exit 1; }
done
if dpkg -s commonroom 2>/dev/null | grep -q '^Status: install'; then echo "dpkg still lists commonroom as installed"; exit 1; fi
if grep -q 'org.commonroom.Commonroom' /usr/share/applications/mimeinfo.cache 2>/dev/null; then
    update-desktop-database /usr/share/applications
    grep -q 'org.commonroom.Commonroom' /usr/share/applications/mimeinfo.cache && { echo "mimeinfo.cache still names Commonroom"; exit 1; }
fi
echo "package check passed in $(( $(date +%s) - started )) s (building the package: $((built - started)) s)"
