"""The status of every group (alive, dead, seki), and scoring with it: one answer for every caller.

``find_status`` is the answer that final_score, final_status_list,
kgs-genmove_cleanup, the GoGui views and the pass decision all use. It does
not rest on one network's guess:

1. unconditional life: pass-alive chains (Benson, ``engine.life``) are alive;
2. play-outs: the position is finished many times by the clean-up play-out
   policy (``engine.playout``: capture, save, fill, no multi-stone self-atari,
   no passing while anything is left) and read by Tromp-Taylor counting; a
   chain the opponent ends up owning is dead; a chain that survives next to
   shared liberties neither side could fill is in seki (``engine.seki``, the
   one seki finder: its votes over the play-outs);
3. ownership from networks, never as the only evidence: the caller's
   network (``prior``) worth ``prior_playouts`` play-outs, and, when the game
   is given, a strong net's (``engine.status_net``, KataGo's b15 when it is on
   the machine) worth ``status_net_share`` of all the play-outs, so it
   decides the chains the play-outs leave undecided;
4. chains whose every liberty lies in a small eye space they alone enclose
   and the opponent kills moving first, a square four, say, that a
   play-out's throw-in at the wrong point lets live (``engine.eye_reading``);
5. seki chains that a local reading kills (``engine.seki_reading``): a
   sacrifice that leaves a dead eye shape under every rule, and under
   territory rules (given the game) also a ko the defender cannot win at the
   confirmation, the bent four in the corner;
6. optionally (``search_playouts``, off by default) play-outs whose moves a
   searcher chooses (``searched_play_out``), each worth ``search_weight``.

The budget (play-outs, seconds) is a ``DeadStoneConfig`` setting; the seed
is fixed, so an answer repeats unless the clock cuts the play-outs short.
``cleanup_move`` is the move that takes a dead chain off (clean-up genmove,
the pass decision); ``status_chooser`` plays both sides' clean-up without a
network (the match runner's play-out). ``mc_status``/``mc_dead_stones``/
``mc_ownership`` keep the older names, answered by ``find_status``.
``ownership`` arrays here are black's view: +1 black owns the point, -1 white.
``engine.scoring`` counts with the answer: area rules ignore seki, territory
rules give no territory next to it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from engine import eye_reading, life, playout, seki_reading, status_net
from engine.board import BLACK, EMPTY, WHITE, Board
from engine.rules import AREA
from engine.scoring import area_ownership
from engine.seki import SekiVotes, shared_regions


@dataclass
class DeadStoneConfig:
    """Thresholds for reading ownership, and the budget of ``find_status``."""

    dead_threshold: float = 0.2     # mean opponent ownership above which a chain is dead
    playouts: int = 128             # clean-up play-outs per answer, at most (before the unsettled ones)
    min_playouts: int = 64          # ... and at least, whatever the clock says
    max_seconds: float = 1.5        # wall-clock budget for the play-outs
    unsettled_playouts: int = 2048  # given the game: more play-outs, up to this many, while a chain is unsettled
    unsettled_seconds: float = 3.0  # ... within this many more seconds (see _unsettled)
    prior_playouts: float = 4.0     # the caller's network ownership counts as this many play-outs (0: unused)
    status_net: str = "auto"        # a strong net's ownership when a game is given: auto, none or a file
    status_net_share: float = 1.0   # ... counted as this share of the play-outs' weight (see find_status)
    seki_vote: float = 0.5          # share of play-outs a chain must survive next to shared liberties
    seki_reading_nodes: int = 20_000  # positions a local reading (seki, eye space) may visit per chain (0: none)
    seed: int = 0
    search_playouts: int = 0        # play-outs whose moves a searcher chooses (off: see the README note)
    search_visits: int = 16         # visits per searched move
    search_seconds: float = 3.0     # budget for the searched play-outs (one that runs over is dropped)
    search_weight: float = 32.0     # each finished searched play-out counts as this many play-outs


FLOOR_PLAYOUTS = 8   # play-outs a status gets however short of time (the prior alone can be far off)


def within_seconds(cfg: DeadStoneConfig, seconds: float) -> DeadStoneConfig:
    """``cfg`` cut to a time budget: play-outs for at most ``seconds``, and fewer guaranteed ones (at least 8)."""
    if seconds >= cfg.max_seconds:
        return cfg
    seconds = max(seconds, 0.0)
    guaranteed = max(FLOOR_PLAYOUTS, int(cfg.min_playouts * seconds / cfg.max_seconds))
    return replace(cfg, max_seconds=seconds, min_playouts=min(cfg.min_playouts, guaranteed))


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


class _Evidence:
    """Final boards of play-outs, weighed: ownership sums, and seki votes per chain (``engine.seki``)."""

    def __init__(self, board: Board, chains):
        self.total = np.zeros(board.area)
        self.seki = SekiVotes(chains)
        self.weight = 0.0
        self.count = 0

    def add(self, final: Board, weight: float = 1.0) -> None:
        """Count one finished board."""
        self.total += weight * area_ownership(final).reshape(-1)
        self.seki.add(final, weight)
        self.weight += weight
        self.count += 1


def searched_play_out(game, choose: Callable, max_moves: int, deadline: float):
    """A copy of the game played on by ``choose(game, color)`` for both sides until two passes (None past ``deadline``).

    Clean-up style: when ``choose`` passes (or offers an unacceptable move)
    the play-out policy may still capture, save a chain in atari or fill a
    dame point (a point of an empty region touching both colours), so the
    final board is one that Tromp-Taylor counting scores as the players meant.
    """
    g = game.copy()
    g.board.passes = 0
    rng = random.Random(0)
    for _ in range(max_moves):
        if g.board.passes >= 2:
            return g
        if time.monotonic() > deadline:
            return None
        color, board = g.to_play, g.board
        move = choose(g, color)
        if move == board.pass_move or not playout.acceptable(board, move, color) or not g.is_legal(move, color):
            dead = find_status(board, cfg=DeadStoneConfig(playouts=32, min_playouts=32, seki_reading_nodes=0)).dead
            move = playout.choose_move(board, color, rng, dame_points(board, dead))
            if move != board.pass_move and not g.is_legal(move, color):
                move = board.pass_move
        g.play(move, color)
    return g


def dame_points(board: Board, dead=frozenset()) -> list[int]:
    """Empty points of the regions that living stones of both colours border (``dead`` stones count as empty)."""
    return [p for region in shared_regions(board, dead) for p in region]


def status_chooser(cfg: DeadStoneConfig | None = None) -> Callable:
    """A clean-up move chooser without a network: take off what ``find_status`` calls dead, else pass."""
    def choose(game, color: int) -> int:
        move = cleanup_move(game.board, color, find_status(game.board, cfg=cfg))
        return game.board.pass_move if move is None or not game.is_legal(move, color) else move
    return choose


def find_status(board: Board, prior: np.ndarray | None = None, cfg: DeadStoneConfig | None = None,
                game=None, choose: Callable | None = None) -> GroupStatus:
    """Dead, seki and pass-alive stones: Benson, then play-outs, with network ownership mixed in.

    ``prior`` (black's view) is the caller's network ownership, worth
    ``cfg.prior_playouts`` play-outs. With the ``game`` (the position of
    ``board``), also a strong net's ownership (``engine.status_net``,
    ``cfg.status_net``) worth ``cfg.status_net_share`` of all play-outs, and
    the game's rules for the local reading of seki (``engine.seki_reading``:
    kos count only under territory rules; without a game, area rules). With
    a move chooser ``choose(game, color) -> move`` (a searcher),
    ``cfg.search_playouts`` play-outs are also played by it
    (``searched_play_out``), each worth ``cfg.search_weight`` policy play-outs.
    """
    cfg = cfg or DeadStoneConfig()
    prior_flat = _check(board, prior)
    chains = board.chains()
    alive, territory = unconditional(board)
    out = GroupStatus(pass_alive=alive)
    if not chains:
        out.ownership = area_ownership(board).astype(float)
        return out
    evidence = _gather(board, chains, cfg, game, choose)
    out.playouts = evidence.count
    own = _mixed_ownership(evidence, prior_flat, cfg, game)
    for p in out.pass_alive:
        own[p] = board.stones[p]
    for p, owner in territory.items():
        own[p] = owner
    _classify(out, chains, own, territory, evidence.seki, cfg)
    territory_rules = game is not None and game.rules.scoring != AREA
    if cfg.seki_reading_nodes > 0:
        _read_eye_spaces(board, chains, out, own, territory_rules, cfg.seki_reading_nodes)
    if out.seki and cfg.seki_reading_nodes > 0:
        killed = seki_reading.dead_by_confirmation(board, out.seki, territory_rules, cfg.seki_reading_nodes)
        out.dead |= killed
        out.seki -= killed
        out.seki -= _left_alone(board, out.seki)
        for p in killed:
            own[p] = -board.stones[p]
    out.ownership = own.reshape(board.height, board.width)
    return out


def _read_eye_spaces(board: Board, chains, out: GroupStatus, own: np.ndarray, territory_rules: bool,
                     max_nodes: int) -> None:
    """Call dead the living chains whose small enclosed eye space the opponent kills (``engine.eye_reading``).

    The killer's stones inside that eye space live on, and it owns the space.
    """
    called = out.dead | out.seki | out.pass_alive
    candidates = [c for c in chains if c[1][0] not in called and len(c[2]) <= eye_reading.MAX_POINTS]
    for stones, space in eye_reading.dead_eye_shapes(board, candidates, out.dead, territory_rules, max_nodes):
        killer = -board.stones[stones[0]]
        out.dead.update(stones)
        out.dead.difference_update(space)
        own[stones] = killer
        own[space] = killer


def _classify(out: GroupStatus, chains, own: np.ndarray, territory: dict[int, int], seki: SekiVotes,
              cfg: DeadStoneConfig) -> None:
    """Fill ``out.dead`` and ``out.seki`` from the mixed ownership, Benson's territory and the seki votes."""
    for k, (color, stones, _) in enumerate(chains):
        if stones[0] in out.pass_alive:
            continue
        if territory.get(stones[0]) == -color or float(own[stones].mean()) * color < -cfg.dead_threshold:
            out.dead.update(stones)
        elif seki.share(k) >= cfg.seki_vote:
            out.seki.update(stones)


