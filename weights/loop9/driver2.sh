#!/bin/bash
# waits for the running generation (PID $1), then runs generations 6.. one at a time,
# starting a new one only before the cutoff in cutoff.txt (UTC time, re-read each time)
while kill -0 $1 2>/dev/null; do sleep 5; done
for N in 6 7 8 9 10 11 12; do
  CUTOFF=$(date -d "$(cat /work/data/loop9/logs/cutoff.txt)" +%s)
  if [ $(date +%s) -ge $CUTOFF ]; then echo "cutoff before gen $N $(date -u)"; break; fi
  /work/data/loop9/logs/run_gen.sh $N 400
done
echo "driver done $(date -u)"
