#!/bin/bash
# 9x9 under AGA rules at 128 visits: today's code (rule_inputs) against the code before (frozen 241eb4c), same net.
cd "$(dirname "$0")/../../.."   # the repository root; the code before: a worktree at 241eb4c in /work/frozen21b
date -u
nice -n 19 zerogo match --black "zerogo gtp --size 9 --visits 128 --threads 1" \
  --white "env PYTHONPATH=/work/frozen21b zerogo gtp --size 9 --visits 128 --threads 1" \
  --games 20 --size 9 --komi 7 --rules aga --alternate --move-timeout 300 --setup-timeout 300 --parallel 1 \
  --openings weights/loop9/openings --quiet --sgf-dir docs/measurements/epyc-2026-12-06/aga-9x9-new-vs-old --resume
date -u
