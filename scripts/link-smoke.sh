#!/usr/bin/env bash
# End-to-end: a commonroom:// invite link opened with xdg-open, as a browser or mail client
# would, in a real window under Xvfb.
#   1. No app running: the link starts the app on the join screen with the invite filled
#      in; typing a name and pressing "Join community" joins the inviter's community.
#   2. The app running: a second link is handed to the running window (the second launch
#      exits at once, no second window), which shows the join screen with that invite;
#      joining with it adds the second community.
#   3. A damaged link: a plain-words error, and the window says why.
# The desktop entry is the packaged one, installed into a throwaway HOME with its Exec
# pointed at the built binary; xdg-mime names it the handler of commonroom:// links there.
# Screenshots go to ${SCREENSHOT_DIR:-target/screenshots}/link-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in Xvfb xdg-open xdg-mime xdotool import; do
    command -v "$tool" >/dev/null 2>&1 || { echo "skipping the invite-link test: $tool is not installed (see .ci/run)"; exit 0; }
done
BIN=${COMMONROOM_BIN:-${CARGO_TARGET_DIR:-target}/debug/commonroom}
OUT=${SCREENSHOT_DIR:-target/screenshots}
mkdir -p "$OUT"
[ -n "${COMMONROOM_BIN:-}" ] || cargo build --locked --bin commonroom
BIN=$(realpath "$BIN")
OUT=$(realpath "$OUT")

WORK=$(mktemp -d)
DATA=$WORK/me
INVITER=$WORK/inviter
XVFB_PID=""
INVITER_PID=""
APP_PID=""
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
    [ -n "$INVITER_PID" ] && kill "$INVITER_PID" 2>/dev/null || true
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
NET=(--bind 127.0.0.1:0 --no-relay --no-mdns)

# A desktop of our own: a fresh HOME, the packaged desktop entry, a `commonroom` on PATH
# that is the built binary on this test's data directory, loopback only.
export HOME=$WORK/home XDG_DATA_HOME=$WORK/home/.local/share XDG_CONFIG_HOME=$WORK/home/.config
export XDG_DATA_DIRS=/usr/share XDG_CURRENT_DESKTOP= DESKTOP_SESSION= KDE_FULL_SESSION= GNOME_DESKTOP_SESSION_ID=
export COMMONROOM_LOG_DIR=$WORK/logs
mkdir -p "$XDG_DATA_HOME/applications" "$XDG_CONFIG_HOME" "$WORK/bin"
cp packaging/linux/org.commonroom.Commonroom.desktop "$XDG_DATA_HOME/applications/"
cat >"$WORK/bin/commonroom" <<EOF
#!/bin/sh
echo "\$\$ \$*" >>"$WORK/launches"
exec "$BIN" --data-dir "$DATA" ${NET[*]} "\$@" >>"$WORK/app.log" 2>&1
EOF
chmod +x "$WORK/bin/commonroom"
export PATH=$WORK/bin:$PATH
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$XDG_DATA_HOME/applications"
xdg-mime default org.commonroom.Commonroom.desktop x-scheme-handler/commonroom
handler=$(xdg-mime query default x-scheme-handler/commonroom)
[ "$handler" = org.commonroom.Commonroom.desktop ] || { echo "xdg-mime names '$handler' for commonroom:// links"; exit 1; }
echo "commonroom:// links open with $handler"

# The inviter: two communities, a running node, one invite to each.
"$BIN" --data-dir "$INVITER" create "Kinship Carers" --me "Ann" >/dev/null
"$BIN" --data-dir "$INVITER" create "Food Network" --me "Ann" >/dev/null
"$BIN" --data-dir "$INVITER" serve "${NET[@]}" >"$WORK/inviter.log" 2>&1 &
INVITER_PID=$!
for _ in $(seq 1 100); do grep -q "^ready " "$WORK/inviter.log" && break; sleep 0.1; done
grep -q "^ready " "$WORK/inviter.log" || { echo "the inviter did not start:"; cat "$WORK/inviter.log"; exit 1; }
FIRST=$("$BIN" --data-dir "$INVITER" invite Kinship --message | sed -n 's/.*open this link: //p')
SECOND=$("$BIN" --data-dir "$INVITER" invite Food --message | sed -n 's/.*open this link: //p')
case "$FIRST" in commonroom://join/commonroom1*) ;; *) echo "the invite message has no link: '$FIRST'"; exit 1;; esac

