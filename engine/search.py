"""The searcher: limits, time, early exit, tree reuse, root noise, Gumbel, final move choice.

``Searcher.search(game, limits, clock)`` runs batched PUCT (or Gumbel
sequential halving at the root) on an ``engine.mcts.Tree`` and returns a
``SearchResult``. It stops on visits, on time (target, stretched up to the
maximum while the top two moves are close), or early when no other root move
can catch the leader in the budget left (Leela Zero's rule). The clock is
handed in, so tests use a fake one. Values in results are for the side to
move (see the convention at the top of ``engine.mcts_node``). ``MctsPlayer`` (the
GTP-facing ``Player``) lives in ``engine.mcts_player``, which imports this module.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine.evaluation import Evaluator
from engine.gumbel import SequentialHalving
from engine.mcts import Tree
from engine.mcts_node import PuctConfig, node_bytes, release
from engine.player import AnalysisReport, CandidateInfo, MoveLimits

log = logging.getLogger(__name__)


@dataclass
class SearchConfig:
    """Every search setting (GTP options and the training package fill these in)."""

    visits: int = 400                  # default visit limit when no limit is given
    batch_size: int = 8
    c_init: float = 1.25
    c_base: float = 19652.0
    fpu_reduction: float = 0.25
    fpu_reduction_root: float = 0.25
    reuse_tree: bool = True
    early_stop: bool = True
    lcb: bool = True
    lcb_z: float = 1.96
    lcb_min_visit_ratio: float = 0.1
    # self-play tools
    dirichlet_eps: float = 0.0         # > 0: noise at the root (self-play)
    dirichlet_alpha_scale: float = 10.83   # alpha = scale / candidate moves (0.03 on 19x19)
    temperature: float = 1.0
    temperature_moves: int = 0         # plies at the start sampled with ``temperature``
    forced_playouts_k: float = 0.0     # > 0: forced playouts + policy target pruning
    root_policy: str = "puct"          # or "gumbel"
    gumbel_m: int = 16
    gumbel_c_visit: float = 50.0
    gumbel_c_scale: float = 1.0
    playout_cap: bool = False          # playout cap randomization
    full_visits: int = 600
    fast_visits: int = 100
    full_probability: float = 0.25
    # play
    resign_threshold: float = 0.05     # winrate; 0 disables
    resign_consecutive: int = 3
    resign_min_move_fraction: float = 0.25   # never before area * this plies (plus handicap)
    ponder_max_visits: int = 10_000_000   # cap without a visit limit (time, ponder, analysis)
    max_tree_mb: int = 1024            # tree memory; past it the least-visited subtrees are pruned (0: no cap)
    pv_length: int = 12
    history: int = 8
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.root_policy not in ("puct", "gumbel"):
            raise ValueError(f"root_policy must be 'puct' or 'gumbel', not {self.root_policy!r}")
        if self.batch_size < 1 or self.visits < 1:
            raise ValueError("batch_size and visits must be at least 1")

    def puct(self, forced: bool) -> PuctConfig:
        """The selection settings for one search."""
        return PuctConfig(self.c_init, self.c_base, self.fpu_reduction, self.fpu_reduction_root,
                          self.forced_playouts_k if forced else 0.0)


@dataclass
class SearchResult:
    """What a search found; values are for the side to move."""

    move: int
    candidates: list[CandidateInfo]
    winrate: float
    score_lead: float
    root_visits: int
    playouts: int
    seconds: float
    full: bool = True
    policy_target: np.ndarray | None = None   # (area + 1,), only for full searches
    ownership: np.ndarray | None = None       # (h, w), side to move's view
    stop_reason: str = ""
    extra: dict = field(default_factory=dict)


class Searcher:
    """Runs searches for one game at a time, reusing the tree between moves."""

    def __init__(self, evaluator: Evaluator, config: SearchConfig | None = None):
        self.evaluator = evaluator
        self.config = config or SearchConfig()
        self.rng = np.random.default_rng(self.config.seed)
        self.tree: Tree | None = None

    def clear(self) -> None:
        """Forget the tree (its nodes are freed at once)."""
        if self.tree is not None:
            release(self.tree.root)
        self.tree = None

    def prepare(self, game) -> Tree:
        """The tree for the game's position: the old one re-rooted, or a fresh one."""
        if self.tree is not None and self.config.reuse_tree and self.tree.advance(game):
            return self.tree
        self.clear()
        self.tree = Tree(game, self.config.history)
        return self.tree

    # ---------------------------------------------------------------- search
    def search(self, game, limits: MoveLimits | None = None, clock: Callable[[], float] = time.monotonic,
               stop: threading.Event | None = None, report: Callable[[AnalysisReport], None] | None = None,
               interval: float = 1.0, interrupt: threading.Event | None = None) -> SearchResult:
        """Search the game's current position within ``limits``; the game is not changed.

        The cyclic garbage collector is paused meanwhile: a full collection over a
        big tree takes tenths of a second (measured 0.43 s at 9k nodes, under
        load), which a clock cannot afford; discarded subtrees are freed by
        ``release`` instead (see ``_gc_paused``).

        ``stop`` ends an open-ended search (pondering, analysis: no visit
        default, no early exit); ``interrupt`` cuts a normal search short
        (GoGui's Interrupt): it is checked between batches and the best move
        so far is chosen as usual.
        """
        with _gc_paused():
            return self._search(game, limits, clock, stop, report, interval, interrupt)

    def _search(self, game, limits, clock, stop, report, interval, interrupt=None) -> SearchResult:
        cfg = self.config
        start = clock()
        tree = self.prepare(game)
        full, visit_limit = self._visit_limit(limits, stop)
        if not tree.root.expanded:
            tree.run_batch(self.evaluator, cfg.puct(False), 1)
        tree.set_root_prior(tree.root.raw_prior.copy())
        if cfg.dirichlet_eps > 0 and full:
            tree.add_dirichlet_noise(self.rng, cfg.dirichlet_alpha_scale, cfg.dirichlet_eps)
        run = _Run(self, tree, limits or MoveLimits(), visit_limit, clock, start, stop, report, interval)
        run.interrupt = interrupt
        halving = None
        if cfg.root_policy == "gumbel":
            halving = SequentialHalving(tree.root, max(1, visit_limit - tree.root.visits), cfg.gumbel_m,
                                        self.rng, cfg.gumbel_c_visit, cfg.gumbel_c_scale)
            run.gumbel(halving)
        else:
            run.puct(cfg.puct(full and cfg.forced_playouts_k > 0))
        return self._result(game, tree, run, full, halving)

    def _visit_limit(self, limits: MoveLimits | None, stop) -> tuple[bool, int]:
        """(full search?, visit limit) from limits, playout cap randomization and pondering."""
        cfg = self.config
        if cfg.playout_cap:
            full = bool(self.rng.random() < cfg.full_probability)
            return full, cfg.full_visits if full else cfg.fast_visits
        if limits is not None and limits.visits:
            return True, int(limits.visits)
        timed = limits is not None and (limits.seconds_target is not None or limits.seconds_max is not None)
        if timed or stop is not None:
            return True, cfg.ponder_max_visits
        return True, cfg.visits

    def _result(self, game, tree: Tree, run: "_Run", full: bool, halving) -> SearchResult:
        """Choose the move and assemble the result."""
        cfg, root = self.config, tree.root
        cands = candidates(tree, cfg)
        move = self._choose(game, tree, cands, halving)
        target = None
        if full:
            target = policy_target(tree, cfg, halving)
        own = tree.ownership()
        return SearchResult(
            move=move, candidates=cands, winrate=(root.q() + 1) / 2, score_lead=root_score(tree),
            root_visits=root.visits, playouts=run.playouts, seconds=run.elapsed(), full=full,
            policy_target=target, ownership=None if own is None else own * root.board.to_play,
            stop_reason=run.reason, extra={"pruned_nodes": run.pruned, "tree_nodes": tree.node_count})

    def _choose(self, game, tree: Tree, cands: list[CandidateInfo], halving) -> int:
        """Temperature sampling in the self-play opening, Gumbel's pick, else the LCB/visits leader."""
        cfg, root = self.config, tree.root
        if halving is not None:
            return int(root.moves[halving.best_index(root)])
        if cfg.temperature_moves > len(game.moves) and cfg.temperature > 0 and root.child_N.sum() > 0:
            weights = root.child_N ** (1.0 / cfg.temperature)
            return int(self.rng.choice(root.moves, p=weights / weights.sum()))
        if not cands:
            return int(root.moves[int(np.argmax(root.prior))])
        return cands[0].move