def _gather(board: Board, chains, cfg: DeadStoneConfig, game, choose) -> _Evidence:
    """The play-outs' evidence: searched play-outs (when asked and possible), then policy play-outs.

    Given the game (the answers that are reported: final_score, the status
    lists, the GoGui view, clean-up), play-outs go on in batches while some
    chain is still near the dead threshold; the pass decision, short of time,
    calls without the game and does without.
    """
    evidence = _Evidence(board, chains)
    if game is not None and choose is not None and cfg.search_playouts > 0:
        deadline = time.monotonic() + cfg.search_seconds
        for _ in range(cfg.search_playouts):
            final = searched_play_out(game, choose, 3 * board.area, deadline)
            if final is not None:
                evidence.add(final.board, cfg.search_weight)
    rng = random.Random(cfg.seed)
    deadline = time.monotonic() + cfg.max_seconds
    n = 0
    while n < cfg.playouts and (n < cfg.min_playouts or time.monotonic() < deadline):
        evidence.add(playout.play_out(board, rng))
        n += 1
    deadline = time.monotonic() + cfg.unsettled_seconds
    more = game is not None
    while more and n < cfg.unsettled_playouts and time.monotonic() < deadline and _unsettled(evidence, chains, cfg):
        for _ in range(UNSETTLED_BATCH):
            evidence.add(playout.play_out(board, rng))
        n += UNSETTLED_BATCH
    return evidence