DISPLAY_NUM=:$((90 + RANDOM % 100))
Xvfb "$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY=$DISPLAY_NUM LIBGL_ALWAYS_SOFTWARE=1 WINIT_UNIX_BACKEND=x11 WAYLAND_DISPLAY=
for _ in $(seq 1 300); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "Xvfb did not start"; exit 1; }

shoot() { # name [seconds]: waits, screenshots the screen, fails on a blank one
    sleep "${2:-2}"
    import -window root "$OUT/$1.png"
    colours=$(convert "$OUT/$1.png" -format '%k' info:)
    echo "screenshot $OUT/$1.png: $colours colours"
    [ "$colours" -gt 20 ] || { echo "the window looks blank"; cat "$WORK/app.log"; exit 1; }
}
communities() { "$BIN" --data-dir "$DATA" list 2>/dev/null | wc -l; }
join_as() { # name: types a name on the join screen and presses Enter, as a person would
    # (an opened link puts the cursor in "Your name"; Enter there joins).
    xdotool windowfocus --sync "$WID" 2>/dev/null || true
    sleep 0.5
    xdotool type --window "$WID" "$1"
    sleep 0.3
    xdotool key --window "$WID" Return
}
wait_for_community() { # name: until the app lists it (a joined community is listed
    # under its id while it arrives, then under its name)
    for _ in $(seq 1 120); do "$BIN" --data-dir "$DATA" list 2>/dev/null | grep -q "$1" && return 0; sleep 0.5; done
    echo "the app did not join $1; it has:"; "$BIN" --data-dir "$DATA" list; cat "$WORK/app.log"; exit 1
}

# 1. Nothing running: the link starts the app (xdg-open waits for what it starts).
xdg-open "$FIRST" &
WID=$(timeout 60 xdotool search --sync --name '^Commonroom$' | head -1)
[ -n "$WID" ] || { echo "no window appeared for the link"; cat "$WORK/app.log"; exit 1; }
APP_PID=$(xdotool getwindowpid "$WID")
shoot link-cold 4
join_as "Sam"
wait_for_community "Kinship Carers"
shoot link-cold-joined 2

# 2. The app running: the link goes to its window; the second launch exits at once.
launches_before=$(wc -l <"$WORK/launches")
timeout 30 xdg-open "$SECOND" || { echo "xdg-open of the second link failed"; cat "$WORK/app.log"; exit 1; }
for _ in $(seq 1 100); do [ "$(wc -l <"$WORK/launches")" -gt "$launches_before" ] && break; sleep 0.1; done
handover=$(tail -1 "$WORK/launches" | cut -d' ' -f1)
for _ in $(seq 1 100); do kill -0 "$handover" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$handover" 2>/dev/null; then echo "the second launch did not hand over and exit"; exit 1; fi
kill -0 "$APP_PID" || { echo "the running app exited"; cat "$WORK/app.log"; exit 1; }
windows=$(xdotool search --name '^Commonroom$' | wc -l)
[ "$windows" -eq 1 ] || { echo "$windows Commonroom windows, not one"; exit 1; }
shoot link-running 2
if cmp -s "$OUT/link-cold-joined.png" "$OUT/link-running.png"; then echo "the running window did not show the link"; exit 1; fi
join_as "Sam"
wait_for_community "Food Network"
[ "$(communities)" -eq 2 ] || { echo "the app has $(communities) communities, not 2"; exit 1; }

# 3. A damaged link: a plain error for a terminal, and the window says why.
if ! err=$("$BIN" --data-dir "$DATA" "${NET[@]}" "commonroom://join/commonroom1broken" 2>&1); then
    echo "the damaged link's hand-over failed: $err"; exit 1
fi
echo "$err" | grep -q "warning: the invite text is damaged" || { echo "no plain error for a damaged link: $err"; exit 1; }
shoot link-damaged 2
if grep -qE "panicked|ERROR" "$WORK/app.log"; then echo "the app logged an error:"; cat "$WORK/app.log"; exit 1; fi
grep -q "^--- Commonroom " "$WORK/logs/commonroom.log" || { echo "the app wrote no log file"; exit 1; }
echo "invite link test passed"
