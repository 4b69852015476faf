#!/usr/bin/env bash
# Student against another net: 9x9, komi 7, Chinese, colours alternating, 20 openings x 2 colours,
# fixed visits per move for both (so the shared machine's load does not decide the result).
# usage: weights/distil9/match.sh STUDENT.onnx OPPONENT.onnx VISITS OUT_DIR
set -euo pipefail
A=$1; B=$2; V=$3; OUT=$4
ENGINE="python3 -m gtp.cli gtp --size 9 --komi 7 --rules chinese --threads 1"
nice -n 15 python3 -m gtp.cli match --black "$ENGINE --visits $V --network $A" \
    --white "$ENGINE --visits $V --network $B" \
    --games 40 --size 9 --komi 7 --rules chinese --alternate --parallel 2 \
    --openings weights/loop9/openings --move-timeout 120 --quiet --sgf-dir "$OUT"
