#!/bin/bash
# Under AGA rules at 128 visits a move: today's code (engine.features.rule_inputs) against the code before
# (a worktree at 241eb4c in /work/frozen21b), the same shipped net. Usage: aga_match.sh 9 | aga_match.sh 19
cd "$(dirname "$0")/../../.."      # the repository root
case "$1" in
  9) komi=7; games=20; openings=weights/loop9/openings ;;
  19) komi=7.5; games=10; openings=weights/distil19/openings19 ;;
  *) echo "usage: $0 9|19" >&2; exit 2 ;;
esac
date -u
nice -n 19 zerogo match --black "zerogo gtp --size $1 --visits 128 --threads 1" \
  --white "env PYTHONPATH=/work/frozen21b zerogo gtp --size $1 --visits 128 --threads 1" \
  --games $games --size $1 --komi $komi --rules aga --alternate --move-timeout 300 --setup-timeout 300 \
  --parallel 1 --openings $openings --quiet --sgf-dir docs/measurements/epyc-2026-12-06/aga-$1x$1-new-vs-old --resume
date -u
