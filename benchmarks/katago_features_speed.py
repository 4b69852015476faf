"""Speed of KataGo's V7 input features (engine.katago.features) on 19x19, one core.

Usage (from the repository root)::

    python3 benchmarks/katago_features_speed.py [--reps 3] [--children 16]

Three scenarios, each reported as median / p90 / max milliseconds per position
in CPU time of this process (``time.process_time``: a busy shared machine's
preemptions do not count; the cold scenario takes the best of ``--reps`` runs):

* ``cold``: every cache emptied first: the ladders of the current board and
  of the two boards before it are all computed from scratch (a position
  loaded from an SGF file);
* ``along the game``: the 19x19 reference games replayed move by move, each
  position encoded after its predecessor (what a game in progress costs);
* ``search children``: for every 19x19 reference position, up to
  ``--children`` positions one legal move later, encoded after their parent
  (what a search's leaf expansions cost: the parent's boards are known).

The last two time each position once, in order, as a game or a search meets them.

Positions: the 19x19 games in ``../shared/katago-reference/positions``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.evaluation import Position  # noqa: E402
from engine.katago import features as KF  # noqa: E402
from engine.katago import ladders  # noqa: E402
from engine.sgf import load_sgf_file  # noqa: E402


def clear_caches() -> None:
    """Forget every ladder and area result."""
    KF._LADDERS.data.clear()
    KF._AREAS.clear()
    ladders._CHAIN_MEMO.clear()


def timed(position: Position) -> float:
    """CPU milliseconds for one encode."""
    t = time.process_time()
    KF.encode(position)
    return (time.process_time() - t) * 1000.0


def report(label: str, times: list[float]) -> None:
    """One line of figures."""
    times = sorted(times)
    print(f"{label:18s} n={len(times):5d}  median {statistics.median(times):6.2f} ms  "
          f"p90 {times[int(0.9 * (len(times) - 1))]:6.2f} ms  max {times[-1]:6.2f} ms")


def main() -> None:
    """Run the three scenarios and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--children", type=int, default=16)
    parser.add_argument("--positions", type=Path,
                        default=ROOT.parent / "shared" / "katago-reference" / "positions")
    args = parser.parse_args()
    games = [load_sgf_file(p) for p in sorted(args.positions.glob("*-19x19-*.sgf"))]
    if not games:
        sys.exit(f"no 19x19 positions under {args.positions}")

    cold = []
    for game in games:
        pos = Position.from_game(game)
        best = float("inf")
        for _ in range(args.reps):
            clear_caches()
            best = min(best, timed(pos))
        cold.append(best)
    report("cold", cold)

    along = []
    for game in games:
        clear_caches()
        replay = game.copy()
        while replay.moves:
            replay.undo()
        start = Position.from_game(replay)
        KF.encode(start)
        node = start
        for _, move in game.moves:
            replay.play(move)
            node = node.child(replay.board.copy())
            along.append(timed(node))
    report("along the game", along)

    rng = random.Random(1)
    children = []
    for game in games:
        parent = Position.from_game(game)
        clear_caches()
        KF.encode(parent)
        legal = [int(p) for p in game.legal_mask().nonzero()[0]]
        for move in rng.sample(legal, min(args.children, len(legal))):
            board = game.board.copy()
            board.play(move)
            children.append(timed(parent.child(board)))
    report("search children", children)


if __name__ == "__main__":
    main()
