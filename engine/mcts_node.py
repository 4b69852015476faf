"""Search-tree nodes: per-child arrays, PUCT selection with virtual loss, memory per node.

Value sign convention (read this first)
---------------------------------------
``Evaluation.value`` is for the side to move at the evaluated position. A
node's per-child arrays (``child_N``, ``child_W``, ``child_W2``, ``child_S``)
describe its children from the point of view of the player to move AT THAT
NODE, the one choosing among them: ``child_W[i] / child_N[i]`` is how good
move ``i`` is for the player who plays it (as in minigo and Leela Zero).
Backing up a leaf value ``v`` adds ``-v`` in the leaf's parent's arrays,
``+v`` one level higher, and so on. A node's own statistics live in its
parent's arrays; the root has a one-slot ``_Stub`` parent, so the root's
own value for its side to move is ``-stub.child_W[0] / stub.child_N[0]``.

Children are created lazily (``engine.mcts.Tree.make_child``): expansion
keeps every empty point and pass (minus the simple-ko point); a move found
illegal when its child is first built is deleted from the arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.board import Board
from engine.evaluation import Evaluation, Position


_TWO_OVER_PI = 2.0 / math.pi


@dataclass(frozen=True)
class ScoreUtility:
    """KataGo's score utility: a bounded bonus for a larger mean score, added to a move's value.

    A move's utility is its mean value (-1..1) plus
    ``static * 2/pi * atan(s / static_scale) + dynamic * 2/pi * atan((s - centre) / dynamic_scale)``
    for its mean score lead ``s`` (the chooser's view). The static term prefers
    winning by more and losing by less everywhere; the dynamic one is steep
    around the score the root expected when the search began, so a won or lost
    game (every value near +-1) is still played for points, not at random.
    Scales are in points (KataGo: 2.0 and 0.75 times the square root of the area).
    It orders PUCT's choices and the final LCB pick; Gumbel's root halving
    (self-play) still compares values alone.
    """

    static: float = 0.0
    dynamic: float = 0.0
    static_scale: float = 1.0
    dynamic_scale: float = 1.0
    centre_black: float = 0.0    # the dynamic term's centre, black's view

    def terms(self, to_play: int) -> tuple[float, float, float, float, float]:
        """(static weight, 1 / static scale, dynamic weight, 1 / dynamic scale, centre) for ``to_play``."""
        return (_TWO_OVER_PI * self.static, 1.0 / self.static_scale, _TWO_OVER_PI * self.dynamic,
                1.0 / self.dynamic_scale, self.centre_black * to_play)

    def value(self, score: float, to_play: int) -> float:
        """The bonus for mean score ``score`` of the side ``to_play`` (BLACK 1, WHITE -1)."""
        k_static, inv_static, k_dynamic, inv_dynamic, centre = self.terms(to_play)
        return k_static * math.atan(score * inv_static) + k_dynamic * math.atan((score - centre) * inv_dynamic)

    def values(self, scores: np.ndarray, to_play: int) -> np.ndarray:
        """``value`` over an array of mean scores."""
        k_static, inv_static, k_dynamic, inv_dynamic, centre = self.terms(to_play)
        return k_static * np.arctan(scores * inv_static) + k_dynamic * np.arctan((scores - centre) * inv_dynamic)


@dataclass
class PuctConfig:
    """PUCT selection: AlphaZero's exploration schedule and Leela Zero's first-play urgency."""

    c_init: float = 1.25
    c_base: float = 19652.0
    fpu_reduction: float = 0.25
    fpu_reduction_root: float = 0.25
    forced_k: float = 0.0          # > 0: KataGo forced playouts at the root (n = sqrt(k P N))
    utility: ScoreUtility | None = None   # None: moves are judged by value alone


class _Stub:
    """The root's parent: one slot holding the root's own statistics."""

    __slots__ = ("child_N", "child_W", "child_W2", "child_S", "child_VL", "parent")

    def __init__(self, n: float = 0.0, w: float = 0.0, w2: float = 0.0, s: float = 0.0):
        self.child_N = np.array([n])
        self.child_W = np.array([w])
        self.child_W2 = np.array([w2])
        self.child_S = np.array([s])
        self.child_VL = np.zeros(1)
        self.parent = None


class Node:
    """A position in the tree, with its children's statistics as numpy arrays."""

    __slots__ = ("parent", "index", "board", "position", "key", "moves", "prior", "raw_prior",
                 "child_N", "child_W", "child_W2", "child_S", "child_VL", "children",
                 "terminal", "net_value", "net_score", "pending", "total", "visited_prior",
                 "touched", "untouched_prior", "best_untouched")

    def __init__(self, parent, index: int, board: Board, position: Position, key: int):
        self.parent, self.index = parent, index
        self.board, self.position, self.key = board, position, key
        self.moves = None           # np.int64 array of candidate moves once expanded
        self.children: list = []
        self.terminal: tuple[float, float] | None = None   # (value, score) for side to move
        self.net_value = 0.0
        self.net_score = 0.0
        self.pending = False
        self.total = 0.0            # sum(child_N) + sum(child_VL), kept up to date
        self.visited_prior = 0.0    # sum of the priors of children with visits (first-play urgency)
        self.touched: list[int] = []  # children ever descended into (see select_child)
        self.untouched_prior = None   # prior of each child never descended into; -1.0 once touched
        self.best_untouched = -1      # highest-prior child never descended into (-1: recompute)

    @property
    def expanded(self) -> bool:
        """True once the network has been asked about this node."""
        return self.moves is not None

    @property
    def visits(self) -> int:
        """Visits through this node (from the parent's arrays)."""
        return int(self.parent.child_N[self.index])

    def q(self) -> float:
        """Mean value for this node's side to move (0 when unvisited)."""
        n = self.parent.child_N[self.index]
        return float(-self.parent.child_W[self.index] / n) if n > 0 else 0.0

    def expand(self, ev: Evaluation, temperature: float = 1.0) -> None:
        """Set up the children arrays from an evaluation's policy (each prior to the power 1/``temperature``)."""
        board = self.board
        area = board.area
        candidate = np.empty(area + 1, dtype=bool)
        np.equal(board.stones_flat(), 0, out=candidate[:area])
        candidate[area] = True            # pass
        if board.ko_point >= 0 and board.ko_color == board.to_play:
            candidate[board.ko_point] = False
        moves = candidate.nonzero()[0]
        p = np.asarray(ev.policy, dtype=np.float64)[moves]
        if temperature != 1.0:
            p = p ** (1.0 / temperature)
        total = p.sum()
        k = len(moves)
        if total > 0:
            p /= total
        else:
            p[:] = 1.0 / k
        # prior and raw_prior may share one array: priors are replaced, never changed in place
        self.moves, self.prior, self.raw_prior = moves, p, p
        block = np.zeros((6, k))    # one allocation: the five statistics arrays and the untouched priors
        block[5] = p
        self.child_N, self.child_W, self.child_W2, self.child_S, self.child_VL, self.untouched_prior = block
        self.children = [None] * k
        self.net_value, self.net_score = float(ev.value), float(ev.score_lead)
        self.touched, self.best_untouched = [], -1

    def remove_child(self, i: int) -> None:
        """Delete candidate ``i`` (found illegal); later children shift down."""
        for name in ("moves", "prior", "raw_prior", "child_N", "child_W", "child_W2", "child_S", "child_VL",
                     "untouched_prior"):
            setattr(self, name, np.delete(getattr(self, name), i))
        self.touched = [j - (j > i) for j in self.touched if j != i]
        self.best_untouched = -1
        self.children.pop(i)
        for j in range(i, len(self.children)):
            if self.children[j] is not None:
                self.children[j].index = j

    def touch(self, i: int) -> None:
        """Record that the search descends into child ``i`` (before its virtual loss is added)."""
        if self.untouched_prior.item(i) >= 0.0:
            self.untouched_prior[i] = -1.0
            self.touched.append(i)
            if i == self.best_untouched:
                self.best_untouched = -1

    def set_prior(self, prior: np.ndarray) -> None:
        """Replace the children's priors (noise, ladders), keeping the untouched ones' copy right."""
        self.prior = prior
        self.untouched_prior = np.where(self.untouched_prior < 0.0, -1.0, prior)
        self.best_untouched = -1

    def child_index(self, move: int) -> int | None:
        """The index of ``move`` among the candidates, or None."""
        if self.moves is None:
            return None
        hits = np.flatnonzero(self.moves == move)
        return int(hits[0]) if len(hits) else None


SMALL_SELECT = 24   # below this many touched children, select_child works in Python floats


def select_child(node: Node, cfg: PuctConfig, is_root: bool) -> int:
    """PUCT with virtual loss and first-play urgency reduction; returns a child index.

    Away from the root most nodes have few touched children (ever descended
    into), and every untouched child has the same q (first-play urgency) and
    no visits, so the best of them is the highest-prior one: the choice is
    made among the touched children and that one, in Python floats (the same
    operations in the same order as the array version, so the same result,
    ties to the lowest index), instead of ~10 array operations.
    """
    total = node.total
    if total == 0:    # nothing visited yet: every child has the same q, the prior decides
        return int(node.prior.argmax())
    if is_root or len(node.touched) > SMALL_SELECT:
        return _select_arrays(node, cfg, is_root)
    fpu = node.net_value - cfg.fpu_reduction * math.sqrt(node.visited_prior)
    utility = cfg.utility
    if utility is not None:   # its two terms in local floats: this loop is the search's hottest
        k_static, inv_static, k_dynamic, inv_dynamic, centre = utility.terms(node.board.to_play)
        atan = math.atan
        score = node.net_score
        fpu += k_static * atan(score * inv_static) + k_dynamic * atan((score - centre) * inv_dynamic)
        child_s = node.child_S.item
    c = cfg.c_init + math.log((total + cfg.c_base + 1.0) / cfg.c_base)
    scale = c * math.sqrt(max(total, 1.0))
    # ``.item`` reads a Python float straight from the array (no numpy scalar in between)
    prior, child_n, child_w, child_vl = node.prior.item, node.child_N.item, node.child_W.item, node.child_VL.item
    best, best_value = -1, -math.inf
    j = node.best_untouched
    if j < 0 and len(node.touched) < len(node.prior):
        j = node.best_untouched = _next_untouched(node)
    if j >= 0:
        best, best_value = j, fpu + prior(j) * scale / 1.0
    for i in node.touched:
        vl = child_vl(i)
        visits = child_n(i)
        n = visits + vl     # a whole number: 0, or at least 1 (so no max(n, 1) below)
        q = fpu if n == 0 else (child_w(i) - vl) / n
        if utility is not None and visits > 0:
            score = child_s(i) / visits
            q += k_static * atan(score * inv_static) + k_dynamic * atan((score - centre) * inv_dynamic)
        value = q + prior(i) * scale / (1.0 + n)
        if value > best_value or (value == best_value and i < best):
            best, best_value = i, value
    return best


def _next_untouched(node: Node) -> int:
    """The highest-prior untouched child (lowest index among equal priors), or -1 when all are touched."""
    untouched = node.untouched_prior
    j = int(untouched.argmax())
    return j if untouched.item(j) >= 0.0 else -1


def _select_arrays(node: Node, cfg: PuctConfig, is_root: bool) -> int:
    """``select_child`` over the whole arrays (the root: forced playouts, many touched children)."""
    vl = node.child_VL
    n = node.child_N + vl
    total = node.total
    prior = node.prior
    if is_root and cfg.forced_k > 0 and total > 0:
        forced = np.sqrt(cfg.forced_k * prior * total)
        need = (node.child_N > 0) & (n < forced)
        if need.any():
            return int(np.argmax(np.where(need, prior, -1.0)))
    reduction = cfg.fpu_reduction_root if is_root else cfg.fpu_reduction
    fpu = node.net_value - reduction * math.sqrt(node.visited_prior)
    c = cfg.c_init + math.log((total + cfg.c_base + 1.0) / cfg.c_base)
    u = prior * (c * math.sqrt(max(total, 1.0)))
    u /= 1.0 + n
    unvisited = n == 0
    q = node.child_W - vl
    q /= np.maximum(n, 1.0)
    if cfg.utility is not None:
        fpu += score_bonus(node, cfg.utility, q)
    q[unvisited] = fpu
    q += u
    return int(q.argmax())


def score_bonus(node: Node, utility: ScoreUtility, q: np.ndarray) -> float:
    """Add each visited child's score utility to ``q`` (in place); returns the node's own (for FPU)."""
    to_play = node.board.to_play
    visits = node.child_N
    bonus = utility.values(node.child_S / np.maximum(visits, 1.0), to_play)
    bonus *= visits > 0
    q += bonus
    return utility.value(node.net_score, to_play)


def release(node: Node) -> int:
    """Break the parent/child links of a discarded subtree (iteratively), so reference
    counting frees it at once instead of leaving cycles for a slow full garbage collection.

    Returns the number of nodes released.
    """
    todo, count = [node], 0
    while todo:
        n = todo.pop()
        todo.extend(c for c in n.children if c is not None)
        n.children = []
        n.parent = None
        count += 1
    return count


def node_bytes(area: int) -> int:
    """Estimated bytes of one expanded node on a board of ``area`` points, as resident memory.

    Measured with tracemalloc over 3,000-node searches (board copy, position,
    six per-child arrays): 9.6 kB on 9x9, 17.3 kB on 13x13, 34.2 kB on 19x19;
    plus the position's stacked history stones for the features (8 bytes a
    point, ``engine.features.history_stones``); times 1.2 for the allocator's
    overhead (RSS grew 186 MB for 155 MB traced).
    """
    return (2000 + 100 * area) * 6 // 5
