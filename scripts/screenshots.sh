#!/usr/bin/env bash
# Screenshots of Pd patches, taken from real Pd (with its Tk GUI) under a
# virtual X server, for the READMEs. Each patch.pd gives patch.png next to it.
#
#   bash scripts/screenshots.sh                  # steps, workshop and help patch
#   bash scripts/screenshots.sh patches/steps/1-messages.pd ...
#   SCREENSHOT_OUT_DIR=/tmp/shots bash scripts/screenshots.sh   # PNGs go there
#
# Needs Xvfb, xwininfo, ImageMagick (import, convert, compare), pd (with pd-gui)
# and mrpeach in /usr/lib/pd/extra/mrpeach (Debian: pd-mrpeach). Builds
# build/fsync~.pd_linux with `make build` if it is missing.
# Every wait is bounded; exits non-zero with a message if anything is missing,
# a window never appears, an object fails to create or the image is blank.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SCREEN_W=1400 SCREEN_H=1000
# The patch window is enlarged to (nearly) the whole screen so nothing is
# clipped, then the capture is trimmed to the patch's content.
WIN_W=$((SCREEN_W - 20)) WIN_H=$((SCREEN_H - 40))
BORDER=16
MRPEACH=${MRPEACH:-/usr/lib/pd/extra/mrpeach}
WINDOW_TIMEOUT=15   # seconds for a patch window to appear
SETTLE_TIMEOUT=8    # seconds for its drawing to stop changing

die() { echo "screenshots: error: $*" >&2; exit 1; }

for tool in Xvfb xwininfo import convert compare pd; do
  command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install xvfb x11-utils imagemagick puredata)"
done
[ -d "$MRPEACH" ] || die "mrpeach not found in $MRPEACH (apt-get install pd-mrpeach, or set MRPEACH=)"
if [ ! -f build/fsync~.pd_linux ]; then
  echo "screenshots: build/fsync~.pd_linux missing, running make build"
  make build >/dev/null || die "make build failed"
fi

