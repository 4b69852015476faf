#!/bin/sh
# Remake docs/katrain-zerogo.png: the real KaTrain GUI (pip install katrain;
# kivy, kivymd==0.104.1, screeninfo, ffpyplayer) analysing a 9x9 game with
# zerogo's JSON analysis engine, on a private Xvfb display.
# Needs Xvfb and imagemagick. Usage: docs/screenshots/katrain.sh [DISPLAY_NUMBER]
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
display=":${1:-93}"
work=$(mktemp -d)
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb"; rm -rf "$work"' EXIT
sleep 1
kill -0 "$xvfb" || { echo "Xvfb did not start on $display (taken? pass another number)" >&2; exit 1; }
# PYTHONPATH: the engine KaTrain starts ("exec zerogo analysis") runs this checkout's code.
DISPLAY="$display" PYTHONPATH="$repo" python3 "$repo/docs/screenshots/katrain_drive.py" \
    --game "$repo/weights/katago-b15/match-9x9-gnugo10/game0005.sgf" \
    --work "$work" --out "$work/screen.png" --move 20 --visits 500
# KaTrain's window is 1300x1000 at the top left of the screen; keep it, at 900 px wide.
convert "$work/screen.png" -crop 1300x1000+0+0 +repage -resize 900x \
    -colors 128 -strip "$repo/docs/katrain-zerogo.png"
ls -l "$repo/docs/katrain-zerogo.png"
