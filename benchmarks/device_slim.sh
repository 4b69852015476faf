#!/usr/bin/env bash
# A checkout small enough to travel to a lent device machine, and back (issue 15).
#
# The device tool sends the checkout's tracked files, its untracked files that git does not
# ignore, and the ignored paths a call carries: 64 MiB in all. This repository tracks far
# more (its weights/ folder holds the teacher data, match records and loop runs), so no
# call could start from main. `prepare` copies the teacher-data folders a GPU run needs into
# the ignored out/devdata/ (hard links: no space taken) and checks out the branch
# `device-slim`: main's last commit without weights/ but for KEEP (generation 2's
# checkpoint), docs/ and tests/. `restore` checks main out again. Both refuse to touch a
# checkout with uncommitted changes. If a session ends between the two, the next one finds
# the checkout on device-slim: `benchmarks/device_slim.sh restore` (CI is not affected: it
# checks out main).
#
#   benchmarks/device_slim.sh prepare      # prints what one call would send, without carry
#   benchmarks/device_slim.sh size out/wheels out/devdata/run3 ...   # ... with these carried
#   benchmarks/device_slim.sh restore
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

SLIM=device-slim
KEEP=${KEEP:-weights/zerogo-19x19-b6c64.pt}
DATA_FROM=${DATA_FROM:-weights/distil19/data}
DATA_DIRS=${DATA_DIRS:-"run3 run4 run5 run6 run7 run8 run9 run10 dagger1 dagger3 dagger4 dagger5"}
DROP="weights docs tests"

clean_or_die() {
    if [ -n "$(git status --porcelain)" ]; then
        echo "uncommitted changes here: commit or stash them first" >&2
        exit 1
    fi
}

bytes() { xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

travelling_mib() {
    # tracked files, untracked files git does not ignore, then each carried path
    local total part
    total=$({ git ls-files -z; git ls-files -z --others --exclude-standard; } | bytes)
    echo -n "$(mib "$total") MiB in the checkout"
    for p in "$@"; do
        part=$(find "$p" -type f -print0 | bytes)
        total=$((total + part))
        echo -n ", $p $(mib "$part")"
    done
    echo "; in all: $(mib "$total") MiB (the limit: 64)"
}

case "${1:-}" in
prepare)
    clean_or_die
    [ "$(git rev-parse --abbrev-ref HEAD)" = main ] || { echo "prepare from main" >&2; exit 1; }
    mkdir -p out/devdata
    for d in $DATA_DIRS; do
        rm -rf "out/devdata/$d"
        cp -al "$DATA_FROM/$d" "out/devdata/$d"
    done
    index=$(mktemp)
    trap 'rm -f "$index"' EXIT
    GIT_INDEX_FILE=$index git read-tree HEAD
    GIT_INDEX_FILE=$index git rm -r -q --cached $DROP
    GIT_INDEX_FILE=$index git add -f $KEEP
    name=$(git config user.name || echo device-slim)          # a throwaway commit: any identity does
    email=$(git config user.email || echo device-slim@localhost)
    commit=$(git -c user.name="$name" -c user.email="$email" commit-tree \
        "$(GIT_INDEX_FILE=$index git write-tree)" -p HEAD \
        -m "device-slim: main $(git rev-parse --short HEAD) without $DROP (but $KEEP)")
    git branch -f "$SLIM" "$commit"
    git checkout -q "$SLIM"
    echo "on $SLIM ($(git rev-parse --short HEAD)); teacher data in out/devdata: $DATA_DIRS"
    travelling_mib
    ;;
size)
    shift
    travelling_mib "$@"
    ;;
restore)
    clean_or_die
    git checkout -q main
    echo "back on main ($(git rev-parse --short HEAD))"
    ;;
*)
    echo "usage: $0 prepare | size [CARRIED PATH ...] | restore" >&2
    exit 2
    ;;
esac
