#!/usr/bin/env bash
# hardlink new teacher shards into the training folder; shard 000004 is held out
while true; do
  for f in /work/data/distil9-raw/distil-9x9-*.npz; do
    b=$(basename $f)
    if [ "$b" = "distil-9x9-000004.npz" ]; then
      [ -e /work/data/distil9-holdout/$b ] || ln $f /work/data/distil9-holdout/$b
    else
      [ -e /work/data/distil9-train/$b ] || ln $f /work/data/distil9-train/$b
    fi
  done
  sleep 60
done
