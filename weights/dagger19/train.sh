#!/bin/bash
# The DAgger student (session 28): generation 2 (the shipped zerogo-19x19) trained on from the teacher-labelled
# positions of its own games against GNU Go (/work/data/dagger19), half of each batch from teacher runs 3-9.
cd /work/main
D=weights/distil19/data
R=""; for r in run3 run4 run5 run6 run7 run8 run9; do R="$R --replay-data $D/$r"; done
echo "START $(date -u +%FT%T)"
/usr/bin/time -v zerogo train --data /work/data/dagger19 $R --replay-fraction ${FRACTION:-0.5} \
    --run-dir ${RUN:-/work/data/dagger-train1} --config b6c64 --init weights/zerogo-19x19-b6c64.pt \
    --batch-size 256 --steps ${STEPS:-400} --optimizer adamw --lr ${LR:-2e-4} --lr-schedule cosine --warmup-steps 20 \
    --teacher-mix 0.8 --threads 2 --checkpoint-every 50 --log-every 20 --no-tensorboard --seed 28
echo "END $(date -u +%FT%T)"
