"""Time printsgf (engine.sgf.game_to_sgf) on long games, and loading a huge all-pass SGF.

Run from the repository root: ``python3 benchmarks/sgf_long_games.py 2000 4000 8000``
(add ``--huge 1680000`` to time refusing an SGF of that many passes, ~8 MB).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.game import Game
from engine.sgf import SgfError, game_to_sgf, load_sgf


def main() -> None:
    """Print one line per game length, then the huge-file figure."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("moves", nargs="*", type=int, default=[2000, 4000, 8000])
    ap.add_argument("--huge", type=int, default=0, help="passes in the huge SGF (0: skip)")
    args = ap.parse_args()
    for n in args.moves:
        game = Game(19, 19)
        for _ in range(n):
            game.play(game.board.pass_move, game.to_play)
        t = time.perf_counter()
        data = game_to_sgf(game)
        dt = time.perf_counter() - t
        t = time.perf_counter()
        back = load_sgf(data)
        lt = time.perf_counter() - t
        assert len(back.moves) == n
        print(f"{n} moves: printsgf {dt:.3f} s ({len(data)} bytes), load {lt:.3f} s", flush=True)
    if args.huge:
        data = b"(;GM[1]FF[4]SZ[19]" + b";B[];W[]" * (args.huge // 2) + b")"
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        try:
            load_sgf(data)
            outcome = "loaded"
        except SgfError as exc:
            outcome = f"refused: {exc}"
        dt = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"huge SGF, {args.huge} passes, {len(data) / 1e6:.1f} MB: {dt:.3f} s, "
              f"peak RSS {before:.0f} MB before, {peak:.0f} MB after, {outcome}")


if __name__ == "__main__":
    main()
