"""The move-generator contract between the GTP layer and whatever chooses moves.

The GTP front end owns a ``Player`` and calls it; the searcher's ``MctsPlayer``
(engine/search.py) and the ``SimplePlayer`` below implement it. Values in
``CandidateInfo`` are from the point of view of the side to move.
"""

from __future__ import annotations

import inspect
import random
import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine.game import Game
from engine.playout import random_move


@dataclass
class MoveLimits:
    """How long to think: any limit that is set stops the search."""

    visits: int | None = None
    seconds_min: float = 0.0
    seconds_target: float | None = None
    seconds_max: float | None = None


@dataclass
class Decision:
    """A genmove answer: a legal move index, or resignation."""

    move: int
    resign: bool = False
    info: list["CandidateInfo"] = field(default_factory=list)


@dataclass
class CandidateInfo:
    """One candidate move in an analysis report (side to move's view)."""

    move: int
    visits: int
    winrate: float          # 0..1
    score_lead: float       # points
    prior: float            # 0..1
    lcb: float              # 0..1
    pv: list[int]           # principal variation, starting with ``move``
    pv_visits: list[int] = field(default_factory=list)   # visits of each node along ``pv``
    score_stdev: float = 0.0  # spread of the score over the move's searched replies
    score_utility: float = 0.0  # the search's score-utility bonus for the move (engine.mcts_node.ScoreUtility)


@dataclass
class AnalysisReport:
    """What the searcher knows right now: candidates in order, ownership (side to move)."""

    candidates: list[CandidateInfo]
    ownership: np.ndarray | None = None  # (height, width), +1 = side to move owns
    root_visits: int = 0
    root: CandidateInfo | None = None    # the position's own search value (move = pass, unused)
    raw_winrate: float | None = None     # the network's value of the position, 0..1
    raw_score: float | None = None       # the network's score lead of the position


@dataclass
class AnalysisRequest:
    """An analysis command's options (lz-analyze / kata-analyze / genmove_analyze)."""

    interval: float = 1.0                 # seconds between reports
    min_moves: int = 0
    max_moves: int = 0                    # 0: no limit
    avoid: dict = field(default_factory=dict)   # move -> until move number; colour-specific filtering done by caller
    allow: set | None = None              # only these moves at the root, if set
    want_ownership: bool = False
    max_visits: int | None = None         # stop growing the tree at this many root visits
    keep_reporting: bool = True           # after max_visits: keep reporting until stopped (GTP streams)
    show: set = field(default_factory=set)  # optional outputs asked for (pvVisits, rootInfo...): the formatter's


def accepts(method, name: str) -> bool:
    """True when ``method`` takes a keyword argument ``name`` (players written before it was added do not)."""
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def value_to_winrate(value: float) -> float:
    """A value in [-1, 1] for the side to move as a win rate in [0, 1]."""
    return (value + 1.0) / 2.0


class ResignCounter:
    """The one resignation rule: resign once a player's win rate stays below the threshold for
    ``consecutive`` of its own moves in a row. Thresholds are win rates in [0, 1]; 0 means never."""

    def __init__(self):
        self.low: dict[int, int] = {}

    def update(self, color: int, winrate: float, threshold: float, consecutive: int) -> bool:
        """Count one move of ``color``; True when it should resign now."""
        if threshold <= 0:
            return False
        self.low[color] = self.low.get(color, 0) + 1 if winrate < threshold else 0
        return self.low[color] >= consecutive

    def clear(self) -> None:
        """Forget the counts (a new game)."""
        self.low.clear()


class Player:
    """Chooses moves for a game; every method must leave ``game`` unchanged."""

    name = "zerogo"

    def genmove(self, game: Game, color: int, limits: MoveLimits | None = None,
                cleanup: bool = False, interrupt: threading.Event | None = None) -> Decision:
        """Choose a legal move (or resign) for ``color``; ``cleanup``: capture dead stones.

        ``interrupt``, once set, asks for the best move found so far at once.
        """
        raise NotImplementedError

    def genmove_analyze(self, game: Game, color: int, limits: MoveLimits | None,
                        report: Callable[[AnalysisReport], None], interval: float = 1.0,
                        cleanup: bool = False, interrupt: threading.Event | None = None) -> Decision:
        """``genmove`` that also calls ``report`` every ``interval`` s while thinking.

        Default: think as ``genmove`` does, then report the decision's candidates once.
        """
        extra = {"interrupt": interrupt} if accepts(self.genmove, "interrupt") else {}
        decision = self.genmove(game, color, limits, cleanup, **extra)
        if decision.info:
            report(AnalysisReport(list(decision.info)))
        return decision

    def analyze(self, game: Game, color: int, request: AnalysisRequest,
                report: Callable[[AnalysisReport], None], stop: threading.Event) -> None:
        """Search until ``stop`` is set, calling ``report`` every ``request.interval`` s."""
        stop.wait()

    def final_status(self, game: Game) -> tuple[set[int], set[int]]:
        """(dead stones, seki stones) of the position; default: ``engine.deadstones.find_status`` (no net)."""
        from engine.deadstones import DeadStoneConfig, find_status
        status = find_status(game.board, cfg=DeadStoneConfig(status_net="none"), game=game)
        return status.dead, status.seki

    def ownership(self, game: Game) -> np.ndarray | None:
        """Expected ownership (height, width), +1 black, or None if unknown."""
        return None

    def policy(self, game: Game) -> np.ndarray | None:
        """The network's move probabilities (area + 1,), or None without a network."""
        return None

    def ponder(self, game: Game, stop: threading.Event) -> None:
        """Think on the opponent's time until ``stop`` is set (default: nothing)."""

    def clear(self) -> None:
        """Forget any search state (new game)."""

    def check_board_size(self, width: int, height: int) -> None:
        """Raise ValueError (or ModelLoadError) if this player cannot play on the size."""

    def close(self) -> None:
        """Release what the player holds (network sessions); it is not used again."""


class SimplePlayer(Player):
    """Uniformly random legal moves that never fill the player's own true eyes."""

    name = "zerogo-simple"

    def __init__(self, seed: int | None = None):
        self._rng = random.Random(seed)

    def genmove(self, game: Game, color: int, limits: MoveLimits | None = None,
                cleanup: bool = False, interrupt: threading.Event | None = None) -> Decision:
        """A random legal non-eye-filling move, else pass; under clean-up, first take off dead stones."""
        if cleanup:
            from engine.deadstones import cleanup_move, find_status
            move = cleanup_move(game.board, color, find_status(game.board))
            if move is not None and game.is_legal(move, color):
                return Decision(move)
        mask = game.legal_mask(color)
        return Decision(random_move(game.board, color, self._rng, legal=lambda p: bool(mask[p])))


def has_own_status(player: Player) -> bool:
    """True when the player implements final_status itself (e.g. the searcher)."""
    return type(player).final_status is not Player.final_status
