#!/bin/sh
# launch-chromium.sh kiosk|board URL
#
# Shows a XepHang screen full-screen on a kiosk PC (máy lấy số, touch screen) or a board PC
# (màn hình gọi số, TV): Debian's Chromium in kiosk mode, screen blanking off, Chromium
# started again whenever it exits or crashes. Started by the desktop session
# (xephang-kiosk.desktop, XDG autostart) of an auto-login user. See docs/OPERATIONS.md.
#
#   launch-chromium.sh kiosk 'http://192.168.1.10:8000/kiosk?device=TOKEN'   # the first time
#   launch-chromium.sh kiosk http://192.168.1.10:8000/kiosk                  # afterwards
#   launch-chromium.sh board http://192.168.1.10:8000/board
#
# The page keeps its device token in the browser profile (localStorage of that address),
# so the token is needed in the URL once only. The profile is never incognito: that would
# forget the token.
#
# Environment:
#   XEPHANG_DRY_RUN=1        print the commands instead of running them, then exit
#   XEPHANG_CHROMIUM         the browser (default: chromium, else chromium-browser)
#   XEPHANG_PROFILE_DIR      profile folder (default ~/.local/share/xephang-chromium/MODE)
#   XEPHANG_WAIT_SECONDS     how long to wait for the server at start (default 120)
# To leave kiosk mode for maintenance: kill "$(cat PROFILE_DIR/launcher.pid)" (from a
# terminal or ssh); Chromium closes with it.
set -u

usage() {
    echo "usage: $0 kiosk|board URL" >&2
    echo "  kiosk: touch screen that issues tickets; board: waiting-room display (with sound)" >&2
    exit 2
}

[ $# -eq 2 ] || usage
MODE=$1
URL=$2
case $MODE in kiosk | board) ;; *) usage ;; esac
case $URL in
    http://?* | https://?*) ;;
    *) echo "$0: URL must start with http:// or https://: $URL" >&2; exit 2 ;;
esac

DRY_RUN=${XEPHANG_DRY_RUN:-0}
PROFILE=${XEPHANG_PROFILE_DIR:-${HOME:-/tmp}/.local/share/xephang-chromium/$MODE}
WAIT_SECONDS=${XEPHANG_WAIT_SECONDS:-120}
case $WAIT_SECONDS in '' | *[!0-9]*) WAIT_SECONDS=120 ;; esac

CHROMIUM=${XEPHANG_CHROMIUM:-}
if [ -z "$CHROMIUM" ]; then
    for candidate in chromium chromium-browser; do
        if command -v "$candidate" >/dev/null 2>&1; then CHROMIUM=$candidate; break; fi
    done
fi
if [ -z "$CHROMIUM" ]; then
    if [ "$DRY_RUN" = 1 ]; then
        CHROMIUM=chromium
    else
        echo "$0: Chromium is missing: sudo apt-get install chromium fonts-noto-core" >&2
        exit 1
    fi
fi

# Where the (primary) screen is, from xrandr: "connected [primary] 1920x1080+0+0".
# Passed as the window's place and size, so the page fills the screen even when no
# window manager runs (then --kiosk alone leaves a smaller window).
screen_geometry() {
    [ -n "${DISPLAY:-}" ] && command -v xrandr >/dev/null 2>&1 || return 0
    outputs=$(xrandr --current 2>/dev/null) || return 0
    pattern='s/^[^ ]* connected \(primary \)\{0,1\}\([0-9]*\)x\([0-9]*\)+\([0-9]*\)+\([0-9]*\).*/\2,\3 \4,\5/p'
    { printf '%s\n' "$outputs" | grep ' connected primary '
      printf '%s\n' "$outputs" | grep ' connected '; } | sed -n "$pattern" | head -n 1
}
GEOMETRY=$(screen_geometry)

# The Chromium command, as "$@". LANGUAGE=vi: Chromium's own texts in Vietnamese (error
# pages; needs the chromium-l10n package), and no offer to translate our Vietnamese pages.
set -- env LANGUAGE=vi "$CHROMIUM" \
    --kiosk \
    --noerrdialogs \
    --disable-infobars \
    --no-first-run \
    --no-default-browser-check \
    --disable-session-crashed-bubble \
    --check-for-update-interval=31536000 \
    --disable-background-networking \
    --disable-component-update \
    --disable-sync \
    --password-store=basic \
    "--user-data-dir=$PROFILE"
