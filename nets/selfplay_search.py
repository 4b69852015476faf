"""The search that self-play runs per move: an adapter over ``engine.search`` with a fallback.

``MoveSearch.run(game, full)`` returns a ``MoveResult``: root visit counts over
``area + 1`` moves (pass last), the training policy target (``None`` for a
fast search: playout cap randomization keeps only full searches as samples)
and the root value from the side to move's view.

When ``engine.search`` provides ``Searcher``/``SearchConfig`` it is used (PUCT
or Gumbel root, noise, forced playouts and target pruning are its job).
Otherwise a compact PUCT search (``PuctSearch`` below: Dirichlet noise at the
root, first-play urgency reduction, one leaf per simulation) stands in; it asks
its evaluator for one position at a time, so batching across games is done by
``nets.selfplay.BatchingEvaluator``. Value sign convention: every value stored
in a node is from the point of view of the player to move at that node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.evaluation import Evaluator, Position
from engine.game import Game


@dataclass
class SearchSettings:
    """Search parameters that self-play, tuning and gating vary."""

    visits: int = 64
    fast_visits: int = 16
    root: str = "puct"            # "puct" or "gumbel"
    c_puct: float = 1.5
    fpu_reduction: float = 0.25
    virtual_loss: float = 1.0
    dirichlet_alpha: float | None = None   # None: 10 / legal moves
    noise_fraction: float = 0.25

    def __post_init__(self) -> None:
        if self.root not in ("puct", "gumbel"):
            raise ValueError(f"root must be 'puct' or 'gumbel', not {self.root!r}")
        if self.visits < 1 or self.fast_visits < 1:
            raise ValueError("visits and fast_visits must be at least 1")


@dataclass
class MoveResult:
    """What one move's search gives self-play."""

    visits: np.ndarray            # (area + 1,) root child visit counts
    target: np.ndarray | None     # (area + 1,) policy target (sums to 1), None for fast searches
    value: float                  # root value, side to move's view, in [-1, 1]


class _Node:
    """Per-child statistics on the parent, as numpy arrays (minigo style)."""

    __slots__ = ("moves", "prior", "N", "W", "children", "value")

    def __init__(self, moves: np.ndarray, prior: np.ndarray, value: float):
        self.moves = moves
        self.prior = prior
        self.N = np.zeros(len(moves), np.float64)
        self.W = np.zeros(len(moves), np.float64)
        self.children: dict[int, _Node] = {}
        self.value = value


def _terminal_value(game: Game) -> float:
    """+1/-1/0 for the side to move of a finished game (area score)."""
    margin = game.score()
    if margin == 0:
        return 0.0
    return 1.0 if (margin > 0) == (game.to_play == 1) else -1.0


class PuctSearch:
    """A compact PUCT search, one leaf per simulation (the fallback searcher)."""

    def __init__(self, evaluator: Evaluator, settings: SearchSettings, rng: np.random.Generator):
        self.evaluator = evaluator
        self.settings = settings
        self.rng = rng

    def _expand(self, game: Game) -> _Node:
        """Evaluate ``game``'s position and make a node over its legal moves."""
        if game.is_over():
            return _Node(np.zeros(0, np.int64), np.zeros(0), _terminal_value(game))
        ev = self.evaluator.evaluate([Position.from_game(game)])[0]
        legal = game.legal_mask()
        moves = np.flatnonzero(legal)
        prior = np.asarray(ev.policy, np.float64)[moves]
        total = prior.sum()
        prior = prior / total if total > 0 else np.full(len(moves), 1.0 / len(moves))
        return _Node(moves, prior, float(ev.value))

    def _select(self, node: _Node, is_root: bool) -> int:
        """Index of the child with the highest PUCT score."""
        s = self.settings
        total = node.N.sum()
        visited = node.N > 0
        q = np.where(visited, node.W / np.maximum(node.N, 1), 0.0)
        if not is_root or not visited.any():
            fpu = node.value - s.fpu_reduction * math.sqrt(float((node.prior * visited).sum()))
            q = np.where(visited, q, fpu)
        u = s.c_puct * node.prior * math.sqrt(total + 1) / (1 + node.N)
        return int(np.argmax(q + u))

    def _add_noise(self, root: _Node) -> None:
        """Mix Dirichlet noise into the root priors."""
        if len(root.moves) < 2:
            return
        alpha = self.settings.dirichlet_alpha or 10.0 / len(root.moves)
        noise = self.rng.dirichlet([alpha] * len(root.moves))
        f = self.settings.noise_fraction
        root.prior = (1 - f) * root.prior + f * noise

    def _simulate(self, root: _Node, game: Game) -> None:
        """One simulation: descend, expand a leaf, back the value up (negamax)."""
        node, path, g = root, [], game.copy()
        while len(node.moves):
            i = self._select(node, node is root)
            path.append((node, i))
            move = int(node.moves[i])
            g.play(move)
            child = node.children.get(move)
            if child is None:
                child = self._expand(g)
                node.children[move] = child
                value = child.value
                break
            node = child
            if not len(node.moves):
                value = node.value
                break
        else:
            value = node.value
        for parent, i in reversed(path):
            value = -value              # child's view -> parent's view
            parent.N[i] += 1
            parent.W[i] += value

    def search(self, game: Game, visits: int, noise: bool) -> tuple[np.ndarray, float]:
        """Root visit counts (area + 1,) and root value after ``visits`` simulations."""
        root = self._expand(game)
        counts = np.zeros(game.board.area + 1, np.float64)
        if not len(root.moves):
            return counts, root.value
        if noise:
            self._add_noise(root)
        for _ in range(visits):
            self._simulate(root, game)
        counts[root.moves] = root.N
        n = root.N.sum()
        value = (root.value + root.W.sum()) / (n + 1)
        return counts, float(value)


