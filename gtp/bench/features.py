"""Speed of KataGo's V7 input features (engine.katago.features) on 19x19, one core.

Usage::

    zerogo bench features [--reps 3] [--children 16] [--positions DIR]

Three scenarios, each reported as median / p90 / max milliseconds per position
in CPU time of this process (``time.process_time``: a busy shared machine's
preemptions do not count; the cold scenario takes the best of ``reps`` runs):

* ``cold``: every cache emptied first: the ladders of the current board and
  of the two boards before it are all computed from scratch (a position
  loaded from an SGF file);
* ``along the game``: the 19x19 reference games replayed move by move, each
  position encoded after its predecessor (what a game in progress costs);
* ``search children``: for every 19x19 reference position, up to
  ``children`` positions one legal move later, encoded after their parent
  (what a search's leaf expansions cost: the parent's boards are known).

The last two time each position once, in order, as a game or a search meets them.

Positions: the 19x19 games in ``../shared/katago-reference/positions``.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from engine.evaluation import Position
from engine.katago import features as KF
from engine.sgf import load_sgf_file

DEFAULT_POSITIONS = Path(__file__).resolve().parents[2].parent / "shared" / "katago-reference" / "positions"


@dataclass
class FeatureBenchSettings:
    """What ``zerogo bench features`` measures."""

    positions: Path = DEFAULT_POSITIONS
    reps: int = 3          # cold scenario: best of this many runs
    children: int = 16     # search scenario: children per reference position
    seed: int = 1


def _cpu_ms(position: Position) -> float:
    """CPU milliseconds for one encode."""
    t = time.process_time()
    KF.encode(position)
    return (time.process_time() - t) * 1000.0


def _line(label: str, times: list[float]) -> str:
    """One line of figures."""
    times = sorted(times)
    return (f"{label:18s} n={len(times):5d}  median {statistics.median(times):6.2f} ms  "
            f"p90 {times[int(0.9 * (len(times) - 1))]:6.2f} ms  max {times[-1]:6.2f} ms")


def run_feature_bench(settings: FeatureBenchSettings) -> list[str]:
    """The three scenarios' figures, one line each; FileNotFoundError without 19x19 positions."""
    games = [load_sgf_file(p) for p in sorted(Path(settings.positions).glob("*-19x19-*.sgf"))]
    if not games:
        raise FileNotFoundError(f"no 19x19 positions (*-19x19-*.sgf) under {settings.positions}")
    out = []
    cold = []
    for game in games:
        pos = Position.from_game(game)
        best = float("inf")
        for _ in range(settings.reps):
            KF.clear_caches()
            best = min(best, _cpu_ms(pos))
        cold.append(best)
    out.append(_line("cold", cold))

    along = []
    for game in games:
        KF.clear_caches()
        replay = game.copy()
        while replay.moves:
            replay.undo()
        node = Position.from_game(replay)
        KF.encode(node)
        for _, move in game.moves:
            replay.play(move)
            node = node.child(replay.board.copy())
            along.append(_cpu_ms(node))
    out.append(_line("along the game", along))

    rng = random.Random(settings.seed)
    children = []
    for game in games:
        parent = Position.from_game(game)
        KF.clear_caches()
        KF.encode(parent)
        legal = [int(p) for p in game.legal_mask().nonzero()[0]]
        for move in rng.sample(legal, min(settings.children, len(legal))):
            board = game.board.copy()
            board.play(move)
            children.append(_cpu_ms(parent.child(board)))
    out.append(_line("search children", children))
    return out
