#!/bin/bash
# usage: run_gen.sh N GAMES  -- runs zerogo loop up to generation N, timing it
N=$1; GAMES=$2
L=/work/data/loop9/logs/gen$(printf %03d $N).log
echo "START $(date -u +%FT%TZ) generations=$N games=$GAMES" >> $L
OMP_NUM_THREADS=1 /usr/bin/time -v zerogo loop --run-dir /work/data/loop9 --start /work/data/sup-b4c32-step2500.pt --board-size 9 --komi 7 --generations $N --games $GAMES --parallel-games 16 --processes 2 --visits 64 --fast-visits 16 --full-prob 0.25 --train-steps 200 --batch-size 128 --window 100 --gate-backend gtp --gate-games 40 --gate-visits 32 --gate-parallel 2 --anchor-games 20 --anchor-gnugo 1 --anchor-gnugo 10 >> $L 2>&1
echo "END $(date -u +%FT%TZ) rc=$?" >> $L
