"""The status of every group (alive, dead, seki), and scoring with it: one answer for every caller.

``find_status`` is the answer that final_score, final_status_list,
kgs-genmove_cleanup, the GoGui views and the pass decision all use. It does
not rest on one network's guess:

1. unconditional life: pass-alive chains (Benson, ``engine.life``) are alive;
2. play-outs: the position is finished many times by the clean-up play-out
   policy (``engine.playout``: capture, save, fill, no multi-stone self-atari,
   no passing while anything is left) and read by Tromp-Taylor counting; a
   chain the opponent ends up owning is dead, a chain that survives next to
   shared liberties neither side could fill is in seki;
3. a network's ownership, when there is one, is mixed in as a prior worth
   ``prior_playouts`` play-outs, never as the only evidence.

The budget (play-outs, seconds) is a ``DeadStoneConfig`` setting.

``ownership`` arrays here are black's view: +1 black owns the point, -1 white.
``classify`` reads one ownership array alone: a chain is dead when its stones
are, on average, owned by the opponent beyond ``dead_threshold``. Two living chains of opposite colours are in seki when they
share a liberty and each has exactly two liberties (so neither can fill the
shared point without being put in atari), and ownership of the shared liberties
is undecided. ``final_score`` hands both sets to ``engine.scoring``: area
rules ignore seki, territory (Japanese) rules give no territory next to it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import numpy as np

from engine import life, playout
from engine.board import BLACK, EMPTY, WHITE, Board
from engine.scoring import area_ownership


@dataclass
class DeadStoneConfig:
    """Thresholds for reading ownership, and the budget of ``find_status``."""

    dead_threshold: float = 0.2     # mean opponent ownership above which a chain is dead
    seki_undecided: float = 0.5     # |ownership| of a shared liberty below which it is neutral
    seki_max_liberties: int = 2
    playouts: int = 128             # clean-up play-outs per answer, at most
    min_playouts: int = 16          # ... and at least, whatever the clock says
    max_seconds: float = 1.5        # wall-clock budget for the play-outs
    prior_playouts: float = 8.0     # a network's ownership counts as this many play-outs (0: unused)
    seki_vote: float = 0.5          # share of play-outs a chain must survive next to shared liberties
    seed: int = 0


@dataclass
class GroupStatus:
    """The status of every chain of a position, and the evidence it came from."""

    dead: set[int] = field(default_factory=set)        # stones of dead chains
    seki: set[int] = field(default_factory=set)        # stones of living chains in seki
    pass_alive: set[int] = field(default_factory=set)  # stones of unconditionally alive chains
    ownership: np.ndarray | None = None                 # (height, width) black's view: the mix used
    playouts: int = 0

    def alive(self, board: Board) -> set[int]:
        """Stones neither dead nor in seki."""
        return {p for p, s in enumerate(board.stones) if s != EMPTY} - self.dead - self.seki


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


def unconditional(board: Board) -> tuple[set[int], dict[int, int]]:
    """(pass-alive stones, pass-alive territory point -> owner) of both colours (Benson, ``engine.life``).

    Opponent stones inside pass-alive territory are dead whatever anyone plays.
    """
    stones: set[int] = set()
    territory: dict[int, int] = {}
    for color in (BLACK, WHITE):
        result = life.pass_alive(board, color)
        stones |= result.stones
        territory.update(dict.fromkeys(result.territory, color))
    return stones, territory


def _playout_evidence(board: Board, cfg: DeadStoneConfig, chains) -> tuple[np.ndarray, list[int], int]:
    """(mean Tromp-Taylor ownership over play-outs, seki votes per chain, play-outs run)."""
    rng = random.Random(cfg.seed)
    total = np.zeros(board.area)
    votes = [0] * len(chains)
    deadline = time.monotonic() + cfg.max_seconds
    n = 0
    while n < cfg.playouts and (n < cfg.min_playouts or time.monotonic() < deadline):
        final = playout.play_out(board, rng)
        total += area_ownership(final).reshape(-1)
        shared = {p for region in playout.two_colour_regions(final) for p in region}
        if shared:
            for k, (color, stones, _) in enumerate(chains):
                first = stones[0]
                if final.stones[first] == color and not final.group_liberties(first).isdisjoint(shared):
                    votes[k] += 1
        n += 1
    return total / max(n, 1), votes, n


def find_status(board: Board, prior: np.ndarray | None = None,
                cfg: DeadStoneConfig | None = None) -> GroupStatus:
    """Dead, seki and pass-alive stones: Benson, then clean-up play-outs, with ``prior`` ownership mixed in."""
    cfg = cfg or DeadStoneConfig()
    prior_flat = _check(board, prior)
    chains = board.chains()
    alive, territory = unconditional(board)
    out = GroupStatus(pass_alive=alive)
    if not chains:
        out.ownership = area_ownership(board).astype(float)
        return out
    own, votes, out.playouts = _playout_evidence(board, cfg, chains)
    if prior_flat is not None and cfg.prior_playouts > 0:
        weight = cfg.prior_playouts / (cfg.prior_playouts + out.playouts)
        own = (1.0 - weight) * own + weight * np.clip(prior_flat, -1.0, 1.0)
    for p in out.pass_alive:
        own[p] = board.stones[p]
    for p, owner in territory.items():
        own[p] = owner
    for k, (color, stones, _) in enumerate(chains):
        if stones[0] in out.pass_alive:
            continue
        if territory.get(stones[0]) == -color:
            out.dead.update(stones)
            continue
        if float(own[stones].mean()) * color < -cfg.dead_threshold:
            out.dead.update(stones)
        elif votes[k] >= cfg.seki_vote * out.playouts:
            out.seki.update(stones)
    out.ownership = own.reshape(board.height, board.width)
    return out


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


def cleanup_move(board: Board, color: int, status: GroupStatus) -> int | None:
    """A move for ``color`` that takes a dead opponent chain off the board, or None.

    A capture when one is on, else a liberty of the dead chain with the fewest
    liberties that is a sensible play-out move (not ``color``'s own eye, not a
    multi-stone self-atari). The caller still checks superko.
    """
    targets = sorted(((len(libs), libs) for c, stones, libs in board.chains()
                      if c == -color and stones[0] in status.dead), key=lambda t: t[0])
    for _, libs in targets:
        for lib in sorted(libs):
            if playout.acceptable(board, lib, color):
                return lib
    return None