if [ $# -gt 0 ]; then
  patches=("$@")
else
  patches=(patches/steps/*.pd patches/workshop/*.pd pd-help/fsync~-help.pd)
fi
for p in "${patches[@]}"; do [ -f "$p" ] || die "no such patch: $p"; done

TMP=$(mktemp -d)
XVFB_PID= PD_PID=
stop_pd() {
  [ -n "$PD_PID" ] || return 0
  # pd starts the GUI as `sh -c ... wish pd-gui.tcl` (and may start pd-watchdog):
  # end exactly those, by pid.
  local kids grandkids
  kids=$(pgrep -P "$PD_PID" || true)
  grandkids=$(for k in $kids; do pgrep -P "$k" || true; done)
  kill "$PD_PID" $kids $grandkids 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$PD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PD_PID" $kids $grandkids 2>/dev/null || true
  wait "$PD_PID" 2>/dev/null || true
  PD_PID=
}
cleanup() {
  stop_pd
  if [ -n "$XVFB_PID" ]; then
    kill "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free display number: no lock file and no socket.
DISP=
for n in $(seq 97 130); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then DISP=$n; break; fi
done
[ -n "$DISP" ] || die "no free X display number in 97..130"
export DISPLAY=:$DISP
Xvfb ":$DISP" -screen 0 "${SCREEN_W}x${SCREEN_H}x24" -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do
  xwininfo -root >/dev/null 2>&1 && break
  kill -0 "$XVFB_PID" 2>/dev/null || die "Xvfb exited: $(cat "$TMP/xvfb.log")"
  sleep 0.2
done
xwininfo -root >/dev/null 2>&1 || die "Xvfb on :$DISP did not come up within 10 s"

# Id of the top-level window whose title is "<file>  - <dir>" (Pd's title).
find_window() {
  xwininfo -root -tree 2>/dev/null |
    awk -v t="\"$1  - " '!found && index($0, t) && /PatchWindow/ {print $1; found = 1}' || true
}
# Its largest child is the canvas (the other is the menu bar); prints "id w h".
canvas_of() {
  xwininfo -id "$1" -children 2>/dev/null |
    awk '$1 ~ /^0x/ && match($0, / [0-9]+x[0-9]+\+/) {
           split(substr($0, RSTART + 1, RLENGTH - 2), g, "x")
           if (g[1] * g[2] > best) { best = g[1] * g[2]; id = $1; w = g[1]; h = g[2] } }
         END { if (id) print id, w, h }' || true
}

status=0
for patch in "${patches[@]}"; do
  dir=$(cd "$(dirname "$patch")" && pwd)
  name=$(basename "$patch")
  out_dir=${SCREENSHOT_OUT_DIR:-$dir}
  mkdir -p "$out_dir"
  out="$out_dir/${name%.pd}.png"
  log="$TMP/${name%.pd}.log"

  # Open it, then resize its window (setbounds, then vis 0/1 to redraw it at
  # that size); -stderr so creation errors land in the log.
  recv="pd-$name"
  (cd "$dir" && exec pd -nosound -noprefs -stderr -path "$MRPEACH" -path "$ROOT/build" -open "$dir/$name" \
      -send "$recv setbounds 0 0 $WIN_W $WIN_H; $recv vis 0; $recv vis 1") >"$log" 2>&1 &
  PD_PID=$!

  # Wait for the window at the enlarged size.
  win= canvas=
  deadline=$((SECONDS + WINDOW_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$PD_PID" 2>/dev/null || { cat "$log" >&2; die "pd exited before showing $patch"; }
    win=$(find_window "$name")
    if [ -n "$win" ]; then
      cw=0 ch=0; read -r cid cw ch < <(canvas_of "$win") || true
      if [ "${cw:-0}" = "$WIN_W" ] && [ "${ch:-0}" = "$WIN_H" ]; then canvas=$cid; break; fi
    fi
    sleep 0.2
  done
  if [ -z "$canvas" ]; then
    cat "$log" >&2
    xwininfo -root -tree | grep '"' >&2 || true
    die "the window of $patch did not appear at ${WIN_W}x${WIN_H} within ${WINDOW_TIMEOUT} s"
  fi

  # Capture until two captures in a row are identical (drawing finished).
  prev= settled=
  deadline=$((SECONDS + SETTLE_TIMEOUT))
  i=0
  while [ $SECONDS -lt $deadline ]; do
    i=$((i + 1)); cur="$TMP/cap$i.png"
    sleep 0.4
    timeout 10 import -window "$canvas" "$cur" 2>>"$log" || continue  # import can hang on Xvfb
    if [ -n "$prev" ] && [ "$(compare -metric AE "$prev" "$cur" null: 2>&1 || true)" = 0 ]; then
      settled=$cur; break
    fi
    prev=$cur
  done
  [ -n "$settled" ] || { settled=${prev:-}; echo "screenshots: warning: $patch kept changing; using the last capture" >&2; }
  [ -n "$settled" ] || die "could not capture the window of $patch"

  stop_pd

  if grep -E "couldn't create|error:" "$log" >&2; then
    echo "screenshots: $patch: Pd reported errors (above); the image would show broken boxes" >&2
    status=1
    continue
  fi

  # Trim to the content. If the content reaches the window's edge it is clipped.
  bbox=$(convert "$settled" -trim -format '%wx%h%X%Y' info: 2>/dev/null)
  case $bbox in
    1x1*) die "$patch: the capture is blank" ;;
  esac
  read -r bw bh bx by < <(echo "$bbox" | sed 's/[x+]/ /g')
  if [ $((bx + bw)) -ge "$WIN_W" ] || [ $((by + bh)) -ge "$WIN_H" ]; then
    echo "screenshots: warning: $patch reaches the edge of a ${WIN_W}x${WIN_H} window; it may be clipped" >&2
  fi
  convert "$settled" -trim +repage -bordercolor white -border "$BORDER" -strip "$out"
  echo "$out  $(convert "$out" -format '%wx%h' info:)"
done
exit "$status"
