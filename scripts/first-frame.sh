#!/usr/bin/env bash
# Times the real app opening the generated five-year community (200 members, 120 events,
# 10,000 notes, 1,000 resources) in a real window under Xvfb: from launch to the window's
# first frame, and to the first frame that shows the community. Prints the median of RUNS
# launches (default 5) and the binary's size; keeps a screenshot in
# ${SCREENSHOT_DIR:-target/screenshots}/first-frame.png.
#   bash scripts/first-frame.sh [BINARY]    (default: the shipped build, target/dist/commonroom)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-target}
BIN=$(realpath "${1:-$TARGET/dist/commonroom}")
RUNS=${RUNS:-5}
OUT=${SCREENSHOT_DIR:-target/screenshots}
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "no binary at $BIN: run 'cargo build --release --profile dist' or give one"; exit 1; }
for tool in Xvfb xdpyinfo import python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool is needed (see .ci/run)"; exit 1; }
done

WORK=$(mktemp -d)
XVFB_PID=""
APP_PID=""
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --locked --workspace --example generate >&2
"$TARGET/debug/examples/generate" "$WORK/five-years"

DISPLAY_NUM=:$((90 + RANDOM % 100))
Xvfb "$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY=$DISPLAY_NUM LIBGL_ALWAYS_SOFTWARE=1 WINIT_UNIX_BACKEND=x11 WAYLAND_DISPLAY=
export COMMONROOM_LOG=warn,commonroom_ui::startup=info COMMONROOM_LOG_DIR=$WORK/logs
for _ in $(seq 1 300); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

for run in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/run"
    cp -a "$WORK/five-years" "$WORK/run"
    start=$(date +%s.%N)
    "$BIN" --data-dir "$WORK/run" --bind 127.0.0.1:0 --no-relay --no-mdns >"$WORK/app.log" 2>&1 &
    APP_PID=$!
    for _ in $(seq 1 600); do grep -q "first frame with a community" "$WORK/app.log" && break; sleep 0.05; done
    grep -q "first frame with a community" "$WORK/app.log" || { echo "the community never showed:"; cat "$WORK/app.log"; exit 1; }
    [ "$run" = 1 ] && { sleep 1; import -window root "$OUT/first-frame.png"; }
    kill -TERM "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""
    python3 - "$start" "$WORK/app.log" >>"$WORK/times" <<'PY'
import sys, datetime
start = float(sys.argv[1])
def at(line):
    stamp = line.split()[0].rstrip("Z")
    return datetime.datetime.fromisoformat(stamp).replace(tzinfo=datetime.timezone.utc).timestamp()
first = community = None
for line in open(sys.argv[2]):
    if line.rstrip().endswith("first frame with a community"):
        community = at(line) - start
    elif line.rstrip().endswith("first frame"):
        first = at(line) - start
print(f"{first:.3f} {community:.3f}")
PY
done
python3 - "$WORK/times" "$BIN" <<'PY'
import os, statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
first = statistics.median(r[0] for r in rows)
community = statistics.median(r[1] for r in rows)
print(f"runs: {len(rows)}; first frame: " + ", ".join(f"{r[0]:.3f}" for r in rows) + " s")
print(f"first frame with the community: " + ", ".join(f"{r[1]:.3f}" for r in rows) + " s")
print(f"median: window's first frame {first:.3f} s, community shown {community:.3f} s")
print(f"binary: {sys.argv[2]}, {os.path.getsize(sys.argv[2]) / 1e6:.1f} MB")
PY
