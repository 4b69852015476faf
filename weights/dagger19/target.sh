#!/bin/bash
# The 19x19 target on the DAgger candidate (session 28): 40 games at 5 s a move against GNU Go level 10,
# on openings19b (no game against GNU Go has been played from them, so none of the candidate's training
# positions), code frozen at ea4b172 in /work/frozen27 (no playing code changed since).
cd /work/frozen27
export PYTHONPATH=/work/frozen27
echo "START $(date -u +%FT%T)"
zerogo match --black "zerogo gtp --size 19 --komi 7.5 --rules chinese --time-per-move 5 --network /work/main/weights/dagger19/dagger1-candidate.onnx" \
  --white "/usr/games/gnugo --mode gtp --level 10 --chinese-rules" \
  --games 40 --size 19 --komi 7.5 --rules chinese --alternate --move-timeout 60 \
  --parallel 1 --openings /work/main/weights/distil19/openings19b --quiet \
  --sgf-dir /work/main/weights/distil19/match-dagger1-gnugo10-5s-openings19b --resume --replay-crashes 3
echo "END $(date -u +%FT%T)"
