#!/usr/bin/env bash
# Regenerates the packaged hicolor icons (packaging/icons) from assets/icon.png with
# ImageMagick; commit the result. The package uses the committed icons, so packaging
# itself needs no ImageMagick.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v convert >/dev/null 2>&1 || { echo "ImageMagick's convert is needed (apt-get install imagemagick)" >&2; exit 1; }
for size in 16 32 48 64 128 256; do
    dir=packaging/icons/hicolor/${size}x${size}/apps
    mkdir -p "$dir"
    convert assets/icon.png -resize "${size}x${size}" -depth 8 -strip "PNG32:$dir/org.commonroom.Commonroom.png"
done
echo "icons written to packaging/icons"