def _engine_searcher():
    """``engine.search`` if it offers the Searcher API, else None."""
    try:
        from engine import search
    except ImportError:
        return None
    return search if hasattr(search, "Searcher") and hasattr(search, "SearchConfig") else None


class MoveSearch:
    """Runs one move's search for self-play: full (noise, sampled target) or fast."""

    def __init__(self, evaluator: Evaluator, settings: SearchSettings,
                 rng: np.random.Generator, prefer_engine: bool = True):
        self.settings = settings
        self.rng = rng
        mod = _engine_searcher() if prefer_engine else None
        self.engine = _EngineAdapter(mod, evaluator, settings, rng) if mod else None
        if self.engine is None and settings.root == "gumbel":
            raise ValueError("the Gumbel root needs engine.search (not available here)")
        self.fallback = PuctSearch(evaluator, settings, rng)

    def run(self, game: Game, full: bool) -> MoveResult:
        """Search ``game`` (left unchanged); full searches add root noise and give a target."""
        if self.engine is not None:
            return self.engine.run(game, full)
        visits = self.settings.visits if full else self.settings.fast_visits
        counts, value = self.fallback.search(game, visits, noise=full)
        target = counts / counts.sum() if full and counts.sum() > 0 else None
        return MoveResult(counts, target, value)


class _EngineAdapter:
    """Drives ``engine.search.Searcher`` for one self-play game."""

    def __init__(self, mod, evaluator, settings: SearchSettings, rng):
        self.mod = mod
        self.evaluator = evaluator
        self.settings = settings
        self.rng = rng
        self.searchers: dict[bool, object] = {}

    def _searcher(self, full: bool):
        """A cached Searcher configured for a full or a fast search."""
        if full not in self.searchers:
            s = self.settings
            cfg = _make_search_config(self.mod.SearchConfig, s, full)
            self.searchers[full] = self.mod.Searcher(self.evaluator, cfg)
        return self.searchers[full]

    def run(self, game: Game, full: bool) -> MoveResult:
        """One search through the engine's Searcher."""
        visits = self.settings.visits if full else self.settings.fast_visits
        result = _call_search(self._searcher(full), game, visits)
        area = game.board.area
        counts = np.zeros(area + 1)
        for move, n in _result_visits(result):
            counts[move] = n
        target = getattr(result, "policy_target", None)
        if target is None and counts.sum() > 0:
            target = counts / counts.sum()
        return MoveResult(counts, np.asarray(target, np.float64) if full else None,
                          float(getattr(result, "value", 0.0)))


def _make_search_config(cls, s: SearchSettings, full: bool):
    """Build the engine's SearchConfig from the fields it has."""
    import dataclasses
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    wanted = {"root": s.root, "c_puct": s.c_puct, "fpu_reduction": s.fpu_reduction,
              "virtual_loss": s.virtual_loss, "dirichlet_alpha": s.dirichlet_alpha,
              "noise_fraction": s.noise_fraction, "root_noise": full, "noise": full,
              "visits": s.visits if full else s.fast_visits}
    return cls(**{k: v for k, v in wanted.items() if k in names and v is not None})


def _call_search(searcher, game: Game, visits: int):
    """Call the engine's search with a visit limit."""
    from engine.player import MoveLimits
    return searcher.search(game, MoveLimits(visits=visits))


def _result_visits(result) -> list[tuple[int, int]]:
    """(move, visits) pairs from an engine SearchResult."""
    visits = getattr(result, "visits", None)
    if isinstance(visits, dict):
        return list(visits.items())
    if visits is not None and hasattr(visits, "__len__"):
        return [(i, v) for i, v in enumerate(visits) if v]
    return [(c.move, c.visits) for c in getattr(result, "candidates", [])]