if [ -n "$GEOMETRY" ]; then
    set -- "$@" "--window-size=${GEOMETRY% *}" "--window-position=${GEOMETRY#* }"
fi
if [ "$MODE" = board ]; then
    # The board calls numbers aloud without anyone touching it.
    set -- "$@" --autoplay-policy=no-user-gesture-required
else
    # A touch kiosk: no pinch zoom, no swipe back to the previous page.
    set -- "$@" --disable-pinch --overscroll-history-navigation=0
fi
set -- "$@" "$URL"

log() { printf '%s xephang-chromium[%s]: %s\n' "$(date '+%F %T')" "$MODE" "$*" >&2; }

# Prints its arguments as one shell command line, each quoted.
quote_command() {
    line=
    for arg; do
        case $arg in
            *[!A-Za-z0-9_./:=,+@%-]* | '') arg="'$(printf '%s' "$arg" | sed "s/'/'\\\\''/g")'" ;;
        esac
        line="$line${line:+ }$arg"
    done
    printf '%s\n' "$line"
}

if [ "$DRY_RUN" = 1 ]; then
    echo "xset s off; xset s noblank; xset -dpms"
    quote_command "$@"
    exit 0
fi

# Screen blanking and power saving off (X11; under Wayland, set it in the desktop's settings).
if [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
    xset s off
    xset s noblank
    xset -dpms 2>/dev/null || log "this display has no DPMS (power saving): nothing to turn off"
else
    log "xset unavailable (or no DISPLAY): turn screen blanking off in the desktop's settings"
fi

mkdir -p "$PROFILE"
# One launcher per profile: a second Chromium on the same profile would only hand its URL
# to the first one and exit, and this loop would start it again and again.
if [ -f "$PROFILE/launcher.pid" ] && kill -0 "$(cat "$PROFILE/launcher.pid")" 2>/dev/null; then
    echo "$0: already running (pid $(cat "$PROFILE/launcher.pid")); kill it first" >&2
    exit 1
fi
echo $$ >"$PROFILE/launcher.pid"

# The running Chromium, or sleep: waited for in the background, so that a TERM stops the
# launcher at once, not after the current pause.
child=
run_child() {
    "$@" &
    child=$!
    wait "$child"
    status=$?
    child=
    return "$status"
}
stop() {
    [ -z "$child" ] || kill "$child" 2>/dev/null
    rm -f "$PROFILE/launcher.pid"
    exit 0
}
trap stop HUP INT TERM

# Wait for the server (the PC may boot before it): its /healthz answers once it serves.
origin=$(printf '%s' "$URL" | sed 's|^\(https*://[^/?#]*\).*|\1|')
if command -v curl >/dev/null 2>&1; then
    waited=0
    until curl -fsS -o /dev/null --max-time 3 "$origin/healthz" 2>/dev/null; do
        if [ "$waited" -ge "$WAIT_SECONDS" ]; then
            log "no answer from $origin after ${WAIT_SECONDS}s; starting Chromium anyway"
            break
        fi
        [ "$waited" -gt 0 ] || log "waiting for $origin ..."
        run_child sleep 5
        waited=$((waited + 5))
    done
fi

pause=2
while :; do
    # After a power cut Chromium would offer to restore the last session; mark the last
    # exit as clean so it opens only our URL.
    prefs=$PROFILE/Default/Preferences
    if [ -f "$prefs" ]; then
        sed -i 's/"exited_cleanly":false/"exited_cleanly":true/; s/"exit_type":"[A-Za-z]*"/"exit_type":"Normal"/' "$prefs" 2>/dev/null
    fi
    started=$(date +%s)
    log "starting: $(quote_command "$@")"
    run_child "$@"
    status=$?
    # Crashing at once, again and again (no display yet, a broken profile): back off up to
    # 60 s between tries; a run of a minute or more starts the count over.
    if [ $(($(date +%s) - started)) -ge 60 ]; then
        pause=2
    else
        pause=$((pause * 2))
        [ "$pause" -le 60 ] || pause=60
    fi
    log "Chromium exited (status $status); starting it again in ${pause}s"
    run_child sleep "$pause"
done
