#!/usr/bin/env bash
# Teacher data for the first 9x9 student (issue 15), as run from the repository root.
# The teacher: g170e-b15c192-s1672170752-d466197061.bin.gz from the katrain 1.9.0 wheel on PyPI.
set -euo pipefail
TEACHER=${ZEROGO_KATAGO_NETS:-$HOME/.cache/zerogo/katago-nets}/g170e-b15c192-s1672170752-d466197061.bin.gz
OUT=${1:-/work/data/distil9-raw}
# run 1 (stopped by SIGTERM after 2 minutes: its games resigned too early, 17 moves on average):
#   ... the same command with the default --resign-threshold (-0.97)
# run 2 (the same folder: it carries on from run 1's 28 games):
nice -n 15 python3 -m gtp.cli data distil --teacher "$TEACHER" --out "$OUT" \
    --games 100000 --minutes 55 --parallel 16 --threads 2 --sizes 9 \
    --rules chinese,chinese,japanese --resign-threshold -1 \
    --positions-per-shard 2048 --flush-minutes 3 --seed 1
