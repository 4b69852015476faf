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
#   benchmarks/device_slim.sh calls        # the staged data split into calls that fit
#   benchmarks/device_slim.sh restore
#
# `calls` packs the folders of out/devdata (largest first, each into the first call with room)
# into as few calls as fit LIMIT_MIB (60: a margin under the 64 a call may send) with the
# checkout, 8 carried paths a call at most, and prints each call's carry list; the last call
# also carries WHEELS (out/wheels) and is the one to run the training
# (benchmarks/student_on_gpu.sh), the others only land their data on the warm machine.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

SLIM=device-slim
KEEP=${KEEP:-weights/zerogo-19x19-b6c64.pt}
DATA_FROM=${DATA_FROM:-weights/distil19/data}
# every kept teacher run but the held-out ones
DATA_DIRS=${DATA_DIRS:-$(find "$DATA_FROM" -mindepth 1 -maxdepth 1 -type d ! -name '*holdout*' \
    -printf '%f\n' 2>/dev/null | sort | tr '\n' ' ' || true)}
LIMIT_MIB=${LIMIT_MIB:-60}
WHEELS=${WHEELS:-out/wheels}
DROP="weights docs tests"

clean_or_die() {
    if [ -n "$(git status --porcelain)" ]; then
        echo "uncommitted changes here: commit or stash them first" >&2
        exit 1
    fi
}

bytes() { xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

checkout_bytes() {
    # tracked files and untracked files git does not ignore
    { git ls-files -z; git ls-files -z --others --exclude-standard; } | bytes
}

folder_bytes() { find "$1" -type f -print0 | bytes; }

travelling_mib() {
    # the checkout, then each carried path
    local total part
    total=$(checkout_bytes)
    echo -n "$(mib "$total") MiB in the checkout"
    for p in "$@"; do
        part=$(folder_bytes "$p")
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
calls)
    [ -d out/devdata ] || { echo "no out/devdata: run prepare first" >&2; exit 1; }
    base=$(checkout_bytes)
    if [ "$base" -ge $((LIMIT_MIB * 1048576)) ]; then
        echo "the checkout alone is $(mib "$base") MiB: run prepare first" >&2
        exit 1
    fi
    [ -d "$WHEELS" ] && wheels=$(folder_bytes "$WHEELS") || { wheels=0; echo "no $WHEELS" >&2; }
    shopt -s nullglob
    for d in out/devdata/*/; do
        d=${d%/}
        echo "$(folder_bytes "$d") $d"
    done | sort -rn | awk -v base="$base" -v wheels="$wheels" -v wpath="$WHEELS" \
        -v limit="$((LIMIT_MIB * 1048576))" '
        # first fit, largest first; call 1 holds the wheels and runs the training (printed last)
        { size[NR] = $1; path[NR] = $2 }
        END {
            calls = 1; used[1] = base + wheels; paths[1] = wheels > 0 ? 1 : 0
            for (i = 1; i <= NR; i++) {
                if (base + size[i] > limit) {
                    printf "%s (%.1f MiB) does not fit one call\n", path[i], size[i] / 1048576 > "/dev/stderr"
                    exit 1
                }
                for (c = 1; c <= calls; c++)
                    if (used[c] + size[i] <= limit && paths[c] < 8) break
                if (c > calls) { calls = c; used[c] = base; paths[c] = 0 }
                used[c] += size[i]; paths[c]++; list[c] = list[c] ", \"" path[i] "\""
            }
            for (n = 1; n <= calls; n++) {
                c = n < calls ? n + 1 : 1
                carry = c == 1 && wheels > 0 ? "\"" wpath "\"" list[c] : substr(list[c], 3)
                printf "call %d of %d (%.1f MiB, %s): carry=[%s]\n", n, calls, used[c] / 1048576,
                    n < calls ? "lands data" : "trains", carry
            }
        }'
    ;;
restore)
    clean_or_die
    git checkout -q main
    echo "back on main ($(git rev-parse --short HEAD))"
    ;;
*)
    echo "usage: $0 prepare | size [CARRIED PATH ...] | calls | restore" >&2
    exit 2
    ;;
esac