def return_memory() -> None:
    """Collect what the paused collector left and hand freed heap pages back to the OS.

    For a new game (``clear_board``), not during a search: it walks every live
    object. ``malloc_trim`` exists on glibc only; elsewhere this just collects.
    """
    gc.unfreeze()
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@contextmanager
def _gc_paused():
    """Disable the cyclic collector for the block, then freeze what it allocated.

    Freezing moves the (mostly live) tree objects out of the collector's young
    generation, so the first collection after the search does not walk them all
    (0.15 s at 11k nodes). They are still freed by reference counting: the tree
    keeps no cycles once ``release`` has cut a discarded subtree's links.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


class _Run:
    """One search's loop: stopping rules, reporting and the batches."""

    def __init__(self, searcher: Searcher, tree: Tree, limits: MoveLimits, visit_limit: int,
                 clock, start: float, stop, report, interval: float):
        self.s, self.tree, self.limits, self.visit_limit = searcher, tree, limits, visit_limit
        self.clock, self.start, self.stop, self.report, self.interval = clock, start, stop, report, interval
        self.playouts, self.reason = 0, ""
        self.last_report = start
        self.interrupt: threading.Event | None = None
        mb = searcher.config.max_tree_mb
        self.max_nodes = (mb << 20) // node_bytes(tree.root.board.area) if mb > 0 else 0
        self.pruned = 0

    def bound_memory(self) -> None:
        """Prune the tree to 3/4 of its node budget once it exceeds the budget."""
        if self.max_nodes and self.tree.node_count > self.max_nodes:
            self.pruned += self.tree.prune(self.max_nodes * 3 // 4)
            log.debug("tree over %d MB: pruned to %d nodes (%d dropped in this search)",
                      self.s.config.max_tree_mb, self.tree.node_count, self.pruned)

    def elapsed(self) -> float:
        """Seconds since the search began."""
        return self.clock() - self.start

    def _time_left_visits(self, elapsed: float) -> float:
        """Playouts the time left allows at the rate so far (inf without a time limit)."""
        lim = self.limits
        end = lim.seconds_target if lim.seconds_target is not None else lim.seconds_max
        if end is None:
            return math.inf
        if self.playouts < 2 * self.s.config.batch_size or elapsed <= 0:
            return math.inf   # no rate measured yet: never stop early on a guess
        return max(0.0, (end - elapsed) * self.playouts / elapsed)

    def finished(self) -> bool:
        """True (with ``reason`` set) when a stopping rule fires."""
        lim, root = self.limits, self.tree.root
        elapsed = self.elapsed()
        if self.report is not None and elapsed - (self.last_report - self.start) >= self.interval:
            self.last_report = self.clock()
            self.report(analysis_report(self.tree, self.s.config))
        if self.interrupt is not None and self.interrupt.is_set():
            self.reason = "interrupted"
        elif self.stop is not None and self.stop.is_set():
            self.reason = "stopped"
        elif root.visits >= self.visit_limit:
            self.reason = "visits"
        elif lim.seconds_max is not None and elapsed >= lim.seconds_max:
            self.reason = "time"
        elif elapsed < lim.seconds_min:
            return False
        elif lim.seconds_target is not None and elapsed >= lim.seconds_target and not self._close_race():
            self.reason = "time"
        elif self.s.config.early_stop and self.stop is None and self._cannot_catch(elapsed):
            self.reason = "early"
        return bool(self.reason)

    def _close_race(self) -> bool:
        """True while the second move has at least 2/3 of the leader's visits (worth more time)."""
        n = self.tree.root.child_N
        if len(n) < 2 or self.limits.seconds_max is None:
            return False
        top = np.partition(n, -2)[-2:]
        return top[0] >= 0.66 * top[1] and top[1] >= 10

    def _cannot_catch(self, elapsed: float) -> bool:
        """Leela Zero's rule: no other root move can reach the leader's visits in the budget left."""
        n = self.tree.root.child_N
        if len(n) < 2:
            return True
        left = min(self.visit_limit - self.tree.root.visits, self._time_left_visits(elapsed))
        top = np.partition(n, -2)[-2:]
        return top[1] - top[0] > left

    def puct(self, puct: PuctConfig) -> None:
        """Batches of PUCT descents until a stopping rule fires."""
        batch = self.s.config.batch_size
        while not self.finished():
            size = int(max(1, min(batch, self.visit_limit - self.tree.root.visits)))
            self.playouts += self.tree.run_batch(self.s.evaluator, puct, size)
            self.bound_memory()

    def gumbel(self, halving: SequentialHalving) -> None:
        """Sequential halving at the root; PUCT below it."""
        puct, batch = self.s.config.puct(False), self.s.config.batch_size
        while True:
            choices = halving.next_choices(self.tree.root)
            if not choices:
                self.reason = self.reason or "visits"
                return
            for k in range(0, len(choices), batch):
                if self.stop is not None and self.stop.is_set() or (
                        self.interrupt is not None and self.interrupt.is_set()) or (
                        self.limits.seconds_max is not None and self.elapsed() >= self.limits.seconds_max):
                    self.reason = "time"
                    return
                self.playouts += self.tree.run_batch(self.s.evaluator, puct, batch, choices[k:k + batch])
                self.bound_memory()
            halving.end_phase(self.tree.root)


# ------------------------------------------------------------------ results
def root_score(tree: Tree) -> float:
    """The root's mean score lead for its side to move."""
    stub = tree.stub
    return float(-stub.child_S[0] / stub.child_N[0]) if stub.child_N[0] > 0 else 0.0


def lcb_values(node, z: float) -> np.ndarray:
    """Lower confidence bounds of the children's values (-inf below two visits)."""
    n = node.child_N
    q = node.child_W / np.maximum(n, 1.0)
    var = (np.maximum(node.child_W2 - n * q * q, 0.0) + 0.25) / np.maximum(n, 1.0)
    return np.where(n >= 2, q - z * np.sqrt(var / np.maximum(n, 1.0)), -np.inf)


def candidates(tree: Tree, cfg: SearchConfig) -> list[CandidateInfo]:
    """The visited root moves, best first (LCB among well-visited moves, then visits)."""
    root = tree.root
    if not root.expanded:
        return []
    n = root.child_N
    lcb = lcb_values(root, cfg.lcb_z)
    eligible = n >= max(2.0, cfg.lcb_min_visit_ratio * (n.max() if len(n) else 0))
    key = np.where(eligible, lcb, -np.inf) if cfg.lcb else np.full(len(n), -np.inf)
    order = sorted(np.flatnonzero(n > 0), key=lambda i: (-key[i] if eligible[i] and cfg.lcb else math.inf, -n[i]))
    out = []
    for i in order:
        q = root.child_W[i] / n[i]
        out.append(CandidateInfo(
            move=int(root.moves[i]), visits=int(n[i]), winrate=float((q + 1) / 2),
            score_lead=float(root.child_S[i] / n[i]), prior=float(root.raw_prior[i]),
            lcb=float(np.clip((lcb[i] + 1) / 2, 0.0, 1.0)) if np.isfinite(lcb[i]) else 0.0,
            pv=tree.principal_variation(root, int(i), cfg.pv_length),
            pv_visits=pv_visits(root, int(i), cfg.pv_length), score_stdev=reply_score_stdev(root, int(i))))
    return out


def pv_visits(node, first: int, length: int) -> list[int]:
    """Visits of each node along the principal variation from child ``first`` (as ``principal_variation``)."""
    out = [int(node.child_N[first])]
    child = node.children[first]
    while child is not None and child.expanded and len(out) < length and child.child_N.sum() > 0:
        j = int(np.argmax(child.child_N))
        out.append(int(child.child_N[j]))
        child = child.children[j]
    return out


def reply_score_stdev(node, i: int) -> float:
    """Standard deviation of the mean score over child ``i``'s searched replies (0 below two)."""
    return score_spread(node.children[i])


def score_spread(node) -> float:
    """Visit-weighted standard deviation of the children's mean scores (0 below two visits)."""
    if node is None or not node.expanded:
        return 0.0
    n = node.child_N
    if n.sum() < 2:
        return 0.0
    means = node.child_S / np.maximum(n, 1.0)
    mean = float((n * means).sum() / n.sum())
    return float(np.sqrt((n * (means - mean) ** 2).sum() / n.sum()))


def analysis_report(tree: Tree, cfg: SearchConfig) -> AnalysisReport:
    """A snapshot for the analysis commands (values and ownership: side to move's view)."""
    own = tree.ownership()
    root = tree.root
    winrate = (root.q() + 1) / 2
    stats = CandidateInfo(root.board.pass_move, root.visits, winrate, root_score(tree), 1.0, winrate, [],
                          score_stdev=score_spread(root))
    raw = root.expanded and root.visits > 0
    return AnalysisReport(candidates(tree, cfg), None if own is None else own * root.board.to_play,
                          root.visits, stats, (root.net_value + 1) / 2 if raw else None,
                          root.net_score if raw else None)


def pruned_visits(tree: Tree, k: float, puct: PuctConfig) -> np.ndarray:
    """KataGo's policy target pruning: take back forced playouts that PUCT would not have given."""
    root = tree.root
    n = root.child_N.copy()
    if k <= 0 or n.sum() == 0:
        return n
    total = n.sum()
    best = int(np.argmax(n))
    c = puct.c_init + math.log((total + puct.c_base + 1.0) / puct.c_base)
    sq = c * math.sqrt(total)
    q = root.child_W / np.maximum(n, 1.0)
    best_puct = q[best] + sq * root.prior[best] / (1.0 + n[best])
    for i in np.flatnonzero(n > 0):
        if i == best:
            continue
        forced = math.sqrt(k * root.prior[i] * total)
        gap = best_puct - q[i]
        needed = sq * root.prior[i] / gap - 1.0 if gap > 0 else n[i]
        n[i] = min(n[i], max(n[i] - forced, math.ceil(needed), 0.0))
        if n[i] <= 1:
            n[i] = 0.0
    return n


def policy_target(tree: Tree, cfg: SearchConfig, halving) -> np.ndarray:
    """The training policy target over area + 1 moves."""
    root = tree.root
    out = np.zeros(root.board.area + 1, dtype=np.float32)
    if halving is not None:
        out[root.moves] = halving.improved_policy(root)
        return out
    n = pruned_visits(tree, cfg.forced_playouts_k, cfg.puct(True))
    if n.sum() <= 0:
        n = root.child_N
    if n.sum() > 0:
        out[root.moves] = n / n.sum()
    return out
