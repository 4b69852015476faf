"""Dead stones by Monte Carlo playouts, for players that have no opinion of their own.

The classic pre-network method (as in GNU Go's Monte Carlo scoring and the
early MC engines): play the position out many times with random legal moves
that never fill a true eye, and count who owns each point at the end. That
ownership goes through ``engine.deadstones.classify`` (the same reading the
searcher's ownership gets): a chain the opponent owns is dead; seki is found
from shared liberties.
Used by final_score / final_status_list when the Player does not override
``final_status`` (SimplePlayer). Seeded, so results are reproducible.
"""

from __future__ import annotations

import random

import numpy as np

from engine.board import EMPTY, Board
from engine.deadstones import classify
from engine.player import Player
from gtp.gogui import area_ownership


def playout(board: Board, rng: random.Random, max_moves: int) -> Board:
    """Play random non-eye-filling moves (pass when none) until two passes."""
    b = board.copy()
    b.passes = 0
    for _ in range(max_moves):
        if b.passes >= 2:
            break
        color = b.to_play
        empties = [p for p in range(b.area) if b.stones[p] == EMPTY]
        rng.shuffle(empties)
        move = b.pass_move
        for p in empties:
            if not b.is_eye(p, color) and b.illegal_reason(p, color) is None:
                move = p
                break
        b.play(move, color)
    return b


def mc_ownership(board: Board, playouts: int = 64, seed: int = 0) -> np.ndarray:
    """Mean final ownership (+1 black) over random playouts, shape (area,)."""
    rng = random.Random(seed)
    total = np.zeros(board.area)
    for _ in range(playouts):
        total += area_ownership(playout(board, rng, 3 * board.area)).reshape(-1)
    return total / max(playouts, 1)


def mc_status(board: Board, playouts: int | None = None, seed: int = 0) -> tuple[set[int], set[int]]:
    """(dead, seki) stones: playout ownership read by ``engine.deadstones.classify``."""
    if playouts is None:
        playouts = max(8, min(64, 6000 // board.area))
    own = mc_ownership(board, playouts, seed).reshape(board.height, board.width)
    return classify(board, own)


def dead_stones(board: Board, playouts: int | None = None, seed: int = 0) -> set[int]:
    """Chains the opponent owns in the playouts (on average, beyond the dead threshold)."""
    return mc_status(board, playouts, seed)[0]


def has_own_status(player: Player) -> bool:
    """True when the player implements final_status itself (e.g. the searcher)."""
    return type(player).final_status is not Player.final_status
