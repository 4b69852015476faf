"""Dead stones and seki from ownership (the network's head, averaged over a search), and scoring with them.

``ownership`` arrays here are black's view: +1 black owns the point, -1 white.
A chain is dead when its stones are, on average, owned by the opponent beyond
``dead_threshold``. Two living chains of opposite colours are in seki when they
share a liberty and each has exactly two liberties (so neither can fill the
shared point without being put in atari), and ownership of the shared liberties
is undecided. ``final_score`` hands both sets to ``engine.scoring``: area
rules ignore seki, territory (Japanese) rules give no territory next to it.

Without a network the ownership comes from Monte Carlo playouts (``mc_status``):
the classic pre-network method (GNU Go's Monte Carlo scoring, the early MC
engines) plays the position out many times with ``engine.playout`` and counts
who owns each point at the end; that ownership is read by ``classify`` like
the searcher's. Seeded, so results are reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from engine import scoring
from engine.board import Board
from engine.playout import playout


@dataclass
class DeadStoneConfig:
    """Thresholds for reading ownership."""

    dead_threshold: float = 0.3     # mean opponent ownership above which a chain is dead
    seki_undecided: float = 0.5     # |ownership| of a shared liberty below which it is neutral
    seki_max_liberties: int = 2


class OwnershipShapeError(ValueError):
    """An ownership array that does not match the board."""


def _check(board: Board, ownership: np.ndarray | None) -> np.ndarray | None:
    if ownership is None:
        return None
    own = np.asarray(ownership, dtype=np.float64)
    if own.shape != (board.height, board.width):
        raise OwnershipShapeError(f"ownership shape {own.shape} does not match the "
                                  f"{board.width}x{board.height} board")
    return own.reshape(-1)


def dead_stones(board: Board, ownership: np.ndarray | None, cfg: DeadStoneConfig | None = None) -> set[int]:
    """Stones of chains the opponent owns (none without ownership)."""
    cfg = cfg or DeadStoneConfig()
    own = _check(board, ownership)
    dead: set[int] = set()
    if own is None:
        return dead
    for color, stones, _ in board.chains():
        if float(own[stones].mean()) * color < -cfg.dead_threshold:
            dead.update(stones)
    return dead


def seki_stones(board: Board, dead: set[int], ownership: np.ndarray | None,
                cfg: DeadStoneConfig | None = None) -> set[int]:
    """Stones of living chains in seki (see the module docstring)."""
    cfg = cfg or DeadStoneConfig()
    own = _check(board, ownership)
    alive = [(c, s, l) for c, s, l in board.chains() if s[0] not in dead]
    by_liberty: dict[int, list[int]] = {}
    for k, (_, _, libs) in enumerate(alive):
        for lib in libs:
            by_liberty.setdefault(lib, []).append(k)
    seki: set[int] = set()
    for lib, owners in by_liberty.items():
        if own is not None and abs(own[lib]) >= cfg.seki_undecided:
            continue
        short = [k for k in owners if 2 <= len(alive[k][2]) <= cfg.seki_max_liberties]
        colors = {alive[k][0] for k in short}
        if len(colors) == 2 and len(short) == len(owners):
            for k in short:
                seki.update(alive[k][1])
    return seki


def classify(board: Board, ownership: np.ndarray | None,
             cfg: DeadStoneConfig | None = None) -> tuple[set[int], set[int]]:
    """(dead stones, seki stones) of a position."""
    dead = dead_stones(board, ownership, cfg)
    return dead, seki_stones(board, dead, ownership, cfg)


def final_score(game, ownership: np.ndarray | None, cfg: DeadStoneConfig | None = None) -> str:
    """GTP final_score text with dead stones removed and seki honoured under the game's rules."""
    dead, seki = classify(game.board, ownership, cfg)
    return game.result_string(dead, seki)


def status_list(board: Board, dead: set[int], seki: set[int], status: str) -> list[list[int]]:
    """GTP final_status_list: the chains (stone lists) that are ``alive``, ``dead`` or ``seki``."""
    if status not in ("alive", "dead", "seki"):
        raise ValueError(f"unknown status {status!r} (alive, dead or seki)")
    out = []
    for _, stones, _ in board.chains():
        first = stones[0]
        kind = "dead" if first in dead else "seki" if first in seki else "alive"
        if kind == status:
            out.append(sorted(stones))
    return out


def mc_ownership(board: Board, playouts: int = 64, seed: int = 0) -> np.ndarray:
    """Mean final area ownership (+1 black) over random playouts, shape (area,)."""
    rng = random.Random(seed)
    total = np.zeros(board.area)
    for _ in range(playouts):
        total += scoring.area_ownership(playout(board, rng, 3 * board.area)).astype(float).reshape(-1)
    return total / max(playouts, 1)


def mc_status(board: Board, playouts: int | None = None, seed: int = 0) -> tuple[set[int], set[int]]:
    """(dead, seki) stones: playout ownership read by ``classify``."""
    if playouts is None:
        playouts = max(8, min(64, 6000 // board.area))
    own = mc_ownership(board, playouts, seed).reshape(board.height, board.width)
    return classify(board, own)


def mc_dead_stones(board: Board, playouts: int | None = None, seed: int = 0) -> set[int]:
    """Chains the opponent owns in the playouts (on average, beyond the dead threshold)."""
    return mc_status(board, playouts, seed)[0]
