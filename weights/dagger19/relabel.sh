#!/bin/bash
# DAgger data (session 28): every position of zerogo's 19x19 (and 13x13) games against GNU Go level 10,
# labelled by the KataGo b15 teacher's raw evaluation; the loop19b generation 1 match (15 games) held out.
cd /work/main/weights/distil19
T=~/.cache/zerogo/katago-nets/g170e-b15c192-s1672170752-d466197061.bin.gz
echo "START $(date -u +%FT%T)"
/usr/bin/time -v zerogo data from-sgf $(cat /work/s28/dagger-holdout.txt) --out /work/data/dagger19-holdout \
    --teacher $T --runtime openvino --precision bf16 --threads 2 --compact --quiet
/usr/bin/time -v zerogo data from-sgf $(cat /work/s28/dagger-train.txt) --out /work/data/dagger19 \
    --teacher $T --runtime openvino --precision bf16 --threads 2 --compact --quiet
echo "END $(date -u +%FT%T)"
