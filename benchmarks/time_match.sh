#!/usr/bin/env bash
# Real-match time check for the searcher's time management (issue 5):
# zerogo against GNU Go on 9x9, with 60 s sudden death and with 10 s + 3 x 5 s
# byo-yomi, GAMES games each (colours alternating). The referee charges every
# second (--lag 0); zerogo keeps its own 1 s lag buffer. Prints each match's
# table (wins, time losses) and writes JSON results and SGFs under OUT.
#
#   benchmarks/time_match.sh                 # 10 + 10 games, random b6c64 net
#   NET=weights/zerogo-9x9.onnx GAMES=20 PARALLEL=2 benchmarks/time_match.sh
set -euo pipefail

GAMES=${GAMES:-10}
PARALLEL=${PARALLEL:-1}
OUT=${OUT:-benchmarks/results/time_match}
NET=${NET:-}
GNUGO=${GNUGO:-/usr/games/gnugo}
THREADS=${THREADS:-1}

mkdir -p "$OUT"
if [ -z "$NET" ]; then
    NET="$OUT/random-b6c64.onnx"
    if [ ! -f "$NET" ]; then
        echo "making a random-weight b6c64 net at $NET" >&2
        python -c "import sys; from pathlib import Path; from nets.bench_search import make_random_onnx; make_random_onnx('b6c64', Path(sys.argv[1]))" "$NET"
    fi
fi

ZEROGO="zerogo gtp --size 9 --network $NET --threads $THREADS --lag 1.0"
GNU="$GNUGO --mode gtp --level 10"

for spec in "sudden-death:60" "byoyomi:10+5x3"; do
    name=${spec%%:*}
    clock=${spec#*:}
    echo "== $name ($clock), $GAMES games: zerogo vs GNU Go 3.8 level 10 on 9x9 =="
    start=$(date +%s)
    zerogo match --black "$ZEROGO" --white "$GNU" --games "$GAMES" --size 9 --komi 7.5 \
        --alternate --time "$clock" --lag 0 --parallel "$PARALLEL" --quiet \
        --sgf-dir "$OUT/$name" --results "$OUT/$name.json" --engine-logs "$OUT/$name-logs"
    echo "($(( $(date +%s) - start )) s)"
done
