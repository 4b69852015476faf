"""The search that self-play, tuning and gating run per move: ``engine.search.Searcher``.

``MoveSearch.run(game, full)`` returns a ``MoveResult``: the move the
searcher picked (temperature sampling in the opening, Gumbel's choice, else
LCB/visits), the root visit counts over ``area + 1`` moves (pass last), the
training policy target (``None`` for a fast search: playout cap randomization
keeps only full searches as samples) and the root value for the side to move.

One ``Searcher`` per game keeps its tree between moves. Full and fast searches
differ in visits, in root Dirichlet noise and in forced playouts (with policy
target pruning); both are switched per move on the searcher's config.

Leaf batching: the Searcher collects ``batch_size`` leaves per network call
(virtual loss); it does not hand its pending leaves out, so batching across
games happens one level up, in ``engine.batching.SharedBatcher``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.evaluation import Evaluation, Evaluator
from engine.game import Game
from engine.player import MoveLimits
from engine.search import SearchConfig, Searcher


@dataclass
class SearchSettings:
    """Search parameters that self-play, tuning and gating vary."""

    visits: int = 64
    fast_visits: int = 16
    root: str = "puct"            # "puct" or "gumbel"
    c_puct: float = 1.25          # engine's c_init
    fpu_reduction: float = 0.25
    batch_size: int = 8           # leaves per search batch (virtual loss spreads them)
    tree: str = "python"          # python/compiled/auto: the search tree (engine.tree_choice)
    dirichlet_eps: float = 0.25   # root noise weight in full searches
    dirichlet_alpha_scale: float = 10.83
    forced_playouts_k: float = 2.0   # full searches: KataGo forced playouts + target pruning
    gumbel_m: int = 16
    temperature: float = 1.0
    temperature_moves: int = 8

    def __post_init__(self) -> None:
        if self.root not in ("puct", "gumbel"):
            raise ValueError(f"root must be 'puct' or 'gumbel', not {self.root!r}")
        if self.visits < 1 or self.fast_visits < 1 or self.batch_size < 1:
            raise ValueError("visits, fast_visits and batch_size must be at least 1")

    def engine_config(self, seed: int | None = None) -> SearchConfig:
        """The engine SearchConfig these settings stand for (no early stop, no resignation)."""
        return SearchConfig(
            visits=self.visits, batch_size=self.batch_size, c_init=self.c_puct,
            fpu_reduction=self.fpu_reduction, fpu_reduction_root=self.fpu_reduction,
            early_stop=False, dirichlet_eps=self.dirichlet_eps,
            dirichlet_alpha_scale=self.dirichlet_alpha_scale, temperature=self.temperature,
            temperature_moves=self.temperature_moves, forced_playouts_k=self.forced_playouts_k,
            root_policy=self.root, gumbel_m=self.gumbel_m, resign_threshold=0.0, seed=seed, tree=self.tree)


@dataclass
class MoveResult:
    """What one move's search gives self-play."""

    move: int
    visits: np.ndarray            # (area + 1,) root child visit counts
    target: np.ndarray | None     # (area + 1,) policy target (sums to 1), None for fast searches
    value: float                  # root value, side to move's view, in [-1, 1]
    teacher: Evaluation | None = None  # the raw evaluation at the root, when a teacher records it


class MoveSearch:
    """Runs one game's searches: full (noise, forced playouts, a target) or fast."""

    def __init__(self, evaluator: Evaluator, settings: SearchSettings, rng: np.random.Generator):
        self.settings = settings
        self.searcher = Searcher(evaluator, settings.engine_config(int(rng.integers(2**31))))

    def run(self, game: Game, full: bool) -> MoveResult:
        """Search ``game`` (left unchanged) and return the chosen move and the statistics."""
        s, cfg = self.settings, self.searcher.config
        cfg.dirichlet_eps = s.dirichlet_eps if full else 0.0
        cfg.forced_playouts_k = s.forced_playouts_k if full else 0.0
        result = self.searcher.search(game, MoveLimits(visits=s.visits if full else s.fast_visits))
        counts = np.zeros(game.board.area + 1)
        for c in result.candidates:
            counts[c.move] = c.visits
        target = None
        if full and result.policy_target is not None and result.policy_target.sum() > 0:
            target = np.asarray(result.policy_target, np.float64)
            target = target / target.sum()
        return MoveResult(int(result.move), counts, target, 2.0 * result.winrate - 1.0)
