#!/usr/bin/env bash
# Bigger 19x19 students on a lent GPU machine (issue 15). Each net config in VARIANTS
# starts from generation 2 (weights/zerogo-19x19-b6c64.pt, grown into the bigger config by
# nets/widen.py: same outputs at the start) and trains on every kept teacher run in
# weights/distil19/data at once, all configs side by side on the one GPU, for MINUTES with a
# full cosine schedule (`zerogo train --minutes --fit-steps`). Then each is exported to ONNX
# (13x13 and 19x19) with a weights-only checkpoint beside it. Under OUT (a device call brings
# back 8 files at most): V.onnx and V.pt for each V, and logs.tar.gz holding each
# V-train-metrics.csv and V-train.log and gpu.txt (the machine, the times). Scoring (held-out
# rows against generation 2, then games at equal time) is left to the CPU machine afterwards.
#
# The device machine has torch, onnx and onnxruntime but no package registry: carry the
# pure-Python wheels the CLI needs (made here with
# `pip download --no-deps click sgfmill tqdm -d out/wheels`, `out/` is git-ignored; of the
# three only sgfmill is missing from the device's image, per the device library's KINDS.md). And
# what travels is limited to 64 MiB a call, far less than this repository tracks: first
# `benchmarks/device_slim.sh prepare` (a checkout without weights/, the teacher runs staged in
# out/devdata), then the calls `benchmarks/device_slim.sh calls` prints, back to back (a warm
# machine keeps each call's carried folders for the next, if it comes within its 30 s), then
# `benchmarks/device_slim.sh restore`. With the 14 data folders of session 41 that is four calls:
#
#   run(command="du -sh out/devdata/*", carry=[<call 1's list>], timeout_s=120)   # calls 1-3
#   run(command="OUT=$OUT MINUTES=6 benchmarks/student_on_gpu.sh", carry=[<call 4's list>],
#       timeout_s=590)
#
# A teacher run missing there (a cold machine for a later call) is left out and named in
# gpu.txt.
#
# A dry run on this CPU (two minutes; checks the wheels, the growth, the fit and the export):
#
#   DEVICE=cpu MINUTES=1.5 VARIANTS=b6c128 BATCH=16 OUT=/tmp/gpu-dry benchmarks/student_on_gpu.sh
set -euo pipefail

OUT=${OUT:?set OUT to the folder for the results}
MINUTES=${MINUTES:-7}
VARIANTS=${VARIANTS:-"b10c128 b6c128 b6c64"}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-256}
LR=${LR:-5e-4}
INIT=${INIT:-weights/zerogo-19x19-b6c64.pt}
WORK=${WORK:-/tmp/student-on-gpu}     # run folders and logs (a run folder already there resumes)
WHEELS=${WHEELS:-out/wheels}
PY=${PY:-python3}                 # the device's python3 holds its torch
# the teacher runs: those staged in out/devdata by benchmarks/device_slim.sh, else the repository's
if [ -d out/devdata ]; then D=out/devdata; else D=weights/distil19/data; fi
# every kept teacher run but the held-out ones
DATA=${DATA:-$(find "$D" -mindepth 1 -maxdepth 1 -type d ! -name '*holdout*' | sort | tr '\n' ' ' || true)}

LOGS=$WORK/logs
mkdir -p "$OUT" "$LOGS"
export PYTHONPATH="$PWD:$WORK/deps:${PYTHONPATH:-}"
if ! "$PY" -c "import click, sgfmill, tqdm" 2>/dev/null; then
    "$PY" -m pip install --quiet --no-index --no-deps --target "$WORK/deps" "$WHEELS"/*.whl
fi
zerogo() { "$PY" -c "from gtp.cli import main; main()" "$@"; }

{ date -u +%FT%TZ; nvidia-smi 2>&1 || true; "$PY" -c "import torch; print('torch', torch.__version__, \
'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"; \
nproc; } > "$LOGS/gpu.txt"

data_args=()
for d in $DATA; do
    if [ -d "$d" ]; then data_args+=(--data "$d"); else echo "no $d: left out" | tee -a "$LOGS/gpu.txt" >&2; fi
done
pids=()
for v in $VARIANTS; do
    zerogo train "${data_args[@]}" --run-dir "$WORK/$v" --config "$v" --init "$INIT" \
        --batch-size "$BATCH" --steps 1000000 --minutes "$MINUTES" --fit-steps \
        --optimizer adamw --lr "$LR" --weight-decay 1e-4 --lr-schedule cosine --warmup-steps 100 \
        --window 1000 --teacher-mix 0.8 --score-weight 0.3 --device "$DEVICE" \
        --checkpoint-minutes 2 --log-every 50 --no-tensorboard --seed 40 --threads 4 \
        > "$LOGS/$v-train.log" 2>&1 &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done

for v in $VARIANTS; do
    [ -f "$WORK/$v/checkpoint.pt" ] || { echo "$v: no checkpoint" >&2; status=1; continue; }
    cp "$WORK/$v/metrics.csv" "$LOGS/$v-train-metrics.csv"
    "$PY" -c "import sys; from nets.checkpoints import write_weights_only; write_weights_only(*sys.argv[1:])" \
        "$WORK/$v/checkpoint.pt" "$OUT/$v.pt"
    zerogo export "$OUT/$v.pt" -o "$OUT/$v.onnx" --board-sizes 13,19 \
        --provenance "generation 2 grown into $v, trained on weights/distil19/data ($DATA) for $MINUTES min" \
        >> "$LOGS/$v-train.log" 2>&1 || status=1
done
date -u +%FT%TZ >> "$LOGS/gpu.txt"
tar -czf "$OUT/logs.tar.gz" -C "$LOGS" .
exit $status
