"""The one random-playout move policy: a random legal move that never fills the mover's own true eye.

Used by the network-free player, the Monte Carlo dead-stone finder, the board
benchmark, the GNU Go data games and the tests. Order: board ← playout.
"""

from __future__ import annotations

import random
from typing import Callable

from engine.board import EMPTY, Board


def random_move(board, color: int, rng: random.Random, legal: Callable[[int], bool] | None = None) -> int:
    """A uniformly random empty point that is legal and not ``color``'s own true eye; pass when none.

    ``legal(point)`` defaults to the board's own rule check; a caller with a
    game (superko) passes its legal mask's lookup instead.
    """
    empties = [p for p in range(board.area) if board.stones[p] == EMPTY]
    rng.shuffle(empties)
    for p in empties:
        if not board.is_eye(p, color) and (board.illegal_reason(p, color) is None if legal is None else legal(p)):
            return p
    return board.pass_move


def playout(board: Board, rng: random.Random, max_moves: int) -> Board:
    """A copy of ``board`` played on with ``random_move`` until two passes (or ``max_moves``)."""
    b = board.copy()
    b.passes = 0
    for _ in range(max_moves):
        if b.passes >= 2:
            break
        color = b.to_play
        b.play(random_move(b, color, rng), color)
    return b