UNSETTLED_BATCH = 16   # play-outs between two looks at whether some chain is still unsettled


def _unsettled(evidence: _Evidence, chains, cfg: DeadStoneConfig) -> bool:
    """Whether a chain's mean ownership is within two standard errors of the dead threshold."""
    own = evidence.total / evidence.weight
    for color, stones, _ in chains:
        mean = float(own[stones].mean()) * color
        error = np.sqrt(max(1.0 - mean * mean, 0.0) / evidence.count)
        if abs(mean + cfg.dead_threshold) < 2.0 * error:
            return True
    return False


def _mixed_ownership(evidence: _Evidence, prior_flat, cfg: DeadStoneConfig, game) -> np.ndarray:
    """Play-out ownership with the caller's prior and, given the game, the status net's ownership mixed in.

    The status net counts as ``status_net_share`` of the play-outs: with the
    default 1.0 a chain the play-outs leave undecided follows a confident
    net, while one the play-outs settle clearly (mean beyond 0.6 for a net
    sure of the opposite) keeps the play-outs' verdict.
    """
    own = evidence.total / evidence.weight
    if prior_flat is not None and cfg.prior_playouts > 0:
        weight = cfg.prior_playouts / (cfg.prior_playouts + evidence.weight)
        own = (1.0 - weight) * own + weight * np.clip(prior_flat, -1.0, 1.0)
    if game is not None and cfg.status_net != "none" and cfg.status_net_share > 0:
        strong = status_net.ownership(game, cfg.status_net)
        if strong is not None:
            own = (own + cfg.status_net_share * np.clip(strong.reshape(-1), -1.0, 1.0)) / (1.0 + cfg.status_net_share)
    return own


def _left_alone(board: Board, seki: set[int]) -> set[int]:
    """Seki stones no longer next to any other seki chain of the other colour (their partner died)."""
    lone: set[int] = set()
    for color, stones, libs in board.chains():
        if stones[0] not in seki:
            continue
        partners = {n for p in stones for n in board.neighbors(p)} | {n for q in libs for n in board.neighbors(q)}
        if not any(board.stones[n] == -color and n in seki for n in partners):
            lone.update(stones)
    return lone


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


def mc_status(board: Board, playouts: int | None = None, seed: int = 0) -> tuple[set[int], set[int]]:
    """(dead, seki) stones by ``find_status`` without a network (the name the network-free callers use)."""
    cfg = DeadStoneConfig(seed=seed)
    if playouts is not None:
        cfg.playouts = cfg.min_playouts = playouts
    status = find_status(board, cfg=cfg)
    return status.dead, status.seki


def mc_dead_stones(board: Board, playouts: int | None = None, seed: int = 0) -> set[int]:
    """The dead stones of ``mc_status``."""
    return mc_status(board, playouts, seed)[0]


def mc_ownership(board: Board, playouts: int = 64, seed: int = 0) -> np.ndarray:
    """Mean final Tromp-Taylor ownership (+1 black) over clean-up play-outs, shape (area,)."""
    cfg = DeadStoneConfig(playouts=playouts, min_playouts=playouts, seed=seed, prior_playouts=0.0)
    own = find_status(board, cfg=cfg).ownership
    return np.asarray(own, dtype=float).reshape(-1)
