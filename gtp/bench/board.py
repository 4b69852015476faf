"""``zerogo bench board``: moves and random playouts per second, beside a naive board.

Two workloads, each run on ``engine.board.Board`` and on the pure-Python
``ReferenceBoard`` kept beside this module, so the ratio comes from one run:

* play on a copy: from a fixed mid-game position, copy the board and play
  one legal move, cycling through every legal move (what a tree search does);
* random playouts: from the empty board, random legal moves that do not fill
  the mover's own true eye, until two passes (capped at 3x the board area).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from engine.board import Board
from engine.playout import random_move as playout_move
from gtp.bench.reference_board import ReferenceBoard


@dataclass(frozen=True)
class BenchSettings:
    """How long each measurement runs and which seed makes the positions."""

    seconds: float = 1.0
    seed: int = 1


def random_move(board, rng: random.Random) -> int:
    """``engine.playout.random_move`` for the side to move, legal by the board's own ``is_legal`` (either board)."""
    return playout_move(board, board.to_play, rng, legal=board.is_legal)


def playout(board, rng: random.Random) -> int:
    """Play random moves on board until two passes or the cap; returns moves played."""
    cap = 3 * board.area
    for played in range(1, cap + 1):
        board.play(random_move(board, rng))
        if board.passes >= 2:
            return played
    return cap


def midgame(factory, size: int, seed: int):
    """A board after size*size//3 seeded random moves (the same for every factory)."""
    rng = random.Random(seed)
    board = factory(size)
    for _ in range(size * size // 3):
        board.play(random_move(board, rng))
    return board


def play_on_copy_rate(base, seconds: float) -> float:
    """Moves per second for copy() + play() over every legal move of base."""
    legal = [p for p in range(base.area) if base.is_legal(p)] or [base.pass_move]
    done, start = 0, time.perf_counter()
    while True:
        for move in legal:
            base.copy().play(move)
        done += len(legal)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def playout_rate(factory, size: int, seconds: float, seed: int) -> tuple[float, float]:
    """Random playouts per second and playout moves per second from the empty board."""
    rng = random.Random(seed)
    games = moves = 0
    start = time.perf_counter()
    while True:
        moves += playout(factory(size), rng)
        games += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return games / elapsed, moves / elapsed


def measure(factory, size: int, settings: BenchSettings) -> dict[str, float]:
    """All figures for one board implementation at one size."""
    base = midgame(factory, size, settings.seed)
    copy_rate = play_on_copy_rate(base, settings.seconds)
    playouts, playout_moves = playout_rate(factory, size, settings.seconds, settings.seed)
    return {"copy_play": copy_rate, "playouts": playouts, "playout_moves": playout_moves}


IMPLEMENTATIONS = {"zerogo": Board, "reference": ReferenceBoard}


def run_bench(sizes: list[int], settings: BenchSettings) -> list[str]:
    """Measure every implementation at every size; return the report lines."""
    lines = [f"{'size':>5}  {'board':<10} {'copy+play moves/s':>18} "
             f"{'playouts/s':>11} {'playout moves/s':>16}"]
    for size in sizes:
        results = {name: measure(cls, size, settings) for name, cls in IMPLEMENTATIONS.items()}
        for name, r in results.items():
            lines.append(f"{size}x{size:<3} {name:<10} {r['copy_play']:>18,.0f} "
                         f"{r['playouts']:>11,.1f} {r['playout_moves']:>16,.0f}")
        ours, ref = results["zerogo"], results["reference"]
        lines.append(f"{size}x{size:<3} {'ratio':<10} {ours['copy_play'] / ref['copy_play']:>17.1f}x "
                     f"{ours['playouts'] / ref['playouts']:>10.1f}x "
                     f"{ours['playout_moves'] / ref['playout_moves']:>15.1f}x")
    return lines
