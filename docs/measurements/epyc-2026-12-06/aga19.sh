#!/bin/bash
# 19x19 under AGA rules at 128 visits: today's code (rule_inputs) against the code before (frozen 241eb4c), same net.
cd "$(dirname "$0")/../../.."   # the repository root; the code before: a worktree at 241eb4c in /work/frozen21b
date -u
nice -n 19 zerogo match --black "zerogo gtp --size 19 --visits 128 --threads 1" \
  --white "env PYTHONPATH=/work/frozen21b zerogo gtp --size 19 --visits 128 --threads 1" \
  --games 10 --size 19 --komi 7.5 --rules aga --alternate --move-timeout 300 --setup-timeout 300 --parallel 1 \
  --openings weights/distil19/openings19 --quiet --sgf-dir docs/measurements/epyc-2026-12-06/aga-19x19-new-vs-old --resume
date -u
