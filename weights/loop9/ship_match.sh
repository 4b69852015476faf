#!/bin/bash
# usage: ship_match.sh LEVEL GAMES   (run from /work/main, after weights/zerogo-9x9.onnx is the shipped net)
L=$1; N=$2; OUT=/work/data/ship-match-l$L
rm -rf $OUT; mkdir -p $OUT
echo "START $(date -u +%FT%TZ)" > $OUT.log
/usr/bin/time -v zerogo match --black "zerogo gtp --size 9 --komi 7 --rules chinese --time-per-move 1 --threads 1 --network weights/zerogo-9x9.onnx" \
  --white "/usr/games/gnugo --mode gtp --level $L --chinese-rules" \
  --games $N --size 9 --komi 7 --rules chinese --alternate --move-timeout 10 --parallel 1 \
  --openings /work/data/openings-ship9 --quiet --sgf-dir $OUT --engine-logs $OUT-logs >> $OUT.log 2>&1
echo "END $(date -u +%FT%TZ) rc=$?" >> $OUT.log
